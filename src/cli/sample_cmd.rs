//! `callqa sample`: prints the QA sample of the inputs as CSV (the `sample.csv`
//! columns) without scanning or recording anything. With `--db`, selections an
//! earlier `scan --sample` recorded there are kept, as the next scan would keep them.

use super::args::SampleArgs;
use super::{CliError, Outcome};
use crate::batch::{sample_items, CallOptions};
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
    let rate = sample::check_rate(args.rate).map_err(|e| CliError::Usage(e.to_string()))?;
    let calls = CallOptions {
        default_layout: Default::default(),
        manifests: args.manifest,
        asr_input: Default::default(),
    };
    let (items, problems) = sample_items(&args.inputs, &calls);
    for p in &problems {
        reporter.input_error(&p.source, &p.to_string());
    }
    let selections = match &args.db {
        Some(db) => {
            let store = Store::open_read_only(db)?;
            sample::preview(&store, &items, rate, args.seed)
        }
        None => sample::select(&items, rate, args.seed, &HashSet::new()),
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
