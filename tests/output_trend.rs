//! The report's weekly trend and sample coverage: one line per agent plus the team
//! with a point per week it has data, `unknown` weeks left out with a note, coverage
//! counted from `sample.csv`, agent ids escaped, and no coverage section unless the
//! run sampled. A sample page is left in `target/tmp/trend-report/report.html`.

use callqa::aggregate::{aggregate, RuleInfo, Setup};
use callqa::interaction::{InteractionKind, Roles};
use callqa::output::html::trend::MAX_AGENT_LINES;
use callqa::output::html::{self, Report};
use callqa::output::{
    coverage_from_rows, sample_coverage_from_csv, DirSink, ReportSink, RunSummary, SampleCoverage,
    DEFAULT_SAMPLE_TARGET, REPORT_HTML,
};
use callqa::rules::Band;
use callqa::scan::result::{InteractionResult, RuleKind, Severity, SCHEMA_VERSION};
use std::path::Path;

use crate::common;
use common::ruleset_id as ruleset;

fn rules() -> Vec<RuleInfo> {
    vec![RuleInfo {
        id: "forbidden.dont-know".into(),
        kind: RuleKind::Forbidden,
        title: "禁用语：不知道/不清楚".into(),
        severity: Severity::Major,
    }]
}

fn bands() -> Vec<Band> {
    vec![Band {
        min: 0.0,
        label: "all".into(),
        coefficient: 1.0,
    }]
}

/// A result without violations or turns; `day` is a date (`2026-11-16`) or `None`
/// for an interaction without a start time.
fn result(id: &str, agent: &str, day: Option<&str>, passed: bool) -> InteractionResult {
    InteractionResult {
        schema_version: SCHEMA_VERSION,
        interaction_id: id.into(),
        kind: InteractionKind::Chat,
        source: "chats.jsonl".into(),
        agent_id: agent.into(),
        started_at: day.map(|d| format!("{d}T10:00:00+08:00")),
        duration_s: 60.0,
        roles: Roles::Known,
        roles_reason: None,
        ruleset: ruleset(),
        score: if passed { 100 } else { 60 },
        dimension_scores: Default::default(),
        passed,
        fatal: false,
        violations: Vec::new(),
        passed_rules: vec!["forbidden.dont-know".into()],
        metrics: Default::default(),
        review: None,
        turns: Vec::new(),
    }
}

/// `n` results of `agent` on `day`, the first `passed` of them passing.
fn batch(
    out: &mut Vec<InteractionResult>,
    agent: &str,
    day: Option<&str>,
    n: usize,
    passed: usize,
) {
    for k in 0..n {
        let id = format!("{agent}-{}-{k}", day.unwrap_or("none"));
        out.push(result(&id, agent, day, k < passed));
    }
}

fn render(results: &[InteractionResult], coverage: &[SampleCoverage]) -> String {
    let aggregates = aggregate(results, &Setup::new(&rules(), &bands()));
    let summary = RunSummary::new(&ruleset(), 1, results.len(), 0).at("2026-11-23T01:00:00Z");
    html::render(&Report {
        summary: &summary,
        aggregates: &aggregates,
        results,
        input_errors: &[],
        sample_coverage: coverage,
        sample_target: DEFAULT_SAMPLE_TARGET,
    })
}

