//! Reading leads: the list with its filters, one lead with its attribution, touches and consent
//! history, and both as CSV. Leads are personal data: `Action::ReadLeads` in the lead's market
//! (market leads, analysts, global leads; never contributors or editors). A lead of a market the
//! caller may not read is `NotFound`, whatever their other roles.
//!
//! CSV cells a spreadsheet would run as formulas get a leading apostrophe (as in
//! `numbers/csv.rs`): names and answers come from the public.

use chorus_core::permission::{allows, markets_where};
use chorus_core::reach::ConsentEvent;
use chorus_core::validate::quoted;
use chorus_core::{Action, LeadId, MarketId, OfferId, PrincipleId, Scope};
pub use chorus_store::reach::{
    ConsentRecord, LeadCounts, LeadDetail, LeadGroupRow, LeadPrinciple, LeadRow, Touch,
};
use chorus_store::reach::{LeadFilter, LeadGroup};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::stories::export::{Export, guard};
use crate::{App, Caller, Error, Result};

/// Rows per page of the list.
pub const PAGE_SIZE: u32 = 50;

/// The list's filters as typed (query parameters): every one optional.
#[derive(Debug, Clone, Default)]
pub struct RawLeadFilters {
    /// A market code.
    pub market: String,
    pub offer: String,
    pub story: String,
    pub campaign: String,
    pub principle: String,
    /// Confirmed on or after this day (`YYYY-MM-DD`, in the zone given).
    pub from: String,
    /// Confirmed on or before this day.
    pub to: String,
    /// `yes`: only withdrawn; `no`: only consenting; empty: both.
    pub withdrawn: String,
    /// Part of an email or name.
    pub q: String,
    /// The `next` of the previous page.
    pub after: String,
}

/// A page of leads.
#[derive(Debug, Clone)]
pub struct LeadsPage {
    pub rows: Vec<LeadRow>,
    /// Over the whole selection, not just this page.
    pub counts: LeadCounts,
    /// Pass as `after` for the next page; `None` on the last.
    pub next: Option<String>,
}

/// The markets whose leads the caller reads (`None`: all); refuses those who read none.
async fn readable(app: &App, caller: &Caller) -> Result<Option<Vec<MarketId>>> {
    let markets = app.store.markets().await?;
    let visible = markets_where(
        &caller.actor,
        Action::ReadLeads,
        markets.iter().map(|m| m.id),
    );
    if visible.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::forbidden("only market leads and analysts see leads"));
    }
    Ok(visible)
}

fn id_of(raw: &str, field: &'static str) -> Result<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        s => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::invalid(field, format!("{} is not an id", quoted(s)))),
    }
}

fn day_start(raw: &str, field: &'static str, zone: &TimeZone, next: bool) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day: Date = raw.parse().map_err(|_| {
        Error::invalid(field, format!("{} is not a date (YYYY-MM-DD)", quoted(raw)))
    })?;
    let day = if next {
        day.tomorrow()
            .map_err(|e| Error::invalid(field, e.to_string()))?
    } else {
        day
    };
    let at = day
        .to_zoned(zone.clone())
        .map_err(|e| Error::invalid(field, e.to_string()))?;
    Ok(Some(at.timestamp().as_millisecond()))
}

