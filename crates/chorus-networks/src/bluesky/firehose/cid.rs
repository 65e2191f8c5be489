//! Content identifiers (CIDs), borrowed from the bytes they were read from.
//!
//! The firehose only needs to compare CIDs (to find a record's block in a CAR file) and to print
//! them (`bafyrei…`), so a CID here is a validated byte slice, not a parsed structure.

use std::fmt;

/// A CID's binary form (CIDv1: version, codec, multihash; or a bare CIDv0 sha2-256 multihash).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cid<'a> {
    bytes: &'a [u8],
}

/// Why bytes are not a CID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CidError(pub &'static str);

impl fmt::Display for CidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CidError {}

/// Reads an unsigned LEB128 varint (at most 9 bytes, as multiformats allows).
pub fn read_varint(buf: &[u8]) -> Result<(u64, &[u8]), CidError> {
    let mut value: u64 = 0;
    for (i, b) in buf.iter().enumerate().take(9) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((value, &buf[i + 1..]));
        }
    }
    Err(if buf.len() < 9 {
        CidError("truncated varint")
    } else {
        CidError("varint longer than 9 bytes")
    })
}

impl<'a> Cid<'a> {
    /// Parses a CID that fills `bytes` exactly.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CidError> {
        let (cid, rest) = Self::read_prefix(bytes)?;
        if rest.is_empty() {
            Ok(cid)
        } else {
            Err(CidError("trailing bytes after CID"))
        }
    }

    /// Reads a CID from the front of `bytes`; returns it and the rest.
    pub fn read_prefix(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), CidError> {
        // CIDv0: a bare sha2-256 multihash, 0x12 0x20 + 32 bytes.
        if bytes.first() == Some(&0x12) && bytes.get(1) == Some(&0x20) {
            if bytes.len() < 34 {
                return Err(CidError("truncated CIDv0"));
            }
            return Ok((
                Cid {
                    bytes: &bytes[..34],
                },
                &bytes[34..],
            ));
        }
        let (version, rest) = read_varint(bytes)?;
        if version != 1 {
            return Err(CidError("unsupported CID version"));
        }
        let (_codec, rest) = read_varint(rest)?;
        let (_hash, rest) = read_varint(rest)?;
        let (len, rest) = read_varint(rest)?;
        if len > rest.len() as u64 {
            return Err(CidError("truncated multihash digest"));
        }
        let used = bytes.len() - rest.len() + len as usize;
        Ok((
            Cid {
                bytes: &bytes[..used],
            },
            &bytes[used..],
        ))
    }

    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The multicodec of the content (0x71 dag-cbor, 0x55 raw); 0x70 (dag-pb) for CIDv0.
    pub fn codec(&self) -> u64 {
        if self.bytes.first() == Some(&0x12) {
            return 0x70;
        }
        read_varint(self.bytes)
            .and_then(|(_, rest)| read_varint(rest))
            .map(|(codec, _)| codec)
            .unwrap_or(0)
    }
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

impl fmt::Display for Cid<'_> {
    /// The canonical string form: multibase base32 (`b…`) for CIDv1, base58btc for CIDv0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(2 + self.bytes.len() * 8 / 5);
        if self.bytes.first() == Some(&0x12) {
            base58(self.bytes, &mut out);
        } else {
            out.push('b');
            base32(self.bytes, &mut out);
        }
        f.write_str(&out)
    }
}

impl fmt::Debug for Cid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cid({self})")
    }
}

fn base32(bytes: &[u8], out: &mut String) {
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((acc << (5 - bits)) & 31) as usize]));
    }
}

fn base58(bytes: &[u8], out: &mut String) {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            carry += u32::from(*d) << 8;
            *d = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    out.extend(std::iter::repeat_n('1', zeros));
    out.extend(digits.iter().rev().map(|d| char::from(BASE58[*d as usize])));
}

/// Decodes the base32 string form (`b…`) of a CIDv1 into bytes, for comparing a CID string from
/// an API response with one from the firehose.
pub fn decode_cid_string(s: &str) -> Option<Vec<u8>> {
    let body = s.strip_prefix('b')?;
    let mut out = Vec::with_capacity(body.len() * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in body.bytes() {
        let v = BASE32.iter().position(|x| *x == c)? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Cid::parse(&out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_real_record_cid() {
        let s = "bafyreieagt52rb3ncrc3heb66t5tdmbqtanypy3smrrdswoy4mnmaes66a";
        let bytes = decode_cid_string(s).unwrap();
        let cid = Cid::parse(&bytes).unwrap();
        assert_eq!(cid.to_string(), s);
        assert_eq!(cid.codec(), 0x71);
        assert_eq!(bytes.len(), 36);
    }

    #[test]
    fn cidv0_prints_base58() {
        let mut bytes = vec![0x12, 0x20];
        bytes.extend([0u8; 32]);
        let cid = Cid::parse(&bytes).unwrap();
        assert!(cid.to_string().starts_with("Qm"), "{cid}");
        assert_eq!(cid.to_string().len(), 46);
    }

    #[test]
    fn rejects_truncated_and_bad_input() {
        assert!(Cid::parse(&[]).is_err());
        assert!(Cid::parse(&[0x01, 0x71, 0x12, 0x20, 1, 2]).is_err());
        assert!(Cid::parse(&[0x02, 0x71, 0x12, 0x00]).is_err());
        assert!(read_varint(&[0xff; 12]).is_err());
        assert!(decode_cid_string("bafy!").is_none());
    }
}
