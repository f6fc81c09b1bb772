//! Splits the speech of a mono recording between its two voices, from the audio
//! alone, so each party's speech can be transcribed and measured on its own, as
//! the two channels of a stereo call are.
//!
//! Classical and small, since no trained speaker model ships with callqa: the
//! speech regions are cut into pieces of about [`PIECE_S`]; each piece is
//! described by its median pitch and mean cepstrum ([`super::voice`]), averaged
//! over enough speech that what is said matters less than who says it; the
//! pieces are split into two groups by k-means, pitch weighing most (it is the
//! feature that survives a telephone line best); then, a few times over, one
//! Gaussian per group is fitted to its 100 ms cells and every piece goes to the
//! group that explains its cells better; where a region holds pieces of
//! both voices, the change point is moved to the 100 ms cell where the pitch
//! best fits the two voices on either side.
//!
//! The split is trusted only when it looks like two voices: both hold a fair share
//! of the speech and their pitches lie at least [`MIN_PITCH_GAP_ST`] apart. One
//! voice split in two by k-means gives groups about a semitone apart; so do two
//! voices that sound alike, and those get a reason instead of a guess
//! ([`NotTwoVoices`]).

use super::voice::{Cell, CELL_S, CEPS};

/// Speech regions are cut into pieces of about this length (a region up to 1.5
/// times as long stays whole), seconds: long enough that the pitch and spectrum
/// averaged over a piece say who speaks more than what is said.
pub const PIECE_S: f64 = 2.0;
/// Below this much speech there is too little to tell voices apart, seconds.
pub const MIN_SPEECH_S: f64 = 4.0;
/// The smaller voice needs this share of the speech, and at least
/// [`MIN_VOICE_S`] seconds.
pub const MIN_SHARE: f64 = 0.08;
pub const MIN_VOICE_S: f64 = 1.5;
/// The least difference between the two voices' mean pitch for the split to be
/// trusted, semitones.
pub const MIN_PITCH_GAP_ST: f64 = 2.5;

/// A cell counts when this many of its 10 ms frames were loud enough.
const MIN_FRAMES: u16 = 3;
/// Weight of the pitch against one cepstral coefficient in the first grouping
/// (of piece means) and in the relabelling (of cells).
const PITCH_WEIGHT: f64 = 50.0;
const CELL_PITCH_WEIGHT: f64 = 5.0;
/// Relabelling passes after the first grouping.
const REFINE_PASSES: usize = 3;
/// Added to every variance of the cell-level Gaussians (standardized units).
const VAR_FLOOR: f64 = 0.05;

const DIMS: usize = CEPS + 1;
const PITCH: usize = CEPS;

/// The two voices of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Voices {
    /// Speech regions of each voice, seconds, sorted and disjoint; voice 0 is the
    /// one heard first. Together they are the speech regions given.
    pub regions: [Vec<(f64, f64)>; 2],
    /// Mean pitch of each voice, Hz.
    pub pitch_hz: [f64; 2],
}

impl Voices {
    /// How far apart the voices' pitches are, semitones.
    pub fn pitch_gap_st(&self) -> f64 {
        12.0 * (self.pitch_hz[0] / self.pitch_hz[1]).log2().abs()
    }
}

/// Why the speech was not split into two voices.
#[derive(Debug, Clone, PartialEq)]
pub enum NotTwoVoices {
    /// Less than [`MIN_SPEECH_S`] of speech.
    TooLittleSpeech { speech_s: f64 },
    /// The second voice would hold too little of the speech.
    OneVoice { second_s: f64, speech_s: f64 },
    /// The two groups do not differ enough in pitch.
    AlikeVoices { pitch_gap_st: f64 },
}

impl std::fmt::Display for NotTwoVoices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotTwoVoices::TooLittleSpeech { speech_s } => {
                write!(f, "only {speech_s:.1} s of speech, too little to tell two voices apart")
            }
            NotTwoVoices::OneVoice { second_s, speech_s } => write!(
                f,
                "one voice: a second voice would have {second_s:.1} s of the {speech_s:.1} s of speech"
            ),
            NotTwoVoices::AlikeVoices { pitch_gap_st } => write!(
                f,
                "the voices could not be told apart (pitches {pitch_gap_st:.1} semitones apart, {MIN_PITCH_GAP_ST:.1} needed)"
            ),
        }
    }
}

