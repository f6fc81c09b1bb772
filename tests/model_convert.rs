//! Converts a tiny synthetic CTranslate2 Whisper model whose sizes differ from every
//! real one and checks the ggml file against what whisper.cpp's loader expects:
//! names, element types, dimensions, split projections, and that whisper.cpp loads it.

use callqa::model::ct2::{Ct2Writer, DType};
use callqa::model::ggml::TensorType;
use callqa::model::quant::dequantize_q8_0;
use callqa::model::{self, ModelError, Quantization};
use callqa::reporter::CollectingReporter;
use half::f16;
use std::collections::BTreeMap;
use std::path::Path;

struct Tiny {
    d: usize,
    mels: usize,
    audio_ctx: usize,
    text_ctx: usize,
    vocab: usize,
    audio_layers: usize,
    text_layers: usize,
    heads: i16,
}

const TINY: Tiny = Tiny {
    d: 64,
    mels: 16,
    audio_ctx: 12,
    text_ctx: 8,
    vocab: 40,
    audio_layers: 1,
    text_layers: 2,
    heads: 2,
};

/// Deterministic, distinct values: variable `seed`, element `i`.
fn values(seed: usize, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((seed * 7919 + i * 31) % 2003) as f32 / 1000.0 - 1.0)
        .collect()
}

