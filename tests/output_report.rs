//! The output directory end to end: a realistic week of results through `aggregate`
//! and `DirSink` — every file present, results in the order given, CSV contracts,
//! an escaped, offline report. The sample report is left in
//! `target/tmp/sample-report/report.html` for looking at (docs/report.png).

use callqa::aggregate::{aggregate, RuleInfo, Setup};
use callqa::interaction::{InteractionKind, Roles, Speaker, Turn};
use callqa::output::{
    DirSink, ReportSink, RunSummary, AGENTS_CSV, ASSESSMENT_CSV, REPORT_HTML, RESULTS_JSONL,
    RULES_CSV, TEAMS_CSV,
};
use callqa::rules::Band;
use callqa::scan::result::{
    Evidence, InputErrorLine, InteractionResult, RuleKind, Severity, Violation, SCHEMA_VERSION,
};
use std::path::Path;
use std::sync::Arc;

use callqa::input::roster::Roster;
use callqa::output::html::{self, evidence::MAX_LISTED, pager::SHOWN, Report};
use callqa::output::DEFAULT_SAMPLE_TARGET;
use callqa::rules::Dimension;

use crate::common;
use common::ruleset_id as ruleset;

fn rules() -> Vec<RuleInfo> {
    let r = |id: &str, kind, severity, title: &str| RuleInfo {
        id: id.into(),
        kind,
        title: title.into(),
        severity,
    };
    use RuleKind::*;
    use Severity::*;
    vec![
        r(
            "forbidden.dont-know",
            Forbidden,
            Major,
            "禁用语：不知道/不清楚",
        ),
        r(
            "forbidden.no-way",
            Forbidden,
            Major,
            "禁用语：没办法/办不了",
        ),
        r(
            "forbidden.not-my-job",
            Forbidden,
            Major,
            "禁用语：推诿（不归我管/不关我事）",
        ),
        r(
            "forbidden.rude",
            Forbidden,
            Fatal,
            "服务红线：辱骂/顶撞客户",
        ),
        r(
            "privacy.reads-full-number",
            Forbidden,
            Major,
            "信息安全：坐席完整复述手机号",
        ),
        r("required.greeting", Required, Major, "开场问候（首条回复）"),
        r(
            "required.closing",
            Required,
            Major,
            "结束语（最后两条回复）",
        ),
        r("required.apology", Required, Minor, "致歉/安抚用语"),
        r(
            "metric.first-response",
            Metric,
            Major,
            "首次响应时长 ≤ 60 秒",
        ),
        r("metric.max-wait", Metric, Minor, "最长等待 ≤ 180 秒"),
    ]
}

fn bands() -> Vec<Band> {
    [
        (90.0, "优秀 excellent", 1.2),
        (80.0, "良好 good", 1.0),
        (60.0, "待改进 needs-improvement", 0.8),
        (0.0, "不合格 poor", 0.5),
    ]
    .into_iter()
    .map(|(min, label, coefficient)| Band {
        min,
        label: label.into(),
        coefficient,
    })
    .collect()
}

/// Evidence quoting `text` with `matched` marked where it first occurs.
fn ev(turn: usize, speaker: Speaker, at: f64, text: &str, matched: &str) -> Evidence {
    let start = text.find(matched).expect("matched is in text");
    Evidence {
        turn,
        speaker,
        start_s: at,
        end_s: at + 2.0,
        matched: matched.into(),
        text: text.into(),
        start_byte: start,
        end_byte: start + matched.len(),
        fuzzy: false,
        dismissed: false,
    }
}

fn violation(rule: &RuleInfo, deduct: u32, evidence: Vec<Evidence>) -> Violation {
    Violation {
        rule_id: rule.id.as_str().into(),
        kind: rule.kind,
        severity: rule.severity,
        deduct,
        evidence,
        value: None,
        limit: None,
        outside_window: Vec::new(),
        detail: None,
        added_by_verdict: None,
    }
}

