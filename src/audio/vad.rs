//! Finds where someone speaks on one 16 kHz channel. Whisper invents text on
//! silence and line noise, and the speech metrics need talk times, so everything
//! downstream works from these regions. WebRTC's VAD (webrtc-vad, 30 ms frames)
//! decides per frame; an energy gate first rules out digital silence and very low
//! noise, which that VAD sometimes calls speech; then short gaps inside words are
//! bridged (hangover) and isolated blips dropped.

use webrtc_vad::{SampleRate, Vad, VadMode};

/// Samples per 30 ms frame at 16 kHz.
pub const FRAME: usize = 480;
const FRAME_S: f64 = 0.03;

/// How aggressively to call frames speech and how to smooth the decisions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// WebRTC mode 0..=3; higher calls fewer frames speech. 2 ("aggressive") keeps
    /// telephone line noise out while still catching quiet speech.
    pub mode: u8,
    /// Frames quieter than this RMS level (dBFS) are never speech.
    pub min_level_dbfs: f64,
    /// Gaps between speech shorter than this are bridged (pauses inside and
    /// between words), in seconds.
    pub bridge_gap_s: f64,
    /// Regions shorter than this after bridging are dropped (clicks, pops).
    pub min_speech_s: f64,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig {
            mode: 2,
            min_level_dbfs: -50.0,
            bridge_gap_s: 0.3,
            min_speech_s: 0.09,
        }
    }
}

/// Speech regions of one 16 kHz channel, as sorted, disjoint `(start_s, end_s)`.
pub fn speech_regions(samples: &[i16], config: &VadConfig) -> Vec<(f64, f64)> {
    regions_from_frames(&frame_decisions(samples, config), config)
}

/// One speech/non-speech decision per whole 30 ms frame.
pub fn frame_decisions(samples: &[i16], config: &VadConfig) -> Vec<bool> {
    let mode = match config.mode {
        0 => VadMode::Quality,
        1 => VadMode::LowBitrate,
        2 => VadMode::Aggressive,
        _ => VadMode::VeryAggressive,
    };
    let mut vad = Vad::new_with_rate_and_mode(SampleRate::Rate16kHz, mode);
    // Full scale is 32768.
    let gate = 32768.0 * 10f64.powf(config.min_level_dbfs / 20.0);
    samples
        .chunks_exact(FRAME)
        .map(|frame| {
            let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
            if (energy / FRAME as f64).sqrt() < gate {
                return false;
            }
            // A frame of exactly FRAME samples at 16 kHz is always accepted.
            vad.is_voice_segment(frame).unwrap_or(false)
        })
        .collect()
}

/// Turns frame decisions into smoothed regions in seconds.
pub fn regions_from_frames(frames: &[bool], config: &VadConfig) -> Vec<(f64, f64)> {
    let mut raw: Vec<(f64, f64)> = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &speech) in frames.iter().chain(std::iter::once(&false)).enumerate() {
        match (speech, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                raw.push((s as f64 * FRAME_S, i as f64 * FRAME_S));
                start = None;
            }
            _ => {}
        }
    }
    let mut bridged: Vec<(f64, f64)> = Vec::with_capacity(raw.len());
    for (s, e) in raw {
        match bridged.last_mut() {
            Some(last) if s - last.1 < config.bridge_gap_s => last.1 = e,
            _ => bridged.push((s, e)),
        }
    }
    bridged.retain(|(s, e)| e - s >= config.min_speech_s - 1e-9);
    bridged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(pattern: &str) -> Vec<bool> {
        pattern.chars().map(|c| c == '#').collect()
    }

    #[test]
    fn bridges_short_gaps_and_drops_blips() {
        let cfg = VadConfig::default();
        // 10 frames speech, 5 frames (0.15 s) gap, 10 speech, 20 gap (0.6 s), a 1-frame
        // blip, 12 gap (0.36 s), 10 speech.
        let f = frames("##########.....##########....................#............##########");
        let r = regions_from_frames(&f, &cfg);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(
            (r[0].0 - 0.0).abs() < 1e-9 && (r[0].1 - 0.75).abs() < 1e-9,
            "{r:?}"
        );
        assert!(
            (r[1].0 - 1.74).abs() < 1e-9 && (r[1].1 - 2.04).abs() < 1e-9,
            "{r:?}"
        );
    }

    #[test]
    fn digital_silence_and_faint_noise_are_never_speech() {
        let cfg = VadConfig::default();
        assert!(speech_regions(&vec![0; 16_000 * 3], &cfg).is_empty());
        // -60 dBFS white-ish noise from a simple LCG.
        let mut x: u32 = 1;
        let faint: Vec<i16> = (0..16_000 * 3)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                crate::audio::sample_from_f32(((x >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.002)
            })
            .collect();
        assert!(speech_regions(&faint, &cfg).is_empty());
    }
}
