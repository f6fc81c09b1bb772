//! Transcribes the recognizer windows of one call several at a time. Windows are
//! independent (each is decoded without the previous one's text), and two windows
//! on one core each finish sooner than the same windows one after the other on two
//! cores, because whisper.cpp's token-by-token decoding scales poorly past one
//! thread. The recognizer says how many may run at once and shares its cores among
//! all queued windows (see [`super::core_share`]).
//!
//! Plain scoped threads rather than rayon: a rayon worker waiting for a window
//! would steal other work, such as another call that then blocks on the audio
//! budget this call holds.

use super::{AsrError, RecognizedSegment, Transcriber};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

type WindowResult = Result<Vec<RecognizedSegment>, AsrError>;

/// Transcribes windows `0..count`, whose samples `samples_of` copies out when the
/// window's turn comes, and returns their segments in window order (times relative
/// to each window's start). Stops at the first failure and returns it.
pub fn transcribe_windows(
    transcriber: &dyn Transcriber,
    count: usize,
    samples_of: &(dyn Fn(usize) -> Vec<f32> + Sync),
) -> Result<Vec<Vec<RecognizedSegment>>, AsrError> {
    let queued = transcriber.queue_windows(count);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<Mutex<Option<WindowResult>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= count || failed.load(Ordering::Relaxed) {
            break;
        }
        let result = transcriber.transcribe(&samples_of(i));
        queued.finished_one();
        failed.fetch_or(result.is_err(), Ordering::Relaxed);
        *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
    };
    let threads = transcriber.parallel_windows().clamp(1, count.max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let mut out = Vec::with_capacity(count);
    for slot in results {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(segments)) => out.push(segments),
            Some(Err(e)) => return Err(e),
            // Skipped after another window failed, whose error this loop reaches.
            None => out.push(Vec::new()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Says which window it got (its first sample), from a few threads at once.
    struct Echo {
        parallel: usize,
        running: AtomicUsize,
        peak: AtomicUsize,
        fail_on: Option<usize>,
    }

    impl Echo {
        fn new(parallel: usize) -> Self {
            Echo {
                parallel,
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                fail_on: None,
            }
        }
    }

    impl Transcriber for Echo {
        fn transcribe(&self, samples: &[f32]) -> Result<Vec<RecognizedSegment>, AsrError> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            let index = samples[0] as usize;
            // Later windows finish first, so order comes from the index, not timing.
            std::thread::sleep(Duration::from_millis(20 - index as u64));
            self.running.fetch_sub(1, Ordering::SeqCst);
            if self.fail_on == Some(index) {
                return Err(AsrError::Recognition(format!("window {index}")));
            }
            Ok(vec![RecognizedSegment {
                start_s: 0.0,
                end_s: 1.0,
                text: index.to_string(),
                tokens: Vec::new(),
                no_speech_prob: 0.0,
            }])
        }
        fn fingerprint(&self) -> String {
            "echo".into()
        }
        fn parallel_windows(&self) -> usize {
            self.parallel
        }
    }

    fn texts(out: &[Vec<RecognizedSegment>]) -> Vec<String> {
        out.iter().map(|s| s[0].text.clone()).collect()
    }

    #[test]
    fn segments_come_back_in_window_order_whatever_finishes_first() {
        let echo = Echo::new(3);
        let out = transcribe_windows(&echo, 10, &|i| vec![i as f32; 4]).unwrap();
        let expected: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        assert_eq!(texts(&out), expected);
        assert_eq!(echo.peak.load(Ordering::SeqCst), 3, "three at a time");
        let serial = Echo::new(1);
        assert_eq!(
            texts(&transcribe_windows(&serial, 4, &|i| vec![i as f32]).unwrap()),
            ["0", "1", "2", "3"]
        );
        assert_eq!(serial.peak.load(Ordering::SeqCst), 1);
        assert!(transcribe_windows(&serial, 0, &|_| vec![])
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_failed_window_fails_the_call_with_its_own_error() {
        let mut echo = Echo::new(2);
        echo.fail_on = Some(1);
        let err = transcribe_windows(&echo, 6, &|i| vec![i as f32]).unwrap_err();
        assert_eq!(err.to_string(), "speech recognition failed: window 1");
    }
}
