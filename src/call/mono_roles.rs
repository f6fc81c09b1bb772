//! Who is who on a mono call, once it is transcribed. When the two voices were
//! told apart by pitch, each voice's turns are known; which voice is the agent,
//! and whether the split itself is right, is checked against the conversation:
//! the turn-taking reading ([`super::turn_roles`]) of the same turns, cut at their
//! sentence ends. When that reading and the voices agree, the voice it gives the
//! agent's part is the agent (two voices of a call split right are told apart
//! by the script the agent says and the customer answers); when they disagree,
//! the split is not trusted and the reading decides on its own, if it is sure.
//! When the voices could not be told apart at all, the reading is all there is.
//! Once every sentence has its party, one party's sentences until the other
//! speaks (or a pause over [`TURN_GAP_S`]) are one turn again, as on a stereo call.

use crate::audio::voice::{region_pitch_st, Cell};
use crate::interaction::{Roles, Speaker, Turn};

use super::turn_roles::{party, reading, sentence_regions, TurnTaking, MIN_CONFIDENCE};
use super::turns::{joined_turns, sentence_turns, TURN_GAP_S};

/// The least share of what was said (characters) on which the conversation's
/// reading and the pitch split must agree for the split to be kept.
pub const MIN_AGREEMENT: f64 = 0.8;

/// An utterance's pitch counts in reading the roles when this many of its 10 ms
/// frames are voiced.
const MIN_VOICED_FRAMES: u16 = 20;

/// One voice of a pitch split: its turns and its speech regions, seconds.
pub type Voice = (Vec<Turn>, Vec<(f64, f64)>);

/// The roles of a mono call and its turns with their speakers.
#[derive(Debug, Clone, PartialEq)]
pub struct MonoRoles {
    pub roles: Roles,
    /// Why, for `roles_reason`.
    pub reason: String,
    /// All turns, in time order.
    pub turns: Vec<Turn>,
    /// The agent's and the customer's speech regions; one list (both voices)
    /// when the roles are unknown.
    pub regions: Vec<Vec<(f64, f64)>>,
}

/// The turns of the two voices a pitch split found (`voices[i]`, with their
/// speech regions and mean pitch, Hz), checked against the conversation; `cells`
/// describe the mono audio, `cues` are the ruleset's agent script words.
pub fn from_voices(
    voices: [Voice; 2],
    pitch_hz: [f64; 2],
    cells: &[Cell],
    cues: &[String],
) -> MonoRoles {
    let mut sentences: Vec<(usize, Turn)> = Vec::new();
    for (v, (turns, _)) in voices.iter().enumerate() {
        sentences.extend(turns.iter().flat_map(sentence_turns).map(|t| (v, t)));
    }
    sentences.sort_by(|a, b| a.1.start_s.total_cmp(&b.1.start_s));
    let mut speech: Vec<(f64, f64)> = voices.iter().flat_map(|(_, r)| r.clone()).collect();
    speech.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut turns: Vec<Turn> = sentences.iter().map(|(_, t)| t.clone()).collect();
    let (read, agent) = read(&turns, &speech, cells, cues);
    // The share of what was said where voice 0 being the agent agrees with the
    // reading.
    let mut chars = 0.0;
    let mut agree = 0.0;
    for ((v, t), &a) in sentences.iter().zip(&agent) {
        let n = t.text.chars().count() as f64;
        chars += n;
        if a == (*v == 0) {
            agree += n;
        }
    }
    let agree0 = if chars > 0.0 { agree / chars } else { 0.5 };
    let agreement = agree0.max(1.0 - agree0);
    let agent_voice = usize::from(agree0 < 0.5);
    let heard = format!(
        "mono recording: two voices told apart by pitch (agent {:.0} Hz, customer {:.0} Hz)",
        pitch_hz[agent_voice],
        pitch_hz[1 - agent_voice]
    );
    if agreement >= MIN_AGREEMENT {
        for (v, t) in sentences.iter().map(|(v, _)| v).zip(&mut turns) {
            t.speaker = party(*v == agent_voice);
        }
        let [a, b] = voices.map(|(_, r)| r);
        let regions = if agent_voice == 0 { [a, b] } else { [b, a] };
        let turns = joined_turns(turns, TURN_GAP_S);
        return MonoRoles {
            roles: Roles::Inferred,
            reason: format!(
                "{heard}; the agent is the voice that takes the agent's part of the conversation (turn-taking and the service script agree on {:.0} % of what was said)",
                agreement * 100.0
            ),
            turns,
            regions: regions.to_vec(),
        };
    }
    let why = format!(
        "mono recording: two voices told apart by pitch, but the conversation agrees with that split on only {:.0} % of what was said (needed {:.0} %)",
        (agreement * 100.0).floor(),
        MIN_AGREEMENT * 100.0
    );
    decided_by_reading(turns, read, &agent, speech, &why)
}

