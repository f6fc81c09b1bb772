//! Every decoder path (PCM 8/16/24/32, float, extensible, mu-law, A-law, 8 kHz,
//! 44.1 kHz, stereo) and every broken-file case, on WAV bytes built in the test.

use callqa::audio::{decode_bytes, decode_file, AudioProblem, DecodedAudio};
use std::f64::consts::PI;
use std::io::Cursor;

const FREQ: f64 = 440.0;

fn sine(rate: u32, seconds: f64) -> Vec<f64> {
    (0..(f64::from(rate) * seconds) as usize)
        .map(|i| 0.5 * (2.0 * PI * FREQ * i as f64 / f64::from(rate)).sin())
        .collect()
}

/// A WAV written by hound with the given sample format; `samples` are interleaved.
fn hound_wav(channels: u16, rate: u32, bits: u16, float: bool, samples: &[f64]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut cursor = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
    let full = f64::from(1u32 << (bits - 1)) - 1.0;
    for &s in samples {
        if float {
            w.write_sample(s as f32).unwrap();
        } else if bits == 8 {
            w.write_sample((s * full) as i8).unwrap();
        } else {
            w.write_sample((s * full) as i32).unwrap();
        }
    }
    w.finalize().unwrap();
    cursor.into_inner()
}

/// A WAV with a hand-made header: `tag`, channels, rate, bits, raw data.
fn raw_wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
    let block = channels * (bits / 8);
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    fmt.extend_from_slice(&0u16.to_le_bytes()); // cbSize
    let mut body = b"WAVE".to_vec();
    body.extend_from_slice(b"fmt ");
    body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    body.extend_from_slice(&fmt);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// A WAVE_FORMAT_EXTENSIBLE file: sub-format `tag`, `container` bits per sample
