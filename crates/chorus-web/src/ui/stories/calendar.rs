//! `/stories/calendar`: month and week views of every variant with a time, filtered by market,
//! account, campaign and state.
//!
//! Each variant sits on the day and hour of its *market's* wall clock (a 09:00 post in Tokyo
//! and a 09:00 post in Helsinki share the 09:00 row), labelled with the market's zone and, beside
//! it, the viewer's (see [`super::zones`]). Dragging a variant to another day or hour
//! (`/static/stories.js`) posts the new wall-clock time to
//! `/stories/variants/{id}/reschedule`, which resolves it in the market's zone: a time that does
//! not exist (clocks going forward) is refused with the reason, a time that happens twice takes
//! the first. Without JavaScript, the story page has a form for the same.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::MarketId;
use chorus_core::org::TimeZoneName;
use chorus_core::stories::workflow::StoryState;
use chorus_store::{CalendarEntry, CalendarFilter, PubState};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};
use serde::Deserialize;

use super::service::{Lookup, may_reschedule, reschedule, state_tone};
use super::zones::{self, Viewer};
use super::{Choice, StoryTabs, story};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/calendar", get(page))
        .route("/stories/variants/{vid}/reschedule", post(move_variant))
}

/// The calendar's query: view, date and filters (all optional).
#[derive(Debug, Deserialize, Default, Clone)]
pub struct CalQuery {
    pub view: Option<String>,
    pub date: Option<String>,
    pub market: Option<String>,
    pub account: Option<String>,
    pub campaign: Option<String>,
    pub state: Option<String>,
    pub tz: Option<String>,
}

impl CalQuery {
    /// The filter part as a query string (for links that keep the filters).
    pub fn filters(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("market", &self.market),
            ("account", &self.account),
            ("campaign", &self.campaign),
            ("state", &self.state),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", crate::auth::urlencode(v)));
            }
        }
        parts.join("&")
    }
}

/// A calendar's entries with the range they cover (in market-local dates).
pub struct Range {
    pub week: bool,
    pub start: Date,
    /// Exclusive.
    pub end: Date,
    pub anchor: Date,
    /// The zone of "today" and of the DST markers: the market's when one is selected.
    pub zone: Option<TimeZoneName>,
}

/// The entries the viewer may see in the range, with their market-local time.
pub async fn entries(
    state: &AppState,
    id: &Identity,
    q: &CalQuery,
    lookup: &Lookup,
    viewer: &Viewer,
) -> Result<(Range, Vec<(CalendarEntry, jiff::Zoned)>), AppError> {
    let readable: Vec<MarketId> = lookup
        .readable_markets(&id.caller.actor)
        .iter()
        .map(|m| m.id)
        .collect();
    let market = q
        .market
        .as_deref()
        .and_then(|c| lookup.market_by_code(c))
        .filter(|m| readable.contains(&m.id));
    let zone = market.map(|m| m.timezone.clone()).or_else(|| {
        (readable.len() == 1)
            .then(|| lookup.market(readable[0]).map(|m| m.timezone.clone()))
            .flatten()
    });
    let tz = zone.as_ref().map(|z| z.zone()).unwrap_or(viewer.tz.clone());
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    let anchor = q
        .date
        .as_deref()
        .and_then(|d| d.trim().parse::<Date>().ok())
        .unwrap_or(today);
    let week = q.view.as_deref() == Some("week");
    let (start, end) = if week {
        let s = monday_on_or_before(anchor);
        (s, s.saturating_add(7.days()))
    } else {
        let first = anchor.first_of_month();
        let s = monday_on_or_before(first);
        let last = anchor.last_of_month();
        let e = monday_on_or_before(last).saturating_add(7.days());
        (s, e)
    };
    let pad = 86_400_000;
    let from_ms = start
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond() - pad)
        .unwrap_or(0);
    let to_ms = end
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond() + pad)
        .unwrap_or(0);
    let filter = CalendarFilter {
        markets: Some(match market {
            Some(m) => vec![m.id],
            None => readable.clone(),
        }),
        account: q.account.as_deref().and_then(|a| a.parse().ok()),
        campaign: q.campaign.as_deref().and_then(|c| c.parse().ok()),
        state: q.state.as_deref().and_then(|s| StoryState::parse(s).ok()),
    };
    let mut out = Vec::new();
    for e in state.store.calendar(from_ms, to_ms, &filter).await? {
        let Some(m) = lookup.market(e.market_id) else {
            continue;
        };
        let Ok(at) = jiff::Timestamp::from_millisecond(e.scheduled_at_ms) else {
            continue;
        };
        let local = at.to_zoned(m.timezone.zone());
        if local.date() >= start && local.date() < end {
            out.push((e, local));
        }
    }
    Ok((
        Range {
            week,
            start,
            end,
            anchor,
            zone,
        },
        out,
    ))
}

