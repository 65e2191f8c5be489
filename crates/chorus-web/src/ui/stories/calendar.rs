//! `/stories/calendar`: month and week views of every variant with a time, filtered by market,
//! account, campaign and state; and `/stories/variants/{id}/reschedule`, which moves one.
//!
//! Each variant sits on the day and hour of its *market's* wall clock, labelled with the
//! market's zone and, beside it, the viewer's (see [`super::zones`]). Dragging a variant to
//! another day or hour (`/static/stories.js`) posts the new wall-clock time to
//! `/stories/variants/{id}/reschedule`; without JavaScript, the story page has a form for the
//! same. What the calendar holds, who may move what, and the checks on the new time (a time the
//! clocks skip, a time that has passed for a scheduled post) are
//! `chorus_app::stories::calendar`'s, as are each variant's own status (what colours its item)
//! and the hour the week opens at; this module renders and translates.
//!
//! The week is drawn as hour rows across the seven days, so a crowded hour grows its row (more
//! than four posts fold behind "+N more", a `<details>`); `stories.js` scrolls it to the hour in
//! `data-start-hour`. On small screens the month is a grid of dots linking to a list of the days
//! that have posts (CSS only: the same markup).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::stories::calendar::{self, CalendarQuery, Entry, VariantStatus};
use chorus_core::org::TimeZoneName;
use chorus_core::stories::limits::Network;
use chorus_core::stories::workflow::StoryState;
use jiff::ToSpan;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::AmbiguousOffset;
use serde::Deserialize;

use super::zones::{self, Viewer};
use super::{Choice, StoryTabs, story};
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/calendar", get(page))
        .route("/stories/variants/{vid}/reschedule", post(move_variant))
}

/// The calendar's query: view, date and filters (all optional), and the viewer's zone.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct CalQuery {
    pub view: Option<String>,
    pub date: Option<String>,
    pub market: Option<String>,
    pub account: Option<String>,
    pub campaign: Option<String>,
    pub state: Option<String>,
    /// A variant's own status (`pending`, `scheduled`, …).
    pub status: Option<String>,
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
            ("status", &self.status),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", crate::auth::urlencode(v)));
            }
        }
        parts.join("&")
    }

    /// What the use case is asked.
    pub fn query(&self) -> CalendarQuery {
        CalendarQuery {
            view: self.view.clone(),
            date: self.date.clone(),
            market: self.market.clone(),
            account: self.account.clone(),
            campaign: self.campaign.clone(),
            state: self.state.clone(),
            status: self.status.clone(),
        }
    }
}

pub struct EntryView {
    pub variant_id: i64,
    pub story_id: i64,
    pub title: String,
    pub handle: String,
    pub locale: String,
    pub market: String,
    /// The variant's own status (`pending`, `scheduled`, …: the CSS colour) and its words.
    pub status: &'static str,
    pub status_label: &'static str,
    /// Its story's stage, said beside a pending post ("Pending · In review").
    pub stage: &'static str,
    /// The network, shown as a small mark.
    pub net: NetworkMark,
    /// `HH:MM` on the market's wall clock, and with the zone's abbreviation.
    pub short_time: String,
    pub market_time: String,
    pub viewer_time: String,
    /// `HH:MM:SS` of the market's wall clock, kept when the entry is dropped on another day.
    pub clock: String,
    pub movable: bool,
}

pub struct DayCell {
    pub date: String,
    pub label: String,
    /// e.g. "Mon 7 Dec", the day's heading when the month is a list (small screens).
    pub long_label: String,
    pub in_month: bool,
    pub today: bool,
    pub entries: Vec<EntryView>,
}

/// How many posts an hour of the week shows before "+N more" (which opens to show the rest).
const SHOWN_PER_HOUR: usize = 3;

pub struct HourCell {
    pub date: String,
    pub today: bool,
    /// The first posts of the hour, and the rest behind "+N more".
    pub entries: Vec<EntryView>,
    pub more: Vec<EntryView>,
    /// The hour does not exist that day (clocks go forward).
    pub gap: bool,
    /// The hour happens twice that day (clocks go back).
    pub repeated: bool,
}

/// One hour across the seven days of the week (a row, so overlapping posts grow the row and
/// every day's cell with it).
pub struct HourRow {
    pub hour: String,
    pub cells: Vec<HourCell>,
}

