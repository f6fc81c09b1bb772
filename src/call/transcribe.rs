//! Turns one call recording into an [`Interaction`]: speech found per channel,
//! only speech sent to the recognizer (cut into windows while the recording
//! streams past, so no call is held whole), recognized segments mapped to speaker
//! turns with token-level times, channels merged in time order, and the speech
//! metrics measured.
//!
//! Stereo calls (`agent-left`, `agent-right`) are transcribed per channel, so each
//! turn's speaker is known. On a mono call the speech is first split between its
//! two voices ([`crate::audio::diarize`]), and each voice becomes a channel of its
//! own: the mono audio heard only where that voice speaks. From there on a mono
//! call goes the way of a stereo one (recognizer windows, turns, speech metrics,
//! except interruptions, which a single channel cannot show). When the voices
//! cannot be told apart, the call is transcribed as one channel, windowed as a
//! channel of a stereo call is (the recognizer's punctuation across a short pause
//! tells a sentence that goes on from one that ends). Either way
//! [`super::mono_roles`] then reads who is who from the conversation (turn-taking
//! and the service script, sentence by sentence) and checks the pitch split
//! against it; the roles are [`Roles::Inferred`], or, when nothing is sure, its
//! speakers [`Speaker::Unknown`] and its roles [`Roles::Unknown`]. `roles_reason`
//! says which. A stereo file whose two
//! channels are the same downmix must be given the `mono` layout: as stereo it
//! would be transcribed twice and every turn would appear for both parties. With
//! `mono`, channels are averaged into one before anything else.

use crate::asr::parallel::transcribe_windows;
use crate::asr::recovery::transcribe_recovering_skips;
use crate::asr::{AsrError, RecognizedSegment, Transcriber};
use crate::audio::diarize::two_voices;
use crate::audio::metrics::{speech_metrics, CallSpeech, INTERRUPTIONS};
use crate::audio::pack::PackedSpeech;
use crate::audio::vad::{StreamingVad, VadConfig};
use crate::audio::voice::StreamingVoice;
use crate::audio::windows::WindowFiller;
use crate::audio::{AudioError, CallAudio};
use crate::interaction::{Interaction, InteractionKind, Roles, Speaker, Turn};
use std::ops::Range;

use super::mono_roles;
use super::spec::{AsrInput, CallError, CallSpec, ChannelLayout};
use super::turns::{segment_turns, snap_to_speech};

/// Segments the recognizer itself rates as more likely not speech than this are
/// dropped. VAD already keeps silence out, so this only catches noise that looked
/// like speech; the bar is high so quiet real speech is not lost.
pub const NO_SPEECH_DROP: f32 = 0.8;

/// Changes whenever the way recognized segments become turns (or the recognizer
/// settings callqa fixes, such as the encoder context) change, so cached
/// transcripts made the old way are not reused.
pub const TURN_FORMAT_VERSION: u32 = 11;

/// Longest stretch of packed speech sent to the recognizer at once, seconds: under
/// Whisper's 30 s window with room for the encoder-context margin, so each window
/// is one encoder pass (see [`PackedSpeech::windows`]).
pub const RECOGNIZER_WINDOW_S: f64 = 27.0;

pub use super::turns::TURN_GAP_S;

/// Nor two utterances between which the other party spoke (more than this much of
/// the other channel's speech lies in the gap), so the transcript reads as the
/// conversation went.
pub const OTHER_SPEECH_S: f64 = 0.1;