/// The trend chart's `<svg>` element.
fn trend_svg(html: &str) -> &str {
    let start = html
        .find(r#"<svg class="chart trend""#)
        .expect("trend chart");
    let end = start + html[start..].find("</svg>").unwrap();
    &html[start..end]
}

/// (series class, number of points in its polyline) for each line of the trend.
fn lines(svg: &str) -> Vec<(String, usize)> {
    svg.split(r#"<g class="series "#)
        .skip(1)
        .map(|g| {
            let class = g[..g.find('"').unwrap()].to_string();
            let at = g.find(r#"points=""#).unwrap() + r#"points=""#.len();
            let points = &g[at..at + g[at..].find('"').unwrap()];
            let n = points.split_whitespace().count();
            let circles = g[..g.find("</g>").unwrap()].matches("<circle").count();
            assert_eq!(n, circles, "{class}: one dot per point");
            (class, n)
        })
        .collect()
}

#[test]
fn trend_has_the_team_and_one_line_per_agent_with_a_point_per_week() {
    let mut r = Vec::new();
    for (day, a01, a02) in [
        ("2026-11-02", (4, 3), (5, 5)),
        ("2026-11-09", (4, 4), (0, 0)),
        ("2026-11-16", (5, 2), (6, 3)),
    ] {
        batch(&mut r, "A01", Some(day), a01.0, a01.1);
        batch(&mut r, "A02", Some(day), a02.0, a02.1);
    }
    batch(&mut r, "B07", Some("2026-11-16"), 2, 2);
    // Undated results: A01 gets one more, C09 has nothing but undated ones.
    batch(&mut r, "A01", None, 1, 0);
    batch(&mut r, "C09", None, 3, 1);

    let html = render(&r, &[]);
    let svg = trend_svg(&html);
    assert_eq!(
        lines(svg),
        [
            ("agent s0".to_string(), 3),
            ("agent s1".to_string(), 2),
            ("agent s2".to_string(), 1),
            ("team".to_string(), 3),
        ],
        "A01, A02 (absent one week), B07 (one week), the team; C09 has no dated week"
    );
    for week in ["2026-W45", "2026-W46", "2026-W47"] {
        assert!(svg.contains(&format!(">{week}</text>")), "x label {week}");
    }
    assert!(
        !svg.contains("unknown"),
        "the unknown week is not on the axis"
    );
    // Team, week 47: A01 2/5, A02 3/6, B07 2/2 = 7/13.
    assert!(svg.contains("<title>中心 Centre · 2026-W47: 53.8% (7/13)</title>"));
    assert!(svg.contains("<title>A02 · 2026-W45: 100.0% (5/5)</title>"));
    // Points go down as adherence does: A01 in week 47 (40%) is below week 46 (100%).
    let y = |title: &str| -> f64 {
        let at = svg.find(title).unwrap();
        let circle = &svg[svg[..at].rfind("<circle").unwrap()..at];
        let cy = &circle[circle.find("cy=\"").unwrap() + 4..];
        cy[..cy.find('"').unwrap()].parse().unwrap()
    };
    assert!(y("A01 · 2026-W47: 40.0%") > y("A01 · 2026-W46: 100.0%"));
    assert!(
        html.contains("另有 4 个会话没有可用的开始时间"),
        "the note counts undated results"
    );
    assert!(
        html.contains(r#"<span class="key s1"></span>A02</span>"#),
        "legend"
    );
    assert!(svg.contains(r#"<polygon class="ci""#) && html.contains("Centre interval"));
    assert!(!html.contains("Only one week so far"));
}

#[test]
fn only_the_worst_agents_get_a_line_and_the_rest_are_counted() {
    let mut r = Vec::new();
    // A00 passes nothing, A11 passes 11 of 12: A00..A04 are the worst five.
    for k in 0..12 {
        for day in ["2026-11-09", "2026-11-16"] {
            batch(&mut r, &format!("A{k:02}"), Some(day), 12, k);
        }
    }
    let html = render(&r, &[]);
    assert_eq!(lines(trend_svg(&html)).len(), MAX_AGENT_LINES + 1);
    let legend = &html[html.find(r#"<p class="legend trend-legend">"#).unwrap()..];
    let legend = &legend[..legend.find("</p>").unwrap()];
    for k in 0..12 {
        assert_eq!(
            legend.contains(&format!("</span>A{k:02}</span>")),
            k < MAX_AGENT_LINES,
            "A{k:02} in the legend"
        );
    }
    assert!(
        legend.find("</span>A00</span>") < legend.find("</span>A01</span>"),
        "worst first"
    );
    assert!(html.contains(&format!("另有 {} 位未画出", 12 - MAX_AGENT_LINES)));
}

#[test]
fn a_single_week_draws_points_and_says_a_trend_needs_more() {
    let mut r = Vec::new();
    batch(&mut r, "A01", Some("2026-11-16"), 3, 2);
    batch(&mut r, "A02", Some("2026-11-17"), 2, 2);
    let html = render(&r, &[]);
    assert_eq!(
        lines(trend_svg(&html)),
        [
            ("agent s0".to_string(), 1),
            ("agent s1".to_string(), 1),
            ("team".to_string(), 1),
        ]
    );
    assert!(html.contains("Only one week so far"));
    assert!(!html.contains("without a usable start time"));
    assert!(
        !html.contains("Centre interval") && !trend_svg(&html).contains(r#"class="ci""#),
        "no interval band for one week"
    );
}

#[test]
fn no_dated_results_leave_the_chart_out_with_a_note() {
    let mut r = Vec::new();
    batch(&mut r, "A01", None, 2, 1);
    let html = render(&r, &[]);
    assert!(!html.contains(r#"<svg class="chart trend""#));
    assert!(html.contains("No dated interactions"));
    assert!(html.contains("2 interactions without a usable start time"));
}

#[test]
fn coverage_counts_a_sample_csv_per_agent_and_week() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.csv");
    // A byte-order mark and columns in another order, as a spreadsheet may save it;
    // both spellings of `selected`; an id listed twice counts once.
    std::fs::write(
        &path,
        "\u{feff}agent_id,interaction_id,week,selected,rank,note\n\
         A01,c1,2026-W47,true,17,\n\
         A01,c2,2026-W47,false,99,\n\
         A01,c3,2026-W47,0,120,\n\
         A01,c4,2026-W47,FALSE,130,x\n\
         A01,c5,2026-W47,1,5,\n\
         A01,c5,2026-W47,1,5,\n\
         A01,c6,2026-W48,true,3,\n\
         B02,d1,unknown,false,8,\n",
    )
    .unwrap();
    let got = sample_coverage_from_csv(&path).unwrap();
    let cov = |agent: &str, week: &str, interactions, sampled| SampleCoverage {
        agent_id: agent.into(),
        week: week.into(),
        interactions,
        sampled,
    };
    assert_eq!(
        got,
        [
            cov("A01", "2026-W47", 5, 2),
            cov("A01", "2026-W48", 1, 1),
            cov("B02", "unknown", 1, 0),
        ]
    );
    assert_eq!(got[0].share(), Some(0.4));

    std::fs::write(
        &path,
        "interaction_id,agent_id,week,selected,rank\nc1,A01,2026-W47,yes,1\n",
    )
    .unwrap();
    let err = sample_coverage_from_csv(&path).unwrap_err().to_string();
    assert!(
        err.contains("sample.csv") && err.contains("\"yes\"") && err.contains("true/false"),
        "{err}"
    );
    let missing = sample_coverage_from_csv(&dir.path().join("none.csv"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("none.csv"), "{missing}");
}

#[test]
fn coverage_from_selections_needs_no_file() {
    let rows = [
        ("c1", "A01", "2026-W47", true),
        ("c2", "A01", "2026-W47", false),
    ];
    let got = coverage_from_rows(rows);
    assert_eq!((got[0].interactions, got[0].sampled), (2, 1));
}

#[test]
fn agent_ids_are_escaped_in_the_trend_and_the_coverage() {
    let agent = "<b>A&1\"x'";
    let mut r = Vec::new();
    batch(&mut r, agent, Some("2026-11-09"), 2, 1);
    batch(&mut r, agent, Some("2026-11-16"), 2, 2);
    let coverage = [SampleCoverage {
        agent_id: agent.into(),
        week: "<i>2026-W47".into(),
        interactions: 10,
        sampled: 2,
    }];
    let html = render(&r, &coverage);
    assert!(
        !html.contains("<b>A&") && !html.contains("<i>2026"),
        "data must not become markup"
    );
    let escaped = "&lt;b&gt;A&amp;1&quot;x&#39;";
    let svg = trend_svg(&html);
    assert!(svg.contains(&format!(
        "<title>{escaped} · 2026-W47: 100.0% (2/2)</title>"
    )));
    assert!(html.contains(&format!(r#"<span class="key s0"></span>{escaped}</span>"#)));
    let coverage = &html[html.find(r#"id="coverage""#).unwrap()..];
    assert!(coverage.contains(&format!(r#"<th scope="row">{escaped}</th>"#)));
    assert!(coverage.contains("<th>&lt;i&gt;2026-W47</th>"));
    assert!(coverage.contains(&format!(r#"title="{escaped} · &lt;i&gt;2026-W47: 2/10"#)));
}

#[test]
fn the_coverage_section_appears_only_when_the_run_sampled() {
    let mut r = Vec::new();
    batch(&mut r, "A01", Some("2026-11-16"), 4, 3);
    let aggregates = aggregate(&r, &Setup::new(&rules(), &bands()));
    let summary = RunSummary::new(&ruleset(), 1, r.len(), 0);

    let plain = tempfile::tempdir().unwrap();
    let mut sink = DirSink::create(plain.path()).unwrap();
    sink.finish(&aggregates, &r, &summary).unwrap();
    let html = std::fs::read_to_string(plain.path().join(REPORT_HTML)).unwrap();
    assert!(!html.contains(r#"id="coverage""#) && !html.contains("抽检覆盖"));
    assert!(html.contains(r#"id="trend""#));

    let sampled = tempfile::tempdir().unwrap();
    let mut sink = DirSink::create(sampled.path()).unwrap();
    sink.set_sample_coverage(coverage_from_rows([
        ("c1", "A01", "2026-W47", true),
        ("c2", "A01", "2026-W47", false),
        ("c3", "A01", "2026-W47", false),
        ("c4", "A01", "2026-W47", false),
        ("c5", "A01", "2026-W47", false),
        ("c6", "A01", "2026-W47", false),
        ("d1", "A02", "2026-W47", true),
        ("d2", "A02", "2026-W47", false),
    ]));
    sink.set_sample_target(0.25);
    sink.finish(&aggregates, &r, &summary).unwrap();
    let html = std::fs::read_to_string(sampled.path().join(REPORT_HTML)).unwrap();
    assert!(html.contains(r#"id="coverage""#) && html.contains("抽检覆盖"));
    assert!(html.contains("25% 目标") && html.contains("the 25% target"));
    let section = &html[html.find(r#"id="coverage""#).unwrap()..];
    let row = |agent: &str| {
        let at = section
            .find(&format!(r#"<th scope="row">{agent}</th>"#))
            .unwrap();
        &section[at..at + section[at..].find("</tr>").unwrap()]
    };
    // One week: the week cell and the agent's total.
    assert_eq!(row("A01").matches(r#"<td class="cov low"#).count(), 2);
    assert!(row("A01").contains("<b>16.7%</b><span>1/6</span>"));
    assert_eq!(
        row("A02").matches(r#"<td class="cov""#).count(),
        1,
        "on target"
    );
    assert!(row("A02").contains("<b>50.0%</b><span>1/2</span>"));
    let team = row("团队 Team");
    assert!(team.contains("<b>25.0%</b><span>2/8</span>"), "{team}");
    assert!(!team.contains("low"), "2/8 meets the 25% target");
    // Meters run 0-50% for a 25% target: A01's 16.7% fills a third, the tick is halfway.
    assert!(row("A01").contains(r#"<div style="width:33.3%"></div><i style="left:50.0%"></i>"#));
    assert!(
        section.contains(r#"<div class="warn"><b>1</b>"#),
        "one agent-week below target"
    );
}

/// Six agents over six weeks with the coverage of a 20% sample, for looking at.
#[test]
fn sample_trend_report() {
    let agents = [
        ("A01", 0.93),
        ("A02", 0.55),
        ("A03", 0.82),
        ("A04", 0.70),
        ("B11", 0.97),
        ("B12", 0.66),
    ];
    let days = [
        "2026-10-12",
        "2026-10-19",
        "2026-10-26",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
    ];
    let mut r = Vec::new();
    let mut coverage = Vec::new();
    for (w, day) in days.iter().enumerate() {
        for (k, (agent, base)) in agents.iter().enumerate() {
            let n = 6 + (k * 3 + w * 5) % 7;
            let drift = (w as f64 - 2.5) * if k % 2 == 0 { 0.03 } else { -0.02 };
            let passed = ((base + drift).clamp(0.0, 1.0) * n as f64).round() as usize;
            batch(&mut r, agent, Some(day), n, passed);
            let calls = n * 5 - (k + w) % 4 + if (k, w) == (3, 5) { 9 } else { 0 };
            coverage.push(SampleCoverage {
                agent_id: agent.to_string(),
                week: format!("2026-W{}", 42 + w),
                interactions: calls,
                sampled: n,
            });
        }
    }
    batch(&mut r, "A02", None, 2, 1);
    let aggregates = aggregate(&r, &Setup::new(&rules(), &bands()));
    let summary = RunSummary::new(&ruleset(), 6, r.len(), 0).at("2026-11-23T01:00:00Z");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("trend-report");
    let _ = std::fs::remove_dir_all(&dir);
    let mut sink = DirSink::create(&dir).unwrap();
    sink.set_sample_coverage(coverage);
    sink.finish(&aggregates, &r, &summary).unwrap();
    let html = std::fs::read_to_string(dir.join(REPORT_HTML)).unwrap();
    assert_eq!(
        lines(trend_svg(&html)).len(),
        agents.len().min(MAX_AGENT_LINES) + 1,
        "the worst few agents and the centre"
    );
    assert!(
        html.contains(r#"<td class="cov low""#),
        "A04 in 2026-W47 got more calls than sampled for"
    );
    for needle in ["src=", "href=\"http", "url(", "<img", "<link"] {
        assert!(!html.contains(needle), "self-contained, found {needle}");
    }
}
