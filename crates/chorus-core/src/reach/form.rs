//! An offer's form: the fixed fields every form has (email, name, the consent checkbox) and the
//! custom ones an offer adds, defined as JSON (stored in `reach_offers.fields`):
//!
//! ```json
//! [{"key": "company", "label": "Company", "kind": "text", "required": true},
//!  {"key": "role", "label": "Your role", "kind": "select", "required": false,
//!   "options": ["Marketing", "Sales"]},
//!  {"key": "newsletter", "label": "Send me the newsletter", "kind": "checkbox"}]
//! ```
//!
//! [`FormDefinition::parse`] checks a definition (keys unique and plain, labels present, a select
//! with options); [`FormDefinition::answers`] checks a submission's answers against it, naming the
//! field that is wrong as `fields.<key>` (the form's input name). [`parse_email`] and
//! [`parse_name`] check the fixed fields: nothing that could end up in a mail header may carry a
//! line break or another control character.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::user::Email;
use crate::validate::{FieldError, Invalid, quoted};

/// How long a text answer or a name may be.
pub const MAX_TEXT: usize = 500;
/// How long a name may be.
pub const MAX_NAME: usize = 120;
/// How many custom fields a form may have.
pub const MAX_FIELDS: usize = 20;

/// Keys a custom field may not take: the fixed fields and the honeypot.
pub const RESERVED_KEYS: &[&str] = &["email", "name", "consent", "website", "locale", "token"];

/// What kind of input a custom field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Select,
    Checkbox,
}

/// One custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    /// The answer's key (lowercase letters, digits and `_`, starting with a letter).
    pub key: String,
    /// What the person reads beside the input.
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// A select's choices (none for other kinds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl FormField {
    /// The input's name on the page, and the field an error about it names.
    pub fn input_name(&self) -> String {
        format!("fields.{}", self.key)
    }
}

/// An offer's custom fields, in the order the form shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FormDefinition {
    pub fields: Vec<FormField>,
}

/// An answer as stored (a JSON object of these, by key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Text(String),
    Checked(bool),
}

impl FormDefinition {
    /// Reads and checks a definition (the staff's JSON, or what the database holds).
    pub fn parse(json: &str) -> Result<FormDefinition, Invalid> {
        let def: FormDefinition = serde_json::from_str(json).map_err(|e| {
            Invalid::new(format!(
                "is not a list of fields ({{\"key\", \"label\", \"kind\": text|select|checkbox, \"required\", \"options\"}}): {e}"
            ))
        })?;
        if def.fields.len() > MAX_FIELDS {
            return Err(Invalid::new(format!(
                "has {} fields; the limit is {MAX_FIELDS}",
                def.fields.len()
            )));
        }
        for (i, f) in def.fields.iter().enumerate() {
            let n = i + 1;
            let plain = f.key.len() <= 40
                && f.key.starts_with(|c: char| c.is_ascii_lowercase())
                && f.key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !plain {
                return Err(Invalid::new(format!(
                    "field {n}'s key {} must be lowercase letters, digits and _ (starting with a letter, at most 40)",
                    quoted(&f.key)
                )));
            }
            if RESERVED_KEYS.contains(&f.key.as_str()) {
                return Err(Invalid::new(format!(
                    "field {n}'s key \"{}\" is taken by the form itself; choose another",
                    f.key
                )));
            }
            if def.fields[..i].iter().any(|g| g.key == f.key) {
                return Err(Invalid::new(format!(
                    "the key \"{}\" is used twice; keys must be unique",
                    f.key
                )));
            }
            if f.label.trim().is_empty() || f.label.chars().count() > 200 {
                return Err(Invalid::new(format!(
                    "field {n} (\"{}\") needs a label of 1 to 200 characters",
                    f.key
                )));
            }
            match f.kind {
                FieldKind::Select if f.options.is_empty() => {
                    return Err(Invalid::new(format!(
                        "field {n} (\"{}\") is a select and needs options",
                        f.key
                    )));
                }
                FieldKind::Text | FieldKind::Checkbox if !f.options.is_empty() => {
                    return Err(Invalid::new(format!(
                        "field {n} (\"{}\") has options, but only a select takes them",
                        f.key
                    )));
                }
                _ => {}
            }
        }
        Ok(def)
    }

