//! Versioned schema migrations. `PRAGMA user_version` holds the number of migrations
//! applied; each later one runs in order, all in one transaction, so a database is
//! either at its old version or fully at the new one. Migrations are append-only:
//! never edit one that has shipped, add the next.

use super::StoreError;
use rusqlite::Connection;
use std::path::Path;

/// The migrations, in order; migration `i` brings the database to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: inputs, transcript cache, stored interactions, results, samples, lock holder.
    "
    CREATE TABLE inputs (
        path       TEXT PRIMARY KEY,
        hash       TEXT NOT NULL,           -- blake3 of the content, hex
        size       INTEGER NOT NULL,
        mtime_ns   INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL
    );
    CREATE TABLE transcripts (
        audio_hash TEXT NOT NULL,           -- blake3 of the recording
        model      TEXT NOT NULL,           -- fingerprint of the model file
        settings   TEXT NOT NULL,           -- ASR settings that change the text
        body       TEXT NOT NULL,           -- CachedTranscript JSON
        created_at TEXT NOT NULL,
        PRIMARY KEY (audio_hash, model, settings)
    );
    CREATE TABLE interactions (
        interaction_id TEXT NOT NULL,
        source         TEXT NOT NULL,
        input_hash     TEXT NOT NULL,
        body           TEXT NOT NULL,       -- Interaction JSON
        updated_at     TEXT NOT NULL,
        PRIMARY KEY (interaction_id, source)
    );
    CREATE TABLE results (
        interaction_id TEXT NOT NULL,
        source         TEXT NOT NULL,
        ruleset_sha256 TEXT NOT NULL,
        input_hash     TEXT NOT NULL,
        line           TEXT NOT NULL,       -- the results.jsonl line, without newline
        recorded_at    TEXT NOT NULL,       -- RFC 3339 UTC, microseconds
        recorded_us    INTEGER NOT NULL,    -- the same, microseconds since the epoch
        PRIMARY KEY (interaction_id, source, ruleset_sha256)
    );
    CREATE INDEX results_by_time ON results (recorded_us);
    CREATE TABLE samples (
        interaction_id TEXT PRIMARY KEY,
        agent_id       TEXT NOT NULL,
        week           TEXT NOT NULL,
        rank           TEXT NOT NULL,       -- u64 as decimal (does not fit SQLite's i64)
        selected       INTEGER NOT NULL,    -- 0/1; never goes back to 0
        first_seen     TEXT NOT NULL,
        selected_at    TEXT
    );
    CREATE INDEX samples_by_stratum ON samples (agent_id, week);
    CREATE TABLE lock_holder (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        pid   INTEGER NOT NULL,
        host  TEXT NOT NULL,
        since TEXT NOT NULL
    );
    ",
    // 2: walk stored interactions in (source, interaction_id) order without sorting
    // (`callqa rescore` pages through the archive).
    "CREATE INDEX interactions_by_source ON interactions (source, interaction_id);",
    "
    CREATE TABLE input_problems (
        seq    INTEGER PRIMARY KEY,         -- order in the run
        source TEXT NOT NULL,               -- the input as results.jsonl names it
        error  TEXT NOT NULL                -- the message, with line when known
    );
    ",
    // 4: the review loop of `callqa serve`: reviewers' verdicts on hits, agents'
    // appeals and leads' rulings. Keyed by the hit (rule, turn and byte span) so a
    // verdict survives a rescore that still finds the same hit.
    "
    CREATE TABLE verdicts (
        id             INTEGER PRIMARY KEY,
        interaction_id TEXT NOT NULL,
        source         TEXT NOT NULL,
        rule_id        TEXT NOT NULL,
        hit_key        TEXT NOT NULL,       -- 'turn:start_byte-end_byte', '' for the violation, 'missed@S' for a miss
        verdict        TEXT NOT NULL CHECK (verdict IN ('true_hit', 'false_hit', 'missed')),
        start_s        REAL,                -- missed: when it happened
        note           TEXT NOT NULL,
        user           TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        UNIQUE (interaction_id, source, rule_id, hit_key)
    );
    CREATE TABLE appeals (
        id             INTEGER PRIMARY KEY,
        interaction_id TEXT NOT NULL,
        source         TEXT NOT NULL,
        rule_id        TEXT NOT NULL,
        reason         TEXT NOT NULL,
        user           TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        ruling         TEXT CHECK (ruling IN ('upheld', 'overturned')),
        ruling_note    TEXT,
        ruled_by       TEXT,
        ruled_at       TEXT
    );
    CREATE INDEX appeals_by_interaction ON appeals (interaction_id, source);
    ",
    // 5: the rule text of each ruleset results were scored with (so reviewed
    // results can be scored again wherever they are read), and interactions a
    // reviewer went through in full (what recall is estimated on).
    "
    CREATE TABLE rulesets (
        sha256 TEXT PRIMARY KEY,
        text   TEXT NOT NULL
    );
    CREATE TABLE full_reviews (
        interaction_id TEXT NOT NULL,
        source         TEXT NOT NULL,
        user           TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        PRIMARY KEY (interaction_id, source)
    );
    ",
    // 6: result lines and interaction bodies are stored packed (a zstd frame in a
    // BLOB, `store::packed`), their turns once, apart, in `turns`; the rows already
    // there are packed (whole, `turns` NULL) by [`pack_rows`] in the same transaction.
    "
    CREATE TABLE turns (
        hash BLOB PRIMARY KEY,              -- first 16 bytes of the blake3 of the JSON
        body BLOB NOT NULL                  -- the turns' JSON, zstd
    );
    ALTER TABLE interactions ADD COLUMN turns BLOB;  -- turns.hash; NULL: body is whole
    ALTER TABLE results ADD COLUMN turns BLOB;       -- turns.hash; NULL: line is whole
    ",
    // 7: chat logs scored in full (`store::scored`): a rerun over an unchanged one
    // hands out its stored results without reading it again. Not copied by
    // `db repair` (a rebuilt database reads its inputs once more).
    "
    CREATE TABLE scored_inputs (
        path           TEXT NOT NULL,       -- the input as results name it
        ruleset_sha256 TEXT NOT NULL,
        result_hash    TEXT NOT NULL,       -- batch::result_hash of the content it was scored from
        ids            BLOB NOT NULL,       -- the interaction ids in file order, newline-joined, zstd
        PRIMARY KEY (path, ruleset_sha256)
    );
    ",
    // 8: the ids of a chat log scored in full also in parts of a few thousand, so
    // that neither recording nor reading them holds them all: a record's ids are
    // those of `scored_inputs.ids` followed by those of its parts in order. Not
    // copied by `db repair` either.
    "
    CREATE TABLE scored_parts (
        path           TEXT NOT NULL,
        ruleset_sha256 TEXT NOT NULL,
        part           INTEGER NOT NULL,    -- 0, 1, ...
        ids            BLOB NOT NULL,       -- interaction ids in file order, newline-joined, zstd
        PRIMARY KEY (path, ruleset_sha256, part)
    );
    ",
];

