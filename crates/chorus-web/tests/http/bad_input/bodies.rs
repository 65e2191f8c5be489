//! Random bodies close enough to real ones to reach deep code: a page form's fields (each
//! present or not, in its plausible values or junk) with repeated and unknown keys, sent
//! urlencoded or as multipart (with a file for the routes that take one: an image, a CSV plan);
//! a JSON route's body built from its schema in the OpenAPI document (right types mostly,
//! wrong ones, nulls, duplicate and unknown keys), sometimes arbitrary JSON, sometimes bytes
//! that are not JSON at all or sent with another content type.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Value, json};

use super::values::{Ids, LEVELS, float, int_for, junk, plausible, string_for};
use crate::sweep::fixtures::PNG;

/// Keys besides a route's own: unknown, empty, odd, `csrf` again, `id` where it means nothing.
const JUNK_KEYS: &[&str] = &[
    "zzz",
    "",
    "csrf",
    "__proto__",
    "id",
    "market[]",
    "a.b",
    "ünï",
    "title ",
];

/// A file a form may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// The composer's image (`file`).
    Image,
    /// A content plan (`file`; urlencoded forms paste it in `csv`).
    Csv,
    /// A gated asset's document (`file`): a PDF.
    Document,
}

#[derive(Debug, Clone)]
pub struct FilePart {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// A page form's fields after the CSRF token, as sent.
#[derive(Debug, Clone)]
pub struct FormBody {
    pub pairs: Vec<(String, String)>,
    pub multipart: bool,
    pub file: Option<FilePart>,
}

/// A JSON route's body, as sent.
#[derive(Debug, Clone)]
pub struct JsonBody {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// A field's value: a CSV plan for `csv`, else [`string_for`].
fn value_for(ids: &Ids, field: &str, level: u32) -> BoxedStrategy<String> {
    match (field, level) {
        ("csv", 0) => csv(ids, 0),
        ("csv", _) => prop_oneof![4 => csv(ids, level), 1 => junk()].boxed(),
        _ => string_for(ids, field, level),
    }
}

/// A page form for `fields` (a name twice means the form repeats it), at every level.
pub fn form(ids: &Ids, fields: &[&str], upload: Option<Upload>) -> BoxedStrategy<FormBody> {
    let levels: Vec<(u32, BoxedStrategy<FormBody>)> = LEVELS
        .iter()
        .map(|(weight, level)| (*weight, form_at(ids, fields, upload, *level)))
        .collect();
    prop::strategy::Union::new_weighted(levels).boxed()
}

/// Each field present or not, its value at `level`; at a level above 0, now and then
/// repeated and unknown keys before or after the fields.
fn form_at(
    ids: &Ids,
    fields: &[&str],
    upload: Option<Upload>,
    level: u32,
) -> BoxedStrategy<FormBody> {
    let base: Vec<BoxedStrategy<Option<(String, String)>>> = fields
        .iter()
        .map(|f| {
            let key = (*f).to_owned();
            let present = if level == 0 { 0.97 } else { 0.85 };
            prop::option::weighted(present, value_for(ids, f, level))
                .prop_map(move |v| v.map(|v| (key.clone(), v)))
                .boxed()
        })
        .collect();
    let keys: Vec<String> = fields
        .iter()
        .chain(JUNK_KEYS)
        .map(|k| (*k).to_owned())
        .collect();
    let known: Vec<String> = fields
        .iter()
        .flat_map(|f| plausible(ids, f).all())
        .chain(["value".to_owned()])
        .collect();
    let extra_value = prop_oneof![select(known), junk()];
    let extras = if level == 0 {
        Just(Vec::new()).boxed()
    } else {
        prop_oneof![
            3 => Just(Vec::new()),
            1 => prop::collection::vec((any::<bool>(), select(keys), extra_value), 1..4),
        ]
        .boxed()
    };
    let multipart = prop::bool::weighted(if upload.is_some() { 0.7 } else { 0.15 });
    let file = match upload {
        Some(kind) => prop::option::weighted(0.95, file(ids, kind, level)).boxed(),
        None => Just(None).boxed(),
    };
    (base, extras, multipart, file)
        .prop_map(|(base, extras, multipart, file)| {
            let (before, after): (Vec<_>, Vec<_>) = extras.into_iter().partition(|e| e.0);
            let mut pairs: Vec<(String, String)> =
                before.into_iter().map(|(_, k, v)| (k, v)).collect();
            pairs.extend(base.into_iter().flatten());
            pairs.extend(after.into_iter().map(|(_, k, v)| (k, v)));
            FormBody {
                pairs,
                multipart,
                file: file.filter(|_| multipart),
            }
        })
        .boxed()
}

/// An uploaded file: at level 0 a real image or plan, above it also other bytes, names
/// and types.
fn file(ids: &Ids, kind: Upload, level: u32) -> BoxedStrategy<FilePart> {
    let (good_name, good_mime, good_bytes) = match kind {
        Upload::Image => ("upload.png", "image/png", Just(PNG.to_vec()).boxed()),
        Upload::Csv => (
            "plan.csv",
            "text/csv",
            csv(ids, 0).prop_map(String::into_bytes).boxed(),
        ),
        Upload::Document => (
            "paper.pdf",
            "application/pdf",
            Just(b"%PDF-1.4 fuzzed".to_vec()).boxed(),
        ),
    };
    if level == 0 {
        return good_bytes
            .prop_map(move |bytes| FilePart {
                name: good_name.into(),
                mime: good_mime.into(),
                bytes,
            })
            .boxed();
    }
    let name = select(vec![
        good_name.to_owned(),
        String::new(),
        "../../etc/passwd".into(),
        "名前 \"quoted\".gif".into(),
        "x".repeat(300),
    ]);
    let mime = select(vec![
        good_mime.to_owned(),
        "application/octet-stream".into(),
        "image/svg+xml".into(),
    ]);
    let bytes = match kind {
        Upload::Image => prop_oneof![
            3 => Just(PNG.to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..64)
                .prop_map(|tail| [b"GIF89a".as_slice(), &tail].concat()),
            1 => prop::collection::vec(any::<u8>(), 0..64)
                .prop_map(|tail| [[0xFF, 0xD8, 0xFF].as_slice(), &tail].concat()),
            1 => Just(b"RIFF\x10\x00\x00\x00WEBPVP8 ".to_vec()),
            1 => Just(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..64),
            1 => Just(Vec::new()),
        ]
        .boxed(),
        Upload::Document => prop_oneof![
            3 => Just(b"%PDF-1.7 fuzzed".to_vec()),
            1 => Just(PNG.to_vec()),
            1 => Just(b"<html><script>alert(1)</script>".to_vec()),
            1 => Just(b"PK\x03\x04".to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..64),
        ]
        .boxed(),
        Upload::Csv => prop_oneof![
            4 => csv(ids, level).prop_map(String::into_bytes),
            1 => prop::collection::vec(any::<u8>(), 0..64),
            1 => Just(b"\xFF\xFEs\x00t\x00".to_vec()),
        ]
        .boxed(),
    };
    (name, mime, bytes)
        .prop_map(|(name, mime, bytes)| FilePart { name, mime, bytes })
        .boxed()
}

/// The columns a content plan knows, in the order its rows are generated.
const CSV_COLUMNS: [&str; 9] = [
    "story",
    "market",
    "account",
    "locale",
    "text",
    "campaign",
    "principles",
    "brief",
    "time",
];

/// Headers: the sample's, one with every column, one missing a required column, one with a
/// column twice, one with the calendar export's columns, one with an unknown column.
const CSV_HEADERS: &[&[&str]] = &[
    &["story", "market", "account", "locale", "text", "campaign"],
    &[
        "text",
        "time",
        "brief",
        "principles",
        "campaign",
        "locale",
        "account",
        "market",
        "story",
    ],
    &["story", "market", "account", "text"],
    &["story", "market", "market", "account", "locale", "text"],
    &[
        "variant_id",
        "story",
        "market",
        "account",
        "locale",
        "text",
        "state",
        "utc",
    ],
    &["story", "market", "account", "locale", "text", "colour"],
    &[],
];

/// A content plan: a header and up to four rows, cells from each column's values; above level
/// 0 also other headers (a column missing, twice, unknown), junk cells and broken quoting.
pub fn csv(ids: &Ids, level: u32) -> BoxedStrategy<String> {
    let cell = |c: &str| {
        let field = match c {
            "story" => "title",
            "text" => "body",
            "principles" => "principle",
            "account" => "handle",
            other => other,
        };
        let pool = plausible(ids, field);
        let mut good = pool.good.clone();
        if matches!(c, "campaign" | "principles" | "brief" | "time") {
            good.insert(0, String::new());
        }
        if c == "account" {
            good = ids.handles().to_vec();
        }
        let canonical = match pool.fresh {
            Some(fresh) => (0..4u32).prop_map(fresh).boxed(),
            None => Just(good[0].clone()).boxed(),
        };
        if level == 0 {
            prop_oneof![3 => canonical, 2 => select(good)].boxed()
        } else {
            prop_oneof![
                4 => canonical,
                4 => select(good),
                2 => select(pool.all()),
                level => junk(),
            ]
            .boxed()
        }
    };
    let row: Vec<BoxedStrategy<String>> = CSV_COLUMNS.iter().map(|c| cell(c)).collect();
    let rows = prop::collection::vec(row, 0..4);
    let headers = if level == 0 {
        &CSV_HEADERS[..2]
    } else {
        CSV_HEADERS
    };
    let broken = prop::bool::weighted(if level == 0 { 0.0 } else { 0.1 });
    (select(headers), rows, broken)
        .prop_map(|(header, rows, broken)| {
            let quote = |s: &str| {
                if broken {
                    format!("\"{s}")
                } else if s.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s.to_owned()
                }
            };
            let mut out = header.join(",");
            for r in rows {
                out.push('\n');
                let cells: Vec<String> = header
                    .iter()
                    .map(|h| match CSV_COLUMNS.iter().position(|c| c == h) {
                        Some(i) => quote(&r[i]),
                        None => quote(&r[0]),
                    })
                    .collect();
                out.push_str(&cells.join(","));
            }
            out
        })
        .boxed()
}

/// A JSON body's shape, read from the OpenAPI document.
#[derive(Debug, Clone)]
pub enum Shape {
    Str,
    Int,
    Num,
    Bool,
    Nullable(Box<Shape>),
    Array(Box<Shape>),
    /// Properties with whether each is required.
    Object(Vec<(String, Shape, bool)>),
    Any,
}

/// The shape of `schema` (resolving `$ref` and `allOf` in `doc`).
pub fn shape_of(doc: &Value, schema: &Value) -> Shape {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return shape_of(doc, &doc["components"]["schemas"][name]);
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut props = Vec::new();
        for s in all {
            if let Shape::Object(p) = shape_of(doc, s) {
                props.extend(p);
            }
        }
        return Shape::Object(props);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let nullable = types.contains(&"null");
    let shape = match types.iter().find(|t| **t != "null").copied() {
        Some("string") => Shape::Str,
        Some("integer") => Shape::Int,
        Some("number") => Shape::Num,
        Some("boolean") => Shape::Bool,
        Some("array") => Shape::Array(Box::new(shape_of(doc, &schema["items"]))),
        Some("object") => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let props = schema["properties"]
                .as_object()
                .map(|p| {
                    p.iter()
                        .map(|(k, s)| (k.clone(), shape_of(doc, s), required.contains(&k.as_str())))
                        .collect()
                })
                .unwrap_or_default();
            Shape::Object(props)
        }
        _ => Shape::Any,
    };
    if nullable {
        Shape::Nullable(Box::new(shape))
    } else {
        shape
    }
}