/// Writes model.bin, tokenizer.json and config.json; returns each variable's values.
fn write_tiny(dir: &Path, t: &Tiny) -> BTreeMap<String, Vec<f32>> {
    let mut w = Ct2Writer::new("WhisperSpec");
    let mut all = BTreeMap::new();
    let mut seed = 0;
    let mut add = |w: &mut Ct2Writer, name: &str, shape: &[usize]| {
        seed += 1;
        let v = values(seed, shape.iter().product());
        // Alternate storage types: converters must accept both.
        let dtype = if seed % 3 == 0 {
            DType::F32
        } else {
            DType::F16
        };
        w.floats(name, shape, dtype, &v);
        let stored = if dtype == DType::F16 {
            v.iter().map(|&x| f16::from_f32(x).to_f32()).collect()
        } else {
            v
        };
        all.insert(name.to_string(), stored);
    };
    let d = t.d;
    let ln = |w: &mut Ct2Writer, add: &mut dyn FnMut(&mut Ct2Writer, &str, &[usize]), p: &str| {
        add(w, &format!("{p}/gamma"), &[d]);
        add(w, &format!("{p}/beta"), &[d]);
    };
    let linear = |w: &mut Ct2Writer,
                  add: &mut dyn FnMut(&mut Ct2Writer, &str, &[usize]),
                  p: &str,
                  rows: usize,
                  cols: usize| {
        add(w, &format!("{p}/weight"), &[rows, cols]);
        add(w, &format!("{p}/bias"), &[rows]);
    };
    add(&mut w, "encoder/conv1/weight", &[d, t.mels, 3]);
    add(&mut w, "encoder/conv1/bias", &[d]);
    add(&mut w, "encoder/conv2/weight", &[d, d, 3]);
    add(&mut w, "encoder/conv2/bias", &[d]);
    add(
        &mut w,
        "encoder/position_encodings/encodings",
        &[t.audio_ctx, d],
    );
    w.variable(
        "encoder/num_heads",
        &[],
        DType::I16,
        t.heads.to_le_bytes().to_vec(),
    );
    w.variable(
        "decoder/num_heads",
        &[],
        DType::I16,
        t.heads.to_le_bytes().to_vec(),
    );
    w.variable("decoder/activation", &[], DType::I8, vec![1]);
    for i in 0..t.audio_layers {
        let p = format!("encoder/layer_{i}");
        linear(
            &mut w,
            &mut add,
            &format!("{p}/self_attention/linear_0"),
            3 * d,
            d,
        );
        linear(
            &mut w,
            &mut add,
            &format!("{p}/self_attention/linear_1"),
            d,
            d,
        );
        ln(&mut w, &mut add, &format!("{p}/self_attention/layer_norm"));
        linear(&mut w, &mut add, &format!("{p}/ffn/linear_0"), 4 * d, d);
        linear(&mut w, &mut add, &format!("{p}/ffn/linear_1"), d, 4 * d);
        ln(&mut w, &mut add, &format!("{p}/ffn/layer_norm"));
    }
    ln(&mut w, &mut add, "encoder/layer_norm");
    add(&mut w, "decoder/embeddings/weight", &[t.vocab, d]);
    add(
        &mut w,
        "decoder/position_encodings/encodings",
        &[t.text_ctx, d],
    );
    for i in 0..t.text_layers {
        let p = format!("decoder/layer_{i}");
        linear(
            &mut w,
            &mut add,
            &format!("{p}/self_attention/linear_0"),
            3 * d,
            d,
        );
        linear(
            &mut w,
            &mut add,
            &format!("{p}/self_attention/linear_1"),
            d,
            d,
        );
        ln(&mut w, &mut add, &format!("{p}/self_attention/layer_norm"));
        linear(&mut w, &mut add, &format!("{p}/attention/linear_0"), d, d);
        linear(
            &mut w,
            &mut add,
            &format!("{p}/attention/linear_1"),
            2 * d,
            d,
        );
        linear(&mut w, &mut add, &format!("{p}/attention/linear_2"), d, d);
        ln(&mut w, &mut add, &format!("{p}/attention/layer_norm"));
        linear(&mut w, &mut add, &format!("{p}/ffn/linear_0"), 4 * d, d);
        linear(&mut w, &mut add, &format!("{p}/ffn/linear_1"), d, 4 * d);
        ln(&mut w, &mut add, &format!("{p}/ffn/layer_norm"));
    }
    ln(&mut w, &mut add, "decoder/layer_norm");
    w.alias("decoder/projection/weight", "decoder/embeddings/weight");
    std::fs::write(dir.join("model.bin"), w.to_bytes()).unwrap();

    let regular = t.vocab - 10;
    let vocab: serde_json::Map<String, serde_json::Value> = (0..regular)
        .map(|i| (format!("Ġt{i}"), serde_json::json!(i)))
        .collect();
    let tokenizer = serde_json::json!({"model": {"type": "BPE", "vocab": vocab}});
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    std::fs::write(dir.join("config.json"), r#"{"suppress_ids": []}"#).unwrap();
    all
}

/// The tensors whisper.cpp's loader creates for these sizes: (name, ggml ne, type).
fn expected_tensors(t: &Tiny, weights: TensorType) -> BTreeMap<String, (Vec<usize>, TensorType)> {
    let d = t.d;
    let mut m = BTreeMap::new();
    let mut put = |n: String, ne: Vec<usize>, ty| {
        m.insert(n, (ne, ty));
    };
    use TensorType::{F16, F32};
    put(
        "encoder.positional_embedding".into(),
        vec![d, t.audio_ctx],
        F32,
    );
    put("encoder.conv1.weight".into(), vec![3, t.mels, d], F16);
    put("encoder.conv1.bias".into(), vec![1, d], F32);
    put("encoder.conv2.weight".into(), vec![3, d, d], F16);
    put("encoder.conv2.bias".into(), vec![1, d], F32);
    put("encoder.ln_post.weight".into(), vec![d], F32);
    put("encoder.ln_post.bias".into(), vec![d], F32);
    put(
        "decoder.positional_embedding".into(),
        vec![d, t.text_ctx],
        F32,
    );
    put(
        "decoder.token_embedding.weight".into(),
        vec![d, t.vocab],
        weights,
    );
    put("decoder.ln.weight".into(), vec![d], F32);
    put("decoder.ln.bias".into(), vec![d], F32);
    let mut block = |p: String, cross: bool| {
        let mut attn = |a: &str| {
            for w in ["query", "key", "value", "out"] {
                put(format!("{p}.{a}.{w}.weight"), vec![d, d], weights);
                if w != "key" {
                    put(format!("{p}.{a}.{w}.bias"), vec![d], F32);
                }
            }
            put(format!("{p}.{a}_ln.weight"), vec![d], F32);
            put(format!("{p}.{a}_ln.bias"), vec![d], F32);
        };
        attn("attn");
        if cross {
            attn("cross_attn");
        }
        put(format!("{p}.mlp.0.weight"), vec![d, 4 * d], weights);
        put(format!("{p}.mlp.0.bias"), vec![4 * d], F32);
        put(format!("{p}.mlp.2.weight"), vec![4 * d, d], weights);
        put(format!("{p}.mlp.2.bias"), vec![d], F32);
        put(format!("{p}.mlp_ln.weight"), vec![d], F32);
        put(format!("{p}.mlp_ln.bias"), vec![d], F32);
    };
    for i in 0..t.audio_layers {
        block(format!("encoder.blocks.{i}"), false);
    }
    for i in 0..t.text_layers {
        block(format!("decoder.blocks.{i}"), true);
    }
    m
}

/// Decoded values of a tensor in a converted file.
fn tensor_values(file: &[u8], info: &model::GgmlInfo, name: &str) -> Vec<f32> {
    let t = info
        .tensors
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no {name}"));
    let n: usize = t.ne.iter().product();
    let bytes = &file[t.offset as usize..][..t.ty.bytes_for(n).unwrap()];
    match t.ty {
        TensorType::F32 => bytes
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        TensorType::F16 => bytes
            .chunks(2)
            .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        TensorType::Q8_0 => dequantize_q8_0(bytes),
        other => panic!("unexpected {other:?}"),
    }
}

fn rows(v: &[f32], row_len: usize, r: std::ops::Range<usize>) -> Vec<f32> {
    v[r.start * row_len..r.end * row_len].to_vec()
}

fn f16_round(v: &[f32]) -> Vec<f32> {
    v.iter().map(|&x| f16::from_f32(x).to_f32()).collect()
}

#[test]
fn tiny_model_converts_with_whisper_cpp_names_types_and_dims() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_tiny(dir.path(), &TINY);
    let out = dir.path().join("out/ggml-tiny.bin");
    let reporter = CollectingReporter::default();
    let summary = model::convert_dir(dir.path(), &out, Quantization::F16, &reporter).unwrap();
    let d = TINY.d;
    assert_eq!(
        summary.tensors,
        11 + 15 * TINY.audio_layers + 24 * TINY.text_layers
    );

    let info = model::info(&out).unwrap();
    let h = info.hparams;
    assert_eq!(
        [
            h.n_vocab,
            h.n_audio_ctx,
            h.n_audio_state,
            h.n_audio_head,
            h.n_audio_layer
        ],
        [40, 12, 64, 2, 1]
    );
    assert_eq!(
        [
            h.n_text_ctx,
            h.n_text_state,
            h.n_text_head,
            h.n_text_layer,
            h.n_mels,
            h.ftype
        ],
        [8, 64, 2, 2, 16, 1]
    );
    assert_eq!((info.n_mel, info.n_fft, info.n_vocab_tokens), (16, 201, 30));
    assert_eq!(info.file_size, std::fs::metadata(&out).unwrap().len());
    let got: BTreeMap<String, (Vec<usize>, TensorType)> = info
        .tensors
        .iter()
        .map(|t| (t.name.clone(), (t.ne.clone(), t.ty)))
        .collect();
    assert_eq!(got, expected_tensors(&TINY, TensorType::F16));
    assert_eq!(got.len(), info.tensors.len(), "no tensor written twice");

    let file = std::fs::read(&out).unwrap();
    let val = |n: &str| tensor_values(&file, &info, n);
    // Fused q,k,v of self-attention: rows [0,d), [d,2d), [2d,3d).
    for (p, ct2) in [
        ("encoder.blocks.0", "encoder/layer_0"),
        ("decoder.blocks.1", "decoder/layer_1"),
    ] {
        let w = &src[&format!("{ct2}/self_attention/linear_0/weight")];
        let b = &src[&format!("{ct2}/self_attention/linear_0/bias")];
        assert_eq!(
            val(&format!("{p}.attn.query.weight")),
            f16_round(&rows(w, d, 0..d))
        );
        assert_eq!(
            val(&format!("{p}.attn.key.weight")),
            f16_round(&rows(w, d, d..2 * d))
        );
        assert_eq!(
            val(&format!("{p}.attn.value.weight")),
            f16_round(&rows(w, d, 2 * d..3 * d))
        );
        assert_eq!(val(&format!("{p}.attn.query.bias")), rows(b, 1, 0..d));
        assert_eq!(
            val(&format!("{p}.attn.value.bias")),
            rows(b, 1, 2 * d..3 * d)
        );
        assert_eq!(
            val(&format!("{p}.attn_ln.weight")),
            src[&format!("{ct2}/self_attention/layer_norm/gamma")]
        );
        assert_eq!(
            val(&format!("{p}.mlp.2.weight")),
            f16_round(&src[&format!("{ct2}/ffn/linear_1/weight")])
        );
    }
    // Cross-attention: query alone, fused k,v, then the output projection.
    let kv = &src["decoder/layer_0/attention/linear_1/weight"];
    let kv_b = &src["decoder/layer_0/attention/linear_1/bias"];
    assert_eq!(
        val("decoder.blocks.0.cross_attn.key.weight"),
        f16_round(&rows(kv, d, 0..d))
    );
    assert_eq!(
        val("decoder.blocks.0.cross_attn.value.weight"),
        f16_round(&rows(kv, d, d..2 * d))
    );
    assert_eq!(
        val("decoder.blocks.0.cross_attn.value.bias"),
        rows(kv_b, 1, d..2 * d)
    );
    assert_eq!(
        val("decoder.blocks.0.cross_attn.query.weight"),
        f16_round(&src["decoder/layer_0/attention/linear_0/weight"])
    );
    assert_eq!(
        val("decoder.blocks.0.cross_attn.out.bias"),
        src["decoder/layer_0/attention/linear_2/bias"]
    );
    assert_eq!(
        val("decoder.blocks.0.cross_attn_ln.bias"),
        src["decoder/layer_0/attention/layer_norm/beta"]
    );
    assert_eq!(
        val("encoder.ln_post.weight"),
        src["encoder/layer_norm/gamma"]
    );
    assert_eq!(val("decoder.ln.bias"), src["decoder/layer_norm/beta"]);
    assert_eq!(
        val("encoder.conv1.weight"),
        f16_round(&src["encoder/conv1/weight"])
    );
    assert_eq!(val("encoder.conv2.bias"), src["encoder/conv2/bias"]);
    assert_eq!(
        val("decoder.positional_embedding"),
        src["decoder/position_encodings/encodings"]
    );
    assert_eq!(
        val("decoder.token_embedding.weight"),
        f16_round(&src["decoder/embeddings/weight"])
    );
}

