//! Conversations: listening queries (what a market listens for), the conversations they find,
//! and the inbox vocabulary (status, tags, notes, sentiment, response targets).
//!
//! The query *text* is checked by `chorus-query` in the layers above (this crate has no
//! dependency on it); here live the other fields of a query and the rules for the inbox's
//! values. Every constructor is a `parse` that names the field it rejects.

use serde::{Deserialize, Serialize};

use crate::ids::{MarketId, TeamId, UserId};
use crate::validate::{FieldError, Invalid, quoted, text};

/// A listening query's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QueryId(pub i64);

impl std::fmt::Display for QueryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A conversation's id (the id of the stored post it is about).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub i64);

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which side of share of voice a query counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Talk about us: our brand, products, people.
    Us,
    /// Talk about a competitor (the query's name names them).
    Competitor,
    /// A topic we follow that is neither (excluded from share of voice).
    Topic,
}

impl Side {
    pub const ALL: [Side; 3] = [Side::Us, Side::Competitor, Side::Topic];

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Us => "us",
            Side::Competitor => "competitor",
            Side::Topic => "topic",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::Us => "Us",
            Side::Competitor => "Competitor",
            Side::Topic => "Topic",
        }
    }

    pub fn parse(raw: &str) -> Result<Side, Invalid> {
        let s = raw.trim().to_ascii_lowercase();
        Side::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "{} is not one of us, competitor, topic",
                    quoted(raw)
                ))
            })
    }
}

/// A network name as stored on posts and filtered on: lowercase ASCII letters, digits, `-`,
/// 2–20 characters (`bluesky`, `rss`, `twitter`, `import`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NetworkName(String);

