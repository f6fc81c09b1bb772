#![cfg(all(unix, feature = "whisper"))]
//! Crash safety while calls are being transcribed, with the real model: a scan of
//! nine recordings (two transcript commits) killed with SIGKILL before the first
//! commit, between the commits (watched in the database), and once every
//! transcript is committed, then run again, leaves byte-identical outputs to an
//! uninterrupted run.

mod common;

use common::{model, s};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The five sample calls and four near copies (one byte of audio changed, so each
/// is a recording of its own), with a manifest.
fn calls(root: &Path) -> PathBuf {
    std::fs::create_dir_all(root).unwrap();
    let manifest = std::fs::read_to_string("samples/calls/manifest.csv").unwrap();
    let mut lines: Vec<String> = manifest.lines().map(str::to_string).collect();
    for row in manifest.lines().skip(1) {
        let file = row.split(',').nth(1).unwrap();
        std::fs::copy(Path::new("samples/calls").join(file), root.join(file)).unwrap();
    }
    for (n, row) in manifest.lines().skip(1).take(4).enumerate() {
        let file = row.split(',').nth(1).unwrap();
        let copy = format!("copy-{n}.wav");
        let mut bytes = std::fs::read(Path::new("samples/calls").join(file)).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(root.join(&copy), bytes).unwrap();
        let id = row.split(',').next().unwrap();
        lines.push(
            row.replacen(id, &format!("{id}-copy"), 1)
                .replacen(file, &copy, 1),
        );
    }
    let path = root.join("manifest.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn scan(manifest: &Path, model: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callqa"));
    cmd.args([
        "scan",
        s(manifest),
        "--out",
        s(out),
        "--model",
        s(model),
        "-j",
        "2",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    cmd
}

fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    ["results.jsonl", "agents.csv", "rules.csv"]
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read(out.join(f)).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn scans_killed_while_transcribing_rerun_to_the_outputs_of_an_uninterrupted_run() {
    let Some(model) = model() else { return };
    let dir = tempfile::tempdir().unwrap();
    let manifest = calls(&dir.path().join("calls"));
    let clean = dir.path().join("clean");
    let started = Instant::now();
    assert!(scan(&manifest, &model, &clean).status().unwrap().success());
    let full = started.elapsed();
    let want = outputs(&clean);
    let lines = common::result_lines(&clean);
    assert_eq!(lines.len(), 9, "one result per call");

    // Transcripts committed so far, read on a read-only connection (cheap enough
    // to poll every few milliseconds; what is not committed is not seen).
    let transcripts = |out: &Path| -> i64 {
        rusqlite::Connection::open_with_flags(
            out.join("callqa.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .and_then(|c| {
            c.busy_timeout(std::time::Duration::from_millis(20))?;
            c.query_row("SELECT count(*) FROM transcripts", [], |r| r.get(0))
        })
        .unwrap_or(0)
    };
    let mut killed_midway = 0;
    let mut partial_caches = 0;
    // Kill points: early (before any commit), as soon as the first commit is seen
    // (between the commits), as soon as all nine transcripts are committed (while
    // results are scored and written).
    for (run, point) in ["early", "between commits", "after the last commit"]
        .into_iter()
        .enumerate()
    {
        let out = dir.path().join(format!("killed-{run}"));
        let mut child = scan(&manifest, &model, &out).spawn().unwrap();
        let started = Instant::now();
        let deadline = full.mul_f64(3.0);
        loop {
            // After the last commit only scoring and writing are left: poll often.
            std::thread::sleep(std::time::Duration::from_millis(5));
            if child.try_wait().unwrap().is_some() || started.elapsed() > deadline {
                break;
            }
            let cached = transcripts(&out);
            let now = match run {
                0 => started.elapsed() >= full.mul_f64(0.3),
                1 => (1..9).contains(&cached),
                _ => cached == 9,
            };
            if now {
                break;
            }
        }
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap_or(()); // SIGKILL
        child.wait().unwrap();
        killed_midway += usize::from(!finished);
        let cached = transcripts(&out);
        partial_caches += usize::from(cached > 0 && cached < 9);
        eprintln!(
            "run {run}: killed {point} at {:?} of {full:?}; {cached} transcript(s) committed",
            started.elapsed()
        );
        let rerun = scan(&manifest, &model, &out).status().unwrap();
        assert!(
            rerun.success(),
            "run {run}: rerun after a kill {point} failed"
        );
        for ((name, want), (_, got)) in want.iter().zip(outputs(&out)) {
            assert!(
                *want == got,
                "run {run}: {name} differs after a kill {point}"
            );
        }
    }
    assert!(
        partial_caches >= 1,
        "no run was killed between the two transcript commits ({full:?})"
    );
    assert!(
        killed_midway == 3,
        "only {killed_midway} of 3 runs were killed before finishing ({full:?})"
    );
}
