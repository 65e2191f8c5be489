//! Any bytes as a firehose frame: decoding returns a frame or an error, never panics; whatever
//! decodes also normalizes without panicking.
#![no_main]

use chorus_networks::bluesky::firehose::{Normalizer, decode_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = decode_frame(data) {
        let _ = frame.seq();
        if let chorus_networks::bluesky::firehose::Frame::Commit(c) = &frame {
            for op in &c.ops {
                let _ = c.record(op);
            }
        }
        let _ = Normalizer::new().normalize(&frame);
    }
});
