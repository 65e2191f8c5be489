//! The live check and the one validation: syntax errors, narrowing, languages by name.

use super::*;

#[test]
fn check_reports_carets_and_canonical_forms() {
    let ok = check("nokia  AND (phone OR lumia*)", &[], &[]);
    assert!(ok.valid);
    assert!(ok.canonical.is_some());
    assert!(ok.tree.is_some());
    let bad = check("nokia AND (phone", &[], &[]);
    assert!(!bad.valid);
    let e = bad.error.unwrap();
    assert_eq!(e.message, "unclosed parenthesis");
    assert!(e.rendered.contains('^'), "{}", e.rendered);
    assert!(!check("  ", &[], &[]).valid);
}

#[test]
fn validation_names_the_field_whatever_the_door() {
    let raw = |query: &str| RawQuery {
        name: "Brand".into(),
        query: query.into(),
        ..RawQuery::default()
    };
    let ok = validate(MarketId(1), None, &raw("northwind OR #northwind")).unwrap();
    assert_eq!(ok.query, "northwind OR #northwind");
    let e = validate(MarketId(1), None, &raw("northwind AND (phone")).unwrap_err();
    assert_eq!(e.field(), Some("query"));
    assert!(
        e.to_string()
            .contains("unclosed parenthesis at \"(phone\" (character 15)"),
        "{e}"
    );
    let e = validate(
        MarketId(1),
        None,
        &RawQuery {
            languages: vec!["not a language".into()],
            ..raw("northwind")
        },
    )
    .unwrap_err();
    assert_eq!(e.field(), Some("languages"));
    let e = check_draft(&Draft {
        query: "x".into(),
        networks: vec!["no such network!".into()],
        ..Draft::default()
    })
    .unwrap_err();
    assert_eq!(e.field(), Some("networks"));
}

/// Every door (pages, API, `chorus listening import`) validates here: languages by name
/// become codes, and `lang:` by name is refused with the code to write.
#[test]
fn languages_by_name_become_codes_and_lang_fields_ask_for_codes() {
    let raw = |query: &str, languages: &[&str]| RawQuery {
        name: "Brand".into(),
        query: query.into(),
        languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        ..RawQuery::default()
    };
    let ok = validate(
        MarketId(1),
        None,
        &raw("northwind", &["Finnish", "svenska", "EN"]),
    )
    .unwrap();
    assert_eq!(ok.languages, ["fi", "sv", "en"]);
    let e = validate(MarketId(1), None, &raw("northwind -lang:Spanish", &[])).unwrap_err();
    assert_eq!(e.field(), Some("query"));
    assert!(
        e.to_string()
            .contains("lang:spanish takes a language code at \"lang:Spanish\" (character 12); write lang:es (Spanish)"),
        "{e}"
    );
    let draft = |languages: &[&str]| Draft {
        query: "northwind".into(),
        languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        ..Draft::default()
    };
    assert!(check_draft(&draft(&["español"])).unwrap().valid);
    let e = check_draft(&draft(&["Klingon"])).unwrap_err();
    assert_eq!(e.field(), Some("languages"));
}
