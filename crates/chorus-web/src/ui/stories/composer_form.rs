//! The composer's form as it arrives: urlencoded, or multipart when the browser sends image
//! files with it (the file picker without JavaScript; with JavaScript the files are staged as
//! they are chosen or dropped, and only their ids come with the form).
//!
//! Reading stops at the first unreadable part; the use case says why once it knows who asks.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chorus_app::stories::RawVariant;
use chorus_app::stories::images::Upload;
use chorus_app::stories::staged::RawStaged;

use crate::ui::FormData;

/// The composer's fields, and any image files sent with them.
pub struct ComposerForm {
    pub fields: FormData,
    /// Files chosen in the picker and sent with the form (name, bytes); empty parts (no file
    /// chosen) are left out.
    pub files: Vec<Upload>,
}

impl ComposerForm {
    /// The variant's fields.
    pub fn raw(&self) -> RawVariant {
        raw_from(&self.fields)
    }

    /// The staged images the form names, with their alt text.
    pub fn staged(&self) -> Vec<RawStaged> {
        staged_from(&self.fields)
    }
}

/// The variant's fields of a form.
pub fn raw_from(form: &FormData) -> RawVariant {
    RawVariant {
        account: form.get("account").to_owned(),
        locale: form.get("locale").to_owned(),
        body: form.get("body").to_owned(),
        time: form.get("time").to_owned(),
    }
}

/// The staged images a form names: each `staged` value, with its `alt_staged_{id}`.
pub fn staged_from(form: &FormData) -> Vec<RawStaged> {
    form.get_all("staged")
        .into_iter()
        .map(|id| RawStaged {
            id: id.to_owned(),
            alt: form.get(&format!("alt_staged_{}", id.trim())).to_owned(),
        })
        .collect()
}

impl<S: Send + Sync> FromRequest<S> for ComposerForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let fields = FormData::from_request(req, state).await?;
            return Ok(ComposerForm {
                fields,
                files: Vec::new(),
            });
        }
        let mut parts = Multipart::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut form = ComposerForm {
            fields: FormData(Vec::new()),
            files: Vec::new(),
        };
        if let Err(why) = read(&mut parts, &mut form).await {
            form.files.push(Upload {
                unreadable: Some(why),
                ..Upload::default()
            });
        }
        Ok(form)
    }
}

async fn read(parts: &mut Multipart, form: &mut ComposerForm) -> Result<(), String> {
    let unreadable =
        |e: axum::extract::multipart::MultipartError| format!("the form could not be read: {e}");
    while let Some(field) = parts.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(unreadable)?;
                if name == "file" && !(bytes.is_empty() && file_name.is_empty()) {
                    form.files.push(Upload {
                        file: Some((file_name, bytes.to_vec())),
                        ..Upload::default()
                    });
                }
            }
            None => {
                let value = field.text().await.map_err(unreadable)?;
                form.fields.0.push((name, value));
            }
        }
    }
    Ok(())
}
