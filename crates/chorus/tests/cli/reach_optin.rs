//! Reach's double opt-in end to end: a real `chorus serve --demo` sending to maildev, a live
//! gated asset, and headless Chromium as the visitor. The landing page is opened with the UTM
//! tags of a real story; the form is sent; the confirmation mail is read from maildev's REST
//! API; opening its link confirms nothing (no contact, no lead) until the button is pressed;
//! then the asset comes through the signed link (the same bytes as the file). A second use of
//! the token, an expired token and a changed signed link are refused; the lead carries the
//! story it came from. Screenshots of every page at 1440 and 390 px.

use std::path::Path;
use std::time::{Duration, Instant};

use chorus_core::audit::Author;
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::consent::{LegalBasis, email_digest};
use chorus_core::reach::token::OptInToken;
use chorus_core::reach::{OfferKind, OfferState};
use chorus_core::stories::CampaignInput;
use chorus_core::user::Email;
use chorus_store::reach::{AssetFile, NewConsentText, NewOffer, OfferPage};
use chorus_store::{ConsentSubject, DatabaseUrl, NewSubmission, ReachMail, Store, StoryInput};
use serde_json::json;

use crate::mail::{emails, maildev};
use crate::support::Server;
use crate::webdriver::Browser;

const PDF: &[u8] =
    b"%PDF-1.4\n% the Northwind listening guide\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

struct World {
    story: i64,
    offer: i64,
    market: i64,
}

