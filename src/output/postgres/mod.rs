//! `callqa export --postgres URL`: upserts the results recorded in the state store
//! (one row each, and one row per violation) and the workbench's verdicts and
//! appeals into tables of a PostgreSQL schema, for BI teams that load into a
//! database rather than read files. The tables are documented in docs/postgres.md
//! and made by versioned migrations ([`schema`]).
//!
//! Everything happens in one transaction: a failed export leaves the database as it
//! was. Rerunning is idempotent: the results' keys and line hashes travel first,
//! and only results whose line (by hash) or recorded time differ from the row
//! already there are sent and written, with their violations replaced, so a rescan of
//! changed input updates a result and removes violations it no longer has. Results
//! are keyed as in the store, by (interaction, source, ruleset): a rescore with a new
//! ruleset adds rows beside the old ones, and the `current_results` view picks the
//! latest per interaction. `--since T` sends only results recorded at or after `T`;
//! verdicts and appeals, which people write and are few, are always sent whole.
//! Nothing is deleted but the violations of a rewritten result: the store deletes
//! no results, verdicts or appeals either.

mod error;
mod results;
mod reviews;
pub mod schema;

pub use error::{describe, PgError};

use crate::store::Store;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Where to export: a checked connection configuration and schema name.
#[derive(Debug, Clone)]
pub struct PgTarget {
    config: postgres::Config,
    schema: String,
}

/// The schema the tables go into unless told otherwise.
pub const DEFAULT_SCHEMA: &str = "callqa";

impl PgTarget {
    /// Checks a connection URL (`postgresql://USER:PASSWORD@HOST:PORT/DB`, or the
    /// `key=value` form) and a schema name; the error is a sentence for the user that
    /// does not repeat the URL.
    pub fn parse(url: &str, schema: &str) -> Result<PgTarget, String> {
        let mut config: postgres::Config = url.parse().map_err(|e| {
            format!(
                "--postgres: not a PostgreSQL connection URL ({}); write it like postgresql://USER:PASSWORD@HOST:5432/DB",
                describe(&e)
            )
        })?;
        if !schema::valid_schema_name(schema) {
            return Err(format!(
                "--pg-schema {schema:?}: use lowercase letters, digits and _ (not starting with a digit or pg_, at most 63 bytes)"
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("callqa export");
        }
        Ok(PgTarget {
            config,
            schema: schema.to_string(),
        })
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// `user@host:port/db`, without the password, for messages.
    pub fn shown(&self) -> String {
        let c = &self.config;
        let hosts: Vec<String> = c
            .get_hosts()
            .iter()
            .map(|h| match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                postgres::config::Host::Unix(dir) => dir.display().to_string(),
            })
            .collect();
        let port = c
            .get_ports()
            .first()
            .map_or_else(String::new, |p| format!(":{p}"));
        format!(
            "{}@{}{port}/{}",
            c.get_user().unwrap_or(""),
            hosts.join(","),
            c.get_dbname().unwrap_or("")
        )
    }

    /// Connects (without TLS: use a Unix socket or a trusted network).
    pub fn connect(&self) -> Result<postgres::Client, PgError> {
        self.config
            .connect(postgres::NoTls)
            .map_err(|source| PgError::Connect {
                target: self.shown(),
                source,
            })
    }

    fn sql(&self, what: &'static str) -> impl Fn(postgres::Error) -> PgError + '_ {
        move |source| PgError::Sql {
            target: self.shown(),
            schema: self.schema.clone(),
            what,
            source,
        }
    }
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgSummary {
    /// Results read from the store (recorded at or after `since`).
    pub results_sent: u64,
    /// Of those, the ones new to PostgreSQL or changed there.
    pub results_written: u64,
    /// Violation rows written for them.
    pub violations_written: u64,
    /// Verdicts and appeals now in PostgreSQL (all of the store's).
    pub verdicts: u64,
    pub appeals: u64,
    /// The schema version found (0: new) and the migrations applied.
    pub schema_found: i32,
    pub migrations_applied: Vec<i32>,
}

/// Exports to `target` every result recorded at or after `since` (all when `None`),
/// with its violations, and every verdict and appeal, in one transaction.
pub fn export(
    store: &Store,
    since: Option<DateTime<Utc>>,
    target: &PgTarget,
) -> Result<PgSummary, PgError> {
    let mut client = target.connect()?;
    let mut tx = client
        .transaction()
        .map_err(target.sql("begin a transaction"))?;
    let migrated = migrate_in(&mut tx, target, schema::latest())?;
    let r = results::sync(&mut tx, store, since, target)?;
    let (verdicts, appeals) = reviews::sync(&mut tx, store, target)?;
    tx.commit().map_err(target.sql("commit the export"))?;
    Ok(PgSummary {
        results_sent: r.sent,
        results_written: r.written,
        violations_written: r.violations,
        verdicts,
        appeals,
        schema_found: migrated.found,
        migrations_applied: migrated.applied,
    })
}

/// Brings the target schema to version `version` and nothing else (an older
/// callqa's schema, for upgrade tests and for operators who migrate ahead of time).
pub fn migrate(target: &PgTarget, version: i32) -> Result<schema::Migrated, PgError> {
    let mut client = target.connect()?;
    let mut tx = client
        .transaction()
        .map_err(target.sql("begin a transaction"))?;
    let migrated = migrate_in(&mut tx, target, version)?;
    tx.commit().map_err(target.sql("commit the migration"))?;
    Ok(migrated)
}

fn migrate_in(
    tx: &mut postgres::Transaction<'_>,
    target: &PgTarget,
    version: i32,
) -> Result<schema::Migrated, PgError> {
    schema::migrate(tx, &target.schema, version).map_err(|e| match e {
        schema::MigrateError::Sql(what, source) => target.sql(what)(source),
        schema::MigrateError::Newer { found } => PgError::NewerSchema {
            schema: target.schema.clone(),
            found,
            known: schema::latest(),
        },
    })
}
