//! The report's two inline SVG bar charts: adherence per agent with its 95% interval
//! as an error bar (the lowest few only: at 400 agents a bar each would be a page
//! of its own), and hit rate per rule. Plain SVG, no script, so the page renders
//! anywhere, prints, and works offline.

use super::escape::esc;
use super::order::worst_first;
use super::text::{fit, pct, put, severity};
use crate::aggregate::{AgentTotal, RuleStat};

const WIDTH: f64 = 920.0;

/// Horizontal layout shared by both charts: label column, bar area, value column.
struct Frame {
    label_w: f64,
    bar_x: f64,
    bar_w: f64,
    row_h: f64,
    top: f64,
}

impl Frame {
    fn x(&self, fraction: f64) -> f64 {
        self.bar_x + self.bar_w * fraction.clamp(0.0, 1.0)
    }

    fn height(&self, rows: usize) -> f64 {
        self.top + self.row_h * rows as f64 + 8.0
    }

    /// Vertical grid lines at 0, 25, 50, 75, 100% with labels on top.
    fn grid(&self, out: &mut String, rows: usize) {
        let bottom = self.top + self.row_h * rows as f64;
        for i in 0..=4 {
            let f = f64::from(i) / 4.0;
            let x = self.x(f);
            put!(
                out,
                r#"<line class="grid" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{bottom:.1}"/>"#,
                self.top - 4.0
            );
            put!(
                out,
                r#"<text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">{}%</text>"#,
                self.top - 10.0,
                i * 25
            );
        }
    }
}

impl Frame {
    /// Opens the chart's `<svg>` for `rows` rows and draws the grid.
    fn open(&self, out: &mut String, rows: usize, label: &str) {
        let height = self.height(rows);
        put!(
            out,
            r#"<svg class="chart" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
            esc(label)
        );
        self.grid(out, rows);
    }
}

/// Sorts rows by `rate` (none counts as 0), highest first, ties by `id`.
fn best_first<T>(rows: &mut [&T], rate: impl Fn(&T) -> Option<f64>, id: impl Fn(&T) -> &str) {
    rows.sort_by(|a, b| {
        let (ra, rb) = (rate(a).unwrap_or(0.0), rate(b).unwrap_or(0.0));
        rb.total_cmp(&ra).then_with(|| id(a).cmp(id(b)))
    });
}

