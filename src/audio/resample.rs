//! Brings any sample rate to the 16 kHz Whisper and the VAD expect. Uses rubato's
//! FFT resampler (synchronous, fixed ratio, windowed anti-aliasing filter: good
//! quality at a low cost for the fixed ratios recorders use), fed in blocks so a
//! long call is never held twice in memory at its source rate. 16 kHz input
//! passes through untouched.

use super::error::AudioProblem;
use super::sample_from_f32;
use rubato::{FftFixedIn, Resampler};

/// The rate everything downstream works at.
pub const TARGET_RATE: u32 = 16_000;

/// Input frames per resampler call.
const CHUNK_IN: usize = 1024;

/// A streaming converter from interleaved samples at some rate to 16 kHz blocks,
/// one buffer per channel, aligned with the input (the filter delay removed as it
/// comes out) and of the exact expected length in all.
pub struct To16k {
    channels: usize,
    source_rate: u32,
    resampler: Option<FftFixedIn<f32>>,
    /// Deinterleaved input not yet handed to the resampler.
    pending: Vec<Vec<f32>>,
    /// Scratch output of one resampler call.
    scratch: Vec<Vec<f32>>,
    /// Output not yet taken ([`To16k::take`]).
    out: Vec<Vec<i16>>,
    /// Leading output samples still to drop (the filter's delay).
    delay_left: usize,
    /// Output frames produced so far (after the delay).
    produced: u64,
    frames_in: u64,
}

/// Receives 16 kHz blocks: one slice per channel, all of the same length.
pub type BlockSink<'a> = dyn FnMut(&[&[i16]]) + 'a;

impl To16k {
    pub fn new(source_rate: u32, channels: usize) -> Result<Self, AudioProblem> {
        let resampler = if source_rate == TARGET_RATE {
            None
        } else {
            let r = FftFixedIn::<f32>::new(
                source_rate as usize,
                TARGET_RATE as usize,
                CHUNK_IN,
                1,
                channels,
            )
            .map_err(|e| AudioProblem::Resample(e.to_string()))?;
            Some(r)
        };
        let scratch = match &resampler {
            Some(r) => vec![vec![0.0; r.output_frames_max()]; channels],
            None => Vec::new(),
        };
        let delay_left = resampler.as_ref().map_or(0, |r| r.output_delay());
        Ok(To16k {
            channels,
            source_rate,
            resampler,
            pending: vec![Vec::with_capacity(CHUNK_IN); channels],
            scratch,
            out: vec![Vec::new(); channels],
            delay_left,
            produced: 0,
            frames_in: 0,
        })
    }

    /// Adds interleaved samples; a trailing partial frame is ignored. Output
    /// collects until [`To16k::take`].
    pub fn push_interleaved(&mut self, samples: &[f32]) -> Result<(), AudioProblem> {
        if self.resampler.is_some() {
            deinterleave(samples, &mut self.pending, |s| s);
        } else {
            deinterleave(samples, &mut self.out, sample_from_f32);
        }
        let frames = (samples.len() / self.channels) as u64;
        self.frames_in += frames;
        if self.resampler.is_some() {
            while self.pending[0].len() >= CHUNK_IN {
                self.run(false)?;
            }
        } else {
            self.produced += frames;
        }
        Ok(())
    }

    /// Hands the output so far to `sink` (nothing when there is none) and forgets it.
    pub fn take(&mut self, sink: &mut BlockSink<'_>) {
        if self.out.first().is_some_and(|c| !c.is_empty()) {
            let views: Vec<&[i16]> = self.out.iter().map(Vec::as_slice).collect();
            sink(&views);
            for ch in &mut self.out {
                ch.clear();
            }
        }
    }

    /// Feeds one chunk (or, with `flush`, whatever is pending, zero padded).
    fn run(&mut self, flush: bool) -> Result<(), AudioProblem> {
        let Some(r) = self.resampler.as_mut() else {
            return Ok(());
        };
        let (used, produced) = if flush {
            // rubato wants `None` rather than empty channels for a pure flush.
            let input = (!self.pending[0].is_empty()).then_some(self.pending.as_slice());
            r.process_partial_into_buffer(input, &mut self.scratch, None)
        } else {
            r.process_into_buffer(&self.pending, &mut self.scratch, None)
        }
        .map_err(|e| AudioProblem::Resample(e.to_string()))?;
        let used = used.min(self.pending[0].len());
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        self.produced += (produced - skip) as u64;
        for ((p, s), o) in self
            .pending
            .iter_mut()
            .zip(&self.scratch)
            .zip(self.out.iter_mut())
        {
            p.drain(..used);
            o.extend(s[skip..produced].iter().map(|&x| sample_from_f32(x)));
        }
        Ok(())
    }

    /// Flushes the resampler, trims the output to the exact expected length and
    /// hands the rest of it to `sink`.
    pub fn finish(mut self, sink: &mut BlockSink<'_>) -> Result<(), AudioProblem> {
        if self.resampler.is_some() {
            let expected = (u128::from(self.frames_in) * u128::from(TARGET_RATE))
                .div_ceil(u128::from(self.source_rate)) as u64;
            // Push out the pending frames, then silence until the delayed tail is out.
            while self.produced < expected {
                self.run(true)?;
            }
            let extra = (self.produced - expected) as usize;
            for ch in &mut self.out {
                ch.truncate(ch.len().saturating_sub(extra));
            }
        }
        self.take(sink);
        Ok(())
    }
}

/// Collects blocks into one buffer per channel.
pub fn collect_into(channels: &mut Vec<Vec<i16>>) -> impl FnMut(&[&[i16]]) + '_ {
    move |block| {
        channels.resize_with(block.len(), Vec::new);
        for (all, part) in channels.iter_mut().zip(block) {
            all.extend_from_slice(part);
        }
    }
}

