//! `callqa export` through the binary: `--since` is inclusive to the microsecond,
//! an unchanged result re-recorded by a rerun is not sent again, CSV has the
//! documented header, and bad arguments say how to write them.

use crate::common;

use common::{callqa, callqa_ok, s, write_chats};
use std::path::Path;

/// (interaction_id, recorded_at) of every exported result since `since`.
fn exported(db: &Path, since: Option<&str>) -> Vec<(String, String)> {
    let mut args = vec!["export", "--db", s(db), "--format", "csv"];
    if let Some(t) = since {
        args.extend(["--since", t]);
    }
    let out = callqa_ok(&args, 0).stdout;
    let mut r = csv::Reader::from_reader(out.as_slice());
    assert_eq!(&r.headers().unwrap()[9], "recorded_at");
    r.records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), row[9].to_string())
        })
        .collect()
}

fn plus_one_us(t: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(t).unwrap() + chrono::Duration::microseconds(1);
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[test]
fn since_boundaries_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    write_chats(&archive.join("day-1.jsonl"), 0, 20, 3);
    let out = dir.path().join("out");
    let db = out.join("callqa.db");
    callqa_ok(&["scan", s(&archive), "--out", s(&out)], 0);
    let first = exported(&db, None);
    assert_eq!(first.len(), 20);

    std::thread::sleep(std::time::Duration::from_millis(20));
    write_chats(&archive.join("day-2.jsonl"), 20, 10, 3);
    callqa_ok(&["scan", s(&archive), "--out", s(&out)], 0);
    let all = exported(&db, None);
    assert_eq!(all.len(), 30, "the rerun records no duplicates");
    assert_eq!(
        &all[..20],
        &first[..],
        "unchanged results keep their first time"
    );
    let new: Vec<_> = all[20..].to_vec();
    assert!(
        new.iter().all(|(id, _)| id.as_str() >= "c-000020"),
        "{new:?}"
    );

    // Exactly at the first new time: included; a microsecond later: that one out.
    let t0 = new[0].1.clone();
    assert_eq!(exported(&db, Some(&t0)), new);
    let later: Vec<_> = new.iter().filter(|(_, t)| *t > t0).cloned().collect();
    assert_eq!(exported(&db, Some(&plus_one_us(&t0))), later);
    // The last time of the first run, in another offset, includes the results of
    // that microsecond and everything after.
    let last_first = &first[19].1;
    let shifted = chrono::DateTime::parse_from_rfc3339(last_first)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
    let want: Vec<_> = all
        .iter()
        .filter(|(_, t)| t >= last_first)
        .cloned()
        .collect();
    assert_eq!(exported(&db, Some(&shifted)), want);
    let end = plus_one_us(&all[29].1);
    assert_eq!(exported(&db, Some(&end)), Vec::<(String, String)>::new());

    // JSON Lines: the stored results lines, valid against the schema.
    let jsonl = callqa_ok(&["export", "--db", s(&db), "--since", &t0], 0).stdout;
    let lines: Vec<String> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 10);
    common::validate(&lines);
}

#[test]
fn bad_export_arguments_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    callqa_ok(&["scan", "samples/chats", "--out", s(&out)], 0);
    let db = out.join("callqa.db");
    let bad = callqa(&["export", "--db", s(&db), "--since", "yesterday"]);
    assert_eq!(bad.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("2026-11-23T00:00:00Z"));
    let bad = callqa(&["export", "--db", s(&db), "--format", "xml"]);
    assert_eq!(bad.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("possible values: jsonl, csv"));
    let missing = callqa(&["export", "--db", s(&dir.path().join("nope.db"))]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("run `callqa scan`"));
}
