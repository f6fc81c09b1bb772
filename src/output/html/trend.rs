//! The trend: adherence per period (ISO week, month or quarter) for the whole centre
//! (a bold line with its 95% interval as a shaded band) and for the worst
//! [`MAX_AGENT_LINES`] agents (thin lines, one colour each, with a legend), as an
//! inline SVG line chart; at 400 agents, 400 lines and a 400-entry legend would say
//! nothing, so a note counts the agents left out. Every point carries its value in an
//! SVG `<title>`, shown on hover; CSS alone highlights the line under the pointer.
//! Interactions without a usable start time (period `unknown`) have no place on a
//! time axis: they are left out, and a note says how many.

use super::escape::esc;
use super::order::worst_first;
use super::periods::kind_names;
use super::text::{pct, put};
use crate::aggregate::{Aggregates, Period, Stats};
use std::collections::HashMap;

/// At most this many agents get a line: the worst over the whole run.
pub const MAX_AGENT_LINES: usize = 5;
/// The label of the centre's line.
pub const CENTRE: &str = "中心 Centre";

const WIDTH: f64 = 920.0;
/// Plot area: left of it the y labels, below it the week labels.
const LEFT: f64 = 56.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 24.0;
const PLOT_H: f64 = 240.0;
const BOTTOM: f64 = 44.0;
/// Space between the plot's edges and the first and last week.
const INSET: f64 = 28.0;
/// Agent line colours (CSS classes `s0`…`s9`), reused in turn.
pub const PALETTE: usize = 10;
/// At most about this many weeks are labelled on the x axis (always the latest);
/// every week keeps its points.
const MAX_X_LABELS: usize = 13;

/// One line: a label and its points as (week index, stats).
struct Series<'a> {
    label: &'a str,
    points: Vec<(usize, &'a Stats)>,
}

/// Geometry of the chart for `n` weeks.
struct Axes {
    n: usize,
}

impl Axes {
    fn x(&self, i: usize) -> f64 {
        let (from, to) = (LEFT + INSET, WIDTH - RIGHT - INSET);
        if self.n <= 1 {
            (from + to) / 2.0
        } else {
            from + (to - from) * i as f64 / (self.n - 1) as f64
        }
    }

    fn y(&self, rate: f64) -> f64 {
        TOP + PLOT_H * (1.0 - rate.clamp(0.0, 1.0))
    }

    /// Whether week `i` gets a label: every `step`-th week counted back from the latest.
    fn labelled(&self, i: usize) -> bool {
        let step = self.n.div_ceil(MAX_X_LABELS).max(1);
        (self.n - 1 - i) % step == 0
    }
}

/// The section body: chart, legend, and notes on single or unknown weeks.
pub fn section(out: &mut String, a: &Aggregates) {
    let weeks: Vec<(Period, &Stats)> = a
        .periods
        .iter()
        .filter(|w| w.period != Period::Unknown && w.stats.assessed > 0)
        .map(|w| (w.period, &w.stats))
        .collect();
    let unknown: usize = a
        .periods
        .iter()
        .filter(|w| w.period == Period::Unknown)
        .map(|w| w.stats.assessed)
        .sum();
    if weeks.is_empty() {
        out.push_str(r#"<p class="empty">暂无带日期的会话，无法显示趋势。 No dated interactions: there is no trend to show.</p>"#);
    } else {
        let index: HashMap<Period, usize> = weeks
            .iter()
            .enumerate()
            .map(|(i, (w, _))| (*w, i))
            .collect();
        let team = Series {
            label: CENTRE,
            points: weeks
                .iter()
                .enumerate()
                .map(|(i, (_, s))| (i, *s))
                .collect(),
        };
        let mut agents: Vec<Series> = Vec::new();
        for row in &a.agents {
            let Some(&i) = index.get(&row.period) else {
                continue;
            };
            if row.stats.assessed == 0 {
                continue;
            }
            match agents.last_mut() {
                Some(s) if s.label == row.agent_id => s.points.push((i, &row.stats)),
                _ => agents.push(Series {
                    label: &row.agent_id,
                    points: vec![(i, &row.stats)],
                }),
            }
        }
        for s in &mut agents {
            s.points.sort_by_key(|(i, _)| *i);
        }
        let drawn_of = agents.len();
        let totals: HashMap<&str, &Stats> = a
            .agent_totals
            .iter()
            .map(|t| (t.agent_id.as_str(), &t.stats))
            .collect();
        agents.sort_by(|x, y| match (totals.get(x.label), totals.get(y.label)) {
            (Some(sx), Some(sy)) => worst_first(sx, sy).then_with(|| x.label.cmp(y.label)),
            _ => x.label.cmp(y.label),
        });
        agents.truncate(MAX_AGENT_LINES);
        let labels: Vec<String> = weeks.iter().map(|(w, _)| w.to_string()).collect();
        let banded = chart(out, &labels, &team, &agents);
        legend(out, &agents, banded);
        if drawn_of > agents.len() {
            put!(
                out,
                r#"<p class="note">只画出平均分最低的 {} 位坐席；另有 {} 位未画出，见下方考核表。 Only the {} agents with the lowest mean score are drawn; {} more are in the assessment tables below.</p>"#,
                agents.len(),
                drawn_of - agents.len(),
                agents.len(),
                drawn_of - agents.len()
            );
        }
        if weeks.len() == 1 {
            let (zh, en) = kind_names(a.period_kind);
            put!(
                out,
                r#"<p class="note">目前只有一{zh}的数据；至少两{zh}才能看出趋势。 Only one {en} so far: a trend needs two or more.</p>"#
            );
        }
    }
    if unknown > 0 {
        put!(
            out,
            r#"<p class="note">另有 {unknown} 个会话没有可用的开始时间（周期 unknown），未计入趋势。 {unknown} interactions without a usable start time (period unknown) are left out of the trend.</p>"#
        );
    }
}

/// The SVG; whether it has the team's interval band.
fn chart(out: &mut String, weeks: &[String], team: &Series<'_>, agents: &[Series<'_>]) -> bool {
    let ax = Axes { n: weeks.len() };
    let height = TOP + PLOT_H + BOTTOM;
    put!(
        out,
        r#"<svg class="chart trend" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-label="达标率趋势 Adherence trend" xmlns="http://www.w3.org/2000/svg">"#
    );
    for i in 0..=4 {
        let rate = f64::from(i) / 4.0;
        let y = ax.y(rate);
        put!(
            out,
            r#"<line class="{}" x1="{LEFT:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/>"#,
            if i == 0 { "axis" } else { "grid" },
            WIDTH - RIGHT
        );
        put!(
            out,
            r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}%</text>"#,
            LEFT - 8.0,
            y + 4.0,
            i * 25
        );
    }
    let base = TOP + PLOT_H;
    for (i, (week, (_, stats))) in weeks.iter().zip(&team.points).enumerate() {
        if !ax.labelled(i) {
            continue;
        }
        let x = ax.x(i);
        put!(
            out,
            r#"<line class="axis" x1="{x:.1}" y1="{base:.1}" x2="{x:.1}" y2="{:.1}"/>"#,
            base + 4.0
        );
        put!(
            out,
            r#"<text class="tick week" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            base + 18.0,
            esc(week)
        );
        put!(
            out,
            r#"<text class="tick" x="{x:.1}" y="{:.1}" text-anchor="middle">n={}</text>"#,
            base + 33.0,
            stats.assessed
        );
    }
    let banded = band(out, &ax, team);
    for (k, s) in agents.iter().enumerate() {
        series(out, &ax, weeks, s, &format!("agent s{}", k % PALETTE), 3.2);
    }
    series(out, &ax, weeks, team, "team", 4.5);
    for (i, s) in &team.points {
        if let Some(rate) = s.adherence_rate.filter(|_| ax.labelled(*i)) {
            put!(
                out,
                r#"<text class="point-value" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                ax.x(*i),
                ax.y(rate) - 11.0,
                pct(rate)
            );
        }
    }
    out.push_str("</svg>");
    banded
}

