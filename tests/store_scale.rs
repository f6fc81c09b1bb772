//! Scale checks of the store, run on demand (`cargo test --release --test
//! store_scale -- --ignored --nocapture`): the nightly-rerun overhead on 10,000
//! already-processed inputs, and rescoring 10,000 stored interactions. They print
//! their timings (the numbers for the README) and fail when far off the mark.

use callqa::interaction::Interaction;
use callqa::store::{InputState, ResultKey, Store};
use std::path::Path;
use std::time::{Duration, Instant};

const N: usize = 10_000;

fn sample_interactions() -> Vec<Interaction> {
    let (files, _) = callqa::input::discover(&[Path::new("samples/chats").to_path_buf()]);
    files
        .iter()
        .flat_map(|f| callqa::input::read_text_file(f).interactions)
        .collect()
}

#[test]
#[ignore = "scale benchmark; run with --ignored"]
fn rerun_overhead_and_rescore_of_10k() {
    let ruleset = callqa::rules::Ruleset::load(Path::new("rules")).unwrap();
    let base = sample_interactions();
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    let mut store = Store::open(&dir.path().join("callqa.db")).unwrap();

    // First run: every input is new; store interaction and result, one transaction
    // per chunk of 64 inputs (as the batch loop hands them out).
    let t = Instant::now();
    for chunk in (0..N).collect::<Vec<_>>().chunks(64) {
        store
            .transaction(|store| {
                for &n in chunk {
                    let path = inputs.join(format!("c-{n:05}.json"));
                    let mut i = base[n % base.len()].clone();
                    i.id = format!("c-{n:05}");
                    i.source = path.display().to_string();
                    std::fs::write(&path, format!("{n}")).unwrap();
                    let input = store.note_input(&i.source, &path, true).unwrap();
                    assert_eq!(input.state, InputState::New);
                    store.interaction_put(&i, &input.hash).unwrap();
                    let r = callqa::scan::scan(&i, &ruleset);
                    let key = ResultKey {
                        interaction_id: &i.id,
                        source: &i.source,
                        ruleset_sha256: &ruleset.sha256,
                    };
                    store
                        .result_put(&key, &input.hash, &serde_json::to_string(&r).unwrap())
                        .unwrap();
                }
                Ok::<(), callqa::store::StoreError>(())
            })
            .unwrap();
    }
    let first = t.elapsed();

    // Nightly rerun: nothing changed; per input, check it and find its stored result.
    let t = Instant::now();
    let mut cached = 0;
    for n in 0..N {
        let path = inputs.join(format!("c-{n:05}.json"));
        let source = path.display().to_string();
        let input = store.note_input(&source, &path, true).unwrap();
        assert_eq!(input.state, InputState::Unchanged);
        let id = format!("c-{n:05}");
        let key = ResultKey {
            interaction_id: &id,
            source: &source,
            ruleset_sha256: &ruleset.sha256,
        };
        cached += usize::from(store.result_get(&key, &input.hash).unwrap().is_some());
    }
    let rerun = t.elapsed();
    assert_eq!(cached, N);

    // Rescore: every stored interaction, rebuilt and scanned again.
    let t = Instant::now();
    let mut rescored = 0;
    store
        .for_each_interaction(|i| {
            let _ = callqa::scan::scan(&i, &ruleset);
            rescored += 1;
            Ok::<(), callqa::store::StoreError>(())
        })
        .unwrap();
    let rescore = t.elapsed();
    assert_eq!(rescored, N);

    let report = format!(
        "first run {first:?}, rerun overhead {rerun:?}, rescore {rescore:?} for {N} interactions"
    );
    assert!(
        rerun < Duration::from_secs(30) && rescore < Duration::from_secs(60),
        "{report}"
    );
    eprintln!("{report}");
}
