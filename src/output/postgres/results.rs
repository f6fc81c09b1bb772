//! Results and their violations, in two passes over the store so a rerun sends
//! little: first every result's key, line hash and recorded time go through one
//! binary `COPY` and PostgreSQL says which are new or differ; then only those are
//! read again, parsed and sent whole, with one row per violation, in chunks (each a
//! `COPY` of results and one of violations, so memory stays bounded), and upserted.

use super::{PgError, PgTarget};
use crate::scan::result::{InteractionResult, Violation};
use crate::store::reviewed::Reviews;
use crate::store::{Store, StoredResult};
use chrono::{DateTime, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use std::collections::HashSet;

/// Results parsed and sent per chunk.
const CHUNK: usize = 2000;

const STAGE: &str = "
CREATE TEMP TABLE callqa_stage_keys (
    interaction_id text, source text, ruleset_sha256 text, recorded_at text, line_hash text
) ON COMMIT DROP;
CREATE TEMP TABLE callqa_stage_results (
    interaction_id text, source text, ruleset_sha256 text, ruleset_name text,
    ruleset_version text, agent_id text, kind text, started_at text,
    duration_s float8, score int4, passed bool, fatal bool, violation_count int4,
    recorded_at text, line_hash text, line text
) ON COMMIT DROP;
CREATE TEMP TABLE callqa_stage_violations (
    interaction_id text, source text, ruleset_sha256 text, ordinal int4, rule_id text,
    kind text, severity text, deduct int4, hits int4, first_turn int4,
    first_start_s float8, first_matched text, value float8, limit_value float8,
    detail text
) ON COMMIT DROP;
";

const KEY_TYPES: [Type; 5] = [Type::TEXT; 5];

const RESULT_TYPES: [Type; 16] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::FLOAT8,
    Type::INT4,
    Type::BOOL,
    Type::BOOL,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

const VIOLATION_TYPES: [Type; 15] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::INT4,
    Type::INT4,
    Type::FLOAT8,
    Type::TEXT,
    Type::FLOAT8,
    Type::FLOAT8,
    Type::TEXT,
];

/// The staged keys that are new or whose line or time differ from the stored row.
const CHANGED: &str = "
CREATE TEMP TABLE callqa_changed_results ON COMMIT DROP AS
SELECT k.interaction_id, k.source, k.ruleset_sha256 FROM callqa_stage_keys k
LEFT JOIN {schema}.results r USING (interaction_id, source, ruleset_sha256)
WHERE r.line_hash IS DISTINCT FROM k.line_hash
   OR r.recorded_at IS DISTINCT FROM k.recorded_at::timestamptz";

const UPSERT: &str = "
INSERT INTO {schema}.results (interaction_id, source, ruleset_sha256, ruleset_name,
    ruleset_version, agent_id, kind, started_at, duration_s, score, passed, fatal,
    violation_count, recorded_at, line_hash, line, exported_at)
SELECT interaction_id, source, ruleset_sha256, ruleset_name, ruleset_version, agent_id,
    kind, started_at::timestamptz, duration_s, score, passed, fatal, violation_count,
    recorded_at::timestamptz, line_hash, line::jsonb, now()
FROM callqa_stage_results
ON CONFLICT (interaction_id, source, ruleset_sha256) DO UPDATE SET
    ruleset_name = excluded.ruleset_name, ruleset_version = excluded.ruleset_version,
    agent_id = excluded.agent_id, kind = excluded.kind, started_at = excluded.started_at,
    duration_s = excluded.duration_s, score = excluded.score, passed = excluded.passed,
    fatal = excluded.fatal, violation_count = excluded.violation_count,
    recorded_at = excluded.recorded_at, line_hash = excluded.line_hash,
    line = excluded.line, exported_at = excluded.exported_at";

const DROP_VIOLATIONS: &str = "
DELETE FROM {schema}.violations v USING callqa_stage_results c
WHERE v.interaction_id = c.interaction_id AND v.source = c.source
  AND v.ruleset_sha256 = c.ruleset_sha256";

