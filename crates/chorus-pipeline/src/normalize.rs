//! Normalize stage for imported files: a JSON object or a CSV row becomes an [`Incoming`].
//!
//! Columns are found by name, case-insensitively, with the usual aliases (`text`/`content`/
//! `body`, `author`/`author_id`/`user`, `lang`/`language`, `created_at`/`publish_date`/`ts`, …),
//! so exports from other tools import as they are. A row without an id gets a stable URI derived
//! from its author, time and text: importing the same file twice stores each post once.

use sha2::{Digest, Sha256};

use crate::incoming::Incoming;

/// Why a record could not be turned into a post.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("no text column (expected one of: text, content, body, message)")]
    NoText,
    #[error("the text is empty (a post needs text in its text/content/body/message column)")]
    EmptyText,
    #[error("the line is not a JSON object: {0}")]
    Json(String),
    #[error(
        "{field}: {value:?} is not a time (expected RFC 3339, `YYYY-MM-DD HH:MM:SS` or Unix seconds)"
    )]
    BadTime { field: &'static str, value: String },
}

const URI: &[&str] = &["uri", "url", "id", "post_id", "tweet_id", "guid"];
const TEXT: &[&str] = &["text", "content", "body", "message"];
const AUTHOR: &[&str] = &[
    "author",
    "author_id",
    "user",
    "username",
    "screen_name",
    "handle",
];
const HANDLE: &[&str] = &["author_handle", "handle", "screen_name"];
const LANG: &[&str] = &["lang", "language", "langs"];
const TIME: &[&str] = &[
    "created_at",
    "publish_date",
    "published",
    "date",
    "time",
    "timestamp",
    "ts",
];
const COUNTRY: &[&str] = &["country", "country_code"];
const NETWORK: &[&str] = &["network", "source"];
const PARENT: &[&str] = &["reply_parent", "in_reply_to", "parent"];
const ROOT: &[&str] = &["reply_root", "thread_root", "root"];
const DOMAINS: &[&str] = &["domains", "link_domains"];

/// Where a file's column names point, resolved once per file from its header.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    uri: Option<usize>,
    text: Option<usize>,
    author: Option<usize>,
    handle: Option<usize>,
    lang: Option<usize>,
    time: Option<usize>,
    country: Option<usize>,
    network: Option<usize>,
    parent: Option<usize>,
    root: Option<usize>,
}

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h.eq_ignore_ascii_case(n)))
}

impl Columns {
    pub fn from_header(header: &[String]) -> Result<Columns, NormalizeError> {
        let text = find(header, TEXT).ok_or(NormalizeError::NoText)?;
        let author = find(header, AUTHOR);
        Ok(Columns {
            uri: find(header, URI),
            text: Some(text),
            author,
            handle: find(header, HANDLE).filter(|h| Some(*h) != author),
            lang: find(header, LANG),
            time: find(header, TIME),
            country: find(header, COUNTRY),
            network: find(header, NETWORK),
            parent: find(header, PARENT),
            root: find(header, ROOT),
        })
    }
}

/// What every record of one import shares.
#[derive(Debug, Clone)]
pub struct Context {
    /// Network name for records that do not say.
    pub network: String,
    /// Time for records without one (the import's start), ms.
    pub now_ms: i64,
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A CSV row → post.
pub fn csv_row(
    cols: &Columns,
    row: &csv::StringRecord,
    ctx: &Context,
) -> Result<Incoming, NormalizeError> {
    let get = |i: Option<usize>| nonempty(i.and_then(|i| row.get(i)));
    let text = get(cols.text).ok_or(NormalizeError::EmptyText)?;
    let time = match get(cols.time) {
        Some(t) => parse_time(&t).ok_or(NormalizeError::BadTime {
            field: "time",
            value: t,
        })?,
        None => ctx.now_ms,
    };
    build(Fields {
        uri: get(cols.uri),
        text,
        author: get(cols.author),
        handle: get(cols.handle),
        langs: get(cols.lang).into_iter().collect(),
        time,
        country: get(cols.country),
        network: get(cols.network),
        parent: get(cols.parent),
        root: get(cols.root),
        domains: Vec::new(),
        ctx,
    })
}

fn json_str<'a>(
    obj: &'a serde_json::Map<String, serde_json::Value>,
    names: &[&str],
) -> Option<&'a serde_json::Value> {
    names
        .iter()
        .find_map(|n| obj.get(*n).filter(|v| !v.is_null()))
}

