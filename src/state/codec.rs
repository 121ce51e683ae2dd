//! The binary codec for rows kept in state stores: compact, allocation-light and
//! order-preserving, so byte order of encoded keys is the [`Value`] order of the rows they
//! encode and range scans over a store visit keys in SQL grouping order. Operators encode keys
//! and values with it; stores only ever see the bytes. It knows no schema: every value carries
//! a one-byte tag, so decoding needs nothing but the bytes. It must not change shape without a
//! new store format version: changelog topics and RocksDB files hold these bytes.
//!
//! Layout: a row is its values concatenated (a shorter row that is a prefix of a longer one
//! sorts first, as `Vec<Value>` does). Each value is a tag (in [`Value`]'s variant order)
//! followed by a body: integers big-endian with the sign bit flipped; doubles as IEEE bits
//! flipped so that byte order is `total_cmp` order (NaN canonical); strings and bytes escaped
//! (`0x00` → `0x00 0xFF`) and terminated by `0x00 0x01`; arrays, structs and maps as their
//! elements followed by `0x00` (tags are never zero); decimals as sign, decimal exponent and
//! digits of the normalized number, then the scale byte. Two decimals that are equal but differ
//! in scale (`1.0`, `1.00`) therefore encode differently; typed columns always carry one scale,
//! and the order is exact among decimals of one scale.

use std::borrow::Cow;
use std::sync::Arc;

use rust_decimal::Decimal;
use thiserror::Error;

use crate::types::{Row, Value};

const NULL: u8 = 0x01;
const BOOLEAN: u8 = 0x02;
const INT: u8 = 0x03;
const BIGINT: u8 = 0x04;
const DECIMAL: u8 = 0x05;
const DOUBLE: u8 = 0x06;
const STRING: u8 = 0x07;
const BYTES: u8 = 0x08;
const DATE: u8 = 0x09;
const TIME: u8 = 0x0A;
const TIMESTAMP: u8 = 0x0B;
const ARRAY: u8 = 0x0C;
const MAP: u8 = 0x0D;
const STRUCT: u8 = 0x0E;
const END: u8 = 0x00;

const DEC_NEGATIVE: u8 = 0x01;
const DEC_ZERO: u8 = 0x02;
const DEC_POSITIVE: u8 = 0x03;

/// Bytes that are not a valid encoding: a truncated or foreign store entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodecError {
    #[error("encoded row ends early at byte {offset}: the store entry is truncated")]
    Truncated { offset: usize },
    #[error(
        "unknown value tag 0x{tag:02x} at byte {offset}: the store was written by another format"
    )]
    UnknownTag { tag: u8, offset: usize },
    #[error("invalid {what} at byte {offset}")]
    Invalid { what: &'static str, offset: usize },
}

/// Appends the encoding of `row` to `out`.
pub fn encode_row(row: &[Value], out: &mut Vec<u8>) {
    for value in row {
        encode_value(value, out);
    }
}

/// The encoding of `row` in a new buffer.
pub fn row_to_bytes(row: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * row.len());
    encode_row(row, &mut out);
    out
}

/// Decodes a whole buffer written by [`encode_row`].
pub fn decode_row(bytes: &[u8]) -> Result<Row, CodecError> {
    let mut reader = Reader { bytes, pos: 0 };
    let mut row = Vec::new();
    while reader.pos < bytes.len() {
        row.push(reader.value()?);
    }
    Ok(row)
}

