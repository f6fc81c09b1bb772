//! How far an agent's adherence rate is off because the machine is wrong, and what
//! it is once that is taken out. Interactions a reviewer went through in full
//! (`POST /api/interactions/{id}/reviewed`) are the calibration sample: among them,
//! how often a call the machine failed truly fails (the precision of a fail), and
//! how often one it passed truly fails (its miss rate, one minus the recall of
//! passes). An agent's corrected rate counts each fully reviewed interaction as
//! review found it and every other one as its machine verdict, weighted by those
//! two rates (the double-sampling estimator, Tenenbein 1970). The interval adds the
//! uncertainty of the two rates (Jeffreys posteriors) to the agent's own binomial
//! spread; docs/api.md says how.

use serde::Serialize;

/// Among fully reviewed interactions: (truly failed, all) of those the machine
/// failed, and of those it passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Calibration {
    pub machine_failed: (usize, usize),
    pub machine_passed: (usize, usize),
}

impl Calibration {
    /// Counts one fully reviewed interaction.
    pub fn add(&mut self, machine_passed: bool, truly_passed: bool) {
        let cell = if machine_passed {
            &mut self.machine_passed
        } else {
            &mut self.machine_failed
        };
        cell.0 += usize::from(!truly_passed);
        cell.1 += 1;
    }
}

/// An agent's adherence corrected for the machine's measured errors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Corrected {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// One interaction of the agent: the machine passed it; `Some(passed)` when a
/// reviewer went through it in full.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    pub machine_passed: bool,
    pub reviewed: Option<bool>,
}

/// The Jeffreys posterior mean and variance of a rate after `k` of `n`.
fn rate(k: usize, n: usize) -> (f64, f64) {
    let (a, b) = (k as f64 + 0.5, (n - k) as f64 + 0.5);
    let mean = a / (a + b);
    (mean, a * b / ((a + b).powi(2) * (a + b + 1.0)))
}

/// The corrected adherence of an agent's interactions; `None` when there are none,
/// or when the agent has unreviewed interactions of a machine verdict (failed or
/// passed) that no fully reviewed interaction calibrates yet.
pub fn corrected(seen: &[Seen], cal: &Calibration) -> Option<Corrected> {
    if seen.is_empty() {
        return None;
    }
    let n = seen.len() as f64;
    let (mut known_fails, mut m_fail, mut m_pass) = (0usize, 0usize, 0usize);
    for s in seen {
        match s.reviewed {
            Some(passed) => known_fails += usize::from(!passed),
            None if s.machine_passed => m_pass += 1,
            None => m_fail += 1,
        }
    }
    let part = |m: usize, (k, total): (usize, usize)| -> Option<(f64, f64)> {
        if m == 0 {
            return Some((0.0, 0.0));
        }
        if total == 0 {
            return None;
        }
        let (p, var_p) = rate(k, total);
        let m = m as f64;
        Some((m * p, m * m * var_p + m * p * (1.0 - p)))
    };
    let (fails_f, var_f) = part(m_fail, cal.machine_failed)?;
    let (fails_p, var_p) = part(m_pass, cal.machine_passed)?;
    let fails = known_fails as f64 + fails_f + fails_p;
    let estimate = 1.0 - fails / n;
    let half = 1.96 * (var_f + var_p).sqrt() / n;
    Some(Corrected {
        estimate,
        low: (estimate - half).clamp(0.0, 1.0),
        high: (estimate + half).clamp(0.0, 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(machine_passed: bool, reviewed: Option<bool>) -> Seen {
        Seen {
            machine_passed,
            reviewed,
        }
    }

    #[test]
    fn all_reviewed_is_exact() {
        let s = [
            seen(false, Some(true)),
            seen(true, Some(true)),
            seen(true, Some(false)),
        ];
        let c = corrected(&s, &Calibration::default()).unwrap();
        assert!((c.estimate - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!((c.low, c.high), (c.estimate, c.estimate));
    }

    #[test]
    fn machine_fails_weighted_by_their_precision() {
        // Half of what the machine fails truly fails; nothing it passes does.
        let mut cal = Calibration::default();
        for k in 0..100 {
            cal.add(false, k % 2 == 0);
            cal.add(true, true);
        }
        let s: Vec<Seen> = (0..10).map(|k| seen(k >= 4, None)).collect();
        let c = corrected(&s, &cal).unwrap();
        // 4 machine fails x ~0.5 + 6 passes x ~0.005 = ~2.03 true fails of 10.
        assert!((c.estimate - 0.797).abs() < 0.005, "{c:?}");
        assert!(c.low < c.estimate && c.estimate < c.high);
        assert!(
            c.high - c.low > 0.3,
            "4 uncertain fails of 10 are a wide interval: {c:?}"
        );
    }

    #[test]
    fn uncalibrated_verdicts_give_no_estimate() {
        let mut cal = Calibration::default();
        cal.add(true, true);
        assert_eq!(corrected(&[seen(false, None)], &cal), None);
        assert!(corrected(&[seen(true, None)], &cal).is_some());
        assert_eq!(corrected(&[], &cal), None);
    }
}
