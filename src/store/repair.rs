//! A damaged state database must not cost the transcript cache: transcribing an
//! archive again takes hours. [`check`] reads every page (`PRAGMA integrity_check`)
//! and says what is wrong; [`rebuild`] copies every row that can still be read into
//! a fresh database, row by row so one bad page loses only the rows on it, then
//! puts the fresh database in place and keeps the damaged file beside it. Results
//! lost with a bad page are scored again by the next `callqa scan` (from the
//! inputs, recordings through the salvaged transcripts).

use super::{create_private, is_damage, migrate, sql_error, Store, StoreError};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The tables that hold state, in the order they are copied, with their columns
/// (a JSON column is listed in [`json_column`]).
const TABLES: &[(&str, &str)] = &[
    (
        "inputs",
        "path, hash, size, mtime_ns, first_seen, last_seen",
    ),
    (
        "transcripts",
        "audio_hash, model, settings, body, created_at",
    ),
    ("turns", "hash, body"),
    (
        "interactions",
        "interaction_id, source, input_hash, body, updated_at, turns",
    ),
    (
        "results",
        "interaction_id, source, ruleset_sha256, input_hash, line, recorded_at, recorded_us, turns",
    ),
    (
        "samples",
        "interaction_id, agent_id, week, rank, selected, first_seen, selected_at",
    ),
    ("input_problems", "seq, source, error"),
    (
        "verdicts",
        "id, interaction_id, source, rule_id, hit_key, verdict, start_s, note, user, created_at",
    ),
    (
        "appeals",
        "id, interaction_id, source, rule_id, reason, user, created_at, ruling, ruling_note, ruled_by, ruled_at",
    ),
    ("rulesets", "sha256, text"),
    ("full_reviews", "interaction_id, source, user, created_at"),
];

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Rows per table (`None` when the table could not be counted).
    pub rows: Vec<(&'static str, Option<u64>)>,
    /// SQLite's findings; empty when the database is sound.
    pub problems: Vec<String>,
}

/// Reads every page of the database at `path` (read only; works while a run writes).
pub fn check(path: &Path) -> Result<CheckReport, StoreError> {
    let conn = open_source(path)?;
    let mut problems = Vec::new();
    match conn
        .prepare("PRAGMA integrity_check(20)")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        }) {
        Ok(found) if found == ["ok"] => {}
        Ok(found) => problems.extend(found),
        Err(e) => problems.push(e.to_string()),
    }
    let rows = TABLES
        .iter()
        .map(|(table, _)| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .ok();
            (*table, n.map(|n| n as u64))
        })
        .collect();
    Ok(CheckReport { rows, problems })
}

/// The `lost` count of a table that could not be read at all (its row count is
/// unknown).
pub const TABLE_UNREADABLE: u64 = u64::MAX;

/// What [`rebuild`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    /// Per table: rows copied and rows that could not be read
    /// ([`TABLE_UNREADABLE`] when the whole table was lost).
    pub tables: Vec<(&'static str, u64, u64)>,
    /// Where the damaged file now is.
    pub kept_as: PathBuf,
}

/// Copies what is readable of the database at `path` into a fresh one and puts that
/// in its place; the old file (with its -wal and -shm) is renamed to
/// `<path>.damaged-<time>`. Takes the database's write lock for the whole time.
pub fn rebuild(path: &Path) -> Result<RebuildReport, StoreError> {
    let _lock = super::lock::acquire(path, std::time::Duration::ZERO, || None)?;
    let old = open_source(path)?;
    let fresh_path = sibling(path, ".rebuild");
    remove_with_companions(&fresh_path);
    create_private(&fresh_path)?;
    let mut fresh = Connection::open(&fresh_path).map_err(|source| StoreError::Open {
        path: fresh_path.clone(),
        source,
    })?;
    migrate::migrate(&mut fresh, &fresh_path)?;
    let mut tables = Vec::new();
    let tx = fresh
        .transaction()
        .map_err(|e| sql_error(&fresh_path, "start a transaction", e))?;
    for (table, columns) in TABLES {
        // A file from before a table or column was added copies what it has.
        let Some(columns) = columns_in(&old, table, columns) else {
            continue;
        };
        let json = json_column(table);
        let (copied, lost) = copy_table(&old, &tx, table, &columns, json, &fresh_path)?;
        tables.push((*table, copied, lost));
    }
    tx.commit()
        .map_err(|e| sql_error(&fresh_path, "commit a transaction", e))?;
    drop(fresh);
    drop(old);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let kept_as = sibling(path, &format!(".damaged-{stamp}"));
    let moved = |from: &Path, to: &Path| {
        std::fs::rename(from, to).map_err(|source| StoreError::Create {
            path: to.to_path_buf(),
            source,
        })
    };
    for suffix in ["-wal", "-shm"] {
        let companion = sibling(path, suffix);
        if companion.exists() {
            moved(&companion, &sibling(&kept_as, suffix))?;
        }
    }
    moved(path, &kept_as)?;
    moved(&fresh_path, path)?;
    // The fresh database must open as any other (this also runs its quick check).
    drop(_lock);
    Store::open(path)?;
    Ok(RebuildReport { tables, kept_as })
}

