//! `ruleset.toml`: scan, rescore and merge write the exact rule text they ran with
//! (the rule files concatenated in load order, with the results' sha256), and
//! `merge` takes the ruleset from the first shard when `--rules` is not given.

use crate::common;

use callqa::rules::Ruleset;
use common::{callqa_ok, s, write_chats};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const EXTRA_RULE: &str = r#"
[[rule]]
id = "forbidden.test-extra"
title = "额外禁用语"
kind = "forbidden"
dimension = "attitude"
phrases = ["随便你"]
deduct = 5
"#;

/// A rules directory of two files: the default standard and one more rule.
fn two_file_rules(dir: &Path) -> PathBuf {
    let rules = dir.join("my-rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy("rules/default.toml", rules.join("a.toml")).unwrap();
    std::fs::write(rules.join("b.toml"), EXTRA_RULE).unwrap();
    rules
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn results_sha(dir: &Path) -> String {
    let line = common::result_lines(dir)
        .into_iter()
        .find(|l| !l.contains("\"error\":"))
        .expect("a result line");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    v["ruleset"]["sha256"].as_str().unwrap().to_string()
}

#[test]
fn the_concatenation_loaded_as_one_source_is_the_same_ruleset() {
    let a = std::fs::read_to_string("rules/default.toml").unwrap();
    let b = EXTRA_RULE.to_string();
    let two = Ruleset::from_sources(&[("a.toml".into(), a.clone()), ("b.toml".into(), b.clone())])
        .unwrap();
    let one = Ruleset::from_sources(&[("ruleset.toml".into(), format!("{a}{b}"))]).unwrap();
    assert_eq!(one.sha256, two.sha256);
    assert_eq!(&*two.sha256, sha256(format!("{a}{b}").as_bytes()));
    assert_eq!(&*two.text, format!("{a}{b}"));
    assert_eq!(two.as_one_file(), Some(&*two.text));
    assert_eq!(one.rules.len(), two.rules.len());
    // A first file without a final newline does not join with the next one.
    let cut = Ruleset::from_sources(&[
        ("a.toml".into(), a.trim_end().to_string()),
        ("b.toml".into(), b.trim_start().to_string()),
    ])
    .unwrap();
    assert_eq!(cut.as_one_file(), None);
}

#[test]
fn scan_writes_the_rule_text_and_merge_takes_it_from_the_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("archive");
    std::fs::create_dir(&root).unwrap();
    write_chats(&root.join("a.jsonl"), 0, 30, 5);
    let rules = two_file_rules(tmp.path());
    let mut dirs = Vec::new();
    for k in 0..2 {
        let dir = tmp.path().join(format!("shard-{k}"));
        let shard = format!("{k}/2");
        callqa_ok(
            &[
                "scan",
                s(&root),
                "--rules",
                s(&rules),
                "--out",
                s(&dir),
                "--shard",
                &shard,
            ],
            0,
        );
        let text = std::fs::read(dir.join("ruleset.toml")).unwrap();
        let mut want = std::fs::read(rules.join("a.toml")).unwrap();
        want.extend(std::fs::read(rules.join("b.toml")).unwrap());
        assert_eq!(text, want, "the rule files in load order");
        assert_eq!(sha256(&text), results_sha(&dir));
        dirs.push(dir);
    }
    // The rules are gone (edited, or another checkout): merge does not need them.
    std::fs::remove_dir_all(&rules).unwrap();
    let merged = tmp.path().join("merged");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callqa"))
        .current_dir(tmp.path())
        .args(["merge", s(&dirs[0]), s(&dirs[1]), "--out", s(&merged)])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rules_csv = std::fs::read_to_string(merged.join("rules.csv")).unwrap();
    assert!(rules_csv.contains("forbidden.test-extra"), "{rules_csv}");
    assert_eq!(
        std::fs::read(merged.join("ruleset.toml")).unwrap(),
        std::fs::read(dirs[0].join("ruleset.toml")).unwrap()
    );
    // --rules, when given, must still be the shards' ruleset.
    let err = common::callqa(&[
        "merge",
        s(&dirs[0]),
        "--out",
        s(&merged),
        "--rules",
        "rules/default.toml",
    ]);
    assert_eq!(err.status.code(), Some(64));
}

#[test]
fn merge_without_rules_needs_the_shards_ruleset_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("archive");
    std::fs::create_dir(&root).unwrap();
    write_chats(&root.join("a.jsonl"), 0, 10, 2);
    let shard = tmp.path().join("shard-0");
    callqa_ok(&["scan", s(&root), "--out", s(&shard)], 0);
    let merged = tmp.path().join("merged");
    let args = ["merge", s(&shard), "--out", s(&merged)];
    // Another ruleset's text in its place: refused, naming the fix.
    std::fs::write(
        shard.join("ruleset.toml"),
        std::fs::read_to_string("rules/default.toml").unwrap() + EXTRA_RULE,
    )
    .unwrap();
    let out = common::callqa(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is not the ruleset the shards' results were scored with"),
        "{stderr}"
    );
    // None at all (a shard of an older callqa): refused, naming --rules.
    std::fs::remove_file(shard.join("ruleset.toml")).unwrap();
    let out = common::callqa(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ruleset.toml") && stderr.contains("--rules PATH"),
        "{stderr}"
    );
    assert!(!merged.exists(), "nothing written");
    callqa_ok(
        &["merge", s(&shard), "--out", s(&merged), "--rules", "rules"],
        0,
    );
}

#[test]
fn rescore_writes_the_rule_text_it_ran_with() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("archive");
    std::fs::create_dir(&root).unwrap();
    write_chats(&root.join("a.jsonl"), 0, 10, 2);
    let out = tmp.path().join("out");
    callqa_ok(&["scan", s(&root), "--out", s(&out)], 0);
    let rules = two_file_rules(tmp.path());
    callqa_ok(&["rescore", "--rules", s(&rules), "--out", s(&out)], 0);
    let text = std::fs::read(out.join("ruleset.toml")).unwrap();
    assert!(String::from_utf8_lossy(&text).contains("forbidden.test-extra"));
    assert_eq!(sha256(&text), results_sha(&out));
}
