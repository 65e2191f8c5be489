//! Objective texts → what Chorus counts: a table of what people write.

use super::*;

#[test]
fn objective_texts_map_to_what_chorus_counts() {
    use Measure::{Engagement as E, Metric as M};
    use Metric::*;
    let table: &[(&str, Measure)] = &[
        ("likes", M(Likes)),
        ("Likes", M(Likes)),
        ("LIKE", M(Likes)),
        ("  hearts ", M(Likes)),
        ("Favourites", M(Likes)),
        ("total likes", M(Likes)),
        ("reposts", M(Reposts)),
        ("Boosts", M(Reposts)),
        ("shares", M(Reposts)),
        ("re-shares", M(Reposts)),
        ("replies", M(Replies)),
        ("Reply", M(Replies)),
        ("comments", M(Replies)),
        ("quotes", M(Quotes)),
        ("quote posts", M(Quotes)),
        ("clicks", M(Clicks)),
        ("Link clicks", M(Clicks)),
        ("link-clicks", M(Clicks)),
        ("click-throughs", M(Clicks)),
        ("followers", M(Followers)),
        ("New followers", M(Followers)),
        ("follower growth", M(Followers)),
        ("leads", M(Leads)),
        ("sign-ups", M(Leads)),
        ("Signups", M(Leads)),
        ("registrations", M(Leads)),
        ("conversation volume", M(ConversationVolume)),
        ("conversation_volume", M(ConversationVolume)),
        ("Mentions", M(ConversationVolume)),
        ("engagement", E),
        ("Engagements", E),
        ("interactions", E),
        ("total engagement", E),
        ("number of replies", M(Replies)),
        ("first_hour_likes", M(FirstHourLikes)),
    ];
    for (text, want) in table {
        assert_eq!(measure_of(text), Measured::Counted(*want), "{text:?}");
    }
}

#[test]
fn what_chorus_does_not_count_says_so_in_the_objectives_own_words() {
    for text in [
        "share of voice",
        "Engagement rate",
        "reach",
        "brand sentiment",
        "NPS",
        "",
        "likes per post",
    ] {
        let got = measure_of(text);
        assert_eq!(
            got,
            Measured::NotMeasured {
                text: text.trim().to_owned()
            },
            "{text:?}"
        );
    }
    assert_eq!(
        measure_of(" share of voice ").describe(),
        "Chorus does not measure 'share of voice'"
    );
    assert_eq!(measure_of("boosts").describe(), "Reposts");
}

#[test]
fn engagement_adds_up_the_four_post_counts() {
    assert_eq!(
        Measure::Engagement.metrics(),
        vec![
            Metric::Likes,
            Metric::Reposts,
            Metric::Replies,
            Metric::Quotes
        ]
    );
    assert_eq!(
        Measure::Metric(Metric::Clicks).metrics(),
        vec![Metric::Clicks]
    );
}

#[test]
fn periods_per_week_or_the_whole_campaign() {
    for text in [
        "per week",
        "Per week",
        "per-week",
        "weekly",
        "a week",
        "/week",
        "each week",
    ] {
        assert_eq!(Period::of(text), Period::PerWeek, "{text:?}");
    }
    for text in ["campaign", "", "Q3", "per month", "total"] {
        assert_eq!(Period::of(text), Period::Campaign, "{text:?}");
    }
}
