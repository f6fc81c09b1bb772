//! The state database as an asset to protect: private file modes, damage found and
//! salvaged without losing transcripts, error records kept by rescore, and exports
//! that end quietly when their reader goes away.

use crate::common;

use callqa::store::{repair, CachedTranscript, Store, TranscriptKey};
use common::{callqa_ok, s, write_chats};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn transcript(n: usize) -> (TranscriptKey, CachedTranscript) {
    (
        TranscriptKey {
            audio_hash: format!("audio-{n}"),
            model: "m".into(),
            settings: "s".into(),
        },
        CachedTranscript {
            roles: callqa::interaction::Roles::Known,
            roles_reason: None,
            duration_s: 30.0,
            turns: vec![callqa::interaction::Turn::new(
                callqa::interaction::Speaker::Agent,
                0.0,
                2.0,
                "您好".repeat(200),
            )],
            measured: Default::default(),
        },
    )
}

#[cfg(unix)]
#[test]
fn the_database_and_its_companions_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let chats = dir.path().join("chats.jsonl");
    write_chats(&chats, 0, 5, 2);
    // A database left readable by others by an older run is made private too.
    std::fs::create_dir_all(&out).unwrap();
    let db = out.join("callqa.db");
    drop(Store::open(&db).unwrap());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut store = Store::open(&db).unwrap();
    let (key, t) = transcript(0);
    store.transcript_put(&key, &t).unwrap();
    for name in [
        "callqa.db",
        "callqa.db-wal",
        "callqa.db-shm",
        "callqa.db.lock",
    ] {
        let mode = std::fs::metadata(out.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} has mode {mode:o}");
    }
    drop(store);
    callqa_ok(
        &["scan", s(&chats), "--out", s(&dir.path().join("fresh"))],
        0,
    );
    let mode = std::fs::metadata(dir.path().join("fresh/callqa.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn damage_is_found_and_rebuild_keeps_the_readable_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("callqa.db");
    {
        let mut store = Store::open(&db).unwrap();
        store
            .transaction(|store| {
                for n in 0..200 {
                    let (key, t) = transcript(n);
                    store.transcript_put(&key, &t)?;
                }
                Ok::<(), callqa::store::StoreError>(())
            })
            .unwrap();
    }
    assert!(repair::check(&db).unwrap().problems.is_empty());
    // Garbage over one page in the middle of the transcripts table.
    let mut bytes = std::fs::read(&db).unwrap();
    let page = 4096;
    let at = (bytes.len() / page / 2) * page;
    for b in &mut bytes[at..at + page] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();

    let err = Store::open(&db).unwrap_err().to_string();
    assert!(
        err.contains("is damaged") && err.contains("callqa db rebuild"),
        "{err}"
    );
    let check = callqa_ok(&["db", "check", "--db", s(&db)], 74);
    assert!(String::from_utf8_lossy(&check.stderr).contains("is damaged"));

    let report = repair::rebuild(&db).unwrap();
    let (_, copied, lost) = report
        .tables
        .iter()
        .find(|(t, _, _)| *t == "transcripts")
        .copied()
        .unwrap();
    assert!((150..200).contains(&copied), "copied {copied}, lost {lost}");
    assert!(report.kept_as.is_file(), "the damaged file is kept");
    let store = Store::open(&db).expect("the rebuilt database opens");
    let kept = (0..200)
        .filter(|&n| store.transcript_get(&transcript(n).0).unwrap().is_some())
        .count() as u64;
    assert_eq!(kept, copied);
    callqa_ok(&["db", "check", "--db", s(&db)], 0);
}

#[test]
fn rescore_keeps_the_error_records_of_unreadable_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    write_chats(&inputs.join("good.jsonl"), 0, 4, 2);
    std::fs::write(inputs.join("bad.jsonl"), "not json\n").unwrap();
    let out = dir.path().join("out");
    callqa_ok(&["scan", s(&inputs), "--out", s(&out)], 65);
    let errors = |out: &Path| -> Vec<String> {
        std::fs::read_to_string(out.join("results.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"error\""))
            .map(str::to_string)
            .collect()
    };
    let before = errors(&out);
    assert_eq!(before.len(), 1);
    callqa_ok(&["rescore", "--rules", "rules", "--out", s(&out)], 0);
    assert_eq!(errors(&out), before);
    common::result_lines(&out);
}

#[test]
fn export_into_a_closed_pipe_ends_quietly_with_0() {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats.jsonl");
    write_chats(&chats, 0, 2000, 7);
    let out = dir.path().join("out");
    callqa_ok(&["scan", s(&chats), "--out", s(&out)], 0);
    for format in ["jsonl", "csv"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_callqa"))
            .args([
                "export",
                "--format",
                format,
                "--db",
                s(&out.join("callqa.db")),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one chunk, as `head` does, then hang up.
        let mut first = [0u8; 512];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(0), "{format}: {stderr}");
        assert!(!stderr.contains("error"), "{format}: {stderr}");
    }
}
