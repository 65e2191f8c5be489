//! The demo's Reach: Finland's consent text in English and Finnish, one live gated asset (a
//! small real PDF, `state-of-social-2027.pdf`, written by hand: one A4 page of Helvetica text),
//! one live webinar, and a few leads who confirmed over the last weeks, each brought by one of
//! Finland's demo stories (or none), so the Reach pages and Numbers' leads are not empty.
//!
//! The asset and consent texts go through the use cases (`chorus_app::reach`, as the operator:
//! the file is checked and stored under `<data dir>/reach` like an upload); the webinar through
//! `Store::create_offer`; the leads through the opt-in's own store functions (`submit`, then
//! `confirm`), so every row, ledger entry and Numbers rollup is what a real sign-up leaves.
//! Idempotent: each piece is made only if missing (the offers by slug, the texts by locale, the
//! leads when the asset has none).

use anyhow::Context;
use chorus_app::reach::files::Upload;
use chorus_app::reach::offers::{self, RawAsset};
use chorus_app::reach::{ReachSettings, consent_texts};
use chorus_app::{App, AppConfig, Caller};
use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_core::reach::attribution::Utm;
use chorus_core::reach::consent::email_digest;
use chorus_core::reach::offer::{FieldInput, PageInput};
use chorus_core::reach::{OfferKind, OfferState};
use chorus_store::reach::{LeadFilter, NewOffer, OfferPage, Webinar};
use chorus_store::{ConfirmRequest, NewSubmission, ReachMail, Store};
use jiff::{Timestamp, ToSpan};

/// The gated asset's address and the webinar's.
const ASSET_SLUG: &str = "state-of-social-2027";
const WEBINAR_SLUG: &str = "state-of-social-live";
const PDF: &[u8] = include_bytes!("state-of-social-2027.pdf");

const TEXT_EN: &str = "I agree that Northwind Devices may email me the report and related \
    research. I can withdraw at any time from any of those emails.";
const TEXT_FI: &str = "Annan Northwind Devicesille luvan lähettää minulle raportin ja siihen \
    liittyvää tutkimusta sähköpostitse. Voin perua luvan milloin tahansa viestien linkistä.";

/// A demo sign-up: first name, last name, days ago, hour (UTC), the n-th Finnish story that
/// brought them (or none), and whether they signed up for the webinar too.
type Person = (&'static str, &'static str, i64, i8, Option<usize>, bool);

const PEOPLE: [Person; 9] = [
    ("Aino", "Laine", 26, 7, Some(0), false),
    ("Mikael", "Nieminen", 22, 12, Some(0), true),
    ("Helmi", "Koskinen", 19, 9, Some(1), false),
    ("Oskari", "Heikkinen", 15, 15, None, false),
    ("Sofia", "Järvinen", 12, 10, Some(0), true),
    ("Leevi", "Lehtonen", 9, 8, Some(2), false),
    ("Emma", "Saarinen", 6, 13, Some(1), false),
    ("Onni", "Salminen", 3, 11, Some(0), true),
    ("Ella", "Mäkinen", 1, 9, None, false),
];

