//! `results.jsonl`: one JSON object per line, streamed to a temporary file as results
//! arrive and moved into place when the run finishes. Lines are written in the order
//! they are given; the caller decides that order (input order), never the threads.

use super::atomic::AtomicFile;
use super::OutputError;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// A JSON Lines file being written.
#[derive(Debug)]
pub struct JsonlWriter {
    file: AtomicFile,
    lines: usize,
}

impl JsonlWriter {
    pub fn create(path: &Path) -> Result<JsonlWriter, OutputError> {
        Ok(JsonlWriter {
            file: AtomicFile::create(path)?,
            lines: 0,
        })
    }

    /// Appends one value as one line.
    pub fn write<T: Serialize>(&mut self, value: &T) -> Result<(), OutputError> {
        let w = self.file.writer();
        if let Err(source) = serde_json::to_writer(&mut *w, value) {
            return Err(match source.io_error_kind() {
                Some(_) => self.file.error(std::io::Error::other(source)),
                None => OutputError::Json {
                    path: self.file.path().to_path_buf(),
                    source,
                },
            });
        }
        w.write_all(b"\n").map_err(|e| self.file.error(e))?;
        self.lines += 1;
        Ok(())
    }

    /// Appends `line`, the JSON of one value (no newline), as one line.
    pub fn write_line(&mut self, line: &str) -> Result<(), OutputError> {
        let w = self.file.writer();
        w.write_all(line.as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| self.file.error(e))?;
        self.lines += 1;
        Ok(())
    }

    /// Lines written so far.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// Moves the complete file into place.
    pub fn commit(self) -> Result<(), OutputError> {
        self.file.commit()
    }
}