/// One piece of speech and what it sounds like.
#[derive(Debug, Clone)]
struct Piece {
    region: usize,
    start: f64,
    end: f64,
    /// Its cells that counted: standardized cepstrum, and standardized log2
    /// pitch when voiced.
    cells: Vec<([f64; CEPS], Option<f64>)>,
    /// Mean standardized cepstrum and median standardized pitch (0, the call's
    /// mean, when no cell is voiced); `None` when no cell counted.
    x: Option<[f64; DIMS]>,
    /// Median log2 pitch of its voiced cells, not standardized.
    log_f0: Option<f64>,
}

impl Piece {
    fn len(&self) -> f64 {
        self.end - self.start
    }
}

/// Splits `regions` (the VAD speech of the recording, seconds, sorted) between two
/// voices, from `cells` (the recording's voice features, see
/// [`super::voice::StreamingVoice`]).
pub fn two_voices(cells: &[Cell], regions: &[(f64, f64)]) -> Result<Voices, NotTwoVoices> {
    let speech_s: f64 = regions.iter().map(|(s, e)| e - s).sum();
    if speech_s < MIN_SPEECH_S {
        return Err(NotTwoVoices::TooLittleSpeech { speech_s });
    }
    let pieces = pieces(cells, regions);
    if pieces.iter().filter(|p| p.x.is_some()).count() < 2 {
        return Err(NotTwoVoices::TooLittleSpeech { speech_s });
    }
    let mut labels = group(&pieces);
    for _ in 0..REFINE_PASSES {
        let relabelled = reclassify(&pieces, &labels);
        if relabelled == labels {
            break;
        }
        labels = relabelled;
    }
    let mean_log_f0 = |k: u8| -> Option<f64> {
        let (sum, weight) = pieces
            .iter()
            .zip(&labels)
            .filter(|(_, &l)| l == k)
            .filter_map(|(p, _)| p.log_f0.map(|f| (f * p.len(), p.len())))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        (weight > 0.0).then(|| sum / weight)
    };
    let time = |k: u8| -> f64 {
        pieces
            .iter()
            .zip(&labels)
            .filter(|(_, &l)| l == k)
            .map(|(p, _)| p.len())
            .sum()
    };
    let second_s = time(0).min(time(1));
    let (Some(f0_a), Some(f0_b)) = (mean_log_f0(0), mean_log_f0(1)) else {
        return Err(NotTwoVoices::OneVoice {
            second_s: 0.0,
            speech_s,
        });
    };
    if second_s < MIN_VOICE_S.max(MIN_SHARE * speech_s) {
        return Err(NotTwoVoices::OneVoice { second_s, speech_s });
    }
    let pitch_gap_st = 12.0 * (f0_a - f0_b).abs();
    if pitch_gap_st < MIN_PITCH_GAP_ST {
        return Err(NotTwoVoices::AlikeVoices { pitch_gap_st });
    }
    let [a, b] = regions_of(&pieces, &labels, cells, [f0_a, f0_b]);
    let first = |r: &[(f64, f64)]| r.first().map_or(f64::INFINITY, |x| x.0);
    let (regions, pitch) = if first(&a) <= first(&b) {
        ([a, b], [f0_a, f0_b])
    } else {
        ([b, a], [f0_b, f0_a])
    };
    Ok(Voices {
        regions,
        pitch_hz: pitch.map(f64::exp2),
    })
}

/// The cells of `cells` that lie mostly inside `start..end` and count.
fn cells_in(cells: &[Cell], start: f64, end: f64) -> impl Iterator<Item = (usize, &Cell)> {
    let first = (start / CELL_S).floor().max(0.0) as usize;
    let last = ((end / CELL_S).ceil().max(0.0) as usize).min(cells.len());
    cells
        .iter()
        .enumerate()
        .take(last)
        .skip(first)
        .filter(move |(i, c)| {
            let (a, b) = (*i as f64 * CELL_S, (*i + 1) as f64 * CELL_S);
            b.min(end) - a.max(start) >= CELL_S / 2.0 && c.frames >= MIN_FRAMES
        })
}