fn monday_on_or_before(d: Date) -> Date {
    let back = d.weekday().to_monday_zero_offset();
    d.saturating_sub(i64::from(back).days())
}

pub struct EntryView {
    pub variant_id: i64,
    pub story_id: i64,
    pub title: String,
    pub handle: String,
    pub locale: String,
    pub market: String,
    pub state: &'static str,
    pub tone: &'static str,
    pub market_time: String,
    pub viewer_time: String,
    /// `HH:MM:SS` of the market's wall clock, kept when the entry is dropped on another day.
    pub clock: String,
    pub movable: bool,
    pub published: bool,
}

pub struct DayCell {
    pub date: String,
    pub label: String,
    pub in_month: bool,
    pub today: bool,
    pub entries: Vec<EntryView>,
}

pub struct HourCell {
    pub hour: String,
    pub entries: Vec<EntryView>,
    /// The hour does not exist that day (clocks go forward).
    pub gap: bool,
    /// The hour happens twice that day (clocks go back).
    pub repeated: bool,
}

pub struct DayColumn {
    pub date: String,
    pub label: String,
    pub today: bool,
    pub hours: Vec<HourCell>,
}

#[derive(Template)]
#[template(path = "stories/calendar.html")]
struct CalendarPage {
    shell: Shell,
    tabs: StoryTabs,
    title: String,
    week: bool,
    weeks: Vec<Vec<DayCell>>,
    columns: Vec<DayColumn>,
    markets: Vec<Choice>,
    accounts: Vec<Choice>,
    campaigns: Vec<Choice>,
    states: Vec<Choice>,
    filters: String,
    prev: String,
    next: String,
    today: String,
    anchor: String,
    viewer: Viewer,
    zone_note: String,
    count: usize,
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<CalQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    let (range, list) = entries(&state, &id, &q, &lookup, &viewer).await?;
    let tz = range
        .zone
        .as_ref()
        .map(|z| z.zone())
        .unwrap_or(viewer.tz.clone());
    let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
    let stories = {
        let mut ids: Vec<i64> = list.iter().map(|(e, _)| e.story_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for sid in ids {
            out.push(state.store.story(sid).await?);
        }
        out
    };
    let view_of = |e: &CalendarEntry, local: &jiff::Zoned| EntryView {
        variant_id: e.variant_id,
        story_id: e.story_id,
        title: e.title.clone(),
        handle: e.account_handle.clone(),
        locale: e.locale.clone(),
        market: lookup.market_code(e.market_id),
        state: e.story_state.label(),
        tone: state_tone(e.story_state),
        market_time: local.strftime("%H:%M %Z").to_string(),
        viewer_time: {
            let v = zones::clock(e.scheduled_at_ms, &viewer.tz);
            if v == local.strftime("%H:%M %Z").to_string() {
                String::new()
            } else {
                v
            }
        },
        clock: local.strftime("%H:%M:%S").to_string(),
        movable: !matches!(e.pub_state, PubState::Published | PubState::Publishing)
            && stories
                .iter()
                .find(|s| s.id == e.story_id)
                .is_some_and(|s| may_reschedule(&id.caller.actor, s)),
        published: e.pub_state == PubState::Published,
    };
    let mut weeks = Vec::new();
    let mut columns = Vec::new();
    let mut d = range.start;
    if range.week {
        while d < range.end {
            let hours = (0..24)
                .map(|h| {
                    let kind = jiff::civil::DateTime::from_parts(
                        d,
                        jiff::civil::Time::constant(h, 30, 0, 0),
                    );
                    let (gap, repeated) = match range
                        .zone
                        .as_ref()
                        .map(|z| z.zone().to_ambiguous_zoned(kind).offset())
                    {
                        Some(AmbiguousOffset::Gap { .. }) => (true, false),
                        Some(AmbiguousOffset::Fold { .. }) => (false, true),
                        _ => (false, false),
                    };
                    HourCell {
                        hour: format!("{h:02}"),
                        entries: list
                            .iter()
                            .filter(|(_, l)| l.date() == d && l.hour() == h)
                            .map(|(e, l)| view_of(e, l))
                            .collect(),
                        gap,
                        repeated,
                    }
                })
                .collect();
            columns.push(DayColumn {
                date: d.to_string(),
                label: d.strftime("%a %-d %b").to_string(),
                today: d == today,
                hours,
            });
            d = d.saturating_add(1.day());
        }
    } else {
        while d < range.end {
            let mut row = Vec::new();
            for _ in 0..7 {
                row.push(DayCell {
                    date: d.to_string(),
                    label: d.day().to_string(),
                    in_month: d.month() == range.anchor.month(),
                    today: d == today,
                    entries: list
                        .iter()
                        .filter(|(_, l)| l.date() == d)
                        .map(|(e, l)| view_of(e, l))
                        .collect(),
                });
                d = d.saturating_add(1.day());
            }
            weeks.push(row);
        }
    }
    let step = if range.week { 7.days() } else { 1.month() };
    let view = if range.week { "week" } else { "month" };
    let filters = q.filters();
    let link = |date: Date| {
        let mut s = format!("/stories/calendar?view={view}&date={date}");
        if !filters.is_empty() {
            s.push('&');
            s.push_str(&filters);
        }
        s
    };
    let readable = lookup.readable_markets(&id.caller.actor);
    let sel = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let markets = readable
        .iter()
        .map(|m| {
            Choice::new(
                &m.code,
                format!("{} {}", m.code, m.name),
                sel(&q.market, m.code.as_str()),
            )
        })
        .collect();
    let accounts = lookup
        .accounts
        .iter()
        .filter(|a| readable.iter().any(|m| m.id == a.market_id))
        .map(|a| {
            Choice::new(
                a.id,
                format!("@{}", a.handle),
                sel(&q.account, &a.id.to_string()),
            )
        })
        .collect();
    let campaigns = lookup
        .campaigns
        .iter()
        .filter(|c| {
            c.markets
                .iter()
                .any(|m| readable.iter().any(|r| r.id == *m))
        })
        .map(|c| Choice::new(c.id, c.name.clone(), sel(&q.campaign, &c.id.to_string())))
        .collect();
    let states = StoryState::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), s.label(), sel(&q.state, s.as_str())))
        .collect();
    let title = if range.week {
        format!("Week of {}", range.start.strftime("%-d %B %Y"))
    } else {
        range.anchor.strftime("%B %Y").to_string()
    };
    let zone_note = match &range.zone {
        Some(z) => format!("Times in {} (the market's zone)", z.as_str()),
        None => "Times in each market's own zone".to_owned(),
    };
    let shell = Shell::new(&state, &id, "stories", "Calendar").await?;
    Ok(render(&CalendarPage {
        shell,
        tabs: StoryTabs::new(&id.caller.actor, "calendar"),
        title,
        week: range.week,
        weeks,
        columns,
        markets,
        accounts,
        campaigns,
        states,
        prev: link(range.anchor.saturating_sub(step)),
        next: link(range.anchor.saturating_add(step)),
        today: link(today),
        anchor: range.anchor.to_string(),
        count: list.len(),
        filters,
        viewer,
        zone_note,
    }))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// Moves a variant to a new market-local time: JSON for the calendar's script, a redirect or
