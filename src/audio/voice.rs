//! What a voice sounds like, 10 ms at a time, for telling the two parties of a
//! mono recording apart ([`super::diarize`]): the spectral envelope (mel-frequency
//! cepstral coefficients over the telephone band) and the pitch (F0, from the
//! autocorrelation). Frames are summed into [`CELL_S`] cells as the channel streams
//! past, so a long call keeps a few numbers per tenth of a second, not its audio.
//!
//! Hand-written on `realfft` (already in the tree through `rubato`) rather than
//! with a feature crate: the few MFCC crates are small, unmaintained or pull in
//! large DSP stacks, and the part needed here is a filter bank, a DCT and a peak
//! pick, about a hundred lines.

use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Samples per feature hop (10 ms at 16 kHz).
pub const HOP: usize = 160;
/// Hops summed into one cell.
pub const HOPS_PER_CELL: usize = 10;
/// Length of a cell, seconds.
pub const CELL_S: f64 = 0.1;
/// Cepstral coefficients kept (c1..=c12; c0 is loudness, which says more about the
/// line than about the voice).
pub const CEPS: usize = 12;

/// Analysis frame for the spectrum, samples (25 ms).
const FRAME: usize = 400;
const FFT: usize = 512;
/// Analysis frame for the pitch, samples (40 ms: two periods of a 50 Hz voice).
const PITCH_FRAME: usize = 640;
const PITCH_FFT: usize = 2048;
/// Mel bands over 200-3800 Hz, inside what an 8 kHz telephone line carries.
const BANDS: usize = 24;
const LOW_HZ: f64 = 200.0;
const HIGH_HZ: f64 = 3800.0;
/// Pitch search range, Hz.
const F0_MIN: f64 = 70.0;
const F0_MAX: f64 = 400.0;
/// A frame is voiced when its normalized autocorrelation peak reaches this.
const VOICED: f32 = 0.45;
/// Frames quieter than this (dBFS RMS) say nothing about the voice.
const MIN_LEVEL_DBFS: f64 = -50.0;
const RATE: f64 = 16_000.0;

/// The summed features of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cell {
    /// Frames loud enough to count.
    pub frames: u16,
    /// Sum of their cepstra.
    pub ceps: [f32; CEPS],
    /// Voiced frames among them and the sum of their log2 F0.
    pub voiced: u16,
    pub log_f0: f32,
}

impl Cell {
    /// Mean cepstrum, when any frame counted.
    pub fn mean_ceps(&self) -> Option<[f32; CEPS]> {
        (self.frames > 0).then(|| self.ceps.map(|c| c / f32::from(self.frames)))
    }

    /// Mean log2 F0 of the voiced frames.
    pub fn mean_log_f0(&self) -> Option<f32> {
        (self.voiced > 0).then(|| self.log_f0 / f32::from(self.voiced))
    }
}

/// The mean pitch of each region (seconds) of a channel, in semitones above 1 Hz,
/// from its cells' voiced frames; `None` for a region with fewer than
/// `min_voiced` of them.
pub fn region_pitch_st(
    cells: &[Cell],
    regions: &[(f64, f64)],
    min_voiced: u16,
) -> Vec<Option<f64>> {
    regions
        .iter()
        .map(|&(s, e)| {
            let first = ((s / CELL_S).floor().max(0.0) as usize).min(cells.len());
            let last = ((e / CELL_S).ceil().max(0.0) as usize).clamp(first, cells.len());
            let (voiced, sum) = cells[first..last]
                .iter()
                .fold((0u32, 0.0f64), |(v, sum), c| {
                    (v + u32::from(c.voiced), sum + f64::from(c.log_f0))
                });
            (voiced >= u32::from(min_voiced)).then(|| 12.0 * sum / f64::from(voiced))
        })
        .collect()
}

/// Voice features of a 16 kHz channel that arrives in blocks of any size.
pub struct StreamingVoice {
    /// Recent samples as f32, oldest first; the last [`PITCH_FRAME`] are the
    /// frame of the current hop.
    history: Vec<f32>,
    /// Samples since the last hop.
    since_hop: usize,
    hops: usize,
    cells: Vec<Cell>,
    spectrum: Arc<dyn RealToComplex<f32>>,
    pitch: Arc<dyn RealToComplex<f32>>,
    pitch_inverse: Arc<dyn realfft::ComplexToReal<f32>>,
    window: Vec<f32>,
    pitch_window: Vec<f32>,
    /// Row-major BANDS x (FFT / 2 + 1).
    filters: Vec<f32>,
    /// Row-major CEPS x BANDS (DCT-II rows 1..=CEPS).
    dct: Vec<f32>,
    gate: f32,
}

