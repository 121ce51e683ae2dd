//! How the window and session stores lay out their RocksDB keys, so that plain byte order is
//! the order the traits promise. A data key is a tag byte, the user key escaped so that no
//! key is a byte-prefix of another's encoding (each `0x00` becomes `0x00 0xFF`, and the key
//! ends with `0x00 0x00`), then the timestamps big-endian with the sign bit flipped (so
//! negative times sort before positive ones). Escaping keeps keys in their own byte order:
//! `"a"` sorts before `"a\0"` and both before `"b"`, and a key's windows never interleave with
//! another key's, exactly as in the memory backend's nested maps.
//!
//! Beside the data keys lives a time index (tag [`INDEX`]) ordered by the expiry time, so that
//! expiry touches only what it drops instead of scanning the store. Nothing here does I/O.

/// Tag of the entries the traits read and write.
pub(crate) const DATA: u8 = 0x01;
/// Tag of the time index used by expiry (empty values).
pub(crate) const INDEX: u8 = 0x02;
/// Width of an encoded timestamp.
pub(crate) const TIME_LEN: usize = 8;

/// A timestamp as 8 bytes whose byte order is the numeric order.
pub(crate) fn encode_time(time: i64) -> [u8; TIME_LEN] {
    ((time as u64) ^ (1 << 63)).to_be_bytes()
}

/// The inverse of [`encode_time`]; `None` unless `bytes` is exactly 8 bytes long.
pub(crate) fn decode_time(bytes: &[u8]) -> Option<i64> {
    let array: [u8; TIME_LEN] = bytes.try_into().ok()?;
    Some((u64::from_be_bytes(array) ^ (1 << 63)) as i64)
}

/// Appends `key` escaped and terminated.
pub(crate) fn push_key(out: &mut Vec<u8>, key: &[u8]) {
    out.reserve(key.len() + 2);
    for &byte in key {
        out.push(byte);
        if byte == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// Reads an escaped key from the front of `bytes` into `key` (cleared first) and returns what
/// follows its terminator, or `None` when the escaping is broken.
pub(crate) fn split_key<'b>(bytes: &'b [u8], key: &mut Vec<u8>) -> Option<&'b [u8]> {
    key.clear();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if byte != 0 {
            key.push(byte);
            at += 1;
            continue;
        }
        match bytes.get(at + 1) {
            Some(0xFF) => {
                key.push(0);
                at += 2;
            }
            Some(0) => return Some(&bytes[at + 2..]),
            _ => return None,
        }
    }
    None
}

/// The [`DATA`] tag, the escaped `key`, then each of `times` encoded.
pub(crate) fn data_key(key: &[u8], times: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len() + 2 + TIME_LEN * times.len());
    out.push(DATA);
    push_key(&mut out, key);
    for &time in times {
        out.extend_from_slice(&encode_time(time));
    }
    out
}

/// `inclusive ++ [0]`: the exclusive upper bound that admits `inclusive` itself and nothing
/// greater (no byte string sorts strictly between `x` and `x ++ [0]`).
pub(crate) fn after(mut inclusive: Vec<u8>) -> Vec<u8> {
    inclusive.push(0);
    inclusive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sort_numerically() {
        let times = [i64::MIN, -10, -1, 0, 1, 10, i64::MAX];
        let encoded: Vec<_> = times.iter().map(|&t| encode_time(t)).collect();
        assert!(encoded.windows(2).all(|w| w[0] < w[1]));
        for (&t, e) in times.iter().zip(&encoded) {
            assert_eq!(decode_time(e), Some(t));
        }
        assert_eq!(decode_time(&[1, 2, 3]), None);
    }

    #[test]
    fn escaped_keys_keep_byte_order_and_are_prefix_free() {
        let keys: [&[u8]; 6] = [b"", b"\0", b"\0\0", b"a", b"a\0", b"ab"];
        let encoded: Vec<_> = keys.iter().map(|k| data_key(k, &[i64::MAX])).collect();
        assert!(encoded.windows(2).all(|w| w[0] < w[1]), "{encoded:?}");
        let mut key = Vec::new();
        for (k, e) in keys.iter().zip(&encoded) {
            let rest = split_key(&e[1..], &mut key).expect("well-formed");
            assert_eq!(&key, k);
            assert_eq!(decode_time(rest), Some(i64::MAX));
        }
        assert_eq!(split_key(b"a\0", &mut key), None);
        assert_eq!(split_key(b"a\0\x07", &mut key), None);
        assert_eq!(split_key(b"abc", &mut key), None);
    }
}
