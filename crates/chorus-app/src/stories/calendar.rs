//! The calendar: every variant with a time in a month or a week, placed on its *market's* wall
//! clock (a 09:00 post in Tokyo and one in Helsinki share the 09:00 row), and moving a variant to
//! another time of that clock.
//!
//! Who: the calendar shows the markets whose stories the caller reads, and marks the variants
//! the caller may move (`movable`: schedulers of the market, and whoever may edit a draft; never
//! a published or publishing post). Moving asks the same rules: a variant of a market the
//! caller may not read does not exist for them (`NotFound`); one they may not move is
//! `Forbidden`; a published one is a `Conflict` on `state`.
//!
//! Times: the new time is the market's wall-clock time, resolved in its zone; a time the clocks
//! skip is refused with the reason, a time that happens twice takes the first (with a note). A
//! variant waiting to be published (its story is scheduled) is never moved to a time that has
//! passed: its publishing job would run at once, so the move is refused and says so.

use chorus_core::MarketId;
use chorus_core::org::{Market, TimeZoneName};
use chorus_core::permission::allows;
use chorus_core::stories::schedule;
use chorus_core::stories::workflow::StoryState;
use chorus_core::{Action, Scope};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

pub use chorus_store::{CalendarEntry, CalendarFilter};

use super::{
    Account, Campaign, Lookup, PubState, Story, Variant, check_variant_open, may_reschedule,
    readable_story,
};
use crate::{App, Caller, Error, Result};

/// What the calendar is asked for, as typed (every part optional; what does not parse is
/// ignored, like a filter left empty).
#[derive(Debug, Default, Clone)]
pub struct CalendarQuery {
    /// `month` (default) or `week`.
    pub view: Option<String>,
    /// A day in the month or week, `YYYY-MM-DD` (default: today).
    pub date: Option<String>,
    /// A market code.
    pub market: Option<String>,
    /// An account id.
    pub account: Option<String>,
    /// A campaign id.
    pub campaign: Option<String>,
    /// A story state.
    pub state: Option<String>,
    /// A variant's own status ([`VariantStatus::as_str`]: `pending`, `scheduled`, …), so a
    /// market lead can see only what is waiting or only what failed.
    pub status: Option<String>,
}

/// The days a calendar covers, in market-local dates.
#[derive(Debug, Clone)]
pub struct Range {
    pub week: bool,
    pub start: Date,
    /// Exclusive.
    pub end: Date,
    /// The day asked for.
    pub anchor: Date,
    /// Today, in [`Range::zone`] (or the viewer's zone when there is none).
    pub today: Date,
    /// The zone of "today" and of the DST markers: the market's when there is one market.
    pub zone: Option<TimeZoneName>,
}

/// Where one variant stands, on its own: a story that failed on one network still has its
/// other posts waiting for their time, and the calendar shows each as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariantStatus {
    /// Not scheduled yet: its story is a draft, in review, rejected or approved.
    Pending,
    /// Waiting for its time: its story is scheduled (or publishing, or failed elsewhere).
    Scheduled,
    /// Going out now.
    Publishing,
    /// Out on the network.
    Published,
    /// The network refused it for good.
    Failed,
}

impl VariantStatus {
    pub const ALL: [VariantStatus; 5] = [
        VariantStatus::Pending,
        VariantStatus::Scheduled,
        VariantStatus::Publishing,
        VariantStatus::Published,
        VariantStatus::Failed,
    ];

    /// The variant's status from its own publication state and its story's state.
    pub fn of(story: StoryState, publication: PubState) -> VariantStatus {
        match publication {
            PubState::Published => VariantStatus::Published,
            PubState::Publishing => VariantStatus::Publishing,
            PubState::Failed => VariantStatus::Failed,
            PubState::Pending if waits_for_its_time(story) => VariantStatus::Scheduled,
            PubState::Pending => VariantStatus::Pending,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VariantStatus::Pending => "pending",
            VariantStatus::Scheduled => "scheduled",
            VariantStatus::Publishing => "publishing",
            VariantStatus::Published => "published",
            VariantStatus::Failed => "failed",
        }
    }

    /// The status named `raw` (as [`VariantStatus::as_str`] writes it), if any.
    pub fn parse(raw: &str) -> Option<VariantStatus> {
        VariantStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            VariantStatus::Pending => "Pending",
            VariantStatus::Scheduled => "Scheduled",
            VariantStatus::Publishing => "Publishing",
            VariantStatus::Published => "Published",
            VariantStatus::Failed => "Failed",
        }
    }
}

/// Whether a story's pending posts go out at their time (their publishing jobs are queued).
fn waits_for_its_time(story: StoryState) -> bool {
    matches!(
        story,
        StoryState::Scheduled | StoryState::Publishing | StoryState::Failed
    )
}

