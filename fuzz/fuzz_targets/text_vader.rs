//! VADER sentiment over any text: no panic; every score is finite, `neg`, `neu` and `pos` lie
//! in 0..=1 and add up to 1 (to VADER's rounding) unless all are 0, `compound` lies in -1..=1;
//! a scratch reused across inputs gives bit-for-bit the answer fresh buffers give.
#![no_main]

use std::cell::RefCell;

use chorus_text::{Scratch, SentimentAnalyzer};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static ANALYZER: SentimentAnalyzer = SentimentAnalyzer::new();
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    ANALYZER.with(|a| {
        let fresh = a.polarity_scores(&text);
        let reused = SCRATCH.with_borrow_mut(|s| a.polarity_scores_with(&text, s));
        let bits = |s: &chorus_text::Scores| [s.neg, s.neu, s.pos, s.compound].map(f64::to_bits);
        assert_eq!(
            bits(&fresh),
            bits(&reused),
            "{text:?}: {fresh:?} vs {reused:?}"
        );
        let s = fresh;
        for x in [s.neg, s.neu, s.pos] {
            assert!(x.is_finite() && (0.0..=1.0).contains(&x), "{text:?}: {s:?}");
        }
        assert!(
            s.compound.is_finite() && (-1.0..=1.0).contains(&s.compound),
            "{text:?}: {s:?}"
        );
        let sum = s.neg + s.neu + s.pos;
        assert!(sum == 0.0 || (sum - 1.0).abs() <= 0.005, "{text:?}: {s:?}");
    });
});
