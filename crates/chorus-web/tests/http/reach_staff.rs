//! Reach for staff over HTTP: gated asset uploads (size limit, type from the bytes, a declared
//! type that disagrees refused naming the field, stored once under the data directory by their
//! hash), consent text versions, who reads leads (a contributor, an editor and another
//! market's lead do not), a lead's page (its story, its consent history in sentences, names
//! escaped) and the CSV exports (formula cells neutralised).

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::user::{Email, Membership};
use chorus_store::NewUser;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

/// A server whose assets may be at most `max` bytes, stored under `files`.
async fn app_with_limit(files: &std::path::Path, max: u64) -> TestApp {
    let files = files.join("reach");
    spawn_app_with_state(web_config(), move |s| {
        s.with_reach(chorus_app::reach::ReachSettings {
            files_dir: Some(files),
            max_asset_bytes: max,
            ..chorus_app::reach::ReachSettings::default()
        })
    })
    .await
}

fn asset_form(slug: &str, bytes: &[u8], declared: &str) -> Form {
    Form::new()
        .text("market", "FI")
        .text("slug", slug.to_owned())
        .text(
            "pages",
            json!([{"locale": "fi", "title": "Raportti", "description": "Lue."},
                   {"locale": "en", "title": "The report"}])
            .to_string(),
        )
        .text(
            "fields",
            json!([{"label": "Company", "kind": "text", "required": true}]).to_string(),
        )
        .part(
            "file",
            Part::bytes(bytes.to_vec())
                .file_name("Report 2027.pdf")
                .mime_str(declared)
                .unwrap(),
        )
}

async fn upload(app: &TestApp, token: &str, form: Form) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/reach/assets", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn stored_files(files: &std::path::Path) -> Vec<String> {
    match std::fs::read_dir(files.join("reach/assets")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test]
