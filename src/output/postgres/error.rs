//! What can go wrong exporting to PostgreSQL, each saying what to do about it. The
//! connection URL is never shown (it may hold a password): only its user, host,
//! port and database.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("cannot connect to PostgreSQL at {target}: {} (is the server running, and are the URL's host, port, user, password and database right?)", describe(.source))]
    Connect {
        target: String,
        source: postgres::Error,
    },
    #[error("PostgreSQL at {target}: cannot {what}: {} (does the user have CREATE on the database and rights on schema {schema:?}?)", describe(.source))]
    Sql {
        target: String,
        schema: String,
        what: &'static str,
        source: postgres::Error,
    },
    #[error("PostgreSQL schema {schema:?} is at version {found}, newer than this callqa knows ({known}): export with the callqa that upgraded it, or a newer one")]
    NewerSchema {
        schema: String,
        found: i32,
        known: i32,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database {db}: a stored result is not a results line: {source} (was it written by another callqa version? rescore to rewrite it)")]
    Line {
        db: std::path::PathBuf,
        source: serde_json::Error,
    },
}

/// The error with the server's own message, which `postgres::Error`'s display
/// leaves to its source ("db error" alone says nothing).
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(detail) = db.detail() {
                s.push_str(&format!(" ({detail})"));
            }
            s
        }
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}
