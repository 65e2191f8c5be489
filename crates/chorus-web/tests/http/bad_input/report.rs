//! What the bad-input tests say about an answer: whether it is a failure (a 5xx; a 4xx that
//! changed the database; a caller signed out by a request that should not), the gist of the
//! answer, the audit entries a change wrote, and a failing case as the report shows it.

use serde_json::Value;

use super::routes::Route;
use super::runner::{Body, CALLERS, Input};
use super::targets::Obj;

/// What was wrong with one answer: its kind (a new kind is shrunk and reported) and the story.
pub struct Problem {
    pub kind: String,
    pub detail: String,
}

/// What is wrong with an answer, if anything.
pub fn judge(
    r: &Route,
    status: u16,
    location: &str,
    text: &str,
    changed: &str,
    audit: &str,
) -> Option<Problem> {
    if status == 0 || status >= 500 {
        return Some(Problem {
            kind: format!("{status}"),
            detail: format!("answered {status}: {}", gist(text)),
        });
    }
    if (400..500).contains(&status) && !changed.is_empty() {
        return Some(Problem {
            kind: format!("{status}, changed {changed}"),
            detail: format!(
                "answered {status} ({}) but the database changed: {changed}{audit}",
                gist(text)
            ),
        });
    }
    let signed_out = status == 401 || location.starts_with("/login");
    if signed_out && !matches!(r.obj, Obj::Session | Obj::Login) {
        return Some(Problem {
            kind: "signed out".into(),
            detail: format!("the caller's session or token no longer works ({status})"),
        });
    }
    None
}

pub fn last_audit(db: &rusqlite::Connection) -> i64 {
    db.query_row("SELECT COALESCE(MAX(id), 0) FROM audit_log", [], |r| {
        r.get(0)
    })
    .unwrap()
}

/// The audit entries written after entry `since`, for a report.
pub fn audit_since(db: &rusqlite::Connection, since: i64) -> String {
    let mut stmt = db
        .prepare(
            "SELECT action, subject_type, subject_id FROM audit_log WHERE id > ?1 ORDER BY id \
             LIMIT 5",
        )
        .unwrap();
    let entries: Vec<String> = stmt
        .query_map([since], |row| {
            Ok(format!(
                "{} {} {}",
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    if entries.is_empty() {
        String::new()
    } else {
        format!(" (audit: {})", entries.join("; "))
    }
}

/// The answer's message: a JSON error's, the page's error flash or title, or its start.
pub fn gist(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(text)
        && let Some(m) = v["error"]["message"].as_str()
    {
        return cut(m, 300);
    }
    if let Some(at) = text.find("class=\"error-summary") {
        let rest = &text[at..];
        let rest = &rest[rest.find('>').map_or(0, |i| i + 1)..];
        let end = ["</ul>", "</table>", "</section>", "</div>"]
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .unwrap_or(rest.len());
        return cut(&words(&rest[..end]), 300);
    }
    for marker in [
        "flash--error",
        "field__error",
        "empty-state__text",
        "<title",
    ] {
        if let Some(at) = text.find(marker) {
            let rest = &text[at..];
            if let Some(gt) = rest.find('>') {
                let rest = &rest[gt + 1..];
                let end = rest.find('<').unwrap_or(rest.len());
                return cut(rest[..end].trim(), 300);
            }
        }
    }
    cut(text, 300)
}

/// The text of an HTML fragment, tags dropped, white space collapsed.
fn words(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value as a report shows it: escaped, cut after `max` characters.
fn cut(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n > max {
        let head: String = s.chars().take(max / 2).collect();
        format!("{}…({n} chars)", head.escape_debug())
    } else {
        s.escape_debug().to_string()
    }
}

fn short(s: &str) -> String {
    cut(s, 80)
}

/// A minimal failing case as the report shows it: route, caller, object and body.
pub fn describe(r: &Route, input: &Input) -> String {
    let who = if r.obj == Obj::Login {
        "nobody signed in"
    } else {
        CALLERS[input.who].0
    };
    let kind = r.obj.kinds()[input.kind];
    let body = match &input.body {
        Body::Form(f) => {
            let pairs: Vec<String> = f
                .pairs
                .iter()
                .map(|(k, v)| format!("{}={}", short(k), short(v)))
                .collect();
            let mut parts = vec!["csrf=<token>".to_owned()];
            parts.extend(pairs);
            if let Some(file) = &f.file {
                let head: Vec<String> = file
                    .bytes
                    .iter()
                    .take(12)
                    .map(|b| format!("{b:02x}"))
                    .collect();
                parts.push(format!(
                    "file=({:?}, {}, {} bytes: {}…)",
                    short(&file.name),
                    file.mime,
                    file.bytes.len(),
                    head.join("")
                ));
            }
            if f.multipart {
                format!("multipart [{}]", parts.join("; "))
            } else {
                format!("urlencoded {}", parts.join("&"))
            }
        }
        Body::Json(j) => format!(
            "{} {}",
            j.content_type.as_deref().unwrap_or("(no content type)"),
            cut(&String::from_utf8_lossy(&j.bytes), 600)
        ),
    };
    let on = if kind == "-" {
        String::new()
    } else {
        format!(" on the {kind}")
    };
    format!("{} as {who}{on}: {body}", r.route)
}
