//! Call recordings in, 16 kHz float channels and speech measurements out.
//!
//! `riff` checks WAV headers, `wav` reads the samples (hound for PCM and float,
//! `g711` for mu-law and A-law), `resample` brings them to 16 kHz, `vad` finds
//! speech per channel and `metrics` turns speech regions into the call metrics
//! rules can test (`longest-silence-seconds`, `interruptions`, ...).

pub mod error;
pub mod g711;
pub mod metrics;
pub mod pack;
pub mod resample;
pub mod riff;
pub mod vad;
pub mod wav;

pub use error::{AudioError, AudioProblem};

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::Path;

/// A decoded recording, resampled to 16 kHz.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    /// Sample rate of the file before resampling.
    pub source_rate: u32,
    /// How the file stored its samples: "pcm8", "pcm16", "pcm24", "pcm32",
    /// "float32", "mulaw" or "alaw".
    pub source_format: String,
    /// One buffer per channel, 16 kHz, 16-bit (see [`sample_to_f32`]): half the
    /// memory of f32 for an hour-long call, and no loss that matters to speech
    /// recognition (the telephony formats carry at most 14 bits).
    pub channels: Vec<Vec<i16>>,
    /// Length of the recording in seconds.
    pub duration_s: f64,
}

/// A stored sample as the recognizer's f32 in [-1, 1).
#[inline]
pub fn sample_to_f32(s: i16) -> f32 {
    f32::from(s) / 32768.0
}

/// A sample in [-1, 1] (clamped) as stored.
#[inline]
pub fn sample_from_f32(x: f32) -> i16 {
    (x.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

/// Decodes a WAV file. The error names the file and says what is wrong with it.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, AudioError> {
    let fail = |problem| AudioError::new(path.display(), problem);
    let file = File::open(path).map_err(|e| fail(e.into()))?;
    wav::decode(BufReader::with_capacity(64 * 1024, file)).map_err(fail)
}

/// Decodes WAV bytes held in memory (the error's file is `<bytes>`).
pub fn decode_bytes(bytes: &[u8]) -> Result<DecodedAudio, AudioError> {
    wav::decode(Cursor::new(bytes)).map_err(|p| AudioError::new("<bytes>", p))
}