/// Mean and standard deviation.
fn moments(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut sum, mut sq) = (0.0, 0.0, 0.0);
    for v in values {
        n += 1.0;
        sum += v;
        sq += v * v;
    }
    if n == 0.0 {
        return (0.0, 1.0);
    }
    let mean = sum / n;
    (mean, (sq / n - mean * mean).max(0.0).sqrt().max(1e-6))
}

/// A piece before standardizing: region, start, end, and its cells' cepstrum and
/// log2 pitch.
type RawPiece = (usize, f64, f64, Vec<([f32; CEPS], Option<f32>)>);

/// The regions cut into equal pieces of about [`PIECE_S`], their cells' features
/// standardized over all the speech of the call (each to mean 0, variance 1;
/// pitch over the voiced cells).
fn pieces(cells: &[Cell], regions: &[(f64, f64)]) -> Vec<Piece> {
    let raw: Vec<RawPiece> = regions
        .iter()
        .enumerate()
        .flat_map(|(region, &(s, e))| {
            let parts = ((e - s) / PIECE_S).round().max(1.0) as usize;
            (0..parts).map(move |k| {
                let start = s + (e - s) * k as f64 / parts as f64;
                let end = s + (e - s) * (k + 1) as f64 / parts as f64;
                let cells: Vec<_> = cells_in(cells, start, end)
                    .filter_map(|(_, c)| c.mean_ceps().map(|x| (x, c.mean_log_f0())))
                    .collect();
                (region, start, end, cells)
            })
        })
        .collect();
    let all = || raw.iter().flat_map(|p| p.3.iter());
    let ceps: Vec<(f64, f64)> = (0..CEPS)
        .map(|d| moments(all().map(|c| f64::from(c.0[d]))))
        .collect();
    let pitch = moments(all().filter_map(|c| c.1.map(f64::from)));
    raw.into_iter()
        .map(|(region, start, end, raw_cells)| {
            let cells: Vec<([f64; CEPS], Option<f64>)> = raw_cells
                .iter()
                .map(|(x, f0)| {
                    let mut z = [0.0; CEPS];
                    for (d, z) in z.iter_mut().enumerate() {
                        *z = (f64::from(x[d]) - ceps[d].0) / ceps[d].1;
                    }
                    (z, f0.map(|f| (f64::from(f) - pitch.0) / pitch.1))
                })
                .collect();
            let mut f0s: Vec<f64> = raw_cells
                .iter()
                .filter_map(|c| c.1.map(f64::from))
                .collect();
            f0s.sort_by(f64::total_cmp);
            let log_f0 = f0s.get(f0s.len() / 2).copied();
            let x = (!cells.is_empty()).then(|| {
                let n = cells.len() as f64;
                let mut x = [0.0; DIMS];
                for (z, _) in &cells {
                    for d in 0..CEPS {
                        x[d] += z[d] / n;
                    }
                }
                x[PITCH] = log_f0.map_or(0.0, |f| (f - pitch.0) / pitch.1);
                x
            });
            Piece {
                region,
                start,
                end,
                cells,
                x,
                log_f0,
            }
        })
        .collect()
}

/// A diagonal Gaussian per voice over the cells' features.
#[derive(Debug, Clone, Copy)]
struct Gauss {
    mean: [f64; DIMS],
    var: [f64; DIMS],
}