/// One variant on the calendar.
#[derive(Debug, Clone)]
pub struct Entry {
    pub entry: CalendarEntry,
    /// Its time on its market's wall clock.
    pub local: Zoned,
    /// Where the variant itself stands (not its story).
    pub status: VariantStatus,
    /// Whether the caller may move it.
    pub movable: bool,
}

/// A month or week of variants, with what the filters may offer.
pub struct Calendar {
    pub range: Range,
    pub entries: Vec<Entry>,
    /// Names the entries refer to (markets, accounts, campaigns the caller may see).
    pub lookup: Lookup,
    /// The markets whose stories the caller reads.
    readable: Vec<MarketId>,
}

/// The hour the week view opens at: the working day (08:00), or earlier when a post of the
/// week is earlier, so the first post is in sight without scrolling.
pub const WORKING_DAY_HOUR: i8 = 8;

impl Calendar {
    /// The hour the week view opens at (see [`WORKING_DAY_HOUR`]).
    pub fn first_hour(&self) -> i8 {
        first_hour(self.entries.iter().map(|e| e.local.hour()))
    }

    /// The markets the market filter offers.
    pub fn markets(&self) -> Vec<&Market> {
        self.lookup
            .markets
            .iter()
            .filter(|m| self.readable.contains(&m.id))
            .collect()
    }

    /// The accounts the account filter offers.
    pub fn accounts(&self) -> Vec<&Account> {
        self.lookup
            .accounts
            .iter()
            .filter(|a| self.readable.contains(&a.market_id))
            .collect()
    }

    /// The campaigns the campaign filter offers: those running in a market the caller reads.
    pub fn campaigns(&self) -> Vec<&Campaign> {
        self.lookup
            .campaigns
            .iter()
            .filter(|c| c.markets.iter().any(|m| self.readable.contains(m)))
            .collect()
    }
}

/// The variants with a time in the month or week asked for, in the markets whose stories the
/// caller reads. `viewer` is the zone of "today" when the calendar spans several markets.
pub async fn calendar(
    app: &App,
    caller: &Caller,
    q: &CalendarQuery,
    viewer: &TimeZone,
) -> Result<Calendar> {
    let lookup = Lookup::load(app, caller).await?;
    let readable: Vec<MarketId> = lookup
        .readable_markets(&caller.actor)
        .iter()
        .map(|m| m.id)
        .collect();
    let market = q
        .market
        .as_deref()
        .and_then(|c| lookup.market_by_code(c))
        .filter(|m| readable.contains(&m.id));
    let zone = market
        .map(|m| m.timezone.clone())
        .or_else(|| match readable[..] {
            [only] => lookup.market(only).map(|m| m.timezone.clone()),
            _ => None,
        });
    let tz = zone.as_ref().map_or_else(|| viewer.clone(), |z| z.zone());
    let today = Timestamp::now().to_zoned(tz).date();
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
        let s = monday_on_or_before(anchor.first_of_month());
        let e = monday_on_or_before(anchor.last_of_month()).saturating_add(7.days());
        (s, e)
    };
    // A day either side: market-local dates span every offset from UTC.
    let pad = 86_400_000;
    let ms = |d: Date| {
        d.to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(0)
    };
    let filter = CalendarFilter {
        markets: Some(match market {
            Some(m) => vec![m.id],
            None => readable.clone(),
        }),
        account: q.account.as_deref().and_then(|a| a.trim().parse().ok()),
        campaign: q.campaign.as_deref().and_then(|c| c.trim().parse().ok()),
        state: q.state.as_deref().and_then(|s| StoryState::parse(s).ok()),
    };
    let only = q.status.as_deref().and_then(VariantStatus::parse);
    let mut entries = Vec::new();
    let mut authors: Vec<Story> = Vec::new();
    for e in app
        .store
        .calendar(ms(start) - pad, ms(end) + pad, &filter)
        .await?
    {
        let Some(m) = lookup.market(e.market_id) else {
            continue;
        };
        let Ok(at) = Timestamp::from_millisecond(e.scheduled_at_ms) else {
            continue;
        };
        let local = at.to_zoned(m.timezone.zone());
        if local.date() < start || local.date() >= end {
            continue;
        }
        let status = VariantStatus::of(e.story_state, e.pub_state);
        if only.is_some_and(|o| o != status) {
            continue;
        }
        let movable = movable(app, caller, &e, &mut authors).await?;
        entries.push(Entry {
            status,
            entry: e,
            local,
            movable,
        });
    }
    Ok(Calendar {
        range: Range {
            week,
            start,
            end,
            anchor,
            today,
            zone,
        },
        entries,
        lookup,
        readable,
    })
}

