//! The sweep's runner: sends a case's request as a persona (the API with their token, a page
//! with their session cookie and CSRF token), then checks the status, that the database did not
//! change where nothing may change (every table's rows hashed before and after, read through a
//! read-only SQLite connection), and that the answer names nothing the persona may not know.
//! Failures are collected, not raised, so one run reports every failing case.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::Value;

use super::model::{MARKETS, Mkt, PERSONAS, Persona, Place, Power, Want};
use super::world::{Person, World};

/// How a request reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer` with the persona's API token.
    Api,
    /// The persona's session cookie; the CSRF token in the form (or a header for uploads).
    Page,
}

#[derive(Debug, Clone)]
pub enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
    /// A multipart image upload (`file`, `alt`), as the composer's htmx form sends it.
    Upload {
        bytes: Vec<u8>,
        alt: String,
    },
    /// A multipart form with a document (`file`, a PDF) and text fields, as the gated asset
    /// form and the API send it; a page's CSRF token goes in the form.
    Asset {
        fields: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone)]
pub struct Req {
    pub via: Via,
    pub method: Method,
    pub path: String,
    pub body: Body,
    /// Another session of the persona (`/logout` ends the one it is sent with).
    pub session: Option<(String, String)>,
}

pub fn get(path: impl Into<String>) -> Req {
    Req {
        via: Via::Api,
        method: Method::GET,
        path: path.into(),
        body: Body::None,
        session: None,
    }
}

pub fn send(method: Method, path: impl Into<String>, body: Value) -> Req {
    Req {
        via: Via::Api,
        method,
        path: path.into(),
        body: Body::Json(body),
        session: None,
    }
}

pub fn post(path: impl Into<String>, body: Value) -> Req {
    send(Method::POST, path, body)
}

pub fn put(path: impl Into<String>, body: Value) -> Req {
    send(Method::PUT, path, body)
}

pub fn delete(path: impl Into<String>) -> Req {
    Req {
        method: Method::DELETE,
        ..get(path)
    }
}