/// Each piece given to the voice whose cell-level Gaussian (fitted on the
/// pieces `labels` gives it) explains its cells better. Comparing whole
/// distributions of 100 ms cells separates pieces the piece means alone leave
/// near the middle.
fn reclassify(pieces: &[Piece], labels: &[u8]) -> Vec<u8> {
    let mut models = [Gauss {
        mean: [0.0; DIMS],
        var: [1.0; DIMS],
    }; 2];
    for (k, g) in models.iter_mut().enumerate() {
        let mine = || {
            pieces
                .iter()
                .zip(labels)
                .filter(move |(_, &l)| usize::from(l) == k)
                .flat_map(|(p, _)| p.cells.iter())
        };
        for d in 0..CEPS {
            let (m, sd) = moments(mine().map(|c| c.0[d]));
            g.mean[d] = m;
            g.var[d] = sd * sd + VAR_FLOOR;
        }
        let (m, sd) = moments(mine().filter_map(|c| c.1));
        g.mean[PITCH] = m;
        g.var[PITCH] = sd * sd + VAR_FLOOR;
    }
    let log_likelihood = |g: &Gauss, (x, f0): &([f64; CEPS], Option<f64>)| -> f64 {
        let term = |d: usize, v: f64| -0.5 * ((v - g.mean[d]).powi(2) / g.var[d] + g.var[d].ln());
        let ceps: f64 = (0..CEPS).map(|d| term(d, x[d])).sum();
        ceps + f0.map_or(0.0, |f| CELL_PITCH_WEIGHT * term(PITCH, f))
    };
    pieces
        .iter()
        .zip(labels)
        .map(|(p, &l)| {
            if p.cells.is_empty() {
                return l;
            }
            let score = |g: &Gauss| p.cells.iter().map(|c| log_likelihood(g, c)).sum::<f64>();
            u8::from(score(&models[1]) > score(&models[0]))
        })
        .collect()
}

fn distance(a: &[f64; DIMS], b: &[f64; DIMS]) -> f64 {
    (0..DIMS)
        .map(|d| {
            let w = if d == PITCH { PITCH_WEIGHT } else { 1.0 };
            w * (a[d] - b[d]).powi(2)
        })
        .sum()
}

/// Two groups by k-means (weighted by length), started from the piece farthest
/// from the call's mean and the piece farthest from that one. A piece without
/// features takes the label of the piece before it (or after, at the start).
fn group(pieces: &[Piece]) -> Vec<u8> {
    let known: Vec<(&[f64; DIMS], f64)> = pieces
        .iter()
        .filter_map(|p| p.x.as_ref().map(|x| (x, p.len())))
        .collect();
    let farthest = |from: &[f64; DIMS]| -> [f64; DIMS] {
        known
            .iter()
            .max_by(|a, b| distance(a.0, from).total_cmp(&distance(b.0, from)))
            .map_or([0.0; DIMS], |k| *k.0)
    };
    let total: f64 = known.iter().map(|k| k.1).sum();
    let mut mean = [0.0; DIMS];
    for (x, w) in &known {
        for d in 0..DIMS {
            mean[d] += x[d] * w / total;
        }
    }
    let c0 = farthest(&mean);
    let mut centres = [c0, farthest(&c0)];
    let mut assign = vec![0u8; known.len()];
    for _ in 0..50 {
        for (a, (x, _)) in assign.iter_mut().zip(&known) {
            *a = u8::from(distance(x, &centres[1]) < distance(x, &centres[0]));
        }
        let mut next = [[0.0; DIMS]; 2];
        let mut weight = [0.0; 2];
        for (&a, (x, w)) in assign.iter().zip(&known) {
            let k = usize::from(a);
            for d in 0..DIMS {
                next[k][d] += x[d] * w;
            }
            weight[k] += w;
        }
        for k in 0..2 {
            if weight[k] > 0.0 {
                next[k] = next[k].map(|v| v / weight[k]);
            } else {
                next[k] = centres[k];
            }
        }
        if next == centres {
            break;
        }
        centres = next;
    }
    let mut labels = Vec::with_capacity(pieces.len());
    let mut known_labels = assign.into_iter();
    for p in pieces {
        labels.push(if p.x.is_some() {
            known_labels.next().unwrap_or(0)
        } else {
            u8::MAX
        });
    }
    // Pieces without features: the label before, or the first known one.
    let first = labels.iter().copied().find(|&l| l != u8::MAX).unwrap_or(0);
    let mut last = first;
    for l in &mut labels {
        if *l == u8::MAX {
            *l = last;
        } else {
            last = *l;
        }
    }
    labels
}

