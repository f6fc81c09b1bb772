//! Calls into interactions with a fake recognizer: channel mapping, turn merging
//! order, token spans, mono roles, segment splitting and dropping. The fake
//! "recognizes" each voice burst in the audio it is handed (so it sees exactly
//! what the real recognizer would: packed speech) and names it by its loudness;
//! the test then checks that times come back on the recording's axis.

use callqa::asr::{AsrError, RecognizedSegment, RecognizedToken, Transcriber};
use callqa::audio::DecodedAudio;
use callqa::call::{transcribe_call, CallError, CallSpec, ChannelLayout};
use callqa::interaction::{Interaction, InteractionKind, Roles, Speaker};
use std::f64::consts::PI;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const RATE: f64 = 16_000.0;

/// Burst loudness names the words the fake recognizer hears.
const WORDS: [(f32, &str); 5] = [
    (0.1, "您好工号"),
    (0.2, "我要投诉"),
    (0.3, "请稍等"),
    (0.4, "再见"),
    (0.5, "嗯好的"),
];

fn channel(seconds: f64, bursts: &[(f64, f64, usize)]) -> Vec<f32> {
    let pitched: Vec<(f64, f64, usize, f64)> =
        bursts.iter().map(|&(a, b, w)| (a, b, w, 140.0)).collect();
    voices(seconds, &pitched)
}

/// Like [`channel`], each burst voiced at its own pitch (Hz).
fn voices(seconds: f64, bursts: &[(f64, f64, usize, f64)]) -> Vec<f32> {
    let mut out = vec![0.0f32; (seconds * RATE) as usize];
    for &(a, b, word, hz) in bursts {
        let level = WORDS[word].0;
        let first = (a * RATE) as usize;
        for (i, sample) in out[first..(b * RATE) as usize].iter_mut().enumerate() {
            let t = (first + i) as f64 / RATE;
            let voiced: f64 = (1..25)
                .map(|k| (2.0 * PI * hz * f64::from(k) * t).sin() / f64::from(k))
                .sum();
            // Normalised so the peak is exactly the word's level.
            *sample = level * (voiced / 1.75) as f32;
        }
    }
    out
}

fn audio(channels: Vec<Vec<f32>>) -> DecodedAudio {
    let duration_s = channels[0].len() as f64 / RATE;
    DecodedAudio {
        source_rate: 8_000,
        source_format: "mulaw".into(),
        // Stored as decoding stores them (16-bit).
        channels: channels
            .iter()
            .map(|c| {
                c.iter()
                    .map(|&s| callqa::audio::sample_from_f32(s))
                    .collect()
            })
            .collect(),
        duration_s,
    }
}

/// Finds bursts (runs of non-silent samples) and returns one segment each, with
/// one token per character spread evenly over the burst.
struct FakeAsr {
    calls: AtomicUsize,
    /// Return all bursts as one segment (to test splitting).
    one_segment: bool,
    no_speech_prob: f32,
    /// While set, hear only the first burst, then clear it: Whisper jumping
    /// over the rest of a window once.
    skip_once: AtomicBool,
}

impl FakeAsr {
    fn new() -> Self {
        FakeAsr {
            calls: AtomicUsize::new(0),
            one_segment: false,
            no_speech_prob: 0.01,
            skip_once: AtomicBool::new(false),
        }
    }
}

fn bursts(samples: &[f32]) -> Vec<(usize, usize, f32)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < samples.len() {
        if samples[i].abs() < 0.005 {
            i += 1;
            continue;
        }
        let start = i;
        let mut last_loud = i;
        let mut peak = 0.0f32;
        while i < samples.len() && i - last_loud < 400 {
            if samples[i].abs() >= 0.005 {
                last_loud = i;
                peak = peak.max(samples[i].abs());
            }
            i += 1;
        }
        out.push((start, last_loud + 1, peak));
    }
    out
}