/// A small deterministic generator, so the sample is the same on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const FORBIDDEN_TEXTS: [(&str, &str); 4] = [
    ("这个情况我也不知道，您再等等吧", "不知道"),
    ("系统就是这样的，我们这边没办法", "没办法"),
    ("退款的事不归我管，您找财务", "不归我管"),
    ("您好，这个我不清楚，要问一下后台", "不清楚"),
];

/// Two weeks of chats for six agents, with every kind of violation.
fn sample_results() -> Vec<InteractionResult> {
    let rules = rules();
    let rule = |id: &str| rules.iter().find(|r| r.id == id).unwrap().clone();
    let agents = [
        ("A01", 2),
        ("A02", 9),
        ("A03", 4),
        ("A04", 6),
        ("B11", 1),
        ("B12", 7),
    ];
    let weeks = [("2026-11-09", 9), ("2026-11-16", 11)];
    let mut rng = Lcg(47);
    let mut out = Vec::new();
    for (w, (day, per_agent)) in weeks.iter().enumerate() {
        for (agent, weakness) in agents {
            for k in 0..*per_agent {
                let id = format!("c-{}{}-{:03}", w + 1, agent, k + 1);
                let started_at = format!("{day}T{:02}:{:02}:00+08:00", 9 + k % 9, (k * 7) % 60);
                let mut violations = Vec::new();
                if rng.next(10) < weakness {
                    let (text, m) = FORBIDDEN_TEXTS[rng.next(4) as usize];
                    let id = match m {
                        "没办法" => "forbidden.no-way",
                        "不归我管" => "forbidden.not-my-job",
                        _ => "forbidden.dont-know",
                    };
                    let mut evidence = vec![ev(3, Speaker::Agent, 45.2, text, m)];
                    if rng.next(3) == 0 {
                        evidence.push(ev(
                            7,
                            Speaker::Agent,
                            131.0,
                            "我真的不知道怎么跟您解释",
                            "不知道",
                        ));
                    }
                    violations.push(violation(&rule(id), 10 * evidence.len() as u32, evidence));
                }
                if rng.next(12) < weakness / 2 {
                    let mut v = violation(&rule("required.greeting"), 10, vec![]);
                    v.detail = Some("首条回复中没有问候语（您好/你好）。 No greeting in the agent's first reply.".into());
                    violations.push(v);
                }
                if rng.next(10) < weakness / 3 {
                    violations.push(violation(&rule("required.closing"), 10, vec![]));
                }
                if rng.next(14) < weakness / 2 {
                    let mut v = violation(&rule("metric.first-response"), 10, vec![]);
                    v.value = Some(60.0 + rng.next(240) as f64);
                    v.limit = Some(60.0);
                    violations.push(v);
                }
                if rng.next(25) == 0 && weakness > 3 {
                    // Interactions are masked before they are scanned.
                    let text = "好的，您的手机138****5678我记下了";
                    violations.push(violation(
                        &rule("privacy.reads-full-number"),
                        10,
                        vec![ev(5, Speaker::Agent, 88.0, text, "138****5678")],
                    ));
                }
                if weakness >= 9 && k == 3 {
                    violations.push(violation(
                        &rule("forbidden.rude"),
                        100,
                        vec![ev(
                            9,
                            Speaker::Agent,
                            201.5,
                            "你有完没完？烦不烦啊！",
                            "烦不烦",
                        )],
                    ));
                }
                let fatal = violations.iter().any(|v| v.severity == Severity::Fatal);
                let deducted: u32 = violations.iter().map(|v| v.deduct).sum();
                let score = if fatal {
                    0
                } else {
                    100u32.saturating_sub(deducted)
                };
                let passed_rules = rules
                    .iter()
                    .filter(|r| !violations.iter().any(|v| *v.rule_id == *r.id))
                    .map(|r| r.id.as_str().into())
                    .collect();
                let mut r = InteractionResult {
                    schema_version: SCHEMA_VERSION,
                    interaction_id: id,
                    kind: InteractionKind::Chat,
                    source: format!("samples/chats/week{}.jsonl", 46 + w),
                    agent_id: agent.into(),
                    started_at: Some(started_at),
                    duration_s: 120.0 + rng.next(600) as f64,
                    roles: Roles::Known,
                    roles_reason: None,
                    ruleset: ruleset(),
                    score,
                    dimension_scores: Default::default(),
                    passed: score >= 80 && !fatal,
                    fatal,
                    violations,
                    passed_rules,
                    metrics: [("agent_first_response_s".to_string(), 12.0)]
                        .into_iter()
                        .collect(),
                    review: None,
                    turns: vec![
                        Turn::new(
                            Speaker::Customer,
                            0.0,
                            0.0,
                            "你好，我的手机号13812345678，订单一直没发货",
                        ),
                        Turn::new(Speaker::Agent, 12.0, 12.0, "您好，很高兴为您服务"),
                    ],
                };
                for t in &mut r.turns {
                    callqa::text::redact::redact_in_place(&mut t.text);
                }
                out.push(r);
            }
        }
    }
    out
}

