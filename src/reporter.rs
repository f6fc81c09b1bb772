//! The single channel through which the library tells the user what is going on.
//! The library never prints; the binary hands it a [`Reporter`] that does.

use std::path::Path;

/// Events worth telling a user about during a run.
pub trait Reporter: Send + Sync {
    /// An input (or part of one) could not be used; the batch goes on.
    fn input_error(&self, source: &Path, reason: &str);
    /// A plain progress or status line.
    fn status(&self, message: &str);
    /// Work done so far, in `unit`s (e.g. "files", "audio minutes").
    fn progress(&self, done: f64, total: f64, unit: &str) {
        let _ = (done, total, unit);
    }
}

/// A reporter that keeps everything; for tests and for callers that want to
/// inspect events afterwards.
#[derive(Default)]
pub struct CollectingReporter {
    pub errors: std::sync::Mutex<Vec<(String, String)>>,
    pub statuses: std::sync::Mutex<Vec<String>>,
}

impl Reporter for CollectingReporter {
    fn input_error(&self, source: &Path, reason: &str) {
        self.errors
            .lock()
            .unwrap()
            .push((source.display().to_string(), reason.to_string()));
    }
    fn status(&self, message: &str) {
        self.statuses.lock().unwrap().push(message.to_string());
    }
}