fn as_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => nonempty(Some(s)),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON line → post. Accepts flat objects with the column aliases above, and the connectors'
/// own `Post` shape (`author: {id, handle}`, `langs: [...]`, `created_at`).
pub fn json_line(line: &str, ctx: &Context) -> Result<Incoming, NormalizeError> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| NormalizeError::Json(e.to_string()))?;
    let serde_json::Value::Object(obj) = value else {
        return Err(NormalizeError::Json("expected an object".into()));
    };
    let text = json_str(&obj, TEXT)
        .and_then(as_text)
        .ok_or(NormalizeError::NoText)?;
    let (author, mut handle) = match json_str(&obj, AUTHOR) {
        Some(serde_json::Value::Object(a)) => (
            a.get("id").and_then(as_text),
            a.get("handle").and_then(as_text),
        ),
        Some(v) => (as_text(v), None),
        None => (None, None),
    };
    if handle.is_none() {
        handle = json_str(&obj, HANDLE)
            .and_then(as_text)
            .filter(|h| Some(h) != author.as_ref());
    }
    let langs = match json_str(&obj, LANG) {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(as_text).collect(),
        Some(v) => as_text(v).into_iter().collect(),
        None => Vec::new(),
    };
    let time = match json_str(&obj, TIME) {
        Some(v) => {
            let raw = as_text(v).unwrap_or_default();
            parse_time(&raw).ok_or(NormalizeError::BadTime {
                field: "time",
                value: raw,
            })?
        }
        None => ctx.now_ms,
    };
    let domains = match json_str(&obj, DOMAINS) {
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(as_text).collect(),
        _ => Vec::new(),
    };
    let field = |names: &[&str]| json_str(&obj, names).and_then(as_text);
    build(Fields {
        uri: field(URI),
        text,
        author,
        handle,
        langs,
        time,
        country: field(COUNTRY),
        network: field(NETWORK),
        parent: field(PARENT),
        root: field(ROOT),
        domains,
        ctx,
    })
}

struct Fields<'a> {
    uri: Option<String>,
    text: String,
    author: Option<String>,
    handle: Option<String>,
    langs: Vec<String>,
    time: i64,
    country: Option<String>,
    network: Option<String>,
    parent: Option<String>,
    root: Option<String>,
    domains: Vec<String>,
    ctx: &'a Context,
}

fn build(f: Fields<'_>) -> Result<Incoming, NormalizeError> {
    let author = f
        .author
        .or_else(|| f.handle.clone())
        .unwrap_or_else(|| "unknown".to_owned());
    let network = f
        .network
        .and_then(|n| chorus_core::conversations::NetworkName::parse(&n).ok())
        .map(|n| n.as_str().to_owned())
        .unwrap_or_else(|| f.ctx.network.clone());
    let uri = f
        .uri
        .unwrap_or_else(|| synthetic_uri(&author, f.time, &f.text));
    let country = f
        .country
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|c| c.to_ascii_uppercase());
    Ok(Incoming {
        uri,
        network,
        author,
        author_handle: f.handle,
        text: f.text,
        declared_langs: f.langs.iter().filter_map(|l| language(l)).collect(),
        country,
        domains: f
            .domains
            .into_iter()
            .map(|d| d.to_ascii_lowercase())
            .collect(),
        posted_at_ms: f.time,
        reply_parent: f.parent,
        reply_root: f.root,
        quote_of: None,
        cid: None,
        link: None,
    })
}