/// Turns typed filters into the store's, inside the caller's markets. A market the caller may
/// not read leads of is `NotFound`, as in Numbers; a code no market has is `Invalid`.
async fn parse_filters(
    app: &App,
    caller: &Caller,
    raw: &RawLeadFilters,
    zone: &TimeZone,
) -> Result<LeadFilter> {
    let visible = readable(app, caller).await?;
    let mut markets = visible.clone();
    if !raw.market.trim().is_empty() {
        let all = app.store.markets().await?;
        let m = all
            .iter()
            .find(|m| m.code.as_str().eq_ignore_ascii_case(raw.market.trim()))
            .ok_or_else(|| {
                Error::invalid("market", format!("no market {}", quoted(&raw.market)))
            })?;
        if visible.as_ref().is_some_and(|v| !v.contains(&m.id)) {
            return Err(Error::NotFound("market"));
        }
        markets = Some(vec![m.id]);
    }
    let withdrawn = match raw.withdrawn.trim() {
        "" | "any" => None,
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        other => {
            return Err(Error::invalid(
                "withdrawn",
                format!("{} is not yes or no", quoted(other)),
            ));
        }
    };
    let before = match raw.after.trim() {
        "" => None,
        s => {
            let bad = || Error::invalid("after", "is not a page of this list; start again");
            let (at, id) = s.split_once('-').ok_or_else(bad)?;
            Some((
                at.parse().map_err(|_| bad())?,
                LeadId(id.parse().map_err(|_| bad())?),
            ))
        }
    };
    let q = raw.q.trim();
    if q.chars().count() > 200 {
        return Err(Error::invalid("q", "search for at most 200 characters"));
    }
    Ok(LeadFilter {
        markets,
        offer: id_of(&raw.offer, "offer")?.map(OfferId),
        story: id_of(&raw.story, "story")?,
        campaign: id_of(&raw.campaign, "campaign")?,
        principle: id_of(&raw.principle, "principle")?.map(PrincipleId),
        confirmed_from_ms: day_start(&raw.from, "from", zone, false)?,
        confirmed_to_ms: day_start(&raw.to, "to", zone, true)?,
        withdrawn,
        search: (!q.is_empty()).then(|| q.to_owned()),
        before,
    })
}

/// A page of the leads the filters select (days read in `zone`), newest first.
pub async fn list(
    app: &App,
    caller: &Caller,
    raw: &RawLeadFilters,
    zone: &TimeZone,
) -> Result<LeadsPage> {
    let filter = parse_filters(app, caller, raw, zone).await?;
    let mut rows = app.store.leads(&filter, PAGE_SIZE + 1).await?;
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    let counts = app.store.lead_counts(&filter).await?;
    let next = more
        .then(|| {
            rows.last()
                .map(|r| format!("{}-{}", r.confirmed_at_ms, r.id.0))
        })
        .flatten();
    Ok(LeadsPage { rows, counts, next })
}

/// The Reach overview's groupings of the caller's leads: per story, campaign and market.
#[derive(Debug, Clone, Default)]
pub struct LeadBreakdown {
    pub by_story: Vec<LeadGroupRow>,
    pub by_campaign: Vec<LeadGroupRow>,
    pub by_market: Vec<LeadGroupRow>,
    pub by_principle: Vec<LeadGroupRow>,
    pub counts: LeadCounts,
}

/// The caller's leads grouped for the overview; `None` for those who may not read leads.
pub async fn breakdown(app: &App, caller: &Caller) -> Result<Option<LeadBreakdown>> {
    let visible = match readable(app, caller).await {
        Ok(v) => v,
        Err(Error::Forbidden(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let filter = LeadFilter {
        markets: visible,
        ..LeadFilter::default()
    };
    Ok(Some(LeadBreakdown {
        by_story: app.store.lead_groups(&filter, LeadGroup::Story).await?,
        by_campaign: app.store.lead_groups(&filter, LeadGroup::Campaign).await?,
        by_market: app.store.lead_groups(&filter, LeadGroup::Market).await?,
        by_principle: app.store.lead_groups(&filter, LeadGroup::Principle).await?,
        counts: app.store.lead_counts(&filter).await?,
    }))
}

/// One lead with its history; `NotFound` unless the caller reads leads in its market.
pub async fn get(app: &App, caller: &Caller, id: LeadId) -> Result<LeadDetail> {
    let detail = app.store.lead(id).await?.ok_or(Error::NotFound("lead"))?;
    if !allows(
        &caller.actor,
        Action::ReadLeads,
        Scope::Market(detail.lead.market),
    ) {
        return Err(Error::NotFound("lead"));
    }
    Ok(detail)
}

/// The lead's person's address, for a data-subject request; `Conflict` once erased.
async fn subject_email(app: &App, caller: &Caller, id: LeadId) -> Result<String> {
    let detail = get(app, caller, id).await?;
    detail
        .lead
        .email
        .ok_or_else(|| Error::conflict("lead", "this person's data was already erased"))
}

/// A copy of everything Reach holds about the lead's person in the markets whose leads the
/// caller reads (`chorus_app::reach::subject::export`, which writes the `exported` row).
pub async fn export_person(app: &App, caller: &Caller, id: LeadId) -> Result<Export> {
    let email = subject_email(app, caller, id).await?;
    let export = super::subject::export(app, caller, &email).await?;
    let bytes = serde_json::to_vec_pretty(&export).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Export {
        file_name: format!("chorus-lead-{}-data.json", id.0),
        bytes,
    })
}

/// Erases the lead's person from Reach (`chorus_app::reach::subject::erase`): their name and
/// address go, the consent ledger's proof stays. `confirm` must be `yes` (the page's tick box).
pub async fn erase_person(
    app: &App,
    caller: &Caller,
    id: LeadId,
    confirm: &str,
) -> Result<super::subject::Erasure> {
    let email = subject_email(app, caller, id).await?;
    if confirm.trim() != "yes" {
        return Err(Error::invalid(
            "confirm",
            "tick the box to confirm the person asked to be erased",
        ));
    }
    super::subject::erase(app, caller, &email).await
}

fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| String::new(), |t| t.to_string())
}

