//! Recognized segments become speaker turns on the recording's time axis.

use crate::asr::RecognizedSegment;
use crate::audio::pack::{PackedSpeech, PAD_S};
use crate::interaction::{Speaker, TimedSpan, Turn};

/// A recognizer window (and so a turn) never holds two utterances of a channel
/// that are further apart than this, seconds (between the padded pieces): a turn is
/// what one party says without a real pause, so "喂？" and, 8 s later, "您好" are two
/// turns with their own times.
pub const TURN_GAP_S: f64 = 1.0;

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

/// Characters that end a sentence in recognized text.
const SENTENCE_ENDS: &[char] = &['。', '？', '！', '?', '!'];

/// A turn cut at its sentence ends, by the times of its tokens: on a mono call
/// the voice detector bridges a quick reply into the utterance before it, and
/// Whisper often puts a question and its answer in one segment ("请问新的地址是哪里？
/// 改到人民路八号。"), so a sentence is the finer unit of who said what. A cut is
/// made only where both sides have timed tokens and the second starts no earlier
/// than the first ends; a turn without spans comes back whole.
pub fn sentence_turns(turn: &Turn) -> Vec<Turn> {
    let mut out = Vec::new();
    let mut from = 0; // index into spans of the current sentence's first token
    let mut from_byte = 0;
    let spans = &turn.spans;
    let word = |s: &TimedSpan| {
        turn.text[s.start_byte..s.end_byte]
            .chars()
            .any(char::is_alphanumeric)
    };
    // The last token that is a word: a cut after it leaves nothing to say.
    let last_word = spans.iter().rposition(word).unwrap_or(0);
    for (i, span) in spans.iter().enumerate().take(last_word) {
        let next = &spans[i + 1];
        let ends = turn.text[span.start_byte..span.end_byte]
            .trim_end()
            .ends_with(SENTENCE_ENDS);
        if ends && next.start_s >= span.end_s && spans[from..=i].iter().any(word) {
            out.push(piece(turn, &spans[from..=i], from_byte, next.start_byte));
            from = i + 1;
            from_byte = next.start_byte;
        }
    }
    if out.is_empty() {
        return vec![turn.clone()];
    }
    out.push(piece(turn, &spans[from..], from_byte, turn.text.len()));
    // The turn's own ends (snapped to the speech) stay its first and last
    // sentence's.
    out[0].start_s = out[0].start_s.min(turn.start_s);
    if let Some(last) = out.last_mut() {
        last.end_s = last.end_s.max(turn.end_s);
    }
    out
}

/// Consecutive turns (sorted) of the same known party whose gap is at most
/// `max_gap_s` joined into one, as the turns of a stereo call's channel are: on a
/// mono call the sentences are read one by one to tell who said what, and once
/// each has its party, one party's sentences until the other speaks (or a long
/// pause) are again one turn. Each token keeps its time in `spans`; the joined
/// text puts a space only between two ASCII words.
pub fn joined_turns(turns: Vec<Turn>, max_gap_s: f64) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::with_capacity(turns.len());
    for turn in turns {
        match out.last_mut() {
            Some(last)
                if last.speaker == turn.speaker
                    && last.speaker != Speaker::Unknown
                    && turn.start_s - last.end_s <= max_gap_s =>
            {
                append(last, turn);
            }
            _ => out.push(turn),
        }
    }
    out
}

/// `next`'s text and spans after `turn`'s.
fn append(turn: &mut Turn, next: Turn) {
    let ascii_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if ascii_word(turn.text.chars().last()) && ascii_word(next.text.chars().next()) {
        turn.text.push(' ');
    }
    let base = turn.text.len();
    turn.text.push_str(&next.text);
    turn.spans.extend(next.spans.into_iter().map(|s| TimedSpan {
        start_byte: s.start_byte + base,
        end_byte: s.end_byte + base,
        ..s
    }));
    turn.end_s = turn.end_s.max(next.end_s);
}