fn write_run(dir: &Path, results: &[InteractionResult], errors: &[InputErrorLine]) {
    let aggregates = aggregate(results, &Setup::new(&rules(), &bands()));
    let mut sink = DirSink::create(dir).unwrap();
    for r in results {
        sink.result(r).unwrap();
    }
    for e in errors {
        sink.input_error(e).unwrap();
    }
    let summary =
        RunSummary::new(&ruleset(), 2, results.len(), errors.len()).at("2026-11-23T01:00:00Z");
    sink.finish(&aggregates, results, &summary).unwrap();
}

fn input_error() -> InputErrorLine {
    InputErrorLine {
        schema_version: SCHEMA_VERSION,
        source: "samples/chats/broken.jsonl".into(),
        error: "line 7: expected `,` or `}` at column 41".into(),
    }
}

#[test]
fn sample_report_for_docs() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sample-report");
    let _ = std::fs::remove_dir_all(&dir);
    write_run(&dir, &sample_results(), &[input_error()]);
    let html = std::fs::read_to_string(dir.join(REPORT_HTML)).unwrap();
    assert!(html.contains("服务规范达标率 Adherence"));
    assert!(
        html.contains("138****5678"),
        "numbers in evidence are masked"
    );
    assert!(!html.contains("13812345678"));
    self_contained(&html);
}

#[test]
fn writes_every_file_with_results_in_the_order_given() {
    let dir = tempfile::tempdir().unwrap();
    let mut results = sample_results();
    results.reverse();
    write_run(dir.path(), &results, &[input_error()]);

    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            AGENTS_CSV,
            ASSESSMENT_CSV,
            REPORT_HTML,
            RESULTS_JSONL,
            RULES_CSV,
            TEAMS_CSV
        ],
        "no temporary files left"
    );

    let jsonl = std::fs::read_to_string(dir.path().join(RESULTS_JSONL)).unwrap();
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), results.len() + 1);
    let ids: Vec<&str> = lines[..results.len()]
        .iter()
        .map(|v| v["interaction_id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = results.iter().map(|r| r.interaction_id.as_str()).collect();
    assert_eq!(ids, expected);
    assert_eq!(
        lines.last().unwrap()["error"],
        "line 7: expected `,` or `}` at column 41"
    );
    let first: InteractionResult = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first, results[0], "a results line reads back as the result");

    let agents = std::fs::read_to_string(dir.path().join(AGENTS_CSV)).unwrap();
    let mut rows = agents.lines();
    assert_eq!(rows.next(), Some("agent_id,period,assessed,passed,adherence_rate,wilson_low,wilson_high,mean_score,band,coefficient,team"));
    assert_eq!(rows.count(), 12, "6 agents x 2 weeks");
    assert!(agents
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("A01,2026-W46,9,"));

    let rules_csv = std::fs::read_to_string(dir.path().join(RULES_CSV)).unwrap();
    assert_eq!(
        rules_csv.lines().next(),
        Some("rule_id,kind,severity,title,hits,interactions_violated,hit_rate,assessed")
    );
    assert_eq!(rules_csv.lines().count(), 11);
    assert!(rules_csv.contains("forbidden.rude,forbidden,fatal,服务红线：辱骂/顶撞客户,"));
}

