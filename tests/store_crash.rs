//! Crash safety of the store: a writer killed with SIGKILL at random moments and run
//! again ends with exactly the state of an uninterrupted run (nothing lost, nothing
//! duplicated), and the killed process never leaves the database locked.
//!
//! The writer is this test binary itself, re-run with `CALLQA_CRASH_CHILD=<db>` so
//! that only [`crash_child`] does work.

use callqa::interaction::{Interaction, Speaker, Turn};
use callqa::sample::{self, SampleItem};
use callqa::store::{CachedTranscript, ResultKey, Store, TranscriptKey};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const CHILD_ENV: &str = "CALLQA_CRASH_CHILD";
const ITEMS: usize = 400;

/// The workload: per item, cache a transcript, store the interaction and its
/// result (skipping what is already there, as a rerun does), then sample.
fn workload(db: &Path) {
    let mut store = Store::open(db).expect("open");
    for i in 0..ITEMS {
        let id = format!("c-{i:04}");
        let key = TranscriptKey {
            audio_hash: format!("audio-{i}"),
            model: "m".into(),
            settings: "zh".into(),
        };
        if store.transcript_get(&key).unwrap().is_none() {
            let t = CachedTranscript {
                roles: Default::default(),
                roles_reason: None,
                duration_s: i as f64 / 7.0,
                turns: vec![Turn::new(
                    Speaker::Agent,
                    0.0,
                    1.0 + i as f64 / 3.0,
                    format!("您好 {i}"),
                )],
                measured: Default::default(),
            };
            store.transcript_put(&key, &t).unwrap();
        }
        let t = store.transcript_get(&key).unwrap().unwrap();
        let interaction = Interaction {
            id: id.clone(),
            source: format!("calls/{id}.wav"),
            agent_id: format!("a-{}", i % 5),
            duration_s: t.duration_s,
            turns: t.turns,
            ..Default::default()
        };
        store
            .interaction_put(&interaction, &key.audio_hash)
            .unwrap();
        let rkey = ResultKey {
            interaction_id: &id,
            source: &interaction.source,
            ruleset_sha256: "r",
        };
        if store.result_get(&rkey, &key.audio_hash).unwrap().is_none() {
            let line = format!("{{\"interaction_id\":\"{id}\",\"score\":{}}}", 100 - i % 37);
            store.result_put(&rkey, &key.audio_hash, &line).unwrap();
        }
    }
    let items: Vec<SampleItem> = (0..ITEMS)
        .map(|i| SampleItem::new(format!("c-{i:04}"), format!("a-{}", i % 5), "2026-W47"))
        .collect();
    sample::plan(&mut store, &items, 0.2, 42).unwrap();
}

#[test]
fn crash_child() {
    if let Some(db) = std::env::var_os(CHILD_ENV) {
        workload(Path::new(&db));
    }
}

/// Everything a run leaves in the store, in a comparable form.
fn state(db: &Path) -> (Vec<String>, Vec<Interaction>, u64, Vec<String>) {
    let store = Store::open_read_only(db).unwrap();
    let mut lines: Vec<String> = store
        .results_since(None)
        .unwrap()
        .into_iter()
        .map(|r| r.line)
        .collect();
    lines.sort();
    let mut selected = Vec::new();
    for a in 0..5 {
        let stratum = sample::Stratum {
            agent_id: format!("a-{a}"),
            week: "2026-W47".into(),
        };
        selected.extend(store.sample_selected(&stratum).unwrap());
    }
    (
        lines,
        store.all_interactions().unwrap(),
        store.transcript_count().unwrap(),
        selected,
    )
}

fn child(db: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "crash_child", "--test-threads", "1"])
        .env(CHILD_ENV, db)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[cfg(unix)]
#[test]
fn a_killed_run_rerun_ends_like_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.db");
    let started = Instant::now();
    assert!(child(&clean).status().unwrap().success());
    let full = started.elapsed();
    let want = state(&clean);
    assert_eq!(want.0.len(), ITEMS);
    assert_eq!(want.3.len(), 5 * 16, "20% of 80 per agent");

    // Kill points spread over the run, from a fixed seed so failures reproduce.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut killed_midway = 0;
    for run in 0..6 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = full.mul_f64((x >> 11) as f64 / (1u64 << 53) as f64);
        let db = dir.path().join(format!("crash-{run}.db"));
        let mut proc = child(&db).spawn().unwrap();
        std::thread::sleep(at);
        let finished = proc.try_wait().unwrap().is_some();
        proc.kill().unwrap_or(()); // SIGKILL on unix
        proc.wait().unwrap();
        killed_midway += usize::from(!finished);
        // The rerun must be able to open at once: the lock died with the process.
        assert!(
            child(&db).status().unwrap().success(),
            "run {run}: rerun after kill at {at:?} failed"
        );
        assert_eq!(state(&db), want, "run {run}: killed at {at:?} of {full:?}");
    }
    assert!(
        killed_midway >= 3,
        "only {killed_midway} of 6 runs were killed before finishing"
    );
}
