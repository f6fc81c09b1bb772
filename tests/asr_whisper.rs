//! The whisper.cpp transcriber through the `Transcriber` trait: English speech comes
//! back word for word with sane token times, silence and faint noise come back
//! empty, and one transcriber serves several rayon workers at once.
//!
//! Needs the model from `callqa model fetch` (or `CALLQA_MODEL`), espeak-ng and sox;
//! without the model the test returns early with a note unless
//! `CALLQA_REQUIRE_MODEL=1`.
#![cfg(feature = "whisper")]

use callqa::asr::whisper::{WhisperSettings, WhisperTranscriber};
use callqa::asr::{RecognizedSegment, Transcriber};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const SENTENCE: &str =
    "Thank you for calling customer service. My name is Anna. How can I help you today?";

fn model() -> Option<PathBuf> {
    let path = std::env::var_os("CALLQA_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(callqa::model::DEFAULT_MODEL)
        });
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var("CALLQA_REQUIRE_MODEL").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{} is missing and CALLQA_REQUIRE_MODEL=1; run `cargo run --release -- model fetch`",
        path.display()
    );
    eprintln!(
        "note: {} is missing; skipping (run `cargo run --release -- model fetch`)",
        path.display()
    );
    None
}

fn speech(tmp: &Path) -> Vec<f32> {
    let (raw, wav) = (tmp.join("espeak.wav"), tmp.join("speech16k.wav"));
    let ok = Command::new("espeak-ng")
        .args(["-v", "en-us", "-w"])
        .arg(&raw)
        .arg(SENTENCE)
        .status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "espeak-ng failed or is missing (apt-get install espeak-ng)"
    );
    let ok = Command::new("sox")
        .arg(&raw)
        .args(["-r", "16000", "-c", "1", "-b", "16"])
        .arg(&wav)
        .status();
    assert!(
        ok.is_ok_and(|s| s.success()),
        "sox failed or is missing (apt-get install sox)"
    );
    let mut reader = hound::WavReader::open(&wav).unwrap();
    reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect()
}

/// Uniform white noise at about -50 dBFS RMS, from a fixed-seed generator.
fn faint_noise(n: usize) -> Vec<f32> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ((x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * 0.005
        })
        .collect()
}

fn words(text: &str) -> Vec<String> {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().map(str::to_string).collect()
}

#[test]
fn transcribes_speech_and_ignores_silence_from_parallel_workers() {
    let Some(model) = model() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let settings = WhisperSettings {
        language: "en".into(),
        initial_prompt: None,
        cores: 1,
        ..Default::default()
    };
    let transcriber = WhisperTranscriber::new(&model, settings).unwrap();
    assert!(transcriber.fingerprint().starts_with("whisper-"));

    let speech = speech(tmp.path());
    let clips: Vec<(&str, Vec<f32>)> = vec![
        ("speech", speech.clone()),
        ("zeros", vec![0.0; 5 * 16_000]),
        ("noise", faint_noise(5 * 16_000)),
    ];
    let results: Vec<(&str, Vec<RecognizedSegment>)> = clips
        .par_iter()
        .map(|(name, samples)| (*name, transcriber.transcribe(samples).unwrap()))
        .collect();

    let audio_s = speech.len() as f64 / 16_000.0;
    for (name, segments) in results {
        if name != "speech" {
            assert!(segments.is_empty(), "{name} gave {segments:?}");
            continue;
        }
        let text: String = segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(words(&text), words(SENTENCE), "heard {text:?}");
        let mut last = 0.0;
        for segment in &segments {
            assert!(segment.no_speech_prob < 0.6, "{segment:?}");
            assert!(segment.start_s <= segment.end_s && segment.end_s <= audio_s + 1e-9);
            let joined: String = segment.tokens.iter().map(|t| t.text.as_str()).collect();
            assert_eq!(joined, segment.text, "segment text is its tokens' text");
            for token in &segment.tokens {
                assert!(
                    token.start_s >= last && token.start_s <= token.end_s,
                    "{token:?} after {last}"
                );
                assert!(
                    token.end_s <= audio_s + 1e-9,
                    "{token:?} ends after the audio ({audio_s} s)"
                );
                assert!(
                    !token.text.starts_with("[_") && !token.text.starts_with("<|"),
                    "special token {token:?}"
                );
                last = token.start_s;
            }
        }
        let n_tokens: usize = segments.iter().map(|s| s.tokens.len()).sum();
        assert!(n_tokens >= 15, "only {n_tokens} tokens");
    }
}
