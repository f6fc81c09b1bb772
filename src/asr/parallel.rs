//! Transcribes the recognizer windows of one call several at a time, as they are
//! cut from the streaming recording. Windows are independent (each is decoded
//! without the previous one's text), and two windows on one core each finish
//! sooner than the same windows one after the other on two cores, because
//! whisper.cpp's token-by-token decoding scales poorly past one thread. The
//! recognizer says how many may run at once and shares its cores among all queued
//! windows (see [`super::core_share`]). The producer waits while that many windows
//! are ready and not yet taken, so a call's audio is never read far ahead.
//!
//! Plain scoped threads rather than rayon: a rayon worker waiting for a window
//! would steal other work, such as another call, and block this one behind it.

use super::{AsrError, RecognizedSegment, Transcriber};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

type WindowResult = Result<Vec<RecognizedSegment>, AsrError>;

/// Hands a window (its index in `0..count` and its 16 kHz samples) to the
/// recognizer; blocks while enough windows are waiting.
pub type WindowSink<'a> = dyn FnMut(usize, Vec<f32>) + 'a;

/// Transcribes windows `0..count`, which `produce` hands over in any order as it
/// cuts them, and returns their segments in window order (times relative to each
/// window's start). Each window is recognized by `recognize(index, samples)`,
/// which may call the transcriber more than once (e.g.
/// [`super::recovery::transcribe_recovering_skips`]); the transcriber says how many
/// windows run at once and shares its cores among them. A window never handed
/// over gives no segments. The first error of `produce` or of the recognizer (in
/// window order) is returned.
pub fn transcribe_windows<E: From<AsrError>>(
    transcriber: &dyn Transcriber,
    count: usize,
    recognize: impl Fn(usize, &[f32]) -> WindowResult + Sync,
    produce: impl FnOnce(&mut WindowSink<'_>) -> Result<(), E>,
) -> Result<Vec<Vec<RecognizedSegment>>, E> {
    let queued = transcriber.queue_windows(count);
    let failed = AtomicBool::new(false);
    let results: Vec<Mutex<Option<WindowResult>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let threads = transcriber.parallel_windows().clamp(1, count.max(1));
    let (sender, receiver) = mpsc::sync_channel::<(usize, Vec<f32>)>(threads);
    let receiver = Mutex::new(receiver);
    let work = || loop {
        let next = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((i, samples)) = next else {
            break;
        };
        // After a failure the rest are taken and dropped, so the producer never
        // waits on a full queue.
        if failed.load(Ordering::Relaxed) {
            queued.finished_one();
            continue;
        }
        let result = recognize(i, &samples);
        drop(samples);
        queued.finished_one();
        failed.fetch_or(result.is_err(), Ordering::Relaxed);
        if let Some(slot) = results.get(i) {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        }
    };
    let produced = std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(work);
        }
        let mut sink = |i: usize, samples: Vec<f32>| {
            // The workers outlive the producer, so the queue is open.
            let _ = sender.send((i, samples));
        };
        let produced = produce(&mut sink);
        drop(sender);
        produced
    });
    produced?;
    let mut out = Vec::with_capacity(count);
    for slot in results {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(segments)) => out.push(segments),
            Some(Err(e)) => return Err(e.into()),
            None => out.push(Vec::new()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
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

    /// Hands windows `0..count` over in order.
    fn run(echo: &Echo, count: usize) -> Result<Vec<Vec<RecognizedSegment>>, AsrError> {
        transcribe_windows(
            echo,
            count,
            |_, s| echo.transcribe(s),
            |sink| {
                (0..count).for_each(|i| sink(i, vec![i as f32; 4]));
                Ok::<(), AsrError>(())
            },
        )
    }

    #[test]
    fn segments_come_back_in_window_order_whatever_finishes_first() {
        let echo = Echo::new(3);
        let out = run(&echo, 10).unwrap();
        let expected: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        assert_eq!(texts(&out), expected);
        assert_eq!(echo.peak.load(Ordering::SeqCst), 3, "three at a time");
        let serial = Echo::new(1);
        assert_eq!(texts(&run(&serial, 4).unwrap()), ["0", "1", "2", "3"]);
        assert_eq!(serial.peak.load(Ordering::SeqCst), 1);
        assert!(run(&serial, 0).unwrap().is_empty());
        // Handed over out of order: still in window order.
        let out = transcribe_windows(
            &echo,
            3,
            |_, s| echo.transcribe(s),
            |sink| {
                [2, 0, 1].into_iter().for_each(|i| sink(i, vec![i as f32]));
                Ok::<(), AsrError>(())
            },
        )
        .unwrap();
        assert_eq!(texts(&out), ["0", "1", "2"]);
    }

    #[test]
    fn a_failed_window_fails_the_call_with_its_own_error() {
        let mut echo = Echo::new(2);
        echo.fail_on = Some(1);
        let err = run(&echo, 6).unwrap_err();
        assert_eq!(err.to_string(), "speech recognition failed: window 1");
    }

    #[test]
    fn a_failing_producer_fails_the_call_and_the_workers_stop() {
        let echo = Echo::new(2);
        let err = transcribe_windows(
            &echo,
            5,
            |_, s| echo.transcribe(s),
            |sink| {
                sink(0, vec![0.0]);
                Err(AsrError::Recognition("the file went away".into()))
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "speech recognition failed: the file went away"
        );
    }
}
