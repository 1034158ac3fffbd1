//! Time-ordered IDs, like InfluxDB's snowflake IDs: milliseconds since the Unix epoch in the high 42 bits, then
//! this process's node number (10 bits), then a counter (12 bits). IDs never repeat within a process, even when
//! the clock steps back or more than 4,096 are made in one millisecond (the counter then borrows the next
//! millisecond). Processes that share a store get distinct node numbers from it (`Store::node_id`), so replicas
//! creating records in the same millisecond do not collide either; the store's uniqueness check stays the last
//! word all the same.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use model::Id;

const COUNTER_BITS: u32 = 12;
const NODE_BITS: u32 = 10;
const TIME_SHIFT: u32 = COUNTER_BITS + NODE_BITS;
const COUNTER_MASK: u64 = (1 << COUNTER_BITS) - 1;

#[derive(Debug)]
pub(crate) struct IdGenerator {
    /// The node number, in place.
    node: u64,
    last: AtomicU64,
}

impl IdGenerator {
    /// A generator for node `node` (only its low 10 bits count).
    pub(crate) fn new(node: u16) -> Self {
        Self {
            node: (u64::from(node) & ((1 << NODE_BITS) - 1)) << COUNTER_BITS,
            last: AtomicU64::new(0),
        }
    }

    fn at(&self, millis: u64) -> u64 {
        (millis << TIME_SHIFT) | self.node
    }

    pub(crate) fn next(&self) -> Id {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let floor = self.at(millis).max(self.at(1));
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let candidate = if last < floor {
                floor
            } else if last & COUNTER_MASK == COUNTER_MASK {
                // The counter is used up for this millisecond: go on in the next one, on the same node.
                self.at((last >> TIME_SHIFT) + 1)
            } else {
                last + 1
            };
            match self
                .last
                .compare_exchange_weak(last, candidate, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    // `candidate` is at least `1 << 22`, so `Id::new` always accepts it.
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
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_increase_and_are_16_hex_chars() {
        let ids = IdGenerator::new(0);
        let a = ids.next();
        let b = ids.next();
        assert!(b > a);
        assert_eq!(a.to_string().len(), 16);
    }

    #[test]
    fn nodes_never_share_an_id_even_past_the_counter() {
        let (one, two) = (IdGenerator::new(1), IdGenerator::new(2));
        let mut seen = HashSet::new();
        // More than one millisecond's worth of counter on each, so both borrow later milliseconds.
        for _ in 0..10_000 {
            for ids in [&one, &two] {
                let id = ids.next().get();
                assert!(seen.insert(id), "{id:x} made twice");
            }
        }
        let node = |id: u64| (id >> COUNTER_BITS) & ((1 << NODE_BITS) - 1);
        assert!(seen.iter().all(|id| matches!(node(*id), 1 | 2)));
    }
}
