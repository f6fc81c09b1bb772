//! 短板: which dimension each agent is weakest in. An agent x dimension table over
//! the whole run, worst agent first: each cell the agent's mean dimension score,
//! shaded darker the lower it is, the agent's weakest dimension marked; the centre
//! average on top for comparison. Only when the ruleset has dimensions.

use super::cells;
use super::escape::esc;
use super::order::{weakest, worst_first};
use super::pager::{self, SHOWN};
use super::text::put;
use crate::aggregate::{AgentTotal, Aggregates};

/// Agents with interactions, worst first.
pub fn ranked(a: &Aggregates) -> Vec<&AgentTotal> {
    let mut v: Vec<&AgentTotal> = a
        .agent_totals
        .iter()
        .filter(|x| x.stats.assessed > 0)
        .collect();
    v.sort_by(|x, y| worst_first(&x.stats, &y.stats).then_with(|| x.agent_id.cmp(&y.agent_id)));
    v
}

/// The short name of a dimension for tight places: the Chinese part of
/// "服务态度 Attitude", or the whole title when it has no such part.
pub fn short_title(title: &str) -> &str {
    match title.split_once(' ') {
        Some((zh, _)) if !zh.is_ascii() => zh,
        _ => title,
    }
}

/// The section body; nothing (the caller leaves the section out) without dimensions.
pub fn section(out: &mut String, a: &Aggregates) {
    let dims = &a.dimensions;
    let agents = ranked(a);
    if agents.is_empty() {
        out.push_str(r#"<p class="empty">暂无数据 No data.</p>"#);
        return;
    }
    let mut head = String::from(
        r#"<tr><th class="num">#</th><th>坐席 Agent</th><th class="num">平均分 Mean</th>"#,
    );
    cells::dimension_heads(&mut head, dims);
    head.push_str(
        r#"<th>最弱维度 Weakest</th><th>团队 Team</th><th class="num">质检 Assessed</th></tr>"#,
    );
    let mut rows = Vec::with_capacity(agents.len() + 1);
    let centre = &a.totals.stats;
    let mut row =
        String::from(r#"<tr class="centre"><td></td><td class="who"><b>中心平均 Centre</b></td>"#);
    cells::mean(&mut row, centre);
    cells::dimensions(&mut row, &centre.dimension_means, dims.len(), None);
    put!(
        row,
        r#"<td></td><td></td><td class="num">{}</td></tr>"#,
        centre.assessed
    );
    rows.push(row);
    for (i, t) in agents.iter().enumerate() {
        let s = &t.stats;
        let weak = weakest(&s.dimension_means);
        let mut row = String::new();
        put!(row, r#"<tr><td class="num muted">{}</td>"#, i + 1);
        cells::agent(&mut row, &t.agent_id, &t.name);
        cells::mean(&mut row, s);
        cells::dimensions(&mut row, &s.dimension_means, dims.len(), weak.map(|w| w.0));
        match weak.and_then(|(k, _)| dims.get(k)) {
            Some(d) => put!(row, r#"<td class="weakest">{}</td>"#, esc(&d.title)),
            None => row.push_str(r#"<td class="muted">–</td>"#),
        }
        put!(
            row,
            r#"<td class="team">{}</td><td class="num">{}</td></tr>"#,
            esc(&t.team),
            s.assessed
        );
        rows.push(row);
    }
    let (shown, rest) = pager::split(&rows, SHOWN + 1);
    pager::table(out, "weakness", &head, shown, rest, ("位坐席", "agents"));
    out.push_str(r#"<p class="legend"><span class="swatch lv0"></span>≥95 <span class="swatch lv1"></span>90–95 <span class="swatch lv2"></span>80–90 <span class="swatch lv3"></span>70–80 <span class="swatch lv4"></span>60–70 <span class="swatch lv5"></span>&lt;60 · <i class="weakmark">▼</i> 该坐席最弱的维度 the agent's weakest dimension</p>"#);
}