/// A campaign, a story in it and a live asset offer in Finland, written through the store as
/// staff would, with the file under the data directory.
async fn seed(store: &Store, data_dir: &Path) -> World {
    let sys = Author::system("e2e");
    let fi = store
        .markets()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.code.as_str() == "FI")
        .unwrap()
        .id;
    let editor = store
        .user_by_email(&Email::parse("mikko.lehtinen@demo.chorus.test").unwrap())
        .await
        .unwrap()
        .unwrap();
    let campaign = store
        .create_campaign(
            &sys,
            &CampaignInput::parse(
                "Listening guide",
                vec![],
                vec![fi],
                vec![],
                "2026-01-01",
                "2027-12-31",
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let story = store
        .create_story(
            &Author::user(editor.id, editor.email.as_str()),
            &StoryInput {
                market_id: fi,
                campaign_id: Some(campaign),
                title: "Our listening guide is out".into(),
                brief: "Point people at the guide.".into(),
                principles: vec![],
            },
        )
        .await
        .unwrap()
        .id;
    // Stored as an upload is: under its SHA-256 (the download opens only names Chorus makes).
    let sha256 = chorus_core::reach::token::sha256_hex(PDF);
    let storage_key = format!("assets/{sha256}.pdf");
    std::fs::create_dir_all(data_dir.join("reach/assets")).unwrap();
    std::fs::write(data_dir.join("reach").join(&storage_key), PDF).unwrap();
    let offer = store
        .create_offer(
            &sys,
            &NewOffer {
                kind: OfferKind::Asset,
                market: fi,
                slug: "e2e-guide".into(),
                campaign: None,
                state: OfferState::Live,
                fields_json:
                    r#"[{"key":"company","label":"Company","kind":"text","required":true}]"#.into(),
                pages: vec![OfferPage {
                    locale: "en".into(),
                    title: "The social listening playbook".into(),
                    description:
                        "Twelve pages on turning what people say into stories worth publishing."
                            .into(),
                }],
                asset: Some(AssetFile {
                    file_name: "listening-playbook.pdf".into(),
                    content_type: "application/pdf".into(),
                    size_bytes: PDF.len() as i64,
                    sha256,
                    storage_key,
                    cover_key: None,
                    cover_type: None,
                }),
                webinar: None,
            },
        )
        .await
        .unwrap()
        .id;
    store
        .create_consent_text(
            &sys,
            &NewConsentText {
                market: fi,
                locale: "en".into(),
                body: "I agree that Northwind may email me the guide and news about its products. I can withdraw at any time.".into(),
                legal_basis: LegalBasis::Consent,
                privacy_url: "https://northwind.example/privacy".into(),
            },
        )
        .await
        .unwrap();
    World {
        story,
        offer: offer.0,
        market: fi.0,
    }
}

/// Screenshots of the page as it is at 1440 and 390 px, resizing without a reload (the page
/// answers a POST that must not be sent again), leaving the window at 1440.
fn shots(b: &Browser, name: &str) {
    for width in [1440, 390] {
        b.set_width(width);
        std::thread::sleep(Duration::from_millis(300));
        b.screenshot(name);
    }
    b.set_width(1440);
}

/// The mails maildev holds for `to`, waiting up to 30 s for `n` of them.
fn mails_to(web: u16, to: &str, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got: Vec<serde_json::Value> = emails(web)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["to"][0]["address"] == to)
            .collect();
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{n} mails to {to} never arrived: {got:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The first link in `text` whose path starts with `prefix`.
fn link(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    let begin = text[..start].rfind("http").unwrap();
    text[begin..]
        .split(|c: char| c.is_whitespace() || c == '>' || c == '"')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn a_visitor_confirms_by_email_and_downloads_through_a_signed_link() {
    crate::support::install_tls();
    let Some((smtp, web)) = maildev() else { return };
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp.to_string();
    let server = Server::start_with_env(
        dir.path(),
        &["--demo"],
        &[
            ("CHORUS__MAIL__HOST", "127.0.0.1"),
            ("CHORUS__MAIL__PORT", &smtp),
            ("CHORUS__MAIL__SECURITY", "none"),
            ("CHORUS__MAIL__FROM", "Northwind <news@northwind.example>"),
        ],
    );
    let url = server.url.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt
        .block_on(Store::open(&DatabaseUrl::sqlite_in(dir.path())))
        .unwrap();
    let w = rt.block_on(seed(&store, dir.path()));
    let to = format!("ana-{:016x}@example.org", rand::random::<u64>());
    let hash = email_digest(&to);

    // The landing page, reached from the story's post.
    b.set_width(1440);
    b.goto(&format!(
        "{url}/r/e2e-guide?utm_source=bluesky&utm_medium=social&utm_campaign=listening-guide&utm_content=story-{}&utm_term=fi",
        w.story
    ));
    b.wait_for_text("The social listening playbook");
    b.screenshots_at_both_widths("reach-landing");
    b.set_width(1440);
    b.fill("#email", &to);
    b.fill("#name", "Ana Virtanen");
    b.fill("#f-company", "Northwind Oy");
    b.click("#consent");
    b.click("form button[type=submit]");
    b.wait_for_text("Check your inbox");
    b.screenshots_at_both_widths("reach-sent");

    // The confirmation mail, with its one-click withdrawal.
    let confirm_mail = mails_to(web, &to, 1).remove(0);
    assert!(
        confirm_mail["subject"]
            .as_str()
            .unwrap()
            .contains("Please confirm")
    );
    let headers = &confirm_mail["headers"];
    assert!(
        headers["list-unsubscribe"]
            .as_str()
            .unwrap()
            .contains("/r/unsubscribe/")
    );
    assert_eq!(
        headers["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    let text = confirm_mail["text"].as_str().unwrap();
    let confirm = link(text, "/r/confirm/");

    // Opening the link confirms nothing.
    b.goto(&confirm);
    b.wait_for_text("Confirm your email address");
    assert!(b.text().contains(&to));
    b.screenshots_at_both_widths("reach-confirm");
    b.set_width(1440);
    assert!(
        rt.block_on(store.contact_by_email_sha256(&hash))
            .unwrap()
            .is_none(),
        "no contact before the button"
    );
    let before = rt
        .block_on(store.consent_history(ConsentSubject::EmailSha256(&hash)))
        .unwrap();
    assert_eq!(before.len(), 1, "only the submission: {before:?}");

    // The button confirms; the page offers the download.
    b.click("form[method=post] button");
    b.wait_for_text("Thank you for confirming");
    shots(&b, "reach-confirmed");
    let download = b
        .execute(
            "return document.querySelector('a[href*=\"/r/download/\"]').href;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let file = http.get(&download).send().unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("listening-playbook.pdf")
    );
    assert_eq!(
        file.bytes().unwrap().as_ref(),
        PDF,
        "the same bytes as the file"
    );

    // The lead carries the story it came from (and the story's campaign).
    let contact = rt
        .block_on(store.contact_by_email_sha256(&hash))
        .unwrap()
        .expect("a contact once confirmed");
    assert_eq!(contact.email.as_deref(), Some(to.as_str()));
    let export = rt
        .block_on(store.export_subject(&to, &hash, None, chorus_core::UserId(1), 0))
        .unwrap();
    assert_eq!(export.leads.len(), 1);
    assert_eq!(
        export.leads[0].story_id,
        Some(w.story),
        "attributed to the story"
    );
    assert_eq!(export.leads[0].offer.0, w.offer);
    assert!(export.leads[0].campaign_id.is_some());
    assert!(export.submissions[0].utm_json.contains("utm_campaign"));

    // The mail that follows carries the download and the preference page.
    let after = mails_to(web, &to, 2);
    let download_mail = after
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains("Your download"))
        .unwrap();
    assert!(
        download_mail["text"]
            .as_str()
            .unwrap()
            .contains("/r/download/")
    );
    assert!(
        download_mail["text"]
            .as_str()
            .unwrap()
            .contains("/r/prefs/")
    );

    // A second use of the token is refused.
    let again = http.post(&confirm).send().unwrap();
    assert_eq!(again.status(), 409);
    b.goto(&confirm);
    b.wait_for_text("Already confirmed");

    // A changed signed link is refused, saying so.
    let tampered = {
        let (head, tag) = download.rsplit_once('.').unwrap();
        let flipped = if tag.starts_with('A') { "B" } else { "A" };
        format!("{head}.{flipped}{}", &tag[1..])
    };
    let resp = http.get(&tampered).send().unwrap();
    assert_eq!(resp.status(), 403);
    b.goto(&tampered);
    b.wait_for_text("has been changed");
    b.screenshots_at_both_widths("reach-tampered");
    b.set_width(1440);

    // An expired token is refused (a submission whose link ran out).
    let old = OptInToken::generate();
    let old_email = format!("late-{:016x}@example.org", rand::random::<u64>());
    let old_email_to = old_email.clone();
    let now = chorus_store::now_ms();
    let consent = rt
        .block_on(store.current_consent_text(chorus_core::MarketId(w.market), "en"))
        .unwrap()
        .unwrap();
    rt.block_on(store.submit(
        NewSubmission {
            offer: chorus_core::OfferId(w.offer),
            email: old_email.clone(),
            email_sha256: email_digest(&old_email),
            name: "Late".into(),
            answers_json: "{}".into(),
            locale: "en".into(),
            consent_text: consent.id,
            form_version: 1,
            token_sha256: old.hash(),
            expires_at_ms: now - 1_000,
            ip: "192.0.2.0/24".into(),
            user_agent: "e2e".into(),
            page_url: "http://localhost/r/e2e-guide".into(),
            utm: Utm::default(),
            at_ms: now - 73 * 3_600_000,
        },
        move |_| ReachMail {
            to: old_email_to,
            subject: "old".into(),
            text: "old".into(),
            html: None,
            list_unsubscribe: None,
            one_click: false,
            locale: "en".into(),
        },
    ))
    .unwrap();
    let expired = format!("{url}/r/confirm/{}", old.as_str());
    b.goto(&expired);
    b.wait_for_text("This link has expired");
    b.screenshots_at_both_widths("reach-expired");
    let resp = http.post(&expired).send().unwrap();
    assert_eq!(resp.status(), 410);
    assert!(
        rt.block_on(store.contact_by_email_sha256(&email_digest(&old_email)))
            .unwrap()
            .is_none()
    );

    // The preference page from the mail, with a fresh download link.
    let prefs = link(download_mail["text"].as_str().unwrap(), "/r/prefs/");
    b.set_width(1440);
    b.goto(&prefs);
    b.wait_for_text("Your preferences");
    b.screenshots_at_both_widths("reach-prefs");
    drop(server);
}
