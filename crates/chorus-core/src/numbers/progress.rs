//! An objective's progress against its target: where it is, where it should be today if it
//! moved in a straight line from the first day to the last (the pace), and where it will be at
//! the end if the recent rate holds (the forecast).
//!
//! The contract:
//!
//! - Days are whole local dates, inclusive at both ends: a campaign from 1 to 10 March has ten
//!   days, and on 3 March three of them have passed (today counts as passed: the pace is where
//!   the count should be by the end of today).
//! - A target over the campaign ([`Period::Campaign`]) is measured from its first day to its
//!   last: pace on day *k* of *n* is `target × k / n`.
//! - A target per week ([`Period::PerWeek`]) holds for every ISO week (Monday to Sunday) of the
//!   campaign; a week the campaign starts or ends in the middle of gets the target pro rata
//!   (`target × days / 7`), and the count, the pace and the forecast start again each Monday.
//! - The forecast extrapolates the average gain per day over the last 7 days up to today (fewer
//!   while the campaign is younger), today included, to the end of the current window (the
//!   campaign's last day, or Sunday). There is none before the campaign starts or after it ends
//!   (then the count is final).
//! - A target that is not above zero is refused ([`ProgressError::TargetNotPositive`]); so is a
//!   campaign that ends before it starts. Pure: the caller passes "today".

use jiff::ToSpan;
use jiff::civil::Date;

use super::objective::Period;

/// How many days the forecast's rate looks back over.
pub const RATE_DAYS: i64 = 7;

/// What an objective's progress is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub starts_on: Date,
    /// Inclusive.
    pub ends_on: Date,
    pub target: f64,
    pub period: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProgressError {
    #[error("the target must be above zero to measure progress against it")]
    TargetNotPositive,
    #[error("the campaign ends before it starts")]
    EndsBeforeStart,
}

/// Where the campaign is in its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Today is before its first day.
    Upcoming,
    Running,
    /// Today is after its last day.
    Ended,
}

/// How the objective stands, in one word for a badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    NotStarted,
    /// The count has reached the target (for every week, once a weekly objective has ended).
    Reached,
    /// At or above the pace line.
    OnPace,
    /// Below the pace line.
    Behind,
    /// Ended below the target (a weekly objective: some week below its target).
    Missed,
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::NotStarted => "not started",
            Standing::Reached => "reached",
            Standing::OnPace => "on pace",
            Standing::Behind => "behind pace",
            Standing::Missed => "missed",
        }
    }
}

/// One day of the chart: the count so far in its window, and where the pace line is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub day: Date,
    pub actual: i64,
    pub pace: f64,
}

/// The recent rate continued to the end of the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// Average gain per day over the last `over_days` days (today included).
    pub per_day: f64,
    pub over_days: i64,
    /// The last day of the window it forecasts to.
    pub end: Date,
    /// The count expected on `end`.
    pub at_end: f64,
}

/// One week of a weekly objective.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Week {
    pub from: Date,
    pub to: Date,
    pub actual: i64,
    /// Pro rata for a part week.
    pub target: f64,
    /// Whether the week is over (or the campaign is).
    pub complete: bool,
}

/// An objective's progress on a given day.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub phase: Phase,
    pub standing: Standing,
    /// The days the target is measured over now: the campaign, or the current week of it.
    pub from: Date,
    pub to: Date,
    /// The target over that window (pro rata for a part week).
    pub target: f64,
    /// The count within the window up to today.
    pub actual: i64,
    /// Where the count should be by the end of today on a straight line.
    pub pace: f64,
    pub forecast: Option<Forecast>,
    /// Every campaign day up to today (or its last day), for the chart.
    pub series: Vec<Point>,
    /// A weekly objective's weeks up to the current one; empty for a campaign target.
    pub weeks: Vec<Week>,
}

impl Progress {
    /// The count as a share of the target (1.0 = reached).
    pub fn share(&self) -> f64 {
        self.actual as f64 / self.target
    }
}

/// Days from `a` to `b` (negative when `b` is earlier). Plain arithmetic on day numbers: a
/// campaign page calls it for every day of every objective, where calendar spans cost more.
pub fn days_between(a: Date, b: Date) -> i64 {
    day_number(b) - day_number(a)
}

