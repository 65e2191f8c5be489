//! Languages as people type them into a filter: a code (`es`, `spa`, `pt-BR`), the English name
//! (`Spanish`) or the language's own name (`español`), read by `chorus_text`'s table of the
//! languages the detector answers. Every door that takes a language filter — the inbox's
//! `lang`, a listening query's `languages` and the `lang:` fields in its text — goes through
//! here, so an unknown value is refused saying what is accepted instead of finding nothing.

use chorus_core::validate::{Invalid, quoted};
use chorus_query::{Field, Node};

/// The code stored on posts for a language given by code or name; `und` (the detector could
/// not tell) is accepted as itself.
pub fn language(raw: &str) -> Result<&'static str, Invalid> {
    let t = raw.trim();
    if t.eq_ignore_ascii_case("und") {
        return Ok("und");
    }
    chorus_text::lang::parse_language(t).ok_or_else(|| {
        Invalid::new(format!(
            "{} is not a language Chorus knows; give its name in English or in the language \
             itself, or its code, e.g. Spanish, español or es",
            quoted(raw)
        ))
    })
}

/// The English name of a stored code, for people (`None` for `und` and unknown codes).
pub fn language_name(code: &str) -> Option<&'static str> {
    chorus_text::lang::names::english_name(code)
}

/// A `lang:` value in a query's text that is not a language code Chorus stores: the value as
/// typed (lowercased, as the query engine keeps it) and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLangField {
    pub value: String,
    pub message: String,
    pub hint: String,
}

/// Checks every `lang:` of a parsed query. `lang:` compares codes (a post's `pt` matches
/// `lang:pt`, and a region subtag narrows it: `lang:pt-br`), so a name there would silently
/// match nothing: it is refused with the code to write; a value that is no language at all is
/// refused with what is accepted.
pub fn check_lang_fields(node: &Node) -> Option<BadLangField> {
    let mut bad = None;
    walk(node, &mut |value| {
        if bad.is_some() {
            return;
        }
        let primary = value.split(['-', '_']).next().unwrap_or(value);
        match language(primary) {
            Ok(code) if code == primary => {}
            Ok(code) => {
                bad = Some(BadLangField {
                    value: value.to_owned(),
                    message: format!("lang:{value} takes a language code"),
                    hint: format!(
                        "write lang:{code} ({})",
                        language_name(code).unwrap_or(code)
                    ),
                });
            }
            Err(_) => {
                bad = Some(BadLangField {
                    value: value.to_owned(),
                    message: format!("lang:{value} is not a language Chorus knows"),
                    hint: "use a language code such as lang:en, lang:es or lang:fi (lang:und: \
                           posts whose language could not be told)"
                        .into(),
                });
            }
        }
    });
    bad
}

fn walk(node: &Node, f: &mut impl FnMut(&str)) {
    match node {
        Node::And(xs) | Node::Or(xs) => xs.iter().for_each(|x| walk(x, f)),
        Node::Not(x) => walk(x, f),
        Node::Field {
            field: Field::Lang,
            value,
        } => f(value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_own_names() {
        for (raw, want) in [
            ("es", "es"),
            ("ES", "es"),
            ("spa", "es"),
            ("pt-BR", "pt"),
            ("Spanish", "es"),
            ("español", "es"),
            ("espanol", "es"),
            (" suomi ", "fi"),
            ("Finnish", "fi"),
            ("und", "und"),
        ] {
            assert_eq!(language(raw).unwrap(), want, "{raw}");
        }
        for raw in ["Klingon", "", "e", "xx"] {
            let e = language(raw).unwrap_err();
            assert!(
                e.message.contains("e.g. Spanish, español or es"),
                "{raw}: {e:?}"
            );
        }
        assert_eq!(language_name("es"), Some("Spanish"));
        assert_eq!(language_name("und"), None);
    }

    #[test]
    fn lang_fields_take_codes_and_say_what_to_write() {
        let check = |q: &str| check_lang_fields(&chorus_query::parse(q).unwrap());
        assert_eq!(check("nokia AND (lang:en OR lang:pt-br OR lang:und)"), None);
        let named = check("nokia AND lang:Spanish").unwrap();
        assert_eq!(named.value, "spanish");
        assert_eq!(named.hint, "write lang:es (Spanish)");
        let three = check("nokia -lang:fin").unwrap();
        assert_eq!(three.hint, "write lang:fi (Finnish)");
        let unknown = check("nokia lang:klingon").unwrap();
        assert_eq!(
            unknown.message,
            "lang:klingon is not a language Chorus knows"
        );
        assert!(unknown.hint.contains("lang:es"));
    }
}
