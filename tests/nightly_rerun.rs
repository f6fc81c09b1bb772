//! The nightly rerun: over the same archive, a second run transcribes nothing,
//! rescans nothing and hands out the same results; a new recording is the only one
//! transcribed; a changed manifest rescores without transcribing; and `rescore`
//! works from the cached calls. Uses a fake recognizer and WAVs written with hound.

use crate::common;

use callqa::asr::{AsrError, RecognizedSegment, Transcriber};
use callqa::batch::{run_incremental, CallOptions, Item, RunPlan};
use callqa::call::ChannelLayout;
use callqa::reporter::CollectingReporter;
use callqa::rules::Ruleset;
use callqa::store::Store;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// "Hears" a fixed sentence in whatever it is given, and counts its calls.
struct CountingAsr(AtomicUsize);

impl Transcriber for CountingAsr {
    fn transcribe(&self, samples: &[f32]) -> Result<Vec<RecognizedSegment>, AsrError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        let end_s = samples.len() as f64 / 16_000.0;
        Ok(vec![RecognizedSegment {
            start_s: 0.0,
            end_s,
            text: "您好，这个我也不知道".into(),
            tokens: vec![],
            no_speech_prob: 0.01,
        }])
    }
    fn fingerprint(&self) -> String {
        "fake-asr-1".into()
    }
}

