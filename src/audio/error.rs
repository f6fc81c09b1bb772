//! Why a recording could not be decoded, in words a user can act on. Every
//! problem names the file (the [`AudioError`] wrapper) and says what to do, so a
//! batch can report it on one line and go on with the next call.

use std::fmt;

/// A recording that could not be decoded: which file, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct AudioError {
    /// The file as given (or `<bytes>` for in-memory input).
    pub file: String,
    pub problem: AudioProblem,
}

impl AudioError {
    pub fn new(file: impl fmt::Display, problem: AudioProblem) -> Self {
        AudioError {
            file: file.to_string(),
            problem,
        }
    }
}

/// The reason a recording could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioProblem {
    #[error("cannot read the file ({0}); check that it exists and is readable")]
    Io(String),
    #[error("the file is empty (0 bytes); the recorder probably failed, re-export the call")]
    EmptyFile,
    #[error("not a WAV file (no RIFF/WAVE header); convert it to WAV, e.g. `ffmpeg -i in -ar 16000 out.wav`")]
    NotWav,
    #[error(
        "unsupported WAV encoding {name} (format tag {tag:#06x}); convert it to PCM or G.711 WAV"
    )]
    UnsupportedEncoding { name: String, tag: u16 },
    #[error("malformed WAV header: {0}; the file is damaged, re-export it")]
    Malformed(String),
    #[error("truncated WAV: the header promises {declared} bytes of audio but only {present} are present; the file was cut off, re-export it")]
    Truncated { declared: u64, present: u64 },
    #[error("the WAV file holds no audio samples (empty data chunk)")]
    NoSamples,
    #[error("resampling to 16 kHz failed: {0}")]
    Resample(String),
}

impl From<std::io::Error> for AudioProblem {
    fn from(e: std::io::Error) -> Self {
        AudioProblem::Io(e.to_string())
    }
}
