//! How much audio callqa hands the recognizer: per channel of each WAV given, the VAD
//! regions, the packed speech (padded regions plus gaps) and the recognizer windows.
//! Used to compare with other engines' VAD trimming (see README, "Calls").
//!
//! Run: `cargo run --release --no-default-features --example speech_kept -- FILE.wav...`

use callqa::audio::pack::PackedSpeech;
use callqa::audio::vad::{speech_regions, VadConfig};
use callqa::call::RECOGNIZER_WINDOW_S;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rate = 16_000.0;
    for file in std::env::args().skip(1) {
        let audio = callqa::audio::decode_file(std::path::Path::new(&file))?;
        for (c, channel) in audio.channels.iter().enumerate() {
            let regions = speech_regions(channel, &VadConfig::default());
            let packed = PackedSpeech::new(channel.len(), &regions);
            let speech: f64 = packed
                .pieces
                .iter()
                .map(|p| p.orig_end_s() - p.orig_start_s())
                .sum();
            let windows: Vec<String> = packed
                .windows(RECOGNIZER_WINDOW_S)
                .iter()
                .map(|w| format!("{:.1}", (w.end - w.start) as f64 / rate))
                .collect();
            println!(
                "{file} channel {c}: {:.1} s, {} VAD regions, {} pieces = {speech:.1} s padded speech, packed {:.1} s, windows [{}] s",
                channel.len() as f64 / rate,
                regions.len(),
                packed.pieces.len(),
                packed.len() as f64 / rate,
                windows.join(" ")
            );
        }
    }
    Ok(())
}
