//! End to end: the converted Whisper base model (f16, q8_0 and bf16) loads in
//! whisper.cpp and transcribes synthetic English speech word for word.
//!
//! Needs `models/ggml-base-q8_0.bin` (or `CALLQA_MODEL`), made by `callqa model fetch`,
//! plus `espeak-ng` and `sox`. Without the model the tests return early with a note,
//! unless `CALLQA_REQUIRE_MODEL=1` (CI), where a missing model is a failure.
#![cfg(feature = "whisper")]

use callqa::model::{self, Quantization};
use callqa::reporter::CollectingReporter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

const SENTENCE: &str =
    "Thank you for calling customer service. My name is Anna. How can I help you today?";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn required() -> bool {
    std::env::var("CALLQA_REQUIRE_MODEL").is_ok_and(|v| v == "1")
}

fn missing(what: &str) -> Option<PathBuf> {
    assert!(
        !required(),
        "{what} is missing and CALLQA_REQUIRE_MODEL=1; run `cargo run --release -- model fetch`"
    );
    eprintln!("note: {what} is missing; skipping (run `cargo run --release -- model fetch`, or set CALLQA_REQUIRE_MODEL=1 to fail instead)");
    None
}

/// The default model (q8_0) as `callqa model fetch` leaves it, or `CALLQA_MODEL`.
fn default_model() -> Option<PathBuf> {
    let path = std::env::var_os("CALLQA_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo(model::DEFAULT_MODEL));
    if path.is_file() {
        Some(path)
    } else {
        missing(&path.display().to_string())
    }
}

/// The model in weight type `quant`: fetched next to the default one, or converted
/// from the download cache that `callqa model fetch` leaves behind.
fn model_in(quant: Quantization, tmp: &Path) -> Option<PathBuf> {
    let default = default_model()?;
    let dir = default.parent().unwrap_or(Path::new("."));
    let name = model::file_name(quant);
    let fetched = dir.join(name);
    if fetched.is_file() {
        return Some(fetched);
    }
    let ct2 = dir.join(".cache/whisper-base-ct2");
    if !ct2.join("model.bin").is_file() {
        return missing(&format!(
            "{} (or the CTranslate2 cache {})",
            fetched.display(),
            ct2.display()
        ));
    }
    let out = tmp.join(name);
    model::convert_dir(&ct2, &out, quant, &CollectingReporter::default()).unwrap();
    Some(out)
}

/// The sentence spoken by espeak-ng, resampled by sox to 16 kHz mono.
fn speech(tmp: &Path) -> Vec<f32> {
    let raw = tmp.join("espeak.wav");
    let wav = tmp.join("speech16k.wav");
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
    assert_eq!(reader.spec().sample_rate, 16_000);
    reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect()
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Loads `model`, transcribes `samples` greedily in English; (text, load seconds).
fn transcribe(model: &Path, samples: &[f32]) -> (String, f64) {
    whisper_rs::install_logging_hooks();
    let start = Instant::now();
    let ctx = WhisperContext::new_with_params(model, WhisperContextParameters::default())
        .unwrap_or_else(|e| panic!("whisper.cpp cannot load {}: {e}", model.display()));
    let load_s = start.elapsed().as_secs_f64();
    let mut state = ctx.create_state().unwrap();
    let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    params.set_language(Some("en"));
    params.set_n_threads(2);
    params.set_print_progress(false);
    params.set_print_realtime(false);
    params.set_print_special(false);
    params.set_print_timestamps(false);
    state.full(params, samples).unwrap();
    let text: String = state
        .as_iter()
        .map(|s| s.to_str_lossy().unwrap().into_owned())
        .collect();
    (text, load_s)
}

fn check(model: &Path, tmp: &Path) {
    let size = std::fs::metadata(model).unwrap().len();
    let (text, load_s) = transcribe(model, &speech(tmp));
    eprintln!(
        "{}: {:.1} MiB, loaded in {load_s:.2} s, heard {text:?}",
        model.display(),
        size as f64 / 1048576.0
    );
    assert_eq!(words(&text), words(SENTENCE), "transcript: {text:?}");
}

fn transcribes_in(quant: Quantization) {
    let tmp = tempfile::tempdir().unwrap();
    let Some(model) = model_in(quant, tmp.path()) else {
        return;
    };
    let info = model::info(&model).unwrap();
    assert_eq!(info.ftype_name(), quant.to_string(), "{}", model.display());
    check(&model, tmp.path());
}

#[test]
fn f16_base_model_transcribes_english_speech() {
    transcribes_in(Quantization::F16);
}

#[test]
fn q8_0_base_model_transcribes_english_speech() {
    transcribes_in(Quantization::Q8_0);
}

#[test]
fn bf16_base_model_transcribes_english_speech() {
    transcribes_in(Quantization::Bf16);
}

#[test]
fn fetched_model_header_is_whisper_base() {
    let Some(model) = default_model() else { return };
    let info = model::info(&model).unwrap();
    let h = info.hparams;
    assert_eq!(
        (
            h.n_vocab,
            h.n_audio_state,
            h.n_audio_layer,
            h.n_text_layer,
            h.n_mels
        ),
        (51865, 512, 6, 6, 80)
    );
    assert_eq!((info.n_vocab_tokens, info.tensors.len()), (50257, 245));
}
