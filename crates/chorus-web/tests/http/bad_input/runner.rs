//! The runner: for each route, a proptest run of random bodies, each sent as one of
//! [`CALLERS`] (a page form with their session cookie and its CSRF token as the first field, a
//! JSON route with their API token) to a real object of the seeded world. Every answer is
//! checked: never a 5xx, and nothing stored on a 4xx (every table hashed before and after,
//! through the sweep's read-only connection). A failure is shrunk to a minimal body, recorded,
//! and the run goes on looking for failures of another kind (another status, other tables
//! changed) on the same route; the group reports them all at the end.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use serde_json::Value;

use super::bodies::{FormBody, JsonBody, Shape, form, json_body, shape_of};
use super::report::{Problem, audit_since, describe, gist, judge, last_audit};
use super::routes::Route;
use super::targets::{Obj, Target, make, restore_markets};
use super::values::Ids;
use crate::support::web_config;
use crate::sweep::harness::{Fingerprint, fingerprint};
use crate::sweep::inventory::normalize;
use crate::sweep::world::{Person, World};

/// Who sends the requests (personas of the sweep), with how often: the own market's lead
/// (who may do the most there, so the most bodies get past the door), editor, contributor,
/// community manager and analyst, a lead who contributes in the other market, an editor who
/// works the other market's inbox, the global lead, and an admin now and then. Shrinking
/// prefers the first.
pub const CALLERS: [(&str, usize); 9] = [
    ("lead_br", 4),
    ("editor_br", 2),
    ("contributor_br", 2),
    ("cm_br", 2),
    ("analyst_br", 1),
    ("lead_br_contributor_jp", 1),
    ("editor_br_cm_jp", 1),
    ("global_lead", 1),
    ("admin", 1),
];

/// Distinct failures looked for per route before moving on.
const MAX_FAILURES_PER_ROUTE: usize = 4;

#[derive(Debug, Clone)]
pub enum Body {
    Form(FormBody),
    Json(JsonBody),
}

impl Body {
    /// About how many bytes the body takes on the wire (at least).
    fn size(&self) -> usize {
        match self {
            Body::Json(j) => j.bytes.len(),
            Body::Form(f) => {
                let file = f.file.as_ref().map_or(0, |f| f.bytes.len());
                f.pairs
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
                    + file
            }
        }
    }
}

/// One case: who sends it (an index into [`CALLERS`]), which kind of object its path names
/// (an index into the route's [`Obj::kinds`]), and the body.
#[derive(Debug, Clone)]
pub struct Input {
    pub who: usize,
    pub kind: usize,
    pub body: Body,
}

#[derive(Default)]
struct Stats {
    cases: usize,
    requests: usize,
    statuses: BTreeMap<u16, usize>,
}

struct State {
    fingerprint: Fingerprint,
    /// The last audit entry's id.
    audit: i64,
    objects: HashMap<(&'static str, usize), Target>,
    stats: BTreeMap<&'static str, Stats>,
    failures: Vec<String>,
}

pub struct Fuzz<'a> {
    group: &'static str,
    w: &'a World,
    rt: &'a tokio::runtime::Runtime,
    ids: Ids,
    openapi: Value,
    http: reqwest::Client,
    db: rusqlite::Connection,
    state: RefCell<State>,
    cases: u32,
    seed: u64,
    started: Instant,
}

