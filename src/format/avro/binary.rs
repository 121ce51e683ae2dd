//! The Avro binary encoding read by [`super::decode`]: a bounds-checked cursor (zig-zag
//! varints, length-prefixed bytes and strings, array and map blocks), decimals from their
//! two's-complement bytes, and skipping a value of any schema. Every read is checked: a short,
//! overlong or hostile payload is a [`DecodeError`] at its byte offset, never a panic.

use rust_decimal::Decimal;

use super::decode::DecodeError;
use super::schema::Avro;

/// A cursor over an Avro binary body.
pub(crate) struct Input<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

impl<'a> Input<'a> {
    pub(super) fn fail<T>(&self, reason: impl Into<String>) -> Result<T, DecodeError> {
        Err(DecodeError {
            offset: self.pos,
            reason: reason.into(),
        })
    }

    pub(super) fn long(&mut self) -> Result<i64, DecodeError> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return self.fail("the payload ends inside a number");
            };
            self.pos += 1;
            if shift == 63 && byte > 1 {
                return self.fail("a number longer than 64 bits");
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        self.fail("a number longer than 64 bits")
    }

    pub(super) fn int(&mut self) -> Result<i32, DecodeError> {
        let value = self.long()?;
        i32::try_from(value).or_else(|_| self.fail(format!("int out of range: {value}")))
    }

    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        match self.bytes.get(self.pos..self.pos.saturating_add(len)) {
            Some(slice) if self.pos.checked_add(len).is_some() => {
                self.pos += len;
                Ok(slice)
            }
            _ => self.fail(format!("the payload ends inside a value of {len} bytes")),
        }
    }

    pub(super) fn length(&mut self) -> Result<usize, DecodeError> {
        let len = self.long()?;
        usize::try_from(len).or_else(|_| self.fail(format!("negative length {len}")))
    }

    pub(super) fn blob(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.length()?;
        self.take(len)
    }

    pub(super) fn text(&mut self) -> Result<&'a str, DecodeError> {
        let start = self.pos;
        let bytes = self.blob()?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError {
            offset: start,
            reason: "a string that is not UTF-8".into(),
        })
    }

    /// The item count of the next array or map block; a negative count is followed by the
    /// block's size in bytes, which this reader does not need.
    pub(super) fn block(&mut self) -> Result<usize, DecodeError> {
        let count = self.long()?;
        if count < 0 {
            self.long()?;
        }
        let count = count.unsigned_abs();
        // Items take at least one byte each, except nulls: bound by what is left, plus room
        // for a long run of nulls.
        let remaining = self.bytes.len().saturating_sub(self.pos) as u64;
        if count > remaining + (1 << 20) {
            return self.fail(format!("a block of {count} items"));
        }
        Ok(count as usize)
    }
}

/// A two's-complement big-endian unscaled integer with `scale` as a Decimal.
pub(super) fn decimal_from(bytes: &[u8], scale: u32) -> Option<Decimal> {
    if bytes.is_empty() {
        return Some(Decimal::ZERO);
    }
    if bytes.len() > 16 {
        // Sign extension only: everything past 16 bytes must repeat the sign.
        let (head, tail) = bytes.split_at(bytes.len() - 16);
        let sign = if tail[0] & 0x80 != 0 { 0xff } else { 0 };
        if head.iter().any(|b| *b != sign) {
            return None;
        }
        return decimal_from(tail, scale);
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut array = [fill; 16];
    array[16 - bytes.len()..].copy_from_slice(bytes);
    Decimal::try_from_i128_with_scale(i128::from_be_bytes(array), scale).ok()
}

pub(super) fn skip(schema: &Avro, input: &mut Input<'_>, depth: usize) -> Result<(), DecodeError> {
    if depth > 200 {
        return input.fail("value nested too deeply");
    }
    match schema {
        Avro::Null => {}
        Avro::Boolean => {
            input.take(1)?;
        }
        Avro::Int | Avro::Long | Avro::Enum(_) | Avro::Date | Avro::TimeMillis => {
            input.long()?;
        }
        Avro::TimeMicros | Avro::TimestampMillis | Avro::TimestampMicros => {
            input.long()?;
        }
        Avro::Float => {
            input.take(4)?;
        }
        Avro::Double => {
            input.take(8)?;
        }
        Avro::Bytes | Avro::String | Avro::Decimal { fixed: None, .. } => {
            input.blob()?;
        }
        Avro::Fixed(size)
        | Avro::Decimal {
            fixed: Some(size), ..
        } => {
            input.take(*size)?;
        }
        Avro::Record(record) => {
            for field in &record.fields {
                skip(&field.schema, input, depth + 1)?;
            }
        }
        Avro::Array(items) => loop {
            let count = input.block()?;
            if count == 0 {
                break;
            }
            for _ in 0..count {
                skip(items, input, depth + 1)?;
            }
        },
        Avro::Map(values) => loop {
            let count = input.block()?;
            if count == 0 {
                break;
            }
            for _ in 0..count {
                input.blob()?;
                skip(values, input, depth + 1)?;
            }
        },
        Avro::Union(branches) => {
            let index = input.long()?;
            match usize::try_from(index).ok().and_then(|i| branches.get(i)) {
                Some(branch) => skip(branch, input, depth + 1)?,
                None => return input.fail(format!("union branch {index} out of range")),
            }
        }
    }
    Ok(())
}