/// Transcribes and measures one call; see the module docs. The audio is streamed
/// twice: once to find the speech of each channel, once to cut the recognizer
/// windows from it.
pub fn transcribe_call(
    spec: &CallSpec,
    audio: &dyn CallAudio,
    transcriber: &dyn Transcriber,
) -> Result<Interaction, CallError> {
    let vad = VadConfig::default();
    let n = audio.channel_count();
    let layout = match spec.layout {
        // --channels (or an empty manifest cell) describes stereo files; a file
        // with one channel is mono whatever it says.
        _ if n == 1 && !spec.layout_given => ChannelLayout::Mono,
        given => given,
    };
    let mut sources = match layout {
        ChannelLayout::Mono => vec![(Source::Downmix, Speaker::Unknown)],
        _ if n < 2 => {
            return Err(CallError::NotStereo {
                file: spec.source.clone(),
                layout,
                channels: n,
            })
        }
        _ if n > 2 => {
            return Err(CallError::TooManyChannels {
                file: spec.source.clone(),
                channels: n,
            })
        }
        ChannelLayout::AgentLeft => vec![
            (Source::Channel(0), Speaker::Agent),
            (Source::Channel(1), Speaker::Customer),
        ],
        ChannelLayout::AgentRight => vec![
            (Source::Channel(1), Speaker::Agent),
            (Source::Channel(0), Speaker::Customer),
        ],
    };

    // Pass 1: speech regions per channel (and, mono, what the voices sound like).
    let mut vads: Vec<StreamingVad> = sources.iter().map(|_| StreamingVad::new(&vad)).collect();
    let mut voice = (layout == ChannelLayout::Mono).then(StreamingVoice::new);
    let mut mix = Vec::new();
    let mut samples = 0;
    audio.stream(&mut |block| {
        for ((source, _), v) in sources.iter().zip(&mut vads) {
            v.push(source.samples(block, &mut mix));
        }
        if let Some(voice) = &mut voice {
            voice.push(Source::Downmix.samples(block, &mut mix));
        }
        samples += block.first().map_or(0, |c| c.len());
    })?;
    let mut regions: Vec<Vec<(f64, f64)>> = vads.iter().map(StreamingVad::regions).collect();
    // Mono: two voices become two channels, or the reason they could not.
    let mut voices = None;
    let mut roles_reason = None;
    if let (Some(voice), [speech]) = (&voice, regions.as_slice()) {
        match two_voices(voice.cells(), speech) {
            Ok(v) => {
                sources = vec![
                    (Source::Downmix, Speaker::Agent),
                    (Source::Downmix, Speaker::Customer),
                ];
                regions = v.regions.to_vec();
                voices = Some(v.pitch_hz);
            }
            Err(why) => roles_reason = Some(format!("mono recording: {why}")),
        }
    }

    // Pass 2: the recognizer windows, cut as the audio streams past.
    let plans: Vec<ChannelPlan> = sources
        .iter()
        .zip(&regions)
        .enumerate()
        .map(|(i, (&(source, speaker), r))| {
            let others: Vec<(f64, f64)> = regions
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .flat_map(|(_, o)| o.iter().copied())
                .collect();
            ChannelPlan::new(source, samples, r, &others, speaker, spec.asr_input)
        })
        .collect();
    let mut per_channel = transcribe_channels(&plans, audio, transcriber).map_err(|e| match e {
        Failure::Audio(e) => CallError::Audio(e),
        Failure::Asr(source) => CallError::Asr {
            file: spec.source.clone(),
            source,
        },
    })?;
    let cells = voice.as_ref().map_or(&[][..], StreamingVoice::cells);
    // Mono: who is who, from the conversation (and the pitch split, if any).
    let mono = match voices {
        Some(pitch) => {
            let mut turns = std::mem::take(&mut per_channel).into_iter();
            let mut speech = std::mem::take(&mut regions).into_iter();
            let mut voice = || {
                (
                    turns.next().unwrap_or_default(),
                    speech.next().unwrap_or_default(),
                )
            };
            let pair = [voice(), voice()];
            Some(mono_roles::from_voices(
                pair,
                pitch,
                cells,
                &spec.agent_cues,
            ))
        }
        None if layout == ChannelLayout::Mono && per_channel.len() == 1 => {
            // Voices too alike to split by sound: who speaks when, and what.
            let why = roles_reason.take().unwrap_or_default();
            let speech = std::mem::take(&mut regions[0]);
            Some(mono_roles::from_conversation(
                &per_channel[0],
                speech,
                cells,
                &spec.agent_cues,
                &why,
            ))
        }
        None => None,
    };
    let roles = match mono {
        Some(read) => {
            roles_reason = Some(read.reason);
            per_channel = vec![read.turns];
            regions = read.regions;
            read.roles
        }
        None if regions.len() == 2 => Roles::Known,
        None => Roles::Unknown,
    };
    let mut per_channel = per_channel.into_iter();
    let mut turns = per_channel.next().unwrap_or_default();
    // The agent's text: the first channel's, or on a mono call whose roles were
    // read from the conversation, the turns given to the agent.
    let first_text = if turns.iter().any(|t| t.speaker == Speaker::Customer) {
        let agent: Vec<Turn> = turns
            .iter()
            .filter(|t| t.speaker == Speaker::Agent)
            .cloned()
            .collect();
        joined_text(&agent)
    } else {
        joined_text(&turns)
    };
    turns.extend(per_channel.flatten());
    let customer = regions.get(1).map(Vec::as_slice);
    let mut measured = speech_metrics(&CallSpeech {
        agent: regions.first().map_or(&[][..], Vec::as_slice),
        customer,
        agent_text: &first_text,
        duration_s: audio.duration_s(),
    });
    if roles == Roles::Inferred {
        // The two voices of one channel never overlap in their regions, so
        // talking over each other cannot be measured.
        measured.remove(INTERRUPTIONS);
    }
    turns.sort_by(|x, y| {
        x.start_s
            .total_cmp(&y.start_s)
            .then(x.end_s.total_cmp(&y.end_s))
    });

    Ok(Interaction {
        id: spec.id.clone(),
        kind: Some(InteractionKind::Call),
        source: spec.source.clone(),
        agent_id: spec.agent_id.clone(),
        started_at: spec.started_at,
        duration_s: audio.duration_s(),
        roles,
        roles_reason,
        turns,
        measured,
    })
}

