//! Why the state store could not do its job, always naming the database (or input)
//! and saying what to do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open state database {path}: {source} (check the --db path, that its directory exists and is writable)")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path} is in use by {holder}; wait for that run to finish or use --db to pick another database")]
    InUse { path: PathBuf, holder: String },
    #[error("database {path} has schema version {found}, newer than this callqa understands ({known}); upgrade callqa or use --db to pick another database")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("no state database at {path}: run `callqa scan` with this --out (or --db) first, or give the right --db")]
    Missing { path: PathBuf },
    #[error("database {path} has schema version {found}, older than this callqa's ({known}); run a writing command (callqa scan or rescore) on it once to migrate it")]
    Outdated {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot migrate database {path} to schema version {version}: {source} (the database was left unchanged; check free disk space, or move it away to start afresh)")]
    Migrate {
        path: PathBuf,
        version: i64,
        source: rusqlite::Error,
    },
    #[error("database {path}: cannot {what}: {source} (check free disk space; `callqa db check --db {path}` tells whether the file is damaged)")]
    Sql {
        path: PathBuf,
        what: &'static str,
        source: rusqlite::Error,
    },
    #[error("database {path} holds an unreadable {what}: {source} (run `callqa db rebuild --db {path}`: it keeps what is readable, transcripts included)")]
    Corrupt {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    /// SQLite found damaged pages or a file that is not a database.
    #[error("database {path} is damaged: {detail}; run `callqa db rebuild --db {path}` to copy what is readable (transcripts included) into a fresh database (the damaged file is kept beside it)")]
    Damaged { path: PathBuf, detail: String },
    #[error("cannot create state database {path}: {source} (check the --db path, that its directory exists and is writable)")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database {path} holds an unreadable {what}: {detail} (run `callqa db rebuild --db {path}`: it keeps what is readable, transcripts included)")]
    Unpack {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("cannot encode {what} for the database: {source}")]
    Encode {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("cannot read input {path}: {source}")]
    Input {
        path: PathBuf,
        source: std::io::Error,
    },
}