/// Every property name in `shape`, nested ones included.
pub fn field_names(shape: &Shape) -> Vec<String> {
    match shape {
        Shape::Object(props) => props
            .iter()
            .flat_map(|(k, s, _)| std::iter::once(k.clone()).chain(field_names(s)))
            .collect(),
        Shape::Nullable(s) | Shape::Array(s) => field_names(s),
        _ => Vec::new(),
    }
}

/// Any JSON at all, its keys from `keys`.
fn any_json(keys: Vec<String>) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        float().prop_map(|f| json!(f)),
        junk().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(select(keys.clone()), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// A value of `shape` for the property `field` at `level`: of the right type, or (above
/// level 0, now and then) any JSON at all.
fn json_for(
    ids: &Ids,
    shape: &Shape,
    field: &str,
    keys: &[String],
    level: u32,
) -> BoxedStrategy<Value> {
    let typed = match shape {
        Shape::Str => string_for(ids, field, level)
            .prop_map(Value::String)
            .boxed(),
        Shape::Int => int_for(ids, field, level).prop_map(|n| json!(n)).boxed(),
        Shape::Num if level == 0 => int_for(ids, field, 0).prop_map(|n| json!(n)).boxed(),
        Shape::Num => prop_oneof![
            float().prop_map(|f| json!(f)),
            int_for(ids, field, level).prop_map(|n| json!(n)),
        ]
        .boxed(),
        Shape::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::Nullable(inner) => prop_oneof![
            4 => json_for(ids, inner, field, keys, level),
            1 => Just(Value::Null),
        ]
        .boxed(),
        Shape::Array(item) => prop::collection::vec(json_for(ids, item, field, keys, level), 0..4)
            .prop_map(Value::Array)
            .boxed(),
        Shape::Object(props) => object(ids, props, keys, level)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
            .boxed(),
        Shape::Any => any_json(keys.to_vec()),
    };
    if level == 0 {
        typed
    } else {
        prop_oneof![24 => typed, level.div_ceil(4) => any_json(keys.to_vec())].boxed()
    }
}

/// An object's properties (required ones mostly present, optional ones half the time) and,
/// above level 0 now and then, a repeated or unknown key.
fn object(
    ids: &Ids,
    props: &[(String, Shape, bool)],
    keys: &[String],
    level: u32,
) -> BoxedStrategy<Vec<(String, Value)>> {
    let base: Vec<BoxedStrategy<Option<(String, Value)>>> = props
        .iter()
        .map(|(k, s, required)| {
            let key = k.clone();
            let p = match (*required, level) {
                (true, 0) => 0.98,
                (true, _) => 0.9,
                (false, _) => 0.5,
            };
            prop::option::weighted(p, json_for(ids, s, k, keys, level))
                .prop_map(move |v| v.map(|v| (key.clone(), v)))
                .boxed()
        })
        .collect();
    let extras = if level == 0 {
        Just(Vec::new()).boxed()
    } else {
        prop_oneof![
            6 => Just(Vec::new()),
            1 => prop::collection::vec((select(keys.to_vec()), any_json(keys.to_vec())), 1..3),
        ]
        .boxed()
    };
    (base, extras)
        .prop_map(|(base, extras)| base.into_iter().flatten().chain(extras).collect())
        .boxed()
}

/// An object's text, duplicate keys kept.
fn object_text(pairs: &[(String, Value)]) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
        .collect();
    format!("{{{}}}", items.join(","))
}

