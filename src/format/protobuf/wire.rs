//! The protobuf wire format at the byte level (protobuf.dev "Encoding"): base-128 varints,
//! zigzag, little-endian fixed32/fixed64, tags of field number and wire type, and skipping of
//! unknown fields (groups included). Reading never panics: every bound is checked and a
//! problem is a [`WireError`] with the byte offset.

/// Wire types.
pub const VARINT: u8 = 0;
pub const I64: u8 = 1;
pub const LEN: u8 = 2;
pub const SGROUP: u8 = 3;
pub const EGROUP: u8 = 4;
pub const I32: u8 = 5;

/// How deep unknown groups may nest before the input is refused.
const MAX_GROUP_DEPTH: usize = 64;

/// A malformed input: what was wrong and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireError {
    pub offset: usize,
    pub reason: &'static str,
}

/// A cursor over one message's bytes.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Offset of `bytes[0]` in the whole payload, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], base: usize) -> Reader<'a> {
        Reader {
            bytes,
            pos: 0,
            base,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn error(&self, reason: &'static str) -> WireError {
        WireError {
            offset: self.offset(),
            reason,
        }
    }

    pub fn varint(&mut self) -> Result<u64, WireError> {
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.error("truncated varint"));
            };
            self.pos += 1;
            if i == 9 && byte > 1 {
                return Err(self.error("varint longer than 64 bits"));
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error("varint longer than 10 bytes"))
    }

    pub fn fixed32(&mut self) -> Result<u32, WireError> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub fn fixed64(&mut self) -> Result<u64, WireError> {
        let bytes = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(array))
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        rest
    }

    pub fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.error("truncated field"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// A length-delimited field's bytes, as a reader of their own.
    pub fn delimited(&mut self) -> Result<Reader<'a>, WireError> {
        let len = self.varint()?;
        let base = self.offset();
        let len = usize::try_from(len).map_err(|_| self.error("length out of range"))?;
        Ok(Reader::new(self.take(len)?, base))
    }

    /// The next tag as (field number, wire type).
    pub fn tag(&mut self) -> Result<(u32, u8), WireError> {
        let tag = self.varint()?;
        let number = u32::try_from(tag >> 3).map_err(|_| self.error("field number too large"))?;
        if number == 0 {
            return Err(self.error("field number 0"));
        }
        Ok((number, (tag & 7) as u8))
    }

    /// Skips the value of a field of `wire_type` whose tag was just read.
    pub fn skip(&mut self, number: u32, wire_type: u8) -> Result<(), WireError> {
        self.skip_nested(number, wire_type, 0)
    }

    fn skip_nested(&mut self, number: u32, wire_type: u8, depth: usize) -> Result<(), WireError> {
        match wire_type {
            VARINT => self.varint().map(drop),
            I64 => self.take(8).map(drop),
            LEN => self.delimited().map(drop),
            I32 => self.take(4).map(drop),
            SGROUP => {
                if depth >= MAX_GROUP_DEPTH {
                    return Err(self.error("groups nested too deeply"));
                }
                loop {
                    let (inner, inner_type) = self.tag()?;
                    if inner_type == EGROUP {
                        return if inner == number {
                            Ok(())
                        } else {
                            Err(self.error("mismatched end of group"))
                        };
                    }
                    self.skip_nested(inner, inner_type, depth + 1)?;
                }
            }
            _ => Err(self.error("invalid wire type")),
        }
    }
}

pub fn zigzag32(value: u64) -> i32 {
    let value = value as u32;
    ((value >> 1) as i32) ^ -((value & 1) as i32)
}

pub fn zigzag64(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub fn put_tag(out: &mut Vec<u8>, number: u32, wire_type: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire_type));
}

pub fn put_zigzag32(out: &mut Vec<u8>, value: i32) {
    put_varint(out, u64::from(((value << 1) ^ (value >> 31)) as u32));
}

pub fn put_zigzag64(out: &mut Vec<u8>, value: i64) {
    put_varint(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// Writes a length prefix before the bytes written since `start` (a nested message or a
/// packed run), moving them up by the prefix's size.
pub fn prefix_length(out: &mut Vec<u8>, start: usize) {
    let len = out.len() - start;
    let mut prefix = Vec::with_capacity(5);
    put_varint(&mut prefix, len as u64);
    out.splice(start..start, prefix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_match_the_spec_examples() {
        // protobuf.dev/programming-guides/encoding: 150 is `96 01`; sint32 -1 is 1, 1 is 2.
        let mut out = Vec::new();
        put_varint(&mut out, 150);
        assert_eq!(out, [0x96, 0x01]);
        assert_eq!(Reader::new(&out, 0).varint(), Ok(150));
        assert_eq!(zigzag32(1), -1);
        assert_eq!(zigzag32(2), 1);
        assert_eq!(zigzag32(0xffff_fffe), i32::MAX);
        assert_eq!(zigzag64(0xffff_ffff_ffff_ffff), i64::MIN);
        let mut out = Vec::new();
        put_zigzag64(&mut out, i64::MIN);
        assert_eq!(zigzag64(Reader::new(&out, 0).varint().unwrap()), i64::MIN);
        // `-2` as an int32 is a ten-byte varint.
        let mut out = Vec::new();
        put_varint(&mut out, -2i64 as u64);
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn bad_input_is_an_error_with_its_offset() {
        assert_eq!(
            Reader::new(&[0x80, 0x80], 5).varint(),
            Err(WireError {
                offset: 7,
                reason: "truncated varint"
            })
        );
        let eleven = [0xffu8; 11];
        assert!(Reader::new(&eleven, 0).varint().is_err());
        assert!(Reader::new(&[0x02, 0x05, 0x01], 0).delimited().is_ok());
        let mut reader = Reader::new(&[0x05, 0x01], 0);
        assert!(reader.delimited().is_err());
        // A group that never ends, and one ended by the wrong number.
        let mut reader = Reader::new(&[0x08, 0x01], 0);
        assert!(reader.skip(1, SGROUP).is_err());
        let mut reader = Reader::new(&[0x14], 0); // end group of field 2
        assert!(reader.skip(1, SGROUP).is_err());
        let mut reader = Reader::new(&[0x0c], 0); // end group of field 1
        assert!(reader.skip(1, SGROUP).is_ok());
    }
}
