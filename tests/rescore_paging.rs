//! `Store::interactions_page`, the walk `callqa rescore` makes over the archive:
//! pages of any size concatenate to every stored interaction once, in (source,
//! interaction_id) order, each with the hash of its input.

use callqa::interaction::Interaction;
use callqa::store::Store;

#[test]
fn pages_cover_every_interaction_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("callqa.db")).unwrap();
    // Ids repeat across sources, and sources sort differently from ids.
    for n in 0..23 {
        let i = Interaction {
            id: format!("c-{:02}", n % 7),
            source: format!("{}/log.jsonl", ["b", "a", "c"][n % 3]),
            agent_id: "A01".into(),
            ..Default::default()
        };
        store.interaction_put(&i, &format!("h-{n}")).unwrap();
    }
    let all = store.all_interactions().unwrap();
    assert_eq!(
        all.len(),
        21,
        "(id, source) pairs are unique: 7 ids x 3 sources"
    );
    for limit in [1, 2, 5, 21, 100] {
        let mut walked = Vec::new();
        let mut after: Option<(String, String)> = None;
        loop {
            let page = store
                .interactions_page(after.as_ref().map(|(s, i)| (s.as_str(), i.as_str())), limit)
                .unwrap();
            assert!(page.len() <= limit);
            let Some((last, _)) = page.last() else { break };
            after = Some((last.source.clone(), last.id.clone()));
            walked.extend(page);
        }
        let ids: Vec<&Interaction> = walked.iter().map(|(i, _)| i).collect();
        assert_eq!(ids, all.iter().collect::<Vec<_>>(), "limit {limit}");
        assert!(walked.iter().all(|(_, h)| h.starts_with("h-")));
    }
}