/// the story page with the error for the form.
async fn move_variant(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(vid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let result = reschedule(&state, &id, vid, form.get("local")).await;
    let json = wants_json(&headers);
    match result {
        Ok((v, story, note)) => {
            if json {
                let market = state.store.market(story.market_id).await?;
                let viewer = zones::viewer(None, &headers);
                let shown = v
                    .scheduled_at_ms
                    .map(|t| zones::show(t, &market.timezone, &viewer));
                return Ok(Json(serde_json::json!({
                    "ok": true,
                    "variant": v.id,
                    "scheduled_at": shown.as_ref().map(|s| s.iso.clone()),
                    "market_time": shown.as_ref().map(|s| s.market.clone()),
                    "note": note,
                }))
                .into_response());
            }
            Ok(
                Redirect::to(&format!("/stories/{}?done=moved#variant-{vid}", story.id))
                    .into_response(),
            )
        }
        Err(e) if json => {
            let status = e.status();
            Ok((
                status,
                Json(serde_json::json!({"ok": false, "message": e.public_message()})),
            )
                .into_response())
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let v = state.store.variant(vid).await?;
            let s = super::service::readable_story(&state, &id, v.story_id).await?;
            let viewer = zones::viewer(None, &headers);
            let status = if e.status() == StatusCode::CONFLICT {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            story::story_page(
                &state,
                &id,
                s,
                viewer,
                status,
                Flash::error(format!("The variant was not moved: {}", e.public_message())),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::Weekday;

    #[test]
    fn weeks_start_on_monday() {
        let d: Date = "2026-03-29".parse().unwrap();
        assert_eq!(d.weekday(), Weekday::Sunday);
        assert_eq!(monday_on_or_before(d).to_string(), "2026-03-23");
        let m: Date = "2026-03-23".parse().unwrap();
        assert_eq!(monday_on_or_before(m), m);
    }
}
