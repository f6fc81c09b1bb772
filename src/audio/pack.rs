//! Packs the speech of one channel into a single buffer for the recognizer and
//! maps recognizer times back to the recording.
//!
//! Why pack rather than zero the silence or transcribe each region on its own:
//! Whisper's cost is per 30 s window, so a channel with 40 short utterances would
//! cost 40 full windows if sent one by one, and a channel with silence zeroed still
//! costs every window of the call and invites Whisper to hallucinate on the long
//! silent stretches. Packing the padded regions back to back, with a short silence
//! between them so Whisper ends segments there, sends only speech (about half of a
//! typical two-party channel) while keeping context between neighbouring
//! utterances. The piece table maps every time back exactly.

use super::resample::TARGET_RATE;

/// Speech kept before and after each VAD region, seconds (VAD onsets are late
/// and soft word endings get cut).
pub const PAD_S: f64 = 0.2;
/// Silence inserted between packed pieces, seconds.
pub const SEPARATOR_S: f64 = 0.5;

/// One stretch of the recording placed in the packed buffer, in samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Where it starts in the packed buffer.
    pub packed_start: usize,
    /// Where it starts and ends in the recording.
    pub orig_start: usize,
    pub orig_end: usize,
}

impl Piece {
    fn len(&self) -> usize {
        self.orig_end - self.orig_start
    }

    fn packed_end(&self) -> usize {
        self.packed_start + self.len()
    }

    /// Where it lies in the packed buffer, samples.
    pub fn packed_range(&self) -> std::ops::Range<usize> {
        self.packed_start..self.packed_end()
    }

    pub fn packed_start_s(&self) -> f64 {
        seconds(self.packed_start)
    }

    pub fn orig_start_s(&self) -> f64 {
        seconds(self.orig_start)
    }

    pub fn orig_end_s(&self) -> f64 {
        seconds(self.orig_end)
    }
}

fn seconds(samples: usize) -> f64 {
    samples as f64 / f64::from(TARGET_RATE)
}

/// The packed speech of one channel: where each piece goes, not a copy of the
/// samples (a copy of an hour-long channel's speech would be over 100 MB); the
/// recognizer's windows are gathered one at a time while the recording streams
/// past ([`super::windows::WindowFiller`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PackedSpeech {
    pub pieces: Vec<Piece>,
}

