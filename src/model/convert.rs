//! Rewrites a CTranslate2 Whisper model as a whisper.cpp ggml model: tensor names,
//! splits of the fused attention projections, element types and dimension order
//! exactly as `whisper_model_load` expects them. Every size is read from the model
//! itself, so tiny to large models convert alike.

use super::ct2::Ct2Model;
use super::ggml::{GgmlWriter, Hparams, TensorType, QNT_VERSION, QNT_VERSION_FACTOR};
use super::{mel, quant, vocab, ModelError, Quantization};
use crate::reporter::Reporter;
use half::f16;
use std::fmt;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Whisper's fixed audio front end: 16 kHz audio, 400-sample FFT windows.
const SAMPLE_RATE: u32 = 16_000;
const N_FFT: usize = 400;
/// Multilingual vocabularies have 51765 + 1 + languages tokens (whisper.cpp's rule).
const MULTILINGUAL_BASE_VOCAB: usize = 51_765;
const MULTILINGUAL_MIN_VOCAB: usize = 51_865;

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertSummary {
    pub out: PathBuf,
    pub hparams: Hparams,
    pub quantization: Quantization,
    pub tensors: usize,
    pub bytes: u64,
}

impl fmt::Display for ConvertSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.hparams;
        write!(
            f,
            "{}, {} tensors, {:.1} MiB; {} audio + {} text layers, width {}, {} mels, vocabulary {}",
            self.quantization,
            self.tensors,
            self.bytes as f64 / 1048576.0,
            h.n_audio_layer,
            h.n_text_layer,
            h.n_audio_state,
            h.n_mels,
            h.n_vocab
        )
    }
}

/// The model's sizes, read from its variables.
struct Dims {
    n_vocab: usize,
    n_mels: usize,
    audio_ctx: usize,
    audio_state: usize,
    audio_layers: usize,
    text_ctx: usize,
    text_state: usize,
    text_layers: usize,
}

fn shape_error(model: &Ct2Model, name: &str, shape: &[usize], expected: &str) -> ModelError {
    ModelError::Shape {
        path: model.path.clone(),
        name: name.to_string(),
        shape: shape.to_vec(),
        expected: expected.to_string(),
    }
}

fn dims_of(model: &Ct2Model) -> Result<Dims, ModelError> {
    let two = |name: &str| -> Result<(usize, usize), ModelError> {
        let v = model.require(name)?;
        match v.shape[..] {
            [a, b] => Ok((a, b)),
            _ => Err(shape_error(model, name, &v.shape, "2 dimensions")),
        }
    };
    let (n_vocab, text_state) = two("decoder/embeddings/weight")?;
    let (audio_ctx, audio_state) = two("encoder/position_encodings/encodings")?;
    let (text_ctx, pe_width) = two("decoder/position_encodings/encodings")?;
    if pe_width != text_state {
        let v = model.require("decoder/position_encodings/encodings")?;
        return Err(shape_error(
            model,
            &v.name,
            &v.shape,
            &format!("[n_text_ctx, {text_state}]"),
        ));
    }
    if audio_state != text_state {
        return Err(ModelError::Config {
            path: model.path.clone(),
            reason: format!(
                "encoder width {audio_state} differs from decoder width {text_state}; whisper.cpp needs them equal"
            ),
        });
    }
    let conv1 = model.require("encoder/conv1/weight")?;
    let n_mels = match conv1.shape[..] {
        [out, mels, 3] if out == audio_state => mels,
        _ => {
            return Err(shape_error(
                model,
                &conv1.name,
                &conv1.shape,
                &format!("[{audio_state}, n_mels, 3]"),
            ))
        }
    };
    let count = |prefix: &str| {
        (0..)
            .take_while(|i| {
                model
                    .get(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
                    .is_some()
            })
            .count()
    };
    Ok(Dims {
        n_vocab,
        n_mels,
        audio_ctx,
        audio_state,
        audio_layers: count("encoder"),
        text_ctx,
        text_state,
        text_layers: count("decoder"),
    })
}

fn heads(model: &Ct2Model, name: &str, width: usize) -> Result<i32, ModelError> {
    // Older exports do not store the head count; Whisper always uses 64-wide heads.
    Ok(model
        .int_scalar(name)?
        .map(|h| h as i32)
        .unwrap_or((width / 64) as i32))
}

/// Checks `config.json`'s language list against the vocabulary size, so a tokenizer
/// or config from a different model is caught before whisper.cpp misreads tokens.
fn check_config(config: &[u8], path: &Path, n_vocab: usize) -> Result<(), ModelError> {
    let bad = |reason: String| ModelError::Config {
        path: path.to_path_buf(),
        reason,
    };
    let doc: serde_json::Value =
        serde_json::from_slice(config).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    if let Some(langs) = doc.get("lang_ids").and_then(|v| v.as_array()) {
        if n_vocab >= MULTILINGUAL_MIN_VOCAB && langs.len() != n_vocab - MULTILINGUAL_BASE_VOCAB - 1
        {
            return Err(bad(format!(
                "lists {} languages but the model's {n_vocab}-token embedding implies {}; \
                 config.json belongs to another model",
                langs.len(),
                n_vocab - MULTILINGUAL_BASE_VOCAB - 1
            )));
        }
    }
    Ok(())
}

/// Where the converted bytes go and what has been written so far.
struct Emitter<'a, W: Write> {
    model: &'a Ct2Model,
    writer: GgmlWriter<W>,
    weights: TensorType,
    out: &'a Path,
    done: usize,
    total: usize,
    reporter: &'a dyn Reporter,
}

