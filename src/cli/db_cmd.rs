//! `callqa db check` and `callqa db rebuild`: find damage in a state database and
//! salvage it without losing the transcript cache.

use super::args::DbCommand;
use super::{CliError, Outcome};
use crate::store::repair;
use std::io::Write;

pub fn run(cmd: DbCommand, stdout: &mut dyn Write) -> Result<Outcome, CliError> {
    let io = CliError::Stdout;
    match cmd {
        DbCommand::Check { db } => {
            let db = super::config::db_or_default(db);
            let report = repair::check(&db)?;
            for (table, rows) in &report.rows {
                match rows {
                    Some(n) => writeln!(stdout, "{table}: {n} row(s)").map_err(io)?,
                    None => writeln!(stdout, "{table}: cannot be read").map_err(io)?,
                }
            }
            if report.problems.is_empty() {
                writeln!(stdout, "ok: {} is sound", db.display()).map_err(io)?;
                Ok(Outcome::Done)
            } else {
                Err(crate::store::StoreError::Damaged {
                    path: db,
                    detail: report.problems.join("; "),
                }
                .into())
            }
        }
        DbCommand::Rebuild { db } => {
            let db = super::config::db_or_default(db);
            let report = repair::rebuild(&db)?;
            for (table, copied, lost) in &report.tables {
                if *lost == repair::TABLE_UNREADABLE {
                    writeln!(stdout, "{table}: unreadable, nothing copied").map_err(io)?;
                } else {
                    writeln!(stdout, "{table}: {copied} row(s) copied, {lost} unreadable")
                        .map_err(io)?;
                }
            }
            writeln!(
                stdout,
                "ok: {} rebuilt; the damaged file is kept as {}; the next `callqa scan` scores again what was lost",
                db.display(),
                report.kept_as.display()
            )
            .map_err(io)?;
            Ok(Outcome::Done)
        }
    }
}
