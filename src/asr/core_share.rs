//! whisper.cpp runs threads of its own, and they spin while they wait for each
//! other: two transcriptions with two threads each on two cores ran twice as slow
//! as the same work without oversubscription. Decoding token by token also scales
//! poorly past one thread, so two windows on one core each beat one window on two
//! (a 198 s clip: 14.0-15.1 s against 19.3-20.4 s). So the cores are leased per
//! recognizer window, and the share is by windows queued, not by calls: every call
//! queues the windows it has to transcribe ([`CoreShare::queue_windows`]), a window
//! takes the cores divided among all queued windows (at least one, never more than
//! are free) and waits when none is free. While there is more work than cores, each
//! window runs on one core; the last window of a batch gets them all.

use std::sync::{Condvar, Mutex, MutexGuard};

/// The cores whisper.cpp may use, shared among concurrent transcriptions.
#[derive(Debug)]
pub struct CoreShare {
    cores: usize,
    /// Most threads one window gets even when more cores are free (whisper.cpp
    /// gains little past four).
    max_per_window: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug)]
struct State {
    free: usize,
    /// Windows queued and not yet finished, over all calls.
    queued: usize,
}

/// Windows of a call waiting for or in transcription; each counts in the share
/// until [`QueuedWindows::finished_one`] or until the guard drops.
#[derive(Debug)]
pub struct QueuedWindows<'a> {
    share: Option<&'a CoreShare>,
    left: std::sync::atomic::AtomicUsize,
}

impl QueuedWindows<'_> {
    /// Windows no share keeps track of (recognizers that need no sharing).
    pub fn untracked() -> Self {
        QueuedWindows {
            share: None,
            left: 0.into(),
        }
    }

    /// One of the windows is done (transcribed or failed).
    pub fn finished_one(&self) {
        use std::sync::atomic::Ordering;
        let taken = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if let (Some(share), Ok(_)) = (self.share, taken) {
            share.lock().queued -= 1;
        }
    }
}

impl Drop for QueuedWindows<'_> {
    fn drop(&mut self) {
        if let Some(share) = self.share {
            share.lock().queued -= *self.left.get_mut();
        }
    }
}

/// Cores leased to one window; they return to the share when it is dropped.
#[derive(Debug)]
pub struct CoreLease<'a> {
    share: &'a CoreShare,
    threads: usize,
}

impl CoreShare {
    /// A share of `cores` cores (at least one), at most `max_per_window` (at least
    /// one) to a window.
    pub fn new(cores: usize, max_per_window: usize) -> Self {
        let cores = cores.max(1);
        CoreShare {
            cores,
            max_per_window: max_per_window.max(1),
            state: Mutex::new(State {
                free: cores,
                queued: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// How many cores there are to share.
    pub fn cores(&self) -> usize {
        self.cores
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts `windows` windows as queued until each is finished.
    pub fn queue_windows(&self, windows: usize) -> QueuedWindows<'_> {
        self.lock().queued += windows;
        QueuedWindows {
            share: Some(self),
            left: windows.into(),
        }
    }

    /// Leases cores for one window: the cores divided among the queued windows
    /// (all of them when none is queued), at most the free ones, at least one;
    /// blocks while none is free.
    pub fn lease(&self) -> CoreLease<'_> {
        let mut state = self.lock();
        while state.free == 0 {
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        let fair = (self.cores / state.queued.max(1)).clamp(1, self.max_per_window);
        let threads = fair.min(state.free);
        state.free -= threads;
        CoreLease {
            share: self,
            threads,
        }
    }
}

impl CoreLease<'_> {
    /// Threads to run this window with.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

impl Drop for CoreLease<'_> {
    fn drop(&mut self) {
        let mut state = self.share.lock();
        state.free += self.threads;
        drop(state);
        self.share.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn a_lone_window_gets_every_core_and_gives_them_back() {
        let share = CoreShare::new(4, 8);
        {
            let lease = share.lease();
            assert_eq!(lease.threads(), 4);
        }
        let queued = share.queue_windows(1);
        assert_eq!(share.lease().threads(), 4);
        queued.finished_one();
        assert_eq!(CoreShare::new(0, 0).lease().threads(), 1);
        // The per-window cap leaves the other cores to other windows.
        let share = CoreShare::new(8, 4);
        let (a, b) = (share.lease(), share.lease());
        assert_eq!((a.threads(), b.threads()), (4, 4));
    }

    #[test]
    fn queued_windows_split_the_cores_and_the_last_one_gets_them_all() {
        let share = CoreShare::new(2, 4);
        let first = share.queue_windows(2);
        let second = share.queue_windows(1);
        {
            let (a, b) = (share.lease(), share.lease());
            assert_eq!((a.threads(), b.threads()), (1, 1));
        }
        first.finished_one();
        second.finished_one();
        assert_eq!(share.lease().threads(), 2, "one window left: both cores");
        second.finished_one();
        assert_eq!(
            share.state.lock().unwrap().queued,
            1,
            "finishing twice counts once"
        );
        first.finished_one();
        assert_eq!(share.state.lock().unwrap().queued, 0);
        let dropped = share.queue_windows(5);
        dropped.finished_one();
        drop(dropped);
        assert_eq!(
            share.state.lock().unwrap().queued,
            0,
            "drop returns the rest"
        );
        drop((first, second));
        assert_eq!(share.state.lock().unwrap().queued, 0);
    }

    #[test]
    fn a_window_waits_until_cores_are_returned() {
        let share = CoreShare::new(2, 4);
        let first = share.lease();
        assert_eq!(first.threads(), 2);
        let got = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| got.store(share.lease().threads(), Ordering::SeqCst));
            std::thread::sleep(Duration::from_millis(100));
            assert_eq!(
                got.load(Ordering::SeqCst),
                0,
                "waited while no core was free"
            );
            drop(first);
        });
        assert_eq!(got.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn concurrent_windows_never_hold_more_than_the_cores() {
        let share = CoreShare::new(2, 4);
        let held = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let single = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let queued = share.queue_windows(50);
                    for _ in 0..50 {
                        let lease = share.lease();
                        let now =
                            held.fetch_add(lease.threads(), Ordering::SeqCst) + lease.threads();
                        peak.fetch_max(now, Ordering::SeqCst);
                        if lease.threads() == 1 {
                            single.fetch_add(1, Ordering::SeqCst);
                        }
                        std::thread::sleep(Duration::from_micros(200));
                        held.fetch_sub(lease.threads(), Ordering::SeqCst);
                        drop(lease);
                        queued.finished_one();
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 2, "peak {peak:?}");
        assert_eq!(held.load(Ordering::SeqCst), 0);
        assert!(
            single.load(Ordering::SeqCst) > 0,
            "with many windows queued, windows ran on one core"
        );
    }
}
