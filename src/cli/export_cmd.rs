//! `callqa export`: results recorded in the state database since a time, streamed
//! to stdout as JSON Lines or CSV ([`crate::output::export`]). Reads only: works while a
//! scan writes to the same database.

use super::args::ExportArgs;
use super::{CliError, Outcome};
use crate::output::export::{self, ExportError, ExportFormat};
use crate::reporter::Reporter;
use crate::store::Store;
use std::io::Write;

pub fn run(
    args: ExportArgs,
    stdout: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<Outcome, CliError> {
    let usage = |e: ExportError| CliError::Usage(e.to_string());
    let format: ExportFormat = args.format.parse().map_err(usage)?;
    let since = args
        .since
        .as_deref()
        .map(export::parse_since)
        .transpose()
        .map_err(usage)?;
    let store = Store::open_read_only(&args.db)?;
    let n = export::export(&store, since, format, stdout).map_err(|e| match e {
        ExportError::Store(e) => CliError::from(e),
        e => CliError::Other(e.to_string()),
    })?;
    reporter.status(&format!(
        "exported {n} result(s) from {}",
        args.db.display()
    ));
    Ok(Outcome::Done)
}
