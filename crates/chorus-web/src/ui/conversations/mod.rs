//! The Conversations section: the inbox and its threads, listening queries (with the live
//! check and the 7-day preview), signals (volume, spikes, share of voice) and response times.
//! Pages only translate: each calls `chorus_app::conversations` and renders what it answers.

mod fields;
pub(crate) mod inbox;
mod queries;
mod signals;
mod thread;

use axum::Router;
use chorus_core::MarketId;
use chorus_core::org::Market;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(inbox::routes())
        .merge(thread::routes())
        .merge(queries::routes())
        .merge(signals::routes())
}

/// The tabs across the section; `active` is "inbox", "queries", "signals" or "responses".
pub struct Tabs {
    pub active: &'static str,
}

/// The code of market `id`, to show (its id when unknown).
pub fn market_code(markets: &[Market], id: MarketId) -> String {
    markets
        .iter()
        .find(|m| m.id == id)
        .map(|m| m.code.to_string())
        .unwrap_or_else(|| id.to_string())
}

/// A post's language for people: its English name ("Spanish"), or, where the source labelled it
/// otherwise, both ("Detected English · source said Spanish").
pub fn language_text(post: &chorus_app::conversations::StoredPost) -> String {
    use chorus_app::conversations::language::language_name;
    let name = |code: &str| match (code, language_name(code)) {
        ("und", _) => "language unknown".to_owned(),
        (_, Some(n)) => n.to_owned(),
        (c, None) => c.to_owned(),
    };
    match (
        post.labels.detected_lang.as_deref(),
        post.labels.disagreeing_source(),
    ) {
        (Some(detected), Some(source)) => {
            format!("Detected {} · source said {}", name(detected), name(source))
        }
        _ => name(&post.lang),
    }
}

/// Sentiment as a badge: (label, badge modifier).
pub fn sentiment_badge(compound: f64) -> (&'static str, &'static str) {
    use chorus_core::conversations::Sentiment;
    match Sentiment::of(compound) {
        Sentiment::Positive => ("positive", "success"),
        Sentiment::Neutral => ("neutral", "neutral"),
        Sentiment::Negative => ("negative", "danger"),
    }
}

/// Status as a badge modifier.
pub fn status_badge(s: chorus_core::conversations::Status) -> &'static str {
    use chorus_core::conversations::Status;
    match s {
        Status::New => "info",
        Status::Open => "warning",
        Status::Waiting => "neutral",
        Status::Done => "success",
    }
}

/// "3 h 12 min", "45 min", "2 d 4 h".
pub fn minutes_text(minutes: f64) -> String {
    let m = minutes.max(0.0).round() as i64;
    match m {
        0..60 => format!("{m} min"),
        60..1440 => format!("{} h {} min", m / 60, m % 60),
        _ => format!("{} d {} h", m / 1440, (m % 1440) / 60),
    }
}