/// `import:` + the first 128 bits of SHA-256(author, time, text), hex.
pub fn synthetic_uri(author: &str, time_ms: i64, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(author.as_bytes());
    h.update([0]);
    h.update(time_ms.to_le_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    let digest = h.finalize();
    format!("import:{}", hex::encode(&digest[..16]))
}

/// RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (taken as UTC), `YYYY-MM-DD`, or Unix seconds/millis.
pub fn parse_time(raw: &str) -> Option<i64> {
    let s = raw.trim();
    if let Ok(n) = s.parse::<i64>() {
        // Seconds until the year 5138, milliseconds after.
        return Some(if n.abs() < 100_000_000_000 {
            n * 1000
        } else {
            n
        });
    }
    utc_civil_fast(s.as_bytes()).or_else(|| parse_time_general(s))
}

/// RFC 3339, then civil date-times and dates as UTC, through jiff.
fn parse_time_general(s: &str) -> Option<i64> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    let civil = s.parse::<jiff::civil::DateTime>().ok().or_else(|| {
        s.parse::<jiff::civil::Date>()
            .ok()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    })?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM` (space or `T`), taken as UTC: the fields are
/// read by position and handed to jiff's constructor and UTC conversion, skipping its parser
/// (most exports write times this way, and parsing cost more than the rest of the row). `None`
/// sends anything else (other shapes, fields jiff refuses) to [`parse_time_general`], which
/// decides; a test checks both agree over the calendar's edges.
fn utc_civil_fast(s: &[u8]) -> Option<i64> {
    if s.len() != 19 && s.len() != 16 {
        return None;
    }
    let shape = s[4] == b'-'
        && s[7] == b'-'
        && matches!(s[10], b' ' | b'T')
        && s[13] == b':'
        && (s.len() == 16 || s[16] == b':');
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i16> {
        s[r].iter().try_fold(0i16, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i16::from(b - b'0'))
        })
    };
    let small = |r| num(r).and_then(|n| i8::try_from(n).ok());
    let second = if s.len() == 19 { small(17..19)? } else { 0 };
    let civil = jiff::civil::DateTime::new(
        num(0..4)?,
        small(5..7)?,
        small(8..10)?,
        small(11..13)?,
        small(14..16)?,
        second,
        0,
    )
    .ok()?;
    jiff::tz::Offset::UTC
        .to_timestamp(civil)
        .ok()
        .map(|t| t.as_millisecond())
}

/// A declared language → code: codes pass (`pt-BR` → `pt`); English names of languages map
/// (`English` → `en`, `Farsi (Persian)` → `fa`); anything else is dropped.
pub fn language(raw: &str) -> Option<String> {
    // Names first: no name is also a code (codes have 2–3 letters, names 4 or more), and a
    // name that fails as a code would build an error message for every row.
    let trimmed = raw.trim();
    let name = trimmed.split(" (").next().unwrap_or(trimmed);
    if let Some((_, code)) = LANGUAGE_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return Some((*code).to_owned());
    }
    chorus_core::conversations::language_code(raw)
        .ok()
        .filter(|c| c != "und")
}

const LANGUAGE_NAMES: &[(&str, &str)] = &[
    ("albanian", "sq"),
    ("arabic", "ar"),
    ("bengali", "bn"),
    ("bulgarian", "bg"),
    ("catalan", "ca"),
    ("chinese", "zh"),
    ("croatian", "hr"),
    ("czech", "cs"),
    ("danish", "da"),
    ("dutch", "nl"),
    ("english", "en"),
    ("estonian", "et"),
    ("farsi", "fa"),
    ("finnish", "fi"),
    ("french", "fr"),
    ("german", "de"),
    ("greek", "el"),
    ("gujarati", "gu"),
    ("hebrew", "he"),
    ("hindi", "hi"),
    ("hungarian", "hu"),
    ("icelandic", "is"),
    ("indonesian", "id"),
    ("italian", "it"),
    ("japanese", "ja"),
    ("korean", "ko"),
    ("kurdish", "ku"),
    ("latvian", "lv"),
    ("lithuanian", "lt"),
    ("macedonian", "mk"),
    ("malay", "ms"),
    ("norwegian", "no"),
    ("persian", "fa"),
    ("polish", "pl"),
    ("portuguese", "pt"),
    ("pushto", "ps"),
    ("romanian", "ro"),
    ("russian", "ru"),
    ("serbian", "sr"),
    ("simplified chinese", "zh"),
    ("slovak", "sk"),
    ("slovenian", "sl"),
    ("somali", "so"),
    ("spanish", "es"),
    ("swahili", "sw"),
    ("swedish", "sv"),
    ("tagalog", "tl"),
    ("thai", "th"),
    ("traditional chinese", "zh"),
    ("turkish", "tr"),
    ("ukrainian", "uk"),
    ("urdu", "ur"),
    ("uzbek", "uz"),
    ("vietnamese", "vi"),
];

#[cfg(test)]
mod tests;
