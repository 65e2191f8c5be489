//! Images of a variant: upload (multipart), alternative text, removal, and serving the bytes to
//! people who may read the story.
//!
//! Uploads are checked for what they are, not what they claim: the type comes from the file's
//! first bytes (PNG, JPEG, GIF, WebP), the size is at most 1,000,000 bytes (Bluesky's limit for
//! an image) and a variant holds at most four (Bluesky's limit per post). The upload form posts
//! with htmx, which sends the CSRF token as a header; multipart bodies carry no form token.

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::validate::optional_text;

use super::composer;
use super::service::{editable_story, readable_story};
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::FormData;

pub fn routes() -> Router<AppState> {
    Router::new()
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

/// Bluesky refuses image blobs over this size.
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
/// Bluesky shows at most four images per post.
pub const MAX_IMAGES: usize = 4;

/// The image type from its first bytes, or `None` if it is not an image we publish.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A file name safe to store and show: the last path part, printable, at most 100 characters.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if name.trim().is_empty() {
        "image".into()
    } else {
        name.trim().to_owned()
    }
}

async fn variant_in(
    state: &AppState,
    story: i64,
    vid: i64,
) -> Result<chorus_store::Variant, AppError> {
    let v = state.store.variant(vid).await?;
    if v.story_id != story {
        return Err(AppError::NotFound("variant"));
    }
    Ok(v)
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

async fn upload(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid)): Path<(i64, i64)>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let story = editable_story(&state, &id, sid).await?;
    let v = variant_in(&state, sid, vid).await?;
    match store_upload(&state, &id, &v, multipart).await {
        Ok(()) => Ok(back(
            &headers,
            &format!("/stories/{}/variants/{}?done=image", story.id, v.id),
        )),
        // Back to the composer with the reason (htmx swaps 422 pages in).
        Err(e @ AppError::Invalid { .. }) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let note = composer::Note::Error(e);
            composer::variant_page(&state, &id, &story, &v, &headers, status, note).await
        }
        Err(e) => Err(PageError(e)),
    }
}

/// Reads, checks and stores one uploaded image.
async fn store_upload(
    state: &AppState,
    id: &crate::auth::Identity,
    v: &chorus_store::Variant,
    mut multipart: Multipart,
) -> Result<(), AppError> {
    if v.images.len() >= MAX_IMAGES {
        return Err(AppError::invalid(
            "file",
            format!("a post holds at most {MAX_IMAGES} images"),
        ));
    }
    let bad = |m: String| AppError::invalid("file", m);
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut alt = String::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("the upload could not be read: {e}")))?
    {
        match field.name() {
            Some("file") => {
                let name = clean_name(field.file_name().unwrap_or("image"));
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| bad(format!("the upload could not be read: {e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            Some("alt") => {
                alt = field
                    .text()
                    .await
                    .map_err(|e| bad(format!("the alt text could not be read: {e}")))?;
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(bad("choose an image file".into()));
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(bad(format!(
            "the image is {} bytes; the limit is {MAX_IMAGE_BYTES} (1 MB)",
            bytes.len()
        )));
    }
    let Some(mime) = sniff(&bytes) else {
        return Err(bad("this file is not a PNG, JPEG, GIF or WebP image".into()));
    };
    let alt = optional_text(&alt, 2000).map_err(|e| e.at("alt"))?;
    state
        .store
        .add_image(&id.author(), v.id, &name, mime, &bytes, &alt)
        .await?;
    Ok(())
}

async fn set_alt(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid, iid)): Path<(i64, i64, i64)>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    editable_story(&state, &id, sid).await?;
    variant_in(&state, sid, vid).await?;
    let alt = optional_text(form.get("alt"), 2000).map_err(|e| PageError(e.at("alt").into()))?;
    state
        .store
        .set_image_alt(&id.author(), vid, iid, &alt)
        .await?;
    Ok(back(
        &headers,
        &format!("/stories/{sid}/variants/{vid}?done=image"),
    ))
}

async fn remove(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid, iid)): Path<(i64, i64, i64)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    editable_story(&state, &id, sid).await?;
    variant_in(&state, sid, vid).await?;
    state.store.delete_image(&id.author(), vid, iid).await?;
    Ok(back(
        &headers,
        &format!("/stories/{sid}/variants/{vid}?done=deleted"),
    ))
}

async fn serve(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((sid, vid, iid)): Path<(i64, i64, i64)>,
) -> Result<Response, PageError> {
    readable_story(&state, &id, sid).await?;
    let v = variant_in(&state, sid, vid).await?;
    if !v.images.iter().any(|i| i.id == iid) {
        return Err(PageError(AppError::NotFound("image")));
    }
    let (_, bytes) = state.store.image(iid).await?;
    // Only types sniffed at upload are stored; anything else is served as bytes.
    let mime = sniff(&bytes).unwrap_or("application/octet-stream");
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, max-age=300"),
            (header::CONTENT_DISPOSITION, "inline"),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_image_types_from_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\photos\\speaker.png"), "speaker.png");
        assert_eq!(clean_name("a\u{0}b.png"), "ab.png");
        assert_eq!(clean_name(""), "image");
    }
}
