//! Fuzzes the WAV reader: any bytes must give either decoded audio that keeps the
//! documented invariants or a typed error, never a panic, hang or huge allocation.
//! Seeds for every supported format are in `fuzz/seeds/wav/` (see fuzz/README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(audio) = callqa::audio::decode_bytes(data) else {
        return;
    };
    assert!(!audio.channels.is_empty());
    assert!(audio.duration_s > 0.0 && audio.duration_s.is_finite());
    let expected = (audio.duration_s * 16_000.0).round();
    for ch in &audio.channels {
        assert_eq!(ch.len(), audio.channels[0].len());
        assert!(
            (ch.len() as f64 - expected).abs() <= 1.0,
            "{} samples for {} s",
            ch.len(),
            audio.duration_s
        );
        // Stored 16-bit samples come from values clamped to [-1, 1] (-1.0 is
        // -32767), so the one 16-bit value no input can produce is -32768.
        assert!(ch.iter().all(|&s| s != i16::MIN));
    }
});
