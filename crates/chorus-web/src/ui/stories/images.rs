//! Images of a variant: upload (multipart), alternative text, removal, and serving the bytes to
//! people who may read the story. What an image may be (type from its bytes, size, count) and
//! when it may change is `chorus_app::stories::images`; here the multipart body is read and
//! the answers are rendered.
//!
//! The upload form posts with htmx, which sends the CSRF token as a header; multipart bodies
//! carry no form token.
//!
//! Images for a variant not saved yet are staged (`chorus_app::stories::staged`):
//! `/static/composer.js` posts each file chosen or dropped on the composer to
//! `/stories/{id}/uploads` and puts the answer, a [`StagedRow`] with the id the form sends back
//! on save, into the composer's list; a refused file answers 422 with the reason. Only the
//! person who uploaded a staged image sees it (`/stories/{id}/uploads/{uid}`).

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::stories::images::{self, Upload};
use chorus_app::stories::staged::{self, Pending};
use chorus_app::stories::variants::Changed;

use super::composer;
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{FormData, render, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stories/{id}/uploads", post(stage))
        .route("/stories/{id}/uploads/{uid}", get(serve_staged))
        .route("/stories/{id}/variants/{vid}/images", post(upload))
        .route(
            "/stories/{id}/variants/{vid}/images/{iid}",
            get(serve).post(set_alt),
        )
        .route(
            "/stories/{id}/variants/{vid}/images/{iid}/delete",
            post(remove),
        )
}

/// Back to the composer: a redirect, or for htmx an `HX-Redirect`.
fn back(headers: &HeaderMap, to: &str) -> Response {
    if headers.contains_key("hx-request") {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert("hx-redirect", v);
        }
        r
    } else {
        Redirect::to(to).into_response()
    }
}

/// Where a change sends the person: the composer, saying whether the story went back to draft.
fn done(headers: &HeaderMap, sid: i64, vid: i64, what: &str, changed: &Changed) -> Response {
    let done = if changed.back_to_draft {
        "image_draft"
    } else {
        what
    };
    back(
        headers,
        &format!("/stories/{sid}/variants/{vid}?done={done}"),
    )
}

/// A refused change: bad input back to the composer with the reason (htmx swaps 422 pages in);
/// a state that forbids it on the story page, in words; anything else as an error page.
async fn refused(
    state: &AppState,
    id: &Identity,
    (sid, vid): (i64, i64),
    headers: &HeaderMap,
    e: chorus_app::Error,
) -> Result<Response, PageError> {
    match AppError::from(e) {
        e @ AppError::Invalid { .. } => {
            let status = e.status();
            let note = composer::Note::Error(e);
            composer::variant_page(state, id, sid, vid, headers, status, note).await
        }
        e => super::story::refused(state, id, sid, headers, "The image was not changed", e).await,
    }
}

/// Reads the multipart body: the `file` part and the `alt` text. A body that cannot be read
/// is said by the use case, after it has checked who is asking.
async fn read_upload(mut multipart: Multipart) -> Upload {
    let mut upload = Upload::default();
    if let Err(why) = read_parts(&mut multipart, &mut upload).await {
        upload.unreadable = Some(why);
    }
    upload
}

async fn read_parts(multipart: &mut Multipart, upload: &mut Upload) -> Result<(), String> {
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("the upload could not be read: {e}"))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("image").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| format!("the upload could not be read: {e}"))?;
                upload.file = Some((name, bytes.to_vec()));
            }
            Some("alt") => {
                upload.alt = field
                    .text()
                    .await
                    .map_err(|e| format!("the alt text could not be read: {e}"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

async fn upload(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid)): Path<(i64, i64)>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let upload = read_upload(multipart).await;
    match images::upload(&state.app, &id.caller, sid, vid, &upload).await {
        Ok((_, changed)) => Ok(done(&headers, sid, vid, "image", &changed)),
        Err(e) => refused(&state, &id, (sid, vid), &headers, e).await,
    }
}

async fn set_alt(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid, iid)): Path<(i64, i64, i64)>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    match images::set_alt(&state.app, &id.caller, sid, vid, iid, form.get("alt")).await {
        Ok(changed) => Ok(done(&headers, sid, vid, "image", &changed)),
        Err(e) => refused(&state, &id, (sid, vid), &headers, e).await,
    }
}

async fn remove(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid, iid)): Path<(i64, i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    match images::remove(&state.app, &id.caller, sid, vid, iid).await {
        Ok(changed) => Ok(done(&headers, sid, vid, "deleted", &changed)),
        Err(e) => refused(&state, &id, (sid, vid), &headers, e).await,
    }
}

async fn serve(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid, iid)): Path<(i64, i64, i64)>,
) -> Result<Response, PageError> {
    let image = images::image(&state.app, &id.caller, sid, vid, iid).await?;
    Ok((
        [
            (header::CONTENT_TYPE, image.mime),
            (header::CACHE_CONTROL, "private, max-age=300"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        image.bytes,
    )
        .into_response())
}

/// Where a staged image is shown to the person who uploaded it.
pub fn staged_url(story: i64, staged: i64) -> String {
    format!("/stories/{story}/uploads/{staged}")
}

/// An image waiting in the composer to be attached by the save: the form sends `staged` =
/// its id and `alt_staged_{id}` = its alt text.
#[derive(Template)]
#[template(path = "stories/_staged.html")]
pub struct StagedRow {
    pub id: i64,
    pub url: String,
    pub name: String,
    pub alt: String,
    pub size_kb: i64,
}

impl StagedRow {
    pub fn of(story: i64, p: &Pending) -> StagedRow {
        StagedRow {
            id: p.image.id,
            url: staged_url(story, p.image.id),
            name: p.image.name.clone(),
            alt: p.alt.clone(),
            size_kb: (p.image.size + 1023) / 1024,
        }
    }
}

/// Why a staged upload was refused, for the composer's script to show.
#[derive(Template)]
#[template(source = "<p class=\"field__error\">{{ message }}</p>", ext = "html")]
struct StageRefused {
    message: String,
}

/// Stages one image for a variant not saved yet (the composer's script; see the module doc).
async fn stage(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(sid): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let upload = read_upload(multipart).await;
    match staged::stage(&state.app, &id.caller, sid, &upload).await {
        Ok(image) => Ok(render(&StagedRow::of(
            sid,
            &Pending {
                image,
                alt: upload.alt.clone(),
            },
        ))),
        Err(e) => match AppError::from(e) {
            e @ AppError::Invalid { .. } => Ok(render_with_status(
                e.status(),
                &StageRefused {
                    message: e.public_message(),
                },
            )),
            e => Err(PageError(e)),
        },
    }
}

async fn serve_staged(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, uid)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let image = staged::staged_file(&state.app, &id.caller, sid, uid).await?;
    Ok((
        [
            (header::CONTENT_TYPE, image.mime),
            (header::CACHE_CONTROL, "private, max-age=300"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        image.bytes,
    )
        .into_response())
}