/// Appends the encoding of one value to `out`.
pub fn encode_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(NULL),
        Value::Boolean(b) => out.extend_from_slice(&[BOOLEAN, u8::from(*b)]),
        Value::Int(v) => tagged_i32(INT, *v, out),
        Value::Bigint(v) => tagged_i64(BIGINT, *v, out),
        Value::Decimal(d) => {
            out.push(DECIMAL);
            encode_decimal(d, out);
        }
        Value::Double(v) => {
            out.push(DOUBLE);
            let bits = if v.is_nan() {
                f64::NAN.to_bits()
            } else {
                v.to_bits()
            };
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits ^ (1 << 63)
            };
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        Value::String(s) => {
            out.push(STRING);
            escaped(s.as_bytes(), out);
        }
        Value::Bytes(b) => {
            out.push(BYTES);
            escaped(b, out);
        }
        Value::Date(v) => tagged_i32(DATE, *v, out),
        Value::Time(v) => tagged_i32(TIME, *v, out),
        Value::Timestamp(v) => tagged_i64(TIMESTAMP, *v, out),
        Value::Array(items) => sequence(ARRAY, items, out),
        Value::Struct(fields) => sequence(STRUCT, fields, out),
        Value::Map(entries) => {
            out.push(MAP);
            for (key, value) in entries.iter() {
                encode_value(key, out);
                encode_value(value, out);
            }
            out.push(END);
        }
    }
}

fn tagged_i32(tag: u8, v: i32, out: &mut Vec<u8>) {
    out.push(tag);
    out.extend_from_slice(&((v as u32) ^ (1 << 31)).to_be_bytes());
}

fn tagged_i64(tag: u8, v: i64, out: &mut Vec<u8>) {
    out.push(tag);
    out.extend_from_slice(&((v as u64) ^ (1 << 63)).to_be_bytes());
}

fn sequence(tag: u8, items: &[Value], out: &mut Vec<u8>) {
    out.push(tag);
    for item in items {
        encode_value(item, out);
    }
    out.push(END);
}

