//! `report.html`: one self-contained page a QA lead opens every Monday — run header,
//! totals, the assessment of each period (alerts on top), teams, each agent's
//! weakest dimension and radar, adherence per agent, the trend, rule hit rates,
//! sample coverage (when the run sampled), and the failing interactions with their
//! evidence. Inline CSS, SVG and one small inline script (the period selector, see
//! [`periods`]); nothing from the network, so it can be mailed, archived and opened
//! offline, and without script it shows everything.
//!
//! It has to stay usable at archive size (400 agents, 30 teams, 200,000
//! interactions) and on a phone: every list is worst first with the worst
//! [`pager::SHOWN`] in the page and the rest collapsed, charts draw only the worst
//! few, and wide tables scroll inside their card.
//!
//! The page is assembled with `write!` into a `String`; every piece of data passes
//! through [`escape::esc`]. A template crate would add a build-time dependency and a
//! second language for a page this small; the sections are plain functions instead.

pub mod assessment;
pub mod cells;
pub mod charts;
pub mod coverage;
pub mod escape;
pub mod evidence;
pub mod order;
pub mod pager;
pub mod periods;
pub mod radar;
pub mod teams;
pub mod text;
pub mod trend;
pub mod weakness;

use self::escape::esc;
use self::periods::kind_names;
use self::text::{opt_pct, pct, put, target_pct, when};
use super::{RunSummary, SampleCoverage};
use crate::aggregate::{Aggregates, Period};
use crate::scan::result::{InputErrorLine, InteractionResult};
use std::collections::HashMap;

const STYLE: &str = include_str!("style.css");

/// Everything the page shows.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    pub summary: &'a RunSummary,
    pub aggregates: &'a Aggregates,
    /// Results of the run, at least the failing ones the report lists (turns are
    /// not needed; evidence carries its text).
    pub results: &'a [InteractionResult],
    pub input_errors: &'a [InputErrorLine],
    /// Sampled / all interactions per agent and week; empty when the run did not
    /// sample, and then the page has no coverage section.
    pub sample_coverage: &'a [SampleCoverage],
    /// The share of each agent-week meant for review (0..1), marked in that section.
    pub sample_target: f64,
}

/// The sections in page order: (id, Chinese, English); those the run has.
fn sections(r: &Report<'_>) -> Vec<(&'static str, &'static str, &'static str)> {
    let dims = !r.aggregates.dimensions.is_empty();
    let mut v = vec![
        ("assessment", "考核", "Assessment"),
        ("teams", "团队", "Teams"),
    ];
    if dims {
        v.push(("weakness", "短板", "Weakness"));
        v.push(("radar", "雷达图", "Radar"));
    }
    v.extend([
        ("agents", "达标率", "Adherence"),
        ("trend", "趋势", "Trend"),
        ("rules", "规则", "Rules"),
    ]);
    if !r.sample_coverage.is_empty() {
        v.push(("coverage", "抽检", "Coverage"));
    }
    v.push(("failing", "不达标", "Failing"));
    if !r.input_errors.is_empty() {
        v.push(("errors", "无法读取", "Unreadable"));
    }
    v
}

