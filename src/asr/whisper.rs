//! Speech recognition with whisper.cpp (through whisper-rs): one model loaded once
//! and shared, decoding states pooled (at most one per core, reused window after
//! window) so windows can be transcribed in parallel, token timings for locating
//! matches in the audio, and whisper's well-known habit of inventing text for
//! silence filtered out.

use super::core_share::{CoreShare, QueuedWindows};
use super::{AsrError, RecognizedSegment, RecognizedToken, Transcriber};
use std::path::Path;
use std::sync::Mutex;
use webrtc_vad::{SampleRate, Vad, VadMode};
use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

/// Audio shorter than this is not handed to whisper.cpp (it refuses < 100 ms).
const MIN_SAMPLES: usize = 1_600;
/// whisper.cpp timestamps are in centiseconds.
const TICK_S: f64 = 0.01;
/// Voice activity is judged on 30 ms frames.
const VAD_FRAME: usize = 480;
/// Whisper's segment times are loose; look this far around a segment for voice.
const VAD_SLACK_S: f64 = 0.5;

/// How whisper.cpp is run. Every field goes into [`Transcriber::fingerprint`].
#[derive(Debug, Clone, PartialEq)]
pub struct WhisperSettings {
    /// Spoken language, as a whisper code ("zh", "en", ...).
    pub language: String,
    /// CPU cores whisper.cpp may use in all; transcriptions running at the same
    /// time share them window by window ([`CoreShare`]).
    pub cores: usize,
    /// Most threads for one transcription window.
    pub max_threads: usize,
    /// Text the decoder sees as preceding context. Keep it neutral (domain
    /// vocabulary, script choice): whisper tends to repeat phrases put here, so
    /// never list the phrases the rules look for.
    pub initial_prompt: Option<String>,
    /// Segments whose no-speech probability is at least this are dropped.
    pub no_speech_threshold: f32,
    /// Segments with less voiced audio than this (WebRTC VAD, around the segment's
    /// times) are dropped, and clips with less are not decoded at all: whisper
    /// invents text such as "you" for silence and gives it a low no-speech
    /// probability, so that probability alone does not catch it. 0 disables.
    pub min_voiced_seconds: f32,
    /// Temperature step for whisper's fallback when greedy decoding fails its
    /// quality checks; 0 disables fallback.
    pub temperature_increment: f32,
    /// Suppress non-speech tokens such as `(music)` or `[applause]`.
    pub suppress_non_speech: bool,
    /// Use whisper.cpp's flash attention kernels.
    pub flash_attn: bool,
    /// Condition each 30 s window on the text of the one before (whisper.cpp's
    /// default). Off: windows are decoded independently, with only the initial
    /// prompt; on a 198 s clip feeding the previous text back cost 1,686 prompt
    /// tokens, 4.4 s of 26 s, and it is also how Whisper's repetition loops spread.
    pub condition_on_previous_text: bool,
}

impl Default for WhisperSettings {
    fn default() -> Self {
        WhisperSettings {
            language: "zh".to_string(),
            cores: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_threads: 4,
            initial_prompt: Some("客服电话录音。".to_string()),
            no_speech_threshold: 0.6,
            min_voiced_seconds: 0.1,
            temperature_increment: 0.2,
            suppress_non_speech: true,
            flash_attn: false,
            condition_on_previous_text: false,
        }
    }
}

/// A whisper.cpp model ready to transcribe.
pub struct WhisperTranscriber {
    context: WhisperContext,
    /// Decoding states not in use. A window takes one (or makes one) once it
    /// holds its cores and puts it back before it gives them up, so there are
    /// never more states than cores, each reused window after window.
    idle_states: Mutex<Vec<WhisperState>>,
    cores: CoreShare,
    settings: WhisperSettings,
    fingerprint: String,
    /// Token ids from here on are special (end of text, languages, timestamps).
    first_special: i32,
}

impl WhisperTranscriber {
    /// Loads the ggml model at `model`.
    pub fn new(model: &Path, settings: WhisperSettings) -> Result<Self, AsrError> {
        let load_error = |reason: String| AsrError::ModelLoad {
            path: model.display().to_string(),
            reason,
        };
        if !model.is_file() {
            return Err(load_error("no such file".to_string()));
        }
        // Route whisper.cpp's own logging away from stderr: the library never prints.
        whisper_rs::install_logging_hooks();
        let model_hash = hash_file(model).map_err(|e| load_error(e.to_string()))?;
        let mut params = WhisperContextParameters::default();
        params.flash_attn(settings.flash_attn);
        let context = WhisperContext::new_with_params(model, params).map_err(|e| {
            load_error(format!(
                "whisper.cpp rejected it ({e}); is it a ggml Whisper model?"
            ))
        })?;
        let first_special = context.token_eot();
        let fingerprint = fingerprint_of(&model_hash, &settings);
        Ok(WhisperTranscriber {
            context,
            idle_states: Mutex::new(Vec::new()),
            cores: CoreShare::new(settings.cores, settings.max_threads),
            settings,
            fingerprint,
            first_special,
        })
    }

