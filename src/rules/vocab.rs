//! The words rules and results share: what kind a rule is, how severe, which
//! metric it bounds and which ruleset scored a result. They live with the rules
//! (the lower layer) so that scanning and results build on them, never the other
//! way round.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Identifies the ruleset a result was scored with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesetId {
    pub name: Arc<str>,
    pub version: Arc<str>,
    /// sha256 over the rule files' bytes, in load order.
    pub sha256: Arc<str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    Forbidden,
    Required,
    Metric,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Minor,
    #[default]
    Major,
    Fatal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    AgentFirstResponseSeconds,
    AgentMaxResponseSeconds,
    LongestSilenceSeconds,
    Interruptions,
    AgentTalkRatio,
    AgentSpeechRateCpm,
    DurationSeconds,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::AgentFirstResponseSeconds,
        Metric::AgentMaxResponseSeconds,
        Metric::LongestSilenceSeconds,
        Metric::Interruptions,
        Metric::AgentTalkRatio,
        Metric::AgentSpeechRateCpm,
        Metric::DurationSeconds,
    ];

    /// The name used in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Metric::AgentFirstResponseSeconds => "agent-first-response-seconds",
            Metric::AgentMaxResponseSeconds => "agent-max-response-seconds",
            Metric::LongestSilenceSeconds => "longest-silence-seconds",
            Metric::Interruptions => "interruptions",
            Metric::AgentTalkRatio => "agent-talk-ratio",
            Metric::AgentSpeechRateCpm => "agent-speech-rate-cpm",
            Metric::DurationSeconds => "duration-seconds",
        }
    }

    /// The metric as a QA reviewer reads it, in Chinese (with its unit).
    pub fn name_zh(self) -> &'static str {
        match self {
            Metric::AgentFirstResponseSeconds => "首次响应时长（秒）",
            Metric::AgentMaxResponseSeconds => "最长等待（秒）",
            Metric::LongestSilenceSeconds => "最长静默（秒）",
            Metric::Interruptions => "抢话次数",
            Metric::AgentTalkRatio => "坐席说话占比",
            Metric::AgentSpeechRateCpm => "坐席语速（字/分钟）",
            Metric::DurationSeconds => "时长（秒）",
        }
    }

    /// The key used in the `metrics` object of results.
    pub fn output_key(self) -> &'static str {
        match self {
            Metric::AgentFirstResponseSeconds => "agent_first_response_s",
            Metric::AgentMaxResponseSeconds => "agent_max_response_s",
            Metric::LongestSilenceSeconds => "longest_silence_s",
            Metric::Interruptions => "interruptions",
            Metric::AgentTalkRatio => "agent_talk_ratio",
            Metric::AgentSpeechRateCpm => "agent_speech_rate_cpm",
            Metric::DurationSeconds => "duration_s",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Measured by the audio stage rather than derived from turn times.
    pub fn is_audio(self) -> bool {
        matches!(
            self,
            Metric::LongestSilenceSeconds
                | Metric::Interruptions
                | Metric::AgentTalkRatio
                | Metric::AgentSpeechRateCpm
        )
    }
}