/// Whether the caller may move the entry. Schedulers of its market may; otherwise only a draft's
/// editors, which needs the story's author (loaded once per story, only then).
async fn movable(
    app: &App,
    caller: &Caller,
    e: &CalendarEntry,
    stories: &mut Vec<Story>,
) -> Result<bool> {
    if matches!(e.pub_state, PubState::Published | PubState::Publishing) {
        return Ok(false);
    }
    if allows(
        &caller.actor,
        Action::ScheduleStories,
        Scope::Market(e.market_id),
    ) {
        return Ok(true);
    }
    if !e.story_state.is_editable() {
        return Ok(false);
    }
    if !stories.iter().any(|s| s.id == e.story_id) {
        stories.push(app.store.story(e.story_id).await?);
    }
    Ok(stories
        .iter()
        .find(|s| s.id == e.story_id)
        .is_some_and(|s| may_reschedule(&caller.actor, s)))
}

fn first_hour(hours: impl Iterator<Item = i8>) -> i8 {
    hours.fold(WORKING_DAY_HOUR, i8::min)
}

fn monday_on_or_before(d: Date) -> Date {
    let back = d.weekday().to_monday_zero_offset();
    d.saturating_sub(i64::from(back).days())
}

/// A variant moved: where it is now, its story and market, and a note when the local time
/// happens twice (the first was taken).
#[derive(Debug, Clone)]
pub struct Moved {
    pub variant: Variant,
    pub story: Story,
    pub market: Market,
    pub note: Option<String>,
}

/// Moves a variant to the market's wall-clock time `local` (`YYYY-MM-DDTHH:MM`, seconds and a
/// space instead of `T` accepted).
pub async fn move_variant(app: &App, caller: &Caller, variant: i64, local: &str) -> Result<Moved> {
    let v = app.store.variant(variant).await?;
    let story = readable_story(app, caller, v.story_id).await?;
    if !may_reschedule(&caller.actor, &story) {
        return Err(Error::forbidden(
            "only editors and leads of this market may move scheduled posts",
        ));
    }
    check_variant_open(&v)?;
    let market = app.store.market(story.market_id).await?;
    let local = schedule::parse_local(local).map_err(|e| e.at("time"))?;
    let slot = schedule::resolve(local, &market.timezone).map_err(|e| e.at("time"))?;
    check_not_past(&story, &v, slot.at, &market.timezone)?;
    let moved = app
        .store
        .reschedule_variant(&caller.author(), variant, slot.at.as_millisecond())
        .await?;
    Ok(Moved {
        variant: moved,
        story,
        market,
        note: slot.note,
    })
}

/// The story of a variant, if the caller may read it (for pages that show a refusal on it).
pub async fn story_of_variant(app: &App, caller: &Caller, variant: i64) -> Result<Story> {
    let v = app.store.variant(variant).await?;
    readable_story(app, caller, v.story_id).await
}

/// Whether the variant waits to be published: its story is scheduled (or publishing, or failed
/// with other posts still to go) and it has not gone out. Its job runs at its time.
fn due_to_publish(story: &Story, v: &Variant) -> bool {
    VariantStatus::of(story.state, v.pub_state) == VariantStatus::Scheduled
}

/// Refuses to move a variant that waits to be published to a time that has passed: it would be
/// published at once, which is not what dragging it to a day in the past means.
fn check_not_past(story: &Story, v: &Variant, at: Timestamp, zone: &TimeZoneName) -> Result<()> {
    let now = Timestamp::now();
    if !due_to_publish(story, v) || at > now {
        return Ok(());
    }
    let tz = zone.zone();
    Err(Error::invalid(
        "time",
        format!(
            "{} is in the past in {} (it is {} there now): this story is scheduled, so its post \
             would be published at once. Choose a later time, or unschedule the story first",
            at.to_zoned(tz.clone()).strftime("%a %-d %b %Y, %H:%M"),
            zone.as_str(),
            now.to_zoned(tz).strftime("%a %-d %b, %H:%M"),
        ),
    ))
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

    #[test]
    fn each_variant_has_its_own_status() {
        use PubState as P;
        use StoryState as S;
        use VariantStatus as V;
        // A story that failed on one network: its other posts still wait for their time.
        assert_eq!(V::of(S::Failed, P::Pending), V::Scheduled);
        assert_eq!(V::of(S::Failed, P::Failed), V::Failed);
        assert_eq!(V::of(S::Failed, P::Published), V::Published);
        assert_eq!(V::of(S::Publishing, P::Pending), V::Scheduled);
        assert_eq!(V::of(S::Publishing, P::Publishing), V::Publishing);
        assert_eq!(V::of(S::Scheduled, P::Pending), V::Scheduled);
        for s in [S::Draft, S::InReview, S::Rejected, S::Approved] {
            assert_eq!(V::of(s, P::Pending), V::Pending, "{s:?}");
        }
    }

    #[test]
    fn the_week_opens_at_the_working_day_or_the_first_post() {
        assert_eq!(first_hour([].into_iter()), 8);
        assert_eq!(first_hour([14, 9].into_iter()), 8);
        assert_eq!(first_hour([14, 6, 7].into_iter()), 6);
        assert_eq!(first_hour([0].into_iter()), 0);
    }
}
