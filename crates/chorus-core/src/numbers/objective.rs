//! What a campaign objective's free text measures, in what Chorus counts.
//!
//! Campaign objectives are written by people (`"Likes"`, `"link clicks"`, `"sign-ups"`,
//! `"share of voice"`). [`measure_of`] reads that text case- and plural-insensitively, with
//! the usual synonyms of each network's vocabulary (favourites, boosts, comments…), and answers
//! either a [`Measure`] — one [`Metric`], or engagement (likes + reposts + replies + quotes) — or
//! [`Measured::NotMeasured`], which a page shows as "Chorus does not measure 'share of voice'":
//! **never as 0 progress**. Rates and ratios ("engagement rate") are not counts and are not
//! measured; neither are impressions or reach, which no network Chorus publishes to reports.
//!
//! [`Period::of`] reads an objective's period the same way: "per week" (weekly, a week…) is a
//! target for every ISO week; anything else is the whole campaign.

use super::Metric;

/// A count Chorus keeps that an objective can be measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// One metric.
    Metric(Metric),
    /// Likes + reposts + replies + quotes.
    Engagement,
}

/// The metrics engagement adds up.
pub const ENGAGEMENT: [Metric; 4] = [
    Metric::Likes,
    Metric::Reposts,
    Metric::Replies,
    Metric::Quotes,
];

impl Measure {
    /// The metrics whose sum this measure is.
    pub fn metrics(self) -> Vec<Metric> {
        match self {
            Measure::Metric(m) => vec![m],
            Measure::Engagement => ENGAGEMENT.to_vec(),
        }
    }

    /// What people read: "Likes", "Engagement", "Conversation volume".
    pub fn label(self) -> &'static str {
        match self {
            Measure::Engagement => "Engagement",
            Measure::Metric(m) => match m {
                Metric::Likes => "Likes",
                Metric::Reposts => "Reposts",
                Metric::Replies => "Replies",
                Metric::Quotes => "Quotes",
                Metric::Bookmarks => "Bookmarks",
                Metric::Followers => "Followers",
                Metric::FirstHourLikes => "First-hour likes",
                Metric::Impressions => "Impressions",
                Metric::Clicks => "Clicks",
                Metric::ConversationVolume => "Conversation volume",
                Metric::PositiveConversations => "Positive conversations",
                Metric::NegativeConversations => "Negative conversations",
                Metric::FirstResponses => "First responses",
                Metric::FirstResponsesWithinTarget => "First responses within target",
                Metric::FirstResponseMinutes => "Minutes to first response (sum)",
                Metric::Leads => "Leads",
            },
        }
    }

    /// One line saying what is counted.
    pub fn definition(self) -> &'static str {
        match self {
            Measure::Engagement => {
                "Likes, reposts, replies and quotes of the posts, added up (each as the network counts it)."
            }
            Measure::Metric(m) => m.definition(),
        }
    }
}

/// What an objective's metric text measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measured {
    Counted(Measure),
    /// Chorus counts nothing that this text names; `text` is the objective's own words.
    NotMeasured {
        text: String,
    },
}

impl Measured {
    /// What a page says of it: the measure's label, or "Chorus does not measure '…'".
    pub fn describe(&self) -> String {
        match self {
            Measured::Counted(m) => m.label().to_owned(),
            Measured::NotMeasured { text } => format!("Chorus does not measure '{text}'"),
        }
    }
}

