//! Speech metrics of a call, measured from per-channel speech regions and the
//! agent's text: what only audio can show (dead air, talk-over, speech rate).
//! Names match the `metric` names rules use and land in
//! [`crate::interaction::Interaction::measured`].
//!
//! Definitions:
//! - `duration-seconds`: length of the recording.
//! - `longest-silence-seconds`: longest stretch where no channel has speech,
//!   counted only between the first and the last speech of the call. Leading and
//!   trailing silence is ringing, IVR, recorder start-up or hang-up latency, not
//!   dead air the agent caused. A call with no speech at all is silent for its
//!   whole duration.
//! - `interruptions` (stereo only): agent speech regions that start while a
//!   customer region is under way and overlap it by at least 0.5 s.
//! - `agent-talk-ratio` (stereo only): agent speech time / (agent + customer speech
//!   time); absent when nobody spoke.
//! - `agent-speech-rate-cpm`: Chinese characters in the agent's text per minute of
//!   agent speech; absent when the agent did not speak.
//!
//! A mono call whose two voices were told apart is measured like a stereo call,
//! each voice as a channel (the call stage then leaves out `interruptions`: the
//! voices' regions of one channel never overlap). A mono call with unknown roles
//! counts all speech as the agent's (as agent-only text rules then apply to all
//! speech), and the two metrics that need both parties are left out rather than
//! faked.

use std::collections::BTreeMap;

pub const DURATION: &str = "duration-seconds";
pub const LONGEST_SILENCE: &str = "longest-silence-seconds";
pub const INTERRUPTIONS: &str = "interruptions";
pub const AGENT_TALK_RATIO: &str = "agent-talk-ratio";
pub const AGENT_SPEECH_RATE: &str = "agent-speech-rate-cpm";

/// Minimum overlap for an agent start during customer speech to count.
pub const INTERRUPTION_MIN_OVERLAP_S: f64 = 0.5;

/// Speech of one call, as input to [`speech_metrics`]. Regions are `(start_s,
/// end_s)`, sorted and disjoint within a channel.
#[derive(Debug, Clone, Copy)]
pub struct CallSpeech<'a> {
    /// Agent regions, or all speech (mono, roles unknown).
    pub agent: &'a [(f64, f64)],
    /// Customer regions; `None` for mono calls with unknown roles.
    pub customer: Option<&'a [(f64, f64)]>,
    /// Everything the agent said (mono, roles unknown: everything said).
    pub agent_text: &'a str,
    pub duration_s: f64,
}

/// Computes the call metrics; see the module docs for the definitions.
pub fn speech_metrics(call: &CallSpeech<'_>) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    m.insert(DURATION.to_string(), call.duration_s);

    let mut all: Vec<(f64, f64)> = call.agent.to_vec();
    all.extend_from_slice(call.customer.unwrap_or(&[]));
    m.insert(
        LONGEST_SILENCE.to_string(),
        longest_silence(&all, call.duration_s),
    );

    let agent_time = total(call.agent);
    if let Some(customer) = call.customer {
        m.insert(
            INTERRUPTIONS.to_string(),
            interruptions(call.agent, customer) as f64,
        );
        let both = agent_time + total(customer);
        if both > 0.0 {
            m.insert(AGENT_TALK_RATIO.to_string(), agent_time / both);
        }
    }
    if agent_time > 0.0 {
        let chars = call.agent_text.chars().filter(|&c| is_chinese(c)).count();
        m.insert(
            AGENT_SPEECH_RATE.to_string(),
            chars as f64 / (agent_time / 60.0),
        );
    }
    m
}

fn total(regions: &[(f64, f64)]) -> f64 {
    regions.iter().map(|(s, e)| (e - s).max(0.0)).sum()
}

/// Longest gap in the union of `regions`, between first and last speech.
pub fn longest_silence(regions: &[(f64, f64)], duration_s: f64) -> f64 {
    let mut sorted: Vec<(f64, f64)> = regions.iter().copied().filter(|(s, e)| e > s).collect();
    if sorted.is_empty() {
        return duration_s.max(0.0);
    }
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut longest = 0.0f64;
    let mut covered_to = sorted[0].1;
    for &(s, e) in &sorted[1..] {
        if s > covered_to {
            longest = longest.max(s - covered_to);
        }
        covered_to = covered_to.max(e);
    }
    longest
}

