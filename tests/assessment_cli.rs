//! `scan --roster --period --excel` on the samples: teams.csv and assessment.csv
//! as documented, the roster's names and teams, agents missing from the roster
//! named once, a bad roster refused with file:line and exit 78 before anything is
//! written, and the BOM on every CSV only with --excel.

use crate::common::{callqa, callqa_ok, s};

fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let mut rows = vec![r.headers().unwrap().iter().map(String::from).collect()];
    rows.extend(
        r.records()
            .map(|x| x.unwrap().iter().map(String::from).collect()),
    );
    rows
}

#[test]
fn roster_and_month_give_teams_and_assessment() {
    let dir = tempfile::tempdir().unwrap();
    let roster = dir.path().join("roster.csv");
    // A04 is left out of the roster on purpose.
    let text = std::fs::read_to_string("samples/roster.csv").unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("A04")).collect();
    std::fs::write(&roster, kept.join("\n")).unwrap();
    let out = dir.path().join("out");
    let run = callqa_ok(
        &[
            "scan",
            "samples/chats",
            "samples/transcripts",
            "--out",
            s(&out),
            "--roster",
            s(&roster),
            "--period",
            "month",
        ],
        0,
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        stderr.matches("not in the roster").count(),
        1,
        "missing agents are reported once: {stderr}"
    );
    assert!(
        stderr.contains("1 agent(s) not in the roster, assessed under team \"(none)\": A04"),
        "{stderr}"
    );

    let agents = csv_rows(&out.join("agents.csv"));
    let assessment = csv_rows(&out.join("assessment.csv"));
    let teams = csv_rows(&out.join("teams.csv"));
    let header = &assessment[0];
    for column in [
        "agent_id",
        "name",
        "team",
        "period",
        "adherence_rate",
        "wilson_low",
        "wilson_high",
        "mean_score",
        "score_attitude",
        "score_discipline",
        "team_rank",
        "centre_percentile",
        "group",
        "band",
        "coefficient",
        "alert",
    ] {
        assert!(
            header.iter().any(|h| h == column),
            "assessment.csv lacks {column}: {header:?}"
        );
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Every row is valid under docs/assessment.schema.json.
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/assessment.schema.json").unwrap())
            .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for row in &assessment[1..] {
        let value = callqa::output::assessment_schema::row_as_json(header, row);
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{value}: {errors:?}");
    }
    // One row per agent and month; the samples are all from November 2026.
    assert_eq!(assessment.len() - 1, 4);
    assert!(assessment[1..]
        .iter()
        .all(|r| r[col("period")] == "2026-11"));
    let a04 = assessment.iter().find(|r| r[0] == "A04").unwrap();
    assert_eq!(
        (a04[col("name")].as_str(), a04[col("team")].as_str()),
        ("", "(none)")
    );
    let a01 = assessment.iter().find(|r| r[0] == "A01").unwrap();
    assert_eq!(a01[col("name")], "张敏");
    assert_eq!(a01[col("team")], "一组 Team 1");
    // Centre ranks 1..4, best mean first.
    let ranks: Vec<&str> = assessment[1..]
        .iter()
        .map(|r| r[col("centre_rank")].as_str())
        .collect();
    assert_eq!(ranks, ["1", "2", "3", "4"]);
    let means: Vec<f64> = assessment[1..]
        .iter()
        .map(|r| r[col("mean_score")].parse().unwrap())
        .collect();
    assert!(means.windows(2).all(|w| w[0] >= w[1]), "{means:?}");

    // teams.csv: one row per team and month, each the sum of its agents.
    assert_eq!(teams[0][0..3], ["team", "period", "agents"]);
    let agents_col = |name: &str| agents[0].iter().position(|h| h == name).unwrap();
    for t in &teams[1..] {
        let members: Vec<&Vec<String>> = agents[1..]
            .iter()
            .filter(|a| a[agents_col("team")] == t[0])
            .collect();
        let assessed: usize = members
            .iter()
            .map(|a| a[agents_col("assessed")].parse::<usize>().unwrap())
            .sum();
        assert_eq!(
            t[3].parse::<usize>().unwrap(),
            assessed,
            "team {} assessed",
            t[0]
        );
        assert_eq!(t[2].parse::<usize>().unwrap(), members.len());
    }
    assert_eq!(teams.len() - 1, 3, "一组, 二组 and (none): {teams:?}");
    // Without --excel no CSV starts with a BOM.
    for f in ["agents.csv", "teams.csv", "assessment.csv", "rules.csv"] {
        let bytes = std::fs::read(out.join(f)).unwrap();
        assert!(
            !bytes.starts_with(b"\xEF\xBB\xBF"),
            "{f} has a BOM without --excel"
        );
    }
}

#[test]
fn excel_puts_a_bom_before_every_csv_and_changes_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, excel) = (dir.path().join("plain"), dir.path().join("excel"));
    for (out, extra) in [(&plain, None), (&excel, Some("--excel"))] {
        let mut args = vec![
            "scan",
            "samples/chats",
            "--out",
            s(out),
            "--roster",
            "samples/roster.csv",
            "--sample",
            "0.5",
        ];
        args.extend(extra);
        callqa_ok(&args, 0);
    }
    for f in [
        "agents.csv",
        "teams.csv",
        "assessment.csv",
        "rules.csv",
        "sample.csv",
    ] {
        let a = std::fs::read(plain.join(f)).unwrap();
        let b = std::fs::read(excel.join(f)).unwrap();
        assert_eq!(&b[..3], b"\xEF\xBB\xBF", "{f} starts with the BOM");
        assert_eq!(&b[3..], &a[..], "{f} is otherwise the same");
    }
}

#[test]
fn a_bad_roster_is_refused_with_every_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (roster, want) in [
        (
            "tests/data/rosters/missing_team.csv",
            "error: tests/data/rosters/missing_team.csv:1: the header lacks column `team`; a roster needs agent_id,name,team (more columns are allowed)\n",
        ),
        (
            "tests/data/rosters/bad_lines.csv",
            "error: tests/data/rosters/bad_lines.csv:3: empty agent_id\nerror: tests/data/rosters/bad_lines.csv:4: agent A01 is listed twice (first at line 2); keep one line per agent\nerror: tests/data/rosters/bad_lines.csv:5: 1 field(s) where agent_id,name,team need 3 (an unclosed quote or a missing comma?)\n",
        ),
    ] {
        let run = callqa(&["scan", "samples/chats", "--out", s(&out), "--roster", roster]);
        assert_eq!(run.status.code(), Some(78), "{roster}");
        assert_eq!(String::from_utf8_lossy(&run.stderr), want, "{roster}");
        assert!(!out.exists(), "nothing written for a bad roster");
    }
    // A roster given as an input is named as such, not read as a chat log.
    let run = callqa(&["scan", "samples/roster.csv", "--out", s(&out)]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("a roster (agent_id,name,team), not interactions; give it with --roster"),
        "{stderr}"
    );
}