impl NetworkName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_ascii_lowercase();
        let ok = (2..=20).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err(Invalid::new(format!(
                "{} is not a network name, e.g. bluesky, rss or twitter",
                quoted(raw)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NetworkName {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<NetworkName> for String {
    fn from(n: NetworkName) -> String {
        n.0
    }
}

impl std::fmt::Display for NetworkName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A language code as stored on posts: an ISO 639 code of 2–3 lowercase letters, or `und`.
pub fn language_code(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim().to_ascii_lowercase();
    let primary = s.split(['-', '_']).next().unwrap_or("");
    if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(primary.to_owned())
    } else {
        Err(Invalid::new(format!(
            "{} is not a language code, e.g. en, fi or pt",
            quoted(raw)
        )))
    }
}

/// The fields of a listening query other than its id, validated (the query text's syntax is
/// checked by the caller with `chorus-query` before this is stored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryInput {
    pub market_id: MarketId,
    pub team_id: Option<TeamId>,
    pub name: String,
    /// The boolean query (`docs/query-language.md`).
    pub query: String,
    /// Only posts in these languages (empty: any).
    pub languages: Vec<String>,
    /// Only posts from these networks (empty: any).
    pub networks: Vec<NetworkName>,
    pub side: Side,
    /// Alert when an hour's volume exceeds this multiple of the trailing baseline.
    pub spike_factor: f64,
    pub active: bool,
}

/// Raw query fields as they come from a form, an API body or a file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RawQuery {
    pub name: String,
    pub query: String,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    #[serde(default)]
    pub side: Option<String>,
    #[serde(default)]
    pub spike_factor: Option<f64>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Largest accepted query text, in bytes (the engine's own limit is checked by it).
pub const MAX_QUERY_TEXT: usize = 4096;
pub const DEFAULT_SPIKE_FACTOR: f64 = 3.0;

impl QueryInput {
    /// Validates everything but the query syntax; errors name the field.
    pub fn parse(
        market_id: MarketId,
        team_id: Option<TeamId>,
        raw: &RawQuery,
    ) -> Result<QueryInput, FieldError> {
        let name = text(&raw.name, 100).map_err(|e| e.at("name"))?;
        let query = raw.query.trim();
        if query.is_empty() {
            return Err(Invalid::new("must not be empty").at("query"));
        }
        if query.len() > MAX_QUERY_TEXT {
            return Err(Invalid::new(format!(
                "is {} bytes long; the limit is {MAX_QUERY_TEXT}",
                query.len()
            ))
            .at("query"));
        }
        let mut languages = Vec::new();
        for l in raw.languages.iter().filter(|l| !l.trim().is_empty()) {
            let code = language_code(l).map_err(|e| e.at("languages"))?;
            if !languages.contains(&code) {
                languages.push(code);
            }
        }
        let mut networks = Vec::new();
        for n in raw.networks.iter().filter(|n| !n.trim().is_empty()) {
            let name = NetworkName::parse(n).map_err(|e| e.at("networks"))?;
            if !networks.contains(&name) {
                networks.push(name);
            }
        }
        let side = match raw.side.as_deref().map(str::trim) {
            None | Some("") => Side::Topic,
            Some(s) => Side::parse(s).map_err(|e| e.at("side"))?,
        };
        let spike_factor = raw.spike_factor.unwrap_or(DEFAULT_SPIKE_FACTOR);
        if !(1.1..=100.0).contains(&spike_factor) {
            return Err(
                Invalid::new("must be a multiple between 1.1 and 100, e.g. 3").at("spike_factor"),
            );
        }
        Ok(QueryInput {
            market_id,
            team_id,
            name,
            query: query.to_owned(),
            languages,
            networks,
            side,
            spike_factor,
            active: raw.active.unwrap_or(true),
        })
    }

    /// The text the matcher runs: the query, narrowed by the language and network lists
    /// through the query language's own fields.
    pub fn effective_query(&self) -> String {
        effective_query(&self.query, &self.languages, &self.networks)
    }
}

/// `(<query>) AND (lang:a OR lang:b) AND (network:x)`, leaving out empty lists.
pub fn effective_query(query: &str, languages: &[String], networks: &[NetworkName]) -> String {
    let mut out = format!("({query})");
    if !languages.is_empty() {
        let alts: Vec<String> = languages.iter().map(|l| format!("lang:{l}")).collect();
        out.push_str(&format!(" AND ({})", alts.join(" OR ")));
    }
    if !networks.is_empty() {
        let alts: Vec<String> = networks.iter().map(|n| format!("network:{n}")).collect();
        out.push_str(&format!(" AND ({})", alts.join(" OR ")));
    }
    out
}

/// A stored listening query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListeningQuery {
    pub id: QueryId,
    pub market_id: MarketId,
    pub team_id: Option<TeamId>,
    pub name: String,
    pub query: String,
    pub languages: Vec<String>,
    pub networks: Vec<NetworkName>,
    pub side: Side,
    pub spike_factor: f64,
    pub active: bool,
    /// The listening version its last change made: which revision of the query a stored match
    /// came from. Not part of its audit snapshot (every change bumps it).
    #[serde(skip)]
    pub revision: i64,
}

impl ListeningQuery {
    pub fn effective_query(&self) -> String {
        effective_query(&self.query, &self.languages, &self.networks)
    }
}

/// Where a conversation is in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nobody has looked at it.
    New,
    /// Someone is on it.
    Open,
    /// We answered or asked; waiting for the other side.
    Waiting,
    /// Nothing more to do.
    Done,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::New, Status::Open, Status::Waiting, Status::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Waiting => "waiting",
            Status::Done => "done",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Open => "Open",
            Status::Waiting => "Waiting",
            Status::Done => "Done",
        }
    }

    pub fn parse(raw: &str) -> Result<Status, Invalid> {
        let s = raw.trim().to_ascii_lowercase();
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "{} is not a status; use new, open, waiting or done",
                    quoted(raw)
                ))
            })
    }
}

/// VADER's conventional bands for the compound score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