/// Cases per route: `CHORUS_PROPTEST_CASES`, or 48 (the five groups take about 25 s in debug).
pub fn cases() -> u32 {
    std::env::var("CHORUS_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Mixed into every route's seed: `CHORUS_PROPTEST_SEED`, or 0 (the same cases every run).
pub fn seed() -> u64 {
    std::env::var("CHORUS_PROPTEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl<'a> Fuzz<'a> {
    pub fn new(
        group: &'static str,
        w: &'a World,
        rt: &'a tokio::runtime::Runtime,
        ids: Ids,
        openapi: Value,
    ) -> Fuzz<'a> {
        let db = rusqlite::Connection::open_with_flags(
            w.app.db_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .unwrap();
        let state = State {
            fingerprint: fingerprint(&db),
            audit: last_audit(&db),
            objects: HashMap::new(),
            stats: BTreeMap::new(),
            failures: Vec::new(),
        };
        Fuzz {
            group,
            w,
            rt,
            ids,
            openapi,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(60))
                // A connection the server closed after refusing a body (413) is never reused.
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            db,
            state: RefCell::new(state),
            cases: cases(),
            seed: seed(),
            started: Instant::now(),
        }
    }

    /// The body strategy of `r`: its form, or its JSON schema from the OpenAPI document.
    fn bodies(&self, r: &Route) -> BoxedStrategy<Body> {
        // A multipart API route (a gated asset's upload) is fuzzed as its form.
        if !r.is_api() || r.upload.is_some() {
            return form(&self.ids, r.fields, r.upload)
                .prop_map(Body::Form)
                .boxed();
        }
        let wanted = normalize(r.route);
        let (path, item) = self.openapi["paths"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(p, item)| {
                normalize(&format!("{} {p}", r.method())) == wanted
                    && item.get(r.method().to_lowercase()).is_some()
            })
            .unwrap_or_else(|| panic!("{} is not in the OpenAPI document", r.route));
        let schema = &item[r.method().to_lowercase()]["requestBody"]["content"]["application/json"]
            ["schema"];
        let shape = shape_of(&self.openapi, schema);
        assert!(
            matches!(&shape, Shape::Object(p) if !p.is_empty()),
            "{} {path}: the OpenAPI document gives no body schema",
            r.route
        );
        json_body(&self.ids, &shape).prop_map(Body::Json).boxed()
    }

    /// Runs `r`'s cases; records each distinct failure, shrunk.
    pub fn route(&self, r: &Route) {
        let strategy = (
            select(
                (0..CALLERS.len())
                    .flat_map(|i| std::iter::repeat_n(i, CALLERS[i].1))
                    .collect::<Vec<_>>(),
            ),
            0..r.obj.kinds().len(),
            self.bodies(r),
        )
            .prop_map(|(who, kind, body)| Input { who, kind, body });
        self.state.borrow_mut().stats.entry(r.route).or_default();
        let mut known: Vec<String> = Vec::new();
        let mut remaining = self.cases;
        let mut round = 0u64;
        while remaining > 0 && known.len() < MAX_FAILURES_PER_ROUTE {
            let config = Config {
                cases: remaining,
                failure_persistence: None,
                max_shrink_iters: 256,
                max_shrink_time: 30_000,
                ..Config::default()
            };
            let mut runner = TestRunner::new_with_rng(config, self.rng(r, round));
            let calls = Cell::new(0u32);
            let failed_at = Cell::new(None::<u32>);
            let result = runner.run(&strategy, |input| {
                calls.set(calls.get() + 1);
                if failed_at.get().is_none() {
                    self.count_case(r);
                }
                match self.case(r, &input) {
                    Some(p) if !known.contains(&p.kind) => {
                        if failed_at.get().is_none() {
                            failed_at.set(Some(calls.get()));
                        }
                        Err(TestCaseError::fail(format!("{}\u{1f}{}", p.kind, p.detail)))
                    }
                    _ => Ok(()),
                }
            });
            match result {
                Ok(()) => break,
                Err(TestError::Fail(reason, input)) => {
                    // A panic in the case (not a problem of the answer) has no kind.
                    let (kind, detail) = reason
                        .message()
                        .split_once('\u{1f}')
                        .unwrap_or(("panic", reason.message()));
                    self.state.borrow_mut().failures.push(format!(
                        "{}\n    {}",
                        describe(r, &input),
                        detail
                    ));
                    known.push(kind.to_owned());
                    remaining = remaining.saturating_sub(failed_at.get().unwrap_or(remaining));
                    round += 1;
                }
                Err(TestError::Abort(reason)) => {
                    let mut st = self.state.borrow_mut();
                    st.failures
                        .push(format!("{}: proptest gave up: {reason}", r.route));
                    break;
                }
            }
        }
    }

    fn rng(&self, r: &Route, round: u64) -> TestRng {
        let mut seed = [0u8; 32];
        for (i, chunk) in seed.chunks_mut(8).enumerate() {
            let mut h = DefaultHasher::new();
            (r.route, round, self.seed, i).hash(&mut h);
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed)
    }

    fn count_case(&self, r: &Route) {
        if let Some(s) = self.state.borrow_mut().stats.get_mut(r.route) {
            s.cases += 1;
        }
    }

    fn person(&self, i: usize) -> &'a Person {
        self.w
            .people
            .iter()
            .find(|p| p.p.key == CALLERS[i].0)
            .unwrap()
    }

    /// The object of `r`'s `kind` for `who`: the kept one, or a fresh one.
    async fn target(&self, r: &Route, kind: usize, who: &Person) -> Target {
        let key = (r.route, kind);
        if !r.obj.per_case(who)
            && let Some(t) = self.state.borrow().objects.get(&key)
        {
            return t.clone();
        }
        let t = make(self.w, r.obj, kind, who).await;
        if !r.obj.per_case(who) {
            self.state.borrow_mut().objects.insert(key, t.clone());
        }
        self.refresh();
        t
    }

    /// Takes the database's fingerprint anew (after a change the tests made or allowed).
    fn refresh(&self) {
        let mut st = self.state.borrow_mut();
        st.fingerprint = fingerprint(&self.db);
        st.audit = last_audit(&self.db);
    }

    /// Sends one case and checks the answer.
    fn case(&self, r: &Route, input: &Input) -> Option<Problem> {
        self.rt.block_on(async {
            let who = self.person(input.who);
            let target = self.target(r, input.kind, who).await;
            let sent = self.request(r, &target, who, &input.body).send().await;
            let (status, location, text) = match sent {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let location = resp
                        .headers()
                        .get(LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    (status, location, resp.text().await.unwrap_or_default())
                }
                // The server refuses a body over its limit as soon as it has read that much
                // and closes the connection: the client may fail writing the rest.
                Err(_) if input.body.size() > web_config().max_body_bytes => (
                    413,
                    String::new(),
                    "refused while the body was being sent".into(),
                ),
                Err(e) => {
                    let mut why = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        why = format!("{why}: {s}");
                        source = s.source();
                    }
                    (0, String::new(), format!("no answer: {why}"))
                }
            };
            let after = fingerprint(&self.db);
            let (changed, audit) = {
                let mut st = self.state.borrow_mut();
                let stats = st.stats.entry(r.route).or_default();
                stats.requests += 1;
                *stats.statuses.entry(status).or_default() += 1;
                let changed: Vec<&str> = after
                    .iter()
                    .filter(|(t, h)| st.fingerprint.get(*t) != Some(h))
                    .map(|(t, _)| t.as_str())
                    .collect();
                let changed = changed.join(", ");
                (changed, audit_since(&self.db, st.audit))
            };
            let problem = judge(r, status, &location, &text, &changed, &audit);
            if std::env::var("CHORUS_BAD_INPUT_TRACE").is_ok_and(|t| r.route.contains(&t)) {
                eprintln!("{}\n    -> {status} {}", describe(r, input), gist(&text));
            }
            if !changed.is_empty() {
                self.state
                    .borrow_mut()
                    .objects
                    .remove(&(r.route, input.kind));
                if r.obj == Obj::Market && !who.p.is_admin() {
                    restore_markets(self.w).await;
                }
                self.refresh();
            }
            problem
        })
    }

    fn request(
        &self,
        r: &Route,
        target: &Target,
        who: &Person,
        body: &Body,
    ) -> reqwest::RequestBuilder {
        let url = format!("{}{}", self.w.app.base, r.path(target));
        let method = reqwest::Method::from_bytes(r.method().as_bytes()).unwrap();
        let rb = self.http.request(method, url);
        match body {
            Body::Json(j) => {
                let mut rb = rb.bearer_auth(&who.token).body(j.bytes.clone());
                if let Some(ct) = &j.content_type {
                    rb = rb.header(CONTENT_TYPE, ct);
                }
                rb
            }
            Body::Form(f) => {
                let (cookie, csrf) = match (&target.login, &target.session) {
                    (Some((c, t)), _) => (format!("chorus_login_csrf={c}"), t.clone()),
                    (None, Some((s, t))) => (format!("chorus_session={s}"), t.clone()),
                    (None, None) => (format!("chorus_session={}", who.session), who.csrf.clone()),
                };
                let rb = rb.header(COOKIE, cookie);
                if f.multipart {
                    let mut mp = reqwest::multipart::Form::new().text("csrf", csrf);
                    for (k, v) in &f.pairs {
                        mp = mp.text(k.clone(), v.clone());
                    }
                    if let Some(file) = &f.file {
                        let part = reqwest::multipart::Part::bytes(file.bytes.clone())
                            .file_name(file.name.clone())
                            .mime_str(&file.mime)
                            .unwrap();
                        mp = mp.part("file", part);
                    }
                    rb.multipart(mp)
                } else {
                    let mut pairs = vec![("csrf".to_owned(), csrf)];
                    pairs.extend(f.pairs.iter().cloned());
                    rb.form(&pairs)
                }
            }
        }
    }

    /// Prints the summary (a line per route with the statuses answered, then every failure)
    /// and fails if a case failed, a route of `routes` did not run, or a route never got past
    /// "not found" (its object is not real, so its bodies reached nothing).
    pub fn finish(self, routes: &[Route]) {
        let st = self.state.into_inner();
        let declared: BTreeSet<&str> = routes.iter().map(|r| r.route).collect();
        let ran: BTreeSet<&str> = st
            .stats
            .iter()
            .filter(|(_, s)| s.cases > 0)
            .map(|(r, _)| *r)
            .collect();
        let mut totals: BTreeMap<u16, usize> = BTreeMap::new();
        let (mut cases, mut requests) = (0, 0);
        let mut unreached = Vec::new();
        for (route, s) in &st.stats {
            cases += s.cases;
            requests += s.requests;
            for (status, n) in &s.statuses {
                *totals.entry(status / 100 * 100).or_default() += n;
            }
            let line: Vec<String> = s.statuses.iter().map(|(k, n)| format!("{k}×{n}")).collect();
            eprintln!("  {route}: {} cases; {}", s.cases, line.join(" "));
            if s.statuses.keys().all(|k| matches!(k, 404 | 405)) {
                unreached.push(*route);
            }
        }
        let classes: Vec<String> = totals
            .iter()
            .map(|(k, n)| format!("{}xx {n}", k / 100))
            .collect();
        eprintln!(
            "bad input {}: {} routes × {} cases (seed {}) = {cases} cases, {requests} requests \
             with shrinking ({}); {} failures, in {:.1} s",
            self.group,
            ran.len(),
            self.cases,
            self.seed,
            classes.join(", "),
            st.failures.len(),
            self.started.elapsed().as_secs_f64()
        );
        for f in &st.failures {
            eprintln!("FAIL {f}");
        }
        assert_eq!(
            ran, declared,
            "{}: the routes run differ from the group's table",
            self.group
        );
        assert!(
            unreached.is_empty(),
            "{}: these routes answered only 404/405, so no body reached them: {unreached:?}",
            self.group
        );
        assert!(
            st.failures.is_empty(),
            "bad input {}: {} failures (each shrunk to a minimal body):\n{}",
            self.group,
            st.failures.len(),
            st.failures.join("\n")
        );
    }
}
