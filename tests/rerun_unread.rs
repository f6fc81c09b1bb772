//! A rerun over a large chat log (streamed, ≥ 16 MiB) that is unchanged since it
//! was scored in full hands out its stored results without reading it, the same
//! lines as the first run; a changed ruleset, a changed file, a `--no-redact` run
//! or a stored result gone each score as a fresh database would.

use crate::common;

use callqa::batch::{run_incremental, BatchStats, CallOptions, Item, RunPlan};
use callqa::call::ChannelLayout;
use callqa::reporter::CollectingReporter;
use callqa::rules::Ruleset;
use callqa::store::Store;
use std::path::Path;

/// Conversations in the log: 4 messages each, over 16 MiB in all.
const CONVERSATIONS: usize = 30_000;

fn run(chats: &Path, db: &Path, ruleset: &Ruleset, redact: bool) -> (Vec<String>, BatchStats) {
    let mut store = Store::open(db).unwrap();
    let plan = RunPlan {
        redact,
        ..RunPlan::default()
    };
    let mut lines = Vec::new();
    let outcome = run_incremental(
        &[chats.to_path_buf()],
        ruleset,
        &CallOptions {
            default_layout: ChannelLayout::AgentLeft,
            manifests: vec![],
            asr_input: Default::default(),
        },
        None,
        &CollectingReporter::default(),
        &mut store,
        &plan,
        |item| match item {
            Item::Result(r) => lines.push(r.to_line().unwrap()),
            Item::Problem(p) => panic!("unexpected problem: {p}"),
        },
    )
    .unwrap();
    (lines, outcome.stats)
}

/// What a fresh database gives for the same run.
fn fresh(chats: &Path, ruleset: &Ruleset, redact: bool) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    run(chats, &dir.path().join("fresh.db"), ruleset, redact).0
}

fn rules() -> Ruleset {
    Ruleset::load(Path::new("rules")).unwrap()
}

#[test]
fn an_unchanged_large_chat_log_is_not_read_again_and_any_change_scores_anew() {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats.jsonl");
    let db = dir.path().join("callqa.db");
    common::write_chats(&chats, 0, CONVERSATIONS, 40);
    assert!(
        std::fs::metadata(&chats).unwrap().len() >= 16 << 20,
        "the log is large enough to be streamed"
    );

    let (first, stats) = run(&chats, &db, &rules(), true);
    assert_eq!(first.len(), CONVERSATIONS);
    assert_eq!((stats.results_reused, stats.files_unread), (0, 0));
    // The record's ids are in parts of at most 4,096, none kept with its row.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let parts: i64 = conn
        .query_row("SELECT count(*) FROM scored_parts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(parts as usize, CONVERSATIONS.div_ceil(4096));
    drop(conn);

    let (again, stats) = run(&chats, &db, &rules(), true);
    assert_eq!(stats.files_unread, 1, "the unchanged log is not read");
    assert_eq!(stats.results_reused, CONVERSATIONS);
    assert_eq!(again, first, "the same lines as the first run");

    // A changed ruleset (a stricter pass score) scores again.
    let text = std::fs::read_to_string("rules/default.toml").unwrap();
    let stricter = text.replacen("pass-score = 80", "pass-score = 95", 1);
    assert_ne!(stricter, text);
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("default.toml"), stricter).unwrap();
    let strict = Ruleset::load(&rules_dir).unwrap();
    let (changed, stats) = run(&chats, &db, &strict, true);
    assert_eq!((stats.results_reused, stats.files_unread), (0, 0));
    assert_ne!(changed, first, "the pass score changes results");
    assert_eq!(changed, fresh(&chats, &strict, true));
    // The first ruleset's record still holds: its results are still stored.
    assert_eq!(run(&chats, &db, &rules(), true).1.files_unread, 1);

    // Unmasked results are never the masked ones handed out again.
    let (clear, stats) = run(&chats, &db, &rules(), false);
    assert_eq!(stats.files_unread, 0);
    assert_eq!(clear, fresh(&chats, &rules(), false));
    assert_ne!(clear, first, "the phone numbers are not masked");

    // A changed file (one more conversation) is read again.
    let mut text = std::fs::read(&chats).unwrap();
    let more = dir.path().join("more.jsonl");
    common::write_chats(&more, CONVERSATIONS, 1, 40);
    text.extend(std::fs::read(&more).unwrap());
    std::fs::write(&chats, text).unwrap();
    let (grown, stats) = run(&chats, &db, &rules(), true);
    assert_eq!(stats.files_unread, 0);
    assert_eq!(stats.results_reused, 0, "results are tied to the content");
    assert_eq!(grown.len(), CONVERSATIONS + 1);
    assert_eq!(grown, fresh(&chats, &rules(), true));
    let (grown_again, stats) = run(&chats, &db, &rules(), true);
    assert_eq!(stats.files_unread, 1);
    assert_eq!(grown_again, grown);

    // A stored result gone: the ones before it are handed out, the rest read.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let gone = conn
        .execute(
            "DELETE FROM results WHERE interaction_id = 'c-020000' AND ruleset_sha256 = ?1",
            [&*rules().sha256],
        )
        .unwrap();
    assert_eq!(gone, 1);
    drop(conn);
    let (mended, stats) = run(&chats, &db, &rules(), true);
    assert_eq!(stats.files_unread, 0);
    assert_eq!(stats.results_reused, CONVERSATIONS);
    assert_eq!(stats.interactions, CONVERSATIONS + 1);
    assert_eq!(mended, grown);
    assert_eq!(run(&chats, &db, &rules(), true).1.files_unread, 1);
}
