//! Medians over runs, and the figures one table row shows.

use crate::load::RunResult;

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.into_iter().filter(|v| !v.is_nan()).collect();
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// One server's figures for one scenario: each the median over the runs.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Server CPU time per request, in microseconds.
    pub cpu_us: f64,
    /// Load-generator CPU time per request, in microseconds.
    pub client_cpu_us: f64,
    pub runs: usize,
    /// Requests over all runs.
    pub requests: u64,
}

impl Summary {
    pub fn of(runs: &[RunResult]) -> Self {
        Self {
            per_second: median(runs.iter().map(RunResult::per_second)),
            p50_us: median(runs.iter().map(|r| r.latency_us(0.5))),
            p99_us: median(runs.iter().map(|r| r.latency_us(0.99))),
            cpu_us: median(runs.iter().map(RunResult::server_cpu_us)),
            client_cpu_us: median(runs.iter().map(|r| r.client_cpu * 1e6 / r.requests.max(1) as f64)),
            runs: runs.len(),
            requests: runs.iter().map(|r| r.requests).sum(),
        }
    }
}

/// A number with no more digits than it deserves.
pub fn fmt(value: f64) -> String {
    if value.is_nan() {
        "–".to_owned()
    } else if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}
