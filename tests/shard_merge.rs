//! Shards and merge: the shards of a run, merged, give the unsharded results and
//! aggregates; shards are disjoint; conflicting or mixed-ruleset shards are refused.

use callqa::aggregate::{aggregate, RuleInfo, Setup};
use callqa::batch::shard::ShardSpec;
use callqa::output::merge::{merge, sort_results, MergeError};
use callqa::output::{DirSink, ReportSink, RunSummary};
use callqa::scan::result::{InputErrorLine, InteractionResult, SCHEMA_VERSION};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

struct Run {
    results: Vec<InteractionResult>,
    errors: Vec<InputErrorLine>,
    rules: Vec<RuleInfo>,
    ruleset: callqa::rules::Ruleset,
}

/// Scans the sample chats (plus one broken chat file) as `scan --shard` would.
fn scan(shard: ShardSpec, broken: &Path) -> Run {
    let ruleset = callqa::rules::Ruleset::load(Path::new("rules")).unwrap();
    let (files, _) =
        callqa::input::discover(&[PathBuf::from("samples/chats"), broken.to_path_buf()]);
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for f in &files {
        let read = callqa::input::read_text_file(f);
        for p in read.problems {
            errors.push(InputErrorLine {
                schema_version: SCHEMA_VERSION,
                source: callqa::input::display_path(&p.source),
                error: p.to_string(),
            });
        }
        results.extend(
            read.interactions
                .iter()
                .filter(|i| shard.owns(&i.id))
                .map(|i| callqa::scan::scan(i, &ruleset)),
        );
    }
    let rules = ruleset.rules.iter().map(RuleInfo::from).collect();
    Run {
        results,
        errors,
        rules,
        ruleset,
    }
}

fn write(dir: &Path, run: &Run) {
    let mut sink = DirSink::create(dir).unwrap();
    for r in &run.results {
        sink.result(r).unwrap();
    }
    for e in &run.errors {
        sink.input_error(e).unwrap();
    }
    let agg = aggregate(&run.results, &Setup::new(&run.rules, &run.ruleset.bands));
    let summary = RunSummary::new(&run.ruleset.id(), 0, run.results.len(), run.errors.len());
    sink.finish(&agg, &run.results, &summary).unwrap();
}

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("broken.jsonl");
    std::fs::write(&broken, "{not json\n").unwrap();
    let whole = scan(ShardSpec::ALL, &broken);
    assert!(whole.results.len() >= 5 && !whole.errors.is_empty());

    let n = 3;
    let mut dirs = Vec::new();
    let mut seen = HashSet::new();
    for index in 0..n {
        let run = scan(ShardSpec { index, count: n }, &broken);
        for r in &run.results {
            assert!(
                seen.insert((r.source.clone(), r.interaction_id.clone())),
                "shards overlap on {}",
                r.interaction_id
            );
        }
        let dir = tmp.path().join(format!("shard-{index}"));
        write(&dir, &run);
        dirs.push(dir);
    }
    let merged = merge(&dirs).unwrap();
    let mut want = whole.results.clone();
    sort_results(&mut want);
    assert_eq!(merged.results, want, "union of shards == unsharded");
    assert_eq!(
        merged.errors, whole.errors,
        "the broken file is reported once"
    );
    let bands = &whole.ruleset.bands;
    assert_eq!(
        aggregate(&merged.results, &Setup::new(&whole.rules, bands)),
        aggregate(&whole.results, &Setup::new(&whole.rules, bands))
    );
}

#[test]
fn shards_that_disagree_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let broken = tmp.path().join("none.jsonl");
    std::fs::write(&broken, "").unwrap();
    let run = scan(ShardSpec::ALL, &broken);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write(&a, &run);
    let mut other = Run {
        results: run.results.clone(),
        errors: vec![],
        rules: run.rules.clone(),
        ruleset: callqa::rules::Ruleset::load(Path::new("rules")).unwrap(),
    };
    other.results[0].score = other.results[0].score.wrapping_add(1);
    write(&b, &other);
    let err = merge(&[a.clone(), b.clone()]).unwrap_err();
    assert!(matches!(err, MergeError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains(&run.results[0].interaction_id));

    // The same outputs twice merge to one copy.
    let same = merge(&[a.clone(), a.clone()]).unwrap();
    assert_eq!(same.results.len(), run.results.len());

    for r in &mut other.results {
        r.ruleset.sha256 = "f".repeat(64).into();
    }
    other.results[0].score = run.results[0].score;
    write(&b, &other);
    assert!(matches!(
        merge(&[a, b]).unwrap_err(),
        MergeError::Rulesets { .. }
    ));
}

#[test]
fn a_missing_shard_output_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let err = merge(&[tmp.path().join("shard-7")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("shard-7") && err.contains("results.jsonl"),
        "{err}"
    );
    assert!(matches!(merge(&[]), Err(MergeError::NoDirs)));
}
