//! The rule conditions that need a whole interaction: `after` (a window that opens at
//! each trigger) and `all-of` (every group said). The matcher has found the hits,
//! the groups they belong to and the triggers; this decides what counts and what a
//! required rule is missing, with evidence a reviewer can follow.

use crate::interaction::Interaction;
use crate::rules::conditions::{Trigger, TriggerWindow};
use crate::rules::Rule;
use crate::scan::matcher::{speaker_matches, RuleHits};
use crate::scan::result::Evidence;

/// Whether `hit` comes inside the window `trigger` opens.
pub fn answers(
    rule: &Rule,
    t: &Trigger,
    trigger: &Evidence,
    hit: &Evidence,
    i: &Interaction,
) -> bool {
    let after =
        hit.turn > trigger.turn || (hit.turn == trigger.turn && hit.start_byte >= trigger.end_byte);
    if !after {
        return false;
    }
    match t.window {
        TriggerWindow::Seconds(s) => hit.start_s - trigger.end_s <= s + 1e-9,
        TriggerWindow::Turns(n) => {
            // Turns of the rule's speaker after the trigger's turn, up to the hit's.
            let seen = i
                .turns
                .iter()
                .enumerate()
                .skip(trigger.turn)
                .take(hit.turn.saturating_sub(trigger.turn))
                .filter(|(_, turn)| speaker_matches(rule.speaker, turn.speaker, i.roles))
                .count();
            hit.turn == trigger.turn || (1..=n).contains(&seen)
        }
    }
}

/// A forbidden rule with `after`: only hits inside a trigger's window count; the
/// others move to `outside_window`.
pub fn forbidden_after(rule: &Rule, hits: &mut RuleHits, i: &Interaction) {
    let Some(t) = &rule.conditions.after else {
        return;
    };
    let counted = std::mem::take(&mut hits.counted);
    let groups = std::mem::take(&mut hits.counted_groups);
    for (hit, g) in counted.into_iter().zip(groups) {
        if hits.triggers.iter().any(|tr| answers(rule, t, tr, &hit, i)) {
            hits.counted.push(hit);
            hits.counted_groups.push(g);
        } else {
            hits.outside_window.push(hit);
        }
    }
}

/// What a required rule with conditions is missing: `None` when satisfied, else the
/// evidence (unanswered triggers, or the hits found) and a sentence saying what is
/// missing.
pub fn required_missing(
    rule: &Rule,
    hits: &RuleHits,
    i: &Interaction,
) -> Option<(Vec<Evidence>, String)> {
    let groups = rule.conditions.all_of.len().max(1);
    let covers = |hits: &mut dyn Iterator<Item = u16>| {
        let mut seen = vec![false; groups];
        for g in hits {
            seen[usize::from(g.saturating_sub(1)).min(groups - 1)] = true;
        }
        seen
    };
    match &rule.conditions.after {
        Some(t) => {
            let unanswered: Vec<Evidence> = hits
                .triggers
                .iter()
                .filter(|tr| {
                    let mut in_window = hits
                        .counted
                        .iter()
                        .zip(&hits.counted_groups)
                        .filter(|(h, _)| answers(rule, t, tr, h, i))
                        .map(|(_, g)| *g);
                    covers(&mut in_window).contains(&false)
                })
                .map(|tr| Evidence {
                    text: i
                        .turns
                        .get(tr.turn - 1)
                        .map_or_else(String::new, |t| t.text.clone()),
                    ..tr.clone()
                })
                .collect();
            let first = unanswered.first()?;
            let within_zh = match t.window {
                TriggerWindow::Turns(n) => format!("{n} 轮"),
                TriggerWindow::Seconds(s) => format!("{s} 秒"),
            };
            let (more_zh, more) = match unanswered.len() {
                1 => (String::new(), String::new()),
                n => (
                    format!("，共 {n} 处未回应"),
                    format!("; {n} trigger(s) unanswered"),
                ),
            };
            let detail = format!(
                "{}：“{}”（第 {} 轮）之后 {within_zh}内没有回应{more_zh}。 No answer in the {} after \"{}\" (turn {}){more}.",
                rule.title, first.matched, first.turn, t.window, first.matched, first.turn,
            );
            Some((unanswered, detail))
        }
        None => {
            let seen = covers(&mut hits.counted_groups.iter().copied());
            let missing: Vec<String> = rule
                .conditions
                .all_of
                .iter()
                .zip(&seen)
                .filter(|(_, seen)| !**seen)
                .map(|(g, _)| g.join("/"))
                .collect();
            if missing.is_empty() {
                None
            } else {
                let missing = missing.join("，");
                Some((
                    hits.counted.clone(),
                    format!("{}：缺少 {missing}。 Missing {missing}.", rule.title),
                ))
            }
        }
    }
}