/// of which `valid` carry audio (left-justified, as the format specifies).
fn ext_wav(tag: u16, channels: u16, rate: u32, container: u16, valid: u16, data: &[u8]) -> Vec<u8> {
    let block = channels * (container / 8);
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&0xFFFEu16.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&container.to_le_bytes());
    fmt.extend_from_slice(&22u16.to_le_bytes());
    fmt.extend_from_slice(&valid.to_le_bytes());
    fmt.extend_from_slice(&0u32.to_le_bytes()); // channel mask
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&[0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    let mut body = b"WAVE".to_vec();
    body.extend_from_slice(b"fmt ");
    body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    body.extend_from_slice(&fmt);
    // An odd-length chunk (with its pad byte) before the data, as LIST chunks often are.
    body.extend_from_slice(b"LIST\x03\x00\x00\x00abc\x00");
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// ITU-T G.711 mu-law compression of a 16-bit sample.
fn mulaw(sample: i16) -> u8 {
    let mut x = i32::from(sample);
    let sign = if x < 0 { 0x80 } else { 0 };
    if x < 0 {
        x = -x;
    }
    x = x.min(32635) + 0x84;
    let exponent = (0..8).rev().find(|e| x & (0x80 << e) != 0).unwrap_or(0);
    let mantissa = (x >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// ITU-T G.711 A-law compression of a 16-bit sample.
fn alaw(sample: i16) -> u8 {
    let mut x = i32::from(sample);
    let sign = if x >= 0 { 0x80 } else { 0 };
    if x < 0 {
        x = -x - 1;
    }
    x = x.min(32767);
    let code = if x < 256 {
        (x >> 4) as u8
    } else {
        let exponent = (1..8).rev().find(|e| x & (0x80 << e) != 0).unwrap_or(1);
        ((exponent << 4) | ((x >> (exponent + 3)) & 0x0F)) as u8
    };
    (sign | code) ^ 0x55
}

/// Channel `ch` as the recognizer sees it.
fn f32s(audio: &DecodedAudio, ch: usize) -> Vec<f32> {
    audio.channels[ch]
        .iter()
        .map(|&s| callqa::audio::sample_to_f32(s))
        .collect()
}

/// Checks a decoded 440 Hz, 0.5-amplitude sine on channel `ch`.
fn assert_sine(audio: &DecodedAudio, ch: usize, seconds: f64, what: &str) {
    let s = &f32s(audio, ch);
    assert!(
        (audio.duration_s - seconds).abs() < 1e-3,
        "{what}: duration {}",
        audio.duration_s
    );
    assert_eq!(
        s.len(),
        (seconds * 16_000.0).round() as usize,
        "{what}: length"
    );
    let mid = &s[s.len() / 10..s.len() * 9 / 10];
    let crossings = mid
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    let freq = crossings as f64 / 2.0 / (mid.len() as f64 / 16_000.0);
    assert!((freq - FREQ).abs() < 3.0, "{what}: {freq} Hz");
    let peak = mid.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    assert!((peak - 0.5).abs() < 0.03, "{what}: peak {peak}");
}

#[test]
fn pcm_integer_widths() {
    for bits in [8u16, 16, 24, 32] {
        let audio = decode_bytes(&hound_wav(1, 16_000, bits, false, &sine(16_000, 0.5))).unwrap();
        assert_eq!(audio.source_format, format!("pcm{bits}"));
        assert_eq!(audio.source_rate, 16_000);
        assert_eq!(audio.channels.len(), 1);
        assert_sine(&audio, 0, 0.5, &format!("pcm{bits}"));
    }
}

#[test]
fn float32_and_clipping() {
    let audio = decode_bytes(&hound_wav(1, 16_000, 32, true, &sine(16_000, 0.5))).unwrap();
    assert_eq!(audio.source_format, "float32");
    assert_sine(&audio, 0, 0.5, "float32");
    // Out-of-range floats are clamped to [-1, 1], non-finite ones become silence.
    let mut wild = sine(16_000, 0.1);
    wild[10] = 5.0;
    wild[11] = f64::NAN;
    wild[12] = f64::NEG_INFINITY;
    wild[13] = -7.0;
    let audio = decode_bytes(&hound_wav(1, 16_000, 32, true, &wild)).unwrap();
    assert_eq!(audio.channels[0][10..14], [32767, 0, 0, -32767]);
}

#[test]
fn extensible_header_from_hound() {
    // hound writes WAVE_FORMAT_EXTENSIBLE for more than two channels and 24 bits.
    let frames = sine(8_000, 0.5);
    let interleaved: Vec<f64> = frames.iter().flat_map(|&s| [s, 0.0, -s]).collect();
    let bytes = hound_wav(3, 8_000, 24, false, &interleaved);
    assert_eq!(
        u16::from_le_bytes([bytes[20], bytes[21]]),
        0xFFFE,
        "test needs an extensible header"
    );
    let audio = decode_bytes(&bytes).unwrap();
    assert_eq!(audio.channels.len(), 3);
    assert_sine(&audio, 0, 0.5, "extensible ch0");
    assert_sine(&audio, 2, 0.5, "extensible ch2");
    assert!(f32s(&audio, 1).iter().all(|s| s.abs() < 1e-3));
}

#[test]
fn extensible_24_in_32_and_mulaw_after_an_odd_chunk() {
    let wave = sine(8_000, 0.5);
    let data: Vec<u8> = wave
        .iter()
        .flat_map(|&s| (((s * 8_388_607.0) as i32) << 8).to_le_bytes())
        .collect();
    let audio = decode_bytes(&ext_wav(1, 1, 8_000, 32, 24, &data)).unwrap();
    assert_eq!(audio.source_format, "pcm24");
    assert_sine(&audio, 0, 0.5, "24 in 32");

    let data: Vec<u8> = wave.iter().map(|&s| mulaw((s * 32767.0) as i16)).collect();
    let audio = decode_bytes(&ext_wav(7, 1, 8_000, 8, 8, &data)).unwrap();
    assert_eq!(audio.source_format, "mulaw");
    assert_sine(&audio, 0, 0.5, "extensible mu-law");
}

#[test]
fn mulaw_and_alaw_8k_stereo() {
    let left = sine(8_000, 1.0);
    for (tag, name) in [(7u16, "mulaw"), (6, "alaw")] {
        let data: Vec<u8> = left
            .iter()
            .flat_map(|&s| {
                let pcm = (s * 32767.0) as i16;
                if tag == 7 {
                    [mulaw(pcm), mulaw(0)]
                } else {
                    [alaw(pcm), alaw(0)]
                }
            })
            .collect();
        let audio = decode_bytes(&raw_wav(tag, 2, 8_000, 8, &data)).unwrap();
        assert_eq!(audio.source_format, name);
        assert_eq!(audio.source_rate, 8_000);
        assert_eq!(audio.channels.len(), 2);
        assert_sine(&audio, 0, 1.0, name);
        assert!(
            f32s(&audio, 1).iter().all(|s| s.abs() < 0.01),
            "{name}: right channel not silent"
        );
    }
}

#[test]
fn rates_8k_and_44k_stereo_pcm() {
    for rate in [8_000u32, 44_100] {
        let frames = sine(rate, 0.5);
        let interleaved: Vec<f64> = frames.iter().flat_map(|&s| [0.0, s]).collect();
        let audio = decode_bytes(&hound_wav(2, rate, 16, false, &interleaved)).unwrap();
        assert_eq!(audio.source_rate, rate);
        assert_eq!(audio.channels.len(), 2);
        assert_sine(&audio, 1, 0.5, &format!("{rate} Hz right"));
        assert!(
            f32s(&audio, 0).iter().all(|s| s.abs() < 1e-3),
            "{rate} Hz: left channel not silent"
        );
    }
}

#[test]
fn decode_file_reads_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("call.wav");
    std::fs::write(&good, hound_wav(1, 16_000, 16, false, &sine(16_000, 0.5))).unwrap();
    assert_sine(&decode_file(&good).unwrap(), 0, 0.5, "file");

    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "call notes, not audio\n").unwrap();
    let err = decode_file(&text).unwrap_err();
    assert_eq!(err.problem, AudioProblem::NotWav);
    let message = err.to_string();
    assert!(
        message.contains("notes.wav") && message.contains("not a WAV file"),
        "{message}"
    );
    assert!(!message.contains('\n'));

    let missing = decode_file(&dir.path().join("missing.wav")).unwrap_err();
    assert!(matches!(missing.problem, AudioProblem::Io(_)), "{missing}");
}

fn problem(bytes: &[u8]) -> AudioProblem {
    decode_bytes(bytes).unwrap_err().problem
}

fn set_u16(bytes: &mut [u8], at: usize, v: u16) {
    bytes[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn set_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Offsets in a canonical 44-byte-header PCM file from hound.
const CHANNELS: usize = 22;
const RATE: usize = 24;
const BLOCK_ALIGN: usize = 32;
const BITS: usize = 34;
const DATA_LEN: usize = 40;

fn good16() -> Vec<u8> {
    let bytes = hound_wav(1, 8_000, 16, false, &sine(8_000, 0.1));
    assert_eq!(&bytes[36..40], b"data");
    bytes
}

#[test]
fn empty_and_non_wav_inputs() {
    assert_eq!(problem(&[]), AudioProblem::EmptyFile);
    assert_eq!(problem(b"RIFF"), AudioProblem::NotWav);
    assert_eq!(
        problem(b"ID3\x04\x00\x00\x00\x00\x00\x00 an mp3 pretending"),
        AudioProblem::NotWav
    );
    assert_eq!(
        problem(b"RIFF\x10\x00\x00\x00AVI LIST"),
        AudioProblem::NotWav
    );
    // RIFF/WAVE with no chunks at all.
    assert!(matches!(
        problem(b"RIFF\x04\x00\x00\x00WAVE"),
        AudioProblem::Malformed(_)
    ));
}

#[test]
fn truncated_and_empty_data() {
    let good = good16();
    let cut = &good[..good.len() - 100];
    assert_eq!(
        problem(cut),
        AudioProblem::Truncated {
            declared: 1600,
            present: 1500
        }
    );
    // Header cut inside the fmt chunk.
    assert!(matches!(problem(&good[..30]), AudioProblem::Malformed(_)));
    // Header only: data chunk of length 0.
    let mut empty = good[..44].to_vec();
    set_u32(&mut empty, DATA_LEN, 0);
    assert_eq!(problem(&empty), AudioProblem::NoSamples);
    // A data chunk that ends in half a frame.
    let mut odd = good.clone();
    set_u32(&mut odd, DATA_LEN, 1599);
    assert!(matches!(problem(&odd), AudioProblem::Malformed(_)));
}

#[test]
fn unsupported_encodings() {
    // Microsoft ADPCM (tag 2), GSM (0x31), MP3 (0x55), 64-bit float.
    for tag in [2u16, 0x11, 0x31, 0x55] {
        let bytes = raw_wav(tag, 1, 8_000, 8, &[0; 100]);
        assert!(
            matches!(problem(&bytes), AudioProblem::UnsupportedEncoding { tag: t, .. } if t == tag),
            "tag {tag:#x}"
        );
    }
    let f64wav = raw_wav(3, 1, 8_000, 64, &[0; 80]);
    assert!(matches!(
        problem(&f64wav),
        AudioProblem::UnsupportedEncoding { .. }
    ));
    let message = decode_bytes(&raw_wav(2, 1, 8_000, 8, &[0; 10]))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("ADPCM") && message.contains("convert"),
        "{message}"
    );
}

#[test]
fn absurd_header_values_are_refused_without_allocating() {
    type Edit = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("zero channels", Box::new(|b| set_u16(b, CHANNELS, 0))),
        ("65535 channels", Box::new(|b| set_u16(b, CHANNELS, 65_535))),
        ("rate 0", Box::new(|b| set_u32(b, RATE, 0))),
        ("rate 4e9", Box::new(|b| set_u32(b, RATE, 4_000_000_000))),
        ("12-bit", Box::new(|b| set_u16(b, BITS, 12))),
        ("block align", Box::new(|b| set_u16(b, BLOCK_ALIGN, 7))),
    ];
    for (name, edit) in cases {
        let mut bytes = good16();
        edit(&mut bytes);
        assert!(
            matches!(problem(&bytes), AudioProblem::Malformed(_)),
            "{name}: {:?}",
            problem(&bytes)
        );
    }
    // A data length of almost 4 GB in a tiny file: refused as truncated, not allocated.
    let mut huge = good16();
    set_u32(&mut huge, DATA_LEN, 0xFFFF_FFF0);
    assert!(matches!(
        problem(&huge),
        AudioProblem::Truncated {
            declared: 0xFFFF_FFF0,
            ..
        }
    ));
    // A chunk claiming 4 GB before the data chunk: skipped by seeking, then no data.
    let mut list = good16()[..36].to_vec();
    list.extend_from_slice(b"LIST\xF0\xFF\xFF\xFF");
    list.extend_from_slice(&good16()[36..]);
    assert!(matches!(problem(&list), AudioProblem::Malformed(_)));
}
