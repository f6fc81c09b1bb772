//! Worst first: the one order of every list of agents and teams on the page, so the
//! people a QA lead has to talk to are at the top at any size. The reverse of the
//! assessment's ranking (see [`crate::aggregate::assess`]): lowest mean score, then
//! lowest adherence, then more interactions (more evidence) first; nothing assessed
//! comes last. Callers break the remaining ties by id.

use crate::aggregate::Stats;
use std::cmp::Ordering;

pub fn worst_first(a: &Stats, b: &Stats) -> Ordering {
    let key = |s: &Stats| {
        (
            s.mean_score.unwrap_or(f64::INFINITY),
            s.adherence_rate.unwrap_or(f64::INFINITY),
        )
    };
    let (ka, kb) = (key(a), key(b));
    ka.0.total_cmp(&kb.0)
        .then(ka.1.total_cmp(&kb.1))
        .then(b.assessed.cmp(&a.assessed))
}

/// The index and value of the lowest of `means` when they are not all equal (an
/// agent with every dimension alike has no weakest one).
pub fn weakest(means: &[f64]) -> Option<(usize, f64)> {
    let (i, low) = means
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let high = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (low < high).then_some((i, low))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(assessed: usize, passed: usize, mean: Option<f64>) -> Stats {
        Stats {
            assessed,
            passed,
            fatal: 0,
            adherence_rate: (assessed > 0).then(|| passed as f64 / assessed as f64),
            wilson: None,
            mean_score: mean,
            band: None,
            dimension_means: Vec::new(),
        }
    }

    #[test]
    fn lowest_mean_then_lowest_adherence_then_more_evidence() {
        let mut v = [
            stats(10, 9, Some(90.0)),
            stats(0, 0, None),
            stats(10, 5, Some(70.0)),
            stats(10, 8, Some(70.0)),
            stats(20, 10, Some(70.0)),
        ];
        v.sort_by(worst_first);
        let got: Vec<(usize, usize)> = v.iter().map(|s| (s.assessed, s.passed)).collect();
        assert_eq!(got, [(20, 10), (10, 5), (10, 8), (10, 9), (0, 0)]);
    }

    #[test]
    fn weakest_needs_a_difference() {
        assert_eq!(weakest(&[90.0, 60.0, 75.0]), Some((1, 60.0)));
        assert_eq!(weakest(&[100.0, 100.0]), None);
        assert_eq!(weakest(&[]), None);
    }
}
