//! How much audio callqa hands the recognizer: per channel of each WAV given, the VAD
//! regions, the packed speech (padded regions plus gaps) and the recognizer windows.
//! Used to compare with other engines' VAD trimming (see README, "Calls").
//!
//! Run: `cargo run --release --no-default-features --example speech_kept -- FILE.wav...`

use callqa::audio::pack::PackedSpeech;
use callqa::audio::vad::{speech_regions, VadConfig};
use callqa::call::turn_windows;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rate = 16_000.0;
    for file in std::env::args().skip(1) {
        let audio = callqa::audio::decode_file(std::path::Path::new(&file))?;
        let all: Vec<Vec<(f64, f64)>> = audio
            .channels
            .iter()
            .map(|c| speech_regions(c, &VadConfig::default()))
            .collect();
        for (c, (channel, regions)) in audio.channels.iter().zip(&all).enumerate() {
            let others: Vec<(f64, f64)> = all
                .iter()
                .enumerate()
                .filter(|&(o, _)| o != c)
                .flat_map(|(_, r)| r.iter().copied())
                .collect();
            let packed = PackedSpeech::new(channel.len(), regions);
            let speech: f64 = packed
                .pieces
                .iter()
                .map(|p| p.orig_end_s() - p.orig_start_s())
                .sum();
            let windows: Vec<String> = turn_windows(&packed, &others)
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
