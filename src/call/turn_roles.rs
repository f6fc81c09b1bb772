//! Roles on a mono call whose two voices sound too alike to split by sound: from
//! the conversation instead. Each utterance the voice detector found (a speech
//! region, with the turns recognized in it) is one party's; parties take turns, so
//! the next utterance is more often the other party's than the same one's; and
//! what is said leans one way: the agent says the service script (the ruleset's
//! agent words, 工号, 为您服务), addresses the customer as 您 and asks 请问; the
//! customer says 我想, 我的, 你们. A two-state hidden Markov model over the
//! utterances puts these together (forward-backward), and every utterance goes to
//! the party it most likely is.
//!
//! Roles are kept only when the model is sure: the speech-time weighted mean of
//! each utterance's posterior must reach [`MIN_CONFIDENCE`], and the agent's side
//! must hold script words. Otherwise the call keeps `"roles":"unknown"`, with the
//! confidence in the reason.

use crate::interaction::{Speaker, Turn};
use crate::text::normalize::normalize_str;
use crate::text::pinyin::PinyinPhrases;
use crate::text::sound_alike::is_han;

use super::roles::{script_chars, script_words};

/// Chance that the next utterance is the other party's.
pub const SWITCH: f64 = 0.6;
/// Chance that the agent speaks first (an inbound call is answered).
pub const AGENT_FIRST: f64 = 0.65;
/// The least speech-time weighted mean posterior for the roles to be kept.
pub const MIN_CONFIDENCE: f64 = 0.75;

/// Words that lean an utterance towards the agent (positive weight) or the
/// customer (negative), in log-odds units, besides the script words.
const STYLE: &[(&str, f64)] = &[
    ("您", 1.0),
    ("请问", 1.5),
    ("请您", 1.0),
    ("稍等", 1.5),
    ("帮您", 1.0),
    ("为您", 1.0),
    ("已经帮", 1.0),
    ("很高兴", 1.5),
    ("还有什么", 1.5),
    ("不客气", 1.5),
    ("让您久等", 1.5),
    ("我想", -1.5),
    ("我要", -1.5),
    ("我家", -1.0),
    ("你们", -1.5),
    ("为什么", -1.0),
    ("怎么办", -1.0),
    ("能不能", -1.0),
    ("谢谢", -0.7),
    ("有人在吗", -2.0),
    ("吗", -0.5),
];
/// Lean of a sentence that reads out a number (five digits or more) with no
/// script word in it: the customer giving the phone, order or account number the
/// agent asked for (the agent's own 工号 comes with its script word).
const READ_OUT_NUMBER: f64 = -1.5;
/// The fewest digits in a row that make a read-out number.
const NUMBER_DIGITS: usize = 5;
/// Rounds of fitting the parties' pitch and reading the roles again.
const EM_ROUNDS: usize = 5;
/// The least variance of an utterance's mean pitch around its party's, semitones
/// squared.
const PITCH_VAR_FLOOR: f64 = 0.5;
/// Weight of each character of a script word found (said as written or heard alike).
const SCRIPT_CHAR: f64 = 0.6;
/// An utterance's lean is capped, so one long sentence cannot outvote the
/// turn-taking of the whole call.
const MAX_LEAN: f64 = 6.0;

/// How the roles of a mono call were read from its conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnTaking {
    /// Speech-time weighted mean posterior of the chosen party, 0.5..=1.
    pub confidence: f64,
    /// Utterances given to the agent and to the customer.
    pub utterances: [usize; 2],
    /// Speech regions of the agent and of the customer, seconds.
    pub regions: [Vec<(f64, f64)>; 2],
    /// Whether the roles are kept (see [`MIN_CONFIDENCE`]).
    pub sure: bool,
}

/// Reads the roles of a mono call from its turns (all [`Speaker::Unknown`], sorted)
/// and its speech regions; `cues` are the ruleset's agent script words. When the
/// result is sure, every turn gets its party; otherwise the turns are untouched.
pub fn turn_taking(
    turns: &mut [Turn],
    regions: &[(f64, f64)],
    pitch: &[Option<f64>],
    cues: &[String],
) -> TurnTaking {
    let (read, agent) = reading(turns, regions, pitch, cues);
    if read.sure {
        for (t, agent) in turns.iter_mut().zip(agent) {
            t.speaker = party(agent);
        }
    }
    read
}

/// The agent, or else the customer.
pub fn party(agent: bool) -> Speaker {
    if agent {
        Speaker::Agent
    } else {
        Speaker::Customer
    }
}