/// The part of `turn` from byte `start` to `end`, holding `spans`.
fn piece(turn: &Turn, spans: &[TimedSpan], start: usize, end: usize) -> Turn {
    let text = turn.text[start..end].trim();
    let lead = turn.text[start..end].len() - turn.text[start..end].trim_start().len();
    let base = start + lead;
    let spans: Vec<TimedSpan> = spans
        .iter()
        .map(|s| TimedSpan {
            start_byte: s.start_byte.saturating_sub(base).min(text.len()),
            end_byte: s.end_byte.saturating_sub(base).min(text.len()),
            start_s: s.start_s,
            end_s: s.end_s,
        })
        .collect();
    let start_s = spans.first().map_or(turn.start_s, |s| s.start_s);
    let end_s = spans.iter().map(|s| s.end_s).fold(start_s, f64::max);
    Turn {
        speaker: turn.speaker,
        start_s,
        end_s,
        text: text.to_string(),
        spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A turn of timed tokens: each `(text, start_s, end_s)`.
    fn timed(tokens: &[(&str, f64, f64)]) -> Turn {
        let mut text = String::new();
        let mut spans = Vec::new();
        for &(t, s, e) in tokens {
            let start_byte = text.len();
            text.push_str(t);
            spans.push(TimedSpan {
                start_byte,
                end_byte: text.len(),
                start_s: s,
                end_s: e,
            });
        }
        Turn {
            speaker: Speaker::Unknown,
            start_s: tokens[0].1,
            end_s: tokens[tokens.len() - 1].2,
            text,
            spans,
        }
    }

    #[test]
    fn a_question_and_its_answer_become_two_sentences() {
        let turn = timed(&[
            ("请问", 37.6, 37.9),
            ("地址", 37.9, 38.4),
            ("是哪里", 38.4, 39.0),
            ("?", 39.0, 39.2),
            ("人民路", 39.6, 40.4),
            ("八号", 40.4, 41.0),
            ("。", 41.0, 41.1),
        ]);
        let parts = sentence_turns(&turn);
        let texts: Vec<&str> = parts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["请问地址是哪里?", "人民路八号。"]);
        assert_eq!((parts[0].start_s, parts[0].end_s), (37.6, 39.2));
        assert_eq!((parts[1].start_s, parts[1].end_s), (39.6, 41.1));
        // Each part's spans index its own text.
        let second = &parts[1];
        let words: Vec<&str> = second
            .spans
            .iter()
            .map(|s| &second.text[s.start_byte..s.end_byte])
            .collect();
        assert_eq!(words, ["人民路", "八号", "。"]);
    }

    #[test]
    fn sentences_of_one_party_join_again_until_the_other_speaks() {
        let mut a = timed(&[("您好", 0.5, 1.0), ("。", 1.0, 1.1)]);
        let mut b = timed(&[("工号", 1.6, 2.0), ("123", 2.0, 2.5)]);
        let mut c = timed(&[("我想", 3.0, 3.4), ("查询", 3.4, 4.0)]);
        let mut d = timed(&[("好的", 6.0, 6.5)]);
        let mut e = timed(&[("OK", 6.8, 7.0)]);
        a.speaker = Speaker::Agent;
        b.speaker = Speaker::Agent;
        c.speaker = Speaker::Customer;
        d.speaker = Speaker::Customer;
        e.speaker = Speaker::Customer;
        let joined = joined_turns(vec![a, b, c, d.clone(), e], 1.0);
        let texts: Vec<&str> = joined.iter().map(|t| t.text.as_str()).collect();
        // c and d are 2 s apart: two turns of the customer.
        assert_eq!(texts, ["您好。工号123", "我想查询", "好的OK"]);
        assert_eq!((joined[0].start_s, joined[0].end_s), (0.5, 2.5));
        let first = &joined[0];
        let words: Vec<&str> = first
            .spans
            .iter()
            .map(|s| &first.text[s.start_byte..s.end_byte])
            .collect();
        assert_eq!(words, ["您好", "。", "工号", "123"]);
        assert_eq!(
            first.time_of(first.text.find("工号").unwrap(), first.text.len()),
            (1.6, 2.5)
        );
        // A space only between two ASCII words; unknown speakers stay apart.
        let mut f = Turn::new(Speaker::Agent, 0.0, 1.0, "call");
        let g = Turn::new(Speaker::Agent, 1.2, 2.0, "back");
        assert_eq!(
            joined_turns(vec![f.clone(), g.clone()], 1.0)[0].text,
            "call back"
        );
        f.speaker = Speaker::Unknown;
        let mut g = g;
        g.speaker = Speaker::Unknown;
        assert_eq!(joined_turns(vec![f, g], 1.0).len(), 2);
        d.speaker = Speaker::Agent;
        assert_eq!(joined_turns(vec![d], 1.0).len(), 1);
    }

    #[test]
    fn no_cut_without_sane_times_or_words_after() {
        // The next sentence starts before the first one ends: times unreliable.
        let overlapping = timed(&[("好的", 1.0, 1.5), ("。", 1.5, 2.0), ("再见", 1.8, 2.2)]);
        assert_eq!(sentence_turns(&overlapping), vec![overlapping.clone()]);
        // Only punctuation after the sentence end.
        let trailing = timed(&[("好的", 1.0, 1.5), ("。", 1.5, 1.6), ("！", 1.7, 1.8)]);
        assert_eq!(sentence_turns(&trailing).len(), 1);
        // No spans at all (a turn from a segment without tokens).
        let plain = Turn::new(Speaker::Unknown, 0.0, 2.0, "你好。再见。");
        assert_eq!(sentence_turns(&plain), vec![plain.clone()]);
    }
}
