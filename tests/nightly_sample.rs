//! Sampling through the CLI: `scan --sample` scores only the selected interactions
//! and writes sample.csv; `callqa sample` prints the same selection without
//! processing; a later night with more chats of the same weeks tops the strata up
//! and keeps every earlier selection.

use crate::common;

use common::{callqa, callqa_ok, s, sorted_results, write_chats};
use std::collections::HashSet;
use std::path::Path;

fn selected(csv: &str) -> HashSet<String> {
    csv.lines()
        .skip(1)
        .filter(|l| l.split(',').nth(3) == Some("true"))
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect()
}

/// `callqa scan ARCHIVE --out OUT --sample 0.2 --seed 9`, which must succeed.
fn scan_sample(archive: &Path, out: &Path) {
    callqa_ok(
        &[
            "scan",
            s(archive),
            "--out",
            s(out),
            "--sample",
            "0.2",
            "--seed",
            "9",
        ],
        0,
    );
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn scan_sample_and_top_up() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    write_chats(&archive.join("night-1.jsonl"), 0, 60, 3);
    let out = dir.path().join("out");

    let printed = callqa_ok(&["sample", s(&archive), "--rate", "0.2", "--seed", "9"], 0).stdout;
    let printed = String::from_utf8(printed).unwrap();
    scan_sample(&archive, &out);
    let csv = read(&out.join("sample.csv"));
    assert_eq!(printed, csv, "callqa sample prints what scan selects");
    let first = selected(&csv);
    let scored: HashSet<String> = sorted_results(&out)
        .into_iter()
        .map(|r| r.interaction_id)
        .collect();
    assert_eq!(scored, first, "only the sample is scored");
    // Per agent, 14 chats in 2026-W47 and 6 in W48: ceil(0.2 x 14) + ceil(0.2 x 6)
    // = 3 + 2, times 3 agents.
    assert_eq!(first.len(), 15);

    // The next night brings 30 more chats of the same weeks.
    write_chats(&archive.join("night-2.jsonl"), 60, 30, 3);
    let preview = callqa_ok(
        &[
            "sample",
            s(&archive),
            "--rate",
            "0.2",
            "--seed",
            "9",
            "--db",
            s(&out.join("callqa.db")),
        ],
        0,
    )
    .stdout;
    scan_sample(&archive, &out);
    let csv = read(&out.join("sample.csv"));
    assert_eq!(
        String::from_utf8(preview).unwrap(),
        csv,
        "--db previews the top-up"
    );
    let second = selected(&csv);
    assert!(first.is_subset(&second), "nothing selected is dropped");
    // Per agent 21 + 9 now: ceil(4.2) + ceil(1.8) = 5 + 2, times 3 agents.
    assert_eq!(second.len(), 21);
    let scored: HashSet<String> = sorted_results(&out)
        .into_iter()
        .map(|r| r.interaction_id)
        .collect();
    assert_eq!(scored, second);
}

#[test]
fn bad_sample_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec![
            "scan",
            "samples/chats",
            "--out",
            s(dir.path()),
            "--sample",
            "0",
        ],
        vec![
            "scan",
            "samples/chats",
            "--out",
            s(dir.path()),
            "--sample",
            "1.5",
        ],
        vec![
            "scan",
            "samples/chats",
            "--out",
            s(dir.path()),
            "--seed",
            "3",
        ],
        vec!["sample", "samples/chats", "--rate", "-1"],
        vec![
            "scan",
            "samples/chats",
            "--out",
            s(dir.path()),
            "--shard",
            "3/3",
        ],
    ] {
        let out = callqa(&args);
        assert_eq!(
            out.status.code(),
            Some(64),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