impl Default for StreamingVoice {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamingVoice {
    pub fn new() -> Self {
        let mut planner = RealFftPlanner::<f32>::new();
        let hann = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    let x = std::f64::consts::TAU * i as f64 / n as f64;
                    (0.5 - 0.5 * x.cos()) as f32
                })
                .collect()
        };
        StreamingVoice {
            history: vec![0.0; PITCH_FRAME],
            since_hop: 0,
            hops: 0,
            cells: Vec::new(),
            spectrum: planner.plan_fft_forward(FFT),
            pitch: planner.plan_fft_forward(PITCH_FFT),
            pitch_inverse: planner.plan_fft_inverse(PITCH_FFT),
            window: hann(FRAME),
            pitch_window: hann(PITCH_FRAME),
            filters: mel_bank(),
            dct: dct_rows(),
            gate: 10f64.powf(MIN_LEVEL_DBFS / 20.0) as f32,
        }
    }

    /// Adds the channel's next samples.
    pub fn push(&mut self, samples: &[i16]) {
        for &s in samples {
            self.history.push(super::sample_to_f32(s));
            self.since_hop += 1;
            if self.since_hop == HOP {
                self.since_hop = 0;
                self.hop();
                if self.history.len() >= 8 * PITCH_FRAME {
                    self.history.drain(..self.history.len() - PITCH_FRAME);
                }
            }
        }
    }

    /// The cells so far; cell `i` covers `i * CELL_S ..` of the channel (the
    /// frame of a hop ends at the hop, so features lag the audio by half a frame).
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    fn hop(&mut self) {
        let cell = self.hops / HOPS_PER_CELL;
        self.hops += 1;
        if self.cells.len() <= cell {
            self.cells.resize(cell + 1, Cell::default());
        }
        let frame = &self.recent(FRAME);
        let rms = (frame.iter().map(|x| x * x).sum::<f32>() / FRAME as f32).sqrt();
        if rms < self.gate {
            return;
        }
        let ceps = self.cepstrum();
        let f0 = self.f0();
        let c = &mut self.cells[cell];
        c.frames += 1;
        for (sum, x) in c.ceps.iter_mut().zip(ceps) {
            *sum += x;
        }
        if let Some(f0) = f0 {
            c.voiced += 1;
            c.log_f0 += f0.log2();
        }
    }

    /// The last `n` samples (`n` <= [`PITCH_FRAME`]).
    fn recent(&self, n: usize) -> &[f32] {
        &self.history[self.history.len() - n..]
    }

    fn cepstrum(&self) -> [f32; CEPS] {
        let frame = self.recent(FRAME);
        let mut input = vec![0.0f32; FFT];
        let mut prev = self.recent(FRAME + 1)[0];
        for ((o, &x), w) in input.iter_mut().zip(frame).zip(&self.window) {
            *o = (x - 0.97 * prev) * w;
            prev = x;
        }
        let mut out = self.spectrum.make_output_vec();
        if self.spectrum.process(&mut input, &mut out).is_err() {
            return [0.0; CEPS];
        }
        let power: Vec<f32> = out.iter().map(|c| c.norm_sqr()).collect();
        let bins = FFT / 2 + 1;
        let log_mel: Vec<f32> = (0..BANDS)
            .map(|b| {
                let e: f32 = self.filters[b * bins..(b + 1) * bins]
                    .iter()
                    .zip(&power)
                    .map(|(f, p)| f * p)
                    .sum();
                (e + 1e-10).ln()
            })
            .collect();
        let mut ceps = [0.0; CEPS];
        for (k, c) in ceps.iter_mut().enumerate() {
            *c = self.dct[k * BANDS..(k + 1) * BANDS]
                .iter()
                .zip(&log_mel)
                .map(|(d, m)| d * m)
                .sum();
        }
        ceps
    }

    /// F0 in Hz of the last [`PITCH_FRAME`] samples, when voiced: the highest peak
    /// of the normalized autocorrelation in the pitch range (computed through the
    /// power spectrum, and divided by the window's own autocorrelation so long
    /// lags are not penalized).
    fn f0(&self) -> Option<f32> {
        let mut input = vec![0.0f32; PITCH_FFT];
        for ((o, &x), w) in input
            .iter_mut()
            .zip(self.recent(PITCH_FRAME))
            .zip(&self.pitch_window)
        {
            *o = x * w;
        }
        let mut spec = self.pitch.make_output_vec();
        self.pitch.process(&mut input, &mut spec).ok()?;
        for c in &mut spec {
            *c = realfft::num_complex::Complex::new(c.norm_sqr(), 0.0);
        }
        let mut acf = self.pitch_inverse.make_output_vec();
        self.pitch_inverse.process(&mut spec, &mut acf).ok()?;
        let r0 = acf[0];
        if r0 <= 0.0 {
            return None;
        }
        let (lo, hi) = ((RATE / F0_MAX) as usize, (RATE / F0_MIN) as usize);
        let window_acf = |lag: usize| 1.0 - lag as f32 / PITCH_FRAME as f32;
        let (lag, peak) = (lo..=hi)
            .map(|lag| (lag, acf[lag] / r0 / window_acf(lag)))
            .fold((0, f32::MIN), |best, x| if x.1 > best.1 { x } else { best });
        (peak >= VOICED && lag > 0).then(|| (RATE / lag as f64) as f32)
    }
}

