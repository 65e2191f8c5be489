//! Webinars end to end over HTTP: a market lead makes a webinar with two seats on its page and
//! publishes it; three people register through the public landing page and confirm through the
//! link in their mail (optin20's flow); two get the invitation with its `.ics`, the third the
//! waitlist notice; the first cancels through the link in their invitation (a GET changes
//! nothing, the POST cancels) and the third is promoted and invited. The `.ics` files are read
//! back with an independent parser (Python's `icalendar`, `.ci/setup-ics.sh`): UID, SEQUENCE,
//! METHOD and the zone. A change of time sends updates with the next SEQUENCE; cancelling the
//! webinar sends `METHOD:CANCEL`. Attendance import names the bad line; who may see what.

use std::path::PathBuf;
use std::process::Command;

use chorus_app::PublicBase;
use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::reach::consent::LegalBasis;
use chorus_store::reach::NewConsentText;
use chorus_store::{MailAttachment, OutboxMail};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::support::{Browser, TestApp, spawn_app_with_state, web_config};

const KEY: [u8; 32] = [9; 32];

async fn app() -> TestApp {
    spawn_app_with_state(web_config(), |s| {
        s.with_public_url(PublicBase::parse("http://chorus.test").unwrap())
            .with_secret_key(chorus_networks::bluesky::SecretKey::from_bytes(KEY))
            .with_reach(chorus_app::reach::ReachSettings::default())
    })
    .await
}

