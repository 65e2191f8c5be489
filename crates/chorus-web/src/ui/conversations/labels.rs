//! A conversation's language and sentiment as the inbox shows them, corrected in one click
//! (`POST /conversations/{id}/labels` through `chorus_app::conversations::labels::correct`:
//! with htmx the block comes back saved, or with the refusal beside it; without JavaScript a
//! redirect to the conversation), and every correction downloaded as the dataset training
//! reads (`GET /conversations/corrections.jsonl`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::conversations::labels::{self, CorrectionRecord, LabelFields};
use chorus_app::conversations::{ConversationRow, inbox};
use chorus_core::conversations::Sentiment;
use serde::Deserialize;

use super::{language_text, sentiment_badge};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{FormData, format_time, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}/labels", post(correct))
        .route("/conversations/corrections.jsonl", get(download))
}

/// What `conversations/_labels.html` shows.
pub struct LabelsView {
    pub conv: i64,
    pub csrf: String,
    /// Negative, neutral, positive: value, label, whether it is the one shown.
    pub sentiments: Vec<(&'static str, &'static str, bool)>,
    /// Every language Chorus names: code, name, whether it is the one shown.
    pub languages: Vec<(&'static str, &'static str, bool)>,
    /// The shown language's name when the menu has no entry for it ("not identified").
    pub unlisted: Option<String>,
    /// Who corrected it last and what Chorus had read, or an invitation to correct.
    pub note: String,
    pub error: Option<String>,
    pub saved: bool,
    /// After a correction through htmx: the thread's labels of the post, out of band.
    pub post: Option<PostLabels>,
}

/// The conversation's own post's labels as its thread shows them.
pub struct PostLabels {
    pub conv: i64,
    pub lang: String,
    pub sentiment: (&'static str, &'static str),
    pub oob: bool,
}

impl PostLabels {
    pub fn of(row: &ConversationRow, oob: bool) -> PostLabels {
        // As its source and the detector said, unless a person corrected the language.
        let lang = if row.lang == row.post.lang {
            language_text(&row.post)
        } else {
            capitalized(labels::language_name(&row.lang))
        };
        PostLabels {
            conv: row.id.0,
            lang,
            sentiment: sentiment_badge(row.sentiment),
            oob,
        }
    }
}

impl LabelsView {
    pub fn of(
        row: &ConversationRow,
        corrections: &[CorrectionRecord],
        csrf: &str,
        error: Option<String>,
        saved: bool,
    ) -> LabelsView {
        let shown = Sentiment::of(row.sentiment);
        let languages: Vec<_> = labels::language_choices()
            .into_iter()
            .map(|(code, name)| (code, name, code == row.lang))
            .collect();
        let unlisted =
            (!languages.iter().any(|l| l.2)).then(|| capitalized(labels::language_name(&row.lang)));
        LabelsView {
            conv: row.id.0,
            csrf: csrf.to_owned(),
            sentiments: Sentiment::ALL
                .iter()
                .map(|s| (s.as_str(), label(*s), *s == shown))
                .collect(),
            languages,
            unlisted,
            note: note(row, corrections),
            error,
            saved,
            post: None,
        }
    }
}

fn label(s: Sentiment) -> &'static str {
    match s {
        Sentiment::Negative => "Negative",
        Sentiment::Neutral => "Neutral",
        Sentiment::Positive => "Positive",
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// "Corrected by Sanna Korhonen, 7 Dec 2026, 10:20 UTC. Chorus had read it as positive, in
/// Tagalog." ("Confirmed by …" when people agreed with Chorus) — or, uncorrected, what the
/// labels are and why correcting helps.
fn note(row: &ConversationRow, corrections: &[CorrectionRecord]) -> String {
    let Some(last) = corrections.last() else {
        return "As Chorus read it. If it is wrong, correct it: Chorus learns from corrections."
            .into();
    };
    let by = format!("{}, {}", last.author, format_time(last.created_at_ms));
    let model_sentiment = Sentiment::of(row.post.sentiment);
    if model_sentiment == Sentiment::of(row.sentiment) && row.post.lang == row.lang {
        return format!("Confirmed by {by}: Chorus read it the same way.");
    }
    format!(
        "Corrected by {by}. Chorus had read it as {}, in {}.",
        model_sentiment.as_str(),
        labels::language_name(&row.post.lang)
    )
}

#[derive(Template)]
#[template(path = "conversations/_labels.html")]
struct LabelsFragment {
    l: LabelsView,
}

/// Corrects the language or the sentiment of conversation `cid` through the use case.
async fn correct(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let fields = LabelFields {
        lang: form.get("lang").to_owned(),
        sentiment: form.get("sentiment").to_owned(),
    };
    let refused = match labels::correct(&state.app, &id.caller, cid, &fields).await {
        Ok(_) => None,
        Err(chorus_app::Error::Invalid { message, .. }) if headers.contains_key("hx-request") => {
            Some(message)
        }
        Err(e) => return Err(e.into()),
    };
    if !headers.contains_key("hx-request") {
        return Ok(Redirect::to(&format!("/conversations/{cid}?done=corrected")).into_response());
    }
    let view = inbox::conversation(&state.app, &id.caller, cid).await?;
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let saved = refused.is_none();
    let mut l = LabelsView::of(
        &view.detail.row,
        &view.detail.corrections,
        id.csrf.as_deref().unwrap_or_default(),
        refused,
        saved,
    );
    l.post = Some(PostLabels::of(&view.detail.row, true));
    Ok(render_with_status(status, &LabelsFragment { l }))
}

#[derive(Deserialize, Default)]
struct DownloadParams {
    /// A market's code; every market the viewer reads when absent.
    market: Option<String>,
}

/// Every correction of the markets the viewer reads, as `chorus text train
/// --with-corrections` reads them.
async fn download(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(p): Query<DownloadParams>,
) -> Result<Response, PageError> {
    let d = labels::export(
        &state.app,
        &id.caller,
        p.market.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(dataset_response(d))
}

/// The dataset as a download (the page's and the API's).
pub fn dataset_response(d: labels::Dataset) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"chorus-corrections.jsonl\"",
            ),
        ],
        d.bytes,
    )
        .into_response()
}
