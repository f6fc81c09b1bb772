//! ggml's q8_0 quantization, so converted models can be written at about half the
//! size of float16. Layout per block of 32 values: f16 scale `d = max|x| / 127`,
//! then 32 `i8` quants `round(x / d)`, exactly as ggml's reference quantizer.

use half::f16;

/// Values per block.
pub const QK8_0: usize = 32;
/// Bytes per block: the f16 scale and 32 quants.
pub const BLOCK_BYTES: usize = 2 + QK8_0;

/// Quantizes `values` (length a multiple of [`QK8_0`]) to q8_0 blocks.
pub fn quantize_q8_0(values: &[f32]) -> Vec<u8> {
    assert_eq!(
        values.len() % QK8_0,
        0,
        "q8_0 needs whole blocks of {QK8_0}"
    );
    let mut out = Vec::with_capacity(values.len() / QK8_0 * BLOCK_BYTES);
    for block in values.chunks_exact(QK8_0) {
        let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend(f16::from_f32(d).to_le_bytes());
        out.extend(block.iter().map(|&v| (v * id).round() as i8 as u8));
    }
    out
}

/// Expands q8_0 blocks back to floats.
pub fn dequantize_q8_0(bytes: &[u8]) -> Vec<f32> {
    assert_eq!(
        bytes.len() % BLOCK_BYTES,
        0,
        "q8_0 data is whole blocks of {BLOCK_BYTES} bytes"
    );
    let mut out = Vec::with_capacity(bytes.len() / BLOCK_BYTES * QK8_0);
    for block in bytes.chunks_exact(BLOCK_BYTES) {
        let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
        out.extend(block[2..].iter().map(|&q| q as i8 as f32 * d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn block_layout_matches_ggml() {
        let mut x = [0.0f32; 32];
        x[0] = 254.0;
        x[1] = -127.0;
        x[31] = 2.9;
        let q = quantize_q8_0(&x);
        assert_eq!(q.len(), 34);
        assert_eq!(f16::from_le_bytes([q[0], q[1]]), f16::from_f32(2.0));
        assert_eq!(q[2] as i8, 127);
        assert_eq!(q[3] as i8, -64, "-63.5 rounds away from zero");
        assert_eq!(q[33] as i8, 1, "1.45 rounds to 1");
        assert!(quantize_q8_0(&[0.0; 32])[2..].iter().all(|&b| b == 0));
    }

    proptest! {
        /// Each value comes back within half a quantization step (plus the f16
        /// rounding of the scale): |x - x'| <= max|block| / 127 * 0.5 + 2^-10 * |x|.
        #[test]
        fn round_trip_error_is_bounded(values in prop::collection::vec(-50.0f32..50.0, 32..=256)) {
            let n = values.len() / QK8_0 * QK8_0;
            let values = &values[..n];
            let back = dequantize_q8_0(&quantize_q8_0(values));
            prop_assert_eq!(back.len(), n);
            for (block, restored) in values.chunks(QK8_0).zip(back.chunks(QK8_0)) {
                let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                for (&x, &y) in block.iter().zip(restored) {
                    let bound = amax / 127.0 * 0.5 + amax * 2f32.powi(-10) + 1e-6;
                    prop_assert!((x - y).abs() <= bound, "{} -> {} (bound {})", x, y, bound);
                }
            }
        }
    }
}
