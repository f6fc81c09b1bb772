//! `callqa export`: results recorded since a time, as JSON Lines or CSV, with the
//! `since` boundary inclusive to the microsecond.

use callqa::output::export::{export, parse_since, ExportFormat, CSV_COLUMNS};
use callqa::scan::result::InteractionResult;
use callqa::store::{ResultKey, Store};
use std::path::Path;

fn results() -> Vec<InteractionResult> {
    let ruleset = callqa::rules::Ruleset::load(Path::new("rules")).unwrap();
    let (files, _) = callqa::input::discover(&[Path::new("samples/chats").to_path_buf()]);
    let interactions: Vec<_> = files
        .iter()
        .flat_map(|f| callqa::input::read_text_file(f).interactions)
        .collect();
    interactions
        .iter()
        .take(3)
        .map(|i| callqa::scan::scan(i, &ruleset))
        .collect()
}

fn t(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Three results recorded at 10:00:00.000001, 10:00:01 and 10:00:02 UTC.
fn store_with_three(dir: &tempfile::TempDir) -> (Store, Vec<InteractionResult>) {
    let mut store = Store::open(&dir.path().join("callqa.db")).unwrap();
    let rs = results();
    let times = [
        "2026-11-20T10:00:00.000001Z",
        "2026-11-20T10:00:01Z",
        "2026-11-20T18:00:02+08:00",
    ];
    for (r, at) in rs.iter().zip(times) {
        let key = ResultKey {
            interaction_id: &r.interaction_id,
            source: &r.source,
            ruleset_sha256: &r.ruleset.sha256,
        };
        store
            .result_put_at(&key, "h", &serde_json::to_string(r).unwrap(), t(at))
            .unwrap();
    }
    (store, rs)
}

fn ids(store: &Store, since: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    export(
        store,
        since.map(|s| parse_since(s).unwrap()),
        ExportFormat::Jsonl,
        &mut out,
    )
    .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<InteractionResult>(l)
                .unwrap()
                .interaction_id
        })
        .collect()
}

#[test]
fn since_is_inclusive_to_the_microsecond() {
    let dir = tempfile::tempdir().unwrap();
    let (store, rs) = store_with_three(&dir);
    let id = |i: usize| rs[i].interaction_id.clone();
    assert_eq!(ids(&store, None), [id(0), id(1), id(2)]);
    assert_eq!(
        ids(&store, Some("2026-11-20T10:00:00.000001Z")),
        [id(0), id(1), id(2)],
        "exactly at: included"
    );
    assert_eq!(
        ids(&store, Some("2026-11-20T10:00:00.0000011Z")),
        [id(1), id(2)],
        "a fraction later: excluded"
    );
    assert_eq!(
        ids(&store, Some("2026-11-20T10:00:00.0000009Z")),
        [id(0), id(1), id(2)],
        "a fraction earlier: included"
    );
    assert_eq!(
        ids(&store, Some("2026-11-20T18:00:01+08:00")),
        [id(1), id(2)],
        "offsets are honoured"
    );
    assert_eq!(ids(&store, Some("2026-11-20T10:00:02Z")), [id(2)]);
    assert_eq!(
        ids(&store, Some("2026-11-20T10:00:02.000001Z")),
        Vec::<String>::new()
    );
}

#[test]
fn jsonl_lines_are_the_results_lines_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (store, rs) = store_with_three(&dir);
    let mut out = Vec::new();
    let n = export(&store, None, ExportFormat::Jsonl, &mut out).unwrap();
    assert_eq!(n, 3);
    let want: String = rs
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    assert_eq!(String::from_utf8(out).unwrap(), want);
}

#[test]
fn csv_has_the_documented_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (store, rs) = store_with_three(&dir);
    let mut out = Vec::new();
    let n = export(
        &store,
        Some(parse_since("2026-11-20T10:00:01Z").unwrap()),
        ExportFormat::Csv,
        &mut out,
    )
    .unwrap();
    assert_eq!(n, 2);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        CSV_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let r = &rs[1];
    assert_eq!(&rows[0][0], r.interaction_id);
    assert_eq!(&rows[0][1], r.agent_id);
    assert_eq!(&rows[0][2], r.started_at.clone().unwrap_or_default());
    assert_eq!(&rows[0][4], r.score.to_string());
    assert_eq!(&rows[0][5], r.passed.to_string());
    let mut violated: Vec<&str> = Vec::new();
    for v in &r.violations {
        if !violated.contains(&&*v.rule_id) {
            violated.push(&v.rule_id);
        }
    }
    assert_eq!(&rows[0][7], violated.join(";"));
    assert_eq!(rows[0][8], *r.ruleset.version);
    assert_eq!(&rows[0][9], "2026-11-20T10:00:01.000000Z");
    assert_eq!(&rows[1][9], "2026-11-20T10:00:02.000000Z");
}

#[test]
fn bad_arguments_say_how_to_write_them() {
    let err = parse_since("yesterday").unwrap_err().to_string();
    assert!(err.contains("2026-11-23T00:00:00Z"), "{err}");
    assert!("xml"
        .parse::<ExportFormat>()
        .unwrap_err()
        .to_string()
        .contains("jsonl or csv"));
    assert_eq!("CSV".parse::<ExportFormat>().unwrap(), ExportFormat::Csv);
}
