//! How callqa splits a mono recording between its two voices (see
//! `callqa::audio::diarize`): for each WAV given (channels averaged), the verdict
//! on stderr and the regions of each voice on stdout as `file<TAB>voice<TAB>start_s<TAB>end_s`.
//! Used to check the split against a synthesized timeline.
//!
//! Run: `cargo run --release --no-default-features --example voices -- FILE.wav...`

use callqa::audio::diarize::two_voices;
use callqa::audio::vad::{speech_regions, VadConfig};
use callqa::audio::voice::StreamingVoice;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for file in std::env::args().skip(1) {
        let audio = callqa::audio::decode_file(std::path::Path::new(&file))?;
        let len = audio.channels.iter().map(Vec::len).min().unwrap_or(0);
        let k = audio.channels.len().max(1) as i32;
        let mix: Vec<i16> = (0..len)
            .map(|i| (audio.channels.iter().map(|c| i32::from(c[i])).sum::<i32>() / k) as i16)
            .collect();
        let regions = speech_regions(&mix, &VadConfig::default());
        let mut voice = StreamingVoice::new();
        voice.push(&mix);
        if std::env::var_os("VOICES_DUMP").is_some() {
            for (s, e) in &regions {
                println!("R\t{file}\t{s:.3}\t{e:.3}");
            }
            for (i, c) in voice.cells().iter().enumerate() {
                let ceps: Vec<String> = c
                    .mean_ceps()
                    .unwrap_or_default()
                    .iter()
                    .map(|x| format!("{x:.4}"))
                    .collect();
                println!(
                    "C\t{file}\t{i}\t{}\t{}\t{}\t{}",
                    c.frames,
                    c.voiced,
                    c.mean_log_f0().unwrap_or(0.0),
                    ceps.join("\t")
                );
            }
            continue;
        }
        match two_voices(voice.cells(), &regions) {
            Ok(v) => {
                let time = |r: &[(f64, f64)]| r.iter().map(|(s, e)| e - s).sum::<f64>();
                eprintln!(
                    "{file}: two voices, {:.0} Hz and {:.0} Hz ({:.1} semitones), {:.1} s and {:.1} s",
                    v.pitch_hz[0],
                    v.pitch_hz[1],
                    v.pitch_gap_st(),
                    time(&v.regions[0]),
                    time(&v.regions[1])
                );
                for (n, r) in v.regions.iter().enumerate() {
                    for (s, e) in r {
                        println!("{file}\t{n}\t{s:.2}\t{e:.2}");
                    }
                }
            }
            Err(why) => eprintln!("{file}: {why}"),
        }
    }
    Ok(())
}
