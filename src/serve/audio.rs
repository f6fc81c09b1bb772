//! `GET /audio/{interaction_id}`: the call as a WAV every browser plays (16-bit PCM,
//! 16 kHz, both channels), decoded on the fly from PCM, μ-law or A-law. Only the
//! recording the database names for that interaction is ever opened (the request
//! gives an id, never a path). HTTP Range requests are answered with 206 and the
//! asked bytes, so the player can seek.

use crate::audio::DecodedAudio;

/// A PCM16 WAV file of the decoded channels (interleaved).
pub fn wav_bytes(audio: &DecodedAudio) -> Vec<u8> {
    let channels = audio.channels.len().max(1) as u16;
    let frames = audio.channels.iter().map(Vec::len).max().unwrap_or(0);
    let data_len = frames * channels as usize * 2;
    let rate = 16_000u32;
    let mut out = Vec::with_capacity(44 + data_len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((36 + data_len) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    for i in 0..frames {
        for c in &audio.channels {
            out.extend_from_slice(&c.get(i).copied().unwrap_or(0).to_le_bytes());
        }
    }
    out
}

/// A `Range` header that cannot be satisfied (answered 416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// The byte range a `Range` header asks for, within `len` bytes: `None` for no
/// (usable) header.
pub fn byte_range(
    header: Option<&str>,
    len: usize,
) -> Result<Option<(usize, usize)>, Unsatisfiable> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    // One range only; a list asks for a multipart answer, which players do not need.
    if spec.contains(',') || len == 0 {
        return Err(Unsatisfiable);
    }
    let (start, end) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: usize = suffix.parse().map_err(|_| Unsatisfiable)?;
            if n == 0 {
                return Err(Unsatisfiable);
            }
            (len.saturating_sub(n), len - 1)
        }
        (s, "") => (s.parse().map_err(|_| Unsatisfiable)?, len - 1),
        (s, e) => (
            s.parse().map_err(|_| Unsatisfiable)?,
            e.parse::<usize>().map_err(|_| Unsatisfiable)?.min(len - 1),
        ),
    };
    if start > end || start >= len {
        return Err(Unsatisfiable);
    }
    Ok(Some((start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_browsers_send_them() {
        assert_eq!(byte_range(None, 100), Ok(None));
        assert_eq!(byte_range(Some("bytes=0-"), 100), Ok(Some((0, 99))));
        assert_eq!(byte_range(Some("bytes=10-19"), 100), Ok(Some((10, 19))));
        assert_eq!(byte_range(Some("bytes=90-200"), 100), Ok(Some((90, 99))));
        assert_eq!(byte_range(Some("bytes=-10"), 100), Ok(Some((90, 99))));
        assert_eq!(byte_range(Some("bytes=100-"), 100), Err(Unsatisfiable));
        assert_eq!(byte_range(Some("bytes=5-2"), 100), Err(Unsatisfiable));
        assert_eq!(byte_range(Some("bytes=0-1,5-6"), 100), Err(Unsatisfiable));
        assert_eq!(byte_range(Some("items=0-1"), 100), Ok(None));
    }

    #[test]
    fn the_wav_is_pcm16_16k_with_every_channel() {
        let audio = DecodedAudio {
            source_rate: 8000,
            source_format: "mulaw".into(),
            channels: vec![vec![1, 2, 3], vec![-1, -2, -3]],
            duration_s: 3.0 / 16000.0,
        };
        let bytes = wav_bytes(&audio);
        let back = crate::audio::decode_bytes(&bytes).unwrap();
        assert_eq!(back.channels, audio.channels);
        assert_eq!(back.source_format, "pcm16");
        assert_eq!(back.source_rate, 16000);
    }
}