/// Agent regions starting inside a customer region and overlapping it by at
/// least [`INTERRUPTION_MIN_OVERLAP_S`]; each agent region counts once.
pub fn interruptions(agent: &[(f64, f64)], customer: &[(f64, f64)]) -> usize {
    agent
        .iter()
        .filter(|&&(a_start, a_end)| {
            customer.iter().any(|&(c_start, c_end)| {
                c_start < a_start
                    && a_start < c_end
                    && a_end.min(c_end) - a_start >= INTERRUPTION_MIN_OVERLAP_S - 1e-9
            })
        })
        .count()
}

/// CJK ideographs (the unified block and its extensions and compatibility forms).
pub fn is_chinese(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF | 0x30000..=0x3134F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn silence_ignores_leading_and_trailing_and_overlaps() {
        // Speech 2-5 (agent), 4-8 (customer), 11-12 (agent), 12.5-20 (customer); call 30 s.
        let r = [(2.0, 5.0), (11.0, 12.0), (4.0, 8.0), (12.5, 20.0)];
        assert!(close(longest_silence(&r, 30.0), 3.0));
        assert!(close(longest_silence(&[(1.0, 2.0)], 30.0), 0.0));
        assert!(close(longest_silence(&[], 30.0), 30.0));
        // A region nested inside another does not end the covered stretch.
        assert!(close(
            longest_silence(&[(0.0, 10.0), (2.0, 3.0), (12.0, 13.0)], 20.0),
            2.0
        ));
    }

    #[test]
    fn interruptions_need_start_inside_and_half_second_overlap() {
        let customer = [(0.0, 5.0), (10.0, 12.0)];
        let agent = [
            (4.0, 6.0),   // starts inside, overlaps 1.0 s: counts
            (4.8, 4.9),   // overlaps 0.1 s: no
            (9.0, 11.0),  // started before the customer: no (customer interrupted)
            (11.6, 13.0), // overlaps 0.4 s: no
        ];
        assert_eq!(interruptions(&agent, &customer), 1);
        assert_eq!(interruptions(&[(11.5, 13.0)], &customer), 1);
    }

    #[test]
    fn stereo_metrics() {
        let agent = [(0.0, 30.0)];
        let customer = [(35.0, 45.0)];
        let text = "您好，请问有什么可以帮您? OK".repeat(2); // 11 Chinese characters each
        let m = speech_metrics(&CallSpeech {
            agent: &agent,
            customer: Some(&customer),
            agent_text: &text,
            duration_s: 50.0,
        });
        assert!(close(m[DURATION], 50.0));
        assert!(close(m[LONGEST_SILENCE], 5.0));
        assert!(close(m[INTERRUPTIONS], 0.0));
        assert!(close(m[AGENT_TALK_RATIO], 0.75));
        assert!(
            close(m[AGENT_SPEECH_RATE], 44.0),
            "{}",
            m[AGENT_SPEECH_RATE]
        );
    }

    #[test]
    fn mono_and_silent_calls_leave_out_what_cannot_be_measured() {
        let m = speech_metrics(&CallSpeech {
            agent: &[(1.0, 4.0)],
            customer: None,
            agent_text: "你好",
            duration_s: 5.0,
        });
        assert!(!m.contains_key(INTERRUPTIONS) && !m.contains_key(AGENT_TALK_RATIO));
        assert!(close(m[AGENT_SPEECH_RATE], 40.0));
        let m = speech_metrics(&CallSpeech {
            agent: &[],
            customer: Some(&[]),
            agent_text: "",
            duration_s: 7.0,
        });
        assert!(close(m[LONGEST_SILENCE], 7.0));
        assert!(!m.contains_key(AGENT_TALK_RATIO) && !m.contains_key(AGENT_SPEECH_RATE));
        assert!(close(m[INTERRUPTIONS], 0.0));
    }
}
