//! The composer in a real browser, as the demo contributor (Kenya): a new variant's text runs
//! over Bluesky's limit with a link; the overflow is marked in the preview and the link's
//! counted length is said (its short redirect, not the long tagged address); an image chosen
//! before the first save (the file path sent to the picker) is staged, shown in the preview,
//! and attached by the save; the story page then shows it on the variant. Screenshots of the
//! composer at 1440 and 390 px are saved for a reviewer.

use serde_json::json;

use crate::support::Server;
use crate::webdriver::Browser;

fn login_for(banner: &str, role_label: &str) -> (String, String) {
    let line = banner
        .lines()
        .find(|l| l.contains(&format!("{role_label} (")))
        .unwrap_or_else(|| panic!("no demo login for {role_label} in:\n{banner}"));
    let mut parts = line.split_whitespace();
    (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    )
}

#[test]
fn contributor_composes_an_over_limit_post_with_a_link_and_an_image_before_the_first_save() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let url = &server.url;
    let (email, password) = login_for(&server.banner, "Contributor");
    b.goto(&format!("{url}/login"));
    b.fill("#email", &email);
    b.fill("#password", &password);
    b.click("form button[type=submit]");
    b.wait_for_text("Playbook");

    // The contributor's draft story in Kenya, and a new variant for it.
    b.goto(&format!("{url}/stories"));
    b.wait_for_text("Swahili voice support");
    let story = b.execute(
        "return [...document.querySelectorAll('a')].find(a => a.textContent.includes('Swahili voice support')).getAttribute('href');",
        json!([]),
    );
    let story = story.as_str().unwrap().to_owned();
    b.goto(&format!("{url}{story}/variants/new"));
    b.wait_for_text("Checks and preview");

    // A post over 300 characters with a link.
    let link = "https://northwind.example/ke/earbuds-swahili";
    let sentence = "Karibu! Our earbuds now understand Swahili: ask about the weather in Mombasa, \
                    the score of last night's match or the next matatu home. ";
    let text = format!("{}{sentence}Try it today: {link}", sentence.repeat(2));
    b.fill("#body", &text);
    b.wait_for_text("too many: the marked text does not fit");
    // The link counts as its short redirect on this server, not the long tagged address.
    let short = format!("{url}/l/xxxxxxxxxx").chars().count();
    b.wait_for_text(&format!(
        "counts as {short} characters: it goes out as a short link"
    ));
    let over = b.execute(
        "const m = document.querySelector('#preview-text mark.post-preview__over'); return m ? m.textContent : '';",
        json!([]),
    );
    let over = over.as_str().unwrap().to_owned();
    assert!(!over.is_empty(), "the overflow is marked in the preview");
    assert!(
        text.contains(over.trim_end_matches('…')) || over.contains("l/"),
        "{over}"
    );
    let counted: usize = b
        .execute(
            "return document.querySelector('#counter strong').textContent;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let want = text.chars().count() - link.chars().count() + short;
    assert!(
        counted >= want,
        "the count ({counted}) takes the link at least as its short form ({want}, before UTM tags matter)"
    );
    assert!(
        counted < text.chars().count() + 60,
        "the UTM-tagged address is not what is counted"
    );

    // An image before the first save: chosen in the picker, staged, shown in the preview.
    let image =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/speaker.png");
    b.send_keys("#file", image.to_str().unwrap());
    b.find("#staged-list [data-staged]");
    b.wait_for_text("Alt text for speaker.png");
    b.fill(
        "#staged-list input[name^=alt_staged_]",
        "Earbuds on a teal table",
    );
    // Leaving the alt-text field re-runs the checks (a change inside the list of images).
    b.execute(
        "document.querySelector('#staged-list input[name^=alt_staged_]').dispatchEvent(new Event('change', {bubbles: true}));",
        json!([]),
    );
    b.find("#checks .post-preview__images img[alt='Earbuds on a teal table']");
    let value = b.execute("return document.getElementById('file').value;", json!([]));
    assert_eq!(
        value.as_str(),
        Some(""),
        "the picker is emptied once its file is staged"
    );

    // The new composer as it is now, at both widths (no reload: it holds unsaved work).
    b.set_width(1440);
    b.screenshot("composer-new");
    b.set_width(390);
    b.execute(
        "document.getElementById('checks').scrollIntoView();",
        json!([]),
    );
    b.screenshot("composer-new");
    let order = b.execute(
        "const c = document.getElementById('checks').getBoundingClientRect(); \
         const s = document.querySelector('.composer__actions button[type=submit]').getBoundingClientRect(); \
         return c.top < s.top;",
        json!([]),
    );
    assert_eq!(order, json!(true), "on a phone the checks sit above Save");
    b.set_width(1440);

    // Saved: the story page shows the image on the new variant.
    b.click(".composer__actions button[type=submit]");
    b.wait_for_text("Variant saved");
    let img = b.execute(
        "const i = document.querySelector(\"img[alt='Earbuds on a teal table']\"); return i ? i.getAttribute('src') : '';",
        json!([]),
    );
    let img = img.as_str().unwrap().to_owned();
    assert!(
        img.contains("/variants/") && img.contains("/images/"),
        "{img}"
    );
    let loaded = b.execute(
        "const i = document.querySelector(\"img[alt='Earbuds on a teal table']\"); return i.complete && i.naturalWidth;",
        json!([]),
    );
    assert_eq!(loaded, json!(160), "the attached image is served");

    // The saved variant's composer, for a reviewer.
    let vid = img
        .split("/variants/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    b.goto(&format!("{url}{story}/variants/{vid}"));
    b.wait_for_text("too many: the marked text does not fit");
    b.screenshots_at_both_widths("composer");
}
