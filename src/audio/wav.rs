//! Reads a validated WAV stream as 16 kHz 16-bit channels. PCM and float samples
//! go through hound (well kept, handles the integer widths), fed a canonical
//! header (see `read_hound`); G.711 mu-law and A-law, which hound refuses, are
//! expanded here from the data chunk. Samples are streamed block by block into the
//! resampler and handed on as they come out ([`stream`]), so a call of any length
//! can be processed in constant memory; [`decode`] collects them, and then memory
//! grows with the audio actually present, never with what a header claims.

use super::error::AudioProblem;
use super::g711;
use super::resample::{collect_into, BlockSink, To16k};
use super::riff::{self, Encoding, WavHeader};
use super::DecodedAudio;
use std::io::{Read, Seek, SeekFrom};

/// Frames handed to the resampler at a time.
const BLOCK_FRAMES: usize = 4096;

/// Decodes a whole WAV stream into memory.
pub fn decode<R: Read + Seek>(reader: R) -> Result<DecodedAudio, AudioProblem> {
    let mut channels = Vec::new();
    let header = stream(reader, &mut collect_into(&mut channels))?;
    channels.resize_with(usize::from(header.channels), Vec::new);
    Ok(DecodedAudio {
        source_rate: header.sample_rate,
        source_format: header.encoding.name(),
        channels,
        duration_s: header.frames() as f64 / f64::from(header.sample_rate),
    })
}

/// Decodes a WAV stream block by block: `sink` gets the 16 kHz channels a few
/// thousand frames at a time, so a call of any length is never held in memory.
/// Returns the header.
pub fn stream<R: Read + Seek>(
    mut reader: R,
    sink: &mut BlockSink<'_>,
) -> Result<WavHeader, AudioProblem> {
    let header = riff::read_header(&mut reader)?;
    let mut out = To16k::new(header.sample_rate, usize::from(header.channels))?;
    match header.encoding {
        Encoding::MuLaw => read_g711(&mut reader, &header, &g711::ULAW, &mut out, sink)?,
        Encoding::ALaw => read_g711(&mut reader, &header, &g711::ALAW, &mut out, sink)?,
        Encoding::Pcm { .. } | Encoding::Float32 => read_hound(reader, &header, &mut out, sink)?,
    }
    out.finish(sink)?;
    Ok(header)
}

fn read_g711<R: Read + Seek>(
    reader: &mut R,
    header: &WavHeader,
    table: &[i16; 256],
    out: &mut To16k,
    sink: &mut BlockSink<'_>,
) -> Result<(), AudioProblem> {
    reader.seek(SeekFrom::Start(header.data_offset))?;
    let frame = usize::from(header.block_align);
    let mut bytes = vec![0u8; BLOCK_FRAMES * frame];
    let mut samples = Vec::with_capacity(bytes.len());
    let mut left = header.data_len;
    while left > 0 {
        let n = left.min(bytes.len() as u64) as usize;
        reader
            .read_exact(&mut bytes[..n])
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => AudioProblem::Truncated {
                    declared: header.data_len,
                    present: header.data_len - left,
                },
                _ => e.into(),
            })?;
        samples.clear();
        samples.extend(
            bytes[..n]
                .iter()
                .map(|&b| f32::from(table[usize::from(b)]) / 32768.0),
        );
        out.push_interleaved(&samples)?;
        out.take(sink);
        left -= n as u64;
    }
    Ok(())
}

/// hound reads the samples, but from a canonical header we build from the
/// validated one, chained to the data chunk: hound's own chunk walk skips odd-length
/// chunks without their pad byte, reads a `fact` chunk of any length as 4 bytes,
/// rejects files whose redundant byte-rate field is off, and reads 24-bit samples in
/// 32-bit containers from the low bits, where WAVE_FORMAT_EXTENSIBLE puts them in
/// the high bits. Given a plain PCM/float header with the container width, hound
/// reads exactly the validated data and the scaling below is correct for any
/// left-justified sample.
fn read_hound<R: Read + Seek>(
    mut reader: R,
    header: &WavHeader,
    out: &mut To16k,
    sink: &mut BlockSink<'_>,
) -> Result<(), AudioProblem> {
    reader.seek(SeekFrom::Start(header.data_offset))?;
    let canonical = canonical_header(header);
    let data = reader.take(header.data_len);
    let mut wav = hound::WavReader::new(canonical.as_slice().chain(data)).map_err(hound_problem)?;
    let spec = wav.spec();
    let block = BLOCK_FRAMES * usize::from(header.channels);
    let mut samples = Vec::with_capacity(block);
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for s in wav.samples::<f32>() {
                let s = s.map_err(hound_problem)?;
                samples.push(if s.is_finite() {
                    s.clamp(-1.0, 1.0)
                } else {
                    0.0
                });
                if samples.len() == block {
                    out.push_interleaved(&samples)?;
                    out.take(sink);
                    samples.clear();
                }
            }
        }
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            if !(1..=32).contains(&bits) {
                return Err(AudioProblem::Malformed(format!("{bits} bits per sample")));
            }
            let scale = 1.0 / f64::from(1u32 << (bits - 1)) as f32;
            for s in wav.samples::<i32>() {
                let s = s.map_err(hound_problem)?;
                samples.push((s as f32 * scale).clamp(-1.0, 1.0));
                if samples.len() == block {
                    out.push_interleaved(&samples)?;
                    out.take(sink);
                    samples.clear();
                }
            }
        }
    }
    out.push_interleaved(&samples)?;
    Ok(())
}

/// A 44-byte RIFF/WAVE header: plain PCM (tag 1) or float (tag 3) fmt chunk with
/// the container width, then the data chunk header.
fn canonical_header(h: &WavHeader) -> Vec<u8> {
    let tag: u16 = if h.encoding == Encoding::Float32 {
        3
    } else {
        1
    };
    // data_len came from a u32 field, so these fit.
    let data_len = h.data_len as u32;
    let mut b = Vec::with_capacity(44);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&tag.to_le_bytes());
    b.extend_from_slice(&h.channels.to_le_bytes());
    b.extend_from_slice(&h.sample_rate.to_le_bytes());
    b.extend_from_slice(&(h.sample_rate * u32::from(h.block_align)).to_le_bytes());
    b.extend_from_slice(&h.block_align.to_le_bytes());
    b.extend_from_slice(&h.container_bits.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    b
}

fn hound_problem(e: hound::Error) -> AudioProblem {
    match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            AudioProblem::Malformed("audio data cut off".into())
        }
        hound::Error::IoError(io) => io.into(),
        hound::Error::Unsupported => AudioProblem::UnsupportedEncoding {
            name: "this PCM variant".into(),
            tag: 1,
        },
        other => AudioProblem::Malformed(other.to_string()),
    }
}
