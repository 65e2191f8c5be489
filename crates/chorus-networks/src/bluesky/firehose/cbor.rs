//! A minimal, borrowing DAG-CBOR decoder.
//!
//! DAG-CBOR is the strict CBOR subset the AT Protocol uses: definite lengths only, map keys are
//! text, the only tag is 42 (a CID link), floats are 64-bit. [`decode`] reads one value and
//! returns it together with the rest of the input, so a firehose frame (header then body) is two
//! calls. Strings, byte strings and links borrow from the input: decoding a frame allocates only
//! the vectors that hold arrays and maps. Every length is checked against the remaining input
//! before anything is allocated, and nesting is limited, so hostile input cannot exhaust memory
//! or the stack.

use std::fmt;

use super::cid::Cid;

/// How deep arrays and maps may nest before the input is rejected.
pub const MAX_DEPTH: usize = 64;

/// A decoded DAG-CBOR value borrowing from the input buffer.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// Every CBOR integer fits here: DAG-CBOR limits integers to the i64/u64 range, and values
    /// beyond i64 are rejected as [`CborError::IntegerRange`].
    Int(i64),
    Float(f64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Array(Vec<Value<'a>>),
    /// Entries in input order (DAG-CBOR requires canonical order; we do not re-check it).
    Map(Vec<(&'a str, Value<'a>)>),
    Link(Cid<'a>),
}

impl<'a> Value<'a> {
    /// The value under `key` when `self` is a map.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_link(&self) -> Option<Cid<'a>> {
        match self {
            Value::Link(c) => Some(*c),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Converts to JSON the way the AT Protocol's JSON form does: links become
    /// `{"$link": "<cid>"}` and byte strings `{"$bytes": "<base64>"}`.
    pub fn to_json(&self) -> serde_json::Value {
        use base64::Engine as _;
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Bytes(b) => serde_json::json!({
                "$bytes": base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)
            }),
            Value::Text(s) => (*s).into(),
            Value::Array(items) => items.iter().map(Value::to_json).collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            Value::Link(cid) => serde_json::json!({ "$link": cid.to_string() }),
        }
    }
}

/// Why a DAG-CBOR value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CborError {
    #[error("input ends inside a value")]
    Truncated,
    #[error("reserved or indefinite-length encoding (additional info {0}) is not DAG-CBOR")]
    Unsupported(u8),
    #[error("integer outside the 64-bit signed range")]
    IntegerRange,
    #[error("text string is not valid UTF-8")]
    Utf8,
    #[error("map key is not a text string")]
    MapKey,
    #[error("tag {0} is not allowed in DAG-CBOR (only 42)")]
    Tag(u64),
    #[error("malformed CID link: {0}")]
    Link(&'static str),
    #[error("simple value {0} is not allowed in DAG-CBOR")]
    Simple(u8),
    #[error("nesting deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("declared length {0} is larger than the remaining input")]
    Length(u64),
}

/// Decodes one value from the front of `input`; returns it and the unread rest.
pub fn decode(input: &[u8]) -> Result<(Value<'_>, &[u8]), CborError> {
    let mut r = Reader { buf: input, pos: 0 };
    let v = r.value(0)?;
    Ok((v, &input[r.pos..]))
}

/// Decodes exactly one value; trailing bytes are an error.
pub fn decode_all(input: &[u8]) -> Result<Value<'_>, CborError> {
    let (v, rest) = decode(input)?;
    if rest.is_empty() {
        Ok(v)
    } else {
        Err(CborError::Length(rest.len() as u64))
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self.buf.get(self.pos).ok_or(CborError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    #[inline]
    fn take(&mut self, n: u64) -> Result<&'a [u8], CborError> {
        let remaining = self.buf.len() - self.pos;
        if n > remaining as u64 {
            return Err(if n > (1 << 32) {
                CborError::Length(n)
            } else {
                CborError::Truncated
            });
        }
        let n = n as usize;
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads the argument that follows an initial byte with additional info `info`.
    #[inline]
    fn arg(&mut self, info: u8) -> Result<u64, CborError> {
        Ok(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(fixed(self.take(2)?))),
            26 => u64::from(u32::from_be_bytes(fixed(self.take(4)?))),
            27 => u64::from_be_bytes(fixed(self.take(8)?)),
            other => return Err(CborError::Unsupported(other)),
        })
    }

    /// A collection may not declare more items than there are bytes left (each item takes at
    /// least one byte), which bounds the allocation below by the input size.
    fn count(&self, n: u64, per_item: u64) -> Result<usize, CborError> {
        let remaining = (self.buf.len() - self.pos) as u64;
        if n.saturating_mul(per_item) > remaining {
            Err(CborError::Length(n))
        } else {
            Ok(n as usize)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, CborError> {
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        match major {
            0 => {
                let n = self.arg(info)?;
                i64::try_from(n)
                    .map(Value::Int)
                    .map_err(|_| CborError::IntegerRange)
            }
            1 => {
                let n = self.arg(info)?;
                let n = i64::try_from(n).map_err(|_| CborError::IntegerRange)?;
                Ok(Value::Int(-1 - n))
            }
            2 => {
                let n = self.arg(info)?;
                Ok(Value::Bytes(self.take(n)?))
            }
            3 => {
                let n = self.arg(info)?;
                let bytes = self.take(n)?;
                std::str::from_utf8(bytes)
                    .map(Value::Text)
                    .map_err(|_| CborError::Utf8)
            }
            4 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let n = self.arg(info)?;
                let n = self.count(n, 1)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let n = self.arg(info)?;
                let n = self.count(n, 2)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = self.key()?;
                    let v = self.value(depth + 1)?;
                    entries.push((key, v));
                }
                Ok(Value::Map(entries))
            }
            6 => {
                let tag = self.arg(info)?;
                if tag != 42 {
                    return Err(CborError::Tag(tag));
                }
                let initial = self.byte()?;
                if initial >> 5 != 2 {
                    return Err(CborError::Link("tag 42 must wrap a byte string"));
                }
                let n = self.arg(initial & 0x1f)?;
                let bytes = self.take(n)?;
                match bytes.split_first() {
                    Some((0, cid)) => Cid::parse(cid)
                        .map(Value::Link)
                        .map_err(|e| CborError::Link(e.0)),
                    _ => Err(CborError::Link("missing 0x00 multibase prefix")),
                }
            }
            _ => match info {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 => Ok(Value::Null),
                27 => Ok(Value::Float(f64::from_be_bytes(fixed(self.take(8)?)))),
                // DAG-CBOR only allows 64-bit floats; accept the shorter ones leniently.
                26 => Ok(Value::Float(f64::from(f32::from_be_bytes(fixed(
                    self.take(4)?,
                ))))),
                other => Err(CborError::Simple(other)),
            },
        }
    }

    fn key(&mut self) -> Result<&'a str, CborError> {
        let initial = self.byte()?;
        if initial >> 5 != 3 {
            return Err(CborError::MapKey);
        }
        let n = self.arg(initial & 0x1f)?;
        std::str::from_utf8(self.take(n)?).map_err(|_| CborError::Utf8)
    }
}

#[inline]
fn fixed<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(s);
    out
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

#[cfg(test)]
mod tests;