/// The speech regions of each label. Where a region holds pieces of both voices,
/// each change point moves to the cell boundary (within the two pieces around
/// it) where the cells' pitch best fits `log_f0` of the voice before and after.
fn regions_of(
    pieces: &[Piece],
    labels: &[u8],
    cells: &[Cell],
    log_f0: [f64; 2],
) -> [Vec<(f64, f64)>; 2] {
    let mut out: [Vec<(f64, f64)>; 2] = [Vec::new(), Vec::new()];
    let mut i = 0;
    while i < pieces.len() {
        let mut j = i + 1;
        while j < pieces.len() && pieces[j].region == pieces[i].region {
            j += 1;
        }
        // Pieces i..j make one region.
        let mut from = pieces[i].start;
        for k in i + 1..j {
            if labels[k] == labels[k - 1] {
                continue;
            }
            let at = change_point(
                cells,
                pieces[k - 1].start.max(from),
                pieces[k].end,
                [
                    log_f0[usize::from(labels[k - 1])],
                    log_f0[usize::from(labels[k])],
                ],
            );
            if at > from {
                out[usize::from(labels[k - 1])].push((from, at));
                from = at;
            }
        }
        out[usize::from(labels[j - 1])].push((from, pieces[j - 1].end));
        i = j;
    }
    for voice in &mut out {
        voice.dedup_by(|b, a| {
            let join = (b.0 - a.1).abs() < 1e-9;
            if join {
                a.1 = b.1;
            }
            join
        });
    }
    out
}

