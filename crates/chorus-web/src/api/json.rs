//! JSON request bodies whose errors name the field: a type error in `market_examples[2].market`
//! says so, an unknown field is refused by name, a missing one is named.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::state::AppState;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct.trim_start();
                ct.starts_with("application/json") || ct.contains("+json")
            });
        if !is_json {
            return Err(AppError::Invalid {
                field: None,
                message: "send the body as JSON with Content-Type: application/json".into(),
            });
        }
        let limit = state.config.max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| AppError::PayloadTooLarge { limit })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Deserializes `bytes`, turning any error into one that names the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::Invalid {
                field: None,
                message: format!("the body is not valid JSON: {message}"),
            };
        }
        // serde names a missing field in the message, with its parent as the path; for an
        // unknown field the path already ends with the field itself.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (missing, unknown, path.as_str()) {
            (Some(name), _, "." | "") | (None, Some(name), "." | "") => name.to_owned(),
            (Some(name), _, parent) => format!("{parent}.{name}"),
            (None, _, "." | "") => "body".to_owned(),
            (None, _, p) => p.to_owned(),
        };
        let message = match message.find(" at line ") {
            Some(i) => message[..i].to_owned(),
            None => message,
        };
        AppError::Invalid {
            field: Some(field),
            message,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        items: Vec<Item>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        n: i64,
    }

    fn field(json: &str) -> (Option<String>, String) {
        match parse::<Body>(json.as_bytes()) {
            Err(AppError::Invalid { field, message }) => (field, message),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            field(r#"{"title": 1, "items": []}"#).0.as_deref(),
            Some("title")
        );
        assert_eq!(field(r#"{"items": []}"#).0.as_deref(), Some("title"));
        assert_eq!(
            field(r#"{"title": "t", "items": [], "x": 1}"#).0.as_deref(),
            Some("x")
        );
        assert_eq!(
            field(r#"{"title": "t", "items": [{"n": 1}, {"n": "two"}]}"#)
                .0
                .as_deref(),
            Some("items[1].n")
        );
        assert_eq!(
            field(r#"{"title": "t", "items": [{"m": 1}]}"#).0.as_deref(),
            Some("items[0].m")
        );
        let (f, m) = field(r#"{"title": "#);
        assert_eq!(f, None);
        assert!(m.contains("not valid JSON"), "{m}");
        assert_eq!(field("[]").0.as_deref(), Some("body"));
    }
}
