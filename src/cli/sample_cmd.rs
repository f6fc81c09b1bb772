//! `callqa sample`: prints the QA sample of the inputs as CSV (the `sample.csv`
//! columns) without scanning or recording anything. With `--db`, selections an
//! earlier `scan --sample` recorded there are kept, as the next scan would keep them.

use super::args::SampleArgs;
use super::config::SampleConfig;
use super::{CliError, Outcome};
use crate::batch::sample_items;
use crate::reporter::Reporter;
use crate::sample::{self, csv as sample_csv};
use crate::store::Store;
use std::collections::HashSet;
use std::io::Write;

pub fn run(
    args: SampleArgs,
    stdout: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<Outcome, CliError> {
    let config = SampleConfig::from_args(args)?;
    let (items, problems) = sample_items(&config.inputs, &config.calls);
    for p in &problems {
        reporter.input_error(&p.source, &p.to_string());
    }
    let (rate, seed) = (config.rate, config.seed);
    let selections = match &config.db {
        Some(db) => {
            let store = Store::open_read_only(db)?;
            sample::preview(&store, &items, rate, seed)
        }
        None => sample::select(&items, rate, seed, &HashSet::new()),
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    match sample_csv::write_rows(&mut *stdout, &selections) {
        Err(e) if super::is_broken_pipe(&e) => return Ok(Outcome::Done),
        Err(source) => {
            return Err(CliError::Csv {
                path: "stdout".into(),
                source,
            })
        }
        Ok(()) => {}
    }
    Ok(if problems.is_empty() {
        Outcome::Done
    } else {
        Outcome::SomeInputsFailed
    })
}
