//! The Numbers vocabulary: what Chorus counts, where each count comes from, when a published
//! post is measured, and which calendar bucket a measurement falls in.
//!
//! The contract:
//!
//! - A [`Metric`] has a stable name (the one stored and sent over the API), a one-line
//!   definition, and an [`Availability`] per network. A metric a network does not report is
//!   [`Availability::NotAvailable`], which pages and exports show as "not available", **never
//!   as 0** (impressions on Bluesky, bookmarks on Mastodon).
//! - Every rolled-up value is an amount *within* its bucket, so values add up over buckets and
//!   over posts. For a count the network reports as a running total (likes, followers: a
//!   [`Kind::Cumulative`] metric) the amount is the *gain* since the previous measurement,
//!   attributed to the bucket of the later measurement; a drop (an unlike) is a negative gain;
//!   the sum of all of a post's buckets is its latest count. A [`Kind::Events`] metric (clicks)
//!   counts the events that happened in the bucket.
//! - When to measure is [`schedule::next_due`]; which day, week or month an instant belongs to
//!   in a market's time zone is [`bucket`].
//! - What a campaign objective's free text counts is [`objective::measure_of`] (or an explicit
//!   "not measured"); its progress, pace line and forecast are [`progress::progress`].
//! - The conversation metrics are counts too (matched, positive and negative posts; first
//!   responses, those within target and their minutes); the shares and means people read are
//!   [`listening::ConversationFigures`].
//!
//! Pure: no IO, no clock (callers pass "now").

pub mod bucket;
pub mod listening;
pub mod objective;
pub mod progress;
pub mod sample;
pub mod schedule;
pub mod weekly;

use serde::{Deserialize, Serialize};

use crate::validate::Invalid;

pub use bucket::{Grain, bucket_of, bucket_span, cover};

/// Something Chorus counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Likes,
    Reposts,
    Replies,
    Quotes,
    Bookmarks,
    Followers,
    FirstHourLikes,
    Impressions,
    Clicks,
    ConversationVolume,
    /// Matched posts scored positive when they arrived.
    PositiveConversations,
    /// Matched posts scored negative when they arrived.
    NegativeConversations,
    /// Conversations answered from Chorus for the first time.
    FirstResponses,
    /// Of those, answered within the market's first-response target.
    FirstResponsesWithinTarget,
    /// Minutes from arrival to first response, summed over first responses (for the mean).
    FirstResponseMinutes,
    Leads,
}

/// How a metric's network value turns into amounts per bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The network reports a running total; a bucket holds the gain within it (may be negative).
    Cumulative,
    /// Chorus sees each event; a bucket holds the events within it.
    Events,
}

/// What a metric is counted of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A published post (a variant's publication).
    Post,
    /// A network account.
    Account,
    /// A listening query's matches.
    Conversations,
    /// Reach's registrations.
    Registrations,
}

