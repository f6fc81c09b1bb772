//! Why an output could not be written, always naming the file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot create output directory {path}: {source} (check the --out path and its permissions)")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source} (check free disk space and permissions of the output directory)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write {path}: {source} (check free disk space and permissions of the output directory)")]
    Csv { path: PathBuf, source: ::csv::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: ::csv::Error },
    #[error(
        "cannot write {path}: the outputs were already finished; start a new sink for another run"
    )]
    Finished { path: PathBuf },
}