fn opt(s: &Option<String>) -> String {
    guard(s.as_deref().unwrap_or(""))
}

/// Every lead the filters select (paging ignored), as CSV: one row per lead, times in UTC.
pub async fn csv(
    app: &App,
    caller: &Caller,
    raw: &RawLeadFilters,
    zone: &TimeZone,
) -> Result<Export> {
    let mut filter = parse_filters(app, caller, raw, zone).await?;
    filter.before = None;
    let internal = |e: csv::Error| Error::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "lead_id",
        "confirmed_at",
        "email",
        "name",
        "offer",
        "offer_title",
        "market",
        "story_id",
        "story",
        "campaign_id",
        "campaign",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
        "withdrawn_at",
    ])
    .map_err(internal)?;
    loop {
        let rows = app.store.leads(&filter, 1000).await?;
        let Some(last) = rows.last() else { break };
        filter.before = Some((last.confirmed_at_ms, last.id));
        for r in &rows {
            w.write_record([
                r.id.0.to_string(),
                rfc3339(r.confirmed_at_ms),
                opt(&r.email),
                opt(&r.name),
                guard(&r.offer_slug),
                guard(&r.offer_title),
                r.market_code.clone(),
                r.story.map(|s| s.to_string()).unwrap_or_default(),
                opt(&r.story_title),
                r.campaign.map(|s| s.to_string()).unwrap_or_default(),
                opt(&r.campaign_name),
                opt(&r.utm_source),
                opt(&r.utm_medium),
                opt(&r.utm_campaign),
                opt(&r.utm_content),
                opt(&r.utm_term),
                r.withdrawn_at_ms.map(rfc3339).unwrap_or_default(),
            ])
            .map_err(internal)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Export {
        file_name: format!("chorus-leads-{}.csv", Timestamp::now().strftime("%Y-%m-%d")),
        bytes,
    })
}

/// One lead's consent history as CSV: every ledger row about the person, oldest first, with the
/// exact text and its hash.
pub async fn consent_csv(app: &App, caller: &Caller, id: LeadId) -> Result<Export> {
    let detail = get(app, caller, id).await?;
    let internal = |e: csv::Error| Error::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "event",
        "at",
        "offer",
        "market",
        "consent_version",
        "consent_sha256",
        "legal_basis",
        "locale",
        "form_version",
        "ip",
        "user_agent",
        "page_url",
        "utm",
        "by",
        "consent_text",
    ])
    .map_err(internal)?;
    for e in &detail.consent {
        w.write_record([
            e.event.as_str().to_owned(),
            rfc3339(e.at_ms),
            opt(&e.offer_slug),
            opt(&e.market_code),
            e.consent_version.map(|v| v.to_string()).unwrap_or_default(),
            opt(&e.consent_sha256),
            opt(&e.legal_basis),
            opt(&e.locale),
            e.form_version.map(|v| v.to_string()).unwrap_or_default(),
            opt(&e.ip),
            opt(&e.user_agent),
            opt(&e.page_url),
            opt(&e.utm),
            opt(&e.actor),
            opt(&e.consent_text),
        ])
        .map_err(internal)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Export {
        file_name: format!("chorus-lead-{}-consent.csv", id.0),
        bytes,
    })
}

