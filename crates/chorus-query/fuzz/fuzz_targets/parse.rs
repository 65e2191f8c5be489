//! Any input: `parse` returns a tree or an error whose span lies on character boundaries, and
//! rendering either never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let q = String::from_utf8_lossy(data);
    match chorus_query::parse(&q) {
        Ok(node) => {
            let _ = node.tree();
            let _ = chorus_query::parse(&node.to_string());
        }
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= q.len());
            assert!(q.is_char_boundary(e.span.start) && q.is_char_boundary(e.span.end));
            let _ = e.render(&q);
        }
    }
});
