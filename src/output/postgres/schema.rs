//! The PostgreSQL tables `callqa export --postgres` fills (documented in
//! docs/postgres.md) and the migrations that make them. Each migration is applied
//! once, in order, in the export's own transaction, and recorded in
//! `SCHEMA.schema_migrations`; a newer callqa finds an older schema's version there
//! and applies only what came after it, and an older callqa refuses a newer schema
//! rather than writing rows it does not understand. `{schema}` in the SQL is the
//! target schema's (checked) name.

/// One schema change.
pub struct Migration {
    pub version: i32,
    pub description: &'static str,
    pub sql: &'static str,
}

/// Every migration, oldest first; versions are 1, 2, ... without gaps. Never edit
/// one that has been released: add the next.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "results, violations, verdicts, appeals",
        sql: r#"
CREATE TABLE {schema}.results (
    interaction_id  text NOT NULL,
    source          text NOT NULL,
    ruleset_sha256  text NOT NULL,
    ruleset_name    text NOT NULL,
    ruleset_version text NOT NULL,
    agent_id        text NOT NULL,
    kind            text NOT NULL,
    started_at      timestamptz,
    duration_s      double precision NOT NULL,
    score           integer NOT NULL,
    passed          boolean NOT NULL,
    fatal           boolean NOT NULL,
    violation_count integer NOT NULL,
    recorded_at     timestamptz NOT NULL,
    line_hash       text NOT NULL,
    line            jsonb NOT NULL,
    exported_at     timestamptz NOT NULL,
    PRIMARY KEY (interaction_id, source, ruleset_sha256)
);
CREATE INDEX results_by_recorded_at ON {schema}.results (recorded_at);
CREATE INDEX results_by_agent ON {schema}.results (agent_id, started_at);
CREATE TABLE {schema}.violations (
    interaction_id  text NOT NULL,
    source          text NOT NULL,
    ruleset_sha256  text NOT NULL,
    ordinal         integer NOT NULL,
    rule_id         text NOT NULL,
    kind            text NOT NULL,
    severity        text NOT NULL,
    deduct          integer NOT NULL,
    hits            integer NOT NULL,
    first_turn      integer,
    first_start_s   double precision,
    first_matched   text,
    value           double precision,
    limit_value     double precision,
    detail          text,
    PRIMARY KEY (interaction_id, source, ruleset_sha256, ordinal),
    FOREIGN KEY (interaction_id, source, ruleset_sha256)
        REFERENCES {schema}.results ON DELETE CASCADE
);
CREATE INDEX violations_by_rule ON {schema}.violations (rule_id);
CREATE TABLE {schema}.verdicts (
    interaction_id  text NOT NULL,
    source          text NOT NULL,
    rule_id         text NOT NULL,
    hit_key         text NOT NULL,
    store_id        bigint NOT NULL,
    verdict         text NOT NULL,
    start_s         double precision,
    note            text NOT NULL,
    reviewer        text NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (interaction_id, source, rule_id, hit_key)
);
CREATE TABLE {schema}.appeals (
    interaction_id  text NOT NULL,
    source          text NOT NULL,
    store_id        bigint NOT NULL,
    rule_id         text NOT NULL,
    reason          text NOT NULL,
    appellant       text NOT NULL,
    created_at      timestamptz NOT NULL,
    ruling          text,
    ruling_note     text,
    ruled_by        text,
    ruled_at        timestamptz,
    PRIMARY KEY (interaction_id, source, store_id)
);
"#,
    },
    Migration {
        version: 2,
        description: "current_results and current_violations views",
        sql: r#"
CREATE VIEW {schema}.current_results AS
    SELECT DISTINCT ON (interaction_id, source) *
    FROM {schema}.results
    ORDER BY interaction_id, source, recorded_at DESC, ruleset_sha256;
CREATE VIEW {schema}.current_violations AS
    SELECT v.*
    FROM {schema}.violations v
    JOIN {schema}.current_results r USING (interaction_id, source, ruleset_sha256);
"#,
    },
];

/// The version this callqa brings a schema to.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Whether `name` may be used unquoted as the target schema: lowercase ASCII
/// letters, digits and `_`, not starting with a digit, at most 63 bytes.
pub fn valid_schema_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
        && !name.starts_with("pg_")
}

/// Brings `schema` to `target` (at most [`latest`]) inside `tx`, under a lock that
/// keeps two exports to the same schema from migrating at once; returns the
/// versions applied. Fails when the schema is newer than this callqa.
pub fn migrate(
    tx: &mut postgres::Transaction<'_>,
    schema: &str,
    target: i32,
) -> Result<Migrated, MigrateError> {
    debug_assert!(valid_schema_name(schema));
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('callqa export ' || $1))",
        &[&schema],
    )
    .map_err(|e| MigrateError::Sql("lock the schema", e))?;
    // Only when missing: CREATE ... IF NOT EXISTS would still need the CREATE
    // privilege, which a loader that only writes rows need not have.
    let exists: bool = tx
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("{schema}.schema_migrations")],
        )
        .map_err(|e| MigrateError::Sql("read the schema version", e))?
        .get(0);
    if !exists {
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
             version        integer PRIMARY KEY,
             description    text NOT NULL,
             callqa_version text NOT NULL,
             applied_at     timestamptz NOT NULL DEFAULT now()
         );"
        ))
        .map_err(|e| MigrateError::Sql("create the schema", e))?;
    }
    let found: i32 = tx
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {schema}.schema_migrations"),
            &[],
        )
        .map_err(|e| MigrateError::Sql("read the schema version", e))?
        .get(0);
    if found > latest() {
        return Err(MigrateError::Newer { found });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > found && m.version <= target)
    {
        tx.batch_execute(&m.sql.replace("{schema}", schema))
            .map_err(|e| MigrateError::Sql("apply a schema migration", e))?;
        tx.execute(
            &format!(
                "INSERT INTO {schema}.schema_migrations (version, description, callqa_version) VALUES ($1, $2, $3)"
            ),
            &[&m.version, &m.description, &env!("CARGO_PKG_VERSION")],
        )
        .map_err(|e| MigrateError::Sql("record a schema migration", e))?;
        applied.push(m.version);
    }
    Ok(Migrated { found, applied })
}

/// What [`migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// The version the schema was at (0: it did not exist).
    pub found: i32,
    pub applied: Vec<i32>,
}

#[derive(Debug)]
pub enum MigrateError {
    Sql(&'static str, postgres::Error),
    Newer { found: i32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i32 + 1);
        }
    }

    #[test]
    fn schema_names() {
        for ok in ["callqa", "qa_2026", "_x"] {
            assert!(valid_schema_name(ok), "{ok}");
        }
        for bad in [
            "",
            "1qa",
            "Callqa",
            "qa-x",
            "qa;drop",
            "pg_temp",
            &"a".repeat(64),
        ] {
            assert!(!valid_schema_name(bad), "{bad}");
        }
    }
}