impl Sentiment {
    pub const ALL: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];
    /// Compound at or above this is positive; at or below its negation, negative.
    pub const THRESHOLD: f64 = 0.05;

    pub fn of(compound: f64) -> Sentiment {
        if compound >= Self::THRESHOLD {
            Sentiment::Positive
        } else if compound <= -Self::THRESHOLD {
            Sentiment::Negative
        } else {
            Sentiment::Neutral
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
            Sentiment::Positive => "positive",
        }
    }

    pub fn parse(raw: &str) -> Result<Sentiment, Invalid> {
        let s = raw.trim().to_ascii_lowercase();
        Sentiment::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "{} is not a sentiment; use negative, neutral or positive",
                    quoted(raw)
                ))
            })
    }

    /// The compound a conversation is given when a person labels it with this band (a
    /// correction in the inbox): the band's far end for a polar label, 0 for neutral, so the
    /// inbox's filters and badges read the label back with [`Sentiment::of`].
    pub fn labelled_score(self) -> f64 {
        match self {
            Sentiment::Negative => -1.0,
            Sentiment::Neutral => 0.0,
            Sentiment::Positive => 1.0,
        }
    }

    /// The compound range `[lo, hi)` of this band, for filtering stored scores.
    pub fn range(self) -> (f64, f64) {
        match self {
            Sentiment::Negative => (-2.0, -Self::THRESHOLD + 1e-9),
            Sentiment::Neutral => (-Self::THRESHOLD + 1e-9, Self::THRESHOLD),
            Sentiment::Positive => (Self::THRESHOLD, 2.0),
        }
    }
}

/// A tag: lowercase letters, digits and `-`, 1–40 characters (`complaint`, `battery-life`).
pub fn tag(raw: &str) -> Result<String, Invalid> {
    let s: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '_' { '-' } else { c })
        .collect();
    let ok =
        (1..=40).contains(&s.chars().count()) && s.chars().all(|c| c.is_alphanumeric() || c == '-');
    if ok {
        Ok(s)
    } else if raw.contains(',') {
        Err(Invalid::new(format!(
            "{} holds more than one tag; add one tag at a time (letters, digits and dashes, e.g. battery-life)",
            quoted(raw)
        )))
    } else {
        Err(Invalid::new(format!(
            "{} is not a tag; use up to 40 letters, digits and dashes, e.g. battery-life",
            quoted(raw)
        )))
    }
}

/// An internal note on a conversation (never sent to the network).
pub fn note(raw: &str) -> Result<String, Invalid> {
    text(raw, 4000)
}

/// A reply's text; the network's own limits are checked by its connector.
pub fn reply_text(raw: &str) -> Result<String, Invalid> {
    text(raw, 3000)
}

/// Who a conversation is assigned to, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssigneeFilter {
    Nobody,
    User(UserId),
}

/// A market's first-response target, in minutes (5 minutes to 7 days).
pub fn response_target_minutes(raw: i64) -> Result<i64, Invalid> {
    if (5..=7 * 24 * 60).contains(&raw) {
        Ok(raw)
    } else {
        Err(Invalid::new(
            "must be between 5 minutes and 7 days (10080 minutes)",
        ))
    }
}

/// Whether an hour's `volume` is a spike against the trailing hourly `baseline` (mean of the
/// previous hours): at least `factor` times the baseline (floored at one post an hour, so a
/// query that was silent needs a real burst) and at least `min_volume` posts.
pub fn is_spike(volume: i64, baseline: f64, factor: f64, min_volume: i64) -> bool {
    volume >= min_volume && (volume as f64) >= factor * baseline.max(1.0)
}

/// Posts an hour below which no spike is reported.
pub const SPIKE_MIN_VOLUME: i64 = 10;
/// Hours in the trailing baseline.
pub const BASELINE_HOURS: i64 = 7 * 24;

pub mod period;
pub mod response;

pub use response::{FirstResponse, first_response};

#[cfg(test)]
mod tests;
