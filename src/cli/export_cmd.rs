//! `callqa export`: results recorded in the state database since a time, streamed
//! to stdout as JSON Lines or CSV ([`crate::output::export`]). Reads only: works while a
//! scan writes to the same database.

use super::args::{ExportArgs, FormatArg};
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
    let format = match args.format {
        FormatArg::Jsonl => ExportFormat::Jsonl,
        FormatArg::Csv => ExportFormat::Csv,
    };
    let since = args
        .since
        .as_deref()
        .map(export::parse_since)
        .transpose()
        .map_err(usage)?;
    let store = Store::open_read_only(&args.db)?;
    let n = match export::export(&store, since, format, stdout) {
        Ok(n) => n,
        // The reader went away (`callqa export | head`): what it wanted was written.
        Err(e) if super::is_broken_pipe(&e) => return Ok(Outcome::Done),
        Err(ExportError::Store(e)) => return Err(CliError::from(e)),
        Err(e) => return Err(e.into()),
    };
    reporter.status(&format!(
        "exported {n} result(s) from {}",
        args.db.display()
    ));
    Ok(Outcome::Done)
}
