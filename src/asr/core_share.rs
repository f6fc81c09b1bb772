//! whisper.cpp runs threads of its own, and they spin while they wait for each
//! other: two transcriptions with two threads each on two cores ran twice as slow
//! as the same work without oversubscription. Fixing the threads per call from the
//! number of calls in the batch wastes cores instead (two long calls that the
//! memory budget runs one after the other each kept the one thread it got for
//! "two calls in flight"). So the cores are leased per recognizer window: a window
//! takes its call's fair share of the cores among the calls in flight right now
//! (calls waiting for memory do not count), never more than are free, and waits
//! when none are. Two calls each run their windows on one core at once (decoding
//! token by token scales poorly past one thread, so that beats taking turns with
//! two); when one of them ends, the other's next window gets both.

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
    /// Calls being transcribed (see [`CoreShare::call_started`]).
    calls: usize,
}

/// A call being transcribed; counts in the fair share until dropped.
#[derive(Debug)]
pub struct CallInFlight<'a> {
    share: Option<&'a CoreShare>,
}

impl CallInFlight<'_> {
    /// A call no share keeps track of (recognizers that need no sharing).
    pub fn untracked() -> Self {
        CallInFlight { share: None }
    }
}

impl Drop for CallInFlight<'_> {
    fn drop(&mut self) {
        if let Some(share) = self.share {
            share.lock().calls -= 1;
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
                calls: 0,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a call as in flight until the returned guard drops.
    pub fn call_started(&self) -> CallInFlight<'_> {
        self.lock().calls += 1;
        CallInFlight { share: Some(self) }
    }

    /// Leases cores for one window: a fair share among the calls in flight now
    /// (all cores when none is counted), at most the free ones, at least one;
    /// blocks while none is free.
    pub fn lease(&self) -> CoreLease<'_> {
        let mut state = self.lock();
        while state.free == 0 {
            state = self.freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        let fair = (self.cores / state.calls.max(1)).clamp(1, self.max_per_window);
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
        let _call = share.call_started();
        assert_eq!(share.lease().threads(), 4);
        assert_eq!(CoreShare::new(0, 0).lease().threads(), 1);
        // The per-window cap leaves the other cores to other windows.
        let share = CoreShare::new(8, 4);
        let (a, b) = (share.lease(), share.lease());
        assert_eq!((a.threads(), b.threads()), (4, 4));
    }

    #[test]
    fn calls_in_flight_split_the_cores_and_a_finished_call_gives_its_share_back() {
        let share = CoreShare::new(2, 4);
        let first = share.call_started();
        let second = share.call_started();
        {
            let (a, b) = (share.lease(), share.lease());
            assert_eq!((a.threads(), b.threads()), (1, 1));
        }
        drop(second);
        assert_eq!(share.lease().threads(), 2, "the remaining call gets both");
        drop(first);
        assert_eq!(share.state.lock().unwrap().calls, 0);
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
                    let _call = share.call_started();
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
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 2, "peak {peak:?}");
        assert_eq!(held.load(Ordering::SeqCst), 0);
        assert!(
            single.load(Ordering::SeqCst) > 0,
            "with four calls in flight windows ran on one core"
        );
    }
}
