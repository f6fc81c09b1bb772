//! What is known about one call before it is heard: where the recording is, who
//! the agent is, when it started, which channel holds whom and what the
//! recognizer is given; and why a call could not be used.

use crate::asr::AsrError;
use crate::audio::AudioError;
use chrono::{DateTime, FixedOffset};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

/// Which channel holds the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChannelLayout {
    #[default]
    AgentLeft,
    AgentRight,
    /// One channel, or several carrying the same mix: the two voices are told
    /// apart by sound, and the roles are inferred or, failing that, unknown.
    Mono,
}

impl ChannelLayout {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelLayout::AgentLeft => "agent-left",
            ChannelLayout::AgentRight => "agent-right",
            ChannelLayout::Mono => "mono",
        }
    }
}

impl fmt::Display for ChannelLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelLayout {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "agent-left" => Ok(ChannelLayout::AgentLeft),
            "agent-right" => Ok(ChannelLayout::AgentRight),
            "mono" => Ok(ChannelLayout::Mono),
            other => Err(format!(
                "channel layout `{other}` is not one of agent-left, agent-right, mono"
            )),
        }
    }
}

/// What the recognizer hears of each channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AsrInput {
    /// Only the speech VAD found, packed back to back (the default: faster, and
    /// Whisper gets no long silences to invent text on).
    #[default]
    Speech,
    /// The whole channel, end to end (for benchmarks, and for audio that is
    /// already cut to speech). Speech metrics come from VAD either way.
    Whole,
}

impl AsrInput {
    pub fn as_str(self) -> &'static str {
        match self {
            AsrInput::Speech => "speech",
            AsrInput::Whole => "whole",
        }
    }
}

/// One call to process: where the recording is and what is known about it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallSpec {
    pub id: String,
    pub path: PathBuf,
    /// The file as the user named it (command line or manifest), for reports.
    pub source: String,
    pub agent_id: String,
    pub started_at: Option<DateTime<FixedOffset>>,
    pub layout: ChannelLayout,
    /// Whether a manifest named the layout for this call. When it did not (a bare
    /// recording, an empty cell), a one-channel file is simply mono.
    pub layout_given: bool,
    pub asr_input: AsrInput,
    /// Words of the service script the agent speaks (the ruleset's required agent
    /// phrases and the literal words of their patterns): on a mono call, the voice
    /// that says more of them is the agent.
    pub agent_cues: Arc<[String]>,
}

impl CallSpec {
    /// A recording no manifest describes: the id is the file stem, the agent unknown.
    pub fn from_file(path: &Path, layout: ChannelLayout) -> Self {
        CallSpec {
            id: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: path.to_path_buf(),
            asr_input: AsrInput::default(),
            source: path.display().to_string(),
            agent_id: String::new(),
            started_at: None,
            layout,
            layout_given: false,
            agent_cues: Arc::new([]),
        }
    }
}

/// Why a decoded call could not be turned into an interaction.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{file}: layout {layout} needs a stereo recording but the file has {channels} channel(s); give this call the `mono` layout")]
    NotStereo {
        file: String,
        layout: ChannelLayout,
        channels: usize,
    },
    #[error("{file}: {channels} channels; only mono and two-channel calls can be given agent/customer roles, give this call the `mono` layout")]
    TooManyChannels { file: String, channels: usize },
    #[error("{file}: speech recognition failed: {source}")]
    Asr {
        file: String,
        #[source]
        source: AsrError,
    },
    /// The recording could not be read (on either pass over it).
    #[error(transparent)]
    Audio(#[from] AudioError),
}