impl Transcriber for FakeAsr {
    fn transcribe(&self, samples: &[f32]) -> Result<Vec<RecognizedSegment>, AsrError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut segments = Vec::new();
        let mut heard = bursts(samples);
        if self.skip_once.swap(false, Ordering::SeqCst) {
            heard.truncate(1);
        }
        for (a, b, peak) in heard {
            let word = WORDS
                .iter()
                .min_by(|x, y| (x.0 - peak).abs().total_cmp(&(y.0 - peak).abs()))
                .unwrap()
                .1;
            let (start_s, end_s) = (a as f64 / RATE, b as f64 / RATE);
            let chars: Vec<char> = word.chars().collect();
            let step = (end_s - start_s) / chars.len() as f64;
            let mut tokens: Vec<RecognizedToken> = chars
                .iter()
                .enumerate()
                .map(|(k, c)| RecognizedToken {
                    text: c.to_string(),
                    start_s: start_s + step * k as f64,
                    end_s: start_s + step * (k + 1) as f64,
                })
                .collect();
            // Whisper puts a space before the first token of a segment.
            tokens[0].text.insert(0, ' ');
            segments.push(RecognizedSegment {
                start_s,
                end_s,
                text: tokens.iter().map(|t| t.text.as_str()).collect(),
                tokens,
                no_speech_prob: self.no_speech_prob,
            });
        }
        if self.one_segment && !segments.is_empty() {
            let tokens: Vec<RecognizedToken> =
                segments.iter().flat_map(|s| s.tokens.clone()).collect();
            let merged = RecognizedSegment {
                start_s: segments[0].start_s,
                end_s: segments[segments.len() - 1].end_s,
                text: tokens.iter().map(|t| t.text.as_str()).collect(),
                tokens,
                no_speech_prob: self.no_speech_prob,
            };
            segments = vec![merged];
        }
        Ok(segments)
    }

    fn fingerprint(&self) -> String {
        "fake".into()
    }
}

fn spec(layout: ChannelLayout) -> CallSpec {
    CallSpec::from_file(Path::new("calls/c-001.wav"), layout)
}

/// Within one voice-detector frame (30 ms): turn times come from where it found speech.
/// Each turn of a call as (speaker, text), in order.
fn said(call: &Interaction) -> Vec<(Speaker, &str)> {
    call.turns
        .iter()
        .map(|t| (t.speaker, t.text.as_str()))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.035
}

/// Left: word 0 at 1-3 s and word 2 at 9-10 s. Right: word 1 at 4-7 s.
fn stereo() -> DecodedAudio {
    audio(vec![
        channel(12.0, &[(1.0, 3.0, 0), (9.0, 10.0, 2)]),
        channel(12.0, &[(4.0, 7.0, 1)]),
    ])
}

#[test]
fn agent_left_maps_channels_and_merges_turns_in_time_order() {
    let asr = FakeAsr::new();
    let call = transcribe_call(&spec(ChannelLayout::AgentLeft), &stereo(), &asr).unwrap();
    assert_eq!(
        asr.calls.load(Ordering::SeqCst),
        3,
        "one recognizer run per turn: the customer speaks between the agent's two utterances"
    );
    assert_eq!(call.id, "c-001");
    assert_eq!(call.kind, Some(InteractionKind::Call));
    assert_eq!(call.roles, Roles::Known);
    assert!((call.duration_s - 12.0).abs() < 1e-9);
    let got = said(&call);
    assert_eq!(
        got,
        vec![
            (Speaker::Agent, "您好工号"),
            (Speaker::Customer, "我要投诉"),
            (Speaker::Agent, "请稍等")
        ]
    );
    // Times are back on the recording's axis although the recognizer saw packed audio.
    let times: Vec<(f64, f64)> = call.turns.iter().map(|t| (t.start_s, t.end_s)).collect();
    for (got, want) in times.iter().zip([(1.0, 3.0), (4.0, 7.0), (9.0, 10.0)]) {
        assert!(close(got.0, want.0) && close(got.1, want.1), "{times:?}");
    }
    assert_eq!(call.measured["interruptions"], 0.0);
    assert!(call.measured.contains_key("agent-talk-ratio"));
    // Agent text: 7 characters over 3 s of agent speech = 140 per minute.
    let cpm = call.measured["agent-speech-rate-cpm"];
    assert!((cpm - 140.0).abs() < 5.0, "{cpm}");
}

