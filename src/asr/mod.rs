//! Speech recognition sits behind the [`Transcriber`] trait so the pipeline can be
//! tested with a fake recognizer and run in production with whisper.cpp.

pub mod core_share;
pub mod hallucination;
pub mod parallel;
pub mod recovery;

pub use core_share::QueuedWindows;

#[cfg(feature = "whisper")]
pub mod whisper;

/// A piece of recognized text with its time, as the recognizer reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizedToken {
    pub text: String,
    /// Seconds from the start of the audio handed to [`Transcriber::transcribe`].
    pub start_s: f64,
    pub end_s: f64,
}

/// One recognized segment (roughly a sentence).
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizedSegment {
    pub start_s: f64,
    pub end_s: f64,
    /// The segment text; equals the concatenation of `tokens`' text when tokens are given.
    pub text: String,
    pub tokens: Vec<RecognizedToken>,
    /// The recognizer's probability that this segment is not speech at all.
    pub no_speech_prob: f32,
}

impl RecognizedSegment {
    /// The segment with its own and its tokens' times moved `offset_s` later
    /// (from a window's axis to the one it was cut from).
    pub fn shifted(mut self, offset_s: f64) -> Self {
        self.start_s += offset_s;
        self.end_s += offset_s;
        for t in &mut self.tokens {
            t.start_s += offset_s;
            t.end_s += offset_s;
        }
        self
    }
}

/// Turns 16 kHz mono f32 samples into text segments.
pub trait Transcriber: Send + Sync {
    fn transcribe(&self, samples_16k: &[f32]) -> Result<Vec<RecognizedSegment>, AsrError>;
    /// Identifies the model and settings, for caching transcripts.
    fn fingerprint(&self) -> String;
    /// How many windows of one call may be transcribed at the same time (see
    /// [`parallel::transcribe_windows`]). Default: one after the other.
    fn parallel_windows(&self) -> usize {
        1
    }
    /// Marks `windows` windows as queued for transcription, so the recognizer can
    /// share the cores among all windows waiting in the batch; the caller reports
    /// each finished window on the guard. Default: nothing is tracked.
    fn queue_windows(&self, windows: usize) -> QueuedWindows<'_> {
        let _ = windows;
        QueuedWindows::untracked()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AsrError {
    #[error("cannot load model {path}: {reason}; run `callqa model fetch` or pass --model")]
    ModelLoad { path: String, reason: String },
    #[error("speech recognition failed: {0}")]
    Recognition(String),
}
