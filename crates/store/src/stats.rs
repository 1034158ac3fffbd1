//! Figures about a store for `/metrics`: record counts, commit counts and a lock-free latency histogram (which the
//! HTTP layer uses for request latency too, so both histograms share one set of buckets).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many records the store holds, per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordCounts {
    pub authorizations: u64,
    pub users: u64,
    pub orgs: u64,
    pub buckets: u64,
    /// Sign-in sessions, expired ones included until they are next used (which removes them).
    pub sessions: u64,
}

/// Commit counters, bumped once per commit by an engine.
#[derive(Debug, Default)]
pub struct CommitStats {
    ok: AtomicU64,
    failed: AtomicU64,
    latency: LatencyHistogram,
}

impl CommitStats {
    /// Counts one commit that took `elapsed` and succeeded or not.
    pub fn record_commit(&self, elapsed: Duration, ok: bool) {
        let counter = if ok { &self.ok } else { &self.failed };
        counter.fetch_add(1, Ordering::Relaxed);
        self.latency.observe(elapsed);
    }

    pub fn snapshot(&self) -> CommitSnapshot {
        CommitSnapshot {
            ok: self.ok.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            latency: self.latency.snapshot(),
        }
    }
}

/// What [`Store::commit_stats`](crate::Store::commit_stats) reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommitSnapshot {
    /// Commits that succeeded.
    pub ok: u64,
    /// Commits that failed (disk full, read-only, I/O error).
    pub failed: u64,
    /// How long each commit (successful or not) took.
    pub latency: HistogramSnapshot,
}

/// Upper bounds of the latency buckets, in nanoseconds, with the `le` label each gets: 50 µs to 10 s.
pub const LATENCY_BUCKETS: [(u64, &str); 17] = [
    (50_000, "0.00005"),
    (100_000, "0.0001"),
    (250_000, "0.00025"),
    (500_000, "0.0005"),
    (1_000_000, "0.001"),
    (2_500_000, "0.0025"),
    (5_000_000, "0.005"),
    (10_000_000, "0.01"),
    (25_000_000, "0.025"),
    (50_000_000, "0.05"),
    (100_000_000, "0.1"),
    (250_000_000, "0.25"),
    (500_000_000, "0.5"),
    (1_000_000_000, "1"),
    (2_500_000_000, "2.5"),
    (5_000_000_000, "5"),
    (10_000_000_000, "10"),
];

/// A latency histogram over [`LATENCY_BUCKETS`] that records with two relaxed atomic additions and no lock.
/// Each bucket counts only its own observations (the last one those above 10 s); [`HistogramSnapshot`] adds them
/// up, so `_count` always equals the `+Inf` bucket.
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl LatencyHistogram {
    pub fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|(bound, _)| nanos <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            counts: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            sum_nanos: self.sum_nanos.load(Ordering::Relaxed),
        }
    }
}

/// A histogram read at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// Observations per bucket (not cumulative); the last is those above the largest bound.
    pub counts: [u64; LATENCY_BUCKETS.len() + 1],
    /// Sum of all observations, in nanoseconds.
    pub sum_nanos: u64,
}

/// Two histograms' observations together (of the same metric kept in parts).
impl std::ops::AddAssign for HistogramSnapshot {
    fn add_assign(&mut self, other: Self) {
        for (count, more) in self.counts.iter_mut().zip(other.counts) {
            *count += more;
        }
        self.sum_nanos = self.sum_nanos.saturating_add(other.sum_nanos);
    }
}

impl HistogramSnapshot {
    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Sum of all observations, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        Duration::from_nanos(self.sum_nanos).as_secs_f64()
    }

    /// `(le, cumulative count)` for each bound, then `("+Inf", count)`, as Prometheus wants them.
    pub fn cumulative(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        let labels = LATENCY_BUCKETS.iter().map(|(_, label)| *label).chain(["+Inf"]);
        labels.zip(self.counts.iter().scan(0u64, |total, count| {
            *total += count;
            Some(*total)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_whose_bound_holds_them() {
        let histogram = LatencyHistogram::default();
        histogram.observe(Duration::from_micros(50)); // on the bound: le="0.00005"
        histogram.observe(Duration::from_micros(51));
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(11)); // above every bound: +Inf only
        let snapshot = histogram.snapshot();
        let cumulative: Vec<_> = snapshot.cumulative().collect();
        assert_eq!(cumulative[0], ("0.00005", 1));
        assert_eq!(cumulative[1], ("0.0001", 2));
        assert_eq!(cumulative[5], ("0.0025", 2));
        assert_eq!(cumulative[6], ("0.005", 3));
        assert_eq!(cumulative[16], ("10", 3));
        assert_eq!(cumulative[17], ("+Inf", 4));
        assert_eq!(snapshot.count(), 4);
        assert_eq!(snapshot.sum_nanos, 50_000 + 51_000 + 3_000_000 + 11_000_000_000);
    }

    #[test]
    fn bounds_ascend_and_their_labels_say_the_same_seconds() {
        for pair in LATENCY_BUCKETS.windows(2) {
            assert!(pair[0].0 < pair[1].0);
        }
        for (nanos, label) in LATENCY_BUCKETS {
            let seconds: f64 = label.parse().unwrap();
            assert!((seconds * 1e9 - nanos as f64).abs() < 1.0, "{label}");
        }
    }
}