/// The turns of a mono call whose voices could not be told apart (`why`), one
/// channel: roles from the conversation alone.
pub fn from_conversation(
    turns: &[Turn],
    speech: Vec<(f64, f64)>,
    cells: &[Cell],
    cues: &[String],
    why: &str,
) -> MonoRoles {
    let sentences: Vec<Turn> = turns.iter().flat_map(sentence_turns).collect();
    let (read, agent) = read(&sentences, &speech, cells, cues);
    if read.sure {
        decided_by_reading(sentences, read, &agent, speech, why)
    } else {
        decided_by_reading(turns.to_vec(), read, &agent, speech, why)
    }
}

/// The conversation's reading of `turns` (sentences) over the mono `speech`.
fn read(
    turns: &[Turn],
    speech: &[(f64, f64)],
    cells: &[Cell],
    cues: &[String],
) -> (TurnTaking, Vec<bool>) {
    let units = sentence_regions(speech, turns);
    let pitch = region_pitch_st(cells, &units, MIN_VOICED_FRAMES);
    reading(turns, &units, &pitch, cues)
}

/// Roles as the reading has them when it is sure, else unknown.
fn decided_by_reading(
    mut turns: Vec<Turn>,
    read: TurnTaking,
    agent: &[bool],
    speech: Vec<(f64, f64)>,
    why: &str,
) -> MonoRoles {
    if read.sure {
        for (t, &a) in turns.iter_mut().zip(agent) {
            t.speaker = party(a);
        }
        let turns = joined_turns(turns, TURN_GAP_S);
        MonoRoles {
            roles: Roles::Inferred,
            reason: format!(
                "{why}; roles read from the conversation instead: turn-taking and the service script (agent {} utterances, customer {}, confidence {:.2})",
                read.utterances[0], read.utterances[1], read.confidence
            ),
            turns,
            regions: read.regions.to_vec(),
        }
    } else {
        for t in &mut turns {
            t.speaker = Speaker::Unknown;
        }
        MonoRoles {
            roles: Roles::Unknown,
            reason: format!(
                "{why}; nor does the conversation tell who the agent is (confidence {:.2}, needed {MIN_CONFIDENCE})",
                // Rounded down, so a confidence just short of the threshold never
                // reads as reaching it.
                (read.confidence * 100.0).floor() / 100.0
            ),
            turns,
            regions: vec![speech],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::turn_roles::speakers;
    use super::*;

    /// Turns of `(speaker's voice, text)`, 4 s apart, and each voice's regions.
    fn split(lines: &[(usize, &str)]) -> [Voice; 2] {
        let mut voices: [Voice; 2] = Default::default();
        for (i, &(v, text)) in lines.iter().enumerate() {
            let s = i as f64 * 4.0;
            voices[v]
                .0
                .push(Turn::new(Speaker::Agent, s, s + 3.0, text));
            voices[v].1.push((s, s + 3.0));
        }
        voices
    }

    const CALL: [&str; 8] = [
        "喂？有人在吗？",
        "您好，客服中心，我的工号一二三四五，请问有什么可以帮您？",
        "我想查一下我的快递到哪里了。",
        "好的，请您提供一下订单号码。",
        "订单号是八八六六九九。",
        "好的，请您稍等，我帮您查一下。",
        "好的，谢谢。",
        "感谢您的来电，再见。",
    ];

    #[test]
    fn the_voice_taking_the_agents_part_is_the_agent_even_when_heard_second() {
        // Voice 0 is the customer, who speaks first.
        let lines: Vec<(usize, &str)> = CALL
            .iter()
            .enumerate()
            .map(|(i, t)| (usize::from(![0, 2, 4, 6].contains(&i)), *t))
            .collect();
        let r = from_voices(split(&lines), [200.0, 260.0], &[], &[]);
        assert_eq!(r.roles, Roles::Inferred, "{r:?}");
        assert_eq!(speakers(&r.turns), "CACACACA");
        assert!(r.reason.contains("agent 260 Hz"), "{}", r.reason);
        assert!(r.reason.contains("agree on 100 %"), "{}", r.reason);
        assert_eq!(r.regions[0].len(), 4);
    }

    #[test]
    fn a_split_the_conversation_disagrees_with_is_not_trusted() {
        // Each voice holds half of each party's lines.
        let lines: Vec<(usize, &str)> = CALL
            .iter()
            .enumerate()
            .map(|(i, t)| (usize::from(i % 4 >= 2), *t))
            .collect();
        let r = from_voices(split(&lines), [200.0, 260.0], &[], &[]);
        assert!(
            r.reason.contains("agrees with that split on only"),
            "{}",
            r.reason
        );
        // The conversation alone is clear enough here.
        assert_eq!(r.roles, Roles::Inferred, "{}", r.reason);
        assert_eq!(speakers(&r.turns), "CACACACA", "{}", r.reason);
    }
}
