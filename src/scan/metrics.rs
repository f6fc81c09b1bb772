//! Metrics a `metric` rule can bound. Text metrics (response times) are computed
//! here from turn times; audio metrics (silence, interruptions, ...) are measured by
//! the audio stage and arrive in [`Interaction::measured`].

use crate::interaction::{Interaction, Speaker};
use std::collections::BTreeMap;

pub use crate::rules::vocab::Metric;

/// All metrics that can be computed for `interaction`; absent ones are not applicable
/// (e.g. no customer message, so no response time; a chat has no silence).
pub fn compute(interaction: &Interaction) -> BTreeMap<Metric, f64> {
    let mut out = BTreeMap::new();
    for metric in Metric::ALL {
        if metric.is_audio() {
            if let Some(v) = interaction.measured.get(metric.name()) {
                out.insert(metric, *v);
            }
        }
    }
    out.insert(Metric::DurationSeconds, interaction.duration_s);
    if interaction.roles.attributed() {
        let (first, max) = response_times(interaction);
        if let Some(v) = first {
            out.insert(Metric::AgentFirstResponseSeconds, v);
        }
        if let Some(v) = max {
            out.insert(Metric::AgentMaxResponseSeconds, v);
        }
    }
    out
}

/// (first response, longest wait). A run of customer messages waits from its first
/// message until the next agent message; a wait with no agent reply at all is not a
/// response time (the conversation ended).
fn response_times(interaction: &Interaction) -> (Option<f64>, Option<f64>) {
    let mut waiting_since: Option<f64> = None;
    let mut first: Option<f64> = None;
    let mut max: Option<f64> = None;
    for turn in &interaction.turns {
        match turn.speaker {
            Speaker::Customer => {
                waiting_since.get_or_insert(turn.start_s);
            }
            Speaker::Agent => {
                if let Some(since) = waiting_since.take() {
                    let wait = (turn.start_s - since).max(0.0);
                    first.get_or_insert(wait);
                    max = Some(max.map_or(wait, |m: f64| m.max(wait)));
                }
            }
            Speaker::System | Speaker::Unknown => {}
        }
    }
    (first, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interaction::Turn;

    fn chat(turns: &[(Speaker, f64)]) -> Interaction {
        Interaction {
            turns: turns
                .iter()
                .map(|(s, t)| Turn::new(*s, *t, *t, "x"))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn response_times_wait_from_first_message_of_a_run() {
        use Speaker::*;
        let i = chat(&[
            (Agent, 0.0),
            (Customer, 10.0),
            (Customer, 20.0),
            (Agent, 50.0),
            (Customer, 60.0),
            (Agent, 65.0),
        ]);
        let m = compute(&i);
        assert_eq!(m[&Metric::AgentFirstResponseSeconds], 40.0);
        assert_eq!(m[&Metric::AgentMaxResponseSeconds], 40.0);
    }

    #[test]
    fn unanswered_customer_has_no_response_time() {
        use Speaker::*;
        let m = compute(&chat(&[(Agent, 0.0), (Customer, 10.0)]));
        assert!(!m.contains_key(&Metric::AgentFirstResponseSeconds));
    }

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
    }
}
