//! Rule-file errors that point at the exact place to fix: file, line:column and,
//! when known, the rule id. All errors of a load are collected, not just the first.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub rule_id: Option<String>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if let Some(id) = &self.rule_id {
            write!(f, ": rule `{id}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    pub errors: Vec<RuleError>,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RulesError {}

/// Turns byte offsets in one file into line:column (1-based, column in characters).
pub struct Locator<'a> {
    pub file: &'a Path,
    pub source: &'a str,
}

impl Locator<'_> {
    pub fn at(&self, byte: usize, rule_id: Option<&str>, message: impl Into<String>) -> RuleError {
        let byte = byte.min(self.source.len());
        let before = &self.source[..floor_char_boundary(self.source, byte)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        RuleError {
            file: self.file.to_path_buf(),
            line,
            column,
            rule_id: rule_id.map(str::to_string),
            message: message.into(),
        }
    }

    pub fn whole_file(&self, message: impl Into<String>) -> RuleError {
        RuleError {
            file: self.file.to_path_buf(),
            line: 0,
            column: 0,
            rule_id: None,
            message: message.into(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
