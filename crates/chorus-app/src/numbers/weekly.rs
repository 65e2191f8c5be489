//! The weekly Numbers email per market: every Monday from 08:00 in the market's time zone
//! (`chorus_core::numbers::weekly::due_week`), each person who reads that market's numbers (the
//! rule table's `Action::ReadNumbers` in that market) and has not turned the email off receives
//! one message about the week that ended — each metric this week against the week before, the
//! top posts by likes, a link to the Numbers page on the public address — in the market's
//! first locale where a template exists (Finnish; English otherwise), with the market's PDF
//! report for that week attached.
//!
//! The contract:
//!
//! - The figures are [`overview`]'s and the PDF is [`super::pdf::render`] of the same
//!   document, for the market and the week, so they equal the page's for the same filters.
//! - Idempotent: each message's outbox key is `numbers-weekly:{market}:{monday}:{user}`, so a
//!   second run in the same week (a restart, `chorus numbers send-reports` by hand) queues
//!   nothing again.
//! - [`send_reports`] is the installation's scheduled work, not a person's action: it runs as
//!   the system and authorizes each *recipient* with the rule table instead.
//! - The opt-out is the person's own setting ([`set_opt_out`]), stored as the mail kind
//!   [`OPT_OUT_KIND`]; the email says where to change it.

use chorus_core::numbers::Metric;
use chorus_core::numbers::weekly::due_week;
use chorus_core::org::{Locale, Market};
use chorus_core::permission::allows;
use chorus_core::{Action, Actor, Scope};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use super::pdf::{self, NOT_AVAILABLE, label};
use super::{ReportFilters, overview, report};
use crate::mail::{self, MailAttachment, Outgoing, Template, Templates};
use crate::{App, Caller, Error, Result};

/// The mail kind people opt out of.
pub const OPT_OUT_KIND: &str = "numbers_weekly";

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyRun {
    /// Markets whose report was due (with at least one recipient).
    pub markets: usize,
    /// Messages queued by this run.
    pub queued: usize,
    /// Messages that an earlier run had queued already.
    pub already: usize,
}

/// One metric's line: this week, the week before.
struct Line {
    metric: Metric,
    this: Option<i64>,
    before: Option<i64>,
}

/// What a market's email says, whoever receives it.
struct Summary {
    market: Market,
    from: Date,
    to: Date,
    lines: Vec<Line>,
    /// (post, likes) of the week's best posts.
    top: Vec<(String, i64)>,
    numbers_url: Option<String>,
    account_url: Option<String>,
}

