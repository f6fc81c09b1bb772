//! The time left in a run, from measured throughput: the rate over the last
//! [`WINDOW`] of progress reports, and nothing at all until enough work has been
//! measured (at least [`MIN_ELAPSED`] of it and [`MIN_DONE`] of the total), so the
//! first reports never promise "0s". Times are passed in, so tests drive a fake clock.

use std::collections::VecDeque;
use std::time::Duration;

/// The throughput is measured over this much of the latest progress.
pub const WINDOW: Duration = Duration::from_secs(30);
/// No estimate before this much time has been measured.
pub const MIN_ELAPSED: Duration = Duration::from_secs(5);
/// No estimate before this share of the work is done.
pub const MIN_DONE: f64 = 0.02;

/// Progress reports of one phase (one unit: files, audio minutes, ...).
#[derive(Debug, Default)]
pub struct Eta {
    /// (time, done), oldest first; one report older than the window is kept as the
    /// start of the span measured.
    samples: VecDeque<(Duration, f64)>,
    first: Option<Duration>,
}

impl Eta {
    /// Records that `done` units are done at time `now` (any fixed epoch).
    pub fn observe(&mut self, now: Duration, done: f64) {
        if self.samples.back().is_some_and(|&(_, d)| done < d) {
            // Progress went back: a new phase; measure afresh.
            *self = Eta::default();
        }
        self.first.get_or_insert(now);
        self.samples.push_back((now, done));
        while self.samples.len() > 2 && now.saturating_sub(self.samples[1].0) >= WINDOW {
            self.samples.pop_front();
        }
    }

    /// The time left to reach `total`, or `None` while too little is measured.
    /// Never under one second while work is left.
    pub fn remaining(&self, total: f64) -> Option<Duration> {
        let (&(t0, d0), &(t1, d1)) = (self.samples.front()?, self.samples.back()?);
        let measured = t1.saturating_sub(self.first?);
        if measured < MIN_ELAPSED || d1 < total * MIN_DONE || d1 >= total {
            return None;
        }
        let span = t1.saturating_sub(t0).as_secs_f64();
        let rate = (d1 - d0) / span;
        if span <= 0.0 || !rate.is_finite() || rate <= 0.0 {
            return None;
        }
        let left = ((total - d1) / rate).ceil().max(1.0);
        Some(Duration::from_secs_f64(left.min(1e9)))
    }

    /// Time since the first report.
    pub fn elapsed(&self, now: Duration) -> Duration {
        self.first.map_or(Duration::ZERO, |f| now.saturating_sub(f))
    }
}

/// `42s`, `3m05s`, `2h07m`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn no_estimate_before_enough_is_measured() {
        let mut eta = Eta::default();
        eta.observe(at(0.0), 1.0);
        eta.observe(at(3.0), 200.0);
        // 3 s into the run: far too early, even at a high rate (it said "eta 0s").
        assert_eq!(eta.remaining(245.0), None);
        eta.observe(at(6.0), 240.0);
        assert_eq!(
            eta.remaining(245.0),
            Some(at(1.0)),
            "never under one second"
        );
        let mut slow = Eta::default();
        slow.observe(at(0.0), 0.0);
        slow.observe(at(60.0), 1.0);
        assert_eq!(slow.remaining(1000.0), None, "under 2 % done");
    }

    #[test]
    fn the_rate_is_the_measured_one_over_the_last_window() {
        let mut eta = Eta::default();
        // 1 unit/s for 60 s, then 4 units/s: the estimate follows the recent rate.
        for t in 0..=60 {
            eta.observe(at(t as f64), t as f64);
        }
        assert_eq!(eta.remaining(160.0), Some(at(100.0)));
        for t in 1..=40 {
            eta.observe(at(60.0 + t as f64), 60.0 + 4.0 * t as f64);
        }
        assert_eq!(eta.remaining(420.0), Some(at(50.0)));
        assert_eq!(eta.elapsed(at(100.0)), at(100.0));
    }

    #[test]
    fn stalls_and_finished_work_give_no_estimate() {
        let mut eta = Eta::default();
        eta.observe(at(0.0), 10.0);
        eta.observe(at(40.0), 10.0);
        assert_eq!(eta.remaining(100.0), None, "nothing done in the window");
        eta.observe(at(50.0), 100.0);
        assert_eq!(eta.remaining(100.0), None, "done");
    }

    #[test]
    fn progress_going_back_starts_a_new_measurement() {
        let mut eta = Eta::default();
        eta.observe(at(0.0), 0.0);
        eta.observe(at(10.0), 50.0);
        assert!(eta.remaining(100.0).is_some());
        eta.observe(at(11.0), 1.0);
        assert_eq!(eta.remaining(100.0), None);
        assert_eq!(eta.elapsed(at(12.0)), at(1.0));
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(at(42.0)), "42s");
        assert_eq!(human(at(185.0)), "3m05s");
        assert_eq!(human(at(7620.0)), "2h07m");
    }
}