/// Adherence rate of the `max` agents with the lowest rate, lowest first, with the
/// Wilson interval and the pass count; a dashed line marks the overall rate. Returns
/// how many agents had interactions (drawn or not).
pub fn agents(out: &mut String, agents: &[AgentTotal], overall: Option<f64>, max: usize) -> usize {
    let mut rows: Vec<&AgentTotal> = agents.iter().filter(|a| a.stats.assessed > 0).collect();
    rows.sort_by(|a, b| {
        let (ra, rb) = (
            a.stats.adherence_rate.unwrap_or(0.0),
            b.stats.adherence_rate.unwrap_or(0.0),
        );
        ra.total_cmp(&rb)
            .then_with(|| worst_first(&a.stats, &b.stats))
            .then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    let all = rows.len();
    rows.truncate(max);
    let f = Frame {
        label_w: 150.0,
        bar_x: 160.0,
        bar_w: 600.0,
        row_h: 30.0,
        top: 28.0,
    };
    f.open(out, rows.len(), "坐席达标率 Adherence by agent");
    for (i, a) in rows.iter().enumerate() {
        let s = &a.stats;
        let rate = s.adherence_rate.unwrap_or(0.0);
        let y = f.top + f.row_h * i as f64;
        let mid = y + f.row_h / 2.0;
        let tip = match s.wilson {
            Some(w) => format!(
                "{}: {} ({}/{}), 95% CI {}–{}",
                a.agent_id,
                pct(rate),
                s.passed,
                s.assessed,
                pct(w.low),
                pct(w.high)
            ),
            None => a.agent_id.clone(),
        };
        let label = if a.name.is_empty() {
            a.agent_id.clone()
        } else {
            format!("{} {}", a.agent_id, a.name)
        };
        put!(out, r#"<g><title>{}</title>"#, esc(&tip));
        if i % 2 == 1 {
            put!(
                out,
                r#"<rect class="stripe" x="0" y="{y:.1}" width="{WIDTH}" height="{:.1}"/>"#,
                f.row_h
            );
        }
        put!(
            out,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            f.label_w,
            mid + 4.5,
            esc(&fit(&label, f.label_w - 8.0))
        );
        put!(
            out,
            r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="14" rx="2"/>"#,
            f.bar_x,
            mid - 7.0,
            f.x(rate) - f.bar_x
        );
        if let Some(w) = s.wilson {
            let (x1, x2) = (f.x(w.low), f.x(w.high));
            put!(
                out,
                r#"<line class="err" x1="{x1:.1}" y1="{mid:.1}" x2="{x2:.1}" y2="{mid:.1}"/>"#
            );
            for x in [x1, x2] {
                put!(
                    out,
                    r#"<line class="err" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/>"#,
                    mid - 5.0,
                    mid + 5.0
                );
            }
        }
        put!(
            out,
            r#"<text class="value" x="{:.1}" y="{:.1}">{} <tspan class="muted">{}/{}</tspan></text></g>"#,
            f.bar_x + f.bar_w + 12.0,
            mid + 4.5,
            pct(rate),
            s.passed,
            s.assessed
        );
    }
    if let Some(rate) = overall.filter(|_| !rows.is_empty()) {
        let x = f.x(rate);
        put!(
            out,
            r#"<line class="overall" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"><title>整体 Overall {}</title></line>"#,
            f.top - 4.0,
            f.top + f.row_h * rows.len() as f64,
            pct(rate)
        );
    }
    out.push_str("</svg>");
    all
}

/// Share of assessed interactions that broke each rule, most broken first; bars are
/// coloured by severity. Rules never checked are left out.
pub fn rules(out: &mut String, rules: &[RuleStat]) {
    let mut rows: Vec<&RuleStat> = rules.iter().filter(|r| r.assessed > 0).collect();
    best_first(&mut rows, |r| r.hit_rate, |r| &r.rule_id);
    let f = Frame {
        label_w: 290.0,
        bar_x: 300.0,
        bar_w: 340.0,
        row_h: 38.0,
        top: 28.0,
    };
    f.open(out, rows.len(), "规则命中率 Rule hit rates");
    for (i, r) in rows.iter().enumerate() {
        let rate = r.hit_rate.unwrap_or(0.0);
        let y = f.top + f.row_h * i as f64;
        let mid = y + f.row_h / 2.0;
        let (sev_label, sev_class) = severity(r.severity);
        put!(
            out,
            r#"<g><title>{} · {} · {}: {} ({}/{}), {} hits</title>"#,
            esc(&r.rule_id),
            esc(&r.title),
            sev_label,
            pct(rate),
            r.interactions_violated,
            r.assessed,
            r.hits
        );
        if i % 2 == 1 {
            put!(
                out,
                r#"<rect class="stripe" x="0" y="{y:.1}" width="{WIDTH}" height="{:.1}"/>"#,
                f.row_h
            );
        }
        put!(
            out,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            f.label_w,
            mid - 2.0,
            esc(&fit(&r.title, f.label_w - 8.0))
        );
        put!(
            out,
            r#"<text class="sublabel" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            f.label_w,
            mid + 12.0,
            esc(&fit(&r.rule_id, (f.label_w - 8.0) * 1.2))
        );
        put!(
            out,
            r#"<rect class="bar sev-{sev_class}" x="{:.1}" y="{:.1}" width="{:.1}" height="14" rx="2"/>"#,
            f.bar_x,
            mid - 7.0,
            f.x(rate) - f.bar_x
        );
        put!(
            out,
            r#"<text class="value" x="{:.1}" y="{:.1}">{} <tspan class="muted">{}/{} · {} 次 hits</tspan></text></g>"#,
            f.bar_x + f.bar_w + 12.0,
            mid + 4.5,
            pct(rate),
            r.interactions_violated,
            r.assessed,
            r.hits
        );
    }
    out.push_str("</svg>");
}
