//! Reads CTranslate2's `model.bin`, the format faster-whisper models ship in, so
//! their weights can be rewritten for whisper.cpp.
//!
//! Layout (little-endian): u32 binary version; string spec name; u32 spec revision;
//! u32 variable count; per variable: string name, u8 rank, `u32 dims[rank]`, u8 dtype,
//! u32 byte count, data; then u32 alias count and (alias, target) string pairs.
//! A string is a u16 length followed by that many bytes, the last one NUL.

use super::ModelError;
use half::f16;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Binary versions whose layout is the one described above.
const SUPPORTED_VERSIONS: std::ops::RangeInclusive<u32> = 4..=6;

/// Element type of a variable, with CTranslate2's numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_id(id: u8) -> Option<DType> {
        Some(match id {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    pub fn id(self) -> u8 {
        match self {
            DType::F32 => 0,
            DType::I8 => 1,
            DType::I16 => 2,
            DType::I32 => 3,
            DType::F16 => 4,
            DType::BF16 => 5,
        }
    }

    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
        }
    }
}

/// One named array of the model.
#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: DType,
    data: Range<usize>,
}

impl Variable {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parsed model; variable data stays in the file's bytes until asked for.
pub struct Ct2Model {
    pub path: PathBuf,
    pub binary_version: u32,
    pub spec: String,
    pub spec_revision: u32,
    bytes: Vec<u8>,
    variables: Vec<Variable>,
    index: HashMap<String, usize>,
    aliases: HashMap<String, String>,
}

impl std::fmt::Debug for Ct2Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ct2Model")
            .field("path", &self.path)
            .field("binary_version", &self.binary_version)
            .field("spec", &self.spec)
            .field("variables", &self.variables.len())
            .field("aliases", &self.aliases)
            .finish()
    }
}

impl Ct2Model {
    pub fn open(path: &Path) -> Result<Ct2Model, ModelError> {
        let bytes = std::fs::read(path).map_err(ModelError::io(path))?;
        Ct2Model::parse(bytes, path)
    }

