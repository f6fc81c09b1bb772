//! `callqa rescore --rules NEW`: re-applying a changed ruleset to the state database
//! gives exactly the results of a fresh scan with NEW (same order), records them for
//! export, and reports per rule old vs new hits in rescore.csv.

use crate::common;

use common::{callqa_ok, s, sorted_results, write_chats};
use std::path::Path;

/// The default rules with "不知道" no longer forbidden and a new forbidden phrase.
fn new_rules(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string("rules/default.toml").unwrap();
    let changed = text
        .replace("version = \"2026.12.1\"", "version = \"2026.12.0\"")
        .replace(
            "phrases = [\"不知道\", \"不清楚\", \"不晓得\"]",
            "phrases = [\"不清楚\", \"不晓得\", \"催促\"]",
        );
    assert_ne!(
        changed, text,
        "the rule file still has the phrases this test edits"
    );
    let path = dir.join("rules-v2");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("default.toml"), changed).unwrap();
    path
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn rescore_equals_a_fresh_scan_with_the_new_rules() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    write_chats(&archive.join("a.jsonl"), 0, 40, 4);
    std::fs::copy("samples/chats/week47.jsonl", archive.join("week47.jsonl")).unwrap();
    std::fs::copy(
        "samples/transcripts/t-0001.json",
        archive.join("t-0001.json"),
    )
    .unwrap();
    let rules = new_rules(dir.path());
    let (out, fresh) = (dir.path().join("out"), dir.path().join("fresh"));

    callqa_ok(&["scan", s(&archive), "--out", s(&out)], 0);
    let before = sorted_results(&out);
    let stderr = callqa_ok(&["rescore", "--rules", s(&rules), "--out", s(&out)], 0).stderr;
    let status = String::from_utf8_lossy(&stderr);
    assert!(
        status.contains("rescored 51 interaction(s)") && status.contains("rescore.csv"),
        "{status}"
    );
    callqa_ok(
        &[
            "scan",
            s(&archive),
            "--rules",
            s(&rules),
            "--out",
            s(&fresh),
        ],
        0,
    );

    let rescored = sorted_results(&out);
    assert_eq!(rescored.len(), 51);
    assert_eq!(
        rescored,
        sorted_results(&fresh),
        "rescore == fresh scan with the new rules"
    );
    assert_ne!(rescored, before, "the rules change changed results");
    assert!(rescored.iter().all(|r| &*r.ruleset.version == "2026.12.0"));
    for f in ["agents.csv", "rules.csv"] {
        assert_eq!(
            std::fs::read_to_string(out.join(f)).unwrap(),
            std::fs::read_to_string(fresh.join(f)).unwrap(),
            "{f}"
        );
    }

    // rescore.csv: the changed rule counts as the results say.
    let csv = std::fs::read_to_string(out.join("rescore.csv")).unwrap();
    let table = rows(&csv);
    let row = table
        .iter()
        .find(|r| r[0] == "forbidden.dont-know")
        .expect("the changed rule");
    let n = |i: usize| row[i].parse::<usize>().unwrap();
    let count = |rs: &[callqa::scan::result::InteractionResult]| {
        rs.iter()
            .flat_map(|r| &r.violations)
            .filter(|v| &*v.rule_id == "forbidden.dont-know")
            .map(|v| v.evidence.len())
            .sum::<usize>()
    };
    assert_eq!((n(1), n(2)), (count(&before), count(&rescored)), "{csv}");
    assert_ne!(n(1), n(2), "{csv}");

    // The next nightly scan with the new rules hands out the rescored results.
    let night = callqa_ok(
        &["scan", s(&archive), "--rules", s(&rules), "--out", s(&out)],
        0,
    );
    let night = String::from_utf8_lossy(&night.stderr);
    assert!(night.contains("51 result(s) reused"), "{night}");
    assert_eq!(sorted_results(&out), rescored);

    // The new results are in the store: export sends the new ruleset's lines.
    let export = callqa_ok(&["export", "--db", s(&out.join("callqa.db"))], 0).stdout;
    let exported: Vec<String> = String::from_utf8(export)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    common::validate(&exported);
    assert_eq!(exported.len(), 2 * 51, "both rulesets' results are kept");
    assert_eq!(
        exported.iter().filter(|l| l.contains("2026.12.0")).count(),
        51
    );
}

#[test]
fn rescore_without_a_database_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::callqa(&["rescore", "--rules", "rules", "--out", s(dir.path())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("callqa.db") && stderr.contains("callqa scan"),
        "{stderr}"
    );
}
