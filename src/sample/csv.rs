//! `sample.csv`: the audit trail of a sampling decision, one row per interaction of
//! the sampled strata (interaction_id, agent_id, week, selected, rank, key), in the
//! order [`super::select`] returns: `rank` is the review order within the agent-week
//! stratum (1 first; the selected ones come first), `key` the keyed hash the order
//! is drawn from. Written atomically like every other output.

use super::Selection;
use crate::output::atomic::AtomicFile;
use crate::output::OutputError;
use std::io::Write;
use std::path::Path;

pub const SAMPLE_CSV: &str = "sample.csv";

/// Writes the rows to any writer (for `callqa sample`, which prints them).
pub fn write_rows<W: Write>(out: W, selections: &[Selection]) -> Result<(), ::csv::Error> {
    let mut w = crate::output::safe_csv::SafeWriter::new(out);
    w.write_record([
        "interaction_id",
        "agent_id",
        "week",
        "selected",
        "rank",
        "key",
    ])?;
    for s in selections {
        let (rank, key) = (s.rank.to_string(), s.key.to_string());
        w.write_record([
            s.id.as_str(),
            s.agent_id.as_str(),
            s.week.as_str(),
            if s.selected { "true" } else { "false" },
            rank.as_str(),
            key.as_str(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes `path` (normally `OUT/sample.csv`) atomically; `excel`: with a UTF-8 BOM.
pub fn write(path: &Path, selections: &[Selection], excel: bool) -> Result<(), OutputError> {
    let mut bytes = crate::output::csv::start(excel);
    write_rows(&mut bytes, selections).map_err(|source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    })?;
    let mut f = AtomicFile::create(path)?;
    f.write_all(&bytes)?;
    f.commit()
}