impl<W: Write> Emitter<'_, W> {
    /// Writes rows `rows` of CT2 variable `ct2` (which must have shape `expect`) as
    /// ggml tensor `name` with ggml dims `ne` and element type `ty`.
    fn put(
        &mut self,
        ct2: &str,
        expect: &[usize],
        rows: Range<usize>,
        name: &str,
        ne: &[usize],
        ty: TensorType,
    ) -> Result<(), ModelError> {
        let var = self.model.require(ct2)?;
        if var.shape != expect {
            return Err(shape_error(
                self.model,
                ct2,
                &var.shape,
                &format!("{expect:?}"),
            ));
        }
        let values = self.model.f32_values(var)?;
        let row_len: usize = expect[1..].iter().product();
        let values = &values[rows.start * row_len..rows.end * row_len];
        let data: Vec<u8> = match ty {
            TensorType::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            TensorType::F16 => values
                .iter()
                .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                .collect(),
            TensorType::Bf16 => values
                .iter()
                .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
                .collect(),
            TensorType::Q8_0 => {
                if ne[0] % quant::QK8_0 != 0 {
                    return Err(ModelError::QuantizeRow {
                        name: name.to_string(),
                        row_len: ne[0],
                        block: quant::QK8_0,
                    });
                }
                quant::quantize_q8_0(values)
            }
            other => unreachable!("the converter never writes {other:?}"),
        };
        self.writer
            .tensor(name, ne, ty, &data)
            .map_err(ModelError::io(self.out))?;
        self.done += 1;
        self.reporter
            .progress(self.done as f64, self.total as f64, "tensors");
        Ok(())
    }

    /// A 1-D f32 vector (biases, layer norms), optionally a slice of a fused one.
    fn vector(
        &mut self,
        ct2: &str,
        len: usize,
        part: Range<usize>,
        name: &str,
    ) -> Result<(), ModelError> {
        self.put(
            ct2,
            &[len],
            part.clone(),
            name,
            &[part.len()],
            TensorType::F32,
        )
    }

    /// A weight matrix `[rows, cols]` (rows `part` of it) in the model's weight type.
    fn matrix(
        &mut self,
        ct2: &str,
        shape: [usize; 2],
        part: Range<usize>,
        name: &str,
    ) -> Result<(), ModelError> {
        self.put(
            ct2,
            &shape,
            part.clone(),
            name,
            &[shape[1], part.len()],
            self.weights,
        )
    }

    fn layer_norm(&mut self, ct2: &str, d: usize, name: &str) -> Result<(), ModelError> {
        self.vector(&format!("{ct2}/gamma"), d, 0..d, &format!("{name}.weight"))?;
        self.vector(&format!("{ct2}/beta"), d, 0..d, &format!("{name}.bias"))
    }

    fn linear(
        &mut self,
        ct2: &str,
        shape: [usize; 2],
        part: Range<usize>,
        name: &str,
        bias: bool,
    ) -> Result<(), ModelError> {
        self.matrix(
            &format!("{ct2}/weight"),
            shape,
            part.clone(),
            &format!("{name}.weight"),
        )?;
        if bias {
            self.vector(
                &format!("{ct2}/bias"),
                shape[0],
                part,
                &format!("{name}.bias"),
            )?;
        }
        Ok(())
    }

    /// Fused q,k,v (rows [0,d), [d,2d), [2d,3d)); the key has no bias in Whisper.
    fn self_attention(&mut self, ct2: &str, d: usize, name: &str) -> Result<(), ModelError> {
        let fused = format!("{ct2}/linear_0");
        self.linear(&fused, [3 * d, d], 0..d, &format!("{name}.query"), true)?;
        self.linear(&fused, [3 * d, d], d..2 * d, &format!("{name}.key"), false)?;
        self.linear(
            &fused,
            [3 * d, d],
            2 * d..3 * d,
            &format!("{name}.value"),
            true,
        )?;
        self.linear(
            &format!("{ct2}/linear_1"),
            [d, d],
            0..d,
            &format!("{name}.out"),
            true,
        )
    }

    /// Query from `linear_0`, fused k,v from `linear_1`, output `linear_2`.
    fn cross_attention(&mut self, ct2: &str, d: usize, name: &str) -> Result<(), ModelError> {
        let fused = format!("{ct2}/linear_1");
        self.linear(
            &format!("{ct2}/linear_0"),
            [d, d],
            0..d,
            &format!("{name}.query"),
            true,
        )?;
        self.linear(&fused, [2 * d, d], 0..d, &format!("{name}.key"), false)?;
        self.linear(&fused, [2 * d, d], d..2 * d, &format!("{name}.value"), true)?;
        self.linear(
            &format!("{ct2}/linear_2"),
            [d, d],
            0..d,
            &format!("{name}.out"),
            true,
        )
    }

    fn mlp(&mut self, ct2: &str, d: usize, name: &str) -> Result<(), ModelError> {
        let hidden = self
            .model
            .require(&format!("{ct2}/linear_0/weight"))?
            .shape
            .first()
            .copied()
            .unwrap_or(0);
        self.linear(
            &format!("{ct2}/linear_0"),
            [hidden, d],
            0..hidden,
            &format!("{name}.mlp.0"),
            true,
        )?;
        self.linear(
            &format!("{ct2}/linear_1"),
            [d, hidden],
            0..d,
            &format!("{name}.mlp.2"),
            true,
        )?;
        self.layer_norm(&format!("{ct2}/layer_norm"), d, &format!("{name}.mlp_ln"))
    }
}

