//! What staff may write on an offer: its public address (slug), its landing page texts per
//! locale, its custom form fields, and the moves between its states. Each parse returns an
//! [`Invalid`] or a [`FieldError`] naming the field, for the use cases in
//! `chorus_app::reach::offers`. Pure.
//!
//! Custom form fields are stored as JSON in `reach_offers.fields` (see [`FormField`]); the
//! public form (email, name and consent are always there) adds them in order.

use serde::{Deserialize, Serialize};

use super::OfferState;
use crate::org::Locale;
use crate::validate::{FieldError, Invalid, quoted, text};

/// Longest slug, in characters.
pub const SLUG_MAX: usize = 60;
/// Longest landing page title.
pub const TITLE_MAX: usize = 160;
/// Longest landing page description.
pub const DESCRIPTION_MAX: usize = 4000;
/// Most custom fields on one form.
pub const FIELDS_MAX: usize = 12;

/// An offer's public address: `/r/{slug}`. Lowercase letters, digits and single hyphens.
pub fn parse_slug(raw: &str) -> Result<String, Invalid> {
    let slug = raw.trim().to_ascii_lowercase();
    let ok = (3..=SLUG_MAX).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(slug)
    } else {
        Err(Invalid::new(format!(
            "{} is not a usable address; use 3 to {SLUG_MAX} lowercase letters, digits and \
             hyphens, such as state-of-social-2027",
            quoted(raw)
        )))
    }
}

/// A landing page's words in one locale, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageText {
    pub locale: Locale,
    pub title: String,
    pub description: String,
}

/// One landing page as typed (`pages[i].locale` etc. name the fields of errors).
#[derive(Debug, Clone, Default)]
pub struct PageInput {
    pub locale: String,
    pub title: String,
    pub description: String,
}

/// Validates an offer's landing pages: at least one, one per locale, a title each, descriptions
/// within [`DESCRIPTION_MAX`]. An entry whose three fields are all empty is skipped (forms show
/// a spare row).
pub fn parse_pages(raw: &[PageInput]) -> Result<Vec<PageText>, FieldError> {
    let mut out: Vec<PageText> = Vec::new();
    for (i, page) in raw.iter().enumerate() {
        if page.locale.trim().is_empty()
            && page.title.trim().is_empty()
            && page.description.trim().is_empty()
        {
            continue;
        }
        let locale = Locale::parse(&page.locale).map_err(|e| e.at(format!("pages[{i}].locale")))?;
        if out.iter().any(|p| p.locale == locale) {
            return Err(
                Invalid::new(format!("{locale} has two landing pages; keep one"))
                    .at(format!("pages[{i}].locale")),
            );
        }
        let title = text(&page.title, TITLE_MAX).map_err(|e| e.at(format!("pages[{i}].title")))?;
        let description = page.description.trim().to_owned();
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(
                Invalid::new(format!("is longer than {DESCRIPTION_MAX} characters"))
                    .at(format!("pages[{i}].description")),
            );
        }
        out.push(PageText {
            locale,
            title,
            description,
        });
    }
    if out.is_empty() {
        return Err(
            Invalid::new("give the landing page a title in at least one language")
                .at("pages[0].title"),
        );
    }
    Ok(out)
}

/// What a custom field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines.
    Textarea,
    /// One of `options`.
    Select,
    /// A yes/no box (never the consent: that one is always there, with its own text).
    Checkbox,
}

impl FieldKind {
    pub const ALL: &'static [FieldKind] = &[
        FieldKind::Text,
        FieldKind::Textarea,
        FieldKind::Select,
        FieldKind::Checkbox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Textarea => "textarea",
            FieldKind::Select => "select",
            FieldKind::Checkbox => "checkbox",
        }
    }

    /// What the staff form calls it.
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Text => "Short text",
            FieldKind::Textarea => "Long text",
            FieldKind::Select => "Choice",
            FieldKind::Checkbox => "Tick box",
        }
    }

    pub fn parse(raw: &str) -> Result<FieldKind, Invalid> {
        FieldKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "{} is not a field kind; use text, textarea, select or checkbox",
                    quoted(raw)
                ))
            })
    }
}

/// A custom form field, as stored in `reach_offers.fields` (a JSON array of these). `key` names
/// the answer in a submission's `answers` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// The choices of a `select`; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// A custom field as typed: `options` one per line.
#[derive(Debug, Clone, Default)]
pub struct FieldInput {
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub options: String,
}

/// Keys the form itself uses; a custom field may not take them.
const RESERVED_KEYS: &[&str] = &["email", "name", "consent", "locale", "website"];

/// The answer key of a label: lowercase ASCII letters and digits joined by `_`.
fn key_of(label: &str) -> String {
    let mut key = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    key.trim_end_matches('_').chars().take(40).collect()
}