/// Where a metric comes from on one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// The network reports it; `source` names the call and field.
    Network { source: &'static str },
    /// Chorus counts it itself; `source` says how.
    Chorus { source: &'static str },
    /// Not available on this network (shown as such, never as 0); `why` says so.
    NotAvailable { why: &'static str },
}

impl Availability {
    pub fn is_available(self) -> bool {
        !matches!(self, Availability::NotAvailable { .. })
    }
}

impl Metric {
    /// Every metric, in the order pages list them.
    pub const ALL: [Metric; 16] = [
        Metric::Likes,
        Metric::Reposts,
        Metric::Replies,
        Metric::Quotes,
        Metric::Bookmarks,
        Metric::Followers,
        Metric::FirstHourLikes,
        Metric::Impressions,
        Metric::Clicks,
        Metric::ConversationVolume,
        Metric::PositiveConversations,
        Metric::NegativeConversations,
        Metric::FirstResponses,
        Metric::FirstResponsesWithinTarget,
        Metric::FirstResponseMinutes,
        Metric::Leads,
    ];

    /// The conversation metrics: counted per market and network only.
    pub const CONVERSATIONS: [Metric; 6] = [
        Metric::ConversationVolume,
        Metric::PositiveConversations,
        Metric::NegativeConversations,
        Metric::FirstResponses,
        Metric::FirstResponsesWithinTarget,
        Metric::FirstResponseMinutes,
    ];

    /// The counts a post's snapshot holds (one column each in the store).
    pub const POST_COUNTS: [Metric; 6] = [
        Metric::Likes,
        Metric::Reposts,
        Metric::Replies,
        Metric::Quotes,
        Metric::Bookmarks,
        Metric::FirstHourLikes,
    ];

    /// Whether pages, PDF reports and emails show the metric as a figure of its own. The counts
    /// behind the conversation shares and means (positive and negative posts, first responses,
    /// those within target, their minutes) are in the API and CSV; people read the shares and
    /// means they make ([`listening::ConversationFigures`]).
    pub fn stands_alone(self) -> bool {
        !Metric::CONVERSATIONS[1..].contains(&self)
    }

    /// The stable name: stored in rollups, used in the API's `metrics` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Likes => "likes",
            Metric::Reposts => "reposts",
            Metric::Replies => "replies",
            Metric::Quotes => "quotes",
            Metric::Bookmarks => "bookmarks",
            Metric::Followers => "followers",
            Metric::FirstHourLikes => "first_hour_likes",
            Metric::Impressions => "impressions",
            Metric::Clicks => "clicks",
            Metric::ConversationVolume => "conversation_volume",
            Metric::PositiveConversations => "positive_conversations",
            Metric::NegativeConversations => "negative_conversations",
            Metric::FirstResponses => "first_responses",
            Metric::FirstResponsesWithinTarget => "first_responses_within_target",
            Metric::FirstResponseMinutes => "first_response_minutes",
            Metric::Leads => "leads",
        }
    }

    /// A metric by its [`name`](Metric::name).
    pub fn parse(raw: &str) -> Result<Metric, Invalid> {
        let name = raw.trim();
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                Invalid::new(format!(
                    "{raw:?} is not a metric; use one of {}",
                    names.join(", ")
                ))
            })
    }

    /// One line saying what is counted.
    pub fn definition(self) -> &'static str {
        match self {
            Metric::Likes => "Likes of the post, as the network counts them (unlikes subtract).",
            Metric::Reposts => "Times the post was reposted (boosted), undone reposts subtracted.",
            Metric::Replies => "Replies to the post, deleted replies subtracted.",
            Metric::Quotes => "Posts that quote the post.",
            Metric::Bookmarks => "Times people saved the post, where the network reports it.",
            Metric::Followers => "People following the account.",
            Metric::FirstHourLikes => {
                "Likes given within the first hour after publication: early velocity."
            }
            Metric::Impressions => "Times the post was shown to someone.",
            Metric::Clicks => {
                "Clicks on the post's links through Chorus's redirect, obvious bots excluded."
            }
            Metric::ConversationVolume => "Public posts matched by the market's listening queries.",
            Metric::PositiveConversations => {
                "Matched posts whose sentiment was positive when they arrived (compound ≥ 0.05)."
            }
            Metric::NegativeConversations => {
                "Matched posts whose sentiment was negative when they arrived (compound ≤ −0.05)."
            }
            Metric::FirstResponses => {
                "Conversations answered from Chorus for the first time, on the day of the reply."
            }
            Metric::FirstResponsesWithinTarget => {
                "First responses sent within the market's first-response target at the time."
            }
            Metric::FirstResponseMinutes => {
                "Minutes from a conversation reaching the inbox to its first reply, summed; \
                 divided by first responses it gives the mean."
            }
            Metric::Leads => {
                "People who confirmed their email for a gated asset or webinar (Reach), counted \
                 for the story that brought them, its campaign and principles, on the day they \
                 confirmed."
            }
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Metric::Clicks | Metric::Leads => Kind::Events,
            m if Metric::CONVERSATIONS.contains(&m) => Kind::Events,
            _ => Kind::Cumulative,
        }
    }

    pub fn subject(self) -> Subject {
        match self {
            Metric::Followers => Subject::Account,
            m if Metric::CONVERSATIONS.contains(&m) => Subject::Conversations,
            Metric::Leads => Subject::Registrations,
            _ => Subject::Post,
        }
    }

    /// Where this metric comes from on `network` (a network's name: `bluesky`, `mastodon`).
    pub fn availability(self, network: &str) -> Availability {
        use Availability::{Chorus, Network, NotAvailable};
        match (self, network) {
            (Metric::Clicks, _) => Chorus {
                source: "Chorus's link redirect (/l/{code}) counts each click",
            },
            (Metric::ConversationVolume, _) => Chorus {
                source: "Chorus's listening pipeline counts matched posts",
            },
            (Metric::PositiveConversations | Metric::NegativeConversations, _) => Chorus {
                source: "Chorus's listening pipeline scores each matched post's sentiment",
            },
            (
                Metric::FirstResponses
                | Metric::FirstResponsesWithinTarget
                | Metric::FirstResponseMinutes,
                _,
            ) => Chorus {
                source: "Chorus's inbox records each conversation's first reply",
            },
            (Metric::Leads, _) => Chorus {
                source: "Chorus's Reach counts each lead when its email is confirmed",
            },
            (Metric::Likes, "bluesky") => Network {
                source: "app.bsky.feed.getPosts likeCount (AppView)",
            },
            (Metric::Reposts, "bluesky") => Network {
                source: "app.bsky.feed.getPosts repostCount (AppView)",
            },
            (Metric::Replies, "bluesky") => Network {
                source: "app.bsky.feed.getPosts replyCount (AppView)",
            },
            (Metric::Quotes, "bluesky") => Network {
                source: "app.bsky.feed.getPosts quoteCount (AppView)",
            },
            (Metric::Bookmarks, "bluesky") => Network {
                source: "app.bsky.feed.getPosts bookmarkCount (AppView), where the AppView reports it",
            },
            (Metric::Followers, "bluesky") => Network {
                source: "app.bsky.actor.getProfile followersCount (AppView)",
            },
            (Metric::FirstHourLikes, "bluesky") => Network {
                source: "app.bsky.feed.getLikes, likes created in the first hour (AppView)",
            },
            (Metric::Impressions, "bluesky") => NotAvailable {
                why: "Bluesky reports no views or impressions",
            },
            (Metric::Likes, "mastodon") => Network {
                source: "GET /api/v1/statuses/:id favourites_count",
            },
            (Metric::Reposts, "mastodon") => Network {
                source: "GET /api/v1/statuses/:id reblogs_count",
            },
            (Metric::Replies, "mastodon") => Network {
                source: "GET /api/v1/statuses/:id replies_count",
            },
            (Metric::Followers, "mastodon") => Network {
                source: "GET /api/v1/accounts/:id followers_count",
            },
            (Metric::Quotes | Metric::Bookmarks | Metric::FirstHourLikes, "mastodon") => {
                NotAvailable {
                    why: "Mastodon reports no count of this for others' posts",
                }
            }
            (Metric::Impressions, "mastodon") => NotAvailable {
                why: "Mastodon reports no views or impressions",
            },
            _ => NotAvailable {
                why: "Chorus does not collect this metric on this network",
            },
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One measurement of a post's counts as the network reported them (running totals). `None`
/// is "not reported": the network does not offer the count, or this fetch did not include it.
/// It is never read as 0: a bucket's gain is taken only between reported values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostCounts {
    pub likes: Option<i64>,
    pub reposts: Option<i64>,
    pub replies: Option<i64>,
    pub quotes: Option<i64>,
    pub bookmarks: Option<i64>,
    pub first_hour_likes: Option<i64>,
}

impl PostCounts {
    /// The count of `metric`, if this measurement holds one (metrics that are not a post's
    /// counts, such as followers, are always `None`).
    pub fn get(&self, metric: Metric) -> Option<i64> {
        match metric {
            Metric::Likes => self.likes,
            Metric::Reposts => self.reposts,
            Metric::Replies => self.replies,
            Metric::Quotes => self.quotes,
            Metric::Bookmarks => self.bookmarks,
            Metric::FirstHourLikes => self.first_hour_likes,
            _ => None,
        }
    }

    /// Sets the count of `metric` (ignored for metrics that are not a post's counts).
    pub fn set(&mut self, metric: Metric, value: Option<i64>) {
        match metric {
            Metric::Likes => self.likes = value,
            Metric::Reposts => self.reposts = value,
            Metric::Replies => self.replies = value,
            Metric::Quotes => self.quotes = value,
            Metric::Bookmarks => self.bookmarks = value,
            Metric::FirstHourLikes => self.first_hour_likes = value,
            _ => {}
        }
    }
}

/// What numbers are rolled up by. Every rollup is also kept per market (the market of the
/// post's story, or of the account for followers), so a reader may always narrow to the markets
/// it may see and group by market alongside any one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// One published variant.
    Post,
    Story,
    Campaign,
    Account,
    Market,
    Network,
    /// A principle the story cites; a story citing several counts toward each.
    Principle,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Post,
        Dimension::Story,
        Dimension::Campaign,
        Dimension::Account,
        Dimension::Market,
        Dimension::Network,
        Dimension::Principle,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Post => "post",
            Dimension::Story => "story",
            Dimension::Campaign => "campaign",
            Dimension::Account => "account",
            Dimension::Market => "market",
            Dimension::Network => "network",
            Dimension::Principle => "principle",
        }
    }

    pub fn parse(raw: &str) -> Result<Dimension, Invalid> {
        let name = raw.trim();
        Dimension::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Dimension::ALL.iter().map(|d| d.name()).collect();
                Invalid::new(format!(
                    "{raw:?} is not a dimension; use one of {}",
                    names.join(", ")
                ))
            })
    }

    /// Whether `metric` is rolled up by this dimension: account metrics (followers) have no
    /// post, story, campaign or principle; conversation volume (posts matched by a market's
    /// listening queries) is a market's and a network's only; leads belong to a market, a
    /// story, its campaign and principles, never to one post, account or network.
    pub fn carries(self, metric: Metric) -> bool {
        match metric.subject() {
            Subject::Registrations => matches!(
                self,
                Dimension::Market | Dimension::Story | Dimension::Campaign | Dimension::Principle
            ),
            Subject::Account => matches!(
                self,
                Dimension::Account | Dimension::Market | Dimension::Network
            ),
            Subject::Conversations => matches!(self, Dimension::Market | Dimension::Network),
            _ => true,
        }
    }
}

impl std::fmt::Display for Dimension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests;
