//! Results and their violations: the stored lines stream through one binary `COPY`
//! into a staging table; rows whose line hash or recorded time differ from what
//! PostgreSQL holds are upserted, and their violation rows are rebuilt from the
//! line's `violations` array (position `ordinal`, 1-based).

use super::{PgError, PgTarget};
use crate::scan::result::InteractionResult;
use crate::store::{Store, StoredResult};
use chrono::{DateTime, Utc};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

const STAGE: &str = "
CREATE TEMP TABLE callqa_stage_results (
    interaction_id text, source text, ruleset_sha256 text, ruleset_name text,
    ruleset_version text, agent_id text, kind text, started_at text,
    duration_s float8, score int4, passed bool, fatal bool, violation_count int4,
    recorded_at text, line_hash text, line text
) ON COMMIT DROP";

const STAGE_TYPES: [Type; 16] = [
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

const COPY: &str = "COPY callqa_stage_results FROM STDIN (FORMAT binary)";

/// The staged rows that are new or differ from the stored ones.
const CHANGED: &str = "
CREATE TEMP TABLE callqa_changed_results ON COMMIT DROP AS
SELECT s.* FROM callqa_stage_results s
LEFT JOIN {schema}.results r USING (interaction_id, source, ruleset_sha256)
WHERE r.line_hash IS DISTINCT FROM s.line_hash
   OR r.recorded_at IS DISTINCT FROM s.recorded_at::timestamptz";

const UPSERT: &str = "
INSERT INTO {schema}.results (interaction_id, source, ruleset_sha256, ruleset_name,
    ruleset_version, agent_id, kind, started_at, duration_s, score, passed, fatal,
    violation_count, recorded_at, line_hash, line, exported_at)
SELECT interaction_id, source, ruleset_sha256, ruleset_name, ruleset_version, agent_id,
    kind, started_at::timestamptz, duration_s, score, passed, fatal, violation_count,
    recorded_at::timestamptz, line_hash, line::jsonb, now()
FROM callqa_changed_results
ON CONFLICT (interaction_id, source, ruleset_sha256) DO UPDATE SET
    ruleset_name = excluded.ruleset_name, ruleset_version = excluded.ruleset_version,
    agent_id = excluded.agent_id, kind = excluded.kind, started_at = excluded.started_at,
    duration_s = excluded.duration_s, score = excluded.score, passed = excluded.passed,
    fatal = excluded.fatal, violation_count = excluded.violation_count,
    recorded_at = excluded.recorded_at, line_hash = excluded.line_hash,
    line = excluded.line, exported_at = excluded.exported_at";

const DROP_VIOLATIONS: &str = "
DELETE FROM {schema}.violations v USING callqa_changed_results c
WHERE v.interaction_id = c.interaction_id AND v.source = c.source
  AND v.ruleset_sha256 = c.ruleset_sha256";

const INSERT_VIOLATIONS: &str = "
INSERT INTO {schema}.violations (interaction_id, source, ruleset_sha256, ordinal, rule_id,
    kind, severity, deduct, hits, first_turn, first_start_s, first_matched, value,
    limit_value, detail)
SELECT r.interaction_id, r.source, r.ruleset_sha256, v.ord::int, v.j->>'rule_id',
    v.j->>'kind', v.j->>'severity', (v.j->>'deduct')::int,
    coalesce(jsonb_array_length(v.j->'evidence'), 0),
    (v.j#>>'{evidence,0,turn}')::int, (v.j#>>'{evidence,0,start_s}')::float8,
    v.j#>>'{evidence,0,matched}', (v.j->>'value')::float8, (v.j->>'limit')::float8,
    v.j->>'detail'
FROM callqa_changed_results c
JOIN {schema}.results r USING (interaction_id, source, ruleset_sha256)
CROSS JOIN LATERAL jsonb_array_elements(r.line->'violations') WITH ORDINALITY AS v(j, ord)";

/// Counts of one results sync.
pub struct Synced {
    pub sent: u64,
    pub written: u64,
    pub violations: u64,
}

pub fn sync(
    tx: &mut postgres::Transaction<'_>,
    store: &Store,
    since: Option<DateTime<Utc>>,
    target: &PgTarget,
) -> Result<Synced, PgError> {
    let sql = |q: &str| q.replace("{schema}", target.schema());
    tx.batch_execute(STAGE)
        .map_err(target.sql("create the staging table"))?;
    let copy = tx.copy_in(COPY).map_err(target.sql("copy results"))?;
    let mut writer = BinaryCopyInWriter::new(copy, &STAGE_TYPES);
    let mut sent = 0u64;
    store.for_each_result_since(since, |stored: StoredResult| {
        stage(&mut writer, &stored, store, target)?;
        sent += 1;
        Ok::<(), PgError>(())
    })?;
    writer.finish().map_err(target.sql("copy results"))?;
    tx.batch_execute("ANALYZE callqa_stage_results")
        .map_err(target.sql("analyze the staging table"))?;
    let written = tx
        .execute(&sql(CHANGED), &[])
        .map_err(target.sql("compare results"))?;
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

/// One staging row from a stored result.
fn stage(
    writer: &mut BinaryCopyInWriter<'_>,
    stored: &StoredResult,
    store: &Store,
    target: &PgTarget,
) -> Result<(), PgError> {
    let r: InteractionResult =
        serde_json::from_str(&stored.line).map_err(|source| PgError::Line {
            db: store.path().to_path_buf(),
            source,
        })?;
    let kind = serde_json::to_value(r.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    // A start time that is not RFC 3339 stays in the line only.
    let started_at = r
        .started_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_rfc3339());
    let hash = blake3::hash(stored.line.as_bytes()).to_hex().to_string();
    let score = i32::try_from(r.score).unwrap_or(i32::MAX);
    let violations = i32::try_from(r.violations.len()).unwrap_or(i32::MAX);
    writer
        .write(&[
            &stored.interaction_id,
            &stored.source,
            &stored.ruleset_sha256,
            &&*r.ruleset.name,
            &&*r.ruleset.version,
            &r.agent_id,
            &kind,
            &started_at,
            &r.duration_s,
            &score,
            &r.passed,
            &r.fatal,
            &violations,
            &stored.recorded_at,
            &hash,
            &stored.line,
        ])
        .map_err(target.sql("copy results"))
}
