//! whisper.cpp's legacy ggml model file: writing it (for the converter) and reading
//! its header back (for `callqa model info` and tests).
//!
//! Layout, all little-endian, as `whisper_model_load` reads it: u32 magic
//! `0x67676d6c`; eleven i32 hparams ending with ftype; i32 n_mel, i32 n_fft and
//! n_mel * n_fft f32 mel filters; i32 vocabulary size and per token a u32 length and
//! its bytes; then tensors until end of file, each: i32 n_dims, i32 name length,
//! i32 ggml type, `i32 ne[n_dims]` (fastest-varying first), the name, the data.

use super::ModelError;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub const GGML_MAGIC: u32 = 0x6767_6d6c;
/// ggml encodes the quantization format version in ftype as `version * 1000 + ftype`.
pub const QNT_VERSION_FACTOR: i32 = 1000;
/// The quantization format version current whisper.cpp writes (`GGML_QNT_VERSION`).
pub const QNT_VERSION: i32 = 2;

/// ggml tensor element types used by whisper models (ggml's numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Bf16,
}

impl TensorType {
    pub fn id(self) -> i32 {
        match self {
            TensorType::F32 => 0,
            TensorType::F16 => 1,
            TensorType::Q4_0 => 2,
            TensorType::Q4_1 => 3,
            TensorType::Q5_0 => 6,
            TensorType::Q5_1 => 7,
            TensorType::Q8_0 => 8,
            TensorType::Bf16 => 30,
        }
    }

    pub fn from_id(id: i32) -> Option<TensorType> {
        [
            TensorType::F32,
            TensorType::F16,
            TensorType::Q4_0,
            TensorType::Q4_1,
            TensorType::Q5_0,
            TensorType::Q5_1,
            TensorType::Q8_0,
            TensorType::Bf16,
        ]
        .into_iter()
        .find(|t| t.id() == id)
    }

    /// (values per block, bytes per block).
    fn block(self) -> (usize, usize) {
        match self {
            TensorType::F32 => (1, 4),
            TensorType::F16 => (1, 2),
            TensorType::Q4_0 => (32, 18),
            TensorType::Q4_1 => (32, 20),
            TensorType::Q5_0 => (32, 22),
            TensorType::Q5_1 => (32, 24),
            TensorType::Q8_0 => (32, 34),
            TensorType::Bf16 => (1, 2),
        }
    }

    /// Bytes of `n` values, `None` if `n` is not whole blocks.
    pub fn bytes_for(self, n: usize) -> Option<usize> {
        let (per, bytes) = self.block();
        (n % per == 0).then_some(n / per * bytes)
    }

    pub fn name(self) -> &'static str {
        match self {
            TensorType::F32 => "f32",
            TensorType::F16 => "f16",
            TensorType::Q4_0 => "q4_0",
            TensorType::Q4_1 => "q4_1",
            TensorType::Q5_0 => "q5_0",
            TensorType::Q5_1 => "q5_1",
            TensorType::Q8_0 => "q8_0",
            TensorType::Bf16 => "bf16",
        }
    }
}

/// Name of a whole-file ftype (ggml's `ggml_ftype`, without the version part).
pub fn ftype_name(ftype: i32) -> &'static str {
    match ftype % QNT_VERSION_FACTOR {
        0 => "f32",
        1 => "f16",
        2 => "q4_0",
        3 => "q4_1",
        7 => "q8_0",
        8 => "q5_0",
        9 => "q5_1",
        24 => "bf16",
        _ => "unknown",
    }
}

/// The model hyperparameters, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    /// `ggml_ftype` (1 = mostly f16, 7 = mostly q8_0), plus `QNT_VERSION * 1000` when quantized.
    pub ftype: i32,
}

