//! CAR v1 (content-addressed archive) decoding, borrowing from the input.
//!
//! Layout: a varint-prefixed DAG-CBOR header `{version: 1, roots: [CID…]}`, then sections, each
//! a varint length followed by a CID and the block's bytes. A firehose commit carries its new
//! records this way. Blocks are kept in a small vector: a commit holds a handful of blocks, for
//! which a linear scan beats hashing.

use super::cbor::{self, CborError, Value};
use super::cid::{Cid, read_varint};

/// Why bytes are not a CAR v1 file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CarError {
    #[error("CAR header length: {0}")]
    HeaderLength(&'static str),
    #[error("CAR header is not DAG-CBOR: {0}")]
    Header(#[from] CborError),
    #[error("CAR header: {0}")]
    HeaderShape(&'static str),
    #[error("CAR section {index}: {reason}")]
    Section { index: usize, reason: &'static str },
}

/// A decoded CAR file: its roots and its blocks, in file order.
#[derive(Debug, Clone)]
pub struct Car<'a> {
    pub roots: Vec<Cid<'a>>,
    blocks: Vec<(Cid<'a>, &'a [u8])>,
}

impl<'a> Car<'a> {
    /// A CAR with no roots and no blocks (a commit whose blocks were left out).
    pub fn empty() -> Self {
        Car {
            roots: Vec::new(),
            blocks: Vec::new(),
        }
    }

    pub fn parse(input: &'a [u8]) -> Result<Self, CarError> {
        let (len, rest) = read_varint(input).map_err(|e| CarError::HeaderLength(e.0))?;
        if len > rest.len() as u64 {
            return Err(CarError::HeaderLength("longer than the input"));
        }
        let (header, mut rest) = rest.split_at(len as usize);
        let header = cbor::decode_all(header)?;
        if header.get("version").and_then(Value::as_i64) != Some(1) {
            return Err(CarError::HeaderShape("version is not 1"));
        }
        let roots = header
            .get("roots")
            .and_then(Value::as_array)
            .ok_or(CarError::HeaderShape("roots is not an array"))?
            .iter()
            .map(|v| {
                v.as_link()
                    .ok_or(CarError::HeaderShape("root is not a CID"))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let mut blocks = Vec::with_capacity(8);
        while !rest.is_empty() {
            let index = blocks.len();
            let section = |reason| CarError::Section { index, reason };
            let (len, after) = read_varint(rest).map_err(|e| section(e.0))?;
            if len > after.len() as u64 {
                return Err(section("length runs past the end"));
            }
            let (body, after) = after.split_at(len as usize);
            let (cid, data) = Cid::read_prefix(body).map_err(|e| section(e.0))?;
            blocks.push((cid, data));
            rest = after;
        }
        Ok(Car { roots, blocks })
    }

    /// The block whose CID is `cid`.
    pub fn get(&self, cid: &Cid<'_>) -> Option<&'a [u8]> {
        let want = cid.as_bytes();
        self.blocks
            .iter()
            .find(|(c, _)| c.as_bytes() == want)
            .map(|(_, data)| *data)
    }

    pub fn blocks(&self) -> impl Iterator<Item = (Cid<'a>, &'a [u8])> + '_ {
        self.blocks.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bluesky::firehose::testutil::{E, car_file, cid_for};

    #[test]
    fn reads_roots_and_blocks() {
        let a = E::map([("text", E::text("hello"))]).encode();
        let b = E::map([("n", E::Int(2))]).encode();
        let (ca, cb) = (cid_for(&a), cid_for(&b));
        let file = car_file(
            std::slice::from_ref(&ca),
            &[(ca.clone(), a.clone()), (cb.clone(), b.clone())],
        );
        let car = Car::parse(&file).unwrap();
        assert_eq!(car.roots.len(), 1);
        assert_eq!(car.roots[0].as_bytes(), &ca[..]);
        assert_eq!(car.len(), 2);
        assert_eq!(car.get(&Cid::parse(&cb).unwrap()), Some(&b[..]));
        assert_eq!(car.get(&Cid::parse(&ca).unwrap()), Some(&a[..]));
    }

    #[test]
    fn rejects_bad_files() {
        assert!(Car::parse(&[]).is_err());
        assert!(Car::parse(&[0x05, 0xa0]).is_err());
        let header = E::map([("version", E::Int(2)), ("roots", E::Array(vec![]))]).encode();
        let mut file = vec![header.len() as u8];
        file.extend(&header);
        assert_eq!(
            Car::parse(&file).unwrap_err(),
            CarError::HeaderShape("version is not 1")
        );
        let a = E::map([("x", E::Int(1))]).encode();
        let ca = cid_for(&a);
        let mut file = car_file(std::slice::from_ref(&ca), &[(ca.clone(), a)]);
        file.truncate(file.len() - 3);
        assert!(matches!(
            Car::parse(&file),
            Err(CarError::Section { index: 0, .. })
        ));
    }
}