/// The version whose rows [`pack_rows`] packs.
const PACKED: usize = 6;

/// The schema version this build writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings `conn` to the latest version.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sql = |source| StoreError::Sql {
        path: path.to_path_buf(),
        what: "read the schema version",
        source,
    };
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql)?;
    if found > latest() {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known: latest(),
        });
    }
    if found == latest() {
        return Ok(());
    }
    let fail = |source| StoreError::Migrate {
        path: path.to_path_buf(),
        version: latest(),
        source,
    };
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(fail)?;
    // Re-read inside the write lock: another process may have migrated meanwhile.
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let failed = |source| StoreError::Migrate {
            path: path.to_path_buf(),
            version: i as i64 + 1,
            source,
        };
        tx.execute_batch(step).map_err(failed)?;
        if i + 1 == PACKED {
            pack_rows(&tx, path)?;
        }
    }
    tx.pragma_update(None, "user_version", latest())
        .map_err(fail)?;
    tx.commit().map_err(fail)
}

/// Packs the result lines and interaction bodies stored as TEXT (version 5 and
/// before), a page of rows at a time.
fn pack_rows(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    for (table, column) in [("results", "line"), ("interactions", "body")] {
        let fail = |source| StoreError::Migrate {
            path: path.to_path_buf(),
            version: PACKED as i64,
            source,
        };
        let mut page = conn
            .prepare(&format!(
                "SELECT rowid, {column} FROM {table} WHERE rowid > ?1 AND typeof({column}) = 'text' ORDER BY rowid LIMIT 1000"
            ))
            .map_err(fail)?;
        let mut update = conn
            .prepare(&format!(
                "UPDATE {table} SET {column} = ?2 WHERE rowid = ?1"
            ))
            .map_err(fail)?;
        let mut after = i64::MIN;
        loop {
            let rows: Vec<(i64, String)> = page
                .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect())
                .map_err(fail)?;
            let Some((last, _)) = rows.last() else {
                break;
            };
            after = *last;
            for (rowid, text) in &rows {
                let packed = super::Packed::text(text);
                update
                    .execute(rusqlite::params![rowid, packed.bytes()])
                    .map_err(fail)?;
            }
        }
    }
    Ok(())
}