#[test]
fn report_escapes_what_people_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut results = sample_results();
    let r = &mut results[0];
    r.agent_id = "<img src=x onerror=alert(1)>".into();
    r.passed = false;
    r.violations = vec![violation(
        &rules()[0],
        10,
        vec![ev(
            2,
            Speaker::Agent,
            3.0,
            "<script>alert('x')</script>我不知道 & \"quoted\"",
            "不知道",
        )],
    )];
    r.interaction_id = "c-\"quoted\"-id".into();
    write_run(dir.path(), &results, &[]);
    let html = std::fs::read_to_string(dir.path().join(REPORT_HTML)).unwrap();
    assert_eq!(
        html.matches("<script").count(),
        1,
        "data must not become markup: the period script is the only one"
    );
    assert!(!html.contains("<img"), "data must not become markup");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;我<mark>不知道</mark> &amp; &quot;quoted&quot;"));
    assert!(html.contains("c-&quot;quoted&quot;-id"));
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
}

#[test]
fn a_sink_dropped_before_finishing_leaves_nothing_and_finish_is_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let results = sample_results();
    {
        let mut sink = DirSink::create(&out).unwrap();
        sink.result(&results[0]).unwrap();
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);

    let mut sink = DirSink::create(&out).unwrap();
    let aggregates = aggregate(&results, &Setup::new(&rules(), &bands()));
    let summary = RunSummary::new(&ruleset(), 1, 0, 0);
    sink.finish(&aggregates, &[], &summary).unwrap();
    let err = sink.result(&results[0]).unwrap_err().to_string();
    assert!(
        err.contains("results.jsonl") && err.contains("already finished"),
        "{err}"
    );
    assert!(sink.finish(&aggregates, &[], &summary).is_err());
}

#[test]
fn an_output_directory_that_cannot_be_created_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = DirSink::create(&file.join("out")).unwrap_err().to_string();
    assert!(err.contains("a-file") && err.contains("--out"), "{err}");
}

/// Nothing from the network: one inline script without `src=`, links only to
/// anchors of the page.
fn self_contained(html: &str) {
    for needle in [
        "src=",
        "href=http",
        "href=\"http",
        "href=\"//",
        "url(",
        "@import",
        "<link",
        "<iframe",
        "<img",
        "<object",
        "<embed",
    ] {
        assert!(
            !html.contains(needle),
            "report must be self-contained, found {needle}"
        );
    }
    assert_eq!(html.matches("<script").count(), 1, "one inline script");
    for (i, _) in html.match_indices("href=\"") {
        assert_eq!(&html[i + 6..i + 7], "#", "links stay on the page");
    }
}

fn dimensions() -> Vec<Dimension> {
    [
        ("attitude", "服务态度 Attitude", 50.0),
        ("script", "服务规范 Service script", 30.0),
        ("timeliness", "时效 Timeliness", 20.0),
    ]
    .into_iter()
    .map(|(id, title, weight)| Dimension {
        id: id.into(),
        title: title.into(),
        weight,
    })
    .collect()
}

