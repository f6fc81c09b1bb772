//! The state store: migrations, the one-writer lock, inputs by content, the
//! transcript cache, idempotent results, and stored interactions that rescore
//! exactly like a fresh scan.

use callqa::interaction::{Interaction, InteractionKind, Roles, Speaker, TimedSpan, Turn};
use callqa::store::{
    migrate, CachedTranscript, InputState, ResultKey, Store, StoreError, StoreOptions,
    TranscriptKey,
};
use std::path::Path;
use std::time::Duration;

fn db(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("callqa.db")
}

#[test]
fn a_new_database_is_migrated_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&db(&dir)).unwrap();
    assert_eq!(store.schema_version().unwrap(), migrate::latest());
    drop(store);
    let store = Store::open(&db(&dir)).unwrap();
    assert_eq!(store.schema_version().unwrap(), migrate::latest());
}

#[test]
fn a_database_from_a_newer_callqa_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(db(&dir)).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&db(&dir)).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("callqa.db"), "{err}");
}

#[test]
fn a_second_writer_is_told_who_holds_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(&db(&dir)).unwrap();
    let err = Store::open(&db(&dir)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::InUse { .. }), "{msg}");
    assert!(
        msg.contains(&format!("process {}", std::process::id()))
            && msg.contains("since")
            && msg.contains("--db"),
        "{msg}"
    );
    // Readers are not blocked.
    let reader = Store::open_read_only(&db(&dir)).unwrap();
    assert_eq!(reader.result_count().unwrap(), 0);
    drop(first);
    Store::open(&db(&dir)).expect("the lock is released on drop");
}

#[test]
fn a_waiting_writer_gets_the_database_when_the_first_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(&db(&dir)).unwrap();
    let path = db(&dir);
    let waiter = std::thread::spawn(move || {
        Store::open_with(
            &path,
            &StoreOptions {
                wait_for_lock: Duration::from_secs(20),
            },
        )
        .map(|_| ())
    });
    std::thread::sleep(Duration::from_millis(300));
    drop(first);
    waiter
        .join()
        .unwrap()
        .expect("the second writer waited for the first");
}

#[test]
fn read_only_open_of_a_missing_database_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open_read_only(&db(&dir)).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("callqa.db"), "{err}");
    rusqlite::Connection::open(db(&dir))
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = Store::open_read_only(&db(&dir)).unwrap_err();
    assert!(
        matches!(err, StoreError::Outdated { found: 0, .. }),
        "{err}"
    );
}

#[test]
fn inputs_are_known_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.jsonl");
    std::fs::write(&file, "one").unwrap();
    let mut store = Store::open(&db(&dir)).unwrap();
    let first = store.note_input("a.jsonl", &file, true).unwrap();
    assert_eq!(first.state, InputState::New);
    assert_eq!(first.hash, blake3::hash(b"one").to_hex().to_string());
    assert_eq!(
        store.note_input("a.jsonl", &file, true).unwrap().state,
        InputState::Unchanged
    );
    std::fs::write(&file, "two!").unwrap();
    let changed = store.note_input("a.jsonl", &file, false).unwrap();
    assert_eq!(changed.state, InputState::Changed);
    assert_eq!(store.input_hash("a.jsonl").unwrap(), Some(changed.hash));
    let err = store
        .note_input("gone", &dir.path().join("gone.wav"), true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("gone.wav"), "{err}");
}

#[test]
fn transcripts_are_cached_per_audio_model_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db(&dir)).unwrap();
    let key = TranscriptKey {
        audio_hash: "aa".into(),
        model: "m1".into(),
        settings: "language=zh".into(),
    };
    let t = CachedTranscript {
        roles: Roles::Unknown,
        roles_reason: None,
        duration_s: 12.345678901234567,
        turns: vec![Turn::new(Speaker::Unknown, 0.1, 2.7, "您好")],
        measured: [("longest-silence-seconds".to_string(), 3.3)]
            .into_iter()
            .collect(),
    };
    assert_eq!(store.transcript_get(&key).unwrap(), None);
    store.transcript_put(&key, &t).unwrap();
    store.transcript_put(&key, &t).unwrap();
    assert_eq!(store.transcript_get(&key).unwrap(), Some(t));
    assert_eq!(
        store
            .transcript_get(&TranscriptKey {
                model: "m2".into(),
                ..key.clone()
            })
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .transcript_get(&TranscriptKey {
                settings: "language=en".into(),
                ..key
            })
            .unwrap(),
        None
    );
    assert_eq!(store.transcript_count().unwrap(), 1);
}