/// Queues the weekly email of every market whose report is due at `now`, once per person and
/// week.
pub async fn send_reports(app: &App, now: Timestamp) -> Result<WeeklyRun> {
    let system = Caller::operator();
    let users = app.store.users(None).await?;
    let opted = app.store.mail_opt_outs(OPT_OUT_KIND).await?;
    let mut run = WeeklyRun::default();
    for market in app.store.markets().await? {
        let tz = jiff::tz::TimeZone::get(market.timezone.as_str())
            .map_err(|e| Error::Internal(format!("market {}: {e}", market.code)))?;
        let Some(from) = due_week(now, &tz) else {
            continue;
        };
        let recipients: Vec<_> = users
            .iter()
            .filter(|u| u.user.active && !opted.contains(&u.user.id))
            .filter(|u| {
                let actor = Actor {
                    user_id: u.user.id,
                    memberships: u.memberships.clone(),
                };
                allows(&actor, Action::ReadNumbers, Scope::Market(market.id))
            })
            .collect();
        if recipients.is_empty() {
            continue;
        }
        run.markets += 1;
        let to = from.checked_add(6.days()).map_err(internal)?;
        let filters = ReportFilters {
            market: market.code.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            ..ReportFilters::default()
        };
        let doc = pdf::document(app, &system, &filters, now).await?;
        let attachment = MailAttachment {
            file_name: format!(
                "chorus-numbers-{}-{from}-{to}.pdf",
                market.code.as_str().to_lowercase()
            ),
            content_type: "application/pdf".into(),
            bytes: pdf::render(&doc)?,
        };
        let summary = summarize(app, &system, market, &filters, &doc.overview).await?;
        let locale = summary
            .market
            .locales
            .first()
            .cloned()
            .map_or_else(|| Locale::parse(mail::FALLBACK_LOCALE), Ok)
            .map_err(|e| Error::Internal(e.message))?;
        let templates = templates(&summary);
        let (used, template) = templates.pick(&locale);
        for r in recipients {
            let queued = mail::enqueue_with(
                app,
                &Outgoing {
                    key: format!(
                        "numbers-weekly:{}:{from}:{}",
                        summary.market.id.0, r.user.id.0
                    ),
                    to: r.user.email.clone(),
                    locale: used.to_owned(),
                    template: template.clone(),
                    list_unsubscribe: summary.account_url.as_ref().map(|u| format!("<{u}>")),
                    one_click: false,
                },
                std::slice::from_ref(&attachment),
            )
            .await?;
            if queued.created {
                run.queued += 1;
            } else {
                run.already += 1;
            }
        }
    }
    Ok(run)
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

async fn summarize(
    app: &App,
    system: &Caller,
    market: Market,
    filters: &ReportFilters,
    this_week: &super::Overview,
) -> Result<Summary> {
    let from = this_week.from;
    let to = this_week.to;
    let before = overview(
        app,
        system,
        &ReportFilters {
            from: from.checked_sub(7.days()).map_err(internal)?.to_string(),
            to: from.checked_sub(1.day()).map_err(internal)?.to_string(),
            ..filters.clone()
        },
    )
    .await?;
    let lines = this_week
        .totals
        .iter()
        .filter(|(info, _)| info.metric.stands_alone())
        .map(|(info, this)| Line {
            metric: info.metric,
            this: *this,
            before: before
                .totals
                .iter()
                .find(|(i, _)| i.metric == info.metric)
                .and_then(|(_, v)| *v),
        })
        .collect();
    let posts = report(
        app,
        system,
        &ReportFilters {
            group_by: "post".into(),
            metrics: "likes".into(),
            ..filters.clone()
        },
    )
    .await?;
    let mut best: Vec<(&str, &str, i64)> = posts
        .rows
        .iter()
        .filter_map(|r| {
            r.values[0]
                .filter(|v| *v > 0)
                .map(|v| (r.subject.as_str(), r.label.as_str(), v))
        })
        .collect();
    best.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0)));
    best.truncate(3);
    let mut top = Vec::with_capacity(best.len());
    for (subject, label, likes) in best {
        top.push((
            post_name(app, subject)
                .await
                .unwrap_or_else(|| label.to_owned()),
            likes,
        ));
    }
    let base = app
        .public_url()
        .map(|b| b.as_str().trim_end_matches('/').to_owned());
    Ok(Summary {
        numbers_url: base
            .as_ref()
            .map(|b| format!("{b}/numbers?market={}&from={from}&to={to}", market.code)),
        account_url: base.as_ref().map(|b| format!("{b}/account")),
        market,
        from,
        to,
        lines,
        top,
    })
}

/// A post as people recognise it: its story's title and the start of its text (`None`: keep the
/// report's label).
async fn post_name(app: &App, variant: &str) -> Option<String> {
    let v = app.store.variant(variant.parse().ok()?).await.ok()?;
    let story = app.store.story(v.story_id).await.ok()?;
    let text: String = v.body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut excerpt: String = text.chars().take(60).collect();
    if excerpt.len() < text.len() {
        excerpt.push('…');
    }
    Some(format!("{} — “{excerpt}”", story.title))
}

/// The words of one language.
struct Words {
    subject: &'static str,
    heading: &'static str,
    this: &'static str,
    before: &'static str,
    change: &'static str,
    not_available: &'static str,
    top: &'static str,
    likes: &'static str,
    no_posts: &'static str,
    page: &'static str,
    attached: &'static str,
    why: &'static str,
    stop: &'static str,
    metric: fn(Metric) -> String,
}

const EN: Words = Words {
    subject: "Chorus Numbers",
    heading: "What Chorus published did",
    this: "This week",
    before: "Week before",
    change: "Change",
    not_available: NOT_AVAILABLE,
    top: "Top posts this week, by likes",
    likes: "likes",
    no_posts: "No post gained likes this week.",
    page: "The Numbers page",
    attached: "The full report is attached as a PDF.",
    why: "You receive this because you read this market's numbers in Chorus.",
    stop: "To stop this weekly email, turn it off on your account page",
    metric: |m| label(m.name()),
};