    pub fn settings(&self) -> &WhisperSettings {
        &self.settings
    }

    fn params(&self) -> FullParams<'_, '_> {
        let s = &self.settings;
        let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        p.set_language(Some(&s.language));
        if let Some(prompt) = &s.initial_prompt {
            p.set_initial_prompt(prompt);
        }
        p.set_no_context(!s.condition_on_previous_text);
        p.set_no_speech_thold(s.no_speech_threshold);
        p.set_temperature_inc(s.temperature_increment);
        p.set_suppress_nst(s.suppress_non_speech);
        p.set_token_timestamps(true);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_special(false);
        p.set_print_timestamps(false);
        p
    }

    /// The segments of the window `state` has just transcribed, without those
    /// that are probably not speech.
    fn segments(
        &self,
        state: &WhisperState,
        samples_16k: &[f32],
        voiced: &[bool],
    ) -> Result<Vec<RecognizedSegment>, AsrError> {
        let gate = f64::from(self.settings.min_voiced_seconds);
        let audio_s = samples_16k.len() as f64 / 16_000.0;
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            let no_speech_prob = segment.no_speech_probability();
            if no_speech_prob >= self.settings.no_speech_threshold {
                continue;
            }
            let start_s = (segment.start_timestamp() as f64 * TICK_S).clamp(0.0, audio_s);
            let end_s = (segment.end_timestamp() as f64 * TICK_S).clamp(start_s, audio_s);
            if gate > 0.0
                && voiced_seconds(voiced, start_s - VAD_SLACK_S, end_s + VAD_SLACK_S) < gate
            {
                continue;
            }
            let mut raw = Vec::new();
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else {
                    continue;
                };
                if token.token_id() >= self.first_special {
                    continue;
                }
                let data = token.token_data();
                let bytes = token.to_bytes().map_err(whisper_failed)?.to_vec();
                raw.push(RawToken {
                    bytes,
                    start_s: data.t0 as f64 * TICK_S,
                    end_s: data.t1 as f64 * TICK_S,
                });
            }
            let tokens = timed_tokens(raw, start_s, end_s);
            let text: String = tokens.iter().map(|t| t.text.as_str()).collect();
            if text.trim().is_empty() {
                continue;
            }
            segments.push(RecognizedSegment {
                start_s,
                end_s,
                text,
                tokens,
                no_speech_prob,
            });
        }
        Ok(segments)
    }
}

impl Transcriber for WhisperTranscriber {
    fn transcribe(&self, samples_16k: &[f32]) -> Result<Vec<RecognizedSegment>, AsrError> {
        if samples_16k.len() < MIN_SAMPLES {
            return Ok(Vec::new());
        }
        let gate = f64::from(self.settings.min_voiced_seconds);
        let voiced = if gate > 0.0 {
            voiced_frames(samples_16k)
        } else {
            Vec::new()
        };
        if gate > 0.0 && voiced_seconds(&voiced, 0.0, f64::INFINITY) < gate {
            return Ok(Vec::new());
        }
        // The lease comes first: a state holds its own compute buffers (tens of
        // MB), so only windows that have cores to run on use one.
        let lease = self.cores.lease();
        let idle = self
            .idle_states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let mut state = match idle {
            Some(state) => state,
            None => self.context.create_state().map_err(whisper_failed)?,
        };
        let mut params = self.params();
        if let Some(ctx) = audio_ctx_for(samples_16k.len()) {
            params.set_audio_ctx(ctx);
        }
        params.set_n_threads(lease.threads() as i32);
        state.full(params, samples_16k).map_err(whisper_failed)?;
        let segments = self.segments(&state, samples_16k, &voiced);
        self.idle_states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(state);
        drop(lease);
        segments
    }

    fn parallel_windows(&self) -> usize {
        self.cores.cores()
    }

    fn queue_windows(&self, windows: usize) -> QueuedWindows<'_> {
        self.cores.queue_windows(windows)
    }

    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
}

fn whisper_failed(e: whisper_rs::WhisperError) -> AsrError {
    AsrError::Recognition(format!("whisper.cpp: {e}"))
}

