//! Keeps the decoded audio of the calls in flight under a memory budget. A call is
//! decoded to 16 kHz f32 per channel (a one-hour stereo call is about 460 MB, plus
//! the packed copy the recognizer gets), so with several workers a batch of long
//! recordings could pass the 1 GB a nightly job may use. Each call first reserves
//! its estimated size; a worker whose call does not fit waits until others finish.
//! A call larger than the whole budget still runs, alone.

use std::sync::{Condvar, Mutex, PoisonError};

/// Bytes of decoded audio allowed in flight across all workers.
pub const DEFAULT_BUDGET_BYTES: u64 = 512 << 20;

/// A counting budget of bytes shared by the workers of a batch.
#[derive(Debug)]
pub struct AudioBudget {
    limit: u64,
    in_use: Mutex<u64>,
    freed: Condvar,
}

/// Holds a reservation until dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a AudioBudget,
    bytes: u64,
}

impl AudioBudget {
    pub const fn new(limit: u64) -> Self {
        AudioBudget {
            limit,
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Waits until `bytes` fit next to what is reserved (or nothing is reserved),
    /// then reserves them. Blocks the calling thread: hold a reservation only over
    /// work that does not itself wait on rayon tasks (a stolen task could then be
    /// another call waiting for this reservation). Call processing runs no rayon
    /// work inside; whisper.cpp has its own threads.
    pub fn reserve(&self, bytes: u64) -> Reservation<'_> {
        let mut in_use = self.in_use.lock().unwrap_or_else(PoisonError::into_inner);
        while *in_use > 0 && in_use.saturating_add(bytes) > self.limit {
            in_use = self
                .freed
                .wait(in_use)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *in_use += bytes;
        Reservation {
            budget: self,
            bytes,
        }
    }

    /// Bytes reserved right now.
    pub fn in_use(&self) -> u64 {
        *self.in_use.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut in_use = self
            .budget
            .in_use
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *in_use -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// Estimated peak bytes of one call while it is processed: every channel at 16 kHz
/// in 16 bits, one more such channel for the downmix of the mono layout, and, as
/// margin for the recognizer's per-call buffers and the turns, the recording at its
/// own rate in f32 (decoding itself streams; the recognizer's windows are copied
/// one at a time).
pub fn estimated_bytes(duration_s: f64, channels: u16, sample_rate: u32) -> u64 {
    let at_16k = duration_s.max(0.0) * 16_000.0 * 2.0;
    let source = duration_s.max(0.0) * f64::from(sample_rate) * 4.0;
    let channels = f64::from(channels.max(1));
    (at_16k * (channels + 1.0) + source * channels) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn reservations_that_fit_run_together() {
        let budget = AudioBudget::new(100);
        let a = budget.reserve(40);
        let b = budget.reserve(60);
        assert_eq!(budget.in_use(), 100);
        drop((a, b));
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn a_reservation_that_does_not_fit_waits_for_a_release() {
        let budget = AudioBudget::new(100);
        let first = budget.reserve(70);
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let _second = budget.reserve(50);
                tx.send(()).unwrap();
            });
            assert!(
                rx.recv_timeout(Duration::from_millis(200)).is_err(),
                "70 + 50 > 100 must wait"
            );
            drop(first);
            rx.recv_timeout(Duration::from_secs(10))
                .expect("runs once the first is released");
        });
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn a_call_larger_than_the_budget_runs_alone() {
        let budget = AudioBudget::new(100);
        let big = budget.reserve(1_000);
        assert_eq!(budget.in_use(), 1_000);
        drop(big);
        let _small = budget.reserve(10);
        assert_eq!(budget.in_use(), 10);
    }

    #[test]
    fn one_hour_stereo_8k_is_estimated_at_576_mb() {
        // 2 x 115 MB at 16 kHz, 115 MB for a downmix, 2 x 115 MB margin.
        let bytes = estimated_bytes(3600.0, 2, 8_000);
        assert_eq!(bytes, 576_000_000);
    }
}