/// Which audio a transcribed channel is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    /// One channel of the recording.
    Channel(usize),
    /// All channels averaged (mono layout); a mono file's only channel as it is.
    Downmix,
}

impl Source {
    /// This source's samples of a block of the recording (`mix` is scratch space
    /// for the downmix).
    fn samples<'b>(self, block: &[&'b [i16]], mix: &'b mut Vec<i16>) -> &'b [i16] {
        match (self, block) {
            (Source::Channel(i), _) => block.get(i).copied().unwrap_or(&[]),
            (Source::Downmix, []) => &[],
            (Source::Downmix, [only]) => only,
            (Source::Downmix, _) => {
                let len = block.iter().map(|c| c.len()).min().unwrap_or(0);
                let k = block.len() as i32;
                mix.clear();
                mix.extend(
                    (0..len)
                        .map(|i| (block.iter().map(|c| i32::from(c[i])).sum::<i32>() / k) as i16),
                );
                mix
            }
        }
    }
}

/// Why the second pass over a call failed.
enum Failure {
    Audio(AudioError),
    Asr(AsrError),
}

impl From<AsrError> for Failure {
    fn from(e: AsrError) -> Self {
        Failure::Asr(e)
    }
}

fn joined_text(turns: &[Turn]) -> String {
    turns
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the recognizer gets of one channel: its packed speech cut into windows.
struct ChannelPlan {
    source: Source,
    packed: PackedSpeech,
    windows: Vec<Range<usize>>,
    speaker: Speaker,
}

impl ChannelPlan {
    /// Packs the speech `regions` of the channel, `len` samples long (or all of
    /// it, for [`AsrInput::Whole`]), into windows that each hold one turn (see
    /// [`TURN_GAP_S`]; `others` is the other channel's speech); no regions,
    /// nothing to transcribe.
    fn new(
        source: Source,
        len: usize,
        regions: &[(f64, f64)],
        others: &[(f64, f64)],
        speaker: Speaker,
        input: AsrInput,
    ) -> Self {
        let whole = [(
            0.0,
            len as f64 / f64::from(crate::audio::resample::TARGET_RATE),
        )];
        let regions = if input == AsrInput::Whole && !regions.is_empty() {
            &whole[..]
        } else {
            regions
        };
        let packed = PackedSpeech::new(len, regions);
        // Both voices of a mono call in one channel are windowed the same way:
        // across a short pause the recognizer's text says whether the sentence
        // goes on (a comma) or ends, and the turns are cut at the sentence ends
        // before the roles are read (see `mono_roles`).
        let windows = turn_windows(&packed, others);
        ChannelPlan {
            source,
            packed,
            windows,
            speaker,
        }
    }

    /// The pieces of packed speech in `window`, as sample ranges from its start.
    fn pieces_in(&self, window: &Range<usize>) -> Vec<Range<usize>> {
        self.packed
            .pieces
            .iter()
            .map(|p| p.packed_range())
            .filter(|r| r.start >= window.start && r.end <= window.end)
            .map(|r| r.start - window.start..r.end - window.start)
            .collect()
    }
}

/// The recognizer windows of a channel's packed speech: whole utterances, at most
/// [`RECOGNIZER_WINDOW_S`] each, and one turn each: a window ends where the next
/// utterance is more than [`TURN_GAP_S`] away or where `others` (the other
/// channel's speech regions, seconds) has speech in between.
pub fn turn_windows(packed: &PackedSpeech, others: &[(f64, f64)]) -> Vec<Range<usize>> {
    packed.windows_split(RECOGNIZER_WINDOW_S, |a, b| {
        let (gap_start, gap_end) = (a.orig_end_s(), b.orig_start_s());
        gap_end - gap_start > TURN_GAP_S
            || others
                .iter()
                .any(|&(s, e)| s < gap_end - OTHER_SPEECH_S && e > gap_start + OTHER_SPEECH_S)
    })
}

/// Streams the recording once more, cutting the windows of every channel as it
/// goes, transcribes them several at a time (the windows of both channels of a
/// stereo call in one queue), and maps what comes back to turns on the
/// recording's time axis, per channel.
fn transcribe_channels(
    plans: &[ChannelPlan],
    audio: &dyn CallAudio,
    transcriber: &dyn Transcriber,
) -> Result<Vec<Vec<Turn>>, Failure> {
    // Window j of plan p is job first_job[p] + j.
    let first_job: Vec<usize> = plans
        .iter()
        .scan(0, |next, plan| {
            let first = *next;
            *next += plan.windows.len();
            Some(first)
        })
        .collect();
    // The speech pieces of each window, relative to its start, for recovering
    // what the recognizer skips.
    let pieces: Vec<Vec<Range<usize>>> = plans
        .iter()
        .flat_map(|plan| plan.windows.iter().map(|w| plan.pieces_in(w)))
        .collect();
    let recognize = |job: usize, samples: &[f32]| {
        let pieces = pieces.get(job).map_or(&[][..], Vec::as_slice);
        transcribe_recovering_skips(transcriber, samples, pieces, &kept_segment)
    };
    let jobs = pieces.len();
    let mut recognized = transcribe_windows(transcriber, jobs, recognize, |ready| {
        let mut fillers: Vec<WindowFiller> = plans
            .iter()
            .map(|p| WindowFiller::new(&p.packed, &p.windows))
            .collect();
        let mut position = 0;
        let mut mix = Vec::new();
        audio
            .stream(&mut |block| {
                for ((plan, filler), &first) in plans.iter().zip(&mut fillers).zip(&first_job) {
                    let samples = plan.source.samples(block, &mut mix);
                    filler.push(position, samples, &mut |j, s| ready(first + j, s));
                }
                position += block.first().map_or(0, |c| c.len());
            })
            .map_err(Failure::Audio)?;
        for (filler, &first) in fillers.into_iter().zip(&first_job) {
            filler.finish(&mut |j, s| ready(first + j, s));
        }
        Ok::<(), Failure>(())
    })?
    .into_iter();
    let mut out = Vec::with_capacity(plans.len());
    for plan in plans {
        let mut segments = Vec::new();
        for window in &plan.windows {
            let offset_s = window.start as f64 / f64::from(crate::audio::resample::TARGET_RATE);
            segments.extend(
                recognized
                    .next()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.shifted(offset_s)),
            );
        }
        let mut turns: Vec<Turn> = segments
            .iter()
            .filter(|s| kept_segment(s))
            .flat_map(|s| segment_turns(s, &plan.packed, plan.speaker))
            .collect();
        snap_to_speech(&mut turns, &plan.packed);
        out.push(turns);
    }
    Ok(out)
}

/// Whether a recognized segment becomes a turn: not rated as non-speech, not a
/// known hallucination.
fn kept_segment(s: &RecognizedSegment) -> bool {
    s.no_speech_prob <= NO_SPEECH_DROP && !crate::asr::hallucination::is_hallucination(&s.text)
}
