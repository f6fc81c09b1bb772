//! Progress of the call part of a run in audio minutes (what an operator plans by).

use crate::reporter::Reporter;
use std::sync::atomic::{AtomicU64, Ordering};

/// Progress in audio minutes (what an operator plans by), reported as workers
/// finish calls.
pub struct MinutesProgress<'a> {
    reporter: &'a dyn Reporter,
    total: f64,
    done_ms: AtomicU64,
}

impl<'a> MinutesProgress<'a> {
    pub fn new(reporter: &'a dyn Reporter, total_minutes: f64) -> Self {
        MinutesProgress {
            reporter,
            total: total_minutes,
            done_ms: AtomicU64::new(0),
        }
    }

    /// A call of `minutes` is done.
    pub fn finished(&self, minutes: f64) {
        let own = (minutes * 60_000.0) as u64;
        let done = (self.done_ms.fetch_add(own, Ordering::Relaxed) + own) as f64 / 60_000.0;
        self.reporter
            .progress(done, self.total.max(done), "audio minutes");
    }
}
