//! The state store: a SQLite database (`OUT/callqa.db` by default, `--db PATH`) that
//! makes nightly runs over a growing archive cheap and safe to repeat. It remembers
//! each input by content hash, caches transcripts so a recording is transcribed once
//! per model and settings, keeps every scanned interaction so a new ruleset can be
//! applied without transcribing again (`callqa rescore`), keeps results keyed by
//! ruleset for `callqa export`, and remembers sample selections so they are topped up,
//! never dropped.
//!
//! Crash safety: every write is one transaction in WAL mode, and every write is an
//! idempotent upsert keyed by what it describes, so a run killed at any moment and
//! run again ends in the same state as an uninterrupted run. One process writes at a
//! time ([`lock`]); readers open with [`Store::open_read_only`] and need no lock.

mod error;
mod inputs;
mod interactions;
pub mod lock;
pub mod migrate;
mod packed;
mod problems;
pub mod repair;
mod results;
pub mod reviewed;
pub mod reviews;
pub mod samples;
mod scored;
mod transcripts;

pub use error::StoreError;
pub use inputs::{hash_file, InputRecord, InputState};
pub use packed::{Packed, PackedTurns, Split};
pub use problems::StoredProblem;
pub use results::{PackedLine, ResultKey, StoredResult, UnpackedLine};
pub use samples::SampleMember;
pub use transcripts::{CachedTranscript, TranscriptKey};

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file name inside an output directory.
pub const DEFAULT_DB: &str = "callqa.db";

/// How long SQLite waits for a lock held by a reader or a checkpoint.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long to wait for another writer to finish before giving up with
    /// [`StoreError::InUse`]. Zero: fail at once.
    pub wait_for_lock: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            wait_for_lock: Duration::ZERO,
        }
    }
}

/// An open state database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    _lock: Option<lock::ProcessLock>,
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `path` for writing,
    /// failing at once with [`StoreError::InUse`] when another process writes to it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_with(path, &StoreOptions::default())
    }

    /// [`Store::open`] with options.
    pub fn open_with(path: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        create_private(path)?;
        let mut conn = Self::connect(path, flags)?;
        let holder_conn = &conn;
        let lock = lock::acquire(path, options.wait_for_lock, || read_holder(holder_conn))?;
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        quick_check(&conn, path)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        // NORMAL in WAL mode: a commit survives a process crash; only a power cut
        // may lose the last transactions, which a rerun redoes.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        migrate::migrate(&mut conn, path)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            _lock: Some(lock),
        };
        store.write_holder()?;
        Ok(store)
    }

    /// Opens an existing database for the review workbench: reads and writes its own
    /// tables (verdicts, appeals) beside a run, so it takes no process lock (SQLite
    /// serializes the writes); migrates it when needed.
    pub fn open_shared(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Self::connect_existing(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        migrate::migrate(&mut conn, path)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            _lock: None,
        })
    }

    /// Opens an existing database for reading only (export, listing); takes no lock
    /// and works while a run writes to it.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let conn = Self::connect_existing(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let sql = |source| StoreError::Sql {
            path: path.to_path_buf(),
            what: "read the schema version",
            source,
        };
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        let (path, known) = (path.to_path_buf(), migrate::latest());
        if found > known {
            return Err(StoreError::TooNew { path, found, known });
        }
        if found < known {
            return Err(StoreError::Outdated { path, found, known });
        }
        Ok(Store {
            conn,
            path,
            _lock: None,
        })
    }

    /// Connects to a database that must already exist, and checks it for damage.
    fn connect_existing(path: &Path, mode: OpenFlags) -> Result<Connection, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let conn = Self::connect(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        quick_check(&conn, path)?;
        Ok(conn)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        Ok(conn)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(self.sql("read the schema version"))
    }

    /// Runs `f` in one transaction: everything it writes is committed together, or
    /// nothing when it fails (or the process dies). Batching a chunk of inputs this
    /// way saves a commit per row; each write is still idempotent on its own.
    pub fn transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.sql("start a transaction"))?;
        match f(self) {
            Ok(value) => {
                if let Err(e) = self.conn.execute_batch("COMMIT") {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    return Err(self.sql("commit a transaction")(e).into());
                }
                Ok(value)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn write_holder(&self) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO lock_holder (id, pid, host, since) VALUES (1, ?1, ?2, ?3)",
                rusqlite::params![
                    std::process::id(),
                    lock::host_name(),
                    timestamp(chrono::Utc::now())
                ],
            )
            .map(|_| ())
            .map_err(self.sql("record the lock holder"))
    }

    pub(crate) fn sql(&self, what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| sql_error(&self.path, what, source)
    }

    pub(crate) fn corrupt(
        &self,
        what: &'static str,
    ) -> impl Fn(serde_json::Error) -> StoreError + '_ {
        move |source| StoreError::Corrupt {
            path: self.path.clone(),
            what,
            source,
        }
    }
}

/// A failed statement: damage when SQLite says the file is damaged, otherwise the
/// statement that failed.
pub(crate) fn sql_error(path: &Path, what: &'static str, source: rusqlite::Error) -> StoreError {
    if is_damage(&source) {
        StoreError::Damaged {
            path: path.to_path_buf(),
            detail: source.to_string(),
        }
    } else {
        StoreError::Sql {
            path: path.to_path_buf(),
            what,
            source,
        }
    }
}

/// Whether SQLite reports a damaged database (bad pages, or not a database at all).
pub(crate) fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// Checks the database's pages before a run trusts it (`PRAGMA quick_check`: every
/// page is read, indexes are not cross-checked; seconds for a gigabyte).
fn quick_check(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let damaged = |detail: String| StoreError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(|e| sql_error(path, "check the database", e))?;
    let found: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| sql_error(path, "check the database", e))?;
    if found.len() == 1 && found[0] == "ok" {
        Ok(())
    } else {
        Err(damaged(found.join("; ")))
    }
}

/// Creates a missing database file readable by its owner only (0600): it holds
/// transcripts. SQLite gives the -wal and -shm files the database file's mode. An
/// existing database readable by others is made private.
pub(crate) fn create_private(path: &Path) -> Result<(), StoreError> {
    let fail = |source: std::io::Error| StoreError::Create {
        path: path.to_path_buf(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::metadata(path) {
            Ok(m) if m.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(fail)?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map(drop)
                    .or_else(|e| match e.kind() {
                        std::io::ErrorKind::AlreadyExists => Ok(()),
                        _ => Err(e),
                    })
                    .map_err(fail)?;
            }
            Err(e) => return Err(fail(e)),
        }
    }
    #[cfg(not(unix))]
    let _ = fail;
    Ok(())
}

/// "process PID on HOST since TIME", from the lock_holder row, when there is one.
fn read_holder(conn: &Connection) -> Option<String> {
    conn.query_row(
        "SELECT pid, host, since FROM lock_holder WHERE id = 1",
        [],
        |r| {
            Ok(format!(
                "process {} on {} since {}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?
            ))
        },
    )
    .ok()
}

/// The stored form of a time: RFC 3339 in UTC with microseconds, so that text order
/// is time order.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}