/// The reading of a mono call's turns (all [`Speaker::Unknown`], sorted) over its
/// utterances' speech regions and mean pitch (semitones), and for each turn
/// whether it gives it to the agent, sure or not; `cues` are the ruleset's agent
/// script words.
pub fn reading(
    turns: &[Turn],
    regions: &[(f64, f64)],
    pitch: &[Option<f64>],
    cues: &[String],
) -> (TurnTaking, Vec<bool>) {
    let script = script_words(cues, SAID_BY_BOTH);
    // Each turn belongs to the region its middle lies in (or the nearest).
    let region_of: Vec<usize> = turns
        .iter()
        .map(|t| nearest_region(regions, (t.start_s + t.end_s.max(t.start_s)) / 2.0))
        .collect();
    let mut texts = vec![String::new(); regions.len()];
    for (t, &r) in turns.iter().zip(&region_of) {
        texts[r].push_str(&t.text);
    }
    // Utterances: regions whose recognized text has a Chinese word, in time
    // order (a stray English word on a noise burst is no turn of the talk).
    let utterances: Vec<usize> = (0..regions.len())
        .filter(|&r| texts[r].chars().any(is_han))
        .collect();
    let leans: Vec<f64> = utterances
        .iter()
        .map(|&r| lean(&normalize_str(&texts[r]), &script))
        .collect();
    let pitches: Vec<Option<f64>> = utterances
        .iter()
        .map(|&r| pitch.get(r).copied().flatten())
        .collect();
    let posterior = with_pitch(&leans, &pitches);
    let mut is_agent = vec![None; regions.len()];
    let mut weighted = 0.0;
    let mut total = 0.0;
    let mut counts = [0, 0];
    let mut agent_script = 0.0;
    for ((&r, &p), &l) in utterances.iter().zip(&posterior).zip(&leans) {
        let agent = p >= 0.5;
        is_agent[r] = Some(agent);
        let len = (regions[r].1 - regions[r].0).max(0.0);
        weighted += len * p.max(1.0 - p);
        total += len;
        counts[usize::from(!agent)] += 1;
        if agent {
            agent_script += l.max(0.0);
        }
    }
    // Regions without a Chinese word go with the utterance before them (the
    // first ones with the one after).
    let mut last = utterances.first().and_then(|&r| is_agent[r]);
    for a in is_agent.iter_mut() {
        match a {
            Some(v) => last = Some(*v),
            None => *a = last,
        }
    }
    let mut role_regions: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    for (r, a) in is_agent.iter().enumerate() {
        if let Some(a) = a {
            role_regions[usize::from(!a)].push(regions[r]);
        }
    }
    let confidence = if total > 0.0 { weighted / total } else { 0.5 };
    let sure = confidence >= MIN_CONFIDENCE && counts[0] > 0 && counts[1] > 0 && agent_script > 0.0;
    let agent = region_of
        .iter()
        .map(|&r| is_agent[r].unwrap_or(true))
        .collect();
    (
        TurnTaking {
            confidence,
            utterances: counts,
            regions: role_regions,
            sure,
        },
        agent,
    )
}

/// Script words both parties say (a ruleset may require the agent's 你好 or 再见,
/// but the customer says them as often): no lean either way.
const SAID_BY_BOTH: &[&str] = &["你好", "再见", "谢谢", "拜拜", "好的"];

/// Log-odds that `normalized` is the agent's rather than the customer's.
fn lean(normalized: &str, script: &PinyinPhrases) -> f64 {
    let script_chars = script_chars(script, normalized);
    let style: f64 = STYLE
        .iter()
        .map(|&(w, weight)| normalized.matches(w).count() as f64 * weight)
        .sum();
    let number = if script_chars == 0 && longest_digit_run(normalized) >= NUMBER_DIGITS {
        READ_OUT_NUMBER
    } else {
        0.0
    };
    (script_chars as f64 * SCRIPT_CHAR + style + number).clamp(-MAX_LEAN, MAX_LEAN)
}

