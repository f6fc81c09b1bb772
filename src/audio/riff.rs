//! The RIFF/WAVE chunk walk that finds the `fmt ` and `data` chunks and checks
//! every header value before anything is decoded. It exists so that all WAV
//! inputs, whichever decoder then reads the samples (hound for PCM and float, our
//! own for G.711), are judged by one set of rules: no header value is ever used
//! to size an allocation, and broken files get a precise, typed reason.

use super::error::AudioProblem;
use std::io::{Read, Seek, SeekFrom};

/// Lowest and highest sample rates accepted. Outside this range the header is
/// taken as damaged rather than as a real recording.
pub const MIN_RATE: u32 = 2_000;
pub const MAX_RATE: u32 = 384_000;
/// More channels than this is not a call recording; refusing them also bounds the
/// per-channel buffers.
pub const MAX_CHANNELS: u16 = 8;

/// How the samples in the data chunk are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Integer PCM with this many valid bits (at most the container's 8, 16, 24 or 32).
    Pcm {
        bits: u16,
    },
    /// 32-bit IEEE float.
    Float32,
    MuLaw,
    ALaw,
}

impl Encoding {
    /// Short name used in [`super::DecodedAudio::source_format`].
    pub fn name(self) -> String {
        match self {
            Encoding::Pcm { bits } => format!("pcm{bits}"),
            Encoding::Float32 => "float32".to_string(),
            Encoding::MuLaw => "mulaw".to_string(),
            Encoding::ALaw => "alaw".to_string(),
        }
    }
}

/// What the header says, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavHeader {
    pub encoding: Encoding,
    pub channels: u16,
    pub sample_rate: u32,
    /// Bits each sample occupies in the file (24-bit audio may sit in 32).
    pub container_bits: u16,
    /// Bytes per frame (all channels).
    pub block_align: u16,
    /// Byte offset of the first sample.
    pub data_offset: u64,
    /// Bytes in the data chunk; a whole number of frames.
    pub data_len: u64,
}

impl WavHeader {
    pub fn frames(&self) -> u64 {
        self.data_len / u64::from(self.block_align)
    }
}

const TAG_PCM: u16 = 0x0001;
const TAG_ADPCM: u16 = 0x0002;
const TAG_FLOAT: u16 = 0x0003;
const TAG_ALAW: u16 = 0x0006;
const TAG_MULAW: u16 = 0x0007;
const TAG_IMA_ADPCM: u16 = 0x0011;
const TAG_GSM610: u16 = 0x0031;
const TAG_MPEG: u16 = 0x0050;
const TAG_MP3: u16 = 0x0055;
const TAG_EXTENSIBLE: u16 = 0xFFFE;

/// The tail every standard WAVE_FORMAT_EXTENSIBLE sub-format GUID shares; the
/// first two bytes are the plain format tag.
const GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

fn tag_name(tag: u16) -> &'static str {
    match tag {
        TAG_ADPCM => "Microsoft ADPCM",
        TAG_IMA_ADPCM => "IMA ADPCM",
        TAG_GSM610 => "GSM 6.10",
        TAG_MPEG => "MPEG",
        TAG_MP3 => "MP3",
        _ => "unknown",
    }
}

fn malformed(reason: impl Into<String>) -> AudioProblem {
    AudioProblem::Malformed(reason.into())
}

