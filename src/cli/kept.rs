//! What a run keeps of its results for the aggregates and the report: counts per
//! agent, period and rule (folded in as results come) and the worst failing
//! results the report lists, so a run of any size keeps a bounded amount, not every
//! result.

use super::config::AssessConfig;
use crate::aggregate::{self, Aggregates, Aggregator, RuleInfo};
use crate::output::html::evidence::WorstFailing;
use crate::rules::Ruleset;
use crate::scan::result::InteractionResult;

/// How results are aggregated in a run with `ruleset` and `assess`.
pub(super) fn setup<'a>(
    ruleset: &'a Ruleset,
    assess: &'a AssessConfig,
    infos: &'a [RuleInfo],
) -> aggregate::Setup<'a> {
    aggregate::Setup {
        dimensions: &ruleset.dimensions,
        period: assess.period,
        roster: assess.roster.as_ref(),
        alert_below: ruleset.alert_below,
        ..aggregate::Setup::new(infos, &ruleset.bands)
    }
}

/// The results of a run as the aggregates and the report need them.
pub(super) struct Kept<'a> {
    aggregator: Aggregator<'a>,
    worst: WorstFailing,
    count: usize,
    score_sum: f64,
}

impl<'a> Kept<'a> {
    pub(super) fn new(setup: &aggregate::Setup<'a>) -> Kept<'a> {
        Kept {
            aggregator: Aggregator::new(setup),
            worst: WorstFailing::default(),
            count: 0,
            score_sum: 0.0,
        }
    }

    /// Counts `r` in (slimmed: no turn texts).
    pub(super) fn push(&mut self, r: InteractionResult) {
        self.aggregator.add(&r);
        self.count += 1;
        self.score_sum += f64::from(r.score);
        if !r.passed {
            self.worst.offer(super::scan_cmd::slim(r));
        }
    }

    /// Results counted.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// The mean score; none when nothing was counted.
    pub(super) fn mean_score(&self) -> Option<f64> {
        (self.count > 0).then(|| self.score_sum / self.count as f64)
    }

    /// The aggregates, and the failing results the report lists (worst first).
    pub(super) fn finish(self) -> (Aggregates, Vec<InteractionResult>) {
        (self.aggregator.finish(), self.worst.into_listed())
    }
}
