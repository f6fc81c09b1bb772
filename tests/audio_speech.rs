//! Speech activity and call metrics on synthetic two-channel calls: voice-like
//! bursts (a 140 Hz harmonic series, what WebRTC's VAD takes for voiced speech)
//! placed at known times, so every metric has a known answer.

use callqa::audio::metrics::{self, speech_metrics, CallSpeech};
use callqa::audio::vad::{speech_regions, VadConfig};
use std::f64::consts::PI;

const RATE: f64 = 16_000.0;

/// A channel of `seconds` with voice bursts at the given (start, end) seconds.
fn channel(seconds: f64, bursts: &[(f64, f64)]) -> Vec<f32> {
    let mut out = vec![0.0f32; (seconds * RATE) as usize];
    for &(a, b) in bursts {
        let first = (a * RATE) as usize;
        for (i, sample) in out[first..(b * RATE) as usize].iter_mut().enumerate() {
            let t = (first + i) as f64 / RATE;
            let voiced: f64 = (1..25)
                .map(|k| (2.0 * PI * 140.0 * f64::from(k) * t).sin() / f64::from(k))
                .sum();
            *sample = (0.15 * voiced) as f32;
        }
    }
    out
}

/// As stored after decoding (16-bit).
fn pcm(x: &[f32]) -> Vec<i16> {
    x.iter()
        .map(|&s| callqa::audio::sample_from_f32(s))
        .collect()
}

fn assert_regions(found: &[(f64, f64)], expected: &[(f64, f64)]) {
    assert_eq!(
        found.len(),
        expected.len(),
        "found {found:?}, expected {expected:?}"
    );
    for (f, e) in found.iter().zip(expected) {
        assert!(
            (f.0 - e.0).abs() <= 0.06 && (f.1 - e.1).abs() <= 0.06,
            "found {found:?}, expected {expected:?}"
        );
    }
}

#[test]
fn vad_finds_bursts_and_bridges_short_gaps() {
    // The 0.15 s gap inside the first burst is bridged; the 1 s gap is not.
    let ch = channel(8.0, &[(1.0, 2.0), (2.15, 3.0), (4.0, 5.5)]);
    assert_regions(
        &speech_regions(&pcm(&ch), &VadConfig::default()),
        &[(1.0, 3.0), (4.0, 5.5)],
    );
}

#[test]
fn silence_and_faint_line_noise_give_no_speech() {
    let mut x: u32 = 12345;
    let hiss: Vec<f32> = (0..(10.0 * RATE) as usize)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((x >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.003 // about -60 dBFS
        })
        .collect();
    assert!(speech_regions(&pcm(&hiss), &VadConfig::default()).is_empty());
    assert!(speech_regions(&vec![0; 160_000], &VadConfig::default()).is_empty());
}

#[test]
fn call_metrics_have_known_answers() {
    // 23 s call. Agent: 1-4; 9-10 (starts inside the customer's 5-11 and
    // overlaps it by 1 s: an interruption); 10.8-11.1 (starts inside it too but
    // overlaps only 0.2 s: not one; 0.8 s after 9-10, too far to be bridged);
    // 14-16. Customer: 5-11, 16.5-18. The trailing 5 s of silence is not dead
    // air; the longest silence inside the conversation is 11.1-14 = 2.9 s.
    let duration = 23.0;
    let agent = channel(
        duration,
        &[(1.0, 4.0), (9.0, 10.0), (10.8, 11.1), (14.0, 16.0)],
    );
    let customer = channel(duration, &[(5.0, 11.0), (16.5, 18.0)]);
    let cfg = VadConfig::default();
    let a = speech_regions(&pcm(&agent), &cfg);
    let c = speech_regions(&pcm(&customer), &cfg);
    assert_regions(&a, &[(1.0, 4.0), (9.0, 10.0), (10.8, 11.1), (14.0, 16.0)]);
    assert_regions(&c, &[(5.0, 11.0), (16.5, 18.0)]);

    let text = "您好很高兴为您服务".repeat(7); // 63 Chinese characters
    let m = speech_metrics(&CallSpeech {
        agent: &a,
        customer: Some(&c),
        agent_text: &text,
        duration_s: duration,
    });
    assert_eq!(m.len(), 5, "{m:?}");
    assert_eq!(m[metrics::DURATION], duration);
    assert!((m[metrics::LONGEST_SILENCE] - 2.9).abs() < 0.1, "{m:?}");
    assert_eq!(m[metrics::INTERRUPTIONS], 1.0, "{m:?}");
    let agent_time = 3.0 + 1.0 + 0.3 + 2.0;
    let ratio = agent_time / (agent_time + 6.0 + 1.5);
    assert!(
        (m[metrics::AGENT_TALK_RATIO] - ratio).abs() < 0.02,
        "{m:?} vs {ratio}"
    );
    let cpm = 63.0 / (agent_time / 60.0);
    assert!(
        (m[metrics::AGENT_SPEECH_RATE] / cpm - 1.0).abs() < 0.03,
        "{m:?} vs {cpm}"
    );
}

#[test]
fn interruption_count_grows_with_each_talk_over() {
    let duration = 20.0;
    // The customer talks 2-18; the agent cuts in three times for 1 s each.
    let customer = channel(duration, &[(2.0, 18.0)]);
    let agent = channel(duration, &[(4.0, 5.0), (8.0, 9.0), (12.0, 13.0)]);
    let cfg = VadConfig::default();
    let (a, c) = (
        speech_regions(&pcm(&agent), &cfg),
        speech_regions(&pcm(&customer), &cfg),
    );
    let m = speech_metrics(&CallSpeech {
        agent: &a,
        customer: Some(&c),
        agent_text: "",
        duration_s: duration,
    });
    assert_eq!(m[metrics::INTERRUPTIONS], 3.0);
    assert!(m[metrics::LONGEST_SILENCE] < 0.1, "{m:?}");
    // The customer starting while the agent talks is not an agent interruption.
    let m = speech_metrics(&CallSpeech {
        agent: &c,
        customer: Some(&a),
        agent_text: "",
        duration_s: duration,
    });
    assert_eq!(m[metrics::INTERRUPTIONS], 0.0);
}