async fn uploads_are_checked_by_size_and_contents_and_stored_once_by_their_hash() {
    let files = tempfile::tempdir().unwrap();
    let app = app_with_limit(files.path(), 1024).await;
    let lead = token(&app, Role::MarketLead).await;

    let (status, body) = upload(
        &app,
        &lead,
        asset_form("the-report", PDF, "application/pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "asset");
    assert_eq!(body["state"], "draft");
    assert_eq!(body["market"], "FI");
    assert_eq!(body["public_path"], "/r/the-report");
    assert_eq!(body["asset"]["content_type"], "application/pdf");
    assert_eq!(body["asset"]["file_name"], "Report 2027.pdf");
    assert_eq!(body["asset"]["size_bytes"], PDF.len());
    assert_eq!(body["fields"][0]["key"], "company");
    let sha = body["asset"]["sha256"].as_str().unwrap().to_owned();
    assert_eq!(stored_files(files.path()), [format!("{sha}.pdf")]);
    let on_disk = std::fs::read(files.path().join(format!("reach/assets/{sha}.pdf"))).unwrap();
    assert_eq!(on_disk, PDF);

    // Refusals name the field and store nothing.
    let big = [PDF, &[b' '; 1100]].concat();
    let cases: Vec<(&str, Form, &str, &str)> = vec![
        (
            "too big",
            asset_form("big", &big, "application/pdf"),
            "file",
            "limit",
        ),
        (
            "HTML declared as a PDF",
            asset_form(
                "html",
                b"<html><script>alert(1)</script>",
                "application/pdf",
            ),
            "file",
            "not a file type",
        ),
        (
            "a PDF declared as an image",
            asset_form("png", PDF, "image/png"),
            "file",
            "declared as \"image/png\" but its contents are a PDF",
        ),
        (
            "a PDF as the cover",
            asset_form("cover", PDF, "application/pdf").part(
                "cover",
                Part::bytes(PDF.to_vec())
                    .file_name("c.png")
                    .mime_str("image/png")
                    .unwrap(),
            ),
            "cover",
            "not a PNG, JPEG or WebP",
        ),
        (
            "the same address twice",
            asset_form("the-report", PDF, "application/pdf"),
            "slug",
            "taken",
        ),
        (
            "no file",
            Form::new()
                .text("market", "FI")
                .text("slug", "none")
                .text("pages", json!([{"locale": "en", "title": "T"}]).to_string()),
            "file",
            "choose a file",
        ),
    ];
    for (what, form, field, message) in cases {
        let (status, body) = upload(&app, &lead, form).await;
        let expected = if field == "slug" {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(status, expected, "{what}: {body}");
        assert_eq!(body["error"]["field"], field, "{what}: {body}");
        let got = body["error"]["message"].as_str().unwrap_or("");
        assert!(got.contains(message), "{what}: {got}");
    }
    assert_eq!(
        stored_files(files.path()).len(),
        1,
        "refusals stored nothing"
    );
    let (_, offers) = api(&app, &lead).get("/api/v1/reach/offers").await;
    assert_eq!(offers.as_array().unwrap().len(), 1);

    // The page form uploads the same way (multipart, its CSRF token in the form).
    let b = Browser::login_as(&app, Role::MarketLead).await;
    let form = Form::new()
        .text("csrf", b.csrf.clone())
        .text("market", "FI")
        .text("slug", "page-upload")
        .text("pages[0].locale", "en")
        .text("pages[0].title", "From the page")
        .part(
            "file",
            Part::bytes(PDF.to_vec())
                .file_name("p.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let resp = b
        .with_cookie(b.http.post(b.url("/reach/assets")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let (status, html) = b.get_html(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("/r/page-upload"),
        "the link to share is on the page"
    );
    assert!(html.contains("Publish the landing page"));
    // An editor manages Reach; a contributor and an analyst do not (the analyst sees offers).
    let editor = token(&app, Role::Editor).await;
    let (status, _) = upload(
        &app,
        &editor,
        asset_form("by-editor", PDF, "application/pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for role in [Role::Contributor, Role::Analyst] {
        let t = token(&app, role).await;
        let (status, body) = upload(&app, &t, asset_form("refused", PDF, "application/pdf")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
    }
}

#[tokio::test]
async fn an_offer_goes_live_only_with_a_consent_text_and_versions_never_change() {
    let files = tempfile::tempdir().unwrap();
    let app = app_with_limit(files.path(), 1 << 20).await;
    let lead = token(&app, Role::MarketLead).await;
    let a = api(&app, &lead);
    let (_, offer) = upload(&app, &lead, asset_form("live-soon", PDF, "application/pdf")).await;
    let id = offer["id"].as_i64().unwrap();
    let state = |s: &str| json!({ "state": s });
    let (status, body) = a
        .post(&format!("/api/v1/reach/offers/{id}/state"), state("live"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("consent text")
    );
    let text = |body: &str| {
        json!({"market": "FI", "locale": "fi", "body": body, "legal_basis": "consent",
               "privacy_url": "https://example.com/privacy"})
    };
    let (status, v1) = a
        .post("/api/v1/reach/consent-texts", text("Saa lähettää."))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v1}");
    let (_, v2) = a
        .post(
            "/api/v1/reach/consent-texts",
            text("Saa lähettää uutiskirjeen."),
        )
        .await;
    assert_eq!(
        (v1["version"].as_i64(), v2["version"].as_i64()),
        (Some(1), Some(2))
    );
    let (_, all) = a.get("/api/v1/reach/consent-texts").await;
    let bodies: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Saa lähettää uutiskirjeen.", "Saa lähettää."],
        "both kept, newest first"
    );
    assert_eq!(
        all[1]["sha256"],
        chorus_core::reach::consent::digest("Saa lähettää.")
    );
    let (status, body) = a
        .post(
            "/api/v1/reach/consent-texts",
            json!({"market": "FI", "locale": "fi", "body": "x",
            "legal_basis": "consent", "privacy_url": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "privacy_url");

    let (status, body) = a
        .post(&format!("/api/v1/reach/offers/{id}/state"), state("live"))
        .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("live")),
        "{body}"
    );
    let (status, body) = a
        .post(&format!("/api/v1/reach/offers/{id}/state"), state("draft"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["field"], "state");
    // An analyst sees the offer and its figures but may not move it.
    let analyst = api(&app, &token(&app, Role::Analyst).await);
    let (status, body) = analyst.get(&format!("/api/v1/reach/offers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["counts"]["submissions"], 0);
    assert_eq!(body["can_manage"], false);
    let (status, _) = analyst
        .post(&format!("/api/v1/reach/offers/{id}/state"), state("closed"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A contributor does not know it exists.
    let contributor = api(&app, &token(&app, Role::Contributor).await);
    let (status, _) = contributor.get(&format!("/api/v1/reach/offers/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Writes a confirmed lead of `market` as the opt-in writes one (submission, contact, lead, the
/// ledger's submitted and confirmed rows); returns its id.
#[allow(clippy::too_many_arguments)]
fn seed_lead(
    app: &TestApp,
    offer: i64,
    market: i64,
    text: i64,
    email: &str,
    name: &str,
    story: Option<i64>,
    at_ms: i64,
) -> i64 {
    let db = rusqlite::Connection::open(app.db_path()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let content = story.map(|s| format!("story-{s}"));
    db.execute(
        "INSERT INTO reach_submissions (offer_id, email, name, locale, consent_text_id, \
         form_version, token_sha256, expires_at, state, confirmed_at, ip, user_agent, page_url, \
         utm_source, utm_medium, utm_content, story_id, created_at) VALUES (?1, ?2, ?3, 'fi', \
         ?4, 1, ?5, 0, 'confirmed', ?6, '192.168.1.0', \
         'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', \
         'https://chorus.test/r/x?utm_source=bluesky', 'bluesky', 'social', ?7, ?8, ?6)",
        rusqlite::params![
            offer,
            email,
            name,
            text,
            format!("tok-{email}"),
            at_ms,
            content,
            story
        ],
    )
    .unwrap();
    let submission = db.last_insert_rowid();
    let hash = chorus_core::reach::consent::email_digest(email);
    db.execute(
        "INSERT INTO reach_contacts (email, email_sha256, name, prefs_token_sha256, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![email, hash, name, format!("prefs-{email}"), at_ms],
    )
    .unwrap();
    let contact = db.last_insert_rowid();
    db.execute(
        "INSERT INTO reach_leads (contact_id, offer_id, market_id, submission_id, story_id, \
         utm_source, utm_medium, utm_content, confirmed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'bluesky', 'social', ?6, ?7)",
        rusqlite::params![contact, offer, market, submission, story, content, at_ms],
    )
    .unwrap();
    let lead = db.last_insert_rowid();
    for (event, at) in [("submitted", at_ms - 60_000), ("confirmed", at_ms)] {
        db.execute(
            "INSERT INTO reach_consent_events (event, at, email_sha256, contact_id, \
             submission_id, offer_id, market_id, consent_text_id, consent_text, consent_sha256, \
             legal_basis, form_version, locale, ip, user_agent, page_url, utm) VALUES (?1, ?2, \
             ?3, ?4, ?5, ?6, ?7, ?8, 'Saa lähettää.', 'abc', 'consent', 1, 'fi', '192.168.1.0', \
             'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', \
             'https://chorus.test/r/x', '{}')",
            rusqlite::params![event, at, hash, contact, submission, offer, market, text],
        )
        .unwrap();
    }
    lead
}

#[tokio::test]
async fn leads_are_read_only_in_ones_own_markets_by_leads_and_analysts() {
    let files = tempfile::tempdir().unwrap();
    let app = app_with_limit(files.path(), 1 << 20).await;
    let sys = Author::system("test");
    let markets = app.store.markets().await.unwrap();
    let fi = markets.iter().find(|m| m.code.as_str() == "FI").unwrap().id;
    let br = markets.iter().find(|m| m.code.as_str() == "BR").unwrap().id;
    let admin = token(&app, Role::Admin).await;
    let a = api(&app, &admin);
    let mut texts = Vec::new();
    for code in ["FI", "BR"] {
        let (_, t) = a
            .post(
                "/api/v1/reach/consent-texts",
                json!({"market": code, "locale": "fi",
                "body": "Saa lähettää.", "legal_basis": "consent",
                "privacy_url": "https://example.com/privacy"}),
            )
            .await;
        texts.push(t["id"].as_i64().unwrap());
    }
    let mut offers = Vec::new();
    for (code, slug) in [("FI", "fi-paper"), ("BR", "br-paper")] {
        let form = Form::new()
            .text("market", code)
            .text("slug", slug)
            .text(
                "pages",
                json!([{"locale": "fi", "title": format!("Paper {code}")}]).to_string(),
            )
            .part(
                "file",
                Part::bytes(PDF.to_vec())
                    .file_name("p.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        let (status, o) = upload(&app, &admin, form).await;
        assert_eq!(status, StatusCode::CREATED, "{o}");
        offers.push(o["id"].as_i64().unwrap());
    }
    // A story in Finland citing a principle brought the Finnish lead.
    let editor = app
        .store
        .user_by_email(&Email::parse(&email(Role::Editor)).unwrap())
        .await
        .unwrap()
        .unwrap();
    let principle = app
        .store
        .create_principle(
            &sys,
            &chorus_core::playbook::PrincipleInput::parse(&chorus_core::playbook::RawPrinciple {
                number: 7,
                pillar: "numbers".into(),
                title: "Measure what matters".into(),
                statement: "s".into(),
                ..Default::default()
            })
            .unwrap(),
        )
        .await
        .unwrap();
    let story = app
        .store
        .create_story(
            &Author::user(editor.id, editor.email.as_str()),
            &chorus_store::StoryInput {
                market_id: fi,
                campaign_id: None,
                title: "Winter launch teaser".into(),
                brief: String::new(),
                principles: vec![principle.id],
            },
        )
        .await
        .unwrap();
    let t0 = 1_796_652_120_000; // 7 Dec 2026 14:02 UTC
    let fi_lead = seed_lead(
        &app,
        offers[0],
        fi.0,
        texts[0],
        "anna@example.com",
        "<script>alert(1)</script>",
        Some(story.id),
        t0,
    );
    let br_lead = seed_lead(
        &app,
        offers[1],
        br.0,
        texts[1],
        "bia@example.com",
        "=HYPERLINK(\"http://x\")",
        None,
        t0 + 1,
    );

    // Those who may not read leads: the list is refused, a lead does not exist.
    for role in [Role::Contributor, Role::Editor, Role::CommunityManager] {
        let c = api(&app, &token(&app, role).await);
        let (status, _) = c.get("/api/v1/reach/leads").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        let (status, _) = c.get(&format!("/api/v1/reach/leads/{fi_lead}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{role}");
        let (status, _) = c.get("/api/v1/reach/leads.csv").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    // Brazil's market lead reads Brazil's lead only; Finland's does not exist for them.
    let br_lead_user = app
        .store
        .create_user(
            &sys,
            &NewUser {
                email: Email::parse("lead-br@example.com").unwrap(),
                display_name: "Lead BR".into(),
                password_hash: None,
                memberships: vec![Membership::new(Role::MarketLead, Some(br)).unwrap()],
            },
        )
        .await
        .unwrap();
    let br_token = app
        .store
        .create_api_token(&sys, br_lead_user.id, "t")
        .await
        .unwrap()
        .secret;
    let b = api(&app, &br_token);
    let (status, list) = b.get("/api/v1/reach/leads").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["leads"][0]["id"], br_lead);
    let (status, _) = b.get(&format!("/api/v1/reach/leads/{fi_lead}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = b.get("/api/v1/reach/leads?market=FI").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let csv = reqwest::Client::new()
        .get(format!("{}/api/v1/reach/leads.csv", app.base))
        .bearer_auth(&br_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("anna@example.com"), "{csv}");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "formula neutralised: {csv}"
    );

    // Finland's analyst and market lead read Finland's lead with its story and history.
    for role in [Role::Analyst, Role::MarketLead] {
        let f = api(&app, &token(&app, role).await);
        let (status, list) = f.get("/api/v1/reach/leads").await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert_eq!(list["total"], 1, "{role}: {list}");
        let (status, d) = f.get(&format!("/api/v1/reach/leads/{fi_lead}")).await;
        assert_eq!(status, StatusCode::OK, "{role}");
        assert_eq!(d["lead"]["story_title"], "Winter launch teaser");
        assert_eq!(d["principles"][0]["number"], 7);
        assert_eq!(d["touches"].as_array().unwrap().len(), 1);
        assert_eq!(d["consent"][1]["event"], "confirmed");
        assert_eq!(
            d["consent"][1]["sentence"],
            "Confirmed on 7 Dec 2026 14:02 UTC from 192.168.1.0 (Firefox on Linux) — agreed \
             to version 1 of the Finnish consent text"
        );
    }
    let (_, by_story) = api(&app, &token(&app, Role::Analyst).await)
        .get(&format!("/api/v1/reach/leads?story={}", story.id))
        .await;
    assert_eq!(by_story["total"], 1);
    let (_, by_principle) = api(&app, &token(&app, Role::Analyst).await)
        .get(&format!("/api/v1/reach/leads?principle={}", principle.id.0))
        .await;
    assert_eq!(by_principle["total"], 1);

    // The lead's page: who (escaped), the story that brought them, the consent history.
    let lead_fi = Browser::login_as(&app, Role::MarketLead).await;
    let (status, html) = lead_fi.get_html(&format!("/reach/leads/{fi_lead}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"), "names are escaped");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(html.contains(&format!("href=\"/stories/{}\"", story.id)));
    assert!(html.contains("agreed to version 1 of the Finnish consent text"));
    let (status, _) = lead_fi.get_html(&format!("/reach/leads/{br_lead}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = lead_fi.get_html("/reach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Winter launch teaser"),
        "leads by story on the overview"
    );
    let resp = lead_fi
        .get(&format!("/reach/leads/{fi_lead}/consent.csv"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.unwrap();
    assert!(
        csv.starts_with("event,at,offer,market,consent_version"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "a header and two events: {csv}");
    // The person's data: exported as JSON (recorded in their history), then erased on
    // request (the box must be ticked); the history stays.
    let resp = lead_fi
        .post_form(&format!("/reach/leads/{fi_lead}/export"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let export: Value = resp.json().await.unwrap();
    assert_eq!(export["contact"]["email"], "anna@example.com", "{export}");
    let resp = lead_fi
        .post_form(&format!("/reach/leads/{fi_lead}/erase"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = lead_fi
        .post_form(
            &format!("/reach/leads/{fi_lead}/erase"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = lead_fi.get_html(&format!("/reach/leads/{fi_lead}")).await;
    assert!(!html.contains("anna@example.com"), "erased");
    assert!(html.contains("Data exported on"), "{html}");
    assert!(html.contains("Data erased on"));
    assert!(
        html.contains("agreed to version 1 of the Finnish consent text"),
        "proof kept"
    );
    // A contributor's Reach page shows no leads and no way to them.
    let contributor = Browser::login_as(&app, Role::Contributor).await;
    let (status, html) = contributor.get_html("/reach").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/reach/leads"), "{html}");
    assert_eq!(
        contributor.get("/reach/leads").await.status(),
        StatusCode::FORBIDDEN
    );
}
