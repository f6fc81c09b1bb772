//! One writer per database. A run that writes takes an exclusive SQLite lock on a
//! companion file `<db>.lock` and holds it until the store is dropped; the operating
//! system releases it when the process dies, even by kill -9, so a crashed run never
//! leaves a stale lock behind. The holder's pid, host and start time are written to
//! the database's `lock_holder` row so that a second run can say who is in the way.
//! Readers (`callqa export`) take no lock: WAL lets them read while a run writes.

use super::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The held lock; released on drop (or process death).
#[derive(Debug)]
pub struct ProcessLock {
    _conn: Connection,
}

/// The path of the lock file of database `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

/// Takes the lock of `db`, waiting up to `wait` for another holder to finish.
/// On failure, `holder` describes who holds it (read from the database).
pub fn acquire(
    db: &Path,
    wait: Duration,
    holder: impl FnOnce() -> Option<String>,
) -> Result<ProcessLock, StoreError> {
    let path = lock_path(db);
    let open_err = |source| StoreError::Open {
        path: path.clone(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    super::create_private(&path)?;
    let conn = Connection::open_with_flags(&path, flags).map_err(open_err)?;
    conn.busy_timeout(wait).map_err(open_err)?;
    // EXCLUSIVE locking mode: the first write takes the file's exclusive lock and
    // the connection keeps it until it is closed.
    let taken = conn
        .pragma_update(None, "locking_mode", "EXCLUSIVE")
        .and_then(|_| conn.execute_batch("CREATE TABLE IF NOT EXISTS held (id INTEGER PRIMARY KEY); INSERT OR REPLACE INTO held VALUES (1);"));
    match taken {
        Ok(()) => Ok(ProcessLock { _conn: conn }),
        Err(e) if is_busy(&e) => Err(StoreError::InUse {
            path: db.to_path_buf(),
            holder: holder().unwrap_or_else(|| "another process".to_string()),
        }),
        Err(source) => Err(StoreError::Open { path, source }),
    }
}

pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// This machine's name, for the lock holder row.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown host".to_string())
}
