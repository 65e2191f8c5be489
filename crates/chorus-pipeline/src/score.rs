//! Score stage: language and sentiment for every post.
//!
//! The language is the identifier's answer when it is confident (or agrees with a language the
//! source declared); otherwise the first declared language; otherwise the identifier's weaker
//! guess, or `und`. It runs before matching so `lang:` in queries sees it.

use chorus_text::{LangGuess, LangScratch, LanguageIdentifier, Scratch, SentimentAnalyzer};

use crate::incoming::{Incoming, Scored};

/// Confidence from which the identifier overrides what the source declared.
pub const CONFIDENT: f64 = 0.5;

/// One per worker thread: the analyzers are shared, the buffers are its own.
pub struct Scorer<'a> {
    sentiment: &'a SentimentAnalyzer,
    lang: &'a LanguageIdentifier,
    s_scratch: Scratch,
    l_scratch: LangScratch,
}

impl<'a> Scorer<'a> {
    pub fn new(sentiment: &'a SentimentAnalyzer, lang: &'a LanguageIdentifier) -> Self {
        Scorer {
            sentiment,
            lang,
            s_scratch: Scratch::new(),
            l_scratch: LangScratch::new(),
        }
    }

    pub fn score(&mut self, post: Incoming) -> Scored {
        let guess = self.lang.identify_with(&post.text, &mut self.l_scratch);
        let declared = post.declared_langs.first();
        let lang = match (guess, declared) {
            (LangGuess::Known { code, confidence }, _)
                if confidence >= CONFIDENT || post.declared_langs.iter().any(|d| d == code) =>
            {
                code.to_owned()
            }
            (_, Some(d)) => d.clone(),
            (g, None) => g.code().to_owned(),
        };
        let sentiment = self
            .sentiment
            .polarity_scores_with(&post.text, &mut self.s_scratch)
            .compound;
        Scored {
            post,
            lang,
            sentiment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str, declared: &[&str]) -> Incoming {
        Incoming {
            uri: "u".into(),
            network: "import".into(),
            author: "a".into(),
            author_handle: None,
            text: text.into(),
            declared_langs: declared.iter().map(|s| (*s).to_owned()).collect(),
            country: None,
            domains: vec![],
            posted_at_ms: 0,
            reply_parent: None,
            reply_root: None,
            quote_of: None,
            cid: None,
            link: None,
        }
    }

    #[test]
    fn language_identified_else_declared_else_und() {
        let (s, l) = (
            SentimentAnalyzer::new(),
            LanguageIdentifier::with_model(chorus_text::Rules::default(), None),
        );
        let mut scorer = Scorer::new(&s, &l);
        let cases = [
            (
                "The battery of this phone is great and I love it",
                &["fi"][..],
                "en",
            ),
            (
                "Tämä puhelin on aivan loistava, akku kestää pitkään",
                &[][..],
                "fi",
            ),
            ("ok", &["de"][..], "de"),
            ("ok", &[][..], "und"),
            ("🎉🎉 #launch", &[][..], "und"),
        ];
        for (text, declared, want) in cases {
            assert_eq!(scorer.score(post(text, declared)).lang, want, "{text}");
        }
    }

    #[test]
    fn sentiment_is_vader_compound() {
        let (s, l) = (
            SentimentAnalyzer::new(),
            LanguageIdentifier::with_model(chorus_text::Rules::default(), None),
        );
        let mut scorer = Scorer::new(&s, &l);
        let good = scorer.score(post("I love it, it is great!", &[]));
        let bad = scorer.score(post("This is terrible, I hate it.", &[]));
        assert_eq!(
            good.sentiment,
            s.polarity_scores("I love it, it is great!").compound
        );
        assert!(good.sentiment > 0.5 && bad.sentiment < -0.5);
    }
}