    /// Parses `bytes`; `path` is only used in error messages.
    pub fn parse(bytes: Vec<u8>, path: &Path) -> Result<Ct2Model, ModelError> {
        let mut r = Cursor {
            bytes: &bytes,
            pos: 0,
            path,
        };
        let binary_version = r.u32("binary version")?;
        if !SUPPORTED_VERSIONS.contains(&binary_version) {
            return Err(r.error_at(
                0,
                format!(
                    "binary version {binary_version} is not supported (expected {}..={}); \
                     bad magic or a model from another CTranslate2 release",
                    SUPPORTED_VERSIONS.start(),
                    SUPPORTED_VERSIONS.end()
                ),
            ));
        }
        let spec = r.string("spec name")?;
        let spec_revision = r.u32("spec revision")?;
        let count = r.u32("variable count")? as usize;
        let mut variables = Vec::with_capacity(count.min(1 << 16));
        let mut index = HashMap::new();
        for _ in 0..count {
            let name = r.string("variable name")?;
            let rank = r.u8("rank")? as usize;
            let mut shape = Vec::with_capacity(rank);
            for _ in 0..rank {
                shape.push(r.u32("dimension")? as usize);
            }
            let dtype_at = r.pos;
            let dtype_id = r.u8("dtype")?;
            let dtype = DType::from_id(dtype_id).ok_or_else(|| {
                r.error_at(dtype_at, format!("unknown dtype {dtype_id} for `{name}`"))
            })?;
            let size_at = r.pos;
            let n_bytes = r.u32("byte count")? as usize;
            let expected = shape.iter().product::<usize>() * dtype.size();
            if n_bytes != expected {
                return Err(r.error_at(
                    size_at,
                    format!(
                        "`{name}` has {n_bytes} data bytes but shape {shape:?} of {} needs {expected}",
                        dtype.name()
                    ),
                ));
            }
            let data = r.take(n_bytes, &name)?;
            index.insert(name.clone(), variables.len());
            variables.push(Variable {
                name,
                shape,
                dtype,
                data,
            });
        }
        let mut aliases = HashMap::new();
        let alias_count = r.u32("alias count")?;
        for _ in 0..alias_count {
            let alias = r.string("alias name")?;
            let target_at = r.pos;
            let target = r.string("alias target")?;
            if !index.contains_key(&target) {
                return Err(r.error_at(
                    target_at,
                    format!("alias `{alias}` points to unknown variable `{target}`"),
                ));
            }
            aliases.insert(alias, target);
        }
        if r.pos != bytes.len() {
            return Err(r.error_at(
                r.pos,
                format!("{} unexpected bytes after the aliases", bytes.len() - r.pos),
            ));
        }
        Ok(Ct2Model {
            path: path.to_path_buf(),
            binary_version,
            spec,
            spec_revision,
            bytes,
            variables,
            index,
            aliases,
        })
    }

    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    pub fn aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.aliases.iter().map(|(a, t)| (a.as_str(), t.as_str()))
    }

    /// The variable called `name`, following an alias if `name` is one.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        let name = self.aliases.get(name).map(String::as_str).unwrap_or(name);
        self.index.get(name).map(|&i| &self.variables[i])
    }

    /// Like [`Ct2Model::get`], but a missing variable is an error.
    pub fn require(&self, name: &str) -> Result<&Variable, ModelError> {
        self.get(name).ok_or_else(|| ModelError::MissingVariable {
            path: self.path.clone(),
            name: name.to_string(),
        })
    }

    /// Raw little-endian bytes of a variable.
    pub fn raw(&self, var: &Variable) -> &[u8] {
        &self.bytes[var.data.clone()]
    }

    /// Values of a floating-point variable; integer and bfloat16 weights are refused.
    pub fn f32_values(&self, var: &Variable) -> Result<Vec<f32>, ModelError> {
        let raw = self.raw(var);
        match var.dtype {
            DType::F32 => Ok(raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()),
            DType::F16 => Ok(raw
                .chunks_exact(2)
                .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect()),
            other => Err(ModelError::UnsupportedDtype {
                path: self.path.clone(),
                name: var.name.clone(),
                dtype: other.name(),
            }),
        }
    }

    /// The value of an integer scalar such as `encoder/num_heads`.
    pub fn int_scalar(&self, name: &str) -> Result<Option<i64>, ModelError> {
        let Some(var) = self.get(name) else {
            return Ok(None);
        };
        let raw = self.raw(var);
        let value = match (var.dtype, raw.len()) {
            (DType::I8, 1) => raw[0] as i8 as i64,
            (DType::I16, 2) => i16::from_le_bytes([raw[0], raw[1]]) as i64,
            (DType::I32, 4) => i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as i64,
            _ => {
                return Err(ModelError::Shape {
                    path: self.path.clone(),
                    name: name.to_string(),
                    shape: var.shape.clone(),
                    expected: "an integer scalar".to_string(),
                })
            }
        };
        Ok(Some(value))
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl Cursor<'_> {
    fn error_at(&self, offset: usize, reason: String) -> ModelError {
        ModelError::Ct2Format {
            path: self.path.to_path_buf(),
            offset: offset as u64,
            reason,
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<Range<usize>, ModelError> {
        let left = self.bytes.len() - self.pos;
        if n > left {
            return Err(self.error_at(
                self.pos,
                format!("file ends while reading {what} (needs {n} bytes, {left} left)"),
            ));
        }
        let range = self.pos..self.pos + n;
        self.pos += n;
        Ok(range)
    }

    fn u8(&mut self, what: &str) -> Result<u8, ModelError> {
        let r = self.take(1, what)?;
        Ok(self.bytes[r.start])
    }

    fn u16(&mut self, what: &str) -> Result<u16, ModelError> {
        let r = self.take(2, what)?;
        Ok(u16::from_le_bytes(
            self.bytes[r].try_into().expect("2 bytes"),
        ))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ModelError> {
        let r = self.take(4, what)?;
        Ok(u32::from_le_bytes(
            self.bytes[r].try_into().expect("4 bytes"),
        ))
    }

    fn string(&mut self, what: &str) -> Result<String, ModelError> {
        let at = self.pos;
        let len = self.u16(what)? as usize;
        let r = self.take(len, what)?;
        let raw = &self.bytes[r];
        let Some((&0, text)) = raw.split_last() else {
            return Err(self.error_at(at, format!("{what} is not NUL-terminated")));
        };
        String::from_utf8(text.to_vec())
            .map_err(|_| self.error_at(at, format!("{what} is not valid UTF-8")))
    }
}

/// Writes a CTranslate2 `model.bin`; used to build small synthetic models in tests.
pub struct Ct2Writer {
    spec: String,
    variables: Vec<(String, Vec<usize>, DType, Vec<u8>)>,
    aliases: Vec<(String, String)>,
}

impl Ct2Writer {
    pub fn new(spec: &str) -> Self {
        Ct2Writer {
            spec: spec.to_string(),
            variables: Vec::new(),
            aliases: Vec::new(),
        }
    }

    pub fn variable(&mut self, name: &str, shape: &[usize], dtype: DType, data: Vec<u8>) {
        self.variables
            .push((name.to_string(), shape.to_vec(), dtype, data));
    }

    /// A float variable stored as `dtype` (F16 or F32).
    pub fn floats(&mut self, name: &str, shape: &[usize], dtype: DType, values: &[f32]) {
        let data = match dtype {
            DType::F16 => values
                .iter()
                .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                .collect(),
            DType::F32 => values.iter().flat_map(|&v| v.to_le_bytes()).collect(),
            other => panic!("floats() cannot store {}", other.name()),
        };
        self.variable(name, shape, dtype, data);
    }

    pub fn alias(&mut self, alias: &str, target: &str) {
        self.aliases.push((alias.to_string(), target.to_string()));
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.extend(((s.len() + 1) as u16).to_le_bytes());
            out.extend(s.as_bytes());
            out.push(0);
        }
        let mut out = Vec::new();
        out.extend(6u32.to_le_bytes());
        string(&mut out, &self.spec);
        out.extend(3u32.to_le_bytes());
        out.extend((self.variables.len() as u32).to_le_bytes());
        for (name, shape, dtype, data) in &self.variables {
            string(&mut out, name);
            out.push(shape.len() as u8);
            for &d in shape {
                out.extend((d as u32).to_le_bytes());
            }
            out.push(dtype.id());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend(data);
        }
        out.extend((self.aliases.len() as u32).to_le_bytes());
        for (alias, target) in &self.aliases {
            string(&mut out, alias);
            string(&mut out, target);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Ct2Writer::new("WhisperSpec");
        w.floats(
            "a/f32",
            &[2, 3],
            DType::F32,
            &[1.0, -2.0, 3.5, 0.0, 1e-3, -7.25],
        );
        w.floats("a/f16", &[3], DType::F16, &[0.5, -1.5, 65504.0]);
        w.variable("a/i8", &[], DType::I8, vec![0xff]);
        w.variable("a/i16", &[], DType::I16, 8i16.to_le_bytes().to_vec());
        w.variable("a/i32", &[], DType::I32, (-70000i32).to_le_bytes().to_vec());
        w.variable("a/bf16", &[2], DType::BF16, vec![0x80, 0x3f, 0x00, 0x40]);
        w.variable("a/q", &[2, 2], DType::I8, vec![1, 2, 3, 4]);
        w.alias("a/alias", "a/f16");
        w.to_bytes()
    }

    fn parse(bytes: Vec<u8>) -> Result<Ct2Model, ModelError> {
        Ct2Model::parse(bytes, Path::new("model.bin"))
    }

    #[test]
    fn reads_all_dtypes_and_aliases() {
        let m = parse(sample()).unwrap();
        assert_eq!(
            (m.binary_version, m.spec.as_str(), m.spec_revision),
            (6, "WhisperSpec", 3)
        );
        assert_eq!(m.variables().len(), 7);
        let f32v = m.require("a/f32").unwrap();
        assert_eq!(f32v.shape, vec![2, 3]);
        assert_eq!(
            m.f32_values(f32v).unwrap(),
            vec![1.0, -2.0, 3.5, 0.0, 1e-3, -7.25]
        );
        let f16v = m.require("a/f16").unwrap();
        assert_eq!(f16v.dtype, DType::F16);
        assert_eq!(m.f32_values(f16v).unwrap(), vec![0.5, -1.5, 65504.0]);
        let alias = m.require("a/alias").unwrap();
        assert_eq!(alias.name, "a/f16");
        assert_eq!(m.aliases().collect::<Vec<_>>(), vec![("a/alias", "a/f16")]);
        assert_eq!(m.int_scalar("a/i8").unwrap(), Some(-1));
        assert_eq!(m.int_scalar("a/i16").unwrap(), Some(8));
        assert_eq!(m.int_scalar("a/i32").unwrap(), Some(-70000));
        assert_eq!(m.int_scalar("a/none").unwrap(), None);
        assert_eq!(
            m.raw(m.require("a/bf16").unwrap()),
            &[0x80, 0x3f, 0x00, 0x40]
        );
    }

    #[test]
    fn refuses_int8_and_bf16_weights_by_name() {
        let m = parse(sample()).unwrap();
        for (name, dtype) in [("a/q", "int8"), ("a/bf16", "bfloat16")] {
            let err = m.f32_values(m.require(name).unwrap()).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(name) && msg.contains(dtype), "{msg}");
            assert!(msg.contains("float16"), "says what to do: {msg}");
        }
    }

    #[test]
    fn bad_magic_is_reported_at_byte_zero() {
        let mut bytes = sample();
        bytes[..4].copy_from_slice(b"PK\x03\x04");
        match parse(bytes) {
            Err(ModelError::Ct2Format {
                offset: 0, reason, ..
            }) => {
                assert!(reason.contains("binary version"), "{reason}")
            }
            other => panic!("expected a format error, got {:?}", other.err()),
        }
    }

    #[test]
    fn truncation_is_reported_with_its_offset() {
        let full = sample();
        // Cut inside the data of the first variable: header is 4 + (2+12) + 4 + 4.
        let first_data_at = 4 + 14 + 4 + 4 + (2 + 6) + 1 + 8 + 1 + 4;
        let cut = first_data_at + 5;
        match parse(full[..cut].to_vec()) {
            Err(ModelError::Ct2Format { offset, reason, .. }) => {
                assert_eq!(offset as usize, first_data_at);
                assert!(reason.contains("needs 24 bytes, 5 left"), "{reason}");
            }
            other => panic!("expected truncation error, got {:?}", other.err()),
        }
        // Every shorter prefix fails too, never panics.
        for n in 0..full.len() {
            assert!(
                parse(full[..n].to_vec()).is_err(),
                "prefix of {n} bytes accepted"
            );
        }
        assert!(parse(full).is_ok());
    }

    #[test]
    fn byte_count_must_match_shape() {
        let mut w = Ct2Writer::new("WhisperSpec");
        w.variable("bad", &[4], DType::F16, vec![0; 6]);
        let err = parse(w.to_bytes()).unwrap_err().to_string();
        assert!(
            err.contains("`bad` has 6 data bytes") && err.contains("needs 8"),
            "{err}"
        );
    }

    #[test]
    fn dangling_alias_is_an_error() {
        let mut w = Ct2Writer::new("WhisperSpec");
        w.alias("x", "missing");
        let err = parse(w.to_bytes()).unwrap_err().to_string();
        assert!(err.contains("unknown variable `missing`"), "{err}");
    }
}