impl Hparams {
    fn to_array(self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    fn from_array(a: [i32; 11]) -> Hparams {
        Hparams {
            n_vocab: a[0],
            n_audio_ctx: a[1],
            n_audio_state: a[2],
            n_audio_head: a[3],
            n_audio_layer: a[4],
            n_text_ctx: a[5],
            n_text_state: a[6],
            n_text_head: a[7],
            n_text_layer: a[8],
            n_mels: a[9],
            ftype: a[10],
        }
    }
}

/// Streams a ggml model file: header first, then one tensor at a time.
pub struct GgmlWriter<W: Write> {
    out: W,
    written: u64,
    tensors: usize,
}

impl<W: Write> GgmlWriter<W> {
    /// Writes magic, hparams, `filters` (row-major `n_mel x n_fft`) and `vocab`.
    pub fn new(
        out: W,
        hparams: &Hparams,
        filters: &[f32],
        n_fft: usize,
        vocab: &[Vec<u8>],
    ) -> io::Result<Self> {
        assert_eq!(filters.len() % n_fft, 0, "filters are whole rows");
        let mut w = GgmlWriter {
            out,
            written: 0,
            tensors: 0,
        };
        w.bytes(&GGML_MAGIC.to_le_bytes())?;
        for v in hparams.to_array() {
            w.i32(v)?;
        }
        w.i32((filters.len() / n_fft) as i32)?;
        w.i32(n_fft as i32)?;
        w.bytes(
            &filters
                .iter()
                .flat_map(|f| f.to_le_bytes())
                .collect::<Vec<u8>>(),
        )?;
        w.i32(vocab.len() as i32)?;
        for token in vocab {
            w.bytes(&(token.len() as u32).to_le_bytes())?;
            w.bytes(token)?;
        }
        Ok(w)
    }

    /// Writes one tensor; `ne` is in ggml order (reversed row-major shape).
    pub fn tensor(
        &mut self,
        name: &str,
        ne: &[usize],
        ty: TensorType,
        data: &[u8],
    ) -> io::Result<()> {
        let n: usize = ne.iter().product();
        assert_eq!(
            ty.bytes_for(n),
            Some(data.len()),
            "{name}: data size does not match {ne:?} {ty:?}"
        );
        self.i32(ne.len() as i32)?;
        self.i32(name.len() as i32)?;
        self.i32(ty.id())?;
        for &d in ne {
            self.i32(d as i32)?;
        }
        self.bytes(name.as_bytes())?;
        self.bytes(data)?;
        self.tensors += 1;
        Ok(())
    }

    /// Flushes and returns the sink, the number of tensors and bytes written.
    pub fn finish(mut self) -> io::Result<(W, usize, u64)> {
        self.out.flush()?;
        Ok((self.out, self.tensors, self.written))
    }

    fn i32(&mut self, v: i32) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.out.write_all(b)?;
        self.written += b.len() as u64;
        Ok(())
    }
}

/// One tensor's header as found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub ne: Vec<usize>,
    pub ty: TensorType,
    /// Byte offset of the tensor's data in the file.
    pub offset: u64,
}

/// What `callqa model info` shows about a ggml model.
#[derive(Debug, Clone)]
pub struct GgmlInfo {
    pub path: PathBuf,
    pub file_size: u64,
    pub hparams: Hparams,
    pub n_mel: usize,
    pub n_fft: usize,
    pub n_vocab_tokens: usize,
    pub tensors: Vec<TensorInfo>,
}

impl GgmlInfo {
    pub fn ftype_name(&self) -> &'static str {
        ftype_name(self.hparams.ftype)
    }
}

impl fmt::Display for GgmlInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.hparams;
        writeln!(f, "file          {}", self.path.display())?;
        writeln!(
            f,
            "size          {} bytes ({:.1} MiB)",
            self.file_size,
            self.file_size as f64 / 1048576.0
        )?;
        writeln!(
            f,
            "ftype         {} ({}, quantization version {})",
            h.ftype % QNT_VERSION_FACTOR,
            self.ftype_name(),
            h.ftype / QNT_VERSION_FACTOR
        )?;
        writeln!(
            f,
            "n_vocab       {} ({} tokens stored)",
            h.n_vocab, self.n_vocab_tokens
        )?;
        writeln!(
            f,
            "audio         ctx {}, state {}, heads {}, layers {}",
            h.n_audio_ctx, h.n_audio_state, h.n_audio_head, h.n_audio_layer
        )?;
        writeln!(
            f,
            "text          ctx {}, state {}, heads {}, layers {}",
            h.n_text_ctx, h.n_text_state, h.n_text_head, h.n_text_layer
        )?;
        writeln!(f, "mel filters   {} x {}", self.n_mel, self.n_fft)?;
        let mut by_type: Vec<(&str, usize)> = Vec::new();
        for t in &self.tensors {
            match by_type.iter_mut().find(|(n, _)| *n == t.ty.name()) {
                Some((_, c)) => *c += 1,
                None => by_type.push((t.ty.name(), 1)),
            }
        }
        let types: Vec<String> = by_type.iter().map(|(n, c)| format!("{c} {n}")).collect();
        write!(
            f,
            "tensors       {} ({})",
            self.tensors.len(),
            types.join(", ")
        )
    }
}

