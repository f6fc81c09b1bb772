//! Whisper sometimes jumps over speech inside a window: a timestamp token that
//! skips seconds of audio, after which decoding goes on further along, and the
//! words in between are lost without any sign. On the 198 s benchmark clip one
//! window went from a closing at 119 s straight to 138 s, dropping a greeting and
//! a 工号 announcement; faster-whisper skipped the same stretch. A QA tool must not
//! lose speech silently (a forbidden phrase said there would never be found), so
//! after a window is transcribed, every run of packed speech pieces that no kept
//! segment touches is transcribed once more on its own.

use super::{AsrError, RecognizedSegment, Transcriber};
use std::ops::Range;

/// Uncovered speech shorter than this (seconds, padding included) is not worth a
/// second recognizer pass: it is a breath, a click, or the tail of a word whose
/// segment times are a little short.
pub const MIN_RETRY_S: f64 = 1.0;

/// How far around a segment's own times its words may lie, seconds.
pub const SEGMENT_SLACK_S: f64 = 0.2;

const RATE: f64 = crate::audio::resample::TARGET_RATE as f64;

/// Transcribes one window of packed speech, then each run of its `pieces` (sample
/// ranges within the window, in order) that no segment `keep` accepts overlaps,
/// on its own, once. A run that is the whole window is not retried (the same audio
/// again would give the same answer). Segments come back in time order, relative
/// to the window's start.
pub fn transcribe_recovering_skips(
    transcriber: &dyn Transcriber,
    samples: &[f32],
    pieces: &[Range<usize>],
    keep: &dyn Fn(&RecognizedSegment) -> bool,
) -> Result<Vec<RecognizedSegment>, AsrError> {
    let mut segments = transcriber.transcribe(samples)?;
    for run in uncovered_runs(&segments, pieces, keep) {
        let offset_s = run.start as f64 / RATE;
        let end = run.end.min(samples.len());
        let again = transcriber.transcribe(&samples[run.start.min(end)..end])?;
        segments.extend(again.into_iter().map(|s| s.shifted(offset_s)));
    }
    segments.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    Ok(segments)
}

/// Sample ranges of the window to transcribe again: the stretches of its `pieces`
/// that no kept segment overlaps (segments widened by [`SEGMENT_SLACK_S`], as
/// whisper's segment times are loose), joined across the separators between
/// consecutive pieces, holding at least [`MIN_RETRY_S`] of audio, and not the whole
/// window.
pub fn uncovered_runs(
    segments: &[RecognizedSegment],
    pieces: &[Range<usize>],
    keep: &dyn Fn(&RecognizedSegment) -> bool,
) -> Vec<Range<usize>> {
    let slack = (SEGMENT_SLACK_S * RATE) as usize;
    let mut kept: Vec<Range<usize>> = segments
        .iter()
        .filter(|s| keep(s))
        .map(|s| {
            let a = (s.start_s.max(0.0) * RATE).round() as usize;
            let b = (s.end_s.max(0.0) * RATE).round() as usize;
            a.saturating_sub(slack)..b.max(a) + slack
        })
        .collect();
    kept.sort_by_key(|r| r.start);
    // Runs as (start, end, audio samples), built piece by piece.
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        for gap in uncovered_parts(piece, &kept) {
            let joins = gap.start == piece.start
                && i > 0
                && runs.last().is_some_and(|r| r.1 == pieces[i - 1].end);
            match runs.last_mut() {
                Some(run) if joins => {
                    run.1 = gap.end;
                    run.2 += gap.len();
                }
                _ => runs.push((gap.start, gap.end, gap.len())),
            }
        }
    }
    let whole = pieces.first().map_or(0, |p| p.start)..pieces.last().map_or(0, |p| p.end);
    runs.into_iter()
        .filter(|&(start, end, audio)| {
            audio as f64 / RATE >= MIN_RETRY_S && !(start == whole.start && end == whole.end)
        })
        .map(|(start, end, _)| start..end)
        .collect()
}

