//! `callqa model fetch|convert|info`: thin wrappers over [`crate::model`].

use super::args::{ModelCommand, QuantizeArg};
use super::{CliError, Outcome};
use crate::model::{self, Quantization};
use crate::reporter::Reporter;
use std::io::Write;

fn quantization(q: QuantizeArg) -> Quantization {
    match q {
        QuantizeArg::F16 => Quantization::F16,
        QuantizeArg::Q8_0 => Quantization::Q8_0,
        QuantizeArg::Bf16 => Quantization::Bf16,
    }
}

pub fn run(
    cmd: ModelCommand,
    stdout: &mut dyn Write,
    reporter: &dyn Reporter,
) -> Result<Outcome, CliError> {
    match cmd {
        ModelCommand::Fetch { dir, quantize } => {
            let path =
                model::fetch(&dir, quantization(quantize), reporter).map_err(CliError::Model)?;
            reporter.status(&format!("model ready: {}", path.display()));
        }
        ModelCommand::Convert {
            ct2_dir,
            out,
            quantize,
        } => {
            let summary = model::convert_dir(&ct2_dir, &out, quantization(quantize), reporter)
                .map_err(CliError::Model)?;
            reporter.status(&format!("wrote {}: {summary}", out.display()));
        }
        ModelCommand::Info { path } => {
            let info = model::info(&path).map_err(CliError::Model)?;
            writeln!(stdout, "{info}").map_err(CliError::Stdout)?;
        }
    }
    Ok(Outcome::Done)
}