pub struct DayHead {
    pub label: String,
    pub today: bool,
}

/// A variant status the legend explains.
pub struct LegendItem {
    pub status: &'static str,
    pub label: &'static str,
    pub meaning: &'static str,
}

#[derive(Template)]
#[template(path = "stories/calendar.html")]
struct CalendarPage {
    shell: Shell,
    tabs: StoryTabs,
    title: String,
    week: bool,
    weeks: Vec<Vec<DayCell>>,
    days: Vec<DayHead>,
    rows: Vec<HourRow>,
    /// The hour the week view opens at (`HH`).
    start_hour: String,
    legend: Vec<LegendItem>,
    networks: Vec<NetworkMark>,
    markets: Vec<Choice>,
    accounts: Vec<Choice>,
    campaigns: Vec<Choice>,
    states: Vec<Choice>,
    statuses: Vec<Choice>,
    filters: String,
    prev: String,
    next: String,
    today: String,
    anchor: String,
    viewer: Viewer,
    zone_note: String,
    count: usize,
}

fn legend() -> Vec<LegendItem> {
    VariantStatus::ALL
        .iter()
        .map(|s| LegendItem {
            status: s.as_str(),
            label: s.label(),
            meaning: match s {
                VariantStatus::Pending => "not scheduled yet",
                VariantStatus::Scheduled => "goes out at its time",
                VariantStatus::Publishing => "going out now",
                VariantStatus::Published => "out on the network",
                VariantStatus::Failed => "the network refused it",
            },
        })
        .collect()
}

/// A network as the calendar marks it: its key (the CSS colour), name and one-letter mark.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetworkMark {
    pub key: String,
    pub name: String,
    pub mark: String,
}

impl NetworkMark {
    /// The mark of an account's network ("bluesky" is "B", Bluesky's blue).
    fn of(raw: &str) -> NetworkMark {
        let (key, name) = match Network::parse(raw) {
            Ok(n) => (n.as_str().to_owned(), n.label().to_owned()),
            Err(_) => ("other".to_owned(), raw.to_owned()),
        };
        let mark = name.chars().next().map(|c| c.to_uppercase().to_string());
        NetworkMark {
            key,
            name,
            mark: mark.unwrap_or_default(),
        }
    }
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<CalQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    let cal = calendar::calendar(&state.app, &id.caller, &q.query(), &viewer.tz).await?;
    let (range, list, lookup) = (&cal.range, &cal.entries, &cal.lookup);
    let today = range.today;
    let view_of = |item: &Entry| {
        let (e, local) = (&item.entry, &item.local);
        let market_time = local.strftime("%H:%M %Z").to_string();
        let viewer_time = zones::clock(e.scheduled_at_ms, &viewer.tz);
        EntryView {
            variant_id: e.variant_id,
            story_id: e.story_id,
            title: e.title.clone(),
            handle: e.account_handle.clone(),
            locale: e.locale.clone(),
            market: lookup.market_code(e.market_id),
            status: item.status.as_str(),
            status_label: item.status.label(),
            stage: e.story_state.label(),
            net: NetworkMark::of(&e.network),
            short_time: local.strftime("%H:%M").to_string(),
            viewer_time: if viewer_time == market_time {
                String::new()
            } else {
                viewer_time
            },
            market_time,
            clock: local.strftime("%H:%M:%S").to_string(),
            movable: item.movable,
        }
    };
    let mut weeks = Vec::new();
    let mut days = Vec::new();
    let mut rows = Vec::new();
    if range.week {
        let dates: Vec<Date> = (0..7)
            .map(|i| range.start.saturating_add(i.days()))
            .collect();
        days = dates
            .iter()
            .map(|d| DayHead {
                label: d.strftime("%a %-d %b").to_string(),
                today: *d == today,
            })
            .collect();
        rows = (0..24)
            .map(|h| HourRow {
                hour: format!("{h:02}"),
                cells: dates
                    .iter()
                    .map(|d| hour_cell(*d, h, today, range.zone.as_ref(), list, &view_of))
                    .collect(),
            })
            .collect();
    } else {
        let mut d = range.start;
        while d < range.end {
            let mut row = Vec::new();
            for _ in 0..7 {
                row.push(DayCell {
                    date: d.to_string(),
                    label: d.day().to_string(),
                    long_label: d.strftime("%a %-d %b").to_string(),
                    in_month: d.month() == range.anchor.month(),
                    today: d == today,
                    entries: list
                        .iter()
                        .filter(|i| i.local.date() == d)
                        .map(view_of)
                        .collect(),
                });
                d = d.saturating_add(1.day());
            }
            weeks.push(row);
        }
    }
    let mut networks: Vec<NetworkMark> = list
        .iter()
        .map(|i| NetworkMark::of(&i.entry.network))
        .collect();
    networks.sort();
    networks.dedup();
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
    let sel = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let markets = cal
        .markets()
        .iter()
        .map(|m| {
            Choice::new(
                &m.code,
                format!("{} {}", m.code, m.name),
                sel(&q.market, m.code.as_str()),
            )
        })
        .collect();
    let accounts = cal
        .accounts()
        .iter()
        .map(|a| {
            Choice::new(
                a.id,
                format!("@{}", a.handle),
                sel(&q.account, &a.id.to_string()),
            )
        })
        .collect();
    let campaigns = cal
        .campaigns()
        .iter()
        .map(|c| Choice::new(c.id, c.name.clone(), sel(&q.campaign, &c.id.to_string())))
        .collect();
    let states = StoryState::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), s.label(), sel(&q.state, s.as_str())))
        .collect();
    let statuses = VariantStatus::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), s.label(), sel(&q.status, s.as_str())))
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
        days,
        rows,
        start_hour: format!("{:02}", cal.first_hour()),
        legend: legend(),
        networks,
        markets,
        accounts,
        campaigns,
        states,
        statuses,
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

