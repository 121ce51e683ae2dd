//! Byte scans under the JSON reader: where a string's plain run ends (sixteen bytes at a time
//! with SSE2 on x86-64, eight at a time in a machine word elsewhere and for the tail), and a
//! short-run equality test that compares words instead of calling `memcmp`. They know
//! nothing of JSON values; `json_parse` builds on them.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Where the plain run of string bytes starting at `pos` ends: the first closing quote,
/// backslash, control character or non-ASCII byte, or the end of `bytes`.
pub(super) fn plain_run_end(bytes: &[u8], pos: usize) -> usize {
    // SAFETY: the build targets SSE2 (every x86-64 processor has it), so the processor
    // running this has the feature the function is compiled for.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    let pos = unsafe { plain_run_end_sse2(bytes, pos) };
    plain_run_end_swar(bytes, pos)
}

/// [`plain_run_end`] sixteen bytes at a time with SSE2 (every x86-64 processor has it), as
/// far as sixteen-byte chunks reach; the rest is left to the word-wise scan.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn plain_run_end_sse2(bytes: &[u8], mut pos: usize) -> usize {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let quote = _mm_set1_epi8(b'"' as i8);
    let backslash = _mm_set1_epi8(b'\\' as i8);
    let space = _mm_set1_epi8(0x20);
    while let Some(chunk) = bytes.get(pos..pos + 16) {
        // SAFETY: `chunk` is sixteen readable bytes, and the load needs no alignment.
        let lanes = unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) };
        // Compared as signed bytes, control characters and non-ASCII bytes (0x80 and up)
        // are both below the space.
        let stops = _mm_or_si128(
            _mm_or_si128(
                _mm_cmpeq_epi8(lanes, quote),
                _mm_cmpeq_epi8(lanes, backslash),
            ),
            _mm_cmplt_epi8(lanes, space),
        );
        let mask = _mm_movemask_epi8(stops) as u32;
        if mask != 0 {
            return pos + mask.trailing_zeros() as usize;
        }
        pos += 16;
    }
    pos
}

/// [`plain_run_end`] eight bytes at a time in a machine word, then byte by byte. Each test
/// flags its lowest matching byte exactly (higher ones may be false alarms), so the lowest
/// flag of all of them is the first stop.
fn plain_run_end_swar(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let stops = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word)
            | word)
            & HIGH_BITS;
        if stops != 0 {
            return pos + (stops.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&byte) = bytes.get(pos) {
        if byte == b'"' || byte == b'\\' || !(0x20..0x80).contains(&byte) {
            break;
        }
        pos += 1;
    }
    pos
}

/// Whether `a` and `b`, of equal length, hold the same bytes. Short runs (member names) are
/// compared as two overlapping words each, without a call to `memcmp`.
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        let mut word = [0; 8];
        word.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(word)
    };
    let half = |s: &[u8], at: usize| {
        let mut half = [0; 4];
        half.copy_from_slice(&s[at..at + 4]);
        u32::from_le_bytes(half)
    };
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The sixteen- and eight-at-a-time scans stop where a byte-by-byte scan does (bytes
        /// mostly plain, so long runs are tried too).
        #[test]
        fn plain_run_end_matches_a_byte_scan(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    12 => 0x20u8..0x80,
                    1 => proptest::prelude::any::<u8>(),
                ],
                0..80,
            ),
            start in 0usize..80,
        ) {
            let start = start.min(bytes.len());
            let expected = bytes[start..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b))
                .map_or(bytes.len(), |at| start + at);
            proptest::prop_assert_eq!(plain_run_end(&bytes, start), expected);
        }
    }

    #[test]
    fn same_bytes_agrees_with_slice_equality_at_every_length_and_position() {
        let base: Vec<u8> = (0..24u8).map(|i| b'a' + i).collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a));
            for at in 0..len {
                let mut other = a.to_vec();
                other[at] ^= 0x20;
                assert!(!same_bytes(a, &other), "length {len}, byte {at}");
            }
            assert!(!same_bytes(a, &base[..len.saturating_sub(1)]) || len == 0);
        }
    }
}