pub async fn load(store: &Store, settings: &ReachSettings, now: Timestamp) -> anyhow::Result<()> {
    let Some(fi) = store
        .markets()
        .await?
        .into_iter()
        .find(|m| m.code.as_str() == "FI")
    else {
        return Ok(());
    };
    let app = App::new(store.clone(), AppConfig::default()).with_reach(settings.clone());
    let operator = Caller::operator();
    let texts = store.consent_texts(Some(&[fi.id])).await?;
    for (locale, body) in [("en", TEXT_EN), ("fi", TEXT_FI)] {
        if texts.iter().any(|t| t.locale == locale) {
            continue;
        }
        consent_texts::create(
            &app,
            &operator,
            &consent_texts::RawConsentText {
                market: "FI".into(),
                locale: locale.into(),
                body: body.into(),
                legal_basis: "consent".into(),
                privacy_url: "https://northwind.example/privacy".into(),
            },
        )
        .await
        .with_context(|| format!("the demo's {locale} consent text"))?;
    }
    let campaign = store
        .campaigns()
        .await?
        .into_iter()
        .find(|c| c.markets.contains(&fi.id))
        .map(|c| c.id);
    let asset = match store.offer_by_slug(ASSET_SLUG).await? {
        Some(o) => o,
        None if settings.files_dir.is_none() => return Ok(()),
        None => {
            let created = offers::create_asset(&app, &operator, &asset_input(campaign))
                .await
                .context("the demo's gated asset")?;
            offers::set_state(&app, &operator, created.id, "live")
                .await
                .context("publishing the demo's gated asset")?
        }
    };
    let webinar = match store.offer_by_slug(WEBINAR_SLUG).await? {
        Some(o) => o,
        None => store
            .create_offer(
                &Author::system("demo"),
                &webinar_input(fi.id, campaign, now)?,
            )
            .await
            .context("the demo's webinar")?,
    };
    let existing = store
        .lead_counts(&LeadFilter {
            offer: Some(asset.id),
            ..LeadFilter::default()
        })
        .await?;
    if existing.total > 0 {
        return Ok(());
    }
    let stories: Vec<i64> = store
        .stories(Some(&[fi.id]), None, 50)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let en = texts_now(store, fi.id, "en").await?;
    let fi_text = texts_now(store, fi.id, "fi").await?;
    for (i, (first, last, days, hour, story, webinar_too)) in PEOPLE.iter().enumerate() {
        let email = format!(
            "{}.{}@example.com",
            ascii(first).to_lowercase(),
            ascii(last).to_lowercase()
        );
        let story = story.and_then(|n| stories.get(n % stories.len().max(1)).copied());
        let at = (now - (*days * 24).hours())
            .to_zoned(jiff::tz::TimeZone::UTC)
            .with()
            .hour(*hour)
            .minute(i8::try_from(i * 7 % 60).unwrap_or(0))
            .build()?
            .timestamp();
        let (locale, text) = if i % 3 == 0 {
            ("en", en)
        } else {
            ("fi", fi_text)
        };
        let mut offers = vec![asset.id];
        if *webinar_too {
            offers.push(webinar.id);
        }
        for (k, offer) in offers.into_iter().enumerate() {
            let at = at + (k as i64 * 90).minutes();
            sign_up(
                store,
                SignUp {
                    offer,
                    email: &email,
                    name: &format!("{first} {last}"),
                    locale,
                    text,
                    story,
                    at,
                    n: i * 2 + k,
                },
            )
            .await
            .with_context(|| format!("the demo lead {email}"))?;
        }
    }
    Ok(())
}

/// The id of `market`'s current consent text in `locale`.
async fn texts_now(
    store: &Store,
    market: MarketId,
    locale: &str,
) -> anyhow::Result<chorus_core::ConsentTextId> {
    Ok(store
        .current_consent_text(market, locale)
        .await?
        .context("the demo's consent text is missing")?
        .id)
}

/// "Järvinen" → "Jarvinen", for an address.
fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ä' | 'å' => 'a',
            'ö' => 'o',
            'Ä' => 'A',
            'Ö' => 'O',
            c => c,
        })
        .collect()
}

fn asset_input(campaign: Option<i64>) -> RawAsset {
    RawAsset {
        market: "FI".into(),
        slug: ASSET_SLUG.into(),
        campaign: campaign.map(|c| c.to_string()).unwrap_or_default(),
        pages: vec![
            PageInput {
                locale: "en".into(),
                title: "The State of Social 2027".into(),
                description: "What 1,200 posts across five markets taught us about earning \
                              attention instead of buying it: four findings, one page."
                    .into(),
            },
            PageInput {
                locale: "fi".into(),
                title: "Sosiaalisen median tila 2027".into(),
                description: "Mitä 1 200 julkaisua viidellä markkinalla opetti huomion \
                              ansaitsemisesta: neljä havaintoa yhdellä sivulla."
                    .into(),
            },
        ],
        fields: vec![
            FieldInput {
                label: "Company".into(),
                kind: "text".into(),
                required: false,
                options: String::new(),
            },
            FieldInput {
                label: "Team size".into(),
                kind: "select".into(),
                required: false,
                options: "1–10\n11–50\n51–250\nMore than 250".into(),
            },
        ],
        file: Upload {
            file_name: "state-of-social-2027.pdf".into(),
            content_type: Some("application/pdf".into()),
            bytes: PDF.to_vec(),
        },
        cover: None,
    }
}

