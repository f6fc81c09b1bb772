//! `callqa export`: results recorded in the state database since a time (or with
//! `--verdicts`, the workbench's verdicts and appeals), streamed
//! to stdout as JSON Lines or CSV ([`crate::output::export`]). Reads only: works while a
//! scan writes to the same database.

use super::args::ExportArgs;
use super::config::ExportConfig;
use super::{CliError, Outcome};
use crate::output::export::{self, ExportError};
use crate::reporter::Reporter;
use crate::store::Store;
use std::io::Write;

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
    } = ExportConfig::from_args(args)?;
    let store = Store::open_read_only(&db)?;
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