#[test]
fn results_are_idempotent_and_tied_to_the_input_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db(&dir)).unwrap();
    let key = ResultKey {
        interaction_id: "c-1",
        source: "a.jsonl",
        ruleset_sha256: "r1",
    };
    let t1 = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
        .unwrap()
        .to_utc();
    let t2 = chrono::DateTime::parse_from_rfc3339("2026-11-21T10:00:00Z")
        .unwrap()
        .to_utc();
    store
        .result_put_at(&key, "h1", "{\"score\":90}\n", t1)
        .unwrap();
    store
        .result_put_at(&key, "h1", "{\"score\":90}", t2)
        .unwrap();
    assert_eq!(store.result_count().unwrap(), 1);
    let all = store.results_since(None).unwrap();
    assert_eq!(all[0].line, "{\"score\":90}");
    assert_eq!(
        all[0].recorded_at, "2026-11-20T10:00:00.000000Z",
        "an identical line keeps its first time"
    );
    assert_eq!(
        store.result_get(&key, "h1").unwrap().as_deref(),
        Some("{\"score\":90}")
    );
    assert_eq!(
        store.result_get(&key, "h2").unwrap(),
        None,
        "a result of older content does not count"
    );
    store
        .result_put_at(&key, "h2", "{\"score\":70}", t2)
        .unwrap();
    assert_eq!(
        store.results_since(None).unwrap()[0].recorded_at,
        "2026-11-21T10:00:00.000000Z"
    );
    store
        .result_put_at(
            &ResultKey {
                ruleset_sha256: "r2",
                ..key
            },
            "h2",
            "{\"score\":60}",
            t2,
        )
        .unwrap();
    assert_eq!(store.result_count().unwrap(), 2, "one row per ruleset");
    let rulesets = store.result_rulesets().unwrap();
    let shas: Vec<&str> = rulesets.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(shas, ["r1", "r2"], "same time: by sha");
    store
        .result_put_at(
            &ResultKey {
                interaction_id: "c-2",
                ..key
            },
            "h",
            "{\"score\":1}",
            t2 + chrono::Duration::seconds(1),
        )
        .unwrap();
    assert_eq!(
        store.result_rulesets().unwrap()[0],
        (
            "r1".to_string(),
            2,
            "2026-11-21T10:00:01.000000Z".to_string()
        )
    );
    assert_eq!(
        store.results_of_ruleset("r1").unwrap(),
        ["{\"score\":70}", "{\"score\":1}"]
    );
}

fn rich_interaction(id: &str, source: &str) -> Interaction {
    let mut turn = Turn::new(
        Speaker::Agent,
        0.0,
        3.0000000000000004,
        "您好，请问有什么可以帮您？",
    );
    turn.spans.push(TimedSpan {
        start_byte: 0,
        end_byte: 6,
        start_s: 0.1,
        end_s: 0.7,
    });
    Interaction {
        id: id.into(),
        kind: Some(InteractionKind::Call),
        source: source.into(),
        agent_id: "a-1".into(),
        started_at: Some(
            chrono::DateTime::parse_from_rfc3339("2026-11-16T09:00:00.123456789+08:00").unwrap(),
        ),
        duration_s: 61.1,
        roles: Roles::Known,
        roles_reason: None,
        turns: vec![
            turn,
            Turn::new(Speaker::Customer, 3.5, 5.25, "我的快递还没到"),
        ],
        measured: [
            ("longest-silence-seconds".to_string(), 2.2),
            ("interruptions".to_string(), 1.0),
        ]
        .into_iter()
        .collect(),
    }
}