/// One chat of `agent` on `day` with an overall score and a score per dimension
/// (attitude, script, timeliness); it passes from 80 on.
fn scored(id: &str, agent: &str, day: &str, score: u32, dims: [u32; 3]) -> InteractionResult {
    InteractionResult {
        schema_version: SCHEMA_VERSION,
        interaction_id: id.into(),
        kind: InteractionKind::Chat,
        source: "chats.jsonl".into(),
        agent_id: agent.into(),
        started_at: Some(format!("{day}T10:00:00+08:00")),
        duration_s: 60.0,
        roles: Roles::Known,
        roles_reason: None,
        ruleset: ruleset(),
        score,
        dimension_scores: ["attitude", "script", "timeliness"]
            .into_iter()
            .zip(dims)
            .map(|(d, s)| (Arc::from(d), s))
            .collect(),
        passed: score >= 80,
        fatal: false,
        violations: Vec::new(),
        passed_rules: vec!["required.greeting".into()],
        metrics: Default::default(),
        review: None,
        turns: Vec::new(),
    }
}

fn page(results: &[InteractionResult], dims: &[Dimension], roster: Option<&Roster>) -> String {
    let (rules, bands) = (rules(), bands());
    let mut setup = Setup::new(&rules, &bands);
    setup.dimensions = dims;
    setup.roster = roster;
    let aggregates = aggregate(results, &setup);
    let summary = RunSummary::new(&ruleset(), 1, results.len(), 0).at("2026-11-23T01:00:00Z");
    html::render(&Report {
        summary: &summary,
        aggregates: &aggregates,
        results,
        input_errors: &[],
        sample_coverage: &[],
        sample_target: DEFAULT_SAMPLE_TARGET,
    })
}

/// The section with `id`, up to its end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"<section class="card" id="{id}">"#))
        .unwrap_or_else(|| panic!("section {id}"));
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