impl PackedSpeech {
    /// Packs `regions` (seconds, sorted) of a 16 kHz channel `len` samples long,
    /// each padded by [`PAD_S`]; regions whose padding overlaps are joined.
    pub fn new(len: usize, regions: &[(f64, f64)]) -> Self {
        let rate = f64::from(TARGET_RATE);
        let len_s = len as f64 / rate;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for &(s, e) in regions {
            let a = ((s - PAD_S).max(0.0) * rate).round() as usize;
            let b = ((e + PAD_S).min(len_s) * rate).round() as usize;
            let b = b.min(len);
            if b <= a {
                continue;
            }
            match spans.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => spans.push((a, b)),
            }
        }
        let gap = (SEPARATOR_S * rate) as usize;
        let mut pieces: Vec<Piece> = Vec::with_capacity(spans.len());
        for (a, b) in spans {
            let packed_start = pieces.last().map_or(0, |p| p.packed_end() + gap);
            pieces.push(Piece {
                packed_start,
                orig_start: a,
                orig_end: b,
            });
        }
        PackedSpeech { pieces }
    }

    /// Length of the packed buffer, samples.
    pub fn len(&self) -> usize {
        self.pieces.last().map_or(0, Piece::packed_end)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples of `range` of the packed buffer: the pieces' audio from
    /// `channel` (the one this was packed from), silence between them. Copied from
    /// a whole channel held in memory, so it is only the reference the streamed
    /// windows are tested against.
    #[cfg(test)]
    pub fn samples(&self, channel: &[i16], range: std::ops::Range<usize>) -> Vec<f32> {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        let mut out = vec![0.0; end - start];
        let first = self.pieces.partition_point(|p| p.packed_end() <= start);
        for p in &self.pieces[first..] {
            if p.packed_start >= end {
                break;
            }
            let from = p.packed_start.max(start);
            let to = p.packed_end().min(end);
            let source = &channel[p.orig_start + (from - p.packed_start)..][..to - from];
            for (o, &s) in out[from - start..to - start].iter_mut().zip(source) {
                *o = crate::audio::sample_to_f32(s);
            }
        }
        out
    }

    /// Splits the packed buffer into windows for the recognizer: sample ranges of
    /// whole pieces, each at most `max_s` long unless a single piece is longer.
    /// Whisper encodes 30 s at a time and, after each window, starts the next one
    /// where its last segment ended, so one long buffer costs more encoder passes
    /// than its length (198 s of speech took 9 passes of 30 s) and its last pass
    /// is mostly padding; windows that each fit in one pass, with the encoder
    /// context cut to their length, cost only what they hold.
    pub fn windows(&self, max_s: f64) -> Vec<std::ops::Range<usize>> {
        self.windows_split(max_s, |_, _| false)
    }

    /// Like [`PackedSpeech::windows`], but a window also ends before a piece when
    /// `split(previous, next)` says so (e.g. the other party spoke between them,
    /// so the two belong to different turns of the conversation).
    pub fn windows_split(
        &self,
        max_s: f64,
        split: impl Fn(&Piece, &Piece) -> bool,
    ) -> Vec<std::ops::Range<usize>> {
        let max = max_s * f64::from(TARGET_RATE);
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.pieces.len() {
            let start = self.pieces[i].packed_start;
            let mut last = i;
            while last + 1 < self.pieces.len()
                && (self.pieces[last + 1].packed_end() - start) as f64 <= max
                && !split(&self.pieces[last], &self.pieces[last + 1])
            {
                last += 1;
            }
            out.push(start..self.pieces[last].packed_end());
            i = last + 1;
        }
        out
    }

    /// The piece a packed time belongs to: the last piece starting at or before
    /// it (times in a separator belong to the piece before).
    pub fn piece_at(&self, packed_s: f64) -> usize {
        self.pieces
            .partition_point(|p| p.packed_start_s() <= packed_s)
            .saturating_sub(1)
    }

    /// Recording time of a packed time, clamped into piece `index`.
    pub fn to_original_in(&self, index: usize, packed_s: f64) -> f64 {
        let Some(p) = self.pieces.get(index) else {
            return packed_s;
        };
        (p.orig_start_s() + (packed_s - p.packed_start_s())).clamp(p.orig_start_s(), p.orig_end_s())
    }

    /// Recording time of a packed time.
    pub fn to_original(&self, packed_s: f64) -> f64 {
        self.to_original_in(self.piece_at(packed_s), packed_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_padded_regions_and_maps_times_back() {
        // Sample i holds i mod 32,000, so every copied sample says where it came from.
        let at = |i: usize| crate::audio::sample_to_f32((i % 32_000) as i16);
        let channel: Vec<i16> = (0..16_000 * 10).map(|i| (i % 32_000) as i16).collect();
        let packed = PackedSpeech::new(channel.len(), &[(1.0, 2.0), (2.3, 3.0), (7.0, 8.0)]);
        // The first two join once padded (2.2 >= 2.1).
        assert_eq!(packed.pieces.len(), 2);
        assert!((packed.pieces[0].orig_start_s() - 0.8).abs() < 1e-9);
        assert!((packed.pieces[0].orig_end_s() - 3.2).abs() < 1e-9);
        assert!((packed.pieces[1].packed_start_s() - (2.4 + SEPARATOR_S)).abs() < 1e-9);
        assert_eq!(packed.len(), 38_400 + 8_000 + 22_400);
        // Sample identity survives packing.
        let samples = packed.samples(&channel, 0..packed.len());
        let second = (packed.pieces[1].packed_start_s() * 16_000.0).round() as usize;
        assert_eq!(samples[second], at(108_800));
        assert_eq!(samples[0], at(12_800));
        assert_eq!(samples[38_399], at(51_199));
        assert!(
            samples[38_400..second].iter().all(|&s| s == 0.0),
            "silent gap"
        );
        // Any sub-range is the same slice of the whole.
        for (a, b) in [
            (0, 10),
            (38_000, 47_000),
            (38_500, 38_600),
            (46_399, 68_800),
            (60_000, 99_999),
        ] {
            let b = b.min(packed.len());
            assert_eq!(
                packed.samples(&channel, a..b),
                samples[a..b].to_vec(),
                "{a}..{b}"
            );
        }
        assert!((packed.to_original(0.5) - 1.3).abs() < 1e-9);
        assert!((packed.to_original(2.9 + 0.25) - 7.05).abs() < 1e-9);
        // Inside the separator: clamped to the end of the piece before.
        assert!((packed.to_original(2.6) - 3.2).abs() < 1e-9);
    }

    #[test]
    fn windows_hold_whole_pieces_in_order_and_respect_the_limit() {
        let channel = vec![0i16; 16_000 * 120];
        // Ten 5 s utterances, 6 s apart; one 40 s monologue at the end.
        let mut regions: Vec<(f64, f64)> = (0..10)
            .map(|k| (k as f64 * 6.0, k as f64 * 6.0 + 5.0))
            .collect();
        regions.push((70.0, 110.0));
        let packed = PackedSpeech::new(channel.len(), &regions);
        let windows = packed.windows(27.0);
        let mut next_piece = 0;
        let mut last_end = 0;
        for w in &windows {
            assert!(w.start >= last_end && w.start < w.end && w.end <= packed.len());
            let first = packed.piece_at(w.start as f64 / 16_000.0);
            assert_eq!(first, next_piece, "windows start at the next piece");
            let inside = packed.pieces[first..]
                .iter()
                .take_while(|p| ((p.packed_start_s() * 16_000.0).round() as usize) < w.end)
                .count();
            assert!(
                inside == 1 || (w.end - w.start) as f64 <= 27.0 * 16_000.0,
                "{w:?}"
            );
            next_piece += inside;
            last_end = w.end;
        }
        assert_eq!(next_piece, packed.pieces.len(), "every piece in a window");
        // 10 x 5.4 s pieces + separators: five fit in 27 s? 5 x 5.4 + 4 x 0.5 = 29 > 27,
        // so four per window; the monologue is a window of its own.
        assert_eq!(windows.len(), 4);
        assert!(packed.windows(1000.0).len() == 1);
        assert!(PackedSpeech::new(channel.len(), &[])
            .windows(27.0)
            .is_empty());
    }

    #[test]
    fn no_speech_packs_nothing() {
        let packed = PackedSpeech::new(1000, &[]);
        assert!(packed.is_empty() && packed.pieces.is_empty());
        assert_eq!(packed.to_original(1.0), 1.0);
    }
}