#[test]
fn q8_0_quantizes_matrices_only() {
    let dir = tempfile::tempdir().unwrap();
    let src = write_tiny(dir.path(), &TINY);
    let out = dir.path().join("q.bin");
    model::convert_dir(
        dir.path(),
        &out,
        Quantization::Q8_0,
        &CollectingReporter::default(),
    )
    .unwrap();
    let info = model::info(&out).unwrap();
    assert_eq!(
        info.hparams.ftype, 2007,
        "q8_0 (7) with quantization version 2"
    );
    let got: BTreeMap<String, (Vec<usize>, TensorType)> = info
        .tensors
        .iter()
        .map(|t| (t.name.clone(), (t.ne.clone(), t.ty)))
        .collect();
    assert_eq!(got, expected_tensors(&TINY, TensorType::Q8_0));
    let file = std::fs::read(&out).unwrap();
    let key = tensor_values(&file, &info, "encoder.blocks.0.attn.key.weight");
    let want = rows(
        &src["encoder/layer_0/self_attention/linear_0/weight"],
        TINY.d,
        TINY.d..2 * TINY.d,
    );
    for (block_got, block_want) in key.chunks(32).zip(want.chunks(32)) {
        let amax = block_want.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (g, w) in block_got.iter().zip(block_want) {
            assert!((g - w).abs() <= amax / 254.0 + amax / 1024.0, "{g} vs {w}");
        }
    }
    assert!(info.to_string().contains("q8_0"));
}