/// Makes the FI consent text and, as the market lead, a webinar with `capacity` seats through
/// its form, then publishes it. Answers its id.
async fn webinar(app: &TestApp, lead: &Browser, capacity: &str) -> i64 {
    let fi = app
        .store
        .markets()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.code.as_str() == "FI")
        .unwrap()
        .id;
    app.store
        .create_consent_text(
            &Author::system("test"),
            &NewConsentText {
                market: fi,
                locale: "en".into(),
                body: "I agree that Northwind may email me about this webinar.".into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://example.com/privacy".into(),
            },
        )
        .await
        .unwrap();
    let resp = lead
        .post_form(
            "/reach/webinars",
            &[
                ("market", "FI"),
                ("slug", "listening-live"),
                ("campaign", ""),
                ("pages[0].locale", "en"),
                ("pages[0].title", "Listening, live"),
                ("pages[0].description", "An hour on listening at scale."),
                ("pages[1].locale", "fi"),
                ("pages[1].title", "Kuuntelu livenä"),
                ("pages[1].description", "Tunti kuuntelusta."),
                ("starts_at", "2027-01-20T15:00"),
                ("time_zone", "Europe/Helsinki"),
                ("duration_minutes", "90"),
                ("capacity", capacity),
                ("join_url", "https://meet.example.com/listening"),
            ],
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        resp.text().await
    );
    let location = resp.headers()[LOCATION].to_str().unwrap().to_owned();
    let id: i64 = location
        .trim_start_matches("/reach/webinars/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let resp = lead
        .post_form(&format!("/reach/offers/{id}/state"), &[("state", "live")])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let o = app
        .store
        .offer(chorus_core::OfferId(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        o.state,
        chorus_core::reach::OfferState::Live,
        "{:?}",
        resp.headers()
    );
    id
}

fn value_of(html: &str, name: &str) -> String {
    let at = html
        .find(&format!(r#"name="{name}" value=""#))
        .unwrap_or_else(|| panic!("no {name} in the form"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The messages to `to` whose key starts with `prefix`, oldest first.
async fn mails(app: &TestApp, to: &str, prefix: &str) -> Vec<OutboxMail> {
    let mut m: Vec<OutboxMail> = app
        .store
        .recent_mail(500)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to && m.key.starts_with(prefix))
        .collect();
    m.reverse();
    m
}

/// The path of the first `http://chorus.test{path}…` link in `text` that starts with `path`.
fn link(text: &str, path: &str) -> String {
    let at = text
        .find(&format!("http://chorus.test{path}"))
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    text[at + "http://chorus.test".len()..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '"')
        .next()
        .unwrap()
        .to_owned()
}

/// Registers `email` through the landing page and confirms through the mailed link, as a
/// visitor without a session.
async fn register(app: &TestApp, email: &str) {
    let visitor = Browser::new(app);
    let (status, html) = visitor.get_html("/r/listening-live").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let resp = visitor_post(app, "/r/listening-live")
        .form(&[
            ("form", value_of(&html, "form").as_str()),
            ("consent_text", value_of(&html, "consent_text").as_str()),
            ("locale", "en"),
            ("website", ""),
            ("email", email),
            ("name", &format!("Person {email}")),
            ("consent", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let confirm = mails(app, email, "reach-confirm:").await;
    let path = link(&confirm[0].text, "/r/confirm/");
    let resp = visitor_post(app, &path).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
}

fn visitor_post(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}{path}", app.base))
}

async fn ics_of(app: &TestApp, mail: &OutboxMail) -> MailAttachment {
    let files = app.store.mail_attachments(mail.id).await.unwrap();
    assert_eq!(files.len(), 1, "{}: one .ics", mail.key);
    files.into_iter().next().unwrap()
}

/// The independent parser's python: `$CHORUS_ICS_PYTHON` (scripts/test exports it from
/// .ci/setup-ics.sh), else the default venv; `None` (with a printed reason) when it is missing
/// and not required.
fn python() -> Option<PathBuf> {
    let py = std::env::var_os("CHORUS_ICS_PYTHON").map_or_else(
        || PathBuf::from("/var/tmp/chorus-ics-venv/bin/python"),
        PathBuf::from,
    );
    let ok = Command::new(&py)
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    let reason = format!(
        "python with icalendar not found at {} (run .ci/setup-ics.sh)",
        py.display()
    );
    if std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{reason} (CHORUS_REQUIRE_SERVICES=1)");
    }
    eprintln!("skipping the independent .ics parse: {reason}");
    None
}

/// What Python's icalendar reads from `ics` (see `reach_webinars/ics_check.py`).
fn parse(py: &PathBuf, ics: &[u8]) -> serde_json::Value {
    use std::io::Write;
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/http/reach_webinars/ics_check.py");
    let mut child = Command::new(py)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(ics).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar refused the file: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(ics)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check_ics(py: Option<&PathBuf>, ics: &MailAttachment, uid: &str, sequence: i64, method: &str) {
    let text = String::from_utf8(ics.bytes.clone()).unwrap();
    assert_eq!(
        ics.content_type,
        format!("text/calendar; charset=utf-8; method={method}")
    );
    assert!(text.contains(&format!("\r\nMETHOD:{method}\r\n")), "{text}");
    let Some(py) = py else { return };
    let v = parse(py, &ics.bytes);
    assert_eq!(v["method"], method);
    assert_eq!(v["uid"], uid);
    assert_eq!(v["sequence"], sequence);
    assert_eq!(v["tzid"], "Europe/Helsinki");
    assert_eq!(
        v["status"],
        if method == "CANCEL" {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
    );
    // The document's own VTIMEZONE places the start where the IANA database does.
    assert_eq!(v["own_offset_seconds"], v["zone_offset_seconds"], "{v}");
}

async fn seat_states(app: &TestApp, offer: i64) -> Vec<(String, String)> {
    app.store
        .registrants(chorus_core::OfferId(offer))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.email.unwrap(), r.state.as_str().to_owned()))
        .collect()
}

#[tokio::test]
async fn two_seats_three_people_the_third_waits_and_is_promoted_with_an_ics_that_parses() {
    let py = python();
    let app = app().await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let id = webinar(&app, &lead, "2").await;
    for who in ["a@example.com", "b@example.com", "c@example.com"] {
        register(&app, who).await;
    }
    let mut states = seat_states(&app, id).await;
    states.sort();
    assert_eq!(
        states,
        [
            ("a@example.com".into(), "registered".into()),
            ("b@example.com".into(), "registered".into()),
            ("c@example.com".into(), "waitlisted".into()),
        ]
    );
    let notices = |email: &'static str| {
        let app = &app;
        async move {
            app.store
                .registrants(chorus_core::OfferId(id))
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.email.as_deref() == Some(email))
                .unwrap()
        }
    };
    let a = notices("a@example.com").await;
    let c = notices("c@example.com").await;
    let a_uid = app
        .store
        .registration_notice(a.id)
        .await
        .unwrap()
        .unwrap()
        .uid;
    let c_uid = app
        .store
        .registration_notice(c.id)
        .await
        .unwrap()
        .unwrap()
        .uid;

    // The invitation with its .ics; the waiting one a notice without.
    let invite = mails(&app, "a@example.com", "webinar-invitation:").await;
    assert_eq!(invite.len(), 1);
    assert!(
        invite[0]
            .text
            .contains("Wednesday 20 January 2027, 15:00–16:30 EET (Europe/Helsinki)"),
        "{}",
        invite[0].text
    );
    assert!(
        invite[0]
            .text
            .contains("https://meet.example.com/listening")
    );
    check_ics(
        py.as_ref(),
        &ics_of(&app, &invite[0]).await,
        &a_uid,
        0,
        "REQUEST",
    );
    let waiting = mails(&app, "c@example.com", "webinar-waitlist:").await;
    assert_eq!(waiting.len(), 1);
    assert!(
        app.store
            .mail_attachments(waiting[0].id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        mails(&app, "c@example.com", "webinar-invitation:")
            .await
            .is_empty()
    );

    // The landing page says the webinar is full and the waitlist open.
    let (_, landing) = Browser::new(&app).get_html("/r/listening-live").await;
    assert!(
        landing.contains(
            r#"<span class="offer__seats" id="seats">Täynnä – jonoon voi ilmoittautua</span>"#
        ) || landing
            .contains(r#"<span class="offer__seats" id="seats">Full – waitlist open</span>"#),
        "{landing}"
    );

    // The staff page shows the seats.
    let (status, html) = lead.get_html(&format!("/reach/webinars/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"<dd id="registered">2</dd>"#)
            && html.contains(r#"<dd id="waiting">1</dd>"#),
        "{html}"
    );
    assert!(html.contains("#1 in line"));

    // a cancels through their invitation's link: the GET changes nothing, the POST cancels.
    let seat = link(&invite[0].text, "/r/seat/");
    assert_eq!(
        invite[0].list_unsubscribe.as_deref(),
        Some(format!("<http://chorus.test{seat}>").as_str())
    );
    assert!(invite[0].one_click);
    let page = reqwest::get(format!("{}{seat}", app.base)).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("You are registered."));
    assert_eq!(notices("a@example.com").await.state.as_str(), "registered");
    let resp = visitor_post(&app, &seat)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("your seat is cancelled")
    );
    let mut states = seat_states(&app, id).await;
    states.sort();
    assert_eq!(
        states,
        [
            ("a@example.com".into(), "cancelled".into()),
            ("b@example.com".into(), "registered".into()),
            ("c@example.com".into(), "registered".into()),
        ]
    );
    // Twice is no error, and changes nothing.
    let again = visitor_post(&app, &seat).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let cancelled = mails(&app, "a@example.com", "webinar-seat-cancelled:").await;
    assert_eq!(cancelled.len(), 1);
    check_ics(
        py.as_ref(),
        &ics_of(&app, &cancelled[0]).await,
        &a_uid,
        0,
        "CANCEL",
    );
    let promoted = mails(&app, "c@example.com", "webinar-invitation:").await;
    assert_eq!(promoted.len(), 1, "the waiting one is invited once");
    assert!(promoted[0].subject.starts_with("A seat opened up for you"));
    check_ics(
        py.as_ref(),
        &ics_of(&app, &promoted[0]).await,
        &c_uid,
        0,
        "REQUEST",
    );
    // A made-up token is not found.
    let none = reqwest::get(format!("{}/r/seat/{}", app.base, "0".repeat(32)))
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::NOT_FOUND);

    // b withdraws consent through the opt-in's link in their invitation: no more mail.
    let b_invite = mails(&app, "b@example.com", "webinar-invitation:").await;
    let withdraw = link(&b_invite[0].text, "/r/unsubscribe/");
    let resp = visitor_post(&app, &withdraw).send().await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );

    // A new time: the registered get the update, same UID, SEQUENCE 1, the new local time.
    let resp = lead
        .post_form(
            &format!("/reach/webinars/{id}/schedule"),
            &[
                ("starts_at", "2027-06-10T10:00"),
                ("time_zone", "Europe/Helsinki"),
                ("duration_minutes", "90"),
                ("capacity", "2"),
                ("join_url", "https://meet.example.com/listening"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .ends_with("done=announced")
    );
    let update = mails(&app, "c@example.com", "webinar-update:").await;
    assert_eq!(update.len(), 1);
    assert_eq!(update[0].key, format!("webinar-update:{}:1", c.id.0));
    let ics = ics_of(&app, &update[0]).await;
    check_ics(py.as_ref(), &ics, &c_uid, 1, "REQUEST");
    if let Some(py) = &py {
        let v = parse(py, &ics.bytes);
        // 10:00 in June in Helsinki is summer time, +03:00.
        assert_eq!(v["start_utc"], "2027-06-10T07:00:00Z");
        assert_eq!(v["zone_offset_seconds"], 10800);
    }
    assert!(
        mails(&app, "a@example.com", "webinar-update:")
            .await
            .is_empty(),
        "not the cancelled"
    );
    assert!(
        mails(&app, "b@example.com", "webinar-update:")
            .await
            .is_empty(),
        "not the withdrawn"
    );

    // Cancelling the webinar: METHOD:CANCEL with SEQUENCE 2 to everyone with a seat.
    let resp = lead
        .post_form(&format!("/reach/webinars/{id}/cancel"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    for (who, uid) in [("c@example.com", &c_uid)] {
        let m = mails(&app, who, "webinar-cancel:").await;
        assert_eq!(m.len(), 1);
        check_ics(py.as_ref(), &ics_of(&app, &m[0]).await, uid, 2, "CANCEL");
    }
    assert!(
        mails(&app, "b@example.com", "webinar-cancel:")
            .await
            .is_empty(),
        "not the withdrawn"
    );
    assert!(
        mails(&app, "a@example.com", "webinar-cancel:")
            .await
            .is_empty()
    );
    let (_, html) = lead.get_html(&format!("/reach/webinars/{id}")).await;
    assert!(
        html.contains("badge--danger") && !html.contains("/schedule\""),
        "no more changes"
    );
}

#[tokio::test]
async fn attendance_import_names_the_bad_line_and_records_the_good_list() {
    let app = app().await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let id = webinar(&app, &lead, "").await;
    register(&app, "a@example.com").await;
    register(&app, "b@example.com").await;
    let upload = |csv: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", lead.csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name("attendance.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            );
        let req = lead.with_cookie(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(lead.url(&format!("/reach/webinars/{id}/attendance")))
                .multipart(form),
        );
        async move { req.send().await.unwrap() }
    };
    let bad = upload("email;attended;minutes\na@example.com;yes;50\nb@example.com;maybe;3\n").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("line 3, column 2 (attended): &#39;maybe&#39; is not yes or no")
            || html.contains("line 3, column 2 (attended): 'maybe' is not yes or no"),
        "{html}"
    );
    let list = app
        .store
        .registrants(chorus_core::OfferId(id))
        .await
        .unwrap();
    assert!(
        list.iter().all(|r| r.attended.is_none()),
        "nothing recorded"
    );

    let good =
        upload("\u{feff}Email,Attended,Minutes\r\nA@example.com,yes,50\r\nb@example.com,no,0\r\n")
            .await;
    assert_eq!(good.status(), StatusCode::SEE_OTHER);
    let list = app
        .store
        .registrants(chorus_core::OfferId(id))
        .await
        .unwrap();
    let by = |e: &str| {
        list.iter()
            .find(|r| r.email.as_deref() == Some(e))
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            by("a@example.com").attended,
            by("a@example.com").attended_minutes
        ),
        (Some(true), Some(50))
    );
    assert_eq!(by("b@example.com").attended, Some(false));

    let csv = lead
        .get(&format!("/reach/webinars/{id}/registrants.csv"))
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let body = csv.text().await.unwrap();
    assert!(body.starts_with(
        "name,email,state,waitlist_position,registered_at,locale,attended,minutes,withdrawn\n"
    ));
    assert!(body.contains("Person a@example.com,a@example.com,registered,,"));
    assert!(body.contains(",en,yes,50,no\n"));
}

#[tokio::test]
async fn who_sees_and_changes_a_webinar() {
    let app = app().await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let id = webinar(&app, &lead, "10").await;
    register(&app, "a@example.com").await;
    let page = format!("/reach/webinars/{id}");
    // A contributor does not see it at all.
    let contributor = Browser::login_as(&app, Role::Contributor).await;
    assert_eq!(contributor.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        contributor
            .get(&format!("{page}/registrants.csv"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // An analyst reads the registrants but changes nothing.
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (status, html) = analyst.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("a@example.com") && !html.contains("/cancel\""));
    let resp = analyst.post_form(&format!("{page}/cancel"), &[]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // An editor manages the webinar but does not see the people.
    let editor = Browser::login_as(&app, Role::Editor).await;
    let (status, html) = editor.get_html(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("a@example.com"));
    assert_eq!(
        editor
            .get(&format!("{page}/registrants.csv"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Bad input names its field.
    let resp = lead
        .post_form(
            &format!("{page}/schedule"),
            &[
                ("starts_at", "2027-03-28T03:30"),
                ("time_zone", "Europe/Helsinki"),
                ("duration_minutes", "60"),
                ("capacity", "10"),
                ("join_url", "https://meet.example.com/x"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("starts_at: 03:30 does not exist in Europe/Helsinki"),
        "{html}"
    );
    assert_eq!(
        app.store
            .offer(chorus_core::OfferId(id))
            .await
            .unwrap()
            .unwrap()
            .webinar
            .unwrap()
            .sequence,
        0
    );
}
