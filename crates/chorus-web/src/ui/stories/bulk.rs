//! Bulk work: import a content plan from CSV (validated in full first, then imported in one
//! go), and export the calendar as iCalendar (`.ics`) or CSV with the calendar's filters. The
//! parsing, the validation report and the writers are `chorus_app::stories::{import, export}`;
//! this module reads the upload and renders.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use chorus_app::stories::export;
use chorus_app::stories::import::{self, ImportOutcome, Problem};

use super::calendar::CalQuery;
use super::{StoryTabs, zones};
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{FormData, Shell, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/import", get(page).post(import))
        .route("/stories/import/sample.csv", get(sample))
        .route("/stories/calendar.ics", get(export_ics))
        .route("/stories/calendar.csv", get(export_csv))
}

#[derive(Template)]
#[template(path = "stories/import.html")]
struct ImportPage {
    shell: Shell,
    tabs: StoryTabs,
    problems: Vec<Problem>,
    imported: Vec<(i64, String, usize)>,
    pasted: String,
    can_draft: bool,
}

async fn import_page(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    problems: Vec<Problem>,
    imported: Vec<(i64, String, usize)>,
    pasted: String,
) -> Result<Response, PageError> {
    let can_draft = import::can_import(&state.app, &id.caller).await?;
    let shell = Shell::new(state, id, "stories", "Import and export").await?;
    Ok(render_with_status(
        status,
        &ImportPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "import"),
            problems,
            imported,
            pasted,
            can_draft,
        },
    ))
}

async fn page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    import_page(&state, &id, StatusCode::OK, vec![], vec![], String::new()).await
}

/// The CSV from the request: a file in a multipart form (field `file`) or pasted text in a
/// urlencoded form (field `csv`).
async fn csv_body(req: Request, state: &AppState) -> Result<Vec<u8>, AppError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if is_multipart {
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| AppError::invalid("file", format!("the upload could not be read: {e}")))?;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| AppError::invalid("file", format!("the upload could not be read: {e}")))?
        {
            if field.name() == Some("file") {
                let bytes = field.bytes().await.map_err(|e| {
                    AppError::invalid("file", format!("the upload could not be read: {e}"))
                })?;
                return Ok(bytes.to_vec());
            }
        }
        Err(AppError::invalid("file", "choose a CSV file"))
    } else {
        let form = FormData::from_request(req, state)
            .await
            .map_err(|_| AppError::invalid("csv", "the form could not be read"))?;
        Ok(form.get("csv").as_bytes().to_vec())
    }
}

async fn import(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    req: Request,
) -> Result<Response, PageError> {
    let bytes = csv_body(req, &state).await?;
    match import::import_plan(&state.app, &id.caller, &bytes).await? {
        ImportOutcome::Rejected(problems) => {
            let pasted = String::from_utf8_lossy(&bytes).into_owned();
            import_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                problems,
                vec![],
                pasted,
            )
            .await
        }
        ImportOutcome::Imported(stories) => {
            let imported = stories
                .into_iter()
                .map(|s| (s.story_id, s.title, s.variants))
                .collect();
            import_page(&state, &id, StatusCode::OK, vec![], imported, String::new()).await
        }
    }
}

async fn sample(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let bytes = import::sample_csv(&state.app, &id.caller).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        "content-plan-sample.csv",
        bytes,
    ))
}

fn download(mime: &'static str, name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn export_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<CalQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    let file = export::calendar_csv(&state.app, &id.caller, &q.query(), &viewer.tz).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        &file.file_name,
        file.bytes,
    ))
}

async fn export_ics(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<CalQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    // Absolute links (the installation's public address), so a calendar application can open
    // the story; relative ones only when the address is not configured.
    let base = state
        .app
        .public_url()
        .map(|b| b.as_str().to_owned())
        .unwrap_or_default();
    let file = export::calendar_ics(&state.app, &id.caller, &q.query(), &viewer.tz, |story| {
        format!("{base}/stories/{story}")
    })
    .await?;
    Ok(download(
        "text/calendar; charset=utf-8",
        &file.file_name,
        file.bytes,
    ))
}
