//! Finds the inputs of a run and reads each into [`Interaction`]s. Files are chosen
//! by extension: `.jsonl`/`.ndjson` and `.csv` chat logs, `.json` transcripts from
//! other recognizers, `.wav` call recordings; a `.csv` whose header starts with
//! `call_id` is a call manifest (read by `call`, which also turns recordings into
//! interactions). A bad file or line never stops the batch: it becomes
//! an [`InputProblem`] naming the file, the line when known, and the reason.

pub mod chat;
pub mod chat_stream;
pub mod encoding;
pub mod hashed;
pub mod roster;
pub mod transcript;

use crate::interaction::Interaction;
use std::fmt;
use std::path::{Path, PathBuf};

/// Something in an input that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub source: PathBuf,
    /// 1-based line (chat logs, manifests) when the problem is on one line.
    pub line: Option<usize>,
    pub reason: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.source.display(), line, self.reason),
            None => write!(f, "{}: {}", self.source.display(), self.reason),
        }
    }
}

/// What reading one text input gave: interactions, and the problems met on the way.
#[derive(Debug, Default)]
pub struct TextRead {
    pub interactions: Vec<Interaction>,
    pub problems: Vec<InputProblem>,
}

/// How an input file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InputKind {
    ChatJsonl,
    ChatCsv,
    Transcript,
    Manifest,
    Wav,
}

/// An input file found on the command line or under one of its directories.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InputFile {
    pub path: PathBuf,
    pub kind: InputKind,
}

/// Classifies a file by extension (and, for `.csv`, by its header line).
pub fn classify(path: &Path) -> Option<InputKind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "jsonl" | "ndjson" => Some(InputKind::ChatJsonl),
        "json" => Some(InputKind::Transcript),
        "wav" => Some(InputKind::Wav),
        "csv" => match csv_header(path) {
            CsvHeader::Manifest => Some(InputKind::Manifest),
            CsvHeader::Roster => None,
            CsvHeader::Other => Some(InputKind::ChatCsv),
        },
        _ => None,
    }
}

/// Whether `path` is a roster (`agent_id,name,team`, no message columns): not an
/// input, so a roster kept beside the data is skipped in a directory.
pub fn is_roster(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        && csv_header(path) == CsvHeader::Roster
}

/// Expands the command-line inputs: files as given (an unknown extension is a
/// problem), directories recursed in name order (unknown extensions skipped).
pub fn discover(inputs: &[PathBuf]) -> (Vec<InputFile>, Vec<InputProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        if input.is_dir() {
            walk(input, &mut files, &mut problems);
        } else if !input.exists() {
            problems.push(InputProblem {
                source: input.clone(),
                line: None,
                reason: "no such file or directory".into(),
            });
        } else {
            match classify(input) {
                Some(kind) => files.push(InputFile { path: input.clone(), kind }),
                None if is_roster(input) => problems.push(InputProblem {
                    source: input.clone(),
                    line: None,
                    reason: "a roster (agent_id,name,team), not interactions; give it with --roster".into(),
                }),
                None => problems.push(InputProblem {
                    source: input.clone(),
                    line: None,
                    reason: "unknown input type; expected .jsonl/.ndjson or .csv chat logs, .json transcripts, .wav calls".into(),
                }),
            }
        }
    }
    (files, problems)
}

fn walk(dir: &Path, files: &mut Vec<InputFile>, problems: &mut Vec<InputProblem>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            problems.push(InputProblem {
                source: dir.to_path_buf(),
                line: None,
                reason: format!("cannot list directory: {e}"),
            });
            return;
        }
    };
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, files, problems);
        } else if let Some(kind) = classify(&path) {
            files.push(InputFile { path, kind });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvHeader {
    /// `call_id` first and a `file` column: a call manifest.
    Manifest,
    /// `agent_id`, `name` and `team`, and no `text` column: a roster.
    Roster,
    Other,
}

/// What a `.csv` holds, told from its header line.
fn csv_header(path: &Path) -> CsvHeader {
    use std::io::{BufRead, Read};
    let Ok(file) = std::fs::File::open(path) else {
        return CsvHeader::Other;
    };
    let mut first = String::new();
    let _ = std::io::BufReader::new(file)
        .take(4096)
        .read_line(&mut first);
    let columns: Vec<String> = first
        .trim_start_matches('\u{feff}')
        .trim()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let has = |c: &str| columns.iter().any(|x| x == c);
    if columns.first().map(String::as_str) == Some("call_id") && has("file") {
        CsvHeader::Manifest
    } else if has("agent_id") && has("name") && has("team") && !has("text") {
        CsvHeader::Roster
    } else {
        CsvHeader::Other
    }
}

/// Reads a chat log or transcript file (UTF-8, or GB18030/GBK decoded).
pub fn read_text_file(file: &InputFile) -> TextRead {
    let source = display_path(&file.path);
    let problem = |reason: String| TextRead {
        interactions: Vec::new(),
        problems: vec![InputProblem {
            source: file.path.clone(),
            line: None,
            reason,
        }],
    };
    match file.kind {
        InputKind::ChatJsonl | InputKind::ChatCsv | InputKind::Transcript => {
            let mut text = match encoding::open_text(&file.path) {
                Ok(t) => t,
                Err(reason) => return problem(reason),
            };
            let reader = text.reader();
            match file.kind {
                InputKind::ChatJsonl => chat::read_jsonl(&file.path, &source, reader),
                InputKind::ChatCsv => chat::read_csv(&file.path, &source, reader),
                _ => {
                    let mut bytes = Vec::new();
                    match reader.read_to_end(&mut bytes) {
                        Ok(_) => transcript::read(&file.path, &source, &bytes),
                        Err(e) => problem(format!("cannot read: {e}")),
                    }
                }
            }
        }
        InputKind::Wav | InputKind::Manifest => problem("not a text input".into()),
    }
}

/// The path as results show it: as given, with `/` separators.
pub fn display_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}