const INSERT_VIOLATIONS: &str = "
INSERT INTO {schema}.violations (interaction_id, source, ruleset_sha256, ordinal, rule_id,
    kind, severity, deduct, hits, first_turn, first_start_s, first_matched, value,
    limit_value, detail)
SELECT * FROM callqa_stage_violations";

/// Counts of one results sync.
pub struct Synced {
    pub sent: u64,
    pub written: u64,
    pub violations: u64,
}

/// What identifies a result, hashed (the set of changed results holds these).
fn key_digest(interaction_id: &str, source: &str, ruleset_sha256: &str) -> [u8; 16] {
    let mut h = blake3::Hasher::new();
    for part in [interaction_id, source, ruleset_sha256] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

fn line_hash(line: &str) -> String {
    blake3::hash(line.as_bytes()).to_hex().to_string()
}

pub fn sync(
    tx: &mut postgres::Transaction<'_>,
    store: &Store,
    since: Option<DateTime<Utc>>,
    target: &PgTarget,
) -> Result<Synced, PgError> {
    let sql = |q: &str| q.replace("{schema}", target.schema());
    tx.batch_execute(STAGE)
        .map_err(target.sql("create the staging tables"))?;

    // Pass 1: keys, hashes and times.
    let copy = tx
        .copy_in("COPY callqa_stage_keys FROM STDIN (FORMAT binary)")
        .map_err(target.sql("copy result keys"))?;
    let mut writer = BinaryCopyInWriter::new(copy, &KEY_TYPES);
    let mut sent = 0u64;
    let mut reviews = Reviews::load(store)?;
    store.for_each_result_since(since, |r: StoredResult| {
        let r = reviewed(store, &mut reviews, r)?;
        let hash = line_hash(&r.line);
        writer
            .write(&[
                &r.interaction_id,
                &r.source,
                &r.ruleset_sha256,
                &r.recorded_at,
                &hash,
            ])
            .map_err(target.sql("copy result keys"))?;
        sent += 1;
        Ok::<(), PgError>(())
    })?;
    writer.finish().map_err(target.sql("copy result keys"))?;
    tx.batch_execute("ANALYZE callqa_stage_keys")
        .map_err(target.sql("analyze the staging table"))?;
    tx.execute(&sql(CHANGED), &[])
        .map_err(target.sql("compare results"))?;
    let changed = changed_keys(tx, target)?;

    // Pass 2: the changed results, whole, with their violations.
    let mut chunk: Vec<(StoredResult, InteractionResult)> = Vec::with_capacity(CHUNK);
    let mut written = 0u64;
    if !changed.is_empty() {
        store.for_each_result_since(since, |r: StoredResult| {
            if !changed.contains(&key_digest(&r.interaction_id, &r.source, &r.ruleset_sha256)) {
                return Ok(());
            }
            let r = reviewed(store, &mut reviews, r)?;
            let parsed: InteractionResult =
                serde_json::from_str(&r.line).map_err(|source| PgError::Line {
                    db: store.path().to_path_buf(),
                    source,
                })?;
            chunk.push((r, parsed));
            if chunk.len() == CHUNK {
                written += send_chunk(tx, &chunk, target)?;
                chunk.clear();
            }
            Ok::<(), PgError>(())
        })?;
        written += send_chunk(tx, &chunk, target)?;
    }
    tx.execute(&sql(UPSERT), &[])
        .map_err(target.sql("upsert results"))?;
    tx.execute(&sql(DROP_VIOLATIONS), &[])
        .map_err(target.sql("remove old violations"))?;
    let violations = tx
        .execute(&sql(INSERT_VIOLATIONS), &[])
        .map_err(target.sql("insert violations"))?;
    Ok(Synced {
        sent,
        written,
        violations,
    })
}

/// `r` as review has it, like every other output ([`crate::scan::review`]).
fn reviewed(
    store: &Store,
    reviews: &mut Reviews,
    mut r: StoredResult,
) -> Result<StoredResult, PgError> {
    if let Some(line) = reviews.reviewed_line(store, &r)? {
        r.line = line;
    }
    Ok(r)
}

/// The digests of the keys PostgreSQL found new or changed, streamed.
fn changed_keys(
    tx: &mut postgres::Transaction<'_>,
    target: &PgTarget,
) -> Result<HashSet<[u8; 16]>, PgError> {
    use postgres::fallible_iterator::FallibleIterator;
    let none: [&(dyn ToSql + Sync); 0] = [];
    let mut rows = tx
        .query_raw(
            "SELECT interaction_id, source, ruleset_sha256 FROM callqa_changed_results",
            none,
        )
        .map_err(target.sql("read changed results"))?;
    let mut set = HashSet::new();
    while let Some(row) = rows.next().map_err(target.sql("read changed results"))? {
        set.insert(key_digest(row.get(0), row.get(1), row.get(2)));
    }
    Ok(set)
}

/// Copies one chunk of changed results and their violations into the staging
/// tables; returns how many results it held.
fn send_chunk(
    tx: &mut postgres::Transaction<'_>,
    chunk: &[(StoredResult, InteractionResult)],
    target: &PgTarget,
) -> Result<u64, PgError> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let copy = tx
        .copy_in("COPY callqa_stage_results FROM STDIN (FORMAT binary)")
        .map_err(target.sql("copy results"))?;
    let mut w = BinaryCopyInWriter::new(copy, &RESULT_TYPES);
    for (stored, r) in chunk {
        // A start time that is not RFC 3339 stays in the line only.
        let started_at = r
            .started_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_rfc3339());
        let score = i32::try_from(r.score).unwrap_or(i32::MAX);
        let count = i32::try_from(r.violations.len()).unwrap_or(i32::MAX);
        w.write(&[
            &stored.interaction_id,
            &stored.source,
            &stored.ruleset_sha256,
            &&*r.ruleset.name,
            &&*r.ruleset.version,
            &r.agent_id,
            &name(&r.kind),
            &started_at,
            &r.duration_s,
            &score,
            &r.passed,
            &r.fatal,
            &count,
            &stored.recorded_at,
            &line_hash(&stored.line),
            &stored.line,
        ])
        .map_err(target.sql("copy results"))?;
    }
    w.finish().map_err(target.sql("copy results"))?;

    let copy = tx
        .copy_in("COPY callqa_stage_violations FROM STDIN (FORMAT binary)")
        .map_err(target.sql("copy violations"))?;
    let mut w = BinaryCopyInWriter::new(copy, &VIOLATION_TYPES);
    for (stored, r) in chunk {
        for (i, v) in r.violations.iter().enumerate() {
            write_violation(&mut w, stored, i, v).map_err(target.sql("copy violations"))?;
        }
    }
    w.finish().map_err(target.sql("copy violations"))?;
    Ok(chunk.len() as u64)
}

fn write_violation(
    w: &mut BinaryCopyInWriter<'_>,
    stored: &StoredResult,
    i: usize,
    v: &Violation,
) -> Result<(), postgres::Error> {
    let ordinal = i32::try_from(i + 1).unwrap_or(i32::MAX);
    let deduct = i32::try_from(v.deduct).unwrap_or(i32::MAX);
    let hits = i32::try_from(v.evidence.len()).unwrap_or(i32::MAX);
    let first = v.evidence.first();
    let first_turn = first.map(|e| i32::try_from(e.turn).unwrap_or(i32::MAX));
    let first_start = first.map(|e| e.start_s);
    let first_matched = first.map(|e| e.matched.as_str());
    let detail = v.detail.as_deref();
    w.write(&[
        &stored.interaction_id,
        &stored.source,
        &stored.ruleset_sha256,
        &ordinal,
        &&*v.rule_id,
        &name(&v.kind),
        &name(&v.severity),
        &deduct,
        &hits,
        &first_turn,
        &first_start,
        &first_matched,
        &v.value,
        &v.limit,
        &detail,
    ])
}

/// The name a unit enum has in the results line (`chat`, `forbidden`, `major`).
fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