fn read_exact_or<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    on_eof: AudioProblem,
) -> Result<(), AudioProblem> {
    match r.read_exact(buf) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(on_eof),
        Err(e) => Err(e.into()),
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Walks the chunks of a RIFF/WAVE stream and returns the validated header.
/// The reader may be anywhere; it is left at an unspecified position.
pub fn read_header<R: Read + Seek>(r: &mut R) -> Result<WavHeader, AudioProblem> {
    let total = r.seek(SeekFrom::End(0))?;
    if total == 0 {
        return Err(AudioProblem::EmptyFile);
    }
    r.seek(SeekFrom::Start(0))?;
    let mut riff = [0u8; 12];
    read_exact_or(r, &mut riff, AudioProblem::NotWav)?;
    if &riff[8..12] != b"WAVE" {
        return Err(AudioProblem::NotWav);
    }
    match &riff[0..4] {
        b"RIFF" => {}
        b"RF64" | b"BW64" => {
            return Err(AudioProblem::UnsupportedEncoding {
                name: "RF64 (WAV over 4 GB)".into(),
                tag: 0,
            })
        }
        b"RIFX" => {
            return Err(AudioProblem::UnsupportedEncoding {
                name: "big-endian RIFX".into(),
                tag: 0,
            })
        }
        _ => return Err(AudioProblem::NotWav),
    }

    let mut pos: u64 = 12;
    let mut fmt: Option<[u8; 40]> = None;
    let mut fmt_len: u32 = 0;
    loop {
        if pos + 8 > total {
            return Err(if fmt.is_none() {
                malformed("no fmt chunk")
            } else {
                malformed("no data chunk")
            });
        }
        r.seek(SeekFrom::Start(pos))?;
        let mut head = [0u8; 8];
        read_exact_or(r, &mut head, malformed("chunk header cut off"))?;
        let id = [head[0], head[1], head[2], head[3]];
        let len = u32_at(&head, 4);
        let body = pos + 8;
        match &id {
            b"fmt " => {
                if fmt.is_some() {
                    return Err(malformed("two fmt chunks"));
                }
                if len < 16 {
                    return Err(malformed(format!(
                        "fmt chunk of {len} bytes (at least 16 needed)"
                    )));
                }
                let take = len.min(40) as usize;
                let mut buf = [0u8; 40];
                read_exact_or(r, &mut buf[..take], malformed("fmt chunk cut off"))?;
                fmt = Some(buf);
                fmt_len = len;
            }
            b"data" => {
                let Some(fmt) = fmt else {
                    return Err(malformed("data chunk before fmt chunk"));
                };
                return finish(&fmt, fmt_len, body, u64::from(len), total - body);
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        pos = body + u64::from(len) + u64::from(len & 1);
    }
}

fn finish(
    fmt: &[u8; 40],
    fmt_len: u32,
    data_offset: u64,
    declared: u64,
    present: u64,
) -> Result<WavHeader, AudioProblem> {
    let mut tag = u16_at(fmt, 0);
    let channels = u16_at(fmt, 2);
    let sample_rate = u32_at(fmt, 4);
    let block_align = u16_at(fmt, 12);
    let bits = u16_at(fmt, 14);
    let mut valid_bits = bits;

    if tag == TAG_EXTENSIBLE {
        if fmt_len < 40 {
            return Err(malformed(format!(
                "WAVE_FORMAT_EXTENSIBLE fmt chunk of {fmt_len} bytes (40 needed)"
            )));
        }
        let declared_valid = u16_at(fmt, 18);
        if declared_valid != 0 {
            valid_bits = declared_valid;
        }
        if fmt[26..40] != GUID_TAIL {
            return Err(AudioProblem::UnsupportedEncoding {
                name: "non-standard extensible sub-format".into(),
                tag,
            });
        }
        tag = u16_at(fmt, 24);
    }

    if channels == 0 {
        return Err(malformed("zero channels"));
    }
    if channels > MAX_CHANNELS {
        return Err(malformed(format!(
            "{channels} channels (at most {MAX_CHANNELS} supported)"
        )));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&sample_rate) {
        return Err(malformed(format!(
            "sample rate {sample_rate} Hz (expected {MIN_RATE}..={MAX_RATE})"
        )));
    }

    let (encoding, container_bits) = match tag {
        TAG_PCM => {
            if !matches!(bits, 8 | 16 | 24 | 32) {
                return Err(malformed(format!(
                    "{bits}-bit PCM (8, 16, 24 or 32 supported)"
                )));
            }
            // Valid bits are left-justified in the container, so any count up to
            // the container width reads correctly at the container's scale.
            if valid_bits == 0 || valid_bits > bits {
                return Err(malformed(format!(
                    "{valid_bits} valid bits in a {bits}-bit container"
                )));
            }
            (Encoding::Pcm { bits: valid_bits }, bits)
        }
        TAG_FLOAT => {
            if bits != 32 {
                return Err(AudioProblem::UnsupportedEncoding {
                    name: format!("{bits}-bit float"),
                    tag,
                });
            }
            (Encoding::Float32, bits)
        }
        TAG_MULAW | TAG_ALAW => {
            if bits != 8 {
                return Err(malformed(format!(
                    "G.711 with {bits} bits per sample (8 expected)"
                )));
            }
            (
                if tag == TAG_MULAW {
                    Encoding::MuLaw
                } else {
                    Encoding::ALaw
                },
                8,
            )
        }
        other => {
            return Err(AudioProblem::UnsupportedEncoding {
                name: tag_name(other).into(),
                tag: other,
            });
        }
    };
    let frame_bytes = u32::from(channels) * u32::from(container_bits / 8);
    if u32::from(block_align) != frame_bytes {
        return Err(malformed(format!(
            "block align {block_align} does not match {channels} channel(s) of {container_bits} bits"
        )));
    }
    if declared > present {
        return Err(AudioProblem::Truncated { declared, present });
    }
    if declared == 0 {
        return Err(AudioProblem::NoSamples);
    }
    if declared % u64::from(block_align) != 0 {
        return Err(malformed(format!(
            "data chunk of {declared} bytes is not a whole number of {block_align}-byte frames"
        )));
    }
    let data_len = declared;
    Ok(WavHeader {
        encoding,
        channels,
        sample_rate,
        container_bits,
        block_align,
        data_offset,
        data_len,
    })
}