/// Whether each 30 ms frame of 16 kHz audio holds voice, by WebRTC's VAD.
fn voiced_frames(samples: &[f32]) -> Vec<bool> {
    let mut vad = Vad::new_with_rate_and_mode(SampleRate::Rate16kHz, VadMode::Aggressive);
    let mut pcm = vec![0i16; VAD_FRAME];
    samples
        .chunks_exact(VAD_FRAME)
        .map(|frame| {
            for (p, &x) in pcm.iter_mut().zip(frame) {
                *p = (x.clamp(-1.0, 1.0) * 32767.0) as i16;
            }
            // A frame the VAD cannot judge counts as voice: never drop real speech.
            vad.is_voice_segment(&pcm).unwrap_or(true)
        })
        .collect()
}

/// Seconds of voiced frames between `from_s` and `to_s`.
fn voiced_seconds(frames: &[bool], from_s: f64, to_s: f64) -> f64 {
    let frame_s = VAD_FRAME as f64 / 16_000.0;
    let first = (from_s.max(0.0) / frame_s).floor() as usize;
    let last = ((to_s / frame_s).ceil().min(frames.len() as f64)) as usize;
    frames
        .get(first..last.max(first))
        .map_or(0, |f| f.iter().filter(|&&v| v).count()) as f64
        * frame_s
}

fn hash_file(path: &Path) -> std::io::Result<blake3::Hash> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(std::fs::File::open(path)?)?;
    Ok(hasher.finalize())
}

/// `whisper-<model>-<settings>`, both as blake3 prefixes.
fn fingerprint_of(model_hash: &blake3::Hash, settings: &WhisperSettings) -> String {
    let settings_hash = blake3::hash(format!("{settings:?}").as_bytes());
    format!(
        "whisper-{}-{}",
        &model_hash.to_hex()[..16],
        &settings_hash.to_hex()[..16]
    )
}

/// A token as whisper.cpp reports it: possibly only part of a UTF-8 character.
struct RawToken {
    bytes: Vec<u8>,
    start_s: f64,
    end_s: f64,
}

/// Joins tokens until their bytes form whole characters, trims the segment's
/// leading space, and makes times non-decreasing and inside `start_s..=end_s`.
fn timed_tokens(raw: Vec<RawToken>, start_s: f64, end_s: f64) -> Vec<RecognizedToken> {
    let mut out: Vec<RecognizedToken> = Vec::new();
    let mut pending: Option<RawToken> = None;
    let emit = |t: RawToken, out: &mut Vec<RecognizedToken>| {
        let text = String::from_utf8_lossy(&t.bytes).into_owned();
        let text = if out.is_empty() {
            text.trim_start().to_string()
        } else {
            text
        };
        if !text.is_empty() {
            out.push(RecognizedToken {
                text,
                start_s: t.start_s,
                end_s: t.end_s,
            });
        }
    };
    for token in raw {
        let joined = match pending.take() {
            Some(mut p) => {
                p.bytes.extend(token.bytes);
                p.end_s = token.end_s;
                p
            }
            None => token,
        };
        match std::str::from_utf8(&joined.bytes) {
            // Ends inside a character: wait for the token holding the rest.
            Err(e) if e.error_len().is_none() => pending = Some(joined),
            _ => emit(joined, &mut out),
        }
    }
    if let Some(p) = pending {
        emit(p, &mut out);
    }
    let mut last = start_s;
    for t in &mut out {
        t.start_s = t.start_s.clamp(last, end_s);
        t.end_s = t.end_s.clamp(t.start_s, end_s);
        last = t.start_s;
    }
    out
}

/// Encoder context for a buffer shorter than Whisper's 30 s window: the encoder's
/// cost is proportional to its context, and VAD-packed channels are usually well
/// under 30 s. A margin keeps the end of the speech away from the cut-off. The
/// context is a multiple of 16 frames: ggml's fast matrix kernels (llamafile's
/// tinyBLAS) take the attention products only when their inner dimension is, and
/// otherwise fall back to one dot product per element, which took 31 % of the
/// 198 s clip's time (Whisper's own 1,500 is not a multiple, so a window near 30 s
/// still gets 1,488).
fn audio_ctx_for(samples: usize) -> Option<i32> {
    const FULL_CTX: usize = 1500;
    const MARGIN: usize = 128;
    const KERNEL_STEP: usize = 16;
    let needed = samples * FULL_CTX / (30 * 16_000) + MARGIN;
    let ctx = needed.div_ceil(KERNEL_STEP) * KERNEL_STEP;
    (ctx < FULL_CTX).then_some(ctx as i32)
}

