//! A multipart form with files, read within the installation's upload limit: text parts become
//! [`FormData`], the `file` and `cover` parts [`Upload`]s. A file over the limit stops the
//! reading and names its field, so the person hears "file: is larger than 50 MB", not a
//! connection reset.
//!
//! Upload routes take bodies larger than `[server] max_body_bytes`: [`body_limit`] tells the
//! CSRF check (which reads a cookie request's body for its token) how much to read for them,
//! and the routes lift axum's default limit, counting here instead.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use chorus_app::reach::files::{MAX_COVER_BYTES, Upload, human_size};

use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::FormData;

/// Paths whose POST bodies carry an asset: the staff form and the API.
fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST && (path == "/reach/assets" || path == "/api/v1/reach/assets")
}

/// Room for the form's text fields beside the files.
const FORM_SLACK: u64 = 1024 * 1024;

/// The body limit of an upload request (`None`: not one, the usual limit applies).
pub(crate) fn body_limit(state: &AppState, method: &Method, path: &str) -> Option<usize> {
    if !is_upload(method, path) {
        return None;
    }
    let max = state.app.max_asset_bytes()?;
    let total = max + MAX_COVER_BYTES + FORM_SLACK;
    Some(
        usize::try_from(total)
            .unwrap_or(usize::MAX)
            .max(state.config.max_body_bytes),
    )
}

/// What an upload form sent.
pub(crate) struct UploadForm {
    pub fields: FormData,
    pub file: Upload,
    pub cover: Option<Upload>,
    /// Why the form could not be read, naming the field (a file over the limit).
    pub refused: Option<AppError>,
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let api = req.uri().path().starts_with("/api/");
        let refuse = move |e: AppError| match api {
            true => e.into_response(),
            false => PageError(e).into_response(),
        };
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            return Err(refuse(AppError::invalid(
                "file",
                "send the form as multipart/form-data with the file",
            )));
        }
        let max_asset = state.app.max_asset_bytes().unwrap_or(0);
        let mut parts = Multipart::from_request(req, state).await.map_err(|e| {
            refuse(AppError::Invalid {
                field: None,
                message: format!("the form could not be read: {}", e.body_text()),
            })
        })?;
        let mut form = UploadForm {
            fields: FormData(Vec::new()),
            file: Upload::default(),
            cover: None,
            refused: None,
        };
        if let Err(e) = read(&mut parts, &mut form, max_asset).await {
            form.refused = Some(e);
        }
        Ok(form)
    }
}

async fn read(
    parts: &mut Multipart,
    form: &mut UploadForm,
    max_asset: u64,
) -> Result<(), AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| AppError::Invalid {
        field: None,
        message: format!("the form could not be read: {e}"),
    };
    while let Some(mut field) = parts.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        let Some(file_name) = field.file_name().map(str::to_owned) else {
            let value = field.text().await.map_err(unreadable)?;
            form.fields.0.push((name, value));
            continue;
        };
        let limit = match name.as_str() {
            "file" => max_asset,
            "cover" => MAX_COVER_BYTES,
            _ => 0,
        };
        let content_type = field.content_type().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > limit {
                let message = if limit == 0 {
                    "this form takes no such file".to_owned()
                } else {
                    format!("is larger than the limit of {}", human_size(limit))
                };
                return Err(AppError::invalid(name, message));
            }
        }
        let upload = Upload {
            file_name,
            content_type,
            bytes,
        };
        match name.as_str() {
            "file" => form.file = upload,
            _ if upload.bytes.is_empty() => {}
            _ => form.cover = Some(upload),
        }
    }
    Ok(())
}