#[test]
fn agent_right_swaps_speakers() {
    let call =
        transcribe_call(&spec(ChannelLayout::AgentRight), &stereo(), &FakeAsr::new()).unwrap();
    let got = said(&call);
    assert_eq!(
        got,
        vec![
            (Speaker::Customer, "您好工号"),
            (Speaker::Agent, "我要投诉"),
            (Speaker::Customer, "请稍等")
        ]
    );
    let cpm = call.measured["agent-speech-rate-cpm"];
    assert!((cpm - 80.0).abs() < 3.0, "4 characters in 3 s: {cpm}");
}

#[test]
fn spans_index_the_turn_text_and_carry_token_times() {
    let call =
        transcribe_call(&spec(ChannelLayout::AgentLeft), &stereo(), &FakeAsr::new()).unwrap();
    let turn = &call.turns[0];
    assert_eq!(
        turn.text, "您好工号",
        "leading space of the first token is trimmed"
    );
    assert_eq!(turn.spans.len(), 4);
    for (k, span) in turn.spans.iter().enumerate() {
        assert_eq!(
            &turn.text[span.start_byte..span.end_byte],
            turn.text.chars().nth(k).unwrap().to_string()
        );
        assert!(
            close(span.start_s, 1.0 + 0.5 * k as f64) && close(span.end_s, 1.5 + 0.5 * k as f64),
            "{span:?}"
        );
    }
    // The phrase 工号 is timed by its own tokens, not by the whole turn.
    let at = turn.text.find("工号").unwrap();
    let (s, e) = turn.time_of(at, at + "工号".len());
    assert!(close(s, 2.0) && close(e, 3.0), "{s} {e}");
}

#[test]
fn mono_with_nothing_to_tell_the_parties_apart_has_unknown_speakers_and_roles() {
    // One voice, and words that lean neither way.
    let mono = audio(vec![channel(8.0, &[(0.5, 2.0, 4), (3.0, 5.0, 4)])]);
    let call = transcribe_call(&spec(ChannelLayout::Mono), &mono, &FakeAsr::new()).unwrap();
    assert_eq!(call.roles, Roles::Unknown);
    assert!(call.turns.iter().all(|t| t.speaker == Speaker::Unknown));
    assert_eq!(call.turns.len(), 2);
    assert!(
        !call.measured.contains_key("interruptions")
            && !call.measured.contains_key("agent-talk-ratio")
    );
    assert!(call.measured.contains_key("agent-speech-rate-cpm"));
    let reason = call.roles_reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("nor does the conversation tell"),
        "{reason}"
    );
}

#[test]
fn mono_with_alike_voices_gets_roles_from_the_conversation() {
    // One pitch for both parties: the split by sound is refused, and the
    // turn-taking and the script words decide, also for a customer who speaks
    // twice in a row (1 s apart: one turn again once both are the customer's).
    let mono = audio(vec![channel(
        20.0,
        &[
            (0.5, 2.5, 0),
            (3.5, 5.5, 1),
            (6.5, 8.5, 2),
            (9.5, 11.5, 1),
            (12.5, 14.5, 1),
            (15.5, 17.5, 0),
        ],
    )]);
    let call = transcribe_call(&spec(ChannelLayout::Mono), &mono, &FakeAsr::new()).unwrap();
    assert_eq!(call.roles, Roles::Inferred, "{:?}", call.roles_reason);
    let got = said(&call);
    assert_eq!(
        got,
        vec![
            (Speaker::Agent, "您好工号"),
            (Speaker::Customer, "我要投诉"),
            (Speaker::Agent, "请稍等"),
            (Speaker::Customer, "我要投诉我要投诉"),
            (Speaker::Agent, "您好工号"),
        ]
    );
    let reason = call.roles_reason.as_deref().unwrap_or_default();
    assert!(reason.contains("turn-taking"), "{reason}");
    // Talk ratio from the utterances each party was given.
    let ratio = call.measured["agent-talk-ratio"];
    assert!((ratio - 0.5).abs() < 0.05, "{ratio}");
    assert!(!call.measured.contains_key("interruptions"));
}