/// The cell boundary in `start..end` that best splits the voiced cells between a
/// voice of pitch `log_f0[0]` before it and `log_f0[1]` after (least squared
/// error); the middle when no cell is voiced.
fn change_point(cells: &[Cell], start: f64, end: f64, log_f0: [f64; 2]) -> f64 {
    let voiced: Vec<(usize, f64)> = cells_in(cells, start, end)
        .filter_map(|(i, c)| c.mean_log_f0().map(|f| (i, f64::from(f))))
        .collect();
    if voiced.is_empty() {
        return (start + end) / 2.0;
    }
    let cost = |f: f64, k: usize| (f - log_f0[k]).powi(2);
    // Split before voiced[s]: cells before go to voice 0, from s on to voice 1.
    let mut before = 0.0;
    let mut after: f64 = voiced.iter().map(|&(_, f)| cost(f, 1)).sum();
    let mut best = (after, 0);
    for (s, &(_, f)) in voiced.iter().enumerate() {
        before += cost(f, 0);
        after -= cost(f, 1);
        if before + after < best.0 {
            best = (before + after, s + 1);
        }
    }
    let at = match voiced.get(best.1) {
        Some(&(cell, _)) => cell as f64 * CELL_S,
        None => (voiced[voiced.len() - 1].0 + 1) as f64 * CELL_S,
    };
    at.clamp(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::voice::StreamingVoice;

    const RATE: f64 = 16_000.0;

    /// A voiced buzz at `hz` with a formant-like spectral tilt `bright`, its
    /// pitch wobbling a little like speech.
    fn voice(hz: f64, bright: f64, seconds: f64, phase: &mut f64) -> Vec<f64> {
        (0..(seconds * RATE) as usize)
            .map(|i| {
                let t = i as f64 / RATE;
                let f = hz * (1.0 + 0.04 * (std::f64::consts::TAU * 3.0 * t).sin());
                *phase += std::f64::consts::TAU * f / RATE;
                (1..=20)
                    .map(|h| (*phase * h as f64).sin() * (h as f64).powf(-bright))
                    .sum::<f64>()
            })
            .collect()
    }

    /// Speech turns `(voice, seconds)` with `gap` s of silence between them, as
    /// samples, and the true (voice, start, end) of each turn.
    fn conversation(turns: &[(usize, f64)], gap: f64) -> (Vec<i16>, Vec<(usize, f64, f64)>) {
        let voices = [(120.0, 1.6), (230.0, 0.9)];
        let mut out = vec![0i16; (0.5 * RATE) as usize];
        let mut truth = Vec::new();
        let mut phase = 0.0;
        for &(v, len) in turns {
            let start = out.len() as f64 / RATE;
            let (hz, bright) = voices[v];
            let x = voice(hz, bright, len, &mut phase);
            let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            out.extend(x.iter().map(|s| (s / peak * 8_000.0) as i16));
            truth.push((v, start, out.len() as f64 / RATE));
            out.extend(std::iter::repeat_n(0, (gap * RATE) as usize));
        }
        (out, truth)
    }

    fn cells(samples: &[i16]) -> Vec<Cell> {
        let mut v = StreamingVoice::new();
        for b in samples.chunks(4096) {
            v.push(b);
        }
        v.cells().to_vec()
    }

    /// Speech regions as the VAD would give them: the turns, merged where
    /// `gap` is under the VAD's bridge.
    fn regions_of_truth(truth: &[(usize, f64, f64)], bridge: f64) -> Vec<(f64, f64)> {
        let mut out: Vec<(f64, f64)> = Vec::new();
        for &(_, s, e) in truth {
            match out.last_mut() {
                Some(last) if s - last.1 < bridge => last.1 = e,
                _ => out.push((s, e)),
            }
        }
        out
    }

    #[test]
    fn alternating_voices_are_split_where_they_change() {
        let turns = [
            (0, 3.0),
            (1, 2.0),
            (0, 1.5),
            (1, 3.5),
            (0, 2.5),
            (1, 1.2),
            (0, 4.0),
        ];
        // Turns with no pause between them: the change points are inside one
        // region and must be found from the voices.
        let long_turns = turns.map(|(v, len): (usize, f64)| (v, len.max(3.0)));
        for (gap, turns) in [(0.6, &turns), (0.0, &long_turns)] {
            let (samples, truth) = conversation(turns, gap);
            let regions = regions_of_truth(&truth, 0.3);
            let voices = two_voices(&cells(&samples), &regions).unwrap();
            for &(v, s, e) in &truth {
                // Every turn, away from its edges, lies in its voice's regions.
                let inner = (s + 0.2, e - 0.2);
                let covered: f64 = voices.regions[v]
                    .iter()
                    .map(|&(a, b)| (b.min(inner.1) - a.max(inner.0)).max(0.0))
                    .sum();
                assert!(
                    covered > (inner.1 - inner.0) - 1e-9,
                    "gap {gap}: turn {v} {s:.2}-{e:.2} in {:?}",
                    voices.regions
                );
            }
            // Change points within 0.2 s of the truth.
            for w in truth.windows(2) {
                let change = w[0].2;
                let ends: Vec<f64> = voices.regions[w[0].0].iter().map(|r| r.1).collect();
                assert!(
                    ends.iter().any(|&t| (t - change).abs() <= 0.2),
                    "gap {gap}: change at {change:.2}, ends {ends:?}"
                );
            }
            assert!(voices.pitch_gap_st() >= MIN_PITCH_GAP_ST, "{voices:?}");
        }
    }

    #[test]
    fn one_voice_is_not_split() {
        let turns = [(0, 3.0), (0, 2.0), (0, 1.5), (0, 3.5), (0, 2.5), (0, 4.0)];
        let (samples, truth) = conversation(&turns, 0.6);
        let regions = regions_of_truth(&truth, 0.3);
        let got = two_voices(&cells(&samples), &regions);
        assert!(
            matches!(
                got,
                Err(NotTwoVoices::OneVoice { .. } | NotTwoVoices::AlikeVoices { .. })
            ),
            "{got:?}"
        );
    }

    #[test]
    fn too_little_speech_is_not_split() {
        let (samples, truth) = conversation(&[(0, 1.0), (1, 1.0)], 0.6);
        let regions = regions_of_truth(&truth, 0.3);
        assert!(matches!(
            two_voices(&cells(&samples), &regions),
            Err(NotTwoVoices::TooLittleSpeech { .. })
        ));
    }
}
