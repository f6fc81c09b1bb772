//! Crash safety of `callqa scan` end to end: the binary, killed with SIGKILL at
//! seeded random moments and run again, leaves byte-identical outputs to an
//! uninterrupted run (results, aggregates, sample), and a second process on a
//! database in use exits with 75 (EX_TEMPFAIL) and says who holds it.

mod common;

use common::{callqa_ok, s, write_chats};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const FILES: usize = 120;
const PER_FILE: usize = 25;

fn archive(root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    for f in 0..FILES {
        write_chats(
            &root.join(format!("day-{f:03}.jsonl")),
            f * PER_FILE,
            PER_FILE,
            7,
        );
    }
}

fn scan(archive: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callqa"));
    cmd.args([
        "scan",
        s(archive),
        "--out",
        s(out),
        "--sample",
        "0.5",
        "--seed",
        "11",
        "-j",
        "2",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    cmd
}

/// The outputs that must not depend on crashes (report.html carries a time stamp).
fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    ["results.jsonl", "agents.csv", "rules.csv", "sample.csv"]
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")),
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn killed_scans_rerun_to_the_outputs_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    archive(&root);
    let clean = dir.path().join("clean");
    // The faster of two clean runs (the first one also warms the page cache), so
    // the kill times below fall inside a run rather than after it.
    let mut full = std::time::Duration::MAX;
    for _ in 0..2 {
        let _ = std::fs::remove_dir_all(&clean);
        let started = Instant::now();
        assert!(scan(&root, &clean).status().unwrap().success());
        full = full.min(started.elapsed());
    }
    let want = outputs(&clean);
    common::result_lines(&clean);
    assert!(want[0].1.len() > 10_000, "a real amount of output");

    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut killed_midway = 0;
    for run in 0..5 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = full.mul_f64(0.05 + 0.8 * ((x >> 11) as f64 / (1u64 << 53) as f64));
        let out = dir.path().join(format!("crash-{run}"));
        let mut child = scan(&root, &out).spawn().unwrap();
        std::thread::sleep(at);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap_or(()); // SIGKILL
        child.wait().unwrap();
        killed_midway += usize::from(!finished);
        let rerun = scan(&root, &out).status().unwrap();
        assert!(
            rerun.success(),
            "run {run}: rerun after a kill at {at:?} failed: {rerun}"
        );
        let got = outputs(&out);
        for ((name, a), (_, b)) in want.iter().zip(&got) {
            assert!(
                a == b,
                "run {run}: {name} differs after a kill at {at:?} of {full:?}"
            );
        }
    }
    assert!(
        killed_midway >= 3,
        "only {killed_midway} of 5 runs were killed before finishing ({full:?})"
    );
}

#[test]
fn a_second_process_on_a_database_in_use_exits_75() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let holder = callqa::store::Store::open(&db).unwrap();
    let out = common::callqa(&[
        "scan",
        "samples/chats",
        "--out",
        s(&dir.path().join("o")),
        "--db",
        s(&db),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(callqa::cli::exit::DB_IN_USE),
        "{stderr}"
    );
    assert_eq!(callqa::cli::exit::DB_IN_USE, 75);
    assert!(
        stderr.contains("is in use by process")
            && stderr.contains(&std::process::id().to_string())
            && stderr.contains("--db"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("o").join("results.jsonl").exists(),
        "nothing written"
    );
    drop(holder);
    callqa_ok(
        &[
            "scan",
            "samples/chats",
            "--out",
            s(&dir.path().join("o")),
            "--db",
            s(&db),
        ],
        0,
    );
}
