//! G.711 mu-law and A-law expansion. Call-centre recorders very often write 8 kHz
//! G.711 WAV files, which hound does not read. The two 256-entry tables are built
//! at compile time from the ITU-T G.711 expansion rule; they are tiny and standard,
//! so a dependency would buy nothing.

/// Expands one mu-law byte to a 16-bit linear sample (range -32124..=32124).
const fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let mut t: i32 = (((u & 0x0F) as i32) << 3) + 0x84;
    t <<= ((u & 0x70) >> 4) as i32;
    if u & 0x80 != 0 {
        (0x84 - t) as i16
    } else {
        (t - 0x84) as i16
    }
}

/// Expands one A-law byte to a 16-bit linear sample (range -32256..=32256).
const fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t: i32 = ((a & 0x0F) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    if a & 0x80 != 0 {
        t as i16
    } else {
        -t as i16
    }
}

const fn build(alaw: bool) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = if alaw {
            alaw_to_linear(i as u8)
        } else {
            ulaw_to_linear(i as u8)
        };
        i += 1;
    }
    table
}

/// Mu-law byte to linear 16-bit sample.
pub static ULAW: [i16; 256] = build(false);
/// A-law byte to linear 16-bit sample.
pub static ALAW: [i16; 256] = build(true);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_reference_values() {
        assert_eq!(ULAW[0xFF], 0);
        assert_eq!(ULAW[0x7F], 0);
        assert_eq!(ULAW[0x00], -32124);
        assert_eq!(ULAW[0x80], 32124);
        assert_eq!(ULAW[0xEF], 132);
    }

    #[test]
    fn alaw_reference_values() {
        assert_eq!(ALAW[0xD5], 8);
        assert_eq!(ALAW[0x55], -8);
        assert_eq!(ALAW[0xAA], 32256);
        assert_eq!(ALAW[0x2A], -32256);
    }

    #[test]
    fn tables_are_monotonic_within_each_sign() {
        // mu-law: 0x80..=0xFF are positive, decreasing in magnitude as the byte grows.
        for b in 0x80..0xFFusize {
            assert!(ULAW[b] > ULAW[b + 1], "mu-law not monotonic at {b:#x}");
        }
        for b in 0x00..0x7Fusize {
            assert!(ULAW[b] < ULAW[b + 1], "mu-law not monotonic at {b:#x}");
        }
        // Every A-law code maps to a distinct value (it has no negative zero).
        let mut seen: Vec<i16> = ALAW.to_vec();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 256);
    }
}