/// Phrases (normalized: lower case, singular words, single spaces) and what they measure.
const PHRASES: &[(&str, Measure)] = {
    use Measure::{Engagement as E, Metric as M};
    use Metric::*;
    &[
        ("like", M(Likes)),
        ("heart", M(Likes)),
        ("favourite", M(Likes)),
        ("favorite", M(Likes)),
        ("fave", M(Likes)),
        ("fav", M(Likes)),
        ("repost", M(Reposts)),
        ("reblog", M(Reposts)),
        ("boost", M(Reposts)),
        ("retweet", M(Reposts)),
        ("reshare", M(Reposts)),
        ("re share", M(Reposts)),
        ("re post", M(Reposts)),
        ("re tweet", M(Reposts)),
        ("share", M(Reposts)),
        ("reply", M(Replies)),
        ("comment", M(Replies)),
        ("quote", M(Quotes)),
        ("quote post", M(Quotes)),
        ("click", M(Clicks)),
        ("link click", M(Clicks)),
        ("clickthrough", M(Clicks)),
        ("click through", M(Clicks)),
        ("follower", M(Followers)),
        ("follow", M(Followers)),
        ("follower growth", M(Followers)),
        ("lead", M(Leads)),
        ("sign up", M(Leads)),
        ("signup", M(Leads)),
        ("registration", M(Leads)),
        ("conversation volume", M(ConversationVolume)),
        ("conversation", M(ConversationVolume)),
        ("mention", M(ConversationVolume)),
        ("brand mention", M(ConversationVolume)),
        ("positive mention", M(PositiveConversations)),
        ("positive conversation", M(PositiveConversations)),
        ("negative mention", M(NegativeConversations)),
        ("negative conversation", M(NegativeConversations)),
        ("engagement", E),
        ("interaction", E),
        ("total engagement", E),
    ]
};

/// Words in front of a count that do not change what is counted ("new followers", "total
/// likes", "number of replies").
const QUALIFIERS: &[&str] = &["new ", "total ", "number of ", "more ", "post "];

/// What an objective whose metric reads `text` measures.
pub fn measure_of(text: &str) -> Measured {
    let norm = normalize(text);
    let mut candidates = vec![norm.clone()];
    let mut rest = norm.as_str();
    while let Some(q) = QUALIFIERS.iter().find(|q| rest.starts_with(**q)) {
        rest = &rest[q.len()..];
        candidates.push(rest.to_owned());
    }
    for c in &candidates {
        if let Some((_, m)) = PHRASES.iter().find(|(p, _)| p == c) {
            return Measured::Counted(*m);
        }
    }
    // A metric's stable name ("conversation_volume", "first_hour_likes") is always understood.
    if let Ok(m) = Metric::parse(&text.trim().to_lowercase()) {
        return Measured::Counted(Measure::Metric(m));
    }
    Measured::NotMeasured {
        text: text.trim().to_owned(),
    }
}

/// Lower case, punctuation and underscores as spaces (hyphens joined: "sign-ups" → "sign ups"
/// → "sign up"), single spaces, every word singular.
fn normalize(text: &str) -> String {
    let lower = text.to_lowercase();
    let spaced: String = lower
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    spaced
        .split_whitespace()
        .map(singular)
        .collect::<Vec<_>>()
        .join(" ")
}

/// "replies" → "reply", "likes" → "like", "ups" → "up"; two-letter words and words in "ss"
/// are left alone. Only the phrases above are compared, so a word made odd does no harm.
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies")
        && stem.len() >= 2
    {
        return format!("{stem}y");
    }
    if word.len() >= 3 && word.ends_with('s') && !word.ends_with("ss") {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

/// Over what time an objective's target is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The whole campaign, from its first day to its last.
    Campaign,
    /// Every ISO week (Monday to Sunday) of the campaign.
    PerWeek,
}

impl Period {
    /// The period an objective's text means: "per week", "weekly", "a week", "each week",
    /// "/week", "every week" are [`Period::PerWeek`]; anything else is the whole campaign.
    pub fn of(text: &str) -> Period {
        match normalize(text).as_str() {
            "per week" | "weekly" | "a week" | "each week" | "every week" | "week" | "per wk"
            | "wk" => Period::PerWeek,
            _ => Period::Campaign,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Campaign => "over the campaign",
            Period::PerWeek => "per week",
        }
    }
}

#[cfg(test)]
#[path = "objective_tests.rs"]
mod tests;