#[test]
fn mono_with_two_voices_gets_inferred_roles_from_the_script() {
    // The customer (230 Hz) speaks first; the agent (140 Hz) says the 工号.
    let (agent, customer) = (140.0, 230.0);
    let mono = audio(vec![voices(
        16.0,
        &[
            (0.5, 3.0, 1, customer),
            (3.6, 6.6, 0, agent),
            (7.2, 9.7, 1, customer),
            (10.3, 13.0, 2, agent),
            (13.6, 15.0, 3, agent),
        ],
    )]);
    let call = transcribe_call(&spec(ChannelLayout::Mono), &mono, &FakeAsr::new()).unwrap();
    assert_eq!(call.roles, Roles::Inferred, "{:?}", call.roles_reason);
    let got = said(&call);
    assert_eq!(
        got,
        vec![
            (Speaker::Customer, "我要投诉"),
            (Speaker::Agent, "您好工号"),
            (Speaker::Customer, "我要投诉"),
            (Speaker::Agent, "请稍等再见"),
        ]
    );
    // The agent's last two utterances, 0.6 s apart, are one turn; each word
    // keeps its own time.
    let last = call.turns.last().unwrap();
    assert!(
        (last.start_s - 10.3).abs() < 0.3 && (last.end_s - 15.0).abs() < 0.3,
        "{last:?}"
    );
    let bye = last.text.find("再见").unwrap();
    let (bye_s, _) = last.time_of(bye, last.text.len());
    assert!((bye_s - 13.6).abs() < 0.5, "{bye_s} {last:?}");
    let reason = call.roles_reason.as_deref().unwrap_or_default();
    assert!(reason.contains("service script"), "{reason}");
    // Talk ratio is measured per voice; talking over each other cannot be.
    let ratio = call.measured["agent-talk-ratio"];
    assert!((ratio - 7.1 / 12.1).abs() < 0.05, "{ratio}");
    assert!(!call.measured.contains_key("interruptions"));
}

#[test]
fn mono_with_one_voice_keeps_roles_unknown_and_says_why() {
    let mono = audio(vec![channel(
        16.0,
        &[(0.5, 3.0, 4), (3.6, 6.6, 4), (7.2, 9.7, 4), (10.3, 13.0, 4)],
    )]);
    let call = transcribe_call(&spec(ChannelLayout::Mono), &mono, &FakeAsr::new()).unwrap();
    assert_eq!(call.roles, Roles::Unknown);
    assert!(call.turns.iter().all(|t| t.speaker == Speaker::Unknown));
    let reason = call.roles_reason.as_deref().unwrap_or_default();
    assert!(reason.contains("mono recording"), "{reason}");
}

#[test]
fn mono_layout_on_identical_channels_gives_each_turn_once() {
    let ch = channel(8.0, &[(0.5, 2.0, 0), (3.0, 5.0, 1)]);
    let asr = FakeAsr::new();
    let call = transcribe_call(
        &spec(ChannelLayout::Mono),
        &audio(vec![ch.clone(), ch]),
        &asr,
    )
    .unwrap();
    // The one channel's two utterances, 1 s apart, are one recognizer window:
    // transcribed once, not once per channel.
    assert_eq!(asr.calls.load(Ordering::SeqCst), 1);
    let texts: Vec<&str> = call.turns.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(texts, vec!["您好工号", "我要投诉"]);
}

#[test]
fn utterances_with_the_other_party_between_them_are_never_one_turn() {
    // A recognizer that would join everything it is given into one segment still
    // cannot join the agent's two utterances: the customer spoke between them, so
    // they are recognized apart and keep their own times.
    let asr = FakeAsr {
        one_segment: true,
        ..FakeAsr::new()
    };
    let call = transcribe_call(&spec(ChannelLayout::AgentLeft), &stereo(), &asr).unwrap();
    let got: Vec<(Speaker, &str, f64, f64)> = call
        .turns
        .iter()
        .map(|t| (t.speaker, t.text.as_str(), t.start_s, t.end_s))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for (turn, (speaker, text, a, b)) in got.iter().zip([
        (Speaker::Agent, "您好工号", 1.0, 3.0),
        (Speaker::Customer, "我要投诉", 4.0, 7.0),
        (Speaker::Agent, "请稍等", 9.0, 10.0),
    ]) {
        assert!(
            turn.0 == speaker && turn.1 == text && close(turn.2, a) && close(turn.3, b),
            "{got:?}"
        );
    }
}

