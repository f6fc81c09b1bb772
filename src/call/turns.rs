//! Recognized segments become speaker turns on the recording's time axis.

use crate::asr::RecognizedSegment;
use crate::audio::pack::{PackedSpeech, PAD_S};
use crate::interaction::{Speaker, TimedSpan, Turn};

/// One recognized segment as a turn. A segment can span two packed pieces (two
/// utterances the recording has apart); it still becomes one turn, because the
/// recognizer's token times at a cut are unreliable (it often times the first word
/// of the next utterance into the previous one, which would split 没|办法 across two
/// turns and hide the phrase). Each token keeps its own time on the recording's axis
/// in `spans`, so window rules still see when each word was said.
pub fn segment_turns(
    seg: &RecognizedSegment,
    packed: &PackedSpeech,
    speaker: Speaker,
) -> Vec<Turn> {
    if seg.tokens.is_empty() {
        let text = seg.text.trim();
        if text.is_empty() {
            return Vec::new();
        }
        let piece = packed.piece_at(seg.start_s);
        let start = packed.to_original_in(piece, seg.start_s);
        let end = packed.to_original(seg.end_s).max(start);
        return vec![Turn::new(speaker, start, end, text)];
    }
    let piece_of = |start_s: f64, end_s: f64| packed.piece_at((start_s + end_s) / 2.0);
    let mut text = String::new();
    let mut spans = Vec::new();
    for tok in &seg.tokens {
        let piece_text = if text.is_empty() {
            tok.text.trim_start()
        } else {
            tok.text.as_str()
        };
        if piece_text.is_empty() {
            continue;
        }
        let start_byte = text.len();
        text.push_str(piece_text);
        if !piece_text.trim().is_empty() {
            let piece = piece_of(tok.start_s, tok.end_s);
            let start_s = packed.to_original_in(piece, tok.start_s);
            let end_s = packed.to_original_in(piece, tok.end_s).max(start_s);
            spans.push(TimedSpan {
                start_byte,
                end_byte: text.len(),
                start_s,
                end_s,
            });
        }
    }
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    if text.is_empty() {
        return Vec::new();
    }
    for span in &mut spans {
        span.end_byte = span.end_byte.min(trimmed);
    }
    let first = &seg.tokens[0];
    let last = &seg.tokens[seg.tokens.len() - 1];
    let start_s = packed.to_original_in(
        piece_of(first.start_s, first.end_s),
        seg.start_s.min(first.start_s),
    );
    let end_s = packed
        .to_original_in(
            piece_of(last.start_s, last.end_s),
            seg.end_s.max(last.end_s),
        )
        .max(start_s);
    let start_s = spans.first().map_or(start_s, |s| s.start_s.min(start_s));
    let end_s = spans.iter().map(|s| s.end_s).fold(end_s, f64::max);
    vec![Turn {
        speaker,
        start_s,
        end_s,
        text,
        spans,
    }]
}

/// How far a turn's recognized start or end may lie from the speech the voice
/// detector found and still be moved onto it, seconds.
pub const SNAP_S: f64 = 1.5;

/// Turn times from the speech itself. Whisper's segment times drift by up to a
/// second (a segment often starts where the previous one ended, or late), while
/// the voice detector knows where each utterance starts and ends. The first turn
/// of each packed piece (`turns` sorted, one channel) starts where the piece's
/// speech starts and the last one ends where it ends, when they are within
/// [`SNAP_S`]; token times (`spans`) stay as recognized.
pub fn snap_to_speech(turns: &mut [Turn], packed: &PackedSpeech) {
    let speech = |p: usize| {
        let piece = &packed.pieces[p];
        (piece.orig_start_s() + PAD_S, piece.orig_end_s() - PAD_S)
    };
    // The piece nearest to a time (the one holding it, when one does); pieces
    // are sorted and disjoint.
    let piece_of = |t: f64| {
        let pieces = &packed.pieces;
        let after = pieces.partition_point(|p| p.orig_end_s() < t);
        let distance = |i: usize| (pieces[i].orig_start_s() - t).max(t - pieces[i].orig_end_s());
        match (
            after.checked_sub(1),
            (after < pieces.len()).then_some(after),
        ) {
            (Some(a), Some(b)) => Some(if distance(a) <= distance(b) { a } else { b }),
            (a, b) => a.or(b),
        }
    };
    let mut previous_piece = None;
    for i in 0..turns.len() {
        let (Some(first), Some(last)) = (piece_of(turns[i].start_s), piece_of(turns[i].end_s))
        else {
            continue;
        };
        let start = speech(first).0;
        if previous_piece != Some(first) && (turns[i].start_s - start).abs() <= SNAP_S {
            turns[i].start_s = start.min(turns[i].end_s);
        }
        previous_piece = Some(last);
        let next_in_same = turns
            .get(i + 1)
            .and_then(|n| piece_of(n.start_s))
            .is_some_and(|q| q == last);
        let end = speech(last).1;
        if !next_in_same && (turns[i].end_s - end).abs() <= SNAP_S && end > turns[i].start_s {
            turns[i].end_s = end;
        }
    }
}
