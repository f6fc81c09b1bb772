//! Golden CLI tests: exit codes, the outputs of `callqa scan` on the shipped samples,
//! and how bad inputs are reported without stopping the batch.

use std::path::Path;
use std::process::{Command, Output};

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa"))
        .args(args)
        .output()
        .expect("run callqa")
}

fn results(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn by_id<'a>(rs: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    rs.iter()
        .find(|r| r["interaction_id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

fn violated(r: &serde_json::Value) -> Vec<String> {
    r["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn scan_samples_exit_0_and_score_as_documented() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = callqa(&[
        "scan",
        "samples/chats",
        "samples/transcripts",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["results.jsonl", "agents.csv", "rules.csv", "report.html"] {
        assert!(out_dir.path().join(f).is_file(), "{f} missing");
    }
    let rs = results(out_dir.path());
    assert_eq!(rs.len(), 13);
    // Compliant conversation.
    let c1 = by_id(&rs, "c-0001");
    assert_eq!(
        (c1["score"].as_u64(), c1["passed"].as_bool()),
        (Some(100), Some(true))
    );
    // Three refusals, capped at max-deduct 20, plus a missing apology.
    let c2 = by_id(&rs, "c-0002");
    assert_eq!(violated(c2), ["forbidden.dont-know", "required.apology"]);
    assert_eq!(c2["score"], 75);
    // Late first response, no greeting, shirking, no apology.
    let c3 = by_id(&rs, "c-0003");
    assert_eq!(
        violated(c3),
        [
            "forbidden.not-my-job",
            "required.greeting",
            "required.apology",
            "metric.first-response",
            "metric.max-wait"
        ]
    );
    // Except contexts: "如果您不清楚", "有没有办法", "滚动" must not count.
    let c4 = by_id(&rs, "c-0004");
    assert_eq!(violated(c4), Vec::<String>::new());
    // Fatal: score 0.
    let c5 = by_id(&rs, "c-0005");
    assert_eq!(
        (c5["score"].as_u64(), c5["fatal"].as_bool()),
        (Some(0), Some(true))
    );
    // Traditional characters with spaces: evidence quotes the original.
    let c6 = by_id(&rs, "c-0006");
    let ev = &c6["violations"][0]["evidence"][0];
    assert_eq!(ev["matched"], "沒 辦 法");
    // The customer's 不知道 does not count; the complaint flag does (without deduction).
    let c7 = by_id(&rs, "c-0007");
    assert_eq!(violated(c7), ["flag.complaint-threat"]);
    assert_eq!(c7["score"], 100);
    // Numbers are masked in outputs but the rule still saw the full number.
    let c8 = by_id(&rs, "c-0008");
    assert_eq!(violated(c8), ["privacy.reads-full-number"]);
    let text = serde_json::to_string(c8).unwrap();
    assert!(
        !text.contains("13812345678") && text.contains("138****5678"),
        "{text}"
    );
    assert!(!text.contains("110105199003071239"));
    // Transcript from another recognizer.
    let t1 = by_id(&rs, "t-0001");
    assert_eq!(t1["kind"], "transcript");
    assert_eq!(violated(t1), ["forbidden.no-way"]);
}

#[test]
fn no_redact_keeps_numbers() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = callqa(&[
        "scan",
        "samples/chats/week47.jsonl",
        "--no-redact",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let all = std::fs::read_to_string(out_dir.path().join("results.jsonl")).unwrap();
    assert!(all.contains("13812345678"));
}

#[test]
fn malformed_lines_are_reported_with_line_numbers_and_exit_65() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = callqa(&[
        "scan",
        "tests/data/chats/malformed.jsonl",
        "samples/chats/week48.csv",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("tests/data/chats/malformed.jsonl:2: bad JSON"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tests/data/chats/malformed.jsonl:4: ts \"not-a-time\""),
        "{stderr}"
    );
    let rs = results(out_dir.path());
    // Two error lines, then the good conversation from the same file, then week48.csv.
    let errors: Vec<_> = rs.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(errors.len(), 2);
    assert!(errors
        .iter()
        .all(|e| e["source"] == "tests/data/chats/malformed.jsonl"));
    let x1 = by_id(&rs, "x1");
    assert_eq!(
        violated(x1),
        [
            "forbidden.dont-know",
            "required.closing",
            "required.apology"
        ]
    );
    by_id(&rs, "c-0011");
}

#[test]
fn empty_and_missing_inputs() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = callqa(&[
        "scan",
        "tests/data/chats/empty.jsonl",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    // Nothing to score is no input: exit 66 and no outputs written.
    assert_eq!(
        out.status.code(),
        Some(66),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("they are empty"));
    assert!(!out_dir.path().join("results.jsonl").exists());
    let out = callqa(&[
        "scan",
        "no/such/file.jsonl",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(66));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no/such/file.jsonl: no such file or directory"));
}

#[test]
fn usage_errors_exit_64_and_bad_rules_exit_78() {
    assert_eq!(callqa(&["scan"]).status.code(), Some(64));
    assert_eq!(callqa(&["frobnicate"]).status.code(), Some(64));
    assert_eq!(
        callqa(&["scan", "x.jsonl", "--jobs", "0"]).status.code(),
        Some(64)
    );
    let out = callqa(&[
        "scan",
        "samples/chats",
        "--rules",
        "tests/data/bad_rules/duplicate_id.toml",
    ]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate id"));
    let help = callqa(&["scan", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--rules"));
    for cmd in [
        &["rules", "--help"][..],
        &["model", "--help"],
        &["model", "fetch", "--help"],
        &["rules", "check", "--help"],
    ] {
        assert_eq!(callqa(cmd).status.code(), Some(0), "{cmd:?}");
    }
}

#[test]
fn rules_test_passes_on_the_shipped_rules_and_fails_on_a_broken_example() {
    let ok = callqa(&["rules", "test", "rules"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: "));
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    let text = std::fs::read_to_string("rules/default.toml").unwrap();
    assert!(text.contains("\"这个真没办法\""));
    std::fs::write(
        &broken,
        text.replace("\"这个真没办法\"", "\"这个真的可以\""),
    )
    .unwrap();
    let out = callqa(&["rules", "test", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .position(|l| l.contains("\"这个真没办法\""))
        .unwrap()
        + 1;
    assert!(
        stdout.contains(&format!("broken.toml:{line}:"))
            && stdout.contains("rule `forbidden.no-way`: example \"这个真的可以\" should hit"),
        "{stdout}"
    );
}
