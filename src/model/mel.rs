//! Mel filter bank for whisper.cpp's model file. CTranslate2 models do not carry
//! one, so it is computed here exactly as `librosa.filters.mel` does with its
//! defaults (Slaney mel scale, Slaney area normalization), which is what Whisper
//! was trained with.

/// Hz to mel on the Slaney scale: linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// Filters as a row-major `n_mels x (n_fft / 2 + 1)` matrix, from 0 Hz to `sample_rate / 2`.
pub fn mel_filters(sample_rate: u32, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_bins = n_fft / 2 + 1;
    let nyquist = sample_rate as f64 / 2.0;
    let bin_hz: Vec<f64> = (0..n_bins)
        .map(|j| j as f64 * nyquist / (n_bins - 1) as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(nyquist));
    let edges: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = Vec::with_capacity(n_mels * n_bins);
    for i in 0..n_mels {
        let (left, center, right) = (edges[i], edges[i + 1], edges[i + 2]);
        let norm = 2.0 / (right - left);
        for &f in &bin_hz {
            let rising = (f - left) / (center - left);
            let falling = (right - f) / (right - center);
            out.push((rising.min(falling).max(0.0) * norm) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (mel, bin, value) from a one-off float64 run of librosa's formulas
    /// (`librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)`), rounded to f32.
    const REFERENCE: &[(usize, usize, f32)] = &[
        (0, 1, 0.024862595),
        (1, 1, 0.001990822),
        (1, 2, 0.022871772),
        (2, 3, 0.02088095),
        (15, 14, 0.0010180905),
        (15, 15, 0.023844503),
        (30, 29, 0.015856039),
        (30, 30, 0.008962771),
        (31, 31, 0.01175133),
        (45, 51, 0.0051569617),
        (45, 52, 0.011507896),
        (45, 54, 0.0011901655),
        (60, 90, 0.0014345343),
        (60, 93, 0.006591093),
        (79, 186, 0.00036674167),
        (79, 192, 0.0031647116),
        (79, 199, 0.00044875903),
    ];

    #[test]
    fn matches_librosa_reference_values() {
        let f = mel_filters(16000, 400, 80);
        assert_eq!(f.len(), 80 * 201);
        for &(m, b, want) in REFERENCE {
            let got = f[m * 201 + b];
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1e-3),
                "[{m}][{b}] {got} != {want}"
            );
        }
        // Zeros where librosa has them: DC, the Nyquist bin, and outside each triangle.
        for &(m, b) in &[(0, 0), (0, 2), (1, 3), (40, 63), (79, 200), (5, 100)] {
            assert_eq!(f[m * 201 + b], 0.0, "[{m}][{b}]");
        }
        assert_eq!(f.iter().filter(|&&v| v > 0.0).count(), 391);
    }

    #[test]
    fn scale_round_trips_across_the_1khz_knee() {
        for hz in [0.0, 440.0, 999.0, 1000.0, 1001.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9, "{hz}");
        }
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
    }
}