/// The parts of `piece` outside every range of `covered` (sorted by start).
fn uncovered_parts(piece: &Range<usize>, covered: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut from = piece.start;
    for c in covered {
        if c.end <= from || c.start >= piece.end {
            continue;
        }
        if c.start > from {
            out.push(from..c.start);
        }
        from = from.max(c.end);
        if from >= piece.end {
            break;
        }
    }
    if from < piece.end {
        out.push(from..piece.end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn seg(start_s: f64, end_s: f64, text: &str) -> RecognizedSegment {
        RecognizedSegment {
            start_s,
            end_s,
            text: text.to_string(),
            tokens: Vec::new(),
            no_speech_prob: 0.0,
        }
    }

    fn secs(a: f64, b: f64) -> Range<usize> {
        (a * RATE) as usize..(b * RATE) as usize
    }

    fn keep_all(_: &RecognizedSegment) -> bool {
        true
    }

    #[test]
    fn runs_are_the_uncovered_stretches_long_enough_and_not_the_whole_window() {
        let pieces = [
            secs(0.0, 3.0),
            secs(3.5, 6.0),
            secs(6.5, 7.0),
            secs(7.5, 9.0),
            secs(9.5, 12.0),
        ];
        // Covers the first and the last piece only: pieces 1-3 are one run,
        // less the slack around the segments.
        let segs = [seg(0.2, 2.9, "a"), seg(9.7, 11.8, "b")];
        assert_eq!(uncovered_runs(&segs, &pieces, &keep_all), [secs(3.5, 9.0)]);
        let segs = [seg(0.2, 3.7, "a"), seg(9.7, 11.8, "b")];
        assert_eq!(uncovered_runs(&segs, &pieces, &keep_all), [secs(3.9, 9.0)]);
        // A segment ending early in a piece leaves its tail, joined to the next.
        let segs = [seg(0.2, 4.3, "a"), seg(9.7, 11.8, "b")];
        assert_eq!(uncovered_runs(&segs, &pieces, &keep_all), [secs(4.5, 9.0)]);
        // 0.5 s alone is too short to retry.
        let segs = [seg(0.0, 6.2, "a"), seg(7.6, 12.0, "b")];
        assert!(uncovered_runs(&segs, &pieces, &keep_all).is_empty());
        // Nothing recognized at all: the same audio again would not help.
        assert!(uncovered_runs(&[], &pieces, &keep_all).is_empty());
        // A segment the caller drops (a hallucination) covers nothing.
        let segs = [seg(0.2, 2.9, "a"), seg(3.0, 12.0, "noise")];
        let keep = |s: &RecognizedSegment| s.text != "noise";
        assert_eq!(uncovered_runs(&segs, &pieces, &keep), [secs(3.5, 12.0)]);
    }

    #[test]
    fn uncovered_parts_of_a_piece() {
        let c = [secs(1.0, 2.0), secs(1.5, 3.0), secs(5.0, 6.0)];
        assert_eq!(
            uncovered_parts(&secs(0.0, 7.0), &c),
            [secs(0.0, 1.0), secs(3.0, 5.0), secs(6.0, 7.0)]
        );
        assert!(uncovered_parts(&secs(1.2, 2.8), &c).is_empty());
        assert_eq!(uncovered_parts(&secs(3.0, 4.0), &c), [secs(3.0, 4.0)]);
    }

    /// Skips everything after 3 s on the first call; on later calls hears "b"
    /// across whatever it is given.
    struct Skipper {
        calls: Mutex<Vec<usize>>,
    }

    impl Transcriber for Skipper {
        fn transcribe(&self, samples: &[f32]) -> Result<Vec<RecognizedSegment>, AsrError> {
            let mut calls = self.calls.lock().unwrap();
            calls.push(samples.len());
            let len_s = samples.len() as f64 / RATE;
            Ok(if calls.len() == 1 {
                vec![seg(0.0, 2.9, "a")]
            } else {
                vec![seg(0.1, len_s - 0.1, "b")]
            })
        }
        fn fingerprint(&self) -> String {
            "skipper".into()
        }
    }

    #[test]
    fn a_skipped_stretch_is_transcribed_again_and_placed_in_the_window() {
        let skipper = Skipper {
            calls: Mutex::new(Vec::new()),
        };
        let samples = vec![0.0; (12.0 * RATE) as usize];
        let pieces = [secs(0.0, 3.0), secs(3.5, 6.0), secs(6.5, 12.0)];
        let out = transcribe_recovering_skips(&skipper, &samples, &pieces, &keep_all).unwrap();
        assert_eq!(
            *skipper.calls.lock().unwrap(),
            [samples.len(), secs(3.5, 12.0).len()]
        );
        let texts: Vec<(&str, f64)> = out.iter().map(|s| (s.text.as_str(), s.start_s)).collect();
        assert_eq!(texts.len(), 2);
        assert_eq!(texts[0], ("a", 0.0));
        assert_eq!(texts[1].0, "b");
        assert!((texts[1].1 - 3.6).abs() < 1e-9, "{texts:?}");
    }

    /// The runs, recomputed the slow way: every 10 ms unit of a piece is
    /// covered or not, uncovered units join when adjacent in a piece or at the
    /// boundary of two consecutive pieces.
    fn reference_runs(pieces: &[Range<usize>], segs: &[RecognizedSegment]) -> Vec<Range<usize>> {
        const UNIT: usize = 160;
        let slack = (SEGMENT_SLACK_S * RATE) as usize;
        let covered = |u: usize| {
            segs.iter().any(|s| {
                let a = ((s.start_s * RATE).round() as usize).saturating_sub(slack);
                let b = (s.end_s * RATE).round() as usize + slack;
                u < b && u + UNIT > a
            })
        };
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        let mut prev_end = None; // end of the previous uncovered unit
        for (i, p) in pieces.iter().enumerate() {
            for u in (p.start..p.end).step_by(UNIT) {
                if covered(u) {
                    continue;
                }
                let joins = prev_end == Some(u)
                    || (u == p.start && i > 0 && prev_end == Some(pieces[i - 1].end));
                match runs.last_mut() {
                    Some(r) if joins => {
                        r.1 = u + UNIT;
                        r.2 += UNIT;
                    }
                    _ => runs.push((u, u + UNIT, UNIT)),
                }
                prev_end = Some(u + UNIT);
            }
        }
        let whole = (
            pieces.first().map_or(0, |p| p.start),
            pieces.last().map_or(0, |p| p.end),
        );
        runs.into_iter()
            .filter(|&(a, b, n)| n as f64 / RATE >= MIN_RETRY_S && (a, b) != whole)
            .map(|(a, b, _)| a..b)
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// On a 10 ms grid (pieces and segment times on it), the runs are exactly
        /// the reference's.
        #[test]
        fn runs_match_a_unit_by_unit_reference(
            shape in proptest::collection::vec((0usize..80, 1usize..400), 1..8),
            seg_units in proptest::collection::vec((0usize..3000, 0usize..600), 0..5),
        ) {
            const UNIT: usize = 160;
            let mut pieces = Vec::new();
            let mut at = 0;
            for (gap, len) in shape {
                let start = at + gap * UNIT;
                pieces.push(start..start + len * UNIT);
                at = start + len * UNIT + 50 * UNIT;
            }
            let segs: Vec<RecognizedSegment> = seg_units
                .iter()
                .map(|&(a, len)| seg((a * UNIT) as f64 / RATE, ((a + len) * UNIT) as f64 / RATE, "x"))
                .collect();
            proptest::prop_assert_eq!(
                uncovered_runs(&segs, &pieces, &keep_all),
                reference_runs(&pieces, &segs)
            );
        }
    }
}
