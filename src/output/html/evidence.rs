//! The report's list of failing interactions: each one collapsible, showing every
//! violation with its evidence — who said what, when, with the matched words marked
//! inside the turn text. The worst [`SHOWN`] are in the page, up to [`MAX_LISTED`]
//! more behind one click; beyond that a note counts them (all are in results.jsonl).

use super::escape::esc;
use super::pager::SHOWN;
use super::text::{clock, kind, put, severity, speaker, when};
use crate::scan::result::{Evidence, InteractionResult, Violation};
use std::collections::HashMap;

/// At most this many failing interactions are listed; the rest are counted (all of
/// them are in `results.jsonl`).
pub const MAX_LISTED: usize = 200;

/// `text` escaped, with `start..end` (byte offsets) wrapped in `<mark>`. Offsets that
/// fall inside a character are widened to whole characters; offsets out of range or
/// an empty span give the plain text.
pub fn highlight(text: &str, start: usize, end: usize) -> String {
    let mut s = start.min(text.len());
    let mut e = end.min(text.len());
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    while !text.is_char_boundary(e) {
        e += 1;
    }
    if s >= e || start >= text.len() {
        return esc(text).to_string();
    }
    format!(
        "{}<mark>{}</mark>{}",
        esc(&text[..s]),
        esc(&text[s..e]),
        esc(&text[e..])
    )
}

/// Failing interactions, fatal first, then lowest score, then by id.
pub fn failing(results: &[InteractionResult]) -> Vec<&InteractionResult> {
    let mut v: Vec<&InteractionResult> = results.iter().filter(|r| !r.passed).collect();
    v.sort_by(|a, b| {
        b.fatal
            .cmp(&a.fatal)
            .then(a.score.cmp(&b.score))
            .then_with(|| a.interaction_id.cmp(&b.interaction_id))
    });
    v
}

/// The [`MAX_LISTED`] worst failing results of a run, kept as they come (in the
/// order [`failing`] sorts them, ties in the order offered), so a run need not
/// keep every result for its report.
#[derive(Default)]
pub struct WorstFailing {
    /// The kept ones, the least bad on top.
    heap: std::collections::BinaryHeap<Ranked>,
    offered: u64,
}

struct Ranked {
    key: (std::cmp::Reverse<bool>, u32, String, u64),
    result: InteractionResult,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl WorstFailing {
    /// Keeps `r` (a failing result) when it is among the worst so far.
    pub fn offer(&mut self, r: InteractionResult) {
        let key = (
            std::cmp::Reverse(r.fatal),
            r.score,
            r.interaction_id.clone(),
            self.offered,
        );
        self.offered += 1;
        if self.heap.len() == MAX_LISTED {
            match self.heap.peek() {
                Some(top) if key < top.key => {
                    self.heap.pop();
                }
                _ => return,
            }
        }
        self.heap.push(Ranked { key, result: r });
    }

    /// The kept results, worst first.
    pub fn into_listed(self) -> Vec<InteractionResult> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.result)
            .collect()
    }
}

/// The section body: one `<details>` per failing interaction. `titles` maps rule ids
/// to titles.
/// `total` is the number of failing interactions in the run (`results` may hold
/// only the listed ones).
pub fn section(
    out: &mut String,
    results: &[InteractionResult],
    total: usize,
    titles: &HashMap<&str, &str>,
) {
    let failing = failing(results);
    if failing.is_empty() {
        out.push_str(
            r#"<p class="empty">本次没有不达标的会话。 No failing interactions in this run.</p>"#,
        );
        return;
    }
    let listed = &failing[..failing.len().min(MAX_LISTED)];
    let (shown, rest) = listed.split_at(listed.len().min(SHOWN));
    for (i, r) in shown.iter().enumerate() {
        // The worst one is open, so the page shows what evidence looks like.
        interaction(out, r, titles, i == 0);
    }
    if !rest.is_empty() {
        put!(
            out,
            r#"<details class="rest"><summary>再列出 {n} 个 · {n} more listed</summary>"#,
            n = rest.len()
        );
        for r in rest {
            interaction(out, r, titles, false);
        }
        out.push_str("</details>");
    }
    let total = total.max(failing.len());
    if total > listed.len() {
        put!(
            out,
            r#"<p class="more">另有 {n} 个不达标会话未列出；results.jsonl 中有全部结果。 {n} more failing interactions are not listed here; results.jsonl has them all.</p>"#,
            n = total - listed.len()
        );
    }
}

