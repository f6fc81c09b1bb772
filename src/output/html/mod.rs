//! `report.html`: one self-contained page a QA lead opens every Monday — run header,
//! totals, adherence per agent, the weekly trend, rule hit rates, agents per week,
//! sample coverage (when the run sampled), and the failing interactions with their
//! evidence. Inline CSS and SVG only: no script, no fonts or images from the network,
//! so it can be mailed, archived and opened offline.
//!
//! The page is assembled with `write!` into a `String`; every piece of data passes
//! through [`escape::esc`]. A template crate would add a build-time dependency and a
//! second language for a page this small; the sections are plain functions instead.

pub mod charts;
pub mod coverage;
pub mod escape;
pub mod evidence;
pub mod text;
pub mod trend;

use self::escape::esc;
use self::text::{coefficient, opt_pct, pct, put, target_pct, when};
use super::{RunSummary, SampleCoverage};
use crate::aggregate::{Aggregates, Period, Stats};
use crate::scan::result::{InputErrorLine, InteractionResult};
use std::collections::HashMap;

const STYLE: &str = include_str!("style.css");

/// Everything the page shows.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    pub summary: &'a RunSummary,
    pub aggregates: &'a Aggregates,
    /// All results of the run (turns are not needed; evidence carries its text).
    pub results: &'a [InteractionResult],
    pub input_errors: &'a [InputErrorLine],
    /// Sampled / all interactions per agent and week; empty when the run did not
    /// sample, and then the page has no coverage section.
    pub sample_coverage: &'a [SampleCoverage],
    /// The share of each agent-week meant for review (0..1), marked in that section.
    pub sample_target: f64,
}

