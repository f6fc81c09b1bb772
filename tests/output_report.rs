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
    for needle in [
        "src=", "href=", "url(", "@import", "<link", "<script", "<iframe", "<img",
    ] {
        assert!(
            !html.contains(needle),
            "report must be self-contained, found {needle}"
        );
    }
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
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "data must not become markup"
    );
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
