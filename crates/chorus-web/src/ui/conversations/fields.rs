//! A conversation's inline fields (status, assignee, tags), each a form of its own that saves
//! through `chorus_app::conversations::changes::change` — with htmx as a fragment (the field
//! again, saved or with its error beside it, and the inbox row updated out of band), without
//! JavaScript as a redirect back to the conversation. A refused value is answered next to the
//! field that holds it, once, with what was typed kept; the other fields are separate forms
//! and lose nothing.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chorus_app::conversations::changes;
use chorus_app::conversations::inbox;

use super::inbox::{Item, change_fields};
use super::thread::{self, Body};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{FormData, render_with_status};

/// One field's form as the conversation shows it.
pub struct FieldView {
    pub conv: i64,
    pub csrf: String,
    /// "status", "assignee" or "tags".
    pub kind: &'static str,
    pub label: &'static str,
    /// The choices of a menu: value, label, whether it is the current one.
    pub options: Vec<(String, String, bool)>,
    /// The conversation's tags (for "tags").
    pub tags: Vec<String>,
    /// What was typed, kept when it was refused.
    pub entered: String,
    pub error: Option<String>,
    /// Whether this field was just saved.
    pub saved: bool,
}

/// A refusal to show beside a field: which field, the words, what was typed.
pub struct Refused {
    pub kind: &'static str,
    pub message: String,
    pub entered: String,
}

/// The three fields of a conversation, with `refused` (if any) beside its field and `saved`
/// marking the field just saved.
pub fn fields(
    item: &Item,
    assignees: &[(i64, String)],
    csrf: &str,
    refused: Option<&Refused>,
    saved: Option<&str>,
) -> Vec<FieldView> {
    use chorus_core::conversations::Status;
    let conv = item.c.id.0;
    let current = item.c.assignee.as_ref().map(|(u, _)| u.0);
    let mut people: Vec<(String, String, bool)> =
        vec![("nobody".into(), "Nobody".into(), current.is_none())];
    people.extend(
        assignees
            .iter()
            .map(|(uid, name)| (uid.to_string(), name.clone(), current == Some(*uid))),
    );
    if let Some((u, name)) = &item.c.assignee
        && !assignees.iter().any(|(uid, _)| *uid == u.0)
    {
        people.push((u.0.to_string(), name.clone(), true));
    }
    let field = |kind: &'static str, label: &'static str, options, tags| {
        let refused = refused.filter(|r| r.kind == kind);
        FieldView {
            conv,
            csrf: csrf.to_owned(),
            kind,
            label,
            options,
            tags,
            entered: refused.map(|r| r.entered.clone()).unwrap_or_default(),
            error: refused.map(|r| r.message.clone()),
            saved: saved == Some(kind) && refused.is_none(),
        }
    };
    vec![
        field(
            "status",
            "Status",
            Status::ALL
                .iter()
                .map(|s| {
                    (
                        s.as_str().to_owned(),
                        s.label().to_owned(),
                        *s == item.c.status,
                    )
                })
                .collect(),
            Vec::new(),
        ),
        field("assignee", "Assignee", people, Vec::new()),
        field("tags", "Tags", Vec::new(), item.c.tags.clone()),
    ]
}

/// Which field a form saves: its `field` value, else the first field it carries.
fn kind_of(form: &FormData) -> &'static str {
    match form.get("field") {
        "status" => "status",
        "assignee" => "assignee",
        "tags" => "tags",
        _ if !form.get("status").is_empty() => "status",
        _ if !form.get("assignee").is_empty() => "assignee",
        _ => "tags",
    }
}

/// The field again after a save through htmx, and the inbox row out of band.
#[derive(Template)]
#[template(path = "conversations/_field_saved.html")]
struct FieldSaved {
    f: FieldView,
    it: Item,
    /// Always true: the row's state replaces the list's out of band.
    oob: bool,
}

/// Saves one field of conversation `cid` (or, from a form without JavaScript, whatever fields
/// it carries) through the use case.
pub async fn change(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let result = changes::change(&state.app, &id.caller, cid, &change_fields(&form)).await;
    let kind = kind_of(&form);
    let refused = match result {
        Ok(_) => None,
        Err(chorus_app::Error::Invalid { message, .. }) => Some(Refused {
            kind,
            message,
            entered: form.get("add_tag").to_owned(),
        }),
        Err(e) => return Err(e.into()),
    };
    let htmx = headers.contains_key("hx-request");
    if !htmx {
        return match refused {
            None => Ok(Redirect::to(&format!("/conversations/{cid}?done=changed")).into_response()),
            Some(r) => thread::page_with_refusal(&state, &id, cid, r).await,
        };
    }
    let view = inbox::thread(&state.app, &id.caller, cid).await?;
    let csrf = id.csrf.clone().unwrap_or_default();
    let body = Body::of(view, &csrf, None, None);
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let f = fields(
        &body.item,
        &body.assignees,
        &csrf,
        refused.as_ref(),
        Some(kind),
    )
    .into_iter()
    .find(|f| f.kind == kind);
    let Some(f) = f else {
        return Err(crate::error::AppError::Internal("no such field".into()).into());
    };
    Ok(render_with_status(
        status,
        &FieldSaved {
            f,
            it: body.item,
            oob: true,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_names_the_field_it_saves() {
        let form = |pairs: &[(&str, &str)]| {
            FormData(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        assert_eq!(
            kind_of(&form(&[("field", "assignee"), ("status", "x")])),
            "assignee"
        );
        assert_eq!(kind_of(&form(&[("status", "done")])), "status");
        assert_eq!(kind_of(&form(&[("assignee", "me")])), "assignee");
        assert_eq!(kind_of(&form(&[("add_tag", "a,b")])), "tags");
    }
}