/// The team's 95% Wilson interval as a shaded band (from two weeks on); whether
/// there was one.
fn band(out: &mut String, ax: &Axes, team: &Series<'_>) -> bool {
    let iv: Vec<(usize, f64, f64)> = team
        .points
        .iter()
        .filter_map(|(i, s)| s.wilson.map(|w| (*i, w.low, w.high)))
        .collect();
    if iv.len() < 2 {
        return false;
    }
    let mut pts = String::new();
    for (i, _, high) in &iv {
        put!(pts, "{:.1},{:.1} ", ax.x(*i), ax.y(*high));
    }
    for (i, low, _) in iv.iter().rev() {
        put!(pts, "{:.1},{:.1} ", ax.x(*i), ax.y(*low));
    }
    put!(
        out,
        r#"<polygon class="ci" points="{}"><title>中心 95% 置信区间 Centre 95% interval</title></polygon>"#,
        pts.trim_end()
    );
    true
}

fn series(out: &mut String, ax: &Axes, weeks: &[String], s: &Series<'_>, class: &str, r: f64) {
    let pts: Vec<(usize, f64, &Stats)> = s
        .points
        .iter()
        .filter_map(|(i, st)| st.adherence_rate.map(|rate| (*i, rate, *st)))
        .collect();
    let line: Vec<String> = pts
        .iter()
        .map(|(i, rate, _)| format!("{:.1},{:.1}", ax.x(*i), ax.y(*rate)))
        .collect();
    put!(
        out,
        r#"<g class="series {class}"><polyline class="line" points="{}"><title>{}</title></polyline>"#,
        line.join(" "),
        esc(s.label)
    );
    for (i, rate, st) in &pts {
        let tip = format!(
            "{} · {}: {} ({}/{})",
            s.label,
            weeks[*i],
            pct(*rate),
            st.passed,
            st.assessed
        );
        put!(
            out,
            r#"<circle cx="{:.1}" cy="{:.1}" r="{r}"><title>{}</title></circle>"#,
            ax.x(*i),
            ax.y(*rate),
            esc(&tip)
        );
    }
    out.push_str("</g>");
}

fn legend(out: &mut String, agents: &[Series<'_>], banded: bool) {
    put!(
        out,
        r#"<p class="legend trend-legend"><span class="item"><span class="key team"></span>{CENTRE}</span>"#
    );
    if banded {
        out.push_str(
            r#"<span class="item"><span class="key ci"></span>中心 95% 区间 Centre interval</span>"#,
        );
    }
    for (k, s) in agents.iter().enumerate() {
        put!(
            out,
            r#"<span class="item"><span class="key s{}"></span>{}</span>"#,
            k % PALETTE,
            esc(s.label)
        );
    }
    out.push_str("</p>");
}
