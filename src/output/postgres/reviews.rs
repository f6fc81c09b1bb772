//! The workbench's verdicts and appeals, sent whole on every export (they are
//! written by people, so few) and upserted by what identifies them across state
//! databases: a verdict by its hit (interaction, source, rule, hit key), as in the
//! store; an appeal by its interaction and store id. Shards own disjoint
//! interactions, so several shards' databases can export into one schema. The store
//! never deletes either, so neither does the export.

use super::{PgError, PgTarget};
use crate::store::Store;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

const VERDICTS: &str = "
CREATE TEMP TABLE callqa_stage_verdicts (
    id int8, interaction_id text, source text, rule_id text, hit_key text,
    verdict text, start_s float8, note text, reviewer text, created_at text
) ON COMMIT DROP;
";
const VERDICT_TYPES: [Type; 10] = [
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::FLOAT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];
const MERGE_VERDICTS: &str = "
INSERT INTO {schema}.verdicts (interaction_id, source, rule_id, hit_key, store_id, verdict,
    start_s, note, reviewer, created_at)
SELECT interaction_id, source, rule_id, hit_key, id, verdict, start_s, note, reviewer,
    created_at::timestamptz
FROM callqa_stage_verdicts
ON CONFLICT (interaction_id, source, rule_id, hit_key) DO UPDATE SET
    store_id = excluded.store_id, verdict = excluded.verdict, start_s = excluded.start_s,
    note = excluded.note, reviewer = excluded.reviewer, created_at = excluded.created_at
WHERE (verdicts.store_id, verdicts.verdict, verdicts.start_s, verdicts.note,
       verdicts.reviewer, verdicts.created_at)
    IS DISTINCT FROM (excluded.store_id, excluded.verdict, excluded.start_s,
       excluded.note, excluded.reviewer, excluded.created_at)
";

const APPEALS: &str = "
CREATE TEMP TABLE callqa_stage_appeals (
    id int8, interaction_id text, source text, rule_id text, reason text,
    appellant text, created_at text, ruling text, ruling_note text, ruled_by text,
    ruled_at text
) ON COMMIT DROP;
";
const APPEAL_TYPES: [Type; 11] = [
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];
const MERGE_APPEALS: &str = "
INSERT INTO {schema}.appeals (interaction_id, source, store_id, rule_id, reason, appellant,
    created_at, ruling, ruling_note, ruled_by, ruled_at)
SELECT interaction_id, source, id, rule_id, reason, appellant, created_at::timestamptz,
    ruling, ruling_note, ruled_by, ruled_at::timestamptz
FROM callqa_stage_appeals
ON CONFLICT (interaction_id, source, store_id) DO UPDATE SET rule_id = excluded.rule_id,
    reason = excluded.reason, appellant = excluded.appellant,
    created_at = excluded.created_at, ruling = excluded.ruling,
    ruling_note = excluded.ruling_note, ruled_by = excluded.ruled_by,
    ruled_at = excluded.ruled_at
WHERE (appeals.rule_id, appeals.reason, appeals.appellant, appeals.created_at,
       appeals.ruling, appeals.ruling_note, appeals.ruled_by, appeals.ruled_at)
    IS DISTINCT FROM (excluded.rule_id, excluded.reason, excluded.appellant,
       excluded.created_at, excluded.ruling, excluded.ruling_note, excluded.ruled_by,
       excluded.ruled_at)
";

/// Mirrors the store's verdicts and appeals; returns how many of each there are.
pub fn sync(
    tx: &mut postgres::Transaction<'_>,
    store: &Store,
    target: &PgTarget,
) -> Result<(u64, u64), PgError> {
    let sql = |q: &str| q.replace("{schema}", target.schema());
    let verdicts = store.all_verdicts()?;
    tx.batch_execute(VERDICTS)
        .map_err(target.sql("create the staging table"))?;
    let copy = tx
        .copy_in("COPY callqa_stage_verdicts FROM STDIN (FORMAT binary)")
        .map_err(target.sql("copy verdicts"))?;
    let mut w = BinaryCopyInWriter::new(copy, &VERDICT_TYPES);
    for v in &verdicts {
        w.write(&[
            &v.id,
            &v.interaction_id,
            &v.source,
            &v.rule_id,
            &v.hit_key,
            &v.verdict.name(),
            &v.start_s,
            &v.note,
            &v.user,
            &v.created_at,
        ])
        .map_err(target.sql("copy verdicts"))?;
    }
    w.finish().map_err(target.sql("copy verdicts"))?;
    tx.batch_execute(&sql(MERGE_VERDICTS))
        .map_err(target.sql("upsert verdicts"))?;

    let appeals = store.all_appeals()?;
    tx.batch_execute(APPEALS)
        .map_err(target.sql("create the staging table"))?;
    let copy = tx
        .copy_in("COPY callqa_stage_appeals FROM STDIN (FORMAT binary)")
        .map_err(target.sql("copy appeals"))?;
    let mut w = BinaryCopyInWriter::new(copy, &APPEAL_TYPES);
    for a in &appeals {
        let ruling = a.ruling.map(|r| r.name());
        w.write(&[
            &a.id,
            &a.interaction_id,
            &a.source,
            &a.rule_id,
            &a.reason,
            &a.user,
            &a.created_at,
            &ruling,
            &a.ruling_note,
            &a.ruled_by,
            &a.ruled_at,
        ])
        .map_err(target.sql("copy appeals"))?;
    }
    w.finish().map_err(target.sql("copy appeals"))?;
    tx.batch_execute(&sql(MERGE_APPEALS))
        .map_err(target.sql("upsert appeals"))?;
    Ok((verdicts.len() as u64, appeals.len() as u64))
}