/// The browser a user agent names, for people ("Firefox", "Chrome on Android"); empty
/// agents read "an unknown browser".
pub fn browser(user_agent: &str) -> String {
    let ua = user_agent;
    let name = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "Mac"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, os)| *os);
    match (name, os) {
        (Some(n), Some(o)) => format!("{n} on {o}"),
        (Some(n), None) => n.to_owned(),
        (None, _) if ua.trim().is_empty() => "an unknown browser".to_owned(),
        (None, _) => "another browser".to_owned(),
    }
}

/// A locale's language in English ("Finnish" for `fi-FI`), or the tag itself.
pub fn language_name(locale: &str) -> String {
    let lang = locale
        .split('-')
        .next()
        .unwrap_or(locale)
        .to_ascii_lowercase();
    let name = match lang.as_str() {
        "en" => "English",
        "fi" => "Finnish",
        "sv" => "Swedish",
        "de" => "German",
        "fr" => "French",
        "es" => "Spanish",
        "pt" => "Portuguese",
        "nl" => "Dutch",
        "da" => "Danish",
        "nb" | "no" => "Norwegian",
        "it" => "Italian",
        "pl" => "Polish",
        "et" => "Estonian",
        _ => return locale.to_owned(),
    };
    name.to_owned()
}

/// A ledger row in one sentence, with `when` already written in the reader's clock:
/// "Confirmed on 7 Dec 2026 14:02 from 192.168.1.0 (Firefox) — agreed to version 3 of the
/// Finnish consent text".
pub fn consent_sentence(e: &ConsentRecord, when: &str) -> String {
    let verb = match e.event {
        ConsentEvent::Submitted => "Sent the form",
        ConsentEvent::Confirmed => "Confirmed",
        ConsentEvent::Withdrawn => "Withdrew consent",
        ConsentEvent::Exported => "Data exported",
        ConsentEvent::Erased => "Data erased",
    };
    let mut s = format!("{verb} on {when}");
    if let Some(ip) = e.ip.as_deref().filter(|ip| !ip.is_empty()) {
        s.push_str(&format!(
            " from {ip} ({})",
            browser(e.user_agent.as_deref().unwrap_or(""))
        ));
    }
    if let Some(actor) = &e.actor {
        s.push_str(&format!(" by {actor}"));
    }
    let text = e.locale.as_deref().map(language_name);
    match (e.event, e.consent_version, text) {
        (ConsentEvent::Submitted, Some(v), Some(lang)) => {
            s.push_str(&format!(" — shown version {v} of the {lang} consent text"));
        }
        (ConsentEvent::Confirmed, Some(v), Some(lang)) => {
            s.push_str(&format!(
                " — agreed to version {v} of the {lang} consent text"
            ));
        }
        _ => {}
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event: ConsentEvent) -> ConsentRecord {
        ConsentRecord {
            event,
            at_ms: 0,
            offer: None,
            offer_slug: None,
            market_code: Some("FI".into()),
            consent_version: Some(3),
            consent_text: Some("Saa lähettää.".into()),
            consent_sha256: None,
            legal_basis: Some("consent".into()),
            form_version: Some(1),
            locale: Some("fi-FI".into()),
            ip: Some("192.168.1.0".into()),
            user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into(),
            ),
            page_url: None,
            utm: None,
            actor: None,
        }
    }

    #[test]
    fn ledger_rows_read_as_sentences() {
        assert_eq!(
            consent_sentence(&record(ConsentEvent::Confirmed), "7 Dec 2026 14:02"),
            "Confirmed on 7 Dec 2026 14:02 from 192.168.1.0 (Firefox on Linux) — agreed to \
             version 3 of the Finnish consent text"
        );
        let exported = ConsentRecord {
            ip: None,
            actor: Some("Sanna Korhonen".into()),
            ..record(ConsentEvent::Exported)
        };
        assert_eq!(
            consent_sentence(&exported, "8 Dec 2026 09:00"),
            "Data exported on 8 Dec 2026 09:00 by Sanna Korhonen"
        );
    }

    #[test]
    fn browsers_are_named_for_people() {
        let chrome_android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(browser(chrome_android), "Chrome on Android");
        let edge =
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0";
        assert_eq!(browser(edge), "Edge on Windows");
        assert_eq!(browser(""), "an unknown browser");
        assert_eq!(language_name("sv-SE"), "Swedish");
        assert_eq!(language_name("xx"), "xx");
    }
}
