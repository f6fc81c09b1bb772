//! The sample coverage section: per agent and week, how many interactions there were,
//! how many were selected for QA review, and that share against the review target.
//! An agent x week matrix (totals per agent and per week) whose cells show the share,
//! the counts and a small meter with the target marked; cells below target stand out.

use super::escape::esc;
use super::text::{opt_pct, put, target_pct};
use crate::output::SampleCoverage;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// A share this close under the target still meets it (float noise).
const TOLERANCE: f64 = 1e-9;

/// Weeks in order, `unknown` (or anything that is not an ISO week) last.
fn week_order(a: &str, b: &str) -> Ordering {
    let dated = |w: &str| w.as_bytes().first().is_some_and(u8::is_ascii_digit);
    dated(b).cmp(&dated(a)).then_with(|| a.cmp(b))
}

/// Interactions and sampled ones.
type Count = (usize, usize);

fn sum(counts: impl Iterator<Item = Count>) -> Count {
    counts.fold((0, 0), |(n, s), (a, b)| (n + a, s + b))
}

/// Whether `sampled` of `interactions` falls short of `target`.
fn below((interactions, sampled): Count, target: f64) -> bool {
    interactions > 0 && (sampled as f64 / interactions as f64) + TOLERANCE < target
}

/// The full width of the cell meters for `target`: twice the target (so the target
/// tick sits in the middle), at most 100%.
pub fn meter_scale(target: f64) -> f64 {
    (2.0 * target).clamp(0.01, 1.0)
}

/// The target and the meters' full width ([`meter_scale`]).
struct Target {
    rate: f64,
    scale: f64,
}

impl Target {
    fn new(rate: f64) -> Target {
        Target {
            rate,
            scale: meter_scale(rate),
        }
    }

    /// One cell: the share, sampled/interactions, and a meter with the target tick.
    fn cell(&self, out: &mut String, who: &str, week: &str, count: Count, class: &str) {
        let (n, s) = count;
        let share = (n > 0).then(|| s as f64 / n as f64);
        let tip = format!(
            "{who} · {week}: {s}/{n} 抽检 sampled ({}), 目标 target {}",
            opt_pct(share),
            target_pct(self.rate)
        );
        put!(
            out,
            r#"<td class="cov{}{class}" title="{}"><div class="covline"><b>{}</b><span>{s}/{n}</span></div>"#,
            if below(count, self.rate) { " low" } else { "" },
            esc(&tip),
            opt_pct(share)
        );
        put!(
            out,
            r#"<div class="meter cov"><div style="width:{:.1}%"></div><i style="left:{:.1}%"></i></div></td>"#,
            (share.unwrap_or(0.0) / self.scale).clamp(0.0, 1.0) * 100.0,
            (self.rate / self.scale).clamp(0.0, 1.0) * 100.0
        );
    }
}

/// The section body for `rows` (any order), measured against `target` (0..1): a
/// summary, then an agent x week matrix with a total per agent and per week.
pub fn section(out: &mut String, rows: &[SampleCoverage], target: f64) {
    let mut weeks: Vec<&str> = rows.iter().map(|c| c.week.as_str()).collect();
    weeks.sort_by(|a, b| week_order(a, b));
    weeks.dedup();
    let mut cells: BTreeMap<&str, HashMap<&str, Count>> = BTreeMap::new();
    for c in rows {
        let cell = cells
            .entry(c.agent_id.as_str())
            .or_default()
            .entry(c.week.as_str())
            .or_default();
        *cell = sum([*cell, (c.interactions, c.sampled)].into_iter());
    }
    let all = sum(rows.iter().map(|c| (c.interactions, c.sampled)));
    let short = cells
        .values()
        .flat_map(|w| w.values())
        .filter(|c| below(**c, target))
        .count();
    summary(out, all, short, target);

    let t = Target::new(target);
    out.push_str(
        r#"<div class="scroll"><table class="data coverage"><thead><tr><th>坐席 Agent</th>"#,
    );
    for w in &weeks {
        put!(out, r#"<th>{}</th>"#, esc(w));
    }
    out.push_str(r#"<th class="total">合计 Total</th></tr></thead><tbody>"#);
    for (agent, by_week) in &cells {
        put!(out, r#"<tr><th scope="row">{}</th>"#, esc(agent));
        for w in &weeks {
            match by_week.get(w) {
                Some(&count) => t.cell(out, agent, w, count, ""),
                None => out.push_str(r#"<td class="muted">–</td>"#),
            }
        }
        t.cell(
            out,
            agent,
            "合计 total",
            sum(by_week.values().copied()),
            " total",
        );
        out.push_str("</tr>");
    }
    out.push_str(r#"</tbody><tfoot><tr><th scope="row">团队 Team</th>"#);
    for w in &weeks {
        let count = sum(cells.values().filter_map(|by| by.get(w).copied()));
        t.cell(out, "团队 Team", w, count, "");
    }
    t.cell(out, "团队 Team", "合计 total", all, " total");
    out.push_str("</tr></tfoot></table></div>");
}

fn summary(out: &mut String, (n, s): Count, short: usize, target: f64) {
    let share = (n > 0).then(|| s as f64 / n as f64);
    put!(
        out,
        r#"<div class="covsum"><div><b>{s}</b> / {n}<span>抽检 / 会话 Sampled / interactions</span></div><div><b>{}</b><span>整体覆盖率 Overall share</span></div><div><b>{}</b><span>目标 Target</span></div><div class="{}"><b>{short}</b><span>低于目标 Agent-weeks below target</span></div></div>"#,
        opt_pct(share),
        target_pct(target),
        if short > 0 { "warn" } else { "good" }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_sort_by_date_with_unknown_last() {
        let mut w = ["unknown", "2027-W01", "2026-W52"];
        w.sort_by(|a, b| week_order(a, b));
        assert_eq!(w, ["2026-W52", "2027-W01", "unknown"]);
    }

    #[test]
    fn a_stratum_at_the_target_is_not_below_it() {
        assert!(!below((10, 2), 0.2));
        assert!(!below((15, 3), 0.2), "3/15 is 0.2 give or take float noise");
        assert!(below((11, 2), 0.2));
        assert!(!below((0, 0), 0.2), "no interactions: nothing to sample");
    }
}
