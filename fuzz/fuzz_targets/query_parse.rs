//! The listening query parser on any text: no panic; an error's span lies on character
//! boundaries inside the query and renders; a parsed query's canonical form (`Display`) parses
//! back to the same tree and prints the same text again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    match chorus_query::parse(query) {
        Err(e) => {
            assert!(e.span.start <= e.span.end, "{e:?}");
            assert!(e.span.end <= query.len(), "{e:?} for {} bytes", query.len());
            assert!(query.is_char_boundary(e.span.start), "{e:?}");
            assert!(query.is_char_boundary(e.span.end), "{e:?}");
            let rendered = e.render(query);
            assert!(rendered.contains("hint: "), "{rendered}");
        }
        Ok(node) => {
            let canonical = node.to_string();
            let again = chorus_query::parse(&canonical).unwrap_or_else(|e| {
                panic!(
                    "canonical form of {query:?} does not parse: {canonical:?}\n{}",
                    e.render(&canonical)
                )
            });
            assert_eq!(again, node, "{query:?} → {canonical:?}");
            assert_eq!(again.to_string(), canonical, "{query:?}");
            let _ = node.tree();
        }
    }
});