fn hz_to_mel(hz: f64) -> f64 {
    2595.0 * (1.0 + hz / 700.0).log10()
}

fn mel_to_hz(mel: f64) -> f64 {
    700.0 * (10f64.powf(mel / 2595.0) - 1.0)
}

/// Triangular filters, equally spaced on the mel scale over LOW_HZ..HIGH_HZ.
fn mel_bank() -> Vec<f32> {
    let bins = FFT / 2 + 1;
    let (lo, hi) = (hz_to_mel(LOW_HZ), hz_to_mel(HIGH_HZ));
    let edges: Vec<f64> = (0..BANDS + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (BANDS + 1) as f64))
        .collect();
    let mut out = vec![0.0f32; BANDS * bins];
    for b in 0..BANDS {
        let (l, c, r) = (edges[b], edges[b + 1], edges[b + 2]);
        for k in 0..bins {
            let hz = k as f64 * RATE / FFT as f64;
            let w = if hz > l && hz <= c {
                (hz - l) / (c - l)
            } else if hz > c && hz < r {
                (r - hz) / (r - c)
            } else {
                0.0
            };
            out[b * bins + k] = w as f32;
        }
    }
    out
}

fn dct_rows() -> Vec<f32> {
    let n = BANDS as f64;
    (1..=CEPS)
        .flat_map(|k| {
            (0..BANDS).map(move |j| {
                ((std::f64::consts::PI * k as f64 * (j as f64 + 0.5) / n).cos() * (2.0 / n).sqrt())
                    as f32
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f64, seconds: f64) -> Vec<i16> {
        (0..(seconds * RATE) as usize)
            .map(|i| {
                let t = i as f64 / RATE;
                // A buzz with harmonics, like a voiced sound.
                let x: f64 = (1..=8)
                    .map(|h| (std::f64::consts::TAU * hz * h as f64 * t).sin() / h as f64)
                    .sum();
                (x * 6_000.0) as i16
            })
            .collect()
    }

    #[test]
    fn pitch_of_a_buzz_is_found() {
        for hz in [110.0, 180.0, 260.0] {
            let mut v = StreamingVoice::new();
            for block in tone(hz, 1.0).chunks(777) {
                v.push(block);
            }
            let cells = v.cells();
            assert_eq!(cells.len(), 10);
            let f0 = cells[5].mean_log_f0().map(f32::exp2).unwrap();
            assert!((f64::from(f0) - hz).abs() < hz * 0.03, "{hz}: {f0}");
        }
    }

    #[test]
    fn silence_counts_no_frames() {
        let mut v = StreamingVoice::new();
        v.push(&vec![0; 16_000]);
        assert!(v
            .cells()
            .iter()
            .all(|c| c.frames == 0 && c.mean_ceps().is_none()));
    }
}