/// The ones of `columns` that `table` has in `conn` (in their order); none when the
/// table is not there. A table whose schema cannot be read keeps all of them (its
/// copy then counts what is lost).
fn columns_in(conn: &Connection, table: &str, columns: &str) -> Option<String> {
    let has: Vec<String> = match conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
    {
        Ok(has) => has,
        Err(_) => return Some(columns.to_string()),
    };
    if has.is_empty() {
        return None;
    }
    let kept: Vec<&str> = columns
        .split(", ")
        .filter(|c| has.iter().any(|h| h == c))
        .collect();
    Some(kept.join(", "))
}

/// The column of `table` that holds JSON: garbage inside a page (which SQLite does
/// not checksum) shows there, and such a row is dropped rather than copied.
fn json_column(table: &str) -> Option<usize> {
    match table {
        "turns" => Some(1),
        "transcripts" | "interactions" => Some(3),
        "results" => Some(4),
        _ => None,
    }
}

/// The column of `table` stored packed (from schema version 6): a TEXT value copied
/// from an older file is packed on the way.
fn packed_column(table: &str) -> Option<usize> {
    match table {
        "turns" => Some(1),
        "interactions" => Some(3),
        "results" => Some(4),
        _ => None,
    }
}

/// The column of `table` that names turns stored apart.
fn turns_ref(table: &str) -> Option<usize> {
    match table {
        "interactions" => Some(5),
        "results" => Some(7),
        _ => None,
    }
}

/// Fails when a JSON column does not hold JSON (as text, or packed).
fn check_json(value: &rusqlite::types::Value, path: &Path) -> Result<(), StoreError> {
    use rusqlite::types::{Value, ValueRef};
    let text = match value {
        Value::Text(t) => std::borrow::Cow::Borrowed(t.as_str()),
        Value::Blob(b) => {
            std::borrow::Cow::Owned(super::packed::unpack(ValueRef::Blob(b), path, "row")?)
        }
        _ => return Ok(()),
    };
    serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|source| StoreError::Corrupt {
        path: path.to_path_buf(),
        what: "row",
        source,
    })?;
    Ok(())
}

/// Copies the readable rows of `table`, row by row over the rowid range, skipping
/// rows on bad pages and rows whose JSON column does not parse.
fn copy_table(
    old: &Connection,
    new: &Connection,
    table: &str,
    columns: &str,
    json: Option<usize>,
    new_path: &Path,
) -> Result<(u64, u64), StoreError> {
    let n = columns.split(',').count();
    let marks = vec!["?"; n].join(", ");
    let insert = format!("INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})");
    let mut insert = new
        .prepare(&insert)
        .map_err(|e| sql_error(new_path, "prepare the copy", e))?;
    let mut put = |row: &rusqlite::Row<'_>| -> Result<(), StoreError> {
        let values: Vec<rusqlite::types::Value> = (0..n)
            .map(|i| row.get(i))
            .collect::<Result<_, _>>()
            .map_err(|e| sql_error(new_path, "read a row", e))?;
        let mut values = values;
        // Turns stored apart whose row was lost: the row cannot be read whole.
        if let Some(rusqlite::types::Value::Blob(hash)) =
            turns_ref(table).and_then(|i| values.get(i))
        {
            let found: Option<i64> = new
                .query_row("SELECT 1 FROM turns WHERE hash = ?1", [hash], |r| r.get(0))
                .optional()
                .map_err(|e| sql_error(new_path, "look up turns", e))?;
            if found.is_none() {
                return Err(StoreError::Unpack {
                    path: new_path.to_path_buf(),
                    what: "row",
                    detail: "its turns were lost".into(),
                });
            }
        }
        if let Some(i) = json {
            check_json(&values[i], new_path)?;
            if packed_column(table) == Some(i) {
                let value = std::mem::replace(&mut values[i], rusqlite::types::Value::Null);
                values[i] = super::packed::repack(value, new_path, "row")?;
            }
        }
        insert
            .execute(rusqlite::params_from_iter(values))
            .map_err(|e| sql_error(new_path, "copy a row", e))?;
        Ok(())
    };
    let max_rowid: Option<i64> =
        match old.query_row(&format!("SELECT max(rowid) FROM {table}"), [], |r| r.get(0)) {
            Ok(max) => max,
            // The table's own pages are gone: nothing of it can be read.
            Err(_) => return Ok((0, TABLE_UNREADABLE)),
        };
    let Some(max_rowid) = max_rowid else {
        return Ok((0, 0));
    };
    let mut one = old
        .prepare(&format!("SELECT {columns} FROM {table} WHERE rowid = ?1"))
        .map_err(|e| sql_error(new_path, "read the damaged database", e))?;
    let (mut copied, mut lost) = (0, 0);
    for rowid in 1..=max_rowid {
        let mut rows = match one.query([rowid]) {
            Ok(rows) => rows,
            Err(_) => {
                lost += 1;
                continue;
            }
        };
        match rows.next() {
            Ok(Some(row)) => match put(row) {
                Ok(()) => copied += 1,
                Err(_) => lost += 1,
            },
            Ok(None) => {}
            Err(_) => lost += 1,
        }
    }
    Ok((copied, lost))
}

/// Opens the database to read from, however damaged (no quick check).
fn open_source(path: &Path) -> Result<Connection, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Missing {
            path: path.to_path_buf(),
        });
    }
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| {
        if is_damage(&source) {
            StoreError::Damaged {
                path: path.to_path_buf(),
                detail: source.to_string(),
            }
        } else {
            StoreError::Open {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_with_companions(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(sibling(path, suffix));
    }
}
