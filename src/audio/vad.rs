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
    let mut vad = StreamingVad::new(config);
    vad.push(samples);
    vad.regions()
}

/// One speech/non-speech decision per whole 30 ms frame.
pub fn frame_decisions(samples: &[i16], config: &VadConfig) -> Vec<bool> {
    let mut vad = StreamingVad::new(config);
    vad.push(samples);
    vad.frames
}

/// Frame decisions for a channel that arrives in blocks of any size: the same
/// decisions as for the whole channel at once, keeping one bit-sized decision per
/// 30 ms frame (a three-hour channel is 360,000) instead of the audio.
pub struct StreamingVad {
    config: VadConfig,
    vad: Vad,
    /// RMS level below which a frame is silence, in sample units.
    gate: f64,
    /// Samples of the frame not yet complete.
    partial: Vec<i16>,
    frames: Vec<bool>,
}

impl StreamingVad {
    pub fn new(config: &VadConfig) -> Self {
        let mode = match config.mode {
            0 => VadMode::Quality,
            1 => VadMode::LowBitrate,
            2 => VadMode::Aggressive,
            _ => VadMode::VeryAggressive,
        };
        StreamingVad {
            config: *config,
            vad: Vad::new_with_rate_and_mode(SampleRate::Rate16kHz, mode),
            // Full scale is 32768.
            gate: 32768.0 * 10f64.powf(config.min_level_dbfs / 20.0),
            partial: Vec::with_capacity(FRAME),
            frames: Vec::new(),
        }
    }

    /// Adds the channel's next samples.
    pub fn push(&mut self, mut samples: &[i16]) {
        if !self.partial.is_empty() {
            let take = (FRAME - self.partial.len()).min(samples.len());
            self.partial.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.partial.len() < FRAME {
                return;
            }
            let frame = std::mem::take(&mut self.partial);
            self.judge(&frame);
            self.partial = frame;
            self.partial.clear();
        }
        let mut frames = samples.chunks_exact(FRAME);
        for frame in frames.by_ref() {
            self.judge(frame);
        }
        self.partial.extend_from_slice(frames.remainder());
    }

    fn judge(&mut self, frame: &[i16]) {
        let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
        let speech = (energy / FRAME as f64).sqrt() >= self.gate
            // A frame of exactly FRAME samples at 16 kHz is always accepted.
            && self.vad.is_voice_segment(frame).unwrap_or(false);
        self.frames.push(speech);
    }

    /// The speech regions of everything pushed (a last partial frame is ignored).
    pub fn regions(&self) -> Vec<(f64, f64)> {
        regions_from_frames(&self.frames, &self.config)
    }
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
    fn blocks_of_any_size_give_the_decisions_of_the_whole_channel() {
        // A 200 Hz tone switched on and off, so decisions vary along the channel.
        let channel: Vec<i16> = (0..16_000 * 4)
            .map(|i| {
                let on = (i / 7_000) % 2 == 0;
                let t = i as f64 / 16_000.0;
                if on {
                    (8_000.0 * (2.0 * std::f64::consts::PI * 200.0 * t).sin()) as i16
                } else {
                    0
                }
            })
            .collect();
        let cfg = VadConfig::default();
        let whole = frame_decisions(&channel, &cfg);
        assert!(whole.contains(&true) && whole.contains(&false));
        for block in [1, 479, 480, 481, 4096] {
            let mut vad = StreamingVad::new(&cfg);
            for b in channel.chunks(block) {
                vad.push(b);
            }
            assert_eq!(vad.frames, whole, "blocks of {block}");
            assert_eq!(vad.regions(), speech_regions(&channel, &cfg));
        }
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
