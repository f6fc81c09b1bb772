//! One radar chart per agent: the agent's mean score in each dimension as a polygon
//! over 0..100 axes, with the centre average as a dashed outline to compare with.
//! The worst [`SHOWN`] agents are drawn in the page, the others inside a collapsed
//! `<details>`. The grid, axis labels and centre outline are the same for every
//! agent, so they are drawn once (`<use>` of a local `#radar-grid`); each radar adds
//! only its own polygon, which keeps 400 radars small.

use super::escape::esc;
use super::order::weakest;
use super::pager::SHOWN;
use super::text::put;
use super::weakness::{ranked, short_title};
use crate::aggregate::{AgentTotal, Aggregates};
use std::f64::consts::PI;

const W: f64 = 320.0;
const H: f64 = 190.0;
const CX: f64 = 160.0;
const CY: f64 = 100.0;
const R: f64 = 66.0;
/// Fewer axes than this make no polygon.
pub const MIN_DIMENSIONS: usize = 3;

/// The point at `value` (0..100) on axis `k` of `n`, the first axis pointing up.
fn point(k: usize, n: usize, value: f64) -> (f64, f64) {
    at(k, n, R * value.clamp(0.0, 100.0) / 100.0)
}

/// The point `r` from the centre on axis `k` of `n`.
fn at(k: usize, n: usize, r: f64) -> (f64, f64) {
    let angle = -PI / 2.0 + 2.0 * PI * k as f64 / n as f64;
    (CX + r * angle.cos(), CY + r * angle.sin())
}

fn points(values: &[f64]) -> String {
    let n = values.len();
    let v: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let (x, y) = point(k, n, *v);
            format!("{x:.0},{y:.0}")
        })
        .collect();
    v.join(" ")
}

/// The shared grid: rings at 25/50/75/100, axes, labels, the centre outline.
/// Presentation attributes, not classes: `<use>` copies do not match page CSS
/// everywhere.
fn defs(out: &mut String, titles: &[&str], centre: &[f64]) {
    let n = titles.len();
    out.push_str(r#"<svg class="defs" width="0" height="0" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><defs><g id="radar-grid">"#);
    for ring in [25.0, 50.0, 75.0, 100.0] {
        put!(
            out,
            r##"<polygon points="{}" fill="none" stroke="#dfe5ec" stroke-width="1"/>"##,
            points(&vec![ring; n])
        );
    }
    for (k, t) in titles.iter().enumerate() {
        let (x, y) = point(k, n, 100.0);
        put!(
            out,
            r##"<line x1="{CX}" y1="{CY}" x2="{x:.0}" y2="{y:.0}" stroke="#dfe5ec" stroke-width="1"/>"##
        );
        let (lx, ly) = at(k, n, R + 8.0);
        let anchor = if (lx - CX).abs() < 4.0 {
            "middle"
        } else if lx > CX {
            "start"
        } else {
            "end"
        };
        put!(
            out,
            r##"<text x="{lx:.0}" y="{:.0}" text-anchor="{anchor}" font-size="15" fill="#3b4856">{}</text>"##,
            ly + 4.0,
            esc(t)
        );
    }
    put!(
        out,
        r##"<polygon points="{}" fill="none" stroke="#1f4e8c" stroke-width="1.5" stroke-dasharray="4 3"/>"##,
        points(centre)
    );
    put!(
        out,
        r##"<text x="4" y="{:.0}" font-size="9" fill="#8a96a3">0–100</text></g></defs></svg>"##,
        H - 4.0
    );
}

fn radar(out: &mut String, t: &AgentTotal, titles: &[&str], full: &[String]) {
    let means = &t.stats.dimension_means;
    let tip: Vec<String> = full
        .iter()
        .zip(means)
        .map(|(d, m)| format!("{d} {m:.1}"))
        .collect();
    put!(
        out,
        r##"<figure class="radar"><svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{} 维度雷达图 dimension radar" xmlns="http://www.w3.org/2000/svg"><title>{} · {}</title><use href="#radar-grid"/><polygon class="me" points="{}"/></svg>"##,
        esc(&t.agent_id),
        esc(&t.agent_id),
        esc(&tip.join(" · ")),
        points(means)
    );
    put!(out, r#"<figcaption><b>{}</b>"#, esc(&t.agent_id));
    if !t.name.is_empty() {
        put!(out, " {}", esc(&t.name));
    }
    put!(
        out,
        r#"<span>平均 Mean {}"#,
        t.stats
            .mean_score
            .map(|m| format!("{m:.1}"))
            .unwrap_or_else(|| "–".into())
    );
    if let Some(w) = weakest(means).and_then(|(k, _)| titles.get(k)) {
        put!(out, r#" · 最弱 weakest <em>{}</em>"#, esc(w));
    }
    out.push_str("</span></figcaption></figure>");
}

/// The section body: the worst [`SHOWN`] radars, then the rest collapsed.
pub fn section(out: &mut String, a: &Aggregates) {
    let n = a.dimensions.len();
    if n < MIN_DIMENSIONS {
        out.push_str(r#"<p class="empty">维度少于 3 个，无法绘制雷达图。 Fewer than three dimensions: no radar to draw.</p>"#);
        return;
    }
    let agents: Vec<&AgentTotal> = ranked(a)
        .into_iter()
        .filter(|t| t.stats.dimension_means.len() == n)
        .collect();
    if agents.is_empty() {
        out.push_str(r#"<p class="empty">暂无数据 No data.</p>"#);
        return;
    }
    let titles: Vec<&str> = a.dimensions.iter().map(|d| short_title(&d.title)).collect();
    let full: Vec<String> = a.dimensions.iter().map(|d| d.title.clone()).collect();
    let centre = if a.totals.stats.dimension_means.len() == n {
        a.totals.stats.dimension_means.clone()
    } else {
        vec![100.0; n]
    };
    defs(out, &titles, &centre);
    let (shown, rest) = agents.split_at(SHOWN.min(agents.len()));
    out.push_str(r#"<div class="radars">"#);
    for t in shown {
        radar(out, t, &titles, &full);
    }
    out.push_str("</div>");
    if !rest.is_empty() {
        put!(
            out,
            r#"<details class="rest"><summary>其余 {n} 位坐席的雷达图 · Radars of the other {n} agents</summary><div class="radars">"#,
            n = rest.len()
        );
        for t in rest {
            radar(out, t, &titles, &full);
        }
        out.push_str("</div></details>");
    }
}
