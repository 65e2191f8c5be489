//! CIDs and varints on any bytes: no panic; a CID read from the front of the input is a prefix
//! of it, parses alone, and (CIDv1) prints as a base32 string that decodes to the same bytes;
//! the base32 string decoder never panics on any text.
#![no_main]

use chorus_networks::bluesky::firehose::cid::{Cid, decode_cid_string, read_varint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((value, rest)) = read_varint(data) {
        let used = data.len() - rest.len();
        assert!((1..=9).contains(&used));
        let mut again = Vec::new();
        chorus_fuzz::varint(&mut again, value);
        // Non-minimal encodings decode too; the value still agrees.
        assert_eq!(read_varint(&again).map(|(v, _)| v), Ok(value));
    }
    if let Ok((cid, rest)) = Cid::read_prefix(data) {
        let bytes = cid.as_bytes();
        assert_eq!(&data[..bytes.len()], bytes);
        assert_eq!(bytes.len() + rest.len(), data.len());
        assert_eq!(Cid::parse(bytes), Ok(cid));
        let text = cid.to_string();
        let _ = (cid.codec(), format!("{cid:?}"));
        if text.starts_with('b') {
            assert_eq!(decode_cid_string(&text).as_deref(), Some(bytes), "{text}");
        } else {
            assert!(text.starts_with("Qm") || text.starts_with('1'), "{text}");
        }
    }
    if let Ok(s) = std::str::from_utf8(data)
        && let Some(bytes) = decode_cid_string(s)
    {
        assert!(Cid::parse(&bytes).is_ok());
    }
});
