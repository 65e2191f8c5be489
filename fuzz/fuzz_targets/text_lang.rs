//! Language identification over any text: no panic; a known answer is a 2–3 letter lowercase
//! code with a confidence in 0..=1 (and at least the rules' minimum), an unknown one says `und`
//! with confidence 0; a scratch reused across inputs gives exactly the fresh answer.
#![no_main]

use std::cell::RefCell;

use chorus_text::{LangGuess, LangScratch, LanguageIdentifier};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static IDENTIFIER: LanguageIdentifier = LanguageIdentifier::new();
    static SCRATCH: RefCell<LangScratch> = RefCell::new(LangScratch::new());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    IDENTIFIER.with(|id| {
        let fresh = id.identify(&text);
        let reused = SCRATCH.with_borrow_mut(|s| id.identify_with(&text, s));
        assert_eq!(fresh, reused, "{text:?}");
        match fresh {
            LangGuess::Known { code, confidence } => {
                assert!(
                    (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()),
                    "{code:?}"
                );
                assert!(
                    confidence.is_finite() && (0.0..=1.0).contains(&confidence),
                    "{fresh:?}"
                );
                assert!(
                    confidence >= id.rules().min_confidence,
                    "{text:?}: {fresh:?}"
                );
            }
            LangGuess::Unknown(_) => {
                assert_eq!(fresh.code(), "und");
                assert_eq!(fresh.confidence(), 0.0);
            }
        }
    });
});