/// Validates custom fields (`fields[i].label` etc. name errors); rows with an empty label are
/// skipped. Keys are derived from labels and must be distinct.
pub fn parse_fields(raw: &[FieldInput]) -> Result<Vec<FormField>, FieldError> {
    let mut out: Vec<FormField> = Vec::new();
    for (i, field) in raw.iter().enumerate() {
        if field.label.trim().is_empty() {
            continue;
        }
        let label = text(&field.label, 120).map_err(|e| e.at(format!("fields[{i}].label")))?;
        let kind = FieldKind::parse(&field.kind).map_err(|e| e.at(format!("fields[{i}].kind")))?;
        let mut key = key_of(&label);
        if key.is_empty() {
            key = format!("field_{}", i + 1);
        }
        if RESERVED_KEYS.contains(&key.as_str()) || out.iter().any(|f| f.key == key) {
            return Err(Invalid::new(format!(
                "{} is already on the form; give the field another label",
                quoted(&label)
            ))
            .at(format!("fields[{i}].label")));
        }
        let options: Vec<String> = field
            .options
            .lines()
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
        if kind == FieldKind::Select && options.len() < 2 {
            return Err(
                Invalid::new("a choice needs at least two options, one per line")
                    .at(format!("fields[{i}].options")),
            );
        }
        if options.len() > 30 || options.iter().any(|o| o.chars().count() > 120) {
            return Err(
                Invalid::new("use at most 30 options of at most 120 characters each")
                    .at(format!("fields[{i}].options")),
            );
        }
        out.push(FormField {
            key,
            label,
            kind,
            required: field.required,
            options: if kind == FieldKind::Select {
                options
            } else {
                Vec::new()
            },
        });
    }
    if out.len() > FIELDS_MAX {
        return Err(
            Invalid::new(format!("a form takes at most {FIELDS_MAX} extra fields")).at("fields"),
        );
    }
    Ok(out)
}

/// Reads stored fields back; stored JSON that does not parse reads as no fields (it was written
/// by [`fields_json`], so that does not happen).
pub fn fields_from_json(json: &str) -> Vec<FormField> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The stored form of validated fields.
pub fn fields_json(fields: &[FormField]) -> String {
    serde_json::to_string(fields).unwrap_or_else(|_| "[]".to_owned())
}

/// Whether an offer may go from `from` to `to`. A draft goes live; a live offer closes; a
/// closed one may go live again. Nothing goes back to draft (people may have signed up), and a
/// draft is not "closed" (it never opened).
pub fn may_move(from: OfferState, to: OfferState) -> bool {
    use OfferState::*;
    matches!((from, to), (Draft, Live) | (Live, Closed) | (Closed, Live))
}

/// The states an offer in `from` may move to, in the order the page offers them.
pub fn next_states(from: OfferState) -> Vec<OfferState> {
    OfferState::ALL
        .iter()
        .copied()
        .filter(|to| may_move(from, *to))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_joined_by_hyphens() {
        assert_eq!(
            parse_slug(" State-of-Social-2027 ").unwrap(),
            "state-of-social-2027"
        );
        for bad in [
            "ab", "-abc", "abc-", "a--b", "über-x", "a b c", "a/b/c", "../etc",
        ] {
            assert!(parse_slug(bad).is_err(), "{bad}");
        }
        assert!(parse_slug(&"a".repeat(SLUG_MAX + 1)).is_err());
    }

    #[test]
    fn pages_need_a_title_and_one_per_locale() {
        let page = |l: &str, t: &str| PageInput {
            locale: l.into(),
            title: t.into(),
            description: "About".into(),
        };
        let ok = parse_pages(&[
            page("en", "Report"),
            PageInput::default(),
            page("fi_fi", "Raportti"),
        ])
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].locale.as_str(), "fi-FI");
        let err = parse_pages(&[page("en", "A"), page("EN", "B")]).unwrap_err();
        assert_eq!(err.field, "pages[1].locale");
        let err = parse_pages(&[page("en", " ")]).unwrap_err();
        assert_eq!(err.field, "pages[0].title");
        let err = parse_pages(&[page("english!", "A")]).unwrap_err();
        assert_eq!(err.field, "pages[0].locale");
        assert_eq!(parse_pages(&[]).unwrap_err().field, "pages[0].title");
    }

    #[test]
    fn fields_get_keys_from_labels_and_refuse_clashes() {
        let field = |label: &str, kind: &str, options: &str| FieldInput {
            label: label.into(),
            kind: kind.into(),
            required: true,
            options: options.into(),
        };
        let ok = parse_fields(&[
            field("Company name", "text", ""),
            field("", "text", ""),
            field("Team size", "select", "1–10\n11–50\n\n51+"),
        ])
        .unwrap();
        assert_eq!(ok[0].key, "company_name");
        assert_eq!(ok[1].options, vec!["1–10", "11–50", "51+"]);
        let round = fields_from_json(&fields_json(&ok));
        assert_eq!(round, ok);
        let err = parse_fields(&[field("Email", "text", "")]).unwrap_err();
        assert_eq!(err.field, "fields[0].label");
        let err = parse_fields(&[field("Size", "select", "only one")]).unwrap_err();
        assert_eq!(err.field, "fields[0].options");
        let err = parse_fields(&[field("Role", "dropdown", "")]).unwrap_err();
        assert_eq!(err.field, "fields[0].kind");
        let err =
            parse_fields(&[field("Role", "text", ""), field("role!", "text", "")]).unwrap_err();
        assert_eq!(err.field, "fields[1].label");
        assert!(fields_from_json("not json").is_empty());
    }

    #[test]
    fn offers_never_go_back_to_draft() {
        use OfferState::*;
        assert!(may_move(Draft, Live));
        assert!(may_move(Live, Closed));
        assert!(may_move(Closed, Live));
        assert!(!may_move(Live, Draft));
        assert!(!may_move(Closed, Draft));
        assert!(!may_move(Live, Live));
        assert!(!may_move(Draft, Closed));
        assert_eq!(next_states(Draft), vec![Live]);
        assert_eq!(next_states(Live), vec![Closed]);
    }
}
