//! `callqa rescore --rules NEW`: applies a new ruleset to every interaction in the
//! state database (chats, transcripts and transcribed calls alike, nothing is read
//! or transcribed again), records the new results, writes the normal outputs, and
//! writes `rescore.csv`: per rule, hits and violated interactions under the ruleset
//! the database's results were last scored with (old) and under NEW.

use super::args::RescoreArgs;
use super::config::RescoreConfig;
use super::scan_cmd::{finish, pool, record_ruleset, rule_infos, slim};
use super::{CliError, Outcome};
use crate::aggregate::{aggregate, RuleStat, Setup};
use crate::interaction::Interaction;
use crate::output::{DirSink, ReportSink};
use crate::reporter::Reporter;
use crate::rules::Ruleset;
use crate::scan::{
    self,
    result::{InputErrorLine, InteractionResult, SCHEMA_VERSION},
};
use crate::store::reviewed::Reviews;
use crate::store::{ResultKey, Store, StoreError};
use rayon::prelude::*;
use std::collections::BTreeMap;

pub const RESCORE_CSV: &str = "rescore.csv";

/// Interactions scanned and stored per transaction.
const PER_TRANSACTION: usize = 4096;

pub fn run(args: RescoreArgs, reporter: &dyn Reporter) -> Result<Outcome, CliError> {
    let RescoreConfig {
        ruleset,
        out_dir,
        db,
        jobs,
        redact,
        assess,
    } = RescoreConfig::from_args(args)?;
    std::fs::create_dir_all(&out_dir).map_err(|source| CliError::CreateOut {
        path: out_dir.clone(),
        source,
    })?;
    let mut store = Store::open(&db)?;
    record_ruleset(&mut store, &ruleset)?;
    let reviews = Reviews::load(&store)?;
    // "Old" is the ruleset the database was last scored with other than NEW; when
    // there is none, NEW's own results as stored before this rescore.
    let rulesets: Vec<String> = store
        .result_rulesets()?
        .into_iter()
        .map(|(sha, _, _)| sha)
        .collect();
    let old_sha = rulesets
        .iter()
        .find(|sha| sha.as_str() != &*ruleset.sha256)
        .or(rulesets.first())
        .cloned();
    // Old results as the aggregates need them (slim: no turn texts).
    let old: Vec<InteractionResult> = match &old_sha {
        Some(sha) => store
            .results_of_ruleset(sha)?
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .map(slim)
            .collect(),
        None => Vec::new(),
    };
    let pool = pool(jobs)?;
    let mut sink = DirSink::create(&out_dir)?;
    // The inputs the last scan could not read stay on record.
    let problems = store.problems()?;
    for p in &problems {
        sink.input_error(&InputErrorLine {
            schema_version: SCHEMA_VERSION,
            source: p.source.clone(),
            error: p.error.clone(),
        })?;
    }
    let (mut kept, mut machine) = (Vec::new(), Vec::new());
    let (mut files, mut last_source) = (0, None::<String>);
    let mut after: Option<(String, String)> = None;
    // Page by page in (source, interaction_id) order, which is merge order: the
    // results stream to the sink as a fresh scan's would, sorted.
    loop {
        let page = store.interactions_page(
            after.as_ref().map(|(s, i)| (s.as_str(), i.as_str())),
            PER_TRANSACTION,
        )?;
        let Some((last, _)) = page.last() else { break };
        let next = (last.source.clone(), last.id.clone());
        let scanned: Vec<Rescored> = pool.install(|| {
            page.par_iter()
                .map(|(i, _)| rescore_one(i, &ruleset, redact))
                .collect::<Result<_, _>>()
        })?;
        store.transaction(|store| {
            for ((i, hash), done) in page.iter().zip(&scanned) {
                if let Some(masked) = &done.masked {
                    store.interaction_put(masked, hash)?;
                }
                let line = &done.line;
                let key = ResultKey {
                    interaction_id: &i.id,
                    source: &i.source,
                    ruleset_sha256: &ruleset.sha256,
                };
                let hash = crate::batch::result_hash(hash, redact);
                store.result_put(&key, &hash, line)?;
            }
            Ok::<(), StoreError>(())
        })?;
        for Rescored { result: mut r, .. } in scanned {
            // rescore.csv compares what the rules found; the outputs show the review.
            if reviews.of(&r.interaction_id, &r.source).is_some() {
                let before = slim(r.clone());
                reviews.apply_with(&mut r, &ruleset);
                if r.review.is_some() {
                    machine.push((kept.len(), before));
                }
            }
            if last_source.as_deref() != Some(r.source.as_str()) {
                files += 1;
                last_source = Some(r.source.clone());
            }
            sink.result(&r)?;
            kept.push(slim(r));
        }
        after = Some(next);
    }
    drop(store);
    let infos = rule_infos(&ruleset);
    let setup = Setup::new(&infos, &ruleset.bands);
    // The rules' own hit counts: the machine's results, not the reviewed ones.
    swap_in(&mut kept, &mut machine);
    let new_rules = aggregate(&kept, &setup).rules;
    swap_in(&mut kept, &mut machine);
    let old_rules = aggregate(&old, &setup).rules;
    let changed = write_comparison(
        &out_dir.join(RESCORE_CSV),
        &old_rules,
        &new_rules,
        assess.excel,
    )?;
    finish(
        &mut sink,
        &ruleset,
        &assess,
        &kept,
        (files, problems.len()),
        reporter,
    )?;
    reporter.status(&format!(
        "rescored {} interaction(s) with {} {} (sha256 {}) against {}: {changed} rule(s) changed hit counts; {} unreadable input(s) of the last scan kept on record; outputs and {RESCORE_CSV} in {}",
        kept.len(),
        ruleset.name,
        ruleset.version,
        &ruleset.sha256[..12],
        old_sha.as_deref().map_or("no earlier results".to_string(), |s| format!("the results of ruleset sha256 {}", &s[..12.min(s.len())])),
        problems.len(),
        out_dir.display()
    ));
    Ok(Outcome::Done)
}