/// Days since 1970-01-01 (negative before it) in the proleptic Gregorian calendar, by Howard
/// Hinnant's `days_from_civil`.
pub fn day_number(d: Date) -> i64 {
    let (month, day) = (i64::from(d.month()), i64::from(d.day()));
    let year = i64::from(d.year()) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn add_days(d: Date, n: i64) -> Date {
    match n {
        1 => d.tomorrow().unwrap_or(d),
        _ => d.checked_add(n.days()).unwrap_or(d),
    }
}

/// The windows a target is measured over: the campaign, or each of its ISO weeks.
fn windows(plan: &Plan) -> Vec<(Date, Date)> {
    match plan.period {
        Period::Campaign => vec![(plan.starts_on, plan.ends_on)],
        Period::PerWeek => {
            let mut out = Vec::new();
            let mut from = plan.starts_on;
            while from <= plan.ends_on {
                let monday = add_days(from, -i64::from(from.weekday().to_monday_zero_offset()));
                let sunday = add_days(monday, 6);
                let to = sunday.min(plan.ends_on);
                out.push((from, to));
                let next = add_days(to, 1);
                if next == to {
                    break;
                }
                from = next;
            }
            out
        }
    }
}

/// The target of a window of `days` days.
fn window_target(plan: &Plan, days: i64) -> f64 {
    match plan.period {
        Period::Campaign => plan.target,
        Period::PerWeek => plan.target * days as f64 / 7.0,
    }
}

/// The progress of `plan` on `today`, from the gains per day in `daily` (days outside the
/// campaign are ignored; a day may appear more than once, its gains add up).
pub fn progress(
    plan: &Plan,
    today: Date,
    daily: &[(Date, i64)],
) -> Result<Progress, ProgressError> {
    if !plan.target.is_finite() || plan.target <= 0.0 {
        return Err(ProgressError::TargetNotPositive);
    }
    if plan.ends_on < plan.starts_on {
        return Err(ProgressError::EndsBeforeStart);
    }
    let phase = if today < plan.starts_on {
        Phase::Upcoming
    } else if today > plan.ends_on {
        Phase::Ended
    } else {
        Phase::Running
    };
    let total = days_between(plan.starts_on, plan.ends_on) + 1;
    let mut gains = vec![0i64; usize::try_from(total).unwrap_or(0)];
    for (day, gain) in daily {
        let i = days_between(plan.starts_on, *day);
        if (0..total).contains(&i) {
            gains[i as usize] += gain;
        }
    }
    let last = today.min(plan.ends_on);
    let windows = windows(plan);
    let mut series = Vec::new();
    let mut weeks = Vec::new();
    for (from, to) in &windows {
        if *from > last {
            break;
        }
        let days = days_between(*from, *to) + 1;
        let target = window_target(plan, days);
        let mut actual = 0;
        let mut d = *from;
        while d <= (*to).min(last) {
            let k = days_between(*from, d) + 1;
            actual += gains[days_between(plan.starts_on, d) as usize];
            series.push(Point {
                day: d,
                actual,
                pace: target * k as f64 / days as f64,
            });
            d = add_days(d, 1);
        }
        if plan.period == Period::PerWeek {
            weeks.push(Week {
                from: *from,
                to: *to,
                actual,
                target,
                complete: *to < today,
            });
        }
    }

    // The window the objective is measured over today.
    let (from, to) = windows
        .iter()
        .copied()
        .find(|(f, t)| *f <= last && last <= *t)
        .unwrap_or((
            plan.starts_on,
            windows.first().map_or(plan.ends_on, |w| w.1),
        ));
    let target = window_target(plan, days_between(from, to) + 1);
    let (actual, pace) = match (phase, series.last()) {
        (Phase::Upcoming, _) | (_, None) => (0, 0.0),
        (_, Some(p)) => (p.actual, p.pace),
    };
    let forecast = (phase == Phase::Running).then(|| {
        let elapsed = days_between(plan.starts_on, today) + 1;
        let over_days = elapsed.min(RATE_DAYS);
        let first = elapsed - over_days;
        let recent: i64 = gains[first as usize..elapsed as usize].iter().sum();
        let per_day = recent as f64 / over_days as f64;
        let remaining = days_between(today, to);
        Forecast {
            per_day,
            over_days,
            end: to,
            at_end: actual as f64 + per_day * remaining as f64,
        }
    });
    let reached = actual as f64 >= target;
    let standing = match phase {
        Phase::Upcoming => Standing::NotStarted,
        Phase::Ended if plan.period == Period::PerWeek => {
            if weeks.iter().all(|w| w.actual as f64 >= w.target) {
                Standing::Reached
            } else {
                Standing::Missed
            }
        }
        _ if reached => Standing::Reached,
        Phase::Ended => Standing::Missed,
        Phase::Running if actual as f64 >= pace => Standing::OnPace,
        Phase::Running => Standing::Behind,
    };
    Ok(Progress {
        phase,
        standing,
        from,
        to,
        target,
        actual,
        pace,
        forecast,
        series,
        weeks,
    })
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