/// Appends each frame of `interleaved` to the channel buffers, converted.
fn deinterleave<T>(interleaved: &[f32], channels: &mut [Vec<T>], convert: impl Fn(f32) -> T) {
    for frame in interleaved.chunks_exact(channels.len()) {
        for (ch, &s) in channels.iter_mut().zip(frame) {
            ch.push(convert(s));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::sample_to_f32;

    /// The output as f32, as the recognizer sees it.
    fn finish_f32(r: To16k) -> Vec<Vec<f32>> {
        finish(r)
            .into_iter()
            .map(|ch| ch.into_iter().map(sample_to_f32).collect())
            .collect()
    }

    fn finish(r: To16k) -> Vec<Vec<i16>> {
        let mut out = Vec::new();
        r.finish(&mut collect_into(&mut out)).unwrap();
        out
    }

    fn sine(rate: u32, freq: f64, seconds: f64) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin())
                    as f32
            })
            .collect()
    }

    /// Frequency estimated from zero crossings of the middle of the signal.
    fn frequency(samples: &[f32], rate: u32) -> f64 {
        let mid = &samples[samples.len() / 10..samples.len() * 9 / 10];
        let crossings = mid
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        crossings as f64 / 2.0 / (mid.len() as f64 / f64::from(rate))
    }

    /// The shift (in 16 kHz samples, -3..3) that best aligns `out` with a 0.5
    /// amplitude sine of `freq`, and the largest error at that shift.
    fn best_lag(out: &[f32], freq: f64) -> (f64, f32) {
        (-30..=30)
            .map(|l| {
                let lag = f64::from(l) / 10.0;
                let err = (4000..12000)
                    .map(|i| {
                        let t = (i as f64 + lag) / 16_000.0;
                        (out[i] - (0.5 * (2.0 * std::f64::consts::PI * freq * t).sin()) as f32)
                            .abs()
                    })
                    .fold(0.0f32, f32::max);
                (lag, err)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
    }

    #[test]
    fn pass_through_at_16k_is_exact() {
        let input = sine(16_000, 440.0, 0.5);
        let mut r = To16k::new(16_000, 1).unwrap();
        r.push_interleaved(&input).unwrap();
        let stored: Vec<i16> = input.iter().map(|&x| sample_from_f32(x)).collect();
        assert_eq!(finish(r), vec![stored]);
    }

    #[test]
    fn keeps_frequency_length_and_alignment() {
        for rate in [8_000u32, 11_025, 22_050, 44_100, 48_000] {
            let input = sine(rate, 1000.0, 1.0);
            let mut r = To16k::new(rate, 1).unwrap();
            // Odd block sizes exercise the pending buffer.
            for block in input.chunks(777) {
                r.push_interleaved(block).unwrap();
            }
            let out = finish_f32(r).remove(0);
            assert_eq!(out.len(), 16_000, "rate {rate}");
            let f = frequency(&out, 16_000);
            assert!((f - 1000.0).abs() < 5.0, "rate {rate}: {f} Hz");
            // Delay removed: the output matches the ideal 16 kHz sine shifted by at
            // most one sample (the FFT filter's delay is fractional for odd sizes).
            let (lag, err) = best_lag(&out, 1000.0);
            assert!(
                lag.abs() <= 1.0 && err < 0.02,
                "rate {rate}: lag {lag} samples, max error {err}"
            );
        }
    }

    #[test]
    fn blocks_taken_as_they_come_add_up_to_the_whole() {
        for rate in [8_000u32, 16_000, 44_100] {
            let input = sine(rate, 700.0, 1.3);
            let mut whole = To16k::new(rate, 1).unwrap();
            whole.push_interleaved(&input).unwrap();
            let whole = finish(whole);
            let mut streamed = To16k::new(rate, 1).unwrap();
            let mut got = Vec::new();
            let mut blocks = 0;
            {
                let mut sink = |b: &[&[i16]]| {
                    blocks += 1;
                    collect_into(&mut got)(b)
                };
                for block in input.chunks(1000) {
                    streamed.push_interleaved(block).unwrap();
                    streamed.take(&mut sink);
                }
                streamed.finish(&mut sink).unwrap();
            }
            assert_eq!(got, whole, "rate {rate}");
            assert!(blocks > 5, "rate {rate}: output came in {blocks} blocks");
        }
    }

    #[test]
    fn removes_content_above_the_new_nyquist() {
        // 9 kHz at 44.1 kHz cannot be represented at 16 kHz; it must not alias to 7 kHz.
        let input = sine(44_100, 9_000.0, 1.0);
        let mut r = To16k::new(44_100, 1).unwrap();
        r.push_interleaved(&input).unwrap();
        let out = finish_f32(r).remove(0);
        let rms = (out[2000..14000].iter().map(|s| s * s).sum::<f32>() / 12000.0).sqrt();
        assert!(rms < 0.01, "aliased energy {rms}");
    }

    #[test]
    fn stereo_channels_stay_separate() {
        let left = sine(8_000, 300.0, 0.5);
        let interleaved: Vec<f32> = left.iter().flat_map(|&s| [s, 0.0]).collect();
        let mut r = To16k::new(8_000, 2).unwrap();
        r.push_interleaved(&interleaved).unwrap();
        let out = finish_f32(r);
        assert_eq!(out.len(), 2);
        assert!(out[0].iter().any(|s| s.abs() > 0.4));
        assert!(out[1].iter().all(|s| s.abs() < 1e-4));
    }
}