/// Converts `model` with its `tokenizer.json` (and optional `config.json`) into `sink`.
pub fn convert_model<W: Write>(
    model: &Ct2Model,
    tokenizer: (&[u8], &Path),
    config: Option<(&[u8], &Path)>,
    quantization: Quantization,
    sink: W,
    out: &Path,
    reporter: &dyn Reporter,
) -> Result<(W, ConvertSummary), ModelError> {
    let dims = dims_of(model)?;
    if let Some((bytes, path)) = config {
        check_config(bytes, path, dims.n_vocab)?;
    }
    let tokens = vocab::regular_tokens(tokenizer.0, tokenizer.1)?;
    if tokens.len() > dims.n_vocab {
        return Err(ModelError::Config {
            path: tokenizer.1.to_path_buf(),
            reason: format!(
                "has {} regular tokens but the model embeds only {}; tokenizer.json belongs to another model",
                tokens.len(),
                dims.n_vocab
            ),
        });
    }
    let (ftype, weights) = match quantization {
        Quantization::F16 => (1, TensorType::F16),
        Quantization::Q8_0 => (7 + QNT_VERSION * QNT_VERSION_FACTOR, TensorType::Q8_0),
        Quantization::Bf16 => (24, TensorType::Bf16),
    };
    let hparams = Hparams {
        n_vocab: dims.n_vocab as i32,
        n_audio_ctx: dims.audio_ctx as i32,
        n_audio_state: dims.audio_state as i32,
        n_audio_head: heads(model, "encoder/num_heads", dims.audio_state)?,
        n_audio_layer: dims.audio_layers as i32,
        n_text_ctx: dims.text_ctx as i32,
        n_text_state: dims.text_state as i32,
        n_text_head: heads(model, "decoder/num_heads", dims.text_state)?,
        n_text_layer: dims.text_layers as i32,
        n_mels: dims.n_mels as i32,
        ftype,
    };
    let filters = mel::mel_filters(SAMPLE_RATE, N_FFT, dims.n_mels);
    let writer = GgmlWriter::new(sink, &hparams, &filters, N_FFT / 2 + 1, &tokens)
        .map_err(ModelError::io(out))?;
    let total = 11 + 15 * dims.audio_layers + 24 * dims.text_layers;
    let mut e = Emitter {
        model,
        writer,
        weights,
        out,
        done: 0,
        total,
        reporter,
    };
    let d = dims.audio_state;

    e.put(
        "encoder/position_encodings/encodings",
        &[dims.audio_ctx, d],
        0..dims.audio_ctx,
        "encoder.positional_embedding",
        &[d, dims.audio_ctx],
        TensorType::F32,
    )?;
    // Convolutions stay f16 even in quantized files (whisper.cpp's "vtype").
    for (i, input) in [(1, dims.n_mels), (2, d)] {
        e.put(
            &format!("encoder/conv{i}/weight"),
            &[d, input, 3],
            0..d,
            &format!("encoder.conv{i}.weight"),
            &[3, input, d],
            TensorType::F16,
        )?;
        e.put(
            &format!("encoder/conv{i}/bias"),
            &[d],
            0..d,
            &format!("encoder.conv{i}.bias"),
            &[1, d],
            TensorType::F32,
        )?;
    }
    for i in 0..dims.audio_layers {
        let (ct2, name) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
        e.self_attention(&format!("{ct2}/self_attention"), d, &format!("{name}.attn"))?;
        e.layer_norm(
            &format!("{ct2}/self_attention/layer_norm"),
            d,
            &format!("{name}.attn_ln"),
        )?;
        e.mlp(&format!("{ct2}/ffn"), d, &name)?;
    }
    e.layer_norm("encoder/layer_norm", d, "encoder.ln_post")?;

    let d = dims.text_state;
    e.put(
        "decoder/position_encodings/encodings",
        &[dims.text_ctx, d],
        0..dims.text_ctx,
        "decoder.positional_embedding",
        &[d, dims.text_ctx],
        TensorType::F32,
    )?;
    // `decoder/projection/weight` is an alias of the embedding; whisper.cpp reuses it.
    e.matrix(
        "decoder/embeddings/weight",
        [dims.n_vocab, d],
        0..dims.n_vocab,
        "decoder.token_embedding.weight",
    )?;
    for i in 0..dims.text_layers {
        let (ct2, name) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
        e.self_attention(&format!("{ct2}/self_attention"), d, &format!("{name}.attn"))?;
        e.layer_norm(
            &format!("{ct2}/self_attention/layer_norm"),
            d,
            &format!("{name}.attn_ln"),
        )?;
        e.cross_attention(
            &format!("{ct2}/attention"),
            d,
            &format!("{name}.cross_attn"),
        )?;
        e.layer_norm(
            &format!("{ct2}/attention/layer_norm"),
            d,
            &format!("{name}.cross_attn_ln"),
        )?;
        e.mlp(&format!("{ct2}/ffn"), d, &name)?;
    }
    e.layer_norm("decoder/layer_norm", d, "decoder.ln")?;

    let (sink, tensors, bytes) = e.writer.finish().map_err(ModelError::io(out))?;
    debug_assert_eq!(tensors, total);
    let summary = ConvertSummary {
        out: out.to_path_buf(),
        hparams,
        quantization,
        tensors,
        bytes,
    };
    Ok((sink, summary))
}