fn escaped(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// Sign class, then for non-zero numbers the decimal exponent (digits before the point of the
/// normalized number, offset into a byte) and the digits as `1..=10`, closed by `0`; all
/// inverted for negatives. Then the scale, so the value round-trips exactly.
fn encode_decimal(d: &Decimal, out: &mut Vec<u8>) {
    let scale = d.scale() as u8;
    let normalized = d.normalize();
    if normalized.is_zero() {
        out.extend_from_slice(&[DEC_ZERO, scale]);
        return;
    }
    let negative = normalized.is_sign_negative();
    let digits = normalized.mantissa().unsigned_abs().to_string();
    let exponent = digits.len() as i32 - normalized.scale() as i32;
    let flip = |b: u8| if negative { !b } else { b };
    out.push(if negative { DEC_NEGATIVE } else { DEC_POSITIVE });
    out.push(flip((exponent + 64) as u8));
    for digit in digits.bytes() {
        out.push(flip(digit - b'0' + 1));
    }
    out.push(flip(0));
    out.push(scale);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(CodecError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let slice = self
            .bytes
            .get(self.pos..self.pos + N)
            .ok_or(CodecError::Truncated { offset: self.pos })?;
        self.pos += N;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    fn i32(&mut self) -> Result<i32, CodecError> {
        Ok((u32::from_be_bytes(self.array()?) ^ (1 << 31)) as i32)
    }

    fn i64(&mut self) -> Result<i64, CodecError> {
        Ok((u64::from_be_bytes(self.array()?) ^ (1 << 63)) as i64)
    }

    /// The unescaped bytes of a string or bytes body: borrowed when the body holds no
    /// escaped zero (the common case), copied otherwise.
    fn unescaped(&mut self) -> Result<Cow<'a, [u8]>, CodecError> {
        let bytes = self.bytes;
        let start = self.pos;
        let mut out: Option<Vec<u8>> = None;
        let mut run = start;
        loop {
            let zero = bytes[self.pos..]
                .iter()
                .position(|&b| b == 0)
                .map(|i| self.pos + i)
                .ok_or(CodecError::Truncated {
                    offset: bytes.len(),
                })?;
            self.pos = zero + 1;
            match self.byte()? {
                0x01 => {
                    return Ok(match out {
                        None => Cow::Borrowed(&bytes[start..zero]),
                        Some(mut owned) => {
                            owned.extend_from_slice(&bytes[run..zero]);
                            Cow::Owned(owned)
                        }
                    });
                }
                0xFF => {
                    let owned = out.get_or_insert_with(Vec::new);
                    owned.extend_from_slice(&bytes[run..=zero]);
                    run = self.pos;
                }
                _ => {
                    return Err(CodecError::Invalid {
                        what: "escape",
                        offset: zero,
                    });
                }
            }
        }
    }

    fn at_end_marker(&mut self) -> Result<bool, CodecError> {
        match self.bytes.get(self.pos) {
            Some(&END) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Err(CodecError::Truncated { offset: self.pos }),
        }
    }

    fn value(&mut self) -> Result<Value, CodecError> {
        let offset = self.pos;
        let tag = self.byte()?;
        Ok(match tag {
            NULL => Value::Null,
            BOOLEAN => match self.byte()? {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                _ => {
                    return Err(CodecError::Invalid {
                        what: "boolean",
                        offset,
                    });
                }
            },
            INT => Value::Int(self.i32()?),
            BIGINT => Value::Bigint(self.i64()?),
            DECIMAL => Value::Decimal(self.decimal()?),
            DOUBLE => {
                let ordered = u64::from_be_bytes(self.array()?);
                let bits = if ordered >> 63 == 1 {
                    ordered ^ (1 << 63)
                } else {
                    !ordered
                };
                Value::Double(f64::from_bits(bits))
            }
            STRING => {
                let bytes = self.unescaped()?;
                let text = std::str::from_utf8(&bytes).map_err(|_| CodecError::Invalid {
                    what: "UTF-8 string",
                    offset,
                })?;
                Value::String(Arc::from(text))
            }
            BYTES => Value::Bytes(Arc::from(&*self.unescaped()?)),
            DATE => Value::Date(self.i32()?),
            TIME => Value::Time(self.i32()?),
            TIMESTAMP => Value::Timestamp(self.i64()?),
            ARRAY | STRUCT => {
                let mut items = Vec::new();
                while !self.at_end_marker()? {
                    items.push(self.value()?);
                }
                if tag == ARRAY {
                    Value::array(items)
                } else {
                    Value::structure(items)
                }
            }
            MAP => {
                let mut entries = Vec::new();
                while !self.at_end_marker()? {
                    let key = self.value()?;
                    entries.push((key, self.value()?));
                }
                Value::Map(entries.into())
            }
            tag => return Err(CodecError::UnknownTag { tag, offset }),
        })
    }

    fn decimal(&mut self) -> Result<Decimal, CodecError> {
        let offset = self.pos;
        let invalid = CodecError::Invalid {
            what: "decimal",
            offset,
        };
        let class = self.byte()?;
        if class == DEC_ZERO {
            let scale = u32::from(self.byte()?);
            let mut zero = Decimal::ZERO;
            zero.rescale(scale);
            return Ok(zero);
        }
        let negative = match class {
            DEC_NEGATIVE => true,
            DEC_POSITIVE => false,
            _ => return Err(invalid),
        };
        let flip = |b: u8| if negative { !b } else { b };
        let exponent = i32::from(flip(self.byte()?)) - 64;
        let mut mantissa: i128 = 0;
        let mut count = 0i32;
        loop {
            let digit = flip(self.byte()?);
            if digit == 0 {
                break;
            }
            if !(1..=10).contains(&digit) || count >= 29 {
                return Err(invalid);
            }
            mantissa = mantissa * 10 + i128::from(digit - 1);
            count += 1;
        }
        let scale = u32::from(self.byte()?);
        let normalized_scale = count - exponent;
        if mantissa == 0 || !(0..=28).contains(&normalized_scale) || scale > 28 {
            return Err(invalid);
        }
        let signed = if negative { -mantissa } else { mantissa };
        let mut value = Decimal::try_from_i128_with_scale(signed, normalized_scale as u32)
            .map_err(|_| invalid)?;
        if (scale as i32) >= normalized_scale {
            value.rescale(scale);
        }
        Ok(value)
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
