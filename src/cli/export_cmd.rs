//! `callqa export`: results recorded in the state database since a time (or with
//! `--verdicts`, the workbench's verdicts and appeals), streamed to stdout as JSON Lines or CSV ([`crate::output::export`]), or upserted into
//! PostgreSQL with the workbench's verdicts and appeals
//! ([`crate::output::postgres`]). Reads the store only: works while a scan writes to
//! the same database.

use super::args::ExportArgs;
use super::config::ExportConfig;
use super::{CliError, Outcome};
use crate::output::export::{self, ExportError};
use crate::output::postgres::{self, PgError, PgTarget};
use crate::reporter::Reporter;
use crate::store::Store;
use std::io::Write;
use std::path::Path;

pub fn run(
    args: ExportArgs,
    stdout: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<Outcome, CliError> {
    let ExportConfig {
        since,
        format,
        db,
        verdicts,
        postgres,
    } = ExportConfig::from_args(args)?;
    let store = Store::open_read_only(&db)?;
    if let Some(target) = postgres {
        return to_postgres(&store, &db, since, &target, reporter);
    }
    let written = if verdicts {
        export::verdicts(&store, since, format, stdout)
    } else {
        export::export(&store, since, format, stdout)
    };
    let n = match written {
        Ok(n) => n,
        // The reader went away (`callqa export | head`): what it wanted was written.
        Err(e) if super::is_broken_pipe(&e) => return Ok(Outcome::Done),
        Err(ExportError::Store(e)) => return Err(CliError::from(e)),
        Err(e) => return Err(e.into()),
    };
    let what = if verdicts {
        "verdict(s) and appeal(s)"
    } else {
        "result(s)"
    };
    reporter.status(&format!("exported {n} {what} from {}", db.display()));
    Ok(Outcome::Done)
}

fn to_postgres(
    store: &Store,
    db: &Path,
    since: Option<chrono::DateTime<chrono::FixedOffset>>,
    target: &PgTarget,
    reporter: &dyn Reporter,
) -> Result<Outcome, CliError> {
    let since = since.map(|t| t.with_timezone(&chrono::Utc));
    let s = match postgres::export(store, since, target) {
        Ok(s) => s,
        Err(PgError::Store(e)) => return Err(CliError::from(e)),
        Err(e) => return Err(e.into()),
    };
    if !s.migrations_applied.is_empty() {
        reporter.status(&format!(
            "PostgreSQL schema {} upgraded from version {} to {}",
            target.schema(),
            s.schema_found,
            s.migrations_applied
                .last()
                .copied()
                .unwrap_or(s.schema_found)
        ));
    }
    reporter.status(&format!(
        "exported {} result(s) from {} to PostgreSQL {} schema {}: {} new or changed ({} violation row(s)), {} verdict(s), {} appeal(s)",
        s.results_sent,
        db.display(),
        target.shown(),
        target.schema(),
        s.results_written,
        s.violations_written,
        s.verdicts,
        s.appeals
    ));
    Ok(Outcome::Done)
}
