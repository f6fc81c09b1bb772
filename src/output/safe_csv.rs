//! Every CSV callqa writes is opened in spreadsheets, where a cell starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula (CSV
//! injection). Agent ids, interaction ids and rule titles come from outside, so each
//! such cell is written with a leading `'`, as OWASP advises; numbers (`-12`,
//! `-0.5`) are left alone, as a spreadsheet reads them as numbers anyway.

use std::borrow::Cow;
use std::io::Write;

/// `cell` as it is safe to write: prefixed with `'` when a spreadsheet would take it
/// for a formula.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    let risky = matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && cell.parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV writer whose every cell goes through [`neutralize`].
pub struct SafeWriter<W: Write>(::csv::Writer<W>);

impl<W: Write> SafeWriter<W> {
    pub fn new(out: W) -> SafeWriter<W> {
        SafeWriter(::csv::Writer::from_writer(out))
    }

    pub fn write_record<I, S>(&mut self, record: I) -> Result<(), ::csv::Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for cell in record {
            self.0.write_field(neutralize(cell.as_ref()).as_bytes())?;
        }
        self.0.write_record(None::<&[u8]>)
    }

    pub fn flush(&mut self) -> Result<(), ::csv::Error> {
        Ok(self.0.flush()?)
    }

    /// The underlying writer, flushed.
    pub fn into_inner(self) -> Result<W, ::csv::Error> {
        self.0
            .into_inner()
            .map_err(|e| ::csv::Error::from(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_quote_and_numbers_do_not() {
        for (cell, safe) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1+1", "'+1+1"),
            ("-A1", "'-A1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "'\r=1"),
            ("-12", "-12"),
            ("-0.5", "-0.5"),
            ("+3", "+3"),
            ("A01", "A01"),
            ("禁用语：不知道", "禁用语：不知道"),
            ("", ""),
        ] {
            assert_eq!(neutralize(cell), safe, "{cell:?}");
        }
    }

    #[test]
    fn writer_neutralizes_every_cell() {
        let mut w = SafeWriter::new(Vec::new());
        w.write_record(["=1+1", "ok", "-5"]).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "'=1+1,ok,-5\n");
    }
}