/// The posts of day `d` in hour `h` of the market's clock, and whether the hour is skipped or
/// repeated there (when the calendar shows one market's zone).
fn hour_cell(
    d: Date,
    h: i8,
    today: Date,
    zone: Option<&TimeZoneName>,
    list: &[Entry],
    view_of: &impl Fn(&Entry) -> EntryView,
) -> HourCell {
    let mid = DateTime::from_parts(d, Time::constant(h, 30, 0, 0));
    let (gap, repeated) = match zone.map(|z| z.zone().to_ambiguous_zoned(mid).offset()) {
        Some(AmbiguousOffset::Gap { .. }) => (true, false),
        Some(AmbiguousOffset::Fold { .. }) => (false, true),
        _ => (false, false),
    };
    let mut entries: Vec<EntryView> = list
        .iter()
        .filter(|i| i.local.date() == d && i.local.hour() == h)
        .map(view_of)
        .collect();
    let more = if entries.len() > SHOWN_PER_HOUR + 1 {
        entries.split_off(SHOWN_PER_HOUR)
    } else {
        Vec::new()
    };
    HourCell {
        date: d.to_string(),
        today: d == today,
        entries,
        more,
        gap,
        repeated,
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// Moves a variant to a new market-local time: JSON for the calendar's script, a redirect or
/// the story page with the refusal for the form.
async fn move_variant(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(vid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let result = calendar::move_variant(&state.app, &id.caller, vid, form.get("local"))
        .await
        .map_err(AppError::from);
    let json = wants_json(&headers);
    match result {
        Ok(moved) if json => {
            let viewer = zones::viewer(None, &headers);
            let shown = moved
                .variant
                .scheduled_at_ms
                .map(|t| zones::show(t, &moved.market.timezone, &viewer));
            Ok(Json(serde_json::json!({
                "ok": true,
                "variant": moved.variant.id,
                "scheduled_at": shown.as_ref().map(|s| s.iso.clone()),
                "market_time": shown.as_ref().map(|s| s.market.clone()),
                "note": moved.note,
            }))
            .into_response())
        }
        Ok(moved) => Ok(Redirect::to(&format!(
            "/stories/{}?done=moved#variant-{vid}",
            moved.story.id
        ))
        .into_response()),
        Err(e) if json => Ok((
            e.status(),
            Json(serde_json::json!({"ok": false, "message": e.public_message()})),
        )
            .into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let s = calendar::story_of_variant(&state.app, &id.caller, vid).await?;
            let viewer = zones::viewer(None, &headers);
            story::story_page(
                &state,
                &id,
                s,
                viewer,
                e.status(),
                Flash::error(format!("The variant was not moved: {}", e.public_message())),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}
