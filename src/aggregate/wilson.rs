//! The Wilson score interval for a pass rate. Agents often have a handful of
//! interactions per week; the plain p ± z·se interval is wrong there (it can leave
//! 0..1 and is zero-width at 0% or 100%), Wilson's stays meaningful.

use serde::{Deserialize, Serialize};

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959964;

/// A closed interval of proportions, both ends in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The 95% Wilson score interval of `successes` out of `trials`; `None` when there
/// were no trials (nothing is known about the rate).
pub fn wilson(successes: usize, trials: usize) -> Option<Interval> {
    wilson_z(successes, trials, Z95)
}

/// [`wilson`] with a chosen z.
pub fn wilson_z(successes: usize, trials: usize, z: f64) -> Option<Interval> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn known_values() {
        // (successes, trials, low, high), reference values from the closed formula
        // as tabulated by Newcombe (1998) and common statistics packages.
        let cases = [
            (8, 10, 0.4902, 0.9433),
            (0, 10, 0.0, 0.2775),
            (10, 10, 0.7225, 1.0),
            (1, 1, 0.2065, 1.0),
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
        ];
        for (x, n, low, high) in cases {
            let i = wilson(x, n).unwrap();
            assert!(close(i.low, low), "{x}/{n}: low {} != {low}", i.low);
            assert!(close(i.high, high), "{x}/{n}: high {} != {high}", i.high);
        }
    }

    #[test]
    fn no_trials_no_interval() {
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn interval_contains_the_rate_and_stays_in_bounds() {
        for n in 1..40 {
            for x in 0..=n {
                let i = wilson(x, n).unwrap();
                let p = x as f64 / n as f64;
                assert!(i.low <= p + 1e-12 && p <= i.high + 1e-12, "{x}/{n}");
                assert!((0.0..=1.0).contains(&i.low) && (0.0..=1.0).contains(&i.high));
            }
        }
    }
}