#[test]
fn q8_0_refuses_rows_that_are_not_whole_blocks_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny(dir.path(), &Tiny { d: 48, ..TINY });
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let err = model::convert_dir(
        dir.path(),
        &out.join("q.bin"),
        Quantization::Q8_0,
        &CollectingReporter::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::QuantizeRow {
                row_len: 48,
                block: 32,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("without --quantize"));
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "no partial output left behind"
    );
}

#[test]
fn missing_pieces_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny(dir.path(), &TINY);
    std::fs::remove_file(dir.path().join("tokenizer.json")).unwrap();
    let err = model::convert_dir(
        dir.path(),
        &dir.path().join("x.bin"),
        Quantization::F16,
        &CollectingReporter::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("tokenizer.json"), "{err}");

    let mut w = Ct2Writer::new("WhisperSpec");
    w.floats("encoder/conv1/weight", &[4, 2, 3], DType::F32, &[0.0; 24]);
    std::fs::write(dir.path().join("model.bin"), w.to_bytes()).unwrap();
    std::fs::write(
        dir.path().join("tokenizer.json"),
        r#"{"model":{"vocab":{"a":0}}}"#,
    )
    .unwrap();
    let err = model::convert_dir(
        dir.path(),
        &dir.path().join("x.bin"),
        Quantization::F16,
        &CollectingReporter::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("decoder/embeddings/weight") && err.contains("model.bin"),
        "{err}"
    );
}

/// The strongest format check available without the real model: whisper.cpp itself
/// accepts the converted file (every tensor name, type and shape must match).
#[cfg(feature = "whisper")]
#[test]
fn whisper_cpp_loads_the_converted_tiny_model() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny(dir.path(), &TINY);
    for (q, name) in [
        (Quantization::F16, "f16.bin"),
        (Quantization::Q8_0, "q8.bin"),
    ] {
        let out = dir.path().join(name);
        model::convert_dir(dir.path(), &out, q, &CollectingReporter::default()).unwrap();
        let ctx = whisper_rs::WhisperContext::new_with_params(
            out.to_str().unwrap(),
            whisper_rs::WhisperContextParameters::default(),
        );
        assert!(
            ctx.is_ok(),
            "whisper.cpp refused the {q} model: {:?}",
            ctx.err()
        );
    }
}