/// Reads the header and every tensor header of a ggml model file.
pub fn read_info(path: &Path) -> Result<GgmlInfo, ModelError> {
    let file = std::fs::File::open(path).map_err(ModelError::io(path))?;
    let file_size = file.metadata().map_err(ModelError::io(path))?.len();
    let mut r = Reader {
        inner: io::BufReader::new(file),
        pos: 0,
        path,
        size: file_size,
    };
    let magic = r.i32("magic")? as u32;
    if magic != GGML_MAGIC {
        return Err(r.error_at(
            0,
            format!("bad magic {magic:#010x}, expected {GGML_MAGIC:#010x}"),
        ));
    }
    let mut h = [0i32; 11];
    for v in &mut h {
        *v = r.i32("hparams")?;
    }
    let hparams = Hparams::from_array(h);
    let n_mel = r.count("n_mel")?;
    let n_fft = r.count("n_fft")?;
    r.skip((n_mel * n_fft * 4) as u64, "mel filters")?;
    let n_vocab_tokens = r.count("vocabulary size")?;
    for _ in 0..n_vocab_tokens {
        let len = r.i32("token length")? as u32 as u64;
        r.skip(len, "token")?;
    }
    let mut tensors = Vec::new();
    while r.pos < file_size {
        let at = r.pos;
        let n_dims = r.count("tensor rank")?;
        if n_dims == 0 || n_dims > 4 {
            return Err(r.error_at(at, format!("tensor rank {n_dims} is outside 1..=4")));
        }
        let name_len = r.count("tensor name length")?;
        let type_id = r.i32("tensor type")?;
        let ty = TensorType::from_id(type_id)
            .ok_or_else(|| r.error_at(at + 8, format!("unknown tensor type {type_id}")))?;
        let mut ne = Vec::with_capacity(n_dims);
        for _ in 0..n_dims {
            ne.push(r.count("tensor dimension")?);
        }
        let mut name = vec![0u8; name_len];
        r.read(&mut name, "tensor name")?;
        let name = String::from_utf8_lossy(&name).into_owned();
        let n: usize = ne.iter().product();
        let bytes = ty.bytes_for(n).ok_or_else(|| {
            r.error_at(
                at,
                format!("`{name}`: {n} values are not whole {} blocks", ty.name()),
            )
        })?;
        let offset = r.pos;
        r.skip(bytes as u64, &format!("data of `{name}`"))?;
        tensors.push(TensorInfo {
            name,
            ne,
            ty,
            offset,
        });
    }
    Ok(GgmlInfo {
        path: path.to_path_buf(),
        file_size,
        hparams,
        n_mel,
        n_fft,
        n_vocab_tokens,
        tensors,
    })
}

struct Reader<'a, R> {
    inner: R,
    pos: u64,
    path: &'a Path,
    size: u64,
}