#[cfg(test)]
mod tests {
    #[test]
    fn audio_ctx_shrinks_only_for_buffers_under_30_s() {
        assert_eq!(super::audio_ctx_for(16_000 * 10), Some(640)); // 500 + 128, up to 16s
        assert_eq!(super::audio_ctx_for(16_000 * 27), Some(1488)); // 1350 + 128 -> 1488
        assert_eq!(super::audio_ctx_for(16_000 * 29), None);
        assert_eq!(super::audio_ctx_for(16_000 * 60), None);
    }

    #[test]
    fn audio_ctx_is_a_kernel_multiple_that_covers_the_audio_and_margin() {
        for samples in (1_600..16_000 * 31).step_by(160) {
            let frames = samples * 1500 / (30 * 16_000);
            match super::audio_ctx_for(samples) {
                Some(ctx) => {
                    let ctx = ctx as usize;
                    assert_eq!(ctx % 16, 0, "{samples} samples: {ctx}");
                    assert!(ctx >= frames + 128 && ctx < 1500, "{samples}: {ctx}");
                }
                None => assert!(frames + 128 > 1488, "{samples} samples left at 1500"),
            }
        }
    }

    use super::*;

    fn raw(bytes: &[u8], t0: f64, t1: f64) -> RawToken {
        RawToken {
            bytes: bytes.to_vec(),
            start_s: t0,
            end_s: t1,
        }
    }

    #[test]
    fn partial_utf8_tokens_are_merged_into_characters() {
        let ni = "你".as_bytes();
        let tokens = timed_tokens(
            vec![
                raw(b" ", 0.0, 0.1),
                raw(&ni[..2], 0.1, 0.2),
                raw(&ni[2..], 0.2, 0.3),
                raw("好".as_bytes(), 0.3, 0.5),
            ],
            0.0,
            1.0,
        );
        let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            vec!["你", "好"],
            "leading space trimmed, halves joined"
        );
        assert_eq!((tokens[0].start_s, tokens[0].end_s), (0.1, 0.3));
    }

    #[test]
    fn dangling_partial_character_is_kept_lossily() {
        let tokens = timed_tokens(
            vec![raw(b"ok", 0.0, 0.1), raw(&[0xe4, 0xbd], 0.1, 0.2)],
            0.0,
            1.0,
        );
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[1].text, "\u{fffd}");
    }

    #[test]
    fn times_are_monotone_and_inside_the_segment() {
        let tokens = timed_tokens(
            vec![
                raw(b" a", -0.5, 0.2),
                raw(b" b", 0.9, 0.4),
                raw(b" c", 0.3, 7.0),
            ],
            0.0,
            2.0,
        );
        let times: Vec<(f64, f64)> = tokens.iter().map(|t| (t.start_s, t.end_s)).collect();
        assert_eq!(times, vec![(0.0, 0.2), (0.9, 0.9), (0.9, 2.0)]);
    }

    #[test]
    fn voice_gate_hears_a_vowel_but_not_silence() {
        let silence = vec![0.0f32; 16_000];
        assert_eq!(
            voiced_seconds(&voiced_frames(&silence), 0.0, f64::INFINITY),
            0.0
        );
        // A harmonic-rich 150 Hz "vowel" for one second, after one second of silence.
        let mut clip = silence.clone();
        clip.extend((0..16_000).map(|i| {
            let t = i as f32 / 16_000.0;
            (1..=10)
                .map(|h| (2.0 * std::f32::consts::PI * 150.0 * h as f32 * t).sin() / h as f32)
                .sum::<f32>()
                * 0.2
        }));
        let frames = voiced_frames(&clip);
        assert!(voiced_seconds(&frames, 1.0, 2.0) > 0.5);
        assert!(voiced_seconds(&frames, 0.0, 0.9) < 0.1);
    }

    #[test]
    fn fingerprint_changes_with_settings() {
        let hash = blake3::hash(b"model");
        let a = fingerprint_of(&hash, &WhisperSettings::default());
        let b = fingerprint_of(
            &hash,
            &WhisperSettings {
                language: "en".into(),
                ..WhisperSettings::default()
            },
        );
        assert_ne!(a, b);
        assert_eq!(a, fingerprint_of(&hash, &WhisperSettings::default()));
        assert!(a.starts_with("whisper-"));
    }

    #[test]
    fn missing_model_says_what_to_do() {
        let err = WhisperTranscriber::new(
            Path::new("/nonexistent/ggml.bin"),
            WhisperSettings::default(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("/nonexistent/ggml.bin") && err.contains("callqa model fetch"),
            "{err}"
        );
    }
}