#[test]
fn a_segment_across_two_close_utterances_stays_one_turn_with_word_times() {
    // Two utterances 0.8 s apart with nobody speaking between them share a window;
    // a segment across both is one turn whose words keep their own times.
    // (One party's channel: a mono call is cut at every pause.)
    let stereo = audio(vec![
        channel(8.0, &[(1.0, 3.0, 0), (3.8, 5.8, 2)]),
        vec![0.0; 128_000],
    ]);
    let asr = FakeAsr {
        one_segment: true,
        ..FakeAsr::new()
    };
    let call = transcribe_call(&spec(ChannelLayout::AgentLeft), &stereo, &asr).unwrap();
    assert_eq!(call.turns.len(), 1, "{:?}", call.turns);
    let turn = &call.turns[0];
    assert_eq!(turn.text, "您好工号 请稍等");
    let at = |word: &str| {
        let b = turn.text.find(word).unwrap();
        turn.time_of(b, b + word.len())
    };
    assert!(at("工号").1 <= 3.0 + 0.05, "{turn:?}");
    assert!(close(at("请稍等").0, 3.8), "{turn:?}");
    assert!(close(turn.end_s, at("请稍等").1), "{turn:?}");
}

#[test]
fn speech_the_recognizer_skipped_is_transcribed_again_in_place() {
    // Utterances 0.8 s apart: one window, so the retry has a stretch to fill.
    let stereo = audio(vec![
        channel(10.0, &[(0.5, 2.0, 0), (2.8, 4.8, 1), (5.6, 7.6, 2)]),
        vec![0.0; 160_000],
    ]);
    let asr = FakeAsr {
        skip_once: AtomicBool::new(true),
        ..FakeAsr::new()
    };
    let call = transcribe_call(&spec(ChannelLayout::AgentLeft), &stereo, &asr).unwrap();
    assert_eq!(asr.calls.load(Ordering::SeqCst), 2, "one window, one retry");
    let got: Vec<(&str, f64, f64)> = call
        .turns
        .iter()
        .map(|t| (t.text.as_str(), t.start_s, t.end_s))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    for (turn, (text, a, b)) in got.iter().zip([
        ("您好工号", 0.5, 2.0),
        ("我要投诉", 2.8, 4.8),
        ("请稍等", 5.6, 7.6),
    ]) {
        assert!(
            turn.0 == text && close(turn.1, a) && close(turn.2, b),
            "{got:?}"
        );
    }
}

#[test]
fn no_speech_segments_are_dropped_and_silent_channels_skipped() {
    let asr = FakeAsr {
        no_speech_prob: 0.95,
        ..FakeAsr::new()
    };
    let call = transcribe_call(&spec(ChannelLayout::AgentLeft), &stereo(), &asr).unwrap();
    assert!(call.turns.is_empty());

    let asr = FakeAsr::new();
    let silent_right = audio(vec![channel(6.0, &[(1.0, 2.0, 3)]), vec![0.0; 96_000]]);
    let call = transcribe_call(&spec(ChannelLayout::AgentLeft), &silent_right, &asr).unwrap();
    assert_eq!(
        asr.calls.load(Ordering::SeqCst),
        1,
        "the silent channel is never sent to the recognizer"
    );
    assert_eq!(call.turns.len(), 1);
    assert_eq!(call.measured["agent-talk-ratio"], 1.0);
}

#[test]
fn a_one_channel_file_without_a_manifest_layout_is_mono() {
    let mono = audio(vec![channel(3.0, &[(1.0, 2.0, 0)])]);
    let call = transcribe_call(&spec(ChannelLayout::AgentLeft), &mono, &FakeAsr::new()).unwrap();
    assert_eq!(call.roles, Roles::Unknown);
    assert_eq!(call.turns.len(), 1);
    assert_eq!(call.turns[0].speaker, Speaker::Unknown);
}

#[test]
fn a_manifest_stereo_layout_on_a_mono_file_is_an_error_naming_the_file() {
    let mono = audio(vec![channel(3.0, &[(1.0, 2.0, 0)])]);
    let mut given = spec(ChannelLayout::AgentRight);
    given.layout_given = true;
    let err = transcribe_call(&given, &mono, &FakeAsr::new()).unwrap_err();
    assert!(matches!(err, CallError::NotStereo { channels: 1, .. }));
    let message = err.to_string();
    assert!(
        message.contains("c-001.wav") && message.contains("mono"),
        "{message}"
    );
}
