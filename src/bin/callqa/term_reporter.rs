//! The binary's reporter: problems and status lines on stderr; on a terminal, a
//! progress bar (indicatif) instead of progress lines.

use callqa::reporter::Reporter;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;

pub struct TermReporter {
    bar: Mutex<Option<ProgressBar>>,
    tty: bool,
    /// `-q`: problems only, no status or progress.
    quiet: bool,
    last_line: Mutex<Option<std::time::Instant>>,
}

impl TermReporter {
    pub fn new(quiet: bool) -> Self {
        TermReporter {
            bar: Mutex::new(None),
            tty: std::io::stderr().is_terminal(),
            quiet,
            last_line: Mutex::new(None),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap().take() {
            bar.finish_and_clear();
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
        let (done_s, total_s) = (amount(done), amount(total));
        if self.tty {
            let mut bar = self.bar.lock().unwrap();
            let b = bar.get_or_insert_with(|| {
                let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                b.set_style(
                    ProgressStyle::with_template("{bar:40.cyan/blue} {msg} (eta {eta})")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b
            });
            b.set_length((total * 100.0) as u64);
            b.set_position((done * 100.0) as u64);
            b.set_message(format!("{done_s}/{total_s} {unit}"));
        } else {
            // Plain log lines, at most one every 5 s (and always the last one).
            let mut last = self.last_line.lock().unwrap();
            let now = std::time::Instant::now();
            if done >= total || last.is_none_or(|t| now.duration_since(t).as_secs() >= 5) {
                *last = Some(now);
                let _ = writeln!(std::io::stderr(), "progress: {done_s}/{total_s} {unit}");
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