#[test]
fn stored_interactions_rebuild_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db(&dir)).unwrap();
    let a = rich_interaction("c-2", "calls/b.wav");
    let b = Interaction {
        id: "c-1".into(),
        kind: None,
        started_at: None,
        roles: Roles::Unknown,
        roles_reason: None,
        ..rich_interaction("c-1", "calls/a.wav")
    };
    store.interaction_put(&a, "h").unwrap();
    store.interaction_put(&b, "h").unwrap();
    store.interaction_put(&b, "h").unwrap();
    let all = store.all_interactions().unwrap();
    assert_eq!(all, vec![b, a], "ordered by source, every field equal");
    assert_eq!(
        all[1].started_at.unwrap().offset().local_minus_utc(),
        8 * 3600,
        "the offset survives"
    );
}

#[test]
fn rescoring_stored_chats_equals_a_fresh_scan() {
    let ruleset = callqa::rules::Ruleset::load(Path::new("rules")).unwrap();
    let (files, _) = callqa::input::discover(&[Path::new("samples/chats").to_path_buf()]);
    let interactions: Vec<Interaction> = files
        .iter()
        .flat_map(|f| callqa::input::read_text_file(f).interactions)
        .collect();
    assert!(interactions.len() >= 5);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db(&dir)).unwrap();
    for i in &interactions {
        store.interaction_put(i, "h").unwrap();
    }
    drop(store);
    let store = Store::open(&db(&dir)).unwrap();
    let mut fresh: Vec<String> = interactions
        .iter()
        .map(|i| serde_json::to_string(&callqa::scan::scan(i, &ruleset)).unwrap())
        .collect();
    let mut rescored: Vec<String> = store
        .all_interactions()
        .unwrap()
        .iter()
        .map(|i| serde_json::to_string(&callqa::scan::scan(i, &ruleset)).unwrap())
        .collect();
    fresh.sort();
    rescored.sort();
    assert_eq!(rescored, fresh);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Rescore must see exactly the numbers first scanned: any finite f64 survives.
    #[test]
    fn any_finite_number_survives_the_store(xs in proptest::collection::vec(proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO, 4)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&db(&dir)).unwrap();
        let mut i = rich_interaction("c-1", "a.wav");
        i.duration_s = xs[0];
        i.turns[0].start_s = xs[1];
        i.turns[0].spans[0].end_s = xs[2];
        i.measured.insert("m".into(), xs[3]);
        store.interaction_put(&i, "h").unwrap();
        proptest::prop_assert_eq!(store.all_interactions().unwrap(), vec![i]);
    }
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&db(&dir)).unwrap();
    let key = ResultKey {
        interaction_id: "c-1",
        source: "a.jsonl",
        ruleset_sha256: "r1",
    };
    let failed: Result<(), StoreError> = store.transaction(|s| {
        s.result_put(&key, "h", "{}")?;
        s.interaction_put(&rich_interaction("c-1", "a.jsonl"), "h")?;
        Err(StoreError::Input {
            path: "x".into(),
            source: std::io::Error::other("stop"),
        })
    });
    assert!(failed.is_err());
    assert_eq!(
        (
            store.result_count().unwrap(),
            store.interaction_count().unwrap()
        ),
        (0, 0)
    );
    let items = [callqa::sample::SampleItem::new("c-1", "a", "2026-W47")];
    store
        .transaction(|s| {
            s.result_put(&key, "h", "{}")?;
            callqa::sample::plan(s, &items, 0.2, 1).map_err(|e| StoreError::Input {
                path: "x".into(),
                source: std::io::Error::other(e.to_string()),
            })
        })
        .unwrap();
    assert_eq!(store.result_count().unwrap(), 1, "committed together");
    let stratum = callqa::sample::Stratum {
        agent_id: "a".into(),
        week: "2026-W47".into(),
    };
    assert_eq!(store.sample_selected(&stratum).unwrap(), ["c-1"]);
}