/// A 3 s stereo 16 kHz WAV: the agent speaks on the left, the customer on the right.
fn write_wav(path: &Path, pitch: f64) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let voice = |t: f64| -> f64 {
        (1..25)
            .map(|k| (2.0 * std::f64::consts::PI * pitch * f64::from(k) * t).sin() / f64::from(k))
            .sum::<f64>()
            / 1.75
            * 0.3
    };
    for n in 0..48_000 {
        let t = f64::from(n) / 16_000.0;
        let left = if (0.3..1.3).contains(&t) {
            voice(t)
        } else {
            0.0
        };
        let right = if (1.6..2.6).contains(&t) {
            voice(t)
        } else {
            0.0
        };
        w.write_sample((left * 32767.0) as i16).unwrap();
        w.write_sample((right * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

struct Archive {
    _dir: tempfile::TempDir,
    root: PathBuf,
    db: PathBuf,
}

fn archive(calls: usize) -> Archive {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    std::fs::create_dir(&root).unwrap();
    common::write_chats(&root.join("chats.jsonl"), 0, 12, 3);
    let mut manifest = String::from("call_id,file,agent_id,started_at,channel_layout\n");
    for n in 0..calls {
        add_call(&root, &mut manifest, n);
    }
    std::fs::write(root.join("manifest.csv"), manifest).unwrap();
    let db = dir.path().join("callqa.db");
    Archive {
        _dir: dir,
        root,
        db,
    }
}

fn add_call(root: &Path, manifest: &mut String, n: usize) {
    write_wav(&root.join(format!("call-{n}.wav")), 120.0 + 10.0 * n as f64);
    manifest.push_str(&format!(
        "k-{n},call-{n}.wav,A0{},2026-11-17T09:00:00+08:00,agent-left\n",
        n % 3
    ));
}

struct Run {
    lines: Vec<String>,
    stats: callqa::batch::BatchStats,
    asr_calls: usize,
}

fn run(a: &Archive, ruleset: &Ruleset) -> Run {
    let asr = CountingAsr(AtomicUsize::new(0));
    let mut store = Store::open(&a.db).unwrap();
    let plan = RunPlan {
        model_fingerprint: asr.fingerprint(),
        asr_settings: "language=zh".into(),
        ..RunPlan::default()
    };
    let options = CallOptions {
        default_layout: ChannelLayout::AgentLeft,
        manifests: vec![],
        asr_input: Default::default(),
    };
    let mut lines = Vec::new();
    let outcome = run_incremental(
        std::slice::from_ref(&a.root),
        ruleset,
        &options,
        Some(&asr),
        &CollectingReporter::default(),
        &mut store,
        &plan,
        |item| {
            lines.push(match item {
                Item::Result(r) => r.to_line().unwrap(),
                Item::Problem(p) => panic!("unexpected problem: {p}"),
            })
        },
    )
    .unwrap();
    common::validate(&lines);
    Run {
        lines,
        stats: outcome.stats,
        asr_calls: asr.0.load(Ordering::SeqCst),
    }
}

fn rules() -> Ruleset {
    Ruleset::load(Path::new("rules")).unwrap()
}

#[test]
fn a_rerun_over_the_same_archive_transcribes_and_rescans_nothing() {
    let a = archive(3);
    let first = run(&a, &rules());
    assert_eq!(first.stats.transcribed, 3);
    assert_eq!(first.asr_calls, 6, "two channels per stereo call");
    assert_eq!(first.stats.interactions, 12 + 3);
    assert_eq!(first.stats.results_reused, 0);
    assert!(first
        .lines
        .iter()
        .any(|l| l.contains("\"kind\":\"call\"") && l.contains("不知道")));

    let second = run(&a, &rules());
    assert_eq!(second.asr_calls, 0, "nothing transcribed on a rerun");
    assert_eq!(second.stats.transcribed, 0);
    assert_eq!(second.stats.results_reused, 15, "nothing rescanned");
    assert_eq!(
        second.lines, first.lines,
        "the rerun hands out the same lines"
    );
}

#[test]
fn only_new_recordings_are_transcribed_and_a_manifest_fix_rescans_from_the_cache() {
    let a = archive(2);
    run(&a, &rules());
    let mut manifest = std::fs::read_to_string(a.root.join("manifest.csv")).unwrap();
    add_call(&a.root, &mut manifest, 2);
    std::fs::write(a.root.join("manifest.csv"), &manifest).unwrap();
    let later = run(&a, &rules());
    assert_eq!(
        (later.stats.transcribed, later.asr_calls),
        (1, 2),
        "only the new call"
    );
    assert_eq!(later.stats.results_reused, 12 + 2);

    // The call k-0 was filed under the wrong agent: fixed in the manifest, it is
    // scored again (new agent in its result) from the cached transcript.
    let fixed = manifest.replace("k-0,call-0.wav,A00", "k-0,call-0.wav,A09");
    std::fs::write(a.root.join("manifest.csv"), fixed).unwrap();
    let rerun = run(&a, &rules());
    assert_eq!(rerun.asr_calls, 0);
    assert_eq!(rerun.stats.transcripts_reused, 1);
    assert!(rerun
        .lines
        .iter()
        .any(|l| l.contains("\"interaction_id\":\"k-0\"") && l.contains("\"agent_id\":\"A09\"")));
}

#[test]
fn rescore_covers_cached_calls_and_needs_no_recordings() {
    let a = archive(2);
    let first = run(&a, &rules());
    // The recordings are gone (archived to tape): rescore works from the store.
    for n in 0..2 {
        std::fs::remove_file(a.root.join(format!("call-{n}.wav"))).unwrap();
    }
    let out = a.db.parent().unwrap().join("rescored");
    let cli = <callqa::cli::args::Cli as clap::Parser>::parse_from([
        "callqa",
        "rescore",
        "--rules",
        "rules",
        "--db",
        common::s(&a.db),
        "--out",
        common::s(&out),
    ]);
    let outcome = callqa::cli::run(cli, &mut Vec::new(), &CollectingReporter::default()).unwrap();
    assert_eq!(outcome, callqa::cli::Outcome::Done);
    let mut want: Vec<_> = first
        .lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    callqa::output::merge::sort_results(&mut want);
    assert_eq!(
        common::sorted_results(&out),
        want,
        "same rules: same results, calls included"
    );
    let csv = std::fs::read_to_string(out.join("rescore.csv")).unwrap();
    assert!(
        csv.starts_with("rule_id,old_hits,new_hits,old_violated,new_violated\n"),
        "{csv}"
    );
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!((f[1], f[3]), (f[2], f[4]), "unchanged rules: {row}");
    }
}

#[test]
fn results_of_another_callqa_version_are_scored_again() {
    let a = archive(1);
    let first = run(&a, &rules());
    let version = format!("@callqa-{}", env!("CARGO_PKG_VERSION"));
    let conn = rusqlite::Connection::open(&a.db).unwrap();
    let changed = conn
        .execute(
            "UPDATE results SET input_hash = replace(input_hash, ?1, '@callqa-0.0.1')",
            [&version],
        )
        .unwrap();
    assert_eq!(changed, 13, "every result carries the version");
    drop(conn);
    let rerun = run(&a, &rules());
    assert_eq!(
        rerun.stats.results_reused, 0,
        "an older release's lines are not reused"
    );
    assert_eq!(
        rerun.asr_calls, 0,
        "transcripts do not depend on the callqa version"
    );
    assert_eq!(rerun.lines, first.lines);
    assert_eq!(run(&a, &rules()).stats.results_reused, 13);
}
