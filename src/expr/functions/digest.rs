//! Message digests of text: MD5 (ksqlDB's `udf.string.MD5`), the 128-bit digest of the
//! string's UTF-8 bytes as 32 lower-case hex digits, as Apache Commons' `md5Hex` prints it.
//! NULL in gives NULL out; every string has a digest, so nothing here fails.

use md5::{Digest, Md5};

use super::{CallSite, FnImpl, f, str_arg};
use crate::types::Value;

pub fn lookup(site: &CallSite<'_>) -> Option<FnImpl> {
    match site.name {
        "MD5" => f(|a| str_arg(a, 0).map_or(Value::Null, |s| Value::string(md5_hex(s)))),
        _ => None,
    }
}

/// The MD5 digest of `text`'s UTF-8 bytes in lower-case hex.
fn md5_hex(text: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Md5::digest(text.as_bytes());
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{call, null, s, sv};
    use crate::types::{SqlType, Value};

    fn md5(text: &str) -> Value {
        call("MD5", SqlType::String, &[s(text)]).unwrap()
    }

    #[test]
    fn hashes_utf8_bytes_to_lower_case_hex() {
        // RFC 1321's test suite.
        assert_eq!(md5(""), sv("d41d8cd98f00b204e9800998ecf8427e"));
        assert_eq!(md5("a"), sv("0cc175b9c0f1b6a831c399e269772661"));
        assert_eq!(md5("abc"), sv("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(
            md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            sv("57edf4a22be3c955ac49da2e2107b67a")
        );
        // Non-ASCII text is hashed as UTF-8, as Java's `DigestUtils.md5Hex(String)` does.
        assert_eq!(md5("ü"), sv("c03410a5204b21cd8229ff754688d743"));
        assert_eq!(md5("好"), sv("ac2c8f13c6e60810197b19d683f5f184"));
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(
            call("MD5", SqlType::String, &[null(SqlType::String)]).unwrap(),
            Value::Null
        );
    }
}
