//! Runs the table of assessment cases in `tests/data/assessment_cases.toml`:
//! ranks, percentiles and groups within team and centre, ties, tiny teams, and
//! the two-period alert across month and year ends.

use callqa::aggregate::{aggregate, PeriodKind, Setup};
use callqa::input::roster::Roster;
use callqa::interaction::{InteractionKind, Roles};
use callqa::scan::result::{InteractionResult, RulesetId};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Case {
    name: String,
    period: String,
    alert_below: Option<f64>,
    roster: Vec<(String, String, String)>,
    interactions: Vec<(String, String, u32, bool)>,
    expect: Vec<String>,
    /// team -> agents expected in it.
    #[serde(default)]
    teams: BTreeMap<String, Vec<String>>,
}

fn result(i: usize, (agent, at, score, passed): &(String, String, u32, bool)) -> InteractionResult {
    InteractionResult {
        schema_version: 1,
        interaction_id: format!("i{i}"),
        kind: InteractionKind::Chat,
        source: "s".into(),
        agent_id: agent.clone(),
        started_at: Some(at.clone()),
        duration_s: 1.0,
        roles: Roles::Known,
        roles_reason: None,
        ruleset: RulesetId {
            name: "n".into(),
            version: "v".into(),
            sha256: "h".into(),
        },
        score: *score,
        dimension_scores: Default::default(),
        passed: *passed,
        fatal: false,
        violations: vec![],
        passed_rules: vec![],
        metrics: Default::default(),
        review: None,
        turns: vec![],
    }
}

#[test]
fn assessment_table() {
    let text = std::fs::read_to_string("tests/data/assessment_cases.toml").unwrap();
    let table: Table = toml::from_str(&text).unwrap();
    assert!(table.case.len() >= 10, "expected the assessment table");
    let mut failures = Vec::new();
    for case in &table.case {
        let roster = Roster::from_members(
            case.roster
                .iter()
                .map(|(a, n, t)| (a.as_str(), n.as_str(), t.as_str())),
        );
        let period = match case.period.as_str() {
            "week" => PeriodKind::Week,
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            other => panic!("{}: unknown period {other}", case.name),
        };
        let results: Vec<InteractionResult> = case
            .interactions
            .iter()
            .enumerate()
            .map(|(i, x)| result(i, x))
            .collect();
        let setup = Setup {
            period,
            roster: Some(&roster),
            alert_below: case.alert_below.unwrap_or(60.0),
            ..Setup::new(&[], &[])
        };
        let a = aggregate(&results, &setup);
        let got: Vec<String> = a
            .assessment
            .iter()
            .map(|r| {
                format!(
                    "{} {} {}/{} {}/{} {} {}",
                    r.agent_id,
                    r.period,
                    r.centre_rank.rank,
                    r.centre_rank.of,
                    r.team_rank.rank,
                    r.team_rank.of,
                    r.group.name(),
                    r.alert.as_deref().unwrap_or("-")
                )
            })
            .collect();
        if got != case.expect {
            failures.push(format!(
                "{}:\n  want {:#?}\n  got  {got:#?}",
                case.name, case.expect
            ));
        }
        for (team, agents) in &case.teams {
            let mut members: Vec<String> = a
                .assessment
                .iter()
                .filter(|r| &r.team == team)
                .map(|r| r.agent_id.clone())
                .collect();
            members.sort();
            if &members != agents {
                failures.push(format!(
                    "{}: team {team} has {members:?}, want {agents:?}",
                    case.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
