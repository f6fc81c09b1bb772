//! Runs the table of scanner cases in `tests/data/scan_cases.toml`.

use callqa::interaction::{Interaction, InteractionKind, Roles, Speaker, TimedSpan, Turn};
use callqa::rules::Ruleset;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    rules: String,
    #[serde(default)]
    kind: Option<InteractionKind>,
    #[serde(default)]
    roles: Roles,
    turns: Vec<CaseTurn>,
    duration: Option<f64>,
    #[serde(default)]
    measured: BTreeMap<String, f64>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseTurn {
    speaker: Speaker,
    at: f64,
    end: Option<f64>,
    text: String,
    #[serde(default)]
    spans: Vec<(usize, usize, f64, f64)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    score: u32,
    passed: bool,
    #[serde(default)]
    fatal: bool,
    violated: Vec<String>,
    #[serde(default)]
    hits: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    fuzzy: Vec<String>,
    /// Dimension id -> score; empty: the ruleset has no dimensions.
    #[serde(default)]
    dimensions: BTreeMap<String, u32>,
}

fn interaction(case: &Case) -> Interaction {
    let turns: Vec<Turn> = case
        .turns
        .iter()
        .map(|t| Turn {
            speaker: t.speaker,
            start_s: t.at,
            end_s: t.end.unwrap_or(t.at),
            text: t.text.clone(),
            spans: t
                .spans
                .iter()
                .map(|s| TimedSpan {
                    start_byte: s.0,
                    end_byte: s.1,
                    start_s: s.2,
                    end_s: s.3,
                })
                .collect(),
        })
        .collect();
    let duration = case
        .duration
        .unwrap_or_else(|| turns.iter().map(|t| t.end_s).fold(0.0, f64::max));
    Interaction {
        id: "case".into(),
        kind: Some(case.kind.unwrap_or(InteractionKind::Chat)),
        source: "table".into(),
        agent_id: "A".into(),
        started_at: None,
        duration_s: duration,
        roles: case.roles,
        roles_reason: None,
        turns,
        measured: case.measured.clone(),
    }
}

#[test]
fn scanner_table() {
    let table: Table =
        toml::from_str(&std::fs::read_to_string("tests/data/scan_cases.toml").unwrap()).unwrap();
    assert!(table.case.len() >= 30);
    let mut failures = Vec::new();
    for case in &table.case {
        let source = format!(
            "[ruleset]\nname = \"t\"\nversion = \"1\"\npass-score = 80\n{}",
            case.rules
        );
        let ruleset = match Ruleset::from_sources(&[(PathBuf::from(&case.name), source)]) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: rules do not load: {e}", case.name));
                continue;
            }
        };
        let result = callqa::scan::scan(&interaction(case), &ruleset);
        let violated: Vec<String> = result
            .violations
            .iter()
            .map(|v| v.rule_id.to_string())
            .collect();
        let mut hits: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut fuzzy: Vec<String> = Vec::new();
        for v in &result.violations {
            if !v.evidence.is_empty() {
                hits.insert(
                    v.rule_id.to_string(),
                    v.evidence.iter().map(|e| e.matched.clone()).collect(),
                );
            }
            if v.evidence.iter().any(|e| e.fuzzy) {
                fuzzy.push(v.rule_id.to_string());
            }
            for e in &v.evidence {
                // Evidence offsets must point at the matched text in the original turn.
                let turn = &result.turns[e.turn - 1];
                if turn.text.get(e.start_byte..e.end_byte) != Some(e.matched.as_str()) {
                    failures.push(format!(
                        "{}: evidence offsets {}..{} do not quote {:?}",
                        case.name, e.start_byte, e.end_byte, e.matched
                    ));
                }
            }
        }
        let dimensions: BTreeMap<String, u32> = result
            .dimension_scores
            .iter()
            .map(|(d, s)| (d.to_string(), *s))
            .collect();
        if dimensions != case.expect.dimensions {
            failures.push(format!(
                "{}: dimension scores {dimensions:?}, want {:?}",
                case.name, case.expect.dimensions
            ));
        }
        let got = (
            result.score,
            result.passed,
            result.fatal,
            &violated,
            &hits,
            &fuzzy,
        );
        let want = (
            case.expect.score,
            case.expect.passed,
            case.expect.fatal,
            &case.expect.violated,
            &case.expect.hits,
            &case.expect.fuzzy,
        );
        if got != want {
            failures.push(format!("{}:\n  want (score, passed, fatal, violated, hits, fuzzy) = {want:?}\n  got  {got:?}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
