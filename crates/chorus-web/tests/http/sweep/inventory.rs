//! Which routes exist, and whether the sweep covers them all.
//!
//! The API's routes come from the OpenAPI document the server serves and from the `.route(`
//! calls under `src/api`; the pages' state-changing routes (every method but GET) from the
//! `.route(` calls under `src/ui`, read at test time. A route added to the router without a case
//! in the sweep fails [`every_route_is_in_the_sweep`], which names it: add it to a group's
//! `ROUTES` with its expectations. Each group checks in turn that it ran exactly the routes it
//! lists, so a listed route cannot go untested.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::spawn_app;

/// Routes the sweep leaves out, and why.
pub const EXEMPT: [(&str, &str); 6] = [
    (
        "GET /api/openapi.json",
        "the public description of the API; this test reads it",
    ),
    (
        "POST /login",
        "signing in has no caller yet; tests/http/auth.rs covers it",
    ),
    (
        "POST /r/{slug}",
        "Reach's public form has no caller (a visitor); tests/http/reach_public covers it",
    ),
    (
        "POST /r/confirm/{token}",
        "a visitor's confirmation, by the token in its address; tests/http/reach_public",
    ),
    (
        "POST /r/unsubscribe/{signed}",
        "a visitor's withdrawal, by the signed link; tests/http/reach_public",
    ),
    (
        "POST /r/prefs/{token}",
        "a visitor's preference page, by its token; tests/http/reach_public",
    ),
];

/// `METHOD /path` with every `{param}` written `{}`, so names need not agree.
pub fn normalize(route: &str) -> String {
    let mut out = String::with_capacity(route.len());
    let mut in_param = false;
    for c in route.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

/// The `(METHOD, path)` pairs of the `.route(` calls in a source file.
fn routes_in(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(open) = rest.find('"') else { break };
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let path = &after[..close];
        let tail = &after[close + 1..];
        let mut depth = 1;
        let mut end = tail.len();
        for (i, c) in tail.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let router = &tail[..end];
        for (i, _) in router.match_indices('(') {
            let ident: String = router[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let method = match ident.as_str() {
                "get" => "GET",
                "post" => "POST",
                "put" => "PUT",
                "patch" => "PATCH",
                "delete" | "delete_route" => "DELETE",
                _ => continue,
            };
            out.push((method.to_owned(), path.to_owned()));
        }
        rest = tail;
    }
    out
}

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

/// The `(METHOD, path)` pairs of the `.route(` calls under `src/<sub>`.
pub fn source_routes(sub: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(sub);
    sources(&dir).iter().flat_map(|s| routes_in(s)).collect()
}

/// The routes the sweep's groups declare.
pub fn swept() -> BTreeSet<String> {
    [
        super::api_org::ROUTES,
        super::api_stories::ROUTES,
        super::api_conv::ROUTES,
        super::api_numbers::ROUTES,
        super::pages_admin::ROUTES,
        super::pages_stories::ROUTES,
        super::pages_conv::ROUTES,
        super::reach::ROUTES,
        super::webinars::ROUTES,
        super::webhooks::ROUTES,
        super::sso::ROUTES,
    ]
    .iter()
    .flat_map(|r| r.iter())
    .map(|r| normalize(r))
    .collect()
}

#[tokio::test]
async fn every_route_is_in_the_sweep() {
    let app = spawn_app().await;
    let doc: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert(normalize(&format!(
                    "{} {path}",
                    method.to_ascii_uppercase()
                )));
            }
        }
    }
    let exempt: BTreeSet<String> = EXEMPT.iter().map(|(r, _)| normalize(r)).collect();
    let api: BTreeSet<String> = source_routes("api")
        .into_iter()
        .map(|(m, p)| normalize(&format!("{m} /api{p}")))
        .collect();
    let undocumented: Vec<&String> = api
        .iter()
        .filter(|r| !documented.contains(*r) && !exempt.contains(*r))
        .collect();
    assert!(
        undocumented.is_empty(),
        "API routes missing from the OpenAPI document: {undocumented:?}"
    );
    let pages: BTreeSet<String> = source_routes("ui")
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .map(|(m, p)| normalize(&format!("{m} {p}")))
        .collect();
    assert!(
        pages.len() > 40 && api.len() > 50,
        "the source scan found too few routes ({} pages, {} API): did the router's shape change?",
        pages.len(),
        api.len()
    );
    let all: BTreeSet<String> = documented
        .iter()
        .chain(&api)
        .chain(&pages)
        .cloned()
        .collect();
    let swept = swept();
    let missing: Vec<&String> = all
        .iter()
        .filter(|r| !swept.contains(*r) && !exempt.contains(*r))
        .collect();
    assert!(
        missing.is_empty(),
        "routes the authorization sweep does not cover (add each to a group's ROUTES in \
         tests/http/sweep/ with its expected outcomes): {missing:?}"
    );
    let stale: Vec<&String> = swept.iter().filter(|r| !all.contains(*r)).collect();
    assert!(
        stale.is_empty(),
        "the sweep lists routes that no longer exist: {stale:?}"
    );
    eprintln!(
        "sweep inventory: {} API routes (OpenAPI and router) and {} page posts; {} swept, {} exempt",
        documented.union(&api).count(),
        pages.len(),
        swept.len(),
        EXEMPT.len()
    );
}

#[test]
fn the_source_scan_reads_every_shape_of_route() {
    let src = r#"
        .route("/a/{id}", get(show).post(update))
        .route("/b", axum::routing::post(story_form::create))
        .route("/c/{x}", delete_route(delete_team))
        .route("/d", get(get_one).put(update).delete(delete))
        .route("/", get(|| async { Redirect::to("/playbook") }))
    "#;
    assert_eq!(
        routes_in(src),
        [
            ("GET", "/a/{id}"),
            ("POST", "/a/{id}"),
            ("POST", "/b"),
            ("DELETE", "/c/{x}"),
            ("GET", "/d"),
            ("PUT", "/d"),
            ("DELETE", "/d"),
            ("GET", "/"),
        ]
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
    );
    assert_eq!(normalize("PUT /a/{slug}/b/{id}"), "PUT /a/{}/b/{}");
}