/// Reads a CTranslate2 directory and writes `out` through a temporary file in the
/// same directory, so `out` is either complete or absent.
pub(super) fn convert_dir(
    ct2_dir: &Path,
    out: &Path,
    quantization: Quantization,
    reporter: &dyn Reporter,
) -> Result<ConvertSummary, ModelError> {
    let model_path = ct2_dir.join("model.bin");
    reporter.status(&format!("reading {}", model_path.display()));
    let model = Ct2Model::open(&model_path)?;
    let tokenizer_path = ct2_dir.join("tokenizer.json");
    let tokenizer = std::fs::read(&tokenizer_path).map_err(ModelError::io(&tokenizer_path))?;
    let config_path = ct2_dir.join("config.json");
    let config = match std::fs::read(&config_path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(ModelError::Io {
                path: config_path,
                source: e,
            })
        }
    };
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(ModelError::io(parent))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".callqa-convert-");
    // A model is shared data, not a secret: the usual file mode, not tempfile's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let tmp = builder
        .tempfile_in(parent)
        .map_err(ModelError::io(parent))?;
    reporter.status(&format!("converting to {} ({quantization})", out.display()));
    let (sink, summary) = convert_model(
        &model,
        (&tokenizer, &tokenizer_path),
        config.as_deref().map(|c| (c, config_path.as_path())),
        quantization,
        std::io::BufWriter::with_capacity(1 << 20, tmp),
        out,
        reporter,
    )?;
    let tmp = sink.into_inner().map_err(|e| ModelError::Io {
        path: out.to_path_buf(),
        source: e.into_error(),
    })?;
    tmp.as_file().sync_all().map_err(ModelError::io(out))?;
    tmp.persist(out).map_err(|e| ModelError::Io {
        path: out.to_path_buf(),
        source: e.error,
    })?;
    Ok(summary)
}