    /// The definition as stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Checks `raw` (answers by key as the form sent them; a checkbox sends `on` when ticked
    /// and nothing otherwise) and returns the answers to store. Keys the definition does not
    /// have are dropped (a page from before the fields changed). The error names the field.
    pub fn answers(
        &self,
        raw: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, Answer>, FieldError> {
        let mut out = BTreeMap::new();
        for f in &self.fields {
            let value = raw.get(&f.key).map(|s| s.trim()).unwrap_or("");
            let at = |e: Invalid| e.at(f.input_name());
            match f.kind {
                FieldKind::Checkbox => {
                    let checked = matches!(value, "on" | "true" | "1" | "yes");
                    if !checked && !value.is_empty() && !matches!(value, "off" | "false" | "0") {
                        return Err(at(Invalid::new("is a checkbox: ticked or not")));
                    }
                    if f.required && !checked {
                        return Err(at(Invalid::new("must be ticked")));
                    }
                    out.insert(f.key.clone(), Answer::Checked(checked));
                }
                FieldKind::Text | FieldKind::Select => {
                    if value.is_empty() {
                        if f.required {
                            return Err(at(Invalid::new("is required")));
                        }
                        continue;
                    }
                    if value.chars().any(char::is_control) {
                        return Err(at(Invalid::new(
                            "must be one line without control characters",
                        )));
                    }
                    let len = value.chars().count();
                    if len > MAX_TEXT {
                        return Err(at(Invalid::new(format!(
                            "is {len} characters long; the limit is {MAX_TEXT}"
                        ))));
                    }
                    if f.kind == FieldKind::Select && !f.options.iter().any(|o| o == value) {
                        return Err(at(Invalid::new(format!(
                            "{} is not one of the choices",
                            quoted(value)
                        ))));
                    }
                    out.insert(f.key.clone(), Answer::Text(value.to_owned()));
                }
            }
        }
        Ok(out)
    }
}

/// A submitted email address: [`Email::parse`]'s shape, and no control character anywhere in
/// what was sent (a CR or LF around an address is refused, not trimmed away: it was an attempt
/// to add a mail header).
pub fn parse_email(raw: &str) -> Result<Email, Invalid> {
    if raw.chars().any(char::is_control) {
        return Err(Invalid::new(
            "must be one email address on one line, e.g. ana@example.com",
        ));
    }
    Email::parse(raw)
}

/// A submitted name: trimmed, 1 to [`MAX_NAME`] characters, no control characters (a line
/// break in a name could become a header in a mail that greets the person).
pub fn parse_name(raw: &str) -> Result<String, Invalid> {
    if raw.chars().any(char::is_control) {
        return Err(Invalid::new("must be one line without control characters"));
    }
    let name = raw.trim();
    if name.is_empty() {
        return Err(Invalid::new("is required"));
    }
    let len = name.chars().count();
    if len > MAX_NAME {
        return Err(Invalid::new(format!(
            "is {len} characters long; the limit is {MAX_NAME}"
        )));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEF: &str = r#"[
        {"key": "company", "label": "Company", "kind": "text", "required": true},
        {"key": "role", "label": "Your role", "kind": "select", "options": ["Marketing", "Sales"]},
        {"key": "news", "label": "Newsletter", "kind": "checkbox"},
        {"key": "terms", "label": "I accept", "kind": "checkbox", "required": true}
    ]"#;

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_definition_reads_and_writes_back() {
        let def = FormDefinition::parse(DEF).unwrap();
        assert_eq!(def.fields.len(), 4);
        assert_eq!(def.fields[1].kind, FieldKind::Select);
        assert!(!def.fields[1].required);
        assert_eq!(FormDefinition::parse(&def.to_json()).unwrap(), def);
        assert_eq!(FormDefinition::parse("[]").unwrap().fields.len(), 0);
    }

    #[test]
    fn bad_definitions_say_what_is_wrong() {
        for (json, says) in [
            ("{}", "is not a list of fields"),
            (r#"[{"key":"Co","label":"x","kind":"text"}]"#, "lowercase"),
            (
                r#"[{"key":"email","label":"x","kind":"text"}]"#,
                "taken by the form",
            ),
            (
                r#"[{"key":"website","label":"x","kind":"text"}]"#,
                "taken by the form",
            ),
            (
                r#"[{"key":"a","label":"x","kind":"text"},{"key":"a","label":"y","kind":"text"}]"#,
                "used twice",
            ),
            (
                r#"[{"key":"a","label":" ","kind":"text"}]"#,
                "needs a label",
            ),
            (
                r#"[{"key":"a","label":"x","kind":"select"}]"#,
                "needs options",
            ),
            (
                r#"[{"key":"a","label":"x","kind":"text","options":["1"]}]"#,
                "only a select",
            ),
            (
                r#"[{"key":"a","label":"x","kind":"radio"}]"#,
                "is not a list",
            ),
        ] {
            let err = FormDefinition::parse(json).unwrap_err();
            assert!(err.message.contains(says), "{json}: {}", err.message);
        }
    }

    #[test]
    fn answers_are_checked_and_name_their_field() {
        let def = FormDefinition::parse(DEF).unwrap();
        let ok = def
            .answers(&raw(&[
                ("company", "  Northwind "),
                ("role", "Sales"),
                ("terms", "on"),
                ("unknown", "dropped"),
            ]))
            .unwrap();
        assert_eq!(ok["company"], Answer::Text("Northwind".into()));
        assert_eq!(ok["role"], Answer::Text("Sales".into()));
        assert_eq!(ok["news"], Answer::Checked(false));
        assert_eq!(ok["terms"], Answer::Checked(true));
        assert!(!ok.contains_key("unknown"));
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"company":"Northwind","news":false,"role":"Sales","terms":true}"#
        );

        let long = "x".repeat(MAX_TEXT + 1);
        for (pairs, field, says) in [
            (vec![("terms", "on")], "fields.company", "is required"),
            (vec![("company", "A")], "fields.terms", "must be ticked"),
            (
                vec![("company", "A"), ("terms", "on"), ("role", "CEO")],
                "fields.role",
                "not one of the choices",
            ),
            (
                vec![("company", "A\r\nBcc: x@y.z"), ("terms", "on")],
                "fields.company",
                "one line",
            ),
            (
                vec![("company", &long), ("terms", "on")],
                "fields.company",
                "limit",
            ),
            (
                vec![("company", "A"), ("terms", "maybe")],
                "fields.terms",
                "checkbox",
            ),
        ] {
            let err = def.answers(&raw(&pairs)).unwrap_err();
            assert_eq!(err.field, field, "{pairs:?}");
            assert!(err.message.contains(says), "{pairs:?}: {}", err.message);
        }
    }

    #[test]
    fn emails_with_line_breaks_are_refused_not_trimmed() {
        assert_eq!(
            parse_email(" Ana@Example.com ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "ana@example.com\r\nBcc: all@example.com",
            "ana@example.com\n",
            "\rana@example.com",
            "ana@example.com\0",
            "ana@example.com\t",
            "ana",
            "<ana@example.com>",
            "ana@example.com, bob@example.com",
            "ana@example",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_one_line() {
        assert_eq!(parse_name("  Ana Virtanen ").unwrap(), "Ana Virtanen");
        assert_eq!(
            parse_name("<b>Ana</b>").unwrap(),
            "<b>Ana</b>",
            "escaped where shown"
        );
        for bad in [
            "",
            "   ",
            "Ana\r\nBcc: x@example.com",
            "Ana\n",
            "Ana\u{7}",
            &"x".repeat(MAX_NAME + 1),
        ] {
            assert!(parse_name(bad).is_err(), "{bad:?}");
        }
    }
}
