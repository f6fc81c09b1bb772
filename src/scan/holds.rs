//! Silence and waits the agent announced ("请稍等，我帮您查一下") are part of good
//! service, not dead air: a metric rule with `except-after` measures the longest
//! silence, or the longest wait for the agent, leaving out each pause that follows
//! an agent turn saying one of its phrases and lasts at most `max-seconds`. Pauses
//! are taken between turns (utterances in calls), as the exception depends on what
//! was said right before each one.

use crate::interaction::{Interaction, Speaker};
use crate::rules::conditions::HoldExcuse;
use crate::rules::Metric;
use crate::text::normalize::normalize_str;

/// The value of `metric` for `i` with announced pauses left out; `None` when the
/// metric is not measured this way (or not measurable here).
pub fn excused_value(i: &Interaction, metric: Metric, excuse: &HoldExcuse) -> Option<f64> {
    let holds: Vec<bool> = i
        .turns
        .iter()
        .map(|t| {
            t.speaker == Speaker::Agent && {
                let text = normalize_str(&t.text);
                excuse.phrases.iter().any(|p| text.contains(p.as_str()))
            }
        })
        .collect();
    let excused = |after_hold: bool, pause: f64| after_hold && pause <= excuse.max_seconds + 1e-9;
    match metric {
        Metric::AgentMaxResponseSeconds => {
            let mut since: Option<(f64, bool)> = None;
            let mut last_agent_holds = false;
            let mut max: Option<f64> = None;
            for (turn, &hold) in i.turns.iter().zip(&holds) {
                match turn.speaker {
                    Speaker::Customer => {
                        since.get_or_insert((turn.start_s, last_agent_holds));
                    }
                    Speaker::Agent => {
                        if let Some((from, after_hold)) = since.take() {
                            let wait = (turn.start_s - from).max(0.0);
                            if !excused(after_hold, wait) {
                                max = Some(max.map_or(wait, |m: f64| m.max(wait)));
                            }
                        }
                        last_agent_holds = hold;
                    }
                    Speaker::System | Speaker::Unknown => {}
                }
            }
            max.or(Some(0.0))
                .filter(|_| i.turns.iter().any(|t| t.speaker == Speaker::Agent))
        }
        Metric::LongestSilenceSeconds => {
            let mut order: Vec<usize> = (0..i.turns.len()).collect();
            order.sort_by(|&a, &b| i.turns[a].start_s.total_cmp(&i.turns[b].start_s));
            let mut covered: Option<(f64, usize)> = None;
            let mut longest: f64 = 0.0;
            for n in order {
                let t = &i.turns[n];
                if let Some((end, last)) = covered {
                    let gap = t.start_s - end;
                    if gap > 0.0 && !excused(holds[last], gap) {
                        longest = longest.max(gap);
                    }
                }
                if covered.is_none_or(|(end, _)| t.end_s >= end) {
                    covered = Some((t.end_s, n));
                }
            }
            Some(longest)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interaction::{Roles, Turn};

    fn excuse() -> HoldExcuse {
        HoldExcuse {
            phrases: vec!["请稍等".into(), "我帮您查一下".into()],
            max_seconds: 60.0,
        }
    }

    fn interaction(turns: &[(Speaker, f64, f64, &str)]) -> Interaction {
        Interaction {
            roles: Roles::Known,
            roles_reason: None,
            turns: turns
                .iter()
                .map(|(s, a, b, t)| Turn::new(*s, *a, *b, *t))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_announced_pause_up_to_the_limit_does_not_count() {
        use Speaker::*;
        let i = interaction(&[
            (Agent, 0.0, 2.0, "您好"),
            (Customer, 3.0, 5.0, "查一下订单"),
            (Agent, 6.0, 8.0, "好的，请稍等"),
            (Agent, 48.0, 50.0, "查到了"),
            (Customer, 62.0, 63.0, "那怎么办"),
            (Agent, 75.0, 76.0, "我帮您查一下"),
            (Agent, 170.0, 171.0, "久等了"),
        ]);
        // 8 -> 48 (40 s, announced) is left out; 63 -> 75 (12 s) counts; 76 -> 170
        // (94 s, announced but over 60 s) counts.
        let v = excused_value(&i, Metric::LongestSilenceSeconds, &excuse()).unwrap();
        assert!((v - 94.0).abs() < 1e-9, "{v}");
        let i = interaction(&[
            (Customer, 0.0, 0.0, "在吗"),
            (Agent, 10.0, 10.0, "请稍等"),
            (Customer, 11.0, 11.0, "好"),
            (Agent, 50.0, 50.0, "查到了"),
        ]);
        let v = excused_value(&i, Metric::AgentMaxResponseSeconds, &excuse()).unwrap();
        assert!((v - 10.0).abs() < 1e-9, "{v}");
    }
}
