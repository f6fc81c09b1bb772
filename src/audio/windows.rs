//! Cuts one channel's packed speech into recognizer windows while the recording
//! streams past, so a call is never held whole: a window's samples are gathered
//! from its pieces as the blocks that hold them go by, and the window is handed on
//! as soon as its last piece has been seen. Only the window being filled is kept
//! (at most 27 s, 1.7 MB as f32), whatever the length of the call.

use super::pack::PackedSpeech;
use super::sample_to_f32;
use std::ops::Range;

/// Gathers the windows of one channel, in order, from blocks of that channel.
pub struct WindowFiller<'a> {
    packed: &'a PackedSpeech,
    windows: &'a [Range<usize>],
    /// The window being filled (all before it are handed on).
    next: usize,
    buffer: Option<Vec<f32>>,
}

impl<'a> WindowFiller<'a> {
    /// `windows` are ranges of `packed` made of whole pieces
    /// ([`PackedSpeech::windows`]).
    pub fn new(packed: &'a PackedSpeech, windows: &'a [Range<usize>]) -> Self {
        WindowFiller {
            packed,
            windows,
            next: 0,
            buffer: None,
        }
    }

    /// Takes the channel's samples from sample `start` on (blocks come in order,
    /// without gaps) and hands every window they complete to `ready`, with the
    /// window's index: the same samples as `PackedSpeech::samples` (the in-memory reference of the tests) gives for it.
    pub fn push(&mut self, start: usize, block: &[i16], ready: &mut dyn FnMut(usize, Vec<f32>)) {
        let end = start + block.len();
        while let Some(window) = self.windows.get(self.next) {
            let pieces = self.pieces_of(window);
            let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
                ready(self.next, vec![0.0; window.len()]);
                self.next += 1;
                continue;
            };
            if end <= first.orig_start {
                return;
            }
            let buffer = self.buffer.get_or_insert_with(|| vec![0.0; window.len()]);
            for p in pieces {
                let from = p.orig_start.max(start);
                let to = p.orig_end.min(end);
                if from >= to {
                    continue;
                }
                let at = p.packed_start - window.start + (from - p.orig_start);
                for (o, &s) in buffer[at..at + (to - from)]
                    .iter_mut()
                    .zip(&block[from - start..to - start])
                {
                    *o = sample_to_f32(s);
                }
            }
            if end < last.orig_end {
                return;
            }
            let done = self.buffer.take().unwrap_or_default();
            ready(self.next, done);
            self.next += 1;
        }
    }

    /// The channel ended: windows not complete yet (the recording was shorter
    /// than when it was planned) are handed on with their missing audio silent.
    pub fn finish(mut self, ready: &mut dyn FnMut(usize, Vec<f32>)) {
        while let Some(window) = self.windows.get(self.next) {
            let buffer = self
                .buffer
                .take()
                .unwrap_or_else(|| vec![0.0; window.len()]);
            ready(self.next, buffer);
            self.next += 1;
        }
    }

    fn pieces_of(&self, window: &Range<usize>) -> &'a [super::pack::Piece] {
        let pieces = &self.packed.pieces;
        let a = pieces.partition_point(|p| p.packed_start < window.start);
        let b = pieces.partition_point(|p| p.packed_start < window.end);
        &pieces[a..b.max(a)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filled(
        channel: &[i16],
        packed: &PackedSpeech,
        windows: &[Range<usize>],
        block: usize,
        cut: usize,
    ) -> Vec<(usize, Vec<f32>)> {
        let mut out = Vec::new();
        let mut filler = WindowFiller::new(packed, windows);
        let played = &channel[..cut.min(channel.len())];
        for (i, b) in played.chunks(block).enumerate() {
            filler.push(i * block, b, &mut |w, s| out.push((w, s)));
        }
        filler.finish(&mut |w, s| out.push((w, s)));
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Streamed windows equal the windows copied from the whole channel, in
        /// order, whatever the block size.
        #[test]
        fn streamed_windows_equal_windows_copied_from_the_whole_channel(
            spans in prop::collection::vec((0.0f64..3.0, 0.05f64..8.0), 0..12),
            block in 1usize..20_000,
            max_s in 1.0f64..30.0,
        ) {
            let mut regions = Vec::new();
            let mut t = 0.0;
            for (gap, len) in spans {
                regions.push((t + gap, t + gap + len));
                t += gap + len;
            }
            let len = ((t + 1.0) * 16_000.0) as usize;
            let channel: Vec<i16> = (0..len).map(|i| (i % 30_011) as i16).collect();
            let packed = PackedSpeech::new(channel.len(), &regions);
            let windows = packed.windows(max_s);
            let got = filled(&channel, &packed, &windows, block, usize::MAX);
            prop_assert_eq!(got.len(), windows.len());
            for (i, (w, samples)) in got.into_iter().enumerate() {
                prop_assert_eq!(w, i);
                prop_assert!(samples == packed.samples(&channel, windows[i].clone()), "window {}", i);
            }
        }
    }

    #[test]
    fn a_recording_shorter_than_planned_still_gives_every_window() {
        let channel: Vec<i16> = vec![1000; 16_000 * 20];
        let packed = PackedSpeech::new(channel.len(), &[(1.0, 5.0), (12.0, 18.0)]);
        let windows = packed.windows(5.0);
        assert_eq!(windows.len(), 2);
        // The stream stops at 10 s: the second window comes out silent.
        let got = filled(&channel, &packed, &windows, 4096, 16_000 * 10);
        assert_eq!(got.len(), 2);
        assert!(got[0].1.iter().all(|&s| s > 0.0));
        assert!(got[1].1.iter().all(|&s| s == 0.0));
        assert_eq!(got[1].1.len(), windows[1].len());
    }
}