/// The complete HTML document.
pub fn render(r: &Report<'_>) -> String {
    let mut out = String::with_capacity(1 << 20);
    let s = r.summary;
    let a = r.aggregates;
    put!(
        out,
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>客服质检报告 QA Report · {} {}</title><style>{STYLE}</style></head><body>"#,
        esc(&s.ruleset.name),
        esc(&s.ruleset.version)
    );
    header(&mut out, r);
    out.push_str(r#"<nav class="toc">"#);
    for (id, zh, en) in sections(r) {
        put!(out, r##"<a href="#{id}">{zh} <span>{en}</span></a>"##);
    }
    out.push_str("</nav><main>");
    let periods: Vec<Period> = a.periods.iter().map(|p| p.period).collect();
    periods::selector(&mut out, a.period_kind, &periods);
    kpis(&mut out, r);

    section_open(
        &mut out,
        "assessment",
        "考核排名",
        "Assessment by period",
        assessment::NOTE,
    );
    assessment::section(&mut out, a);
    out.push_str("</section>");

    section_open(&mut out, "teams", "团队", "Teams", "团队按平均分从低到高排列；达标率后为 95% Wilson 区间。展开各团队可看其坐席。Teams worst first by mean score; adherence with its 95% Wilson interval. Open a team to see its agents.");
    teams::section(&mut out, a);
    out.push_str("</section>");

    if !a.dimensions.is_empty() {
        section_open(&mut out, "weakness", "坐席短板", "Weakness by agent and dimension", "全期各维度平均分（满分 100），坐席按平均分从低到高排列；颜色越深分越低，▼ 为该坐席最弱的维度。Mean score per dimension over the whole run (out of 100), agents worst first; darker is lower, ▼ marks each agent's weakest dimension.");
        weakness::section(&mut out, a);
        out.push_str("</section>");

        section_open(&mut out, "radar", "维度雷达图", "Dimension radar", "实线为坐席各维度平均分，虚线为中心平均，刻度 0–100；先列出平均分最低的 20 位。Solid: the agent's mean per dimension; dashed: the centre average; axes 0–100. The 20 agents with the lowest mean score come first.");
        radar::section(&mut out, a);
        out.push_str("</section>");
    }

    section_open(&mut out, "agents", "坐席达标率", "Adherence by agent", "条形为达标率，横线为 95% Wilson 置信区间，虚线为整体达标率；达标率最低者在上。Bar: share of interactions passed; whiskers: 95% Wilson interval; dashed line: overall rate; lowest first.");
    if a.agent_totals.is_empty() {
        empty(&mut out);
    } else {
        out.push_str(r#"<div class="chartwrap">"#);
        let all = charts::agents(
            &mut out,
            &a.agent_totals,
            a.totals.stats.adherence_rate,
            pager::SHOWN,
        );
        out.push_str("</div>");
        if all > pager::SHOWN {
            put!(
                out,
                r#"<p class="note">只显示达标率最低的 {shown} 位坐席（共 {all} 位）；全部坐席见考核表与 agents.csv。 Only the {shown} agents with the lowest adherence are drawn, of {all}; all of them are in the assessment tables and agents.csv.</p>"#,
                shown = pager::SHOWN
            );
        }
    }
    out.push_str("</section>");

    let (pzh, pen) = kind_names(a.period_kind);
    section_open(&mut out, "trend", &format!("达标率趋势（按{pzh}）"), &format!("Adherence trend by {pen}"), &format!("粗线为中心整体，细线为平均分最低的几位坐席；将指针移到点上可查看数值。Per {pen}: the bold line is the whole centre, thin lines the agents with the lowest mean score; point at a dot to see its value."));
    out.push_str(r#"<div class="chartwrap">"#);
    trend::section(&mut out, a);
    out.push_str("</div>");
    out.push_str("</section>");

    section_open(&mut out, "rules", "规则命中率", "Rule hit rates", "违反该规则的会话占已检查会话的比例；颜色表示严重程度。Share of checked interactions that broke the rule; colour shows severity.");
    if a.rules.iter().all(|x| x.assessed == 0) {
        empty(&mut out);
    } else {
        out.push_str(r#"<div class="chartwrap">"#);
        charts::rules(&mut out, &a.rules);
        out.push_str("</div>");
        out.push_str(r#"<p class="legend"><span class="swatch sev-fatal"></span>致命 Fatal <span class="swatch sev-major"></span>严重 Major <span class="swatch sev-minor"></span>轻微 Minor</p>"#);
    }
    out.push_str("</section>");

    if !r.sample_coverage.is_empty() {
        section_open(&mut out, "coverage", "抽检覆盖", "Sample coverage", &format!("每位坐席每周被抽中复核的会话占该周会话的比例。格中条形刻度为 0–{scale}，竖线为 {target} 目标；低于目标的格以橙色标出。Share of each agent's interactions per week selected for QA review; bars run 0–{scale} with a tick at the {target} target, and cells below it are orange.", target = target_pct(r.sample_target), scale = target_pct(coverage::meter_scale(r.sample_target))));
        coverage::section(&mut out, r.sample_coverage, r.sample_target);
        out.push_str("</section>");
    }

    // From the totals: `results` may hold only the failing ones the report lists.
    let failing = a.totals.stats.assessed - a.totals.stats.passed;
    section_open(&mut out, "failing", &format!("不达标会话 ({failing})"), "Failing interactions", &format!("按致命、得分从低到高排列；点击展开查看证据。最多列出 {} 个。Fatal first, then lowest score; click to see the evidence. At most {} are listed.", evidence::MAX_LISTED, evidence::MAX_LISTED));
    let titles: HashMap<&str, &str> = a
        .rules
        .iter()
        .map(|x| (x.rule_id.as_str(), x.title.as_str()))
        .collect();
    evidence::section(&mut out, r.results, failing, &titles);
    out.push_str("</section>");

    if !r.input_errors.is_empty() {
        section_open(
            &mut out,
            "errors",
            &format!("无法读取的输入 ({})", r.input_errors.len()),
            "Unreadable inputs",
            "这些输入未被评分。These inputs were not scored.",
        );
        let head = r#"<tr><th>来源 Source</th><th>原因 Reason</th></tr>"#;
        let rows: Vec<String> = r
            .input_errors
            .iter()
            .map(|e| {
                format!(
                    r#"<tr><td><code>{}</code></td><td>{}</td></tr>"#,
                    esc(&e.source),
                    esc(&e.error)
                )
            })
            .collect();
        let (shown, rest) = pager::split(&rows, pager::SHOWN);
        pager::table(&mut out, "errors", head, shown, rest, ("个输入", "inputs"));
        out.push_str("</section>");
    }
    out.push_str("</main>");
    put!(
        out,
        r#"<footer>callqa {} · 规则集 {} {} · sha256 <code>{}</code> · 生成于 Generated {} · 明细见 Details in results.jsonl, agents.csv, teams.csv, assessment.csv, rules.csv</footer>"#,
        esc(&s.callqa_version),
        esc(&s.ruleset.name),
        esc(&s.ruleset.version),
        esc(&s.ruleset.sha256),
        esc(&s.generated_at)
    );
    put!(out, "<script>{}</script></body></html>", periods::SCRIPT);
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
        r#"<div><dt>周期 Periods</dt><dd>{} <span class="muted">（按{} by {}）</span></dd></div>"#,
        esc(&span),
        kind_names(r.aggregates.period_kind).0,
        kind_names(r.aggregates.period_kind).1
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
