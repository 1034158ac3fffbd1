//! Request-level protections: the limits (the deadline itself is applied in `middleware::gate`), and counting (and optionally rate-limiting, per client
//! address) failed authentications. Nothing here ever sees or records a token.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Request-level limits.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// How long one request may take, body included (then 408).
    pub request_timeout: Duration,
    /// Largest request body accepted (then 413).
    pub max_body_bytes: usize,
    /// Failed authentications allowed per client address per minute before it gets 429; 0 turns it off.
    pub auth_failures_per_minute: u32,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 2 * 1024 * 1024,
            auth_failures_per_minute: 0,
        }
    }
}

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many tracked addresses, stale ones are dropped before adding another.
const MAX_TRACKED: usize = 10_000;

/// Failed authentications: a total for `/metrics`, and per-address windows for the optional rate limit.
#[derive(Debug, Default)]
pub struct AuthFailures {
    total: AtomicU64,
    limited: AtomicU64,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl AuthFailures {
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    pub fn limited(&self) -> u64 {
        self.limited.load(Ordering::Relaxed)
    }

    /// Whether `address` has used up its failures for this window.
    pub(crate) fn is_blocked(&self, address: IpAddr, per_minute: u32) -> bool {
        if per_minute == 0 {
            return false;
        }
        let Ok(windows) = self.windows.lock() else { return false };
        let blocked = windows
            .get(&address)
            .is_some_and(|(start, count)| start.elapsed() < WINDOW && *count >= per_minute);
        if blocked {
            self.limited.fetch_add(1, Ordering::Relaxed);
        }
        blocked
    }

    pub(crate) fn record(&self, address: Option<IpAddr>, per_minute: u32) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let (Some(address), true) = (address, per_minute > 0) else {
            return;
        };
        let Ok(mut windows) = self.windows.lock() else { return };
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| start.elapsed() < WINDOW);
        }
        let entry = windows.entry(address).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}
