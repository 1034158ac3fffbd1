//! Time-ordered IDs, like InfluxDB's snowflake IDs: milliseconds since the Unix epoch in the high bits, a counter
//! below, never repeating within a process even when the clock steps back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use model::Id;

#[derive(Debug, Default)]
pub(crate) struct IdGenerator {
    last: AtomicU64,
}

impl IdGenerator {
    pub(crate) fn next(&self) -> Id {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let floor = (millis << 22).max(1000);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let candidate = floor.max(last + 1);
            match self
                .last
                .compare_exchange_weak(last, candidate, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    // `candidate` is at least 1000, so `Id::new` always accepts it.
                    if let Some(id) = Id::new(candidate) {
                        return id;
                    }
                }
                Err(seen) => last = seen,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_are_16_hex_chars() {
        let ids = IdGenerator::default();
        let a = ids.next();
        let b = ids.next();
        assert!(b > a);
        assert_eq!(a.to_string().len(), 16);
    }
}
