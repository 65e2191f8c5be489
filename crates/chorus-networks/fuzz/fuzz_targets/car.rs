//! Any bytes as a CAR v1 file, and as a single DAG-CBOR value: an error or a value, never a
//! panic, and every block that parses can be looked up by its CID.
#![no_main]

use chorus_networks::bluesky::firehose::car::Car;
use chorus_networks::bluesky::firehose::cbor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(car) = Car::parse(data) {
        for (cid, block) in car.blocks() {
            assert!(car.get(&cid).is_some());
            let _ = cbor::decode_all(block);
            let _ = cid.to_string();
        }
    }
    if let Ok((v, _)) = cbor::decode(data) {
        let _ = v.to_json();
    }
});
