//! `/api/v1/conversations/{id}/labels` (a person's correction of a conversation's language
//! and sentiment) and `/api/v1/conversations/corrections.jsonl` (every correction of the
//! caller's markets, the dataset `chorus text train --with-corrections` reads).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::conversations::inbox;
use chorus_app::conversations::labels::{self, LabelFields};
use chorus_core::conversations::Sentiment;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::conversations::labels::dataset_response;
use crate::ui::iso_time;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/conversations/{id}/labels", post(correct))
        .route("/v1/conversations/corrections.jsonl", get(dataset))
}

/// A correction: either or both labels.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsBody {
    /// A language code or name: `es`, `Spanish`, `español`.
    #[serde(default)]
    pub language: Option<String>,
    /// negative, neutral or positive.
    #[serde(default)]
    pub sentiment: Option<String>,
}

/// The labels the conversation shows after the correction.
#[derive(Serialize, ToSchema)]
pub struct LabelsDto {
    /// False when people had already given it exactly these labels (nothing new recorded).
    pub changed: bool,
    /// The language shown (ISO 639-1 code).
    pub language: String,
    /// negative, neutral or positive.
    pub sentiment: String,
    /// The model's own answer, kept with the post.
    pub model_language: String,
    pub model_sentiment: String,
    /// Every correction, oldest first.
    pub corrections: Vec<CorrectionDto>,
}

#[derive(Serialize, ToSchema)]
pub struct CorrectionDto {
    pub language: Option<String>,
    pub sentiment: Option<String>,
    pub by: String,
    pub at: String,
}

/// Corrects a conversation's language and/or sentiment (audited; kept with who and when,
/// learned from by `chorus text train --with-corrections`).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/labels", tag = "conversations",
    request_body = LabelsBody, params(("id" = i64, Path)),
    responses((status = 200, body = LabelsDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<LabelsBody>,
) -> Result<Json<LabelsDto>, AppError> {
    let fields = LabelFields {
        lang: body.language.unwrap_or_default(),
        sentiment: body.sentiment.unwrap_or_default(),
    };
    let changed = labels::correct(&state.app, &id.caller, cid, &fields).await?;
    let d = inbox::conversation(&state.app, &id.caller, cid)
        .await?
        .detail;
    Ok(Json(LabelsDto {
        changed,
        language: d.row.lang.clone(),
        sentiment: Sentiment::of(d.row.sentiment).as_str().to_owned(),
        model_language: d.row.post.lang.clone(),
        model_sentiment: Sentiment::of(d.row.post.sentiment).as_str().to_owned(),
        corrections: d
            .corrections
            .iter()
            .map(|c| CorrectionDto {
                language: c.lang.clone(),
                sentiment: c.sentiment.map(|s| s.as_str().to_owned()),
                by: c.author.clone(),
                at: iso_time(c.created_at_ms),
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct DatasetParams {
    /// A market's code; every market the caller reads conversations in when absent.
    pub market: Option<String>,
}

/// Every corrected conversation of the caller's markets, one JSON object a line: `text`,
/// `language` and `sentiment` (the newest correction of each; absent when never corrected).
#[utoipa::path(get, path = "/api/v1/conversations/corrections.jsonl", tag = "conversations",
    params(DatasetParams),
    responses((status = 200, content_type = "application/jsonl", body = String),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dataset(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<DatasetParams>,
) -> Result<Response, AppError> {
    let d = labels::export(
        &state.app,
        &id.caller,
        p.market.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(dataset_response(d))
}