/// The most digits in a row, written or said (三二七, 幺五八).
fn longest_digit_run(text: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_digit() || "零〇一二三四五六七八九幺两洞拐".contains(c) {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// The speech regions cut between the sentences of `turns` (sorted, see
/// [`crate::call::turns::sentence_turns`]) that lie in the same region, midway
/// between one's end and the next one's start: each sentence becomes an utterance
/// of its own for [`turn_taking`].
pub fn sentence_regions(regions: &[(f64, f64)], turns: &[Turn]) -> Vec<(f64, f64)> {
    let mut cuts: Vec<Vec<f64>> = vec![Vec::new(); regions.len()];
    let region_of: Vec<usize> = turns
        .iter()
        .map(|t| nearest_region(regions, (t.start_s + t.end_s.max(t.start_s)) / 2.0))
        .collect();
    for (i, pair) in turns.windows(2).enumerate() {
        let r = region_of[i];
        if region_of[i + 1] != r {
            continue;
        }
        let cut = (pair[0].end_s + pair[1].start_s) / 2.0;
        let (start, end) = regions[r];
        let after = cuts[r].last().copied().unwrap_or(start);
        if cut > after + MIN_PART_S && cut < end - MIN_PART_S {
            cuts[r].push(cut);
        }
    }
    let mut out = Vec::with_capacity(regions.len());
    for (&(start, end), cuts) in regions.iter().zip(&cuts) {
        let mut from = start;
        for &c in cuts {
            out.push((from, c));
            from = c;
        }
        out.push((from, end));
    }
    out
}

/// The shortest part of a region a sentence cut leaves, seconds.
const MIN_PART_S: f64 = 0.2;

/// The posteriors of the words and the turn-taking, then a few rounds of EM in
/// which each party's mean pitch is fitted to the utterances it was given and the
/// pitch of every utterance becomes evidence too. Voices that sound nearly alike
/// give nearly equal means, and so little evidence.
fn with_pitch(leans: &[f64], pitches: &[Option<f64>]) -> Vec<f64> {
    let mut posterior = agent_posterior(leans);
    for _ in 0..EM_ROUNDS {
        let mut sums = [0.0f64; 2];
        let mut weights = [0.0f64; 2];
        for (&p, &q) in pitches.iter().zip(&posterior) {
            if let Some(p) = p {
                sums[0] += q * p;
                weights[0] += q;
                sums[1] += (1.0 - q) * p;
                weights[1] += 1.0 - q;
            }
        }
        if weights[0] < 1.0 || weights[1] < 1.0 {
            break;
        }
        let mean = [sums[0] / weights[0], sums[1] / weights[1]];
        let mut var = 0.0;
        for (&p, &q) in pitches.iter().zip(&posterior) {
            if let Some(p) = p {
                var += q * (p - mean[0]).powi(2) + (1.0 - q) * (p - mean[1]).powi(2);
            }
        }
        let var = (var / (weights[0] + weights[1])).max(PITCH_VAR_FLOOR);
        let evidence: Vec<f64> = leans
            .iter()
            .zip(pitches)
            .map(|(&l, p)| {
                let by_pitch = p.map_or(0.0, |p| {
                    ((p - mean[1]).powi(2) - (p - mean[0]).powi(2)) / (2.0 * var)
                });
                l + by_pitch.clamp(-MAX_LEAN, MAX_LEAN)
            })
            .collect();
        posterior = agent_posterior(&evidence);
    }
    posterior
}

/// Forward-backward over the utterances' leans: the posterior that each is the
/// agent's.
fn agent_posterior(leans: &[f64]) -> Vec<f64> {
    let n = leans.len();
    if n == 0 {
        return Vec::new();
    }
    // Emission likelihoods (agent, customer), scaled so their ratio is e^lean.
    let emit: Vec<[f64; 2]> = leans
        .iter()
        .map(|&l| {
            let a = 1.0 / (1.0 + (-l).exp());
            [a, 1.0 - a]
        })
        .collect();
    let step = |from: [f64; 2]| {
        [
            from[0] * (1.0 - SWITCH) + from[1] * SWITCH,
            from[0] * SWITCH + from[1] * (1.0 - SWITCH),
        ]
    };
    let normalize = |v: [f64; 2]| {
        let s = v[0] + v[1];
        if s > 0.0 {
            [v[0] / s, v[1] / s]
        } else {
            [0.5, 0.5]
        }
    };
    let mut forward = Vec::with_capacity(n);
    let mut f = normalize([AGENT_FIRST * emit[0][0], (1.0 - AGENT_FIRST) * emit[0][1]]);
    forward.push(f);
    for e in &emit[1..] {
        let p = step(f);
        f = normalize([p[0] * e[0], p[1] * e[1]]);
        forward.push(f);
    }
    let mut posterior = vec![0.0; n];
    let mut b = [1.0, 1.0];
    for i in (0..n).rev() {
        let joint = normalize([forward[i][0] * b[0], forward[i][1] * b[1]]);
        posterior[i] = joint[0];
        // Backward message to utterance i - 1.
        let e = emit[i];
        let m = [b[0] * e[0], b[1] * e[1]];
        b = normalize(step(m));
    }
    posterior
}

fn nearest_region(regions: &[(f64, f64)], t: f64) -> usize {
    let mut best = 0;
    let mut best_d = f64::INFINITY;
    for (i, &(s, e)) in regions.iter().enumerate() {
        let d = if t < s {
            s - t
        } else if t > e {
            t - e
        } else {
            0.0
        };
        if d < best_d {
            best_d = d;
            best = i;
        }
    }
    best
}

/// Each turn's speaker as a letter (A agent, C customer, ? unknown), for tests.
#[cfg(test)]
pub(super) fn speakers(turns: &[Turn]) -> String {
    turns
        .iter()
        .map(|t| match t.speaker {
            Speaker::Agent => 'A',
            Speaker::Customer => 'C',
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(lines: &[&str]) -> (Vec<Turn>, Vec<(f64, f64)>) {
        let mut turns = Vec::new();
        let mut regions = Vec::new();
        for (i, text) in lines.iter().enumerate() {
            let s = i as f64 * 4.0;
            regions.push((s, s + 3.0));
            turns.push(Turn::new(Speaker::Unknown, s, s + 3.0, *text));
        }
        (turns, regions)
    }

    #[test]
    fn a_service_call_reads_as_agent_and_customer() {
        let (mut turns, regions) = call(&[
            "您好，这里是客服中心，我的公号是一二三四五，很高兴为您服务。",
            "你好，我想查一下我的快递到哪里了。",
            "好的，请您提供一下订单号码。",
            "订单号是八八六六九九。",
            "好的，您的快递已经到达本市，预计明天上午送到。",
            "可是我明天上午不在家，怎么办？",
            "好的，请问还有什么可以帮您？",
            "没有了，谢谢。",
            "感谢您的来电，再见。",
        ]);
        let r = turn_taking(&mut turns, &regions, &[], &[]);
        assert!(r.sure, "{r:?}");
        assert_eq!(speakers(&turns), "ACACACACA");
        assert_eq!(r.utterances, [5, 4]);
    }

    #[test]
    fn a_party_may_speak_twice_in_a_row() {
        let (mut turns, regions) = call(&[
            "喂？喂？有人在吗？",
            "喂，听得到我说话吗？你们怎么没人说话啊？",
            "您好，这里是客服中心，请问有什么可以帮您？",
            "我家的宽带上不了网，你们什么时候能修好？",
            "好的，请您稍等，我帮您查一下。",
            "让您久等了，已经帮您报修，感谢您的来电。",
        ]);
        let r = turn_taking(&mut turns, &regions, &[], &[]);
        assert!(r.sure, "{r:?}");
        assert_eq!(speakers(&turns), "CCACAA");
    }

    #[test]
    fn without_anything_to_go_by_the_roles_stay_unknown() {
        let (mut turns, regions) = call(&["嗯。", "好的。", "嗯嗯。", "行。"]);
        let r = turn_taking(&mut turns, &regions, &[], &[]);
        assert!(!r.sure, "{r:?}");
        assert_eq!(speakers(&turns), "????");
    }

    #[test]
    fn sentences_in_one_region_become_utterances_of_their_own() {
        let regions = [(0.0, 3.0), (4.0, 9.0)];
        let turns = [
            Turn::new(Speaker::Unknown, 0.1, 2.9, "您好，请问有什么可以帮您？"),
            Turn::new(Speaker::Unknown, 4.1, 6.0, "请问新的地址是哪里？"),
            Turn::new(Speaker::Unknown, 6.4, 8.9, "改到人民路八号。"),
        ];
        assert_eq!(
            sentence_regions(&regions, &turns),
            [(0.0, 3.0), (4.0, 6.2), (6.2, 9.0)]
        );
    }

    #[test]
    fn a_read_out_number_leans_to_the_customer_and_a_staff_id_to_the_agent() {
        let script = script_words(&["工号".to_string()], SAID_BY_BOTH);
        assert!(lean("15033278614", &script) < 0.0);
        assert!(lean("幺五零三三二七八六幺四", &script) < 0.0);
        assert!(lean("我的工号54321", &script) > 0.0);
        assert_eq!(lean("8号", &script), 0.0);
    }
}
