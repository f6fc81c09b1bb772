//! Call recordings in, 16 kHz channels and speech measurements out.
//!
//! `riff` checks WAV headers, `wav` reads the samples (hound for PCM and float,
//! `g711` for mu-law and A-law), `resample` brings them to 16 kHz, `vad` finds
//! speech per channel, `voice` and `diarize` split the speech of a mono channel
//! between its two voices, `pack` lays the speech out for the recognizer and `windows`
//! cuts it into recognizer windows as the audio streams past, and `metrics` turns
//! speech regions into the call metrics rules can test (`longest-silence-seconds`,
//! `interruptions`, ...). A call is read as a [`CallAudio`]: a recording streamed
//! from its file, twice (once to find the speech, once to cut the windows), so no
//! call is ever held in memory whole, however long it is.

pub mod diarize;
pub mod error;
pub mod g711;
pub mod metrics;
pub mod pack;
pub mod resample;
pub mod riff;
pub mod vad;
pub mod voice;
pub mod wav;
pub mod windows;

pub use error::{AudioError, AudioProblem};

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};

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

/// A call's audio as 16 kHz 16-bit blocks, which can be played from the start
/// more than once.
pub trait CallAudio: Sync {
    fn channel_count(&self) -> usize;
    /// Length of the recording in seconds.
    fn duration_s(&self) -> f64;
    /// Plays the whole recording from the start into `sink`, a block at a time
    /// (one slice per channel, all of the same length).
    fn stream(&self, sink: &mut resample::BlockSink<'_>) -> Result<(), AudioError>;
}

/// Frames per block when a decoded recording is played from memory.
const MEMORY_BLOCK: usize = 4096;

impl CallAudio for DecodedAudio {
    fn channel_count(&self) -> usize {
        self.channels.len()
    }

    fn duration_s(&self) -> f64 {
        self.duration_s
    }

    fn stream(&self, sink: &mut resample::BlockSink<'_>) -> Result<(), AudioError> {
        let len = self.channels.iter().map(Vec::len).min().unwrap_or(0);
        for start in (0..len).step_by(MEMORY_BLOCK) {
            let end = (start + MEMORY_BLOCK).min(len);
            let block: Vec<&[i16]> = self.channels.iter().map(|c| &c[start..end]).collect();
            sink(&block);
        }
        Ok(())
    }
}

/// A WAV file on disk whose header has been checked; decoded anew each time it
/// is streamed.
#[derive(Debug, Clone)]
pub struct RecordingFile {
    path: PathBuf,
    header: riff::WavHeader,
}

impl RecordingFile {
    /// Opens `path` and checks its header (the samples are read when streamed).
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let fail = |problem| AudioError::new(path.display(), problem);
        let file = File::open(path).map_err(|e| fail(e.into()))?;
        let header = riff::read_header(&mut BufReader::new(file)).map_err(fail)?;
        Ok(RecordingFile {
            path: path.to_path_buf(),
            header,
        })
    }
}

impl CallAudio for RecordingFile {
    fn channel_count(&self) -> usize {
        usize::from(self.header.channels)
    }

    fn duration_s(&self) -> f64 {
        self.header.frames() as f64 / f64::from(self.header.sample_rate)
    }

    fn stream(&self, sink: &mut resample::BlockSink<'_>) -> Result<(), AudioError> {
        let fail = |problem| AudioError::new(self.path.display(), problem);
        let file = File::open(&self.path).map_err(|e| fail(e.into()))?;
        wav::stream(BufReader::with_capacity(64 * 1024, file), sink).map_err(fail)?;
        Ok(())
    }
}