/// The complete HTML document.
pub fn render(r: &Report<'_>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let s = r.summary;
    put!(
        out,
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>客服质检报告 QA Report · {} {}</title><style>{STYLE}</style></head><body>"#,
        esc(&s.ruleset.name),
        esc(&s.ruleset.version)
    );
    header(&mut out, r);
    out.push_str("<main>");
    kpis(&mut out, r);

    section_open(&mut out, "agents", "坐席达标率", "Adherence by agent", "条形为达标率，横线为 95% Wilson 置信区间，虚线为整体达标率。Bar: share of interactions passed; whiskers: 95% Wilson interval; dashed line: overall rate.");
    if r.aggregates.agent_totals.is_empty() {
        empty(&mut out);
    } else {
        charts::agents(
            &mut out,
            &r.aggregates.agent_totals,
            r.aggregates.totals.stats.adherence_rate,
        );
    }
    out.push_str("</section>");

    section_open(&mut out, "trend", "达标率周趋势", "Weekly adherence trend", "按 ISO 周统计：粗线为团队整体，细线为各坐席；将指针移到点上可查看数值。Per ISO week: the bold line is the team, thin lines are agents; point at a dot to see its value.");
    trend::section(&mut out, r.aggregates);
    out.push_str("</section>");

    section_open(&mut out, "rules", "规则命中率", "Rule hit rates", "违反该规则的会话占已检查会话的比例；颜色表示严重程度。Share of checked interactions that broke the rule; colour shows severity.");
    if r.aggregates.rules.iter().all(|x| x.assessed == 0) {
        empty(&mut out);
    } else {
        charts::rules(&mut out, &r.aggregates.rules);
        out.push_str(r#"<p class="legend"><span class="swatch sev-fatal"></span>致命 Fatal <span class="swatch sev-major"></span>严重 Major <span class="swatch sev-minor"></span>轻微 Minor</p>"#);
    }
    out.push_str("</section>");

    section_open(&mut out, "weeks", "坐席周明细", "Agents by week", "");
    agent_table(&mut out, r.aggregates);
    out.push_str("</section>");

    if !r.sample_coverage.is_empty() {
        section_open(&mut out, "coverage", "抽检覆盖", "Sample coverage", &format!("每位坐席每周被抽中复核的会话占该周会话的比例。格中条形刻度为 0–{scale}，竖线为 {target} 目标；低于目标的格以橙色标出。Share of each agent's interactions per week selected for QA review; bars run 0–{scale} with a tick at the {target} target, and cells below it are orange.", target = target_pct(r.sample_target), scale = target_pct(coverage::meter_scale(r.sample_target))));
        coverage::section(&mut out, r.sample_coverage, r.sample_target);
        out.push_str("</section>");
    }

    let failing = r.results.iter().filter(|x| !x.passed).count();
    section_open(&mut out, "failing", &format!("不达标会话 ({failing})"), "Failing interactions", "按致命、得分从低到高排列；点击展开查看证据。Fatal first, then lowest score; click to see the evidence.");
    let titles: HashMap<&str, &str> = r
        .aggregates
        .rules
        .iter()
        .map(|x| (x.rule_id.as_str(), x.title.as_str()))
        .collect();
    evidence::section(&mut out, r.results, &titles);
    out.push_str("</section>");

    if !r.input_errors.is_empty() {
        section_open(
            &mut out,
            "errors",
            &format!("无法读取的输入 ({})", r.input_errors.len()),
            "Unreadable inputs",
            "这些输入未被评分。These inputs were not scored.",
        );
        out.push_str(r#"<table class="data"><thead><tr><th>来源 Source</th><th>原因 Reason</th></tr></thead><tbody>"#);
        for e in r.input_errors {
            put!(
                out,
                r#"<tr><td><code>{}</code></td><td>{}</td></tr>"#,
                esc(&e.source),
                esc(&e.error)
            );
        }
        out.push_str("</tbody></table></section>");
    }
    out.push_str("</main>");
    put!(
        out,
        r#"<footer>callqa {} · 规则集 {} {} · sha256 <code>{}</code> · 生成于 Generated {} · 明细见 results.jsonl, agents.csv, rules.csv</footer></body></html>"#,
        esc(&s.callqa_version),
        esc(&s.ruleset.name),
        esc(&s.ruleset.version),
        esc(&s.ruleset.sha256),
        esc(&s.generated_at)
    );
    out
}

fn header(out: &mut String, r: &Report<'_>) {
    let s = r.summary;
    let weeks: Vec<Period> = r.aggregates.periods.iter().map(|w| w.period).collect();
    let span = match (
        weeks.first(),
        weeks.iter().rev().find(|w| **w != Period::Unknown),
    ) {
        (Some(first), Some(last)) if first != last => format!("{first} – {last}"),
        (Some(first), _) => first.to_string(),
        _ => "–".into(),
    };
    let sha: String = s.ruleset.sha256.chars().take(12).collect();
    put!(
        out,
        r#"<header><div class="wrap"><h1>客服质检报告 <span>Customer-Service QA Report</span></h1><dl class="runmeta">"#
    );
    put!(
        out,
        r#"<div><dt>规则集 Ruleset</dt><dd>{} <b>{}</b> <code title="{}">{}</code></dd></div>"#,
        esc(&s.ruleset.name),
        esc(&s.ruleset.version),
        esc(&s.ruleset.sha256),
        esc(&sha)
    );
    put!(
        out,
        r#"<div><dt>周次 Weeks</dt><dd>{}</dd></div>"#,
        esc(&span)
    );
    put!(
        out,
        r#"<div><dt>输入 Inputs</dt><dd>{} 个文件 files · {} 个会话 interactions · <span class="{}">{} 个失败 failed</span></dd></div>"#,
        s.files,
        s.interactions,
        if s.inputs_failed > 0 { "warn" } else { "" },
        s.inputs_failed
    );
    put!(
        out,
        r#"<div><dt>生成 Generated</dt><dd>{}</dd></div>"#,
        esc(&when(&s.generated_at))
    );
    out.push_str("</dl></div></header>");
}

fn kpis(out: &mut String, r: &Report<'_>) {
    let t = &r.aggregates.totals;
    let st = &t.stats;
    let ci = match st.wilson {
        Some(w) => format!("95% CI {} – {}", pct(w.low), pct(w.high)),
        None => "无数据 no data".into(),
    };
    out.push_str(r#"<section class="kpis">"#);
    kpi(
        out,
        "primary",
        "服务规范达标率 Adherence",
        &opt_pct(st.adherence_rate),
        &ci,
    );
    kpi(
        out,
        "",
        "质检会话 Interactions",
        &st.assessed.to_string(),
        &format!("{} 位坐席 agents", t.agents),
    );
    kpi(
        out,
        "good",
        "达标 Passed",
        &st.passed.to_string(),
        &format!("未达标 failed {}", st.assessed - st.passed),
    );
    kpi(
        out,
        "",
        "平均分 Mean score",
        &st.mean_score
            .map(|m| format!("{m:.1}"))
            .unwrap_or_else(|| "–".into()),
        "满分 out of 100",
    );
    kpi(
        out,
        if st.fatal > 0 { "bad" } else { "" },
        "致命违规 Fatal",
        &st.fatal.to_string(),
        &format!("违规总数 violations {}", t.violations),
    );
    out.push_str("</section>");
}

fn kpi(out: &mut String, class: &str, label: &str, value: &str, note: &str) {
    put!(
        out,
        r#"<div class="kpi {class}"><div class="klabel">{}</div><div class="kvalue">{}</div><div class="knote">{}</div></div>"#,
        esc(label),
        esc(value),
        esc(note)
    );
}

fn section_open(out: &mut String, id: &str, zh: &str, en: &str, note: &str) {
    put!(
        out,
        r#"<section class="card" id="{}"><h2>{} <span>{}</span></h2>"#,
        esc(id),
        esc(zh),
        esc(en)
    );
    if !note.is_empty() {
        put!(out, r#"<p class="note">{}</p>"#, esc(note));
    }
}

fn empty(out: &mut String) {
    out.push_str(r#"<p class="empty">暂无数据 No data.</p>"#);
}

fn agent_table(out: &mut String, a: &Aggregates) {
    if a.agents.is_empty() {
        empty(out);
        return;
    }
    out.push_str(
        r#"<table class="data"><thead><tr><th>坐席 Agent</th><th>周 Week</th><th class="num">质检 Assessed</th><th class="num">达标 Passed</th><th>达标率 Adherence</th><th class="num">95% 区间 CI</th><th class="num">平均分 Mean</th><th>档位 Band</th><th class="num">系数 Coef.</th></tr></thead><tbody>"#,
    );
    for row in &a.agents {
        let s: &Stats = &row.stats;
        let rate = s.adherence_rate.unwrap_or(0.0);
        let ci = s
            .wilson
            .map(|w| format!("{}–{}", pct(w.low), pct(w.high)))
            .unwrap_or_else(|| "–".into());
        put!(
            out,
            r#"<tr><td><b>{}</b></td><td>{}</td><td class="num">{}</td><td class="num">{}</td>"#,
            esc(&row.agent_id),
            row.period,
            s.assessed,
            s.passed
        );
        put!(
            out,
            r#"<td><div class="meter"><div style="width:{:.1}%"></div></div>{}</td><td class="num muted">{}</td>"#,
            rate * 100.0,
            opt_pct(s.adherence_rate),
            ci
        );
        put!(
            out,
            r#"<td class="num">{}</td>"#,
            s.mean_score
                .map(|m| format!("{m:.1}"))
                .unwrap_or_else(|| "–".into())
        );
        match &s.band {
            Some(b) => put!(
                out,
                r#"<td><span class="band">{}</span></td><td class="num">{}</td></tr>"#,
                esc(&b.label),
                coefficient(b.coefficient)
            ),
            None => out.push_str(r#"<td class="muted">–</td><td class="num muted">–</td></tr>"#),
        }
    }
    out.push_str("</tbody></table>");
}