const FI: Words = Words {
    subject: "Chorus Numbers",
    heading: "Mitä Chorusissa julkaistu sai aikaan",
    this: "Tämä viikko",
    before: "Edellinen",
    change: "Muutos",
    not_available: "ei saatavilla",
    top: "Viikon parhaat julkaisut tykkäysten mukaan",
    likes: "tykkäystä",
    no_posts: "Mikään julkaisu ei saanut tykkäyksiä tällä viikolla.",
    page: "Numbers-sivu",
    attached: "Koko raportti on liitteenä PDF-tiedostona.",
    why: "Saat tämän, koska luet tämän markkinan lukuja Chorusissa.",
    stop: "Voit lopettaa tämän viikkoviestin tilisivullasi",
    metric: |m| {
        match m {
            Metric::Likes => "Tykkäykset",
            Metric::Reposts => "Uudelleenjaot",
            Metric::Replies => "Vastaukset",
            Metric::Quotes => "Lainaukset",
            Metric::Bookmarks => "Kirjanmerkit",
            Metric::Followers => "Seuraajat",
            Metric::FirstHourLikes => "Ensimmäisen tunnin tykkäykset",
            Metric::Impressions => "Näyttökerrat",
            Metric::Clicks => "Klikkaukset",
            Metric::ConversationVolume => "Keskustelujen määrä",
            Metric::PositiveConversations => "Myönteiset keskustelut",
            Metric::NegativeConversations => "Kielteiset keskustelut",
            Metric::FirstResponses => "Ensivastaukset",
            Metric::FirstResponsesWithinTarget => "Ensivastaukset tavoiteajassa",
            Metric::FirstResponseMinutes => "Minuutit ensivastaukseen (summa)",
            Metric::Leads => "Liidit",
        }
        .to_owned()
    },
};

/// The email in English and Finnish, for [`Templates::pick`].
fn templates(s: &Summary) -> Templates {
    let t = Templates::new(render(s, &EN));
    match Locale::parse("fi") {
        Ok(fi) => t.with(&fi, render(s, &FI)),
        Err(_) => t,
    }
}

fn render(s: &Summary, w: &Words) -> Template {
    let figure = |v: Option<i64>| v.map_or_else(|| w.not_available.to_owned(), |v| v.to_string());
    let name_w = s
        .lines
        .iter()
        .map(|l| (w.metric)(l.metric).chars().count())
        .max()
        .unwrap_or(10)
        .max(12);
    let mut text = format!(
        "{} — {} ({}), {} – {}\n\n",
        w.heading, s.market.name, s.market.code, s.from, s.to
    );
    text.push_str(&format!(
        "{:<name_w$}  {:>14}  {:>14}  {:>8}\n",
        "", w.this, w.before, w.change
    ));
    for l in &s.lines {
        let change = match (l.this, l.before) {
            (Some(a), Some(b)) if a == b => "0".to_owned(),
            (Some(a), Some(b)) => format!("{:+}", a - b),
            _ => String::new(),
        };
        let line = format!(
            "{:<name_w$}  {:>14}  {:>14}  {:>8}",
            (w.metric)(l.metric),
            figure(l.this),
            figure(l.before),
            change
        );
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.push_str(&format!("\n{}:\n", w.top));
    if s.top.is_empty() {
        text.push_str(&format!("  {}\n", w.no_posts));
    }
    for (i, (post, likes)) in s.top.iter().enumerate() {
        text.push_str(&format!("  {}. {post}: {likes} {}\n", i + 1, w.likes));
    }
    if let Some(url) = &s.numbers_url {
        text.push_str(&format!("\n{}: {url}\n", w.page));
    }
    text.push_str(&format!("{}\n\n-- \n{}\n", w.attached, w.why));
    match &s.account_url {
        Some(url) => text.push_str(&format!("{}: {url}\n", w.stop)),
        None => text.push_str(&format!("{}.\n", w.stop)),
    }
    Template {
        subject: format!(
            "{}: {} ({}), {} – {}",
            w.subject, s.market.name, s.market.code, s.from, s.to
        ),
        text,
        html: None,
    }
}

/// Whether the caller has turned the weekly email off.
pub async fn opted_out(app: &App, caller: &Caller) -> Result<bool> {
    let Some(user) = &caller.user else {
        return Ok(false);
    };
    Ok(app.store.mail_opted_out(user.id, OPT_OUT_KIND).await?)
}

/// Turns the caller's own weekly email off (`opted_out`) or on again. A person's own setting:
/// anyone signed in may change theirs, and only theirs.
pub async fn set_opt_out(app: &App, caller: &Caller, opted_out: bool) -> Result<()> {
    let Some(user) = &caller.user else {
        return Err(Error::invalid(
            "user",
            "the weekly email is a person's setting; sign in as them",
        ));
    };
    app.store
        .set_mail_opt_out(&caller.author(), user.id, OPT_OUT_KIND, opted_out)
        .await?;
    Ok(())
}