fn webinar_input(
    market: MarketId,
    campaign: Option<i64>,
    now: Timestamp,
) -> anyhow::Result<NewOffer> {
    let starts_at = (now + (14 * 24).hours())
        .to_zoned(jiff::tz::TimeZone::get("Europe/Helsinki")?)
        .with()
        .hour(14)
        .minute(0)
        .second(0)
        .subsec_nanosecond(0)
        .build()?
        .timestamp();
    Ok(NewOffer {
        kind: OfferKind::Webinar,
        market,
        slug: WEBINAR_SLUG.into(),
        campaign,
        state: OfferState::Live,
        fields_json: "[]".into(),
        pages: vec![
            OfferPage {
                locale: "en".into(),
                title: "The State of Social, live".into(),
                description: "45 minutes with the report's authors and your questions.".into(),
            },
            OfferPage {
                locale: "fi".into(),
                title: "Sosiaalisen median tila, livenä".into(),
                description: "45 minuuttia raportin tekijöiden kanssa – tuo kysymyksesi.".into(),
            },
        ],
        asset: None,
        webinar: Some(Webinar {
            starts_at,
            duration_minutes: 45,
            time_zone: "Europe/Helsinki".into(),
            capacity: Some(100),
            join_url: "https://meet.northwind.example/state-of-social".into(),
            sequence: 0,
            cancelled_at: None,
        }),
    })
}

struct SignUp<'a> {
    offer: chorus_core::OfferId,
    email: &'a str,
    name: &'a str,
    locale: &'a str,
    text: chorus_core::ConsentTextId,
    story: Option<i64>,
    at: Timestamp,
    n: usize,
}

/// One sign-up, confirmed ten minutes later, as the public form and the email's button make it.
async fn sign_up(store: &Store, s: SignUp<'_>) -> anyhow::Result<()> {
    let query = match s.story {
        Some(story) => format!(
            "utm_source=bluesky&utm_medium=social&utm_campaign=state-of-social&utm_content=story-{story}"
        ),
        None => String::new(),
    };
    let utm = Utm::from_query(&query);
    let page_url = format!(
        "https://northwind.example/r/{ASSET_SLUG}{}{query}",
        if query.is_empty() { "" } else { "?" }
    );
    let token = format!("demo-confirm-{}", s.n);
    let token_sha = email_digest(&token);
    let hash = email_digest(s.email);
    let at = s.at.as_millisecond();
    let agent = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    store
        .submit(
            NewSubmission {
                offer: s.offer,
                email: s.email.to_owned(),
                email_sha256: hash.clone(),
                name: s.name.to_owned(),
                answers_json: r#"{"company":"Demo Oy"}"#.to_owned(),
                locale: s.locale.to_owned(),
                consent_text: s.text,
                form_version: 1,
                token_sha256: token_sha.clone(),
                expires_at_ms: at + 72 * 3_600_000,
                ip: "192.0.2.0".to_owned(),
                user_agent: agent.to_owned(),
                page_url,
                utm,
                at_ms: at,
            },
            {
                let (to, locale) = (s.email.to_owned(), s.locale.to_owned());
                move |_| ReachMail {
                    to,
                    subject: "Confirm your email (demo)".into(),
                    text: "This demo sign-up was confirmed when the demo was loaded.".into(),
                    html: None,
                    list_unsubscribe: None,
                    one_click: false,
                    locale,
                }
            },
        )
        .await?;
    store
        .confirm(
            &ConfirmRequest {
                token_sha256: &token_sha,
                at_ms: at + 10 * 60_000,
                prefs_token_sha256: &email_digest(&format!("demo-prefs-{}", s.email)),
                ip: "192.0.2.0",
                user_agent: agent,
                mail: None,
            },
            &hash,
        )
        .await?;
    Ok(())
}
