//! The CAR v1 decoder on any bytes: no panic; every block it lists is found again by its CID,
//! and a CAR rebuilt from its blocks decodes to the same blocks.
#![no_main]

use chorus_fuzz::varint;
use chorus_networks::bluesky::firehose::car::Car;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(car) = Car::parse(data) else {
        return;
    };
    let blocks: Vec<_> = car.blocks().collect();
    assert_eq!(blocks.len(), car.len());
    assert_eq!(car.is_empty(), blocks.is_empty());
    for (cid, block) in &blocks {
        let found = car.get(cid).expect("a listed block is found by its CID");
        // `get` answers the first block with that CID.
        let first = blocks.iter().find(|(c, _)| c == cid).map(|(_, d)| *d);
        assert_eq!(Some(found), first);
        let _ = (cid.to_string(), cid.codec(), block.len());
    }
    for root in &car.roots {
        let _ = root.to_string();
    }

    // Same header, blocks written back: same blocks.
    let (header_len, rest) =
        chorus_networks::bluesky::firehose::cid::read_varint(data).expect("parsed above");
    let header = &rest[..header_len as usize];
    let mut rebuilt = Vec::new();
    varint(&mut rebuilt, header_len);
    rebuilt.extend_from_slice(header);
    for (cid, block) in &blocks {
        varint(&mut rebuilt, (cid.as_bytes().len() + block.len()) as u64);
        rebuilt.extend_from_slice(cid.as_bytes());
        rebuilt.extend_from_slice(block);
    }
    let again = Car::parse(&rebuilt).expect("a CAR rebuilt from its parts parses");
    let again: Vec<_> = again.blocks().collect();
    assert_eq!(again, blocks);
});