/// A page form post.
pub fn form(path: impl Into<String>, fields: &[(&str, &str)]) -> Req {
    Req {
        via: Via::Page,
        method: Method::POST,
        path: path.into(),
        body: Body::Form(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
        session: None,
    }
}

/// What a case is: the route (as the inventory names it), the object's place, a note telling
/// cases of one route and place apart, and the markets the request itself names by code (a
/// refusal may repeat their names).
#[derive(Debug, Clone)]
pub struct Case {
    pub route: &'static str,
    pub place: Place,
    pub note: String,
    pub names: Vec<Mkt>,
    /// Markers the admin's answer must contain: proof that the data the leak checks look for
    /// is in the answer when it may be.
    pub control: Vec<&'static str>,
}

impl Case {
    pub fn new(route: &'static str, place: Place) -> Case {
        Case {
            route,
            place,
            note: String::new(),
            names: Vec::new(),
            control: Vec::new(),
        }
    }

    /// The admin's answer shows these markers (see [`Case::control`]).
    pub fn showing(mut self, markers: &[&'static str]) -> Case {
        self.control = markers.to_vec();
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Case {
        self.note = note.into();
        self
    }

    /// The request names these markets by code.
    pub fn naming(mut self, markets: &[Mkt]) -> Case {
        self.names = markets.to_vec();
        self
    }
}

/// Rows of every table, hashed per table.
pub type Fingerprint = BTreeMap<String, u64>;

pub struct Sweep {
    group: &'static str,
    http: reqwest::Client,
    base: String,
    db: rusqlite::Connection,
    cases: usize,
    objects: BTreeSet<(&'static str, Place, String)>,
    routes: BTreeSet<&'static str>,
    failures: Vec<String>,
    started: std::time::Instant,
}

pub struct Outcome {
    /// Whether the database changed.
    pub changed: bool,
}

impl Sweep {
    pub fn new(group: &'static str, w: &World) -> Sweep {
        let db = rusqlite::Connection::open_with_flags(
            w.app.db_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .unwrap();
        Sweep {
            group,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: w.app.base.clone(),
            db,
            cases: 0,
            objects: BTreeSet::new(),
            routes: BTreeSet::new(),
            failures: Vec::new(),
            started: std::time::Instant::now(),
        }
    }

    /// Runs `case` as every persona, refusals first: those expected to be refused meet one
    /// shared object; each expected write gets a fresh one from `make` (and so does the next
    /// refusal after one that changed the database after all).
    pub async fn each<T: Clone>(
        &mut self,
        w: &World,
        case: Case,
        mut make: impl AsyncFnMut(&Person) -> T,
        want: impl Fn(&Persona) -> Want,
        req: impl Fn(&T, &Person) -> Req,
    ) {
        let mut order: Vec<&Person> = w.people.iter().collect();
        order.sort_by_key(|p| want(p.p).writes());
        let mut shared: Option<T> = None;
        for who in order {
            let expected = want(who.p);
            let obj = match (&shared, expected.writes()) {
                (Some(s), false) => s.clone(),
                (None, false) => {
                    let s = make(who).await;
                    shared = Some(s.clone());
                    s
                }
                (_, true) => make(who).await,
            };
            let out = self.check(w, who, &case, expected, req(&obj, who)).await;
            if out.changed && !expected.writes() {
                shared = None;
            }
        }
    }

    /// Sends one request as `who` and checks the answer against `want`.
    async fn check(
        &mut self,
        w: &World,
        who: &Person,
        case: &Case,
        want: Want,
        req: Req,
    ) -> Outcome {
        self.cases += 1;
        self.routes.insert(case.route);
        self.objects
            .insert((case.route, case.place, case.note.clone()));
        let before = fingerprint(&self.db);
        let (status, body) = self.send(who, &req).await;
        let after = fingerprint(&self.db);
        let changed: Vec<&str> = after
            .iter()
            .filter(|(t, h)| before.get(*t) != Some(h))
            .map(|(t, _)| t.as_str())
            .collect();
        let mut problems = Vec::new();
        if status != want.status() {
            problems.push(format!(
                "want {}, got {status} ({})",
                want.status(),
                gist(&body)
            ));
        }
        if !want.writes() && !changed.is_empty() {
            problems.push(format!("the database changed: {}", changed.join(", ")));
        }
        if matches!(want, Want::Done(_)) && status == want.status() && changed.is_empty() {
            problems.push("answered success but changed nothing".into());
        }
        let lower = body.to_lowercase();
        if who.p.is_admin() && status < 400 {
            for m in &case.control {
                if !lower.contains(&m.to_lowercase()) {
                    problems.push(format!(
                        "the admin's answer lacks {m}: the leak check proves nothing"
                    ));
                }
            }
        }
        let leaked: Vec<String> = forbidden(w, who, case, status >= 400)
            .into_iter()
            .filter(|m| lower.contains(&m.to_lowercase()))
            .collect();
        if !leaked.is_empty() {
            problems.push(format!("the answer ({status}) names {}", leaked.join(", ")));
        }
        if !problems.is_empty() {
            let note = if case.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", case.note)
            };
            self.failures.push(format!(
                "{} × {} × {}{note}: {}",
                case.route,
                who.p.key,
                case.place.label(),
                problems.join("; ")
            ));
        }
        Outcome {
            changed: !changed.is_empty(),
        }
    }

    async fn send(&self, who: &Person, req: &Req) -> (u16, String) {
        let url = format!("{}{}", self.base, req.path);
        let mut rb = self.http.request(req.method.clone(), url);
        let (session, csrf) = req
            .session
            .clone()
            .unwrap_or_else(|| (who.session.clone(), who.csrf.clone()));
        rb = match req.via {
            Via::Api => rb.bearer_auth(&who.token),
            Via::Page => rb.header(COOKIE, format!("chorus_session={session}")),
        };
        rb = match &req.body {
            Body::None => rb,
            Body::Asset { fields } => {
                let part = reqwest::multipart::Part::bytes(b"%PDF-1.4 sweep".to_vec())
                    .file_name("sweep.pdf")
                    .mime_str("application/pdf")
                    .unwrap();
                let mut mp = reqwest::multipart::Form::new().part("file", part);
                for (k, v) in fields {
                    mp = mp.text(k.clone(), v.clone());
                }
                if req.via == Via::Page {
                    mp = mp.text("csrf", csrf);
                }
                rb.multipart(mp)
            }
            Body::Json(v) => rb.json(v),
            Body::Form(fields) => {
                let mut f = fields.clone();
                f.push(("csrf".into(), csrf));
                rb.form(&f)
            }
            Body::Upload { bytes, alt } => {
                let part = reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name("upload.png")
                    .mime_str("image/png")
                    .unwrap();
                let mp = reqwest::multipart::Form::new()
                    .part("file", part)
                    .text("alt", alt.clone());
                rb.header("x-csrf-token", csrf)
                    .header("hx-request", "true")
                    .multipart(mp)
            }
        };
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// Prints the summary line and fails with every failing case; checks the group ran every
    /// route it declares, and no other.
    pub fn finish(self, routes: &[&str]) {
        let ran: BTreeSet<&str> = self.routes.iter().copied().collect();
        let declared: BTreeSet<&str> = routes.iter().copied().collect();
        assert_eq!(
            ran, declared,
            "{}: the routes run differ from the group's ROUTES",
            self.group
        );
        let places: BTreeSet<&str> = self.objects.iter().map(|(_, p, _)| p.label()).collect();
        eprintln!(
            "sweep {}: {} routes × {} personas × {} places ({}; {} route-object kinds) = {} \
             cases checked, {} failed, in {:.1} s",
            self.group,
            ran.len(),
            PERSONAS.len(),
            places.len(),
            places.into_iter().collect::<Vec<_>>().join(", "),
            self.objects.len(),
            self.cases,
            self.failures.len(),
            self.started.elapsed().as_secs_f64()
        );
        assert!(
            self.failures.is_empty(),
            "sweep {}: {} of {} cases failed:\n{}",
            self.group,
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

/// The gist of an answer for a report: the JSON error's message, or the page's message (an
/// error page's text, an error flash) or title.
fn gist(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return match v["error"]["message"].as_str() {
            Some(m) => m.to_owned(),
            None => body.chars().take(120).collect(),
        };
    }
    let after = |marker: &str| {
        let at = body.find(marker)? + marker.len();
        let rest = &body[at..];
        let rest = &rest[rest.find('>')? + 1..];
        Some(
            rest[..rest.find('<').unwrap_or(rest.len())]
                .trim()
                .to_owned(),
        )
    };
    after("empty-state__text")
        .or_else(|| after("flash--error"))
        .or_else(|| after("<title"))
        .unwrap_or_else(|| body.chars().take(120).collect())
        .chars()
        .take(160)
        .collect()
}

/// What an answer to `who` must not contain: data of markets and areas they may not read,
/// users they may not know of, and — in a refusal — names of markets they do not work in,
/// unless the request named that market itself.
fn forbidden(w: &World, who: &Person, case: &Case, refusal: bool) -> Vec<String> {
    let p = who.p;
    let mut out = Vec::new();
    for m in MARKETS {
        if !p.can(Power::ReadStories, m) {
            out.push(format!("STORY-{}", m.code()));
        }
        if !p.can(Power::ReadConversations, m) {
            out.push(format!("CONV-{}", m.code()));
        }
        if !p.sees_campaign(&[m]) {
            out.push(format!("CAMP-{}", m.code()));
        }
        if !p.can(Power::ManageReach, m) && !p.can(Power::ReadLeads, m) {
            out.push(format!("OFFER-{}", m.code()));
        }
        if !p.can(Power::ReadLeads, m) {
            out.push(format!("LEAD-{}", m.code()));
        }
        if refusal && !p.works_in(m) && !case.names.contains(&m) {
            out.push(m.name().to_owned());
        }
    }
    if !p.can_in_any(Power::ReadConversations, &MARKETS) {
        out.push("CONV-BOTH".into());
    }
    if !p.sees_campaign(&MARKETS) {
        out.push("CAMP-BOTH".into());
    }
    for u in w.users().iter() {
        if u.id != who.id && !p.may_know(&u.roles) {
            out.push(u.tag.clone());
        }
    }
    out
}

/// Every table's rows, hashed (order-independent); sessions and the last use of API tokens are
/// left out (signing in and using a token is not a change a refusal could make).
pub fn fingerprint(db: &rusqlite::Connection) -> Fingerprint {
    let mut tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.retain(|t| t != "sessions");
    let mut out = Fingerprint::new();
    for t in tables {
        let columns: Vec<String> = db
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .filter(|c: &String| !(t == "api_tokens" && c == "last_used_at"))
            .collect();
        let list = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = db.prepare(&format!("SELECT {list} FROM \"{t}\"")).unwrap();
        let n = columns.len();
        let mut rows: Vec<u64> = stmt
            .query_map([], |r| {
                let mut h = DefaultHasher::new();
                for i in 0..n {
                    match r.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => 0u8.hash(&mut h),
                        rusqlite::types::ValueRef::Integer(x) => x.hash(&mut h),
                        rusqlite::types::ValueRef::Real(x) => x.to_bits().hash(&mut h),
                        rusqlite::types::ValueRef::Text(x) | rusqlite::types::ValueRef::Blob(x) => {
                            x.hash(&mut h)
                        }
                    }
                }
                Ok(h.finish())
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort_unstable();
        let mut h = DefaultHasher::new();
        rows.hash(&mut h);
        out.insert(t, h.finish());
    }
    out
}