/// Swaps the results at the given positions with the ones held beside them.
fn swap_in(results: &mut [InteractionResult], held: &mut [(usize, InteractionResult)]) {
    for (i, r) in held {
        std::mem::swap(&mut results[*i], r);
    }
}

/// Scans one stored interaction with the new rules (masked first unless `redact`
/// is off: a database written with `--no-redact` holds clear text): the result,
/// and its line to store.
fn rescore_one(i: &Interaction, ruleset: &Ruleset, redact: bool) -> Result<Rescored, StoreError> {
    let masked = redact
        .then(|| {
            let mut m = i.clone();
            crate::scan::redact::redact_interaction(&mut m);
            m
        })
        .filter(|m| m != i);
    let r = scan::scan(masked.as_ref().unwrap_or(i), ruleset);
    let line = crate::batch::stored_line(&r)?;
    Ok(Rescored {
        result: r,
        line,
        masked,
    })
}

/// One rescored interaction.
struct Rescored {
    result: InteractionResult,
    line: String,
    /// The interaction masked, when the database held numbers in clear (written
    /// with `--no-redact`): it is stored masked from now on.
    masked: Option<Interaction>,
}

/// Writes rescore.csv (rule_id, old_hits, new_hits, old_violated, new_violated), one
/// row per rule of either ruleset, by rule id; returns how many rules changed.
fn write_comparison(
    path: &std::path::Path,
    old: &[RuleStat],
    new: &[RuleStat],
    excel: bool,
) -> Result<usize, CliError> {
    let mut rows: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    for r in old {
        let row = rows.entry(&r.rule_id).or_default();
        row[0] = r.hits;
        row[2] = r.interactions_violated;
    }
    for r in new {
        let row = rows.entry(&r.rule_id).or_default();
        row[1] = r.hits;
        row[3] = r.interactions_violated;
    }
    let mut w = crate::output::safe_csv::SafeWriter::new(crate::output::csv::start(excel));
    let csv_err = |source: ::csv::Error| CliError::Csv {
        path: path.to_path_buf(),
        source,
    };
    w.write_record([
        "rule_id",
        "old_hits",
        "new_hits",
        "old_violated",
        "new_violated",
    ])
    .map_err(csv_err)?;
    let mut changed = 0;
    for (id, [oh, nh, ov, nv]) in &rows {
        changed += usize::from(oh != nh || ov != nv);
        w.write_record([
            id.to_string(),
            oh.to_string(),
            nh.to_string(),
            ov.to_string(),
            nv.to_string(),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(csv_err)?;
    crate::output::atomic::write_atomic(path, &bytes)?;
    Ok(changed)
}
