//! `scan --shard K/N` and `callqa merge` end to end: shards are disjoint, their
//! union is the unsharded run, merged aggregates equal the unsharded aggregates
//! (byte for byte), sampling is global across shards, and `auto/N` reads the job
//! index from Kubernetes or Slurm.

use crate::common;

use common::{callqa_ok, s, sorted_results, write_chats};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const N: usize = 3;

fn archive(dir: &Path) -> PathBuf {
    let root = dir.join("archive");
    std::fs::create_dir(&root).unwrap();
    write_chats(&root.join("a.jsonl"), 0, 40, 5);
    write_chats(&root.join("b.jsonl"), 40, 25, 5);
    std::fs::copy("samples/chats/week48.csv", root.join("week48.csv")).unwrap();
    std::fs::write(root.join("broken.jsonl"), "{not json\n").unwrap();
    root
}

fn error_lines(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = common::result_lines(dir)
        .into_iter()
        .filter(|l| l.contains("\"error\":"))
        .collect();
    v.sort();
    v
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn check_shards(extra: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let root = archive(tmp.path());
    let whole = tmp.path().join("whole");
    let mut args = vec!["scan", s(&root), "--out", s(&whole)];
    args.extend(extra);
    callqa_ok(&args, 65);
    let want = sorted_results(&whole);
    assert!(want.len() >= 20, "{}", want.len());

    let mut dirs = Vec::new();
    let mut seen = HashSet::new();
    for k in 0..N {
        let dir = tmp.path().join(format!("shard-{k}"));
        let shard = format!("{k}/{N}");
        let mut args = vec!["scan", s(&root), "--out", s(&dir), "--shard", &shard];
        args.extend(extra);
        callqa_ok(&args, 65);
        let rs = sorted_results(&dir);
        assert!(
            !rs.is_empty() && rs.len() < want.len(),
            "shard {k} has {}",
            rs.len()
        );
        for r in rs {
            assert!(
                seen.insert((r.source.clone(), r.interaction_id.clone())),
                "{} in two shards",
                r.interaction_id
            );
        }
        dirs.push(dir);
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| s(d)));
    args.extend(["--out", s(&merged)]);
    callqa_ok(&args, 65);
    assert_eq!(
        sorted_results(&merged),
        want,
        "union of the shards == unsharded"
    );
    assert_eq!(
        error_lines(&merged),
        error_lines(&whole),
        "the broken file is reported once"
    );
    for f in ["agents.csv", "rules.csv"] {
        assert_eq!(read(merged.join(f)), read(whole.join(f)), "{f}");
    }
    if extra.contains(&"--sample") {
        let sample = read(whole.join("sample.csv"));
        for d in dirs.iter().chain([&merged]) {
            assert_eq!(
                read(d.join("sample.csv")),
                sample,
                "{}: the sample is global",
                d.display()
            );
        }
        assert!(read(merged.join("report.html")).contains("A01"));
    }
}

#[test]
fn shards_are_disjoint_and_merge_to_the_unsharded_run() {
    check_shards(&[]);
}

#[test]
fn sampled_shards_merge_to_the_sampled_unsharded_run() {
    check_shards(&["--sample", "0.3", "--seed", "5"]);
}

#[test]
fn auto_takes_the_shard_from_the_job_system() {
    let tmp = tempfile::tempdir().unwrap();
    let root = archive(tmp.path());
    let explicit = tmp.path().join("explicit");
    callqa_ok(
        &["scan", s(&root), "--out", s(&explicit), "--shard", "1/3"],
        65,
    );
    let want = sorted_results(&explicit);
    let envs: [&[(&str, &str)]; 2] = [
        &[("JOB_COMPLETION_INDEX", "1")],
        &[("SLURM_ARRAY_TASK_ID", "2"), ("SLURM_ARRAY_TASK_MIN", "1")],
    ];
    for (n, env) in envs.iter().enumerate() {
        let out = tmp.path().join(format!("auto-{n}"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_callqa"));
        cmd.args(["scan", s(&root), "--out", s(&out), "--shard", "auto/3"]);
        cmd.env_remove("JOB_COMPLETION_INDEX")
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("SLURM_ARRAY_TASK_MIN");
        cmd.envs(env.iter().copied());
        let status = cmd.output().unwrap();
        assert_eq!(
            status.status.code(),
            Some(65),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert_eq!(sorted_results(&out), want, "{env:?}");
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callqa"));
    cmd.args([
        "scan",
        s(&root),
        "--out",
        s(&tmp.path().join("none")),
        "--shard",
        "auto/3",
    ]);
    cmd.env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(
        stderr.contains("JOB_COMPLETION_INDEX") && stderr.contains("SLURM_ARRAY_TASK_ID"),
        "{stderr}"
    );
}

#[test]
fn merge_refuses_rules_the_shards_did_not_use() {
    let tmp = tempfile::tempdir().unwrap();
    let root = archive(tmp.path());
    let shard = tmp.path().join("shard-0");
    callqa_ok(
        &["scan", s(&root), "--out", s(&shard), "--shard", "0/2"],
        65,
    );
    let other = tmp.path().join("other-rules.toml");
    std::fs::write(
        &other,
        read("rules/default.toml".into()).replace("2026.12.1", "2027.1"),
    )
    .unwrap();
    let out = common::callqa(&[
        "merge",
        s(&shard),
        "--out",
        s(&tmp.path().join("m")),
        "--rules",
        s(&other),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(64), "{stderr}");
    assert!(
        stderr.contains("give the rules the shards ran with"),
        "{stderr}"
    );
}
