//! Progress, pace and forecast on worked examples: a campaign target, a weekly one with part
//! weeks, a campaign not started yet and one already ended, and targets refused.

use jiff::civil::{Date, date};

use super::*;

fn plan(starts: Date, ends: Date, target: f64, period: Period) -> Plan {
    Plan {
        starts_on: starts,
        ends_on: ends,
        target,
        period,
    }
}

/// 1–10 March, a target of 100.
fn ten_days() -> Plan {
    plan(date(2026, 3, 1), date(2026, 3, 10), 100.0, Period::Campaign)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn a_running_campaign_target_has_a_straight_pace_line_and_a_forecast_from_the_last_7_days() {
    // 10 a day for the first two days, then 5 a day; today is 4 March (day 4 of 10).
    let daily = [
        (date(2026, 3, 1), 10),
        (date(2026, 3, 2), 10),
        (date(2026, 3, 3), 5),
        (date(2026, 3, 4), 5),
        // Before the campaign and after today's date are not counted (nor are they possible
        // after today, but a day outside the campaign is ignored).
        (date(2026, 2, 28), 50),
    ];
    let p = progress(&ten_days(), date(2026, 3, 4), &daily).unwrap();
    assert_eq!(p.phase, Phase::Running);
    assert_eq!((p.from, p.to), (date(2026, 3, 1), date(2026, 3, 10)));
    assert_eq!(p.actual, 30);
    assert!(close(p.pace, 40.0), "4 of 10 days: {}", p.pace);
    assert_eq!(p.standing, Standing::Behind);
    assert!(close(p.share(), 0.3));
    let f = p.forecast.unwrap();
    // Four days so far: 30 / 4 = 7.5 a day, six days left → 30 + 45.
    assert_eq!(f.over_days, 4);
    assert!(close(f.per_day, 7.5));
    assert_eq!(f.end, date(2026, 3, 10));
    assert!(close(f.at_end, 75.0));
    let actual: Vec<i64> = p.series.iter().map(|x| x.actual).collect();
    assert_eq!(actual, [10, 20, 25, 30]);
    let pace: Vec<f64> = p.series.iter().map(|x| x.pace).collect();
    assert_eq!(pace, [10.0, 20.0, 30.0, 40.0]);
    assert!(p.weeks.is_empty());
}

#[test]
fn the_forecast_rate_looks_back_seven_days_only() {
    let p = plan(
        date(2026, 3, 1),
        date(2026, 3, 31),
        1000.0,
        Period::Campaign,
    );
    // 100 a day for 3 days, then 10 a day; today is the 10th.
    let daily: Vec<(Date, i64)> = (1..=10)
        .map(|d| (date(2026, 3, d), if d <= 3 { 100 } else { 10 }))
        .collect();
    let got = progress(&p, date(2026, 3, 10), &daily).unwrap();
    assert_eq!(got.actual, 370);
    let f = got.forecast.unwrap();
    assert_eq!(f.over_days, 7);
    assert!(close(f.per_day, 10.0), "days 4–10 only: {}", f.per_day);
    assert!(close(f.at_end, 370.0 + 21.0 * 10.0));
    assert!(close(got.pace, 1000.0 * 10.0 / 31.0));
    assert_eq!(
        got.standing,
        Standing::OnPace,
        "370 against a pace of 322.6"
    );
}

#[test]
fn reaching_the_target_early_is_reached_and_being_above_the_line_is_on_pace() {
    let daily = [(date(2026, 3, 1), 60), (date(2026, 3, 2), 50)];
    let p = progress(&ten_days(), date(2026, 3, 2), &daily).unwrap();
    assert_eq!(p.standing, Standing::Reached);
    let p = progress(&ten_days(), date(2026, 3, 2), &daily[..1]).unwrap();
    assert_eq!(p.standing, Standing::OnPace, "60 against a pace of 20");
    // A drop (unlikes) is a negative gain.
    let p = progress(&ten_days(), date(2026, 3, 2), &[(date(2026, 3, 2), -3)]).unwrap();
    assert_eq!(p.actual, -3);
}

#[test]
fn a_campaign_not_started_has_nothing_to_count_and_no_forecast() {
    let p = progress(&ten_days(), date(2026, 2, 20), &[(date(2026, 3, 1), 5)]).unwrap();
    assert_eq!(p.phase, Phase::Upcoming);
    assert_eq!(p.standing, Standing::NotStarted);
    assert_eq!(p.actual, 0);
    assert_eq!(p.pace, 0.0);
    assert!(p.forecast.is_none());
    assert!(p.series.is_empty());
    assert_eq!((p.from, p.to), (date(2026, 3, 1), date(2026, 3, 10)));
}

#[test]
fn an_ended_campaign_is_final_reached_or_missed() {
    let daily: Vec<(Date, i64)> = (1..=10).map(|d| (date(2026, 3, d), 9)).collect();
    let p = progress(&ten_days(), date(2026, 4, 15), &daily).unwrap();
    assert_eq!(p.phase, Phase::Ended);
    assert_eq!(p.actual, 90);
    assert!(close(p.pace, 100.0), "the whole line: the target");
    assert!(p.forecast.is_none(), "the count is final");
    assert_eq!(p.series.len(), 10);
    assert_eq!(p.standing, Standing::Missed);
    let mut more = daily.clone();
    more.push((date(2026, 3, 10), 10));
    // Gains after the last day (likes that keep coming) do not count toward the campaign.
    more.push((date(2026, 3, 11), 1000));
    let p = progress(&ten_days(), date(2026, 4, 15), &more).unwrap();
    assert_eq!(p.actual, 100);
    assert_eq!(p.standing, Standing::Reached);
}

#[test]
fn a_weekly_target_starts_again_each_monday_with_part_weeks_pro_rata() {
    // Thursday 5 March to Wednesday 25 March 2026: a part week (Thu–Sun, 4 days), two full
    // weeks, a part week (Mon–Wed, 3 days). 70 per week = 10 a day.
    let p = plan(date(2026, 3, 5), date(2026, 3, 25), 70.0, Period::PerWeek);
    let daily: Vec<(Date, i64)> = (5..=25).map(|d| (date(2026, 3, d), 12)).collect();
    // Today is Wednesday 11 March: the week of 9–15 March, day 3 of it.
    let got = progress(&p, date(2026, 3, 11), &daily).unwrap();
    assert_eq!((got.from, got.to), (date(2026, 3, 9), date(2026, 3, 15)));
    assert!(close(got.target, 70.0));
    assert_eq!(got.actual, 36);
    assert!(close(got.pace, 30.0));
    assert_eq!(got.standing, Standing::OnPace);
    let f = got.forecast.unwrap();
    assert_eq!(f.end, date(2026, 3, 15));
    assert!(close(f.per_day, 12.0));
    assert!(close(f.at_end, 36.0 + 4.0 * 12.0));
    assert_eq!(got.weeks.len(), 2);
    let first = got.weeks[0];
    assert_eq!((first.from, first.to), (date(2026, 3, 5), date(2026, 3, 8)));
    assert!(close(first.target, 40.0), "4 days of 7");
    assert_eq!(first.actual, 48);
    assert!(first.complete);
    assert!(!got.weeks[1].complete);
    // The chart's line starts again on Monday.
    let monday = got
        .series
        .iter()
        .find(|x| x.day == date(2026, 3, 9))
        .unwrap();
    assert_eq!(monday.actual, 12);
    assert!(close(monday.pace, 10.0));

    // Ended: every week counted; one week below its target is a missed objective.
    let ended = progress(&p, date(2026, 4, 1), &daily).unwrap();
    assert_eq!(ended.weeks.len(), 4);
    let last = ended.weeks[3];
    assert_eq!((last.from, last.to), (date(2026, 3, 23), date(2026, 3, 25)));
    assert!(close(last.target, 30.0));
    assert_eq!(ended.standing, Standing::Reached);
    let mut short = daily.clone();
    short.push((date(2026, 3, 17), -40));
    assert_eq!(
        progress(&p, date(2026, 4, 1), &short).unwrap().standing,
        Standing::Missed
    );
}

#[test]
fn a_target_of_zero_or_less_and_a_campaign_ending_before_it_starts_are_refused() {
    for target in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let p = plan(
            date(2026, 3, 1),
            date(2026, 3, 10),
            target,
            Period::Campaign,
        );
        assert_eq!(
            progress(&p, date(2026, 3, 5), &[]),
            Err(ProgressError::TargetNotPositive),
            "{target}"
        );
    }
    let p = plan(date(2026, 3, 10), date(2026, 3, 1), 10.0, Period::Campaign);
    assert_eq!(
        progress(&p, date(2026, 3, 5), &[]),
        Err(ProgressError::EndsBeforeStart)
    );
}

#[test]
fn a_one_day_campaign_on_its_day() {
    let p = plan(date(2026, 3, 1), date(2026, 3, 1), 10.0, Period::Campaign);
    let got = progress(&p, date(2026, 3, 1), &[(date(2026, 3, 1), 4)]).unwrap();
    assert!(close(got.pace, 10.0));
    let f = got.forecast.unwrap();
    assert!(close(f.at_end, 4.0), "no day left");
    assert_eq!(got.standing, Standing::Behind);
}

/// Day numbers agree with jiff's calendar over four centuries around today (leap days,
/// century years, dates before 1970), so `days_between` is the calendar's difference.
#[test]
fn day_numbers_are_the_calendars_days() {
    let epoch = date(1970, 1, 1);
    let mut d = date(1801, 1, 1);
    while d < date(2201, 1, 1) {
        let want = i64::from(epoch.until(d).unwrap().get_days());
        assert_eq!(day_number(d), want, "{d}");
        d = d.tomorrow().unwrap();
    }
    assert_eq!(days_between(date(2024, 2, 28), date(2024, 3, 1)), 2);
    assert_eq!(days_between(date(2026, 3, 1), date(2026, 2, 28)), -1);
}