impl<R: Read + io::Seek> Reader<'_, R> {
    fn error_at(&self, offset: u64, reason: String) -> ModelError {
        ModelError::GgmlFormat {
            path: self.path.to_path_buf(),
            offset,
            reason,
        }
    }

    fn read(&mut self, buf: &mut [u8], what: &str) -> Result<(), ModelError> {
        self.check(buf.len() as u64, what)?;
        self.inner
            .read_exact(buf)
            .map_err(ModelError::io(self.path))?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn check(&self, n: u64, what: &str) -> Result<(), ModelError> {
        let left = self.size - self.pos;
        if n > left {
            return Err(self.error_at(
                self.pos,
                format!(
                    "file ends while reading {what} (needs {n} bytes, {left} left); truncated?"
                ),
            ));
        }
        Ok(())
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), ModelError> {
        self.check(n, what)?;
        self.inner
            .seek_relative(n as i64)
            .map_err(ModelError::io(self.path))?;
        self.pos += n;
        Ok(())
    }

    fn i32(&mut self, what: &str) -> Result<i32, ModelError> {
        let mut b = [0u8; 4];
        self.read(&mut b, what)?;
        Ok(i32::from_le_bytes(b))
    }

    fn count(&mut self, what: &str) -> Result<usize, ModelError> {
        let at = self.pos;
        let v = self.i32(what)?;
        usize::try_from(v).map_err(|_| self.error_at(at, format!("{what} is negative ({v})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hparams() -> Hparams {
        Hparams::from_array([10, 8, 32, 2, 1, 6, 32, 2, 1, 3, 2007])
    }

    fn sample() -> Vec<u8> {
        let vocab = vec![b"a".to_vec(), vec![], vec![b' ', 0xe4]];
        let mut w = GgmlWriter::new(Vec::new(), &hparams(), &[0.5; 3 * 5], 5, &vocab).unwrap();
        w.tensor("x.bias", &[4], TensorType::F32, &[0; 16]).unwrap();
        w.tensor("x.weight", &[32, 2], TensorType::Q8_0, &[1; 68])
            .unwrap();
        w.tensor("conv", &[3, 2, 2], TensorType::F16, &[2; 24])
            .unwrap();
        let (bytes, n, written) = w.finish().unwrap();
        assert_eq!((n, written), (3, bytes.len() as u64));
        bytes
    }

    #[test]
    fn header_layout_is_what_whisper_cpp_reads() {
        let b = sample();
        let i32_at = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        assert_eq!(&b[..4], b"lmgg", "magic 0x67676d6c little-endian");
        assert_eq!(
            (1..=11).map(|k| i32_at(4 * k)).collect::<Vec<_>>(),
            hparams().to_array()
        );
        assert_eq!((i32_at(48), i32_at(52)), (3, 5));
        let vocab_at = 56 + 15 * 4;
        assert_eq!(i32_at(vocab_at), 3);
        assert_eq!(&b[vocab_at + 4..vocab_at + 9], &[1, 0, 0, 0, b'a']);
        let first_tensor = vocab_at + 4 + 5 + 4 + 4 + 2;
        assert_eq!(
            (
                i32_at(first_tensor),
                i32_at(first_tensor + 4),
                i32_at(first_tensor + 8)
            ),
            (1, 6, 0)
        );
        assert_eq!(i32_at(first_tensor + 12), 4);
        assert_eq!(&b[first_tensor + 16..first_tensor + 22], b"x.bias");
    }

    #[test]
    fn info_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.bin");
        std::fs::write(&path, sample()).unwrap();
        let info = read_info(&path).unwrap();
        assert_eq!(info.hparams, hparams());
        assert_eq!((info.n_mel, info.n_fft, info.n_vocab_tokens), (3, 5, 3));
        let names: Vec<_> = info
            .tensors
            .iter()
            .map(|t| (t.name.as_str(), t.ty, t.ne.clone()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("x.bias", TensorType::F32, vec![4]),
                ("x.weight", TensorType::Q8_0, vec![32, 2]),
                ("conv", TensorType::F16, vec![3, 2, 2])
            ]
        );
        let text = info.to_string();
        assert!(
            text.contains("ftype         7 (q8_0, quantization version 2)"),
            "{text}"
        );
        assert!(
            text.contains("tensors       3 (1 f32, 1 q8_0, 1 f16)"),
            "{text}"
        );
    }

    #[test]
    fn truncated_and_foreign_files_are_refused_with_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.bin");
        let full = sample();
        std::fs::write(&path, &full[..full.len() - 1]).unwrap();
        match read_info(&path) {
            Err(ModelError::GgmlFormat { offset, reason, .. }) => {
                assert_eq!(offset as usize, full.len() - 24);
                assert!(
                    reason.contains("data of `conv`") && reason.contains("needs 24 bytes, 23 left"),
                    "{reason}"
                );
            }
            other => panic!("expected a truncation error, got {other:?}"),
        }
        std::fs::write(&path, b"GGUF\x03\0\0\0").unwrap();
        let err = read_info(&path).unwrap_err().to_string();
        assert!(err.contains("byte 0") && err.contains("bad magic"), "{err}");
    }
}
