//! The binary's reporter: problems and status lines on stderr; on a terminal, a
//! progress bar (indicatif) instead of progress lines. The time left comes from
//! [`crate::eta`] (measured throughput, none until enough is measured), and the
//! final count is printed when the run ends.

use crate::eta::{human, Eta};
use callqa::reporter::Reporter;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct TermReporter {
    bar: Mutex<Option<ProgressBar>>,
    tty: bool,
    /// `-q`: problems only, no status or progress.
    quiet: bool,
    progress: Mutex<Progress>,
    clock: Instant,
}

/// What the progress reports so far say.
#[derive(Default)]
struct Progress {
    eta: Eta,
    /// The latest report: done, total, unit.
    last: Option<(f64, f64, String)>,
    /// When the last plain line was written, and whether it was the latest report.
    line_at: Option<Duration>,
    latest_shown: bool,
}

impl TermReporter {
    pub fn new(quiet: bool) -> Self {
        TermReporter {
            bar: Mutex::new(None),
            tty: std::io::stderr().is_terminal(),
            quiet,
            progress: Mutex::new(Progress::default()),
            clock: Instant::now(),
        }
    }

    /// Ends the progress display with the final count (and the time it took).
    pub fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap().take() {
            bar.finish_and_clear();
        }
        let mut p = self.progress.lock().unwrap();
        if let Some((done, total, unit)) = p.last.take() {
            if !p.latest_shown {
                let took = human(p.eta.elapsed(self.clock.elapsed()));
                let (done, total) = (amount(done), amount(total));
                let _ = writeln!(
                    std::io::stderr(),
                    "progress: {done}/{total} {unit} in {took}"
                );
            }
        }
    }

    fn line(&self, text: &str) {
        let bar = self.bar.lock().unwrap();
        match bar.as_ref() {
            Some(b) => b.println(text),
            None => {
                let _ = writeln!(std::io::stderr(), "{text}");
            }
        }
    }
}

impl Reporter for TermReporter {
    fn input_error(&self, _source: &Path, reason: &str) {
        self.line(&format!("error: {reason}"));
    }

    fn status(&self, message: &str) {
        if !self.quiet {
            self.line(message);
        }
    }

    fn progress(&self, done: f64, total: f64, unit: &str) {
        if self.quiet {
            return;
        }
        let now = self.clock.elapsed();
        let mut p = self.progress.lock().unwrap();
        if p.last.as_ref().is_some_and(|(_, _, u)| u != unit) {
            p.eta = Eta::default();
        }
        p.eta.observe(now, done);
        p.last = Some((done, total, unit.to_string()));
        let text = format!("{}/{} {unit}", amount(done), amount(total));
        if done >= total {
            // The final count, once, with the time it took.
            p.latest_shown = true;
            p.line_at = Some(now);
            let took = human(p.eta.elapsed(now));
            drop(p);
            self.line(&format!("progress: {text} in {took}"));
            return;
        }
        let eta = match p.eta.remaining(total) {
            Some(left) => format!("eta {}", human(left)),
            None => "eta: measuring".to_string(),
        };
        if self.tty {
            p.latest_shown = false;
            let mut bar = self.bar.lock().unwrap();
            let b = bar.get_or_insert_with(|| {
                let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                b.set_style(
                    ProgressStyle::with_template("{bar:40.cyan/blue} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b
            });
            b.set_length((total * 100.0) as u64);
            b.set_position((done * 100.0) as u64);
            b.set_message(format!("{text} ({eta})"));
        } else {
            // Plain log lines, at most one every 5 s.
            p.latest_shown = p
                .line_at
                .is_none_or(|t| now.saturating_sub(t).as_secs() >= 5);
            if p.latest_shown {
                p.line_at = Some(now);
                let _ = writeln!(std::io::stderr(), "progress: {text}, {eta}");
            }
        }
    }
}

/// A count as a whole number (files), a measure with one decimal (minutes of audio).
fn amount(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.1}")
    }
}