/// What comes before the collapsed rest (all of `s` when nothing is collapsed).
fn before_rest(s: &str) -> &str {
    &s[..s.find(r#"<details class="rest">"#).unwrap_or(s.len())]
}

/// Four agents over two weeks; A03 is the weakest, in timeliness.
fn four_agents() -> Vec<InteractionResult> {
    let mut r = Vec::new();
    for (agent, score, dims) in [
        ("A01", 95, [100, 95, 85]),
        ("A02", 85, [90, 70, 95]),
        ("A03", 55, [80, 60, 10]),
        ("A04", 75, [60, 80, 90]),
    ] {
        for (w, day) in ["2026-11-09", "2026-11-16"].into_iter().enumerate() {
            for k in 0..3 {
                r.push(scored(&format!("{agent}-{w}-{k}"), agent, day, score, dims));
            }
        }
    }
    r
}

#[test]
fn weakness_table_and_radars_come_with_dimensions_only() {
    let r = four_agents();
    let with = page(&r, &dimensions(), None);
    self_contained(&with);
    let weak = section(&with, "weakness");
    assert!(weak.contains(r#"<table class="data weakness">"#));
    // Rows worst first: A03 (55), A04 (75), A02 (85), A01 (95), after the centre row.
    let at = |id: &str| weak.find(&format!("<b>{id}</b>")).unwrap();
    assert!(at("中心平均 Centre") < at("A03") && at("A03") < at("A04"));
    assert!(at("A04") < at("A02") && at("A02") < at("A01"));
    let row = |id: &str| {
        let s = &weak[at(id)..];
        &s[..s.find("</tr>").unwrap()]
    };
    assert!(
        row("A03").contains(r#"<td class="num dim lv5 weak">10.0<i>▼</i></td>"#),
        "A03's timeliness is marked: {}",
        row("A03")
    );
    assert!(row("A03").contains(r#"<td class="weakest">时效 Timeliness</td>"#));
    assert!(row("A04").contains(r#"<td class="weakest">服务态度 Attitude</td>"#));
    assert_eq!(row("A03").matches(" weak\"").count(), 1, "one weakest each");
    assert!(
        row("A03").contains(r#"<td class="num dim lv2">80.0</td>"#),
        "cells shaded by level"
    );

    let radar = section(&with, "radar");
    assert_eq!(radar.matches(r#"<figure class="radar">"#).count(), 4);
    assert!(
        with.contains(r#"<g id="radar-grid">"#) && radar.contains(r##"<use href="#radar-grid"/>"##)
    );
    let first = &radar[radar.find(r#"<figure class="radar">"#).unwrap()..];
    assert!(
        first[..first.find("</figure>").unwrap()].contains("<b>A03</b>"),
        "worst first"
    );
    assert!(
        radar.contains("时效 Timeliness 10.0"),
        "values in the tooltip"
    );

    let without = page(&r, &[], None);
    self_contained(&without);
    for needle in [
        r#"id="weakness""#,
        r#"id="radar""#,
        "坐席短板",
        r#"class="data weakness""#,
        r#"<figure class="radar">"#,
        "radar-grid",
    ] {
        assert!(!without.contains(needle), "no dimensions, yet {needle}");
    }
    assert!(without.contains(r#"id="assessment""#) && without.contains(r#"id="agents""#));
}

#[test]
fn at_400_agents_only_the_worst_20_are_drawn_outside_the_collapsed_part() {
    let mut r = Vec::new();
    for k in 0..400u32 {
        let agent = format!("A{:03}", k + 1);
        // A spread of scores in no particular order of ids; A400 alone scores 30.
        let score = if k == 399 { 30 } else { 40 + (k * 37) % 60 };
        for j in 0..2 {
            let passed_or_not = if j == 0 { score } else { score.min(79) };
            r.push(scored(
                &format!("{agent}-{j}"),
                &agent,
                "2026-11-16",
                passed_or_not,
                [score, 100 - score / 2, 90],
            ));
        }
    }
    let html = page(&r, &dimensions(), None);
    self_contained(&html);

    let radar = section(&html, "radar");
    assert_eq!(radar.matches(r#"<figure class="radar">"#).count(), 400);
    let shown = before_rest(radar);
    assert_eq!(shown.matches(r#"<figure class="radar">"#).count(), SHOWN);
    assert!(shown.contains("<b>A400</b>"), "the worst agent is drawn");
    assert!(radar.contains("其余 380 位坐席的雷达图"));

    let agents = section(&html, "agents");
    assert_eq!(agents.matches(r#"<rect class="bar""#).count(), SHOWN);
    assert!(agents.contains("（共 400 位）") && agents.contains("of 400"));
    let first_label = &agents[agents.find(r#"<text class="label""#).unwrap()..];
    assert!(first_label[..first_label.find("</text>").unwrap()].ends_with(">A400"));

    let weak = section(&html, "weakness");
    assert_eq!(before_rest(weak).matches("<tr><td").count(), SHOWN);
    assert_eq!(weak.matches("<tr><td").count(), 400);

    let ranking = section(&html, "assessment");
    assert_eq!(before_rest(ranking).matches("<tr><td").count(), SHOWN);
    assert!(before_rest(ranking).contains("<b>400</b><span class=\"muted\">/400</span>"));

    let trend = section(&html, "trend");
    assert!(trend.matches(r#"<g class="series agent"#).count() <= 5);
    assert!(html.len() < 3_000_000, "page weight {}", html.len());
}

#[test]
fn the_failing_list_is_capped_and_says_how_many_more_there_are() {
    let extra = 57;
    let r: Vec<InteractionResult> = (0..MAX_LISTED + extra)
        .map(|k| {
            let score = 20 + (k % 50) as u32;
            scored(&format!("f-{k:04}"), "A01", "2026-11-16", score, [score; 3])
        })
        .chain((0..10).map(|k| scored(&format!("p-{k}"), "A02", "2026-11-16", 100, [100; 3])))
        .collect();
    let html = page(&r, &dimensions(), None);
    let failing = section(&html, "failing");
    assert!(failing.contains(&format!("不达标会话 ({})", MAX_LISTED + extra)));
    assert_eq!(
        failing.matches(r#"<details class="interaction""#).count(),
        MAX_LISTED
    );
    assert_eq!(
        before_rest(failing)
            .matches(r#"<details class="interaction""#)
            .count(),
        SHOWN
    );
    assert!(failing.contains(&format!("另有 {extra} 个不达标会话未列出")));
    assert!(failing.contains(&format!("{extra} more failing interactions")));
    assert!(failing.contains("results.jsonl"));
    // Lowest score first: 20 is the lowest, 69 is not listed before 20.
    let first = &failing[failing.find(r#"<span class="score">"#).unwrap()..];
    assert!(first.starts_with(r#"<span class="score">20</span>"#));
}

#[test]
fn the_period_selector_lists_every_period_and_blocks_carry_them() {
    let r = four_agents();
    let html = page(&r, &dimensions(), None);
    let bar = &html[html.find(r#"<div class="periodbar""#).unwrap()..];
    let bar = &bar[..bar.find("</div>").unwrap()];
    assert!(bar.contains(" hidden>"), "hidden until the script shows it");
    let options: Vec<&str> = bar
        .split(r#"<option value=""#)
        .skip(1)
        .map(|o| &o[..o.find('"').unwrap()])
        .collect();
    assert_eq!(options, ["all", "2026-W47", "2026-W46"], "latest first");
    let assessment = section(&html, "assessment");
    for p in ["2026-W47", "2026-W46", "all"] {
        assert!(
            assessment.contains(&format!(r#"data-period="{p}""#)),
            "assessment block {p}"
        );
    }
    assert!(
        assessment.contains(r#"<details class="pblock" data-period="2026-W47" open>"#),
        "the latest period is open without script"
    );
    let script = &html[html.find("<script>").unwrap()..];
    assert!(script.contains(r#"getElementById("period")"#) && script.contains("data-period"));

    let one: Vec<InteractionResult> = r
        .into_iter()
        .filter(|x| x.started_at.as_deref().unwrap().starts_with("2026-11-16"))
        .collect();
    let html = page(&one, &dimensions(), None);
    assert!(
        !html.contains(r#"id="periodbar""#),
        "one period: nothing to choose"
    );
}

#[test]
fn teams_are_listed_worst_first_with_their_agents() {
    let roster = Roster::from_members([
        ("A01", "张敏", "甲组 Alpha"),
        ("A02", "李强", "乙组 <i>Bravo"),
        ("A03", "王芳", "乙组 <i>Bravo"),
        ("A04", "陈杰", "丙组 Charlie"),
    ]);
    let html = page(&four_agents(), &dimensions(), Some(&roster));
    assert!(!html.contains("<i>Bravo"), "team names are escaped");
    let teams = section(&html, "teams");
    let whole = &teams[teams.find(r#"data-period="all""#).unwrap()..];
    let table = &whole[..whole.find("</table>").unwrap()];
    let at = |team: &str| table.find(&format!("<b>{team}</b>")).unwrap();
    // Bravo: A02 85 and A03 55 -> 70; Charlie 75; Alpha 95.
    assert!(at("乙组 &lt;i&gt;Bravo") < at("丙组 Charlie"));
    assert!(at("丙组 Charlie") < at("甲组 Alpha"));
    let bravo = &whole[whole
        .find(r#"<details class="team"><summary><b>乙组 &lt;i&gt;Bravo"#)
        .unwrap()..];
    let bravo = &bravo[..bravo.find("</details>").unwrap()];
    assert!(bravo.contains("2 位 agents"));
    assert!(
        bravo.find("<b>A03</b>").unwrap() < bravo.find("<b>A02</b>").unwrap(),
        "agents of a team worst first"
    );
    assert!(!bravo.contains("<b>A01</b>"));
    for p in ["2026-W46", "2026-W47"] {
        assert!(teams.contains(&format!(r#"<details class="pblock" data-period="{p}">"#)));
    }

    let none = page(&four_agents(), &dimensions(), None);
    assert!(
        section(&none, "teams").contains("--roster"),
        "no roster, no teams"
    );
}
