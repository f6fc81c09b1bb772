//! Chinese Excel saves "CSV" as GBK/GB18030, and some exporters write chat logs the
//! same way. Read byte for byte as UTF-8, such a file gives one "not valid UTF-8"
//! per line and nothing scored. So a text input is sniffed: UTF-8 (with or without
//! a BOM) is streamed as is; a file whose start is not UTF-8 but is valid GB18030
//! (a superset of GBK and GB2312) is decoded with `encoding_rs`; anything else is
//! refused once, for the whole file, with how to convert it.

use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

/// How much of a file is looked at to tell its encoding.
const SNIFF_BYTES: usize = 64 * 1024;

/// A text input opened as UTF-8.
pub enum TextSource {
    /// The file itself, already UTF-8.
    Utf8(BufReader<std::fs::File>),
    /// The file decoded from GB18030.
    Decoded(Cursor<Vec<u8>>),
}

impl TextSource {
    pub fn reader(&mut self) -> &mut dyn BufRead {
        match self {
            TextSource::Utf8(r) => r,
            TextSource::Decoded(c) => c,
        }
    }
}

/// Opens `path` as UTF-8 text, decoding GB18030 when that is what it is. The
/// error is the reason to report for the whole file.
pub fn open_text(path: &Path) -> Result<TextSource, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read: {e}"))?;
    if looks_utf8(&head) {
        file.seek(SeekFrom::Start(0))
            .map_err(|e| format!("cannot read: {e}"))?;
        return Ok(TextSource::Utf8(BufReader::with_capacity(1 << 16, file)));
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
        Some(text) => Ok(TextSource::Decoded(Cursor::new(text.into_owned().into_bytes()))),
        None => Err(
            "neither UTF-8 nor GB18030/GBK text; save it as UTF-8 (Excel: \"CSV UTF-8\"), or convert it, e.g. `iconv -f GB18030 -t UTF-8`"
                .into(),
        ),
    }
}

/// Whether `head` (the start of a file) is UTF-8, allowing a character cut off at
/// its end.
fn looks_utf8(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(bytes: &[u8]) -> Result<String, String> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        let mut src = open_text(f.path())?;
        let mut s = String::new();
        src.reader().read_to_string(&mut s).unwrap();
        Ok(s)
    }

    #[test]
    fn utf8_is_read_as_is_and_gbk_is_decoded() {
        let text = "conversation_id,agent_id,ts,role,text\nc1,A1,2026-11-16T09:00:00+08:00,agent,您好，我不知道\n";
        assert_eq!(read_all(text.as_bytes()).unwrap(), text);
        let (gbk, _, lossy) = encoding_rs::GBK.encode(text);
        assert!(!lossy);
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(read_all(&gbk).unwrap(), text);
    }

    #[test]
    fn other_bytes_are_refused_once_with_the_fix() {
        let err = read_all(&[0x81, 0x20, 0xff, 0xfe, 0x00]).unwrap_err();
        assert!(err.contains("iconv"), "{err}");
    }
}