fn interaction(out: &mut String, r: &InteractionResult, titles: &HashMap<&str, &str>, open: bool) {
    let score_class = if r.fatal { "score fatal" } else { "score" };
    let open = if open { " open" } else { "" };
    put!(
        out,
        r#"<details class="interaction"{open}><summary><span class="{score_class}">{}</span>"#,
        r.score
    );
    put!(
        out,
        r#"<span class="iid">{}</span>"#,
        esc(&r.interaction_id)
    );
    put!(
        out,
        r#"<span class="meta">坐席 {} · {}"#,
        esc(&r.agent_id),
        esc(&r
            .started_at
            .as_deref()
            .map_or("时间未知 time unknown".into(), when))
    );
    put!(
        out,
        r#" · {} 项违规 violation{}</span>"#,
        r.violations.len(),
        if r.violations.len() == 1 { "" } else { "s" }
    );
    if r.fatal {
        out.push_str(r#"<span class="tag sev-fatal">致命 Fatal</span>"#);
    }
    out.push_str("</summary>");
    put!(
        out,
        r#"<div class="body"><p class="source">来源 Source: <code>{}</code> · 时长 Duration {}</p>"#,
        esc(&r.source),
        clock(r.duration_s)
    );
    // Most severe first; the sort is stable, so equal severities keep their order.
    let mut violations: Vec<&Violation> = r.violations.iter().collect();
    violations.sort_by_key(|v| std::cmp::Reverse(v.severity));
    for v in violations {
        violation(out, v, titles.get(&*v.rule_id).copied());
    }
    out.push_str("</div></details>");
}

fn violation(out: &mut String, v: &Violation, title: Option<&str>) {
    let (sev_label, sev_class) = severity(v.severity);
    put!(
        out,
        r#"<div class="violation"><div class="vhead"><span class="tag sev-{sev_class}">{sev_label}</span>"#
    );
    put!(
        out,
        r#"<span class="rtitle">{}</span><code class="rid">{}</code>"#,
        esc(title.unwrap_or(&v.rule_id)),
        esc(&v.rule_id)
    );
    put!(out, r#"<span class="kind">{}</span>"#, kind(v.kind));
    match v.deduct {
        0 => out.push_str(r#"<span class="deduct zero">不扣分 no deduction</span></div>"#),
        d => put!(out, r#"<span class="deduct">−{d}</span></div>"#),
    }
    if let Some(detail) = &v.detail {
        put!(out, r#"<p class="detail">{}</p>"#, esc(detail));
    }
    if let (Some(value), Some(limit)) = (v.value, v.limit) {
        put!(
            out,
            r#"<p class="detail">测得 Measured <b>{value:.1}</b> · 限值 Limit <b>{limit:.1}</b></p>"#
        );
    }
    if !v.evidence.is_empty() {
        out.push_str(r#"<ol class="evidence">"#);
        for e in &v.evidence {
            evidence(out, e, false);
        }
        out.push_str("</ol>");
    }
    if !v.outside_window.is_empty() {
        out.push_str(r#"<p class="detail">在规定时段之外说出 Said outside the window:</p><ol class="evidence">"#);
        for e in &v.outside_window {
            evidence(out, e, true);
        }
        out.push_str("</ol>");
    }
    out.push_str("</div>");
}

fn evidence(out: &mut String, e: &Evidence, outside: bool) {
    let class = if outside { "ev outside" } else { "ev" };
    let (from, to) = (clock(e.start_s), clock(e.end_s));
    let time = if from == to {
        from
    } else {
        format!("{from}–{to}")
    };
    put!(
        out,
        r#"<li class="{class}"><span class="when">第 {} 句 Turn {} · {} · {time}"#,
        e.turn,
        e.turn,
        speaker(e.speaker)
    );
    if e.fuzzy {
        out.push_str(r#" · <span class="fuzzy">谐音 by sound</span>"#);
    }
    put!(
        out,
        r#"</span><span class="said">{}</span></li>"#,
        highlight(&e.text, e.start_byte, e.end_byte)
    );
}

#[cfg(test)]
mod tests {
    use super::highlight;

    #[test]
    fn marks_the_span_and_escapes_every_part() {
        let t = "<b>这个我也不知道</b>";
        let start = t.find("不知道").unwrap();
        assert_eq!(
            highlight(t, start, start + "不知道".len()),
            "&lt;b&gt;这个我也<mark>不知道</mark>&lt;/b&gt;"
        );
    }

    #[test]
    fn offsets_inside_a_character_widen_to_whole_characters() {
        // "不" is bytes 0..3; 1..4 touches "不" and "知".
        assert_eq!(highlight("不知道", 1, 4), "<mark>不知</mark>道");
    }

    #[test]
    fn bad_offsets_give_plain_text() {
        assert_eq!(highlight("您好", 9, 12), "您好");
        assert_eq!(highlight("您好", 3, 3), "您好");
        assert_eq!(highlight("您好", 6, 3), "您好");
        assert_eq!(highlight("", 0, 5), "");
    }

    #[test]
    fn end_past_the_text_is_clamped() {
        assert_eq!(highlight("a不", 1, 99), "a<mark>不</mark>");
    }
}
