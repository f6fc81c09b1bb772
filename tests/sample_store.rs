//! Sampling with the state store: a rerun selects the same set, a later run with
//! more calls of the week tops the stratum up and keeps what was selected, even
//! when it sees only the new calls; sample.csv is the audit trail.

use callqa::sample::{self, csv as sample_csv, SampleItem};
use callqa::store::Store;
use std::collections::HashSet;

fn week_items(range: std::ops::Range<u32>) -> Vec<SampleItem> {
    range
        .map(|i| SampleItem::new(format!("c-{i:03}"), "agent-1", "2026-W47"))
        .collect()
}

fn chosen(sel: &[sample::Selection]) -> HashSet<String> {
    sel.iter()
        .filter(|s| s.selected)
        .map(|s| s.id.clone())
        .collect()
}

#[test]
fn reruns_select_the_same_and_later_runs_top_up_without_dropping() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("callqa.db");

    let first = {
        let mut store = Store::open(&db).unwrap();
        sample::plan(&mut store, &week_items(0..10), 0.2, 7).unwrap()
    };
    assert_eq!(chosen(&first).len(), 2);

    // A preview (callqa sample) shows the same and records nothing.
    let preview = {
        let store = Store::open_read_only(&db).unwrap();
        sample::preview(&store, &week_items(0..15), 0.2, 7).unwrap()
    };
    assert!(chosen(&first).is_subset(&chosen(&preview)));
    assert_eq!(chosen(&preview).len(), 3);

    // Same inputs again: the same selection.
    let again = {
        let mut store = Store::open(&db).unwrap();
        sample::plan(&mut store, &week_items(0..10), 0.2, 7).unwrap()
    };
    assert_eq!(chosen(&again), chosen(&first));

    // Twenty more calls of that week arrive; the nightly run sees only the new ones.
    // n counts all 30 (quota 6), and the first two stay selected.
    let later = {
        let mut store = Store::open(&db).unwrap();
        sample::plan(&mut store, &week_items(10..30), 0.2, 7).unwrap()
    };
    let later_set = chosen(&later);
    assert_eq!(later_set.len(), 6, "{later:?}");
    assert!(chosen(&first).is_subset(&later_set));
    assert_eq!(later.len(), 30, "the audit trail lists the whole stratum");

    // Even a different seed or lower rate never takes a selected call away.
    let mut store = Store::open(&db).unwrap();
    let reseeded = sample::plan(&mut store, &week_items(0..30), 0.1, 99).unwrap();
    assert!(later_set.is_subset(&chosen(&reseeded)));
    let stratum = sample::Stratum {
        agent_id: "agent-1".into(),
        week: "2026-W47".into(),
    };
    let stored: HashSet<String> = store
        .sample_selected(&stratum)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(stored, chosen(&reseeded));
}

#[test]
fn sample_csv_lists_every_row_with_rank() {
    let dir = tempfile::tempdir().unwrap();
    let items = vec![
        SampleItem::new("c-1", "a, with comma", "2026-W47"),
        SampleItem::new("c-2", "b", "unknown"),
    ];
    let sel = sample::select(&items, 0.5, 1, &HashSet::new()).unwrap();
    let path = dir.path().join(sample_csv::SAMPLE_CSV);
    sample_csv::write(&path, &sel, false).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.starts_with('\u{feff}'), "no BOM without --excel");
    sample_csv::write(&path, &sel, true).unwrap();
    let with_bom = std::fs::read(&path).unwrap();
    assert_eq!(
        &with_bom[..3],
        b"\xEF\xBB\xBF",
        "--excel starts with a UTF-8 BOM"
    );
    assert_eq!(
        &with_bom[3..],
        text.as_bytes(),
        "and is otherwise the same file"
    );
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("interaction_id,agent_id,week,selected,rank,key")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0].starts_with("c-1,\"a, with comma\",2026-W47,true,1,"),
        "{}",
        rows[0]
    );
    assert!(rows[1].starts_with("c-2,b,unknown,true,1,"), "{}", rows[1]);
    let key: u64 = rows[0].rsplit(',').next().unwrap().parse().unwrap();
    assert_eq!(key, sel[0].key);
}

#[test]
fn items_of_interactions_use_the_iso_week_in_their_own_offset() {
    let i = callqa::interaction::Interaction {
        id: "c-9".into(),
        agent_id: "a".into(),
        started_at: Some(
            chrono::DateTime::parse_from_rfc3339("2027-01-04T07:30:00+08:00").unwrap(),
        ),
        ..Default::default()
    };
    assert_eq!(SampleItem::of(&i), SampleItem::new("c-9", "a", "2027-W01"));
    let none = callqa::interaction::Interaction {
        id: "c-10".into(),
        ..Default::default()
    };
    assert_eq!(SampleItem::of(&none).week, "unknown");
}