/// A JSON route's body for `shape`: an object of that shape at one of the levels; any JSON;
/// or bytes that are not JSON (random, cut short, trailing text, a byte-order mark, nesting
/// deeper than the parser allows, a form); mostly sent as `application/json`.
pub fn json_body(ids: &Ids, shape: &Shape) -> BoxedStrategy<JsonBody> {
    let keys: Vec<String> = field_names(shape)
        .into_iter()
        .chain(JUNK_KEYS.iter().map(|k| (*k).to_owned()))
        .collect();
    let props = match shape {
        Shape::Object(p) => p.clone(),
        _ => Vec::new(),
    };
    let typed: Vec<(u32, BoxedStrategy<Vec<u8>>)> = LEVELS
        .iter()
        .map(|(weight, level)| {
            let s = object(ids, &props, &keys, *level)
                .prop_map(|pairs| object_text(&pairs).into_bytes())
                .boxed();
            (*weight * 4, s)
        })
        .collect();
    let not_json = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        (object(ids, &props, &keys, 0), any::<Index>()).prop_map(|(pairs, at)| {
            let text = object_text(&pairs).into_bytes();
            text[..at.index(text.len().max(1)).min(text.len())].to_vec()
        }),
        Just(Vec::new()),
        Just(b"{\"a\":1} trailing".to_vec()),
        Just("\u{feff}{}".as_bytes().to_vec()),
        Just("[".repeat(300).into_bytes()),
        Just(b"market=BR&title=x".to_vec()),
    ];
    let bytes = prop_oneof![
        18 => prop::strategy::Union::new_weighted(typed),
        1 => any_json(keys.clone()).prop_map(|v| v.to_string().into_bytes()),
        1 => not_json,
    ];
    let content_type = prop_oneof![
        24 => Just(Some("application/json".to_owned())),
        1 => select(vec![
            None,
            Some("text/plain".to_owned()),
            Some("application/x-www-form-urlencoded".into()),
            Some("application/json; charset=utf-16".into()),
            Some("application/merge-patch+json".into()),
        ]),
    ];
    (bytes, content_type)
        .prop_map(|(bytes, content_type)| JsonBody {
            bytes,
            content_type,
        })
        .boxed()
}
