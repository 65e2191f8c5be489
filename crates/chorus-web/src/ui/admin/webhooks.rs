//! Admin → Webhooks: the endpoints other systems hear Chorus's events on (`/admin/webhooks`,
//! the list and the form to add one), and one endpoint's page (`/admin/webhooks/{id}`: its
//! settings, signing secret, "Send test event", a new secret, and the delivery log with each
//! attempt's response code). Admins only; everything here translates to
//! `chorus_app::webhooks`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::webhooks::{self, Webhook, WebhookFields};
use serde::Deserialize;

use super::Tabs;
use crate::auth::{Identity, PageUser};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, format_time, iso_time, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(list_page).post(create))
        .route("/admin/webhooks/{id}", get(detail_page).post(update))
        .route("/admin/webhooks/{id}/test", post(send_test))
        .route("/admin/webhooks/{id}/secret", post(rotate))
}

/// The form as shown: values typed or stored, and why it was refused.
pub struct Form {
    name: String,
    url: String,
    market: String,
    events: Vec<String>,
    enabled: bool,
    error_field: String,
    error_message: String,
    /// (code, "FI Finland") for the market picker.
    markets: Vec<(String, String)>,
    /// (name, label) of every event type.
    event_types: Vec<(&'static str, &'static str)>,
}

impl Form {
    fn chosen(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

struct Row {
    id: i64,
    name: String,
    url: String,
    market: String,
    events: usize,
    enabled: bool,
    disabled_reason: String,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct ListPage {
    shell: Shell,
    tabs: Tabs,
    rows: Vec<Row>,
    form: Form,
}

struct Attempt {
    at: String,
    at_iso: String,
    event_type: String,
    event_id: String,
    attempt: i64,
    status: String,
    ok: bool,
    error: String,
    duration_ms: i64,
}

struct Delivery {
    event_type: String,
    event_id: String,
    state: &'static str,
    tone: &'static str,
    attempts: i64,
    status: String,
    at: String,
    at_iso: String,
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct DetailPage {
    shell: Shell,
    tabs: Tabs,
    id: i64,
    name: String,
    enabled: bool,
    disabled_reason: String,
    failures: i64,
    secret: String,
    form: Form,
    deliveries: Vec<Delivery>,
    attempts: Vec<Attempt>,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn blank_form(state: &AppState, id: &Identity) -> Result<Form, AppError> {
    let markets = chorus_app::org::markets(&state.app, &id.caller).await?;
    Ok(Form {
        name: String::new(),
        url: String::new(),
        market: String::new(),
        events: Vec::new(),
        enabled: true,
        error_field: String::new(),
        error_message: String::new(),
        markets: markets
            .iter()
            .map(|m| (m.code.to_string(), format!("{} {}", m.code, m.name)))
            .collect(),
        event_types: webhooks::event_types(),
    })
}

fn fields(form: &FormData) -> WebhookFields {
    WebhookFields {
        name: form.get("name").to_owned(),
        url: form.get("url").to_owned(),
        market: form.get("market").to_owned(),
        events: form
            .get_all("events")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        enabled: !form.get("enabled").is_empty(),
    }
}

fn typed(mut f: Form, input: &WebhookFields, error: &AppError) -> Form {
    f.name = input.name.clone();
    f.url = input.url.clone();
    f.market = input.market.clone();
    f.events = input.events.clone();
    f.enabled = input.enabled;
    f.error_field = error.field().unwrap_or("form").to_owned();
    f.error_message = error.public_message();
    f
}

async fn render_list(
    state: &AppState,
    id: &Identity,
    status: StatusCode,
    flash: Option<Flash>,
    form: Form,
) -> Result<Response, PageError> {
    let hooks = webhooks::list(&state.app, &id.caller).await?;
    let rows = hooks
        .into_iter()
        .map(|w: Webhook| Row {
            id: w.endpoint.id,
            market: w.market_code.unwrap_or_else(|| "All markets".into()),
            events: w.endpoint.events.len(),
            enabled: w.endpoint.enabled,
            disabled_reason: w.endpoint.disabled_reason.unwrap_or_default(),
            name: w.endpoint.name,
            url: w.endpoint.url,
        })
        .collect();
    let shell = Shell::new(state, id, "admin", "Webhooks")
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &ListPage {
            shell,
            tabs: Tabs::new(id, "webhooks"),
            rows,
            form,
        },
    ))
}

async fn list_page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = crate::ui::done_flash(q.done.as_deref());
    let form = blank_form(&state, &id).await?;
    render_list(&state, &id, StatusCode::OK, flash, form).await
}

async fn create(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let input = fields(&form);
    match webhooks::create(&state.app, &id.caller, &input)
        .await
        .map_err(AppError::from)
    {
        Ok((w, _)) => Ok(
            Redirect::to(&format!("/admin/webhooks/{}?done=created", w.endpoint.id))
                .into_response(),
        ),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let flash = Flash::error(format!("The webhook was not added: {}", e.public_message()));
            let f = typed(blank_form(&state, &id).await?, &input, &e);
            render_list(&state, &id, e.status(), flash, f).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn render_detail(
    state: &AppState,
    id: &Identity,
    hook: i64,
    status: StatusCode,
    flash: Option<Flash>,
    form: Option<Form>,
) -> Result<Response, PageError> {
    let d = webhooks::get(&state.app, &id.caller, hook).await?;
    let e = &d.webhook.endpoint;
    let form = match form {
        Some(f) => f,
        None => Form {
            name: e.name.clone(),
            url: e.url.clone(),
            market: d.webhook.market_code.clone().unwrap_or_default(),
            events: e.events.clone(),
            enabled: e.enabled,
            ..blank_form(state, id).await?
        },
    };
    let deliveries = d
        .deliveries
        .iter()
        .map(|x| {
            let (state, tone) = match x.state {
                webhooks::DeliveryState::Queued if x.attempts > 0 => ("Retrying", "warning"),
                webhooks::DeliveryState::Queued => ("Waiting", "neutral"),
                webhooks::DeliveryState::Delivered => ("Delivered", "success"),
                webhooks::DeliveryState::Failed => ("Failed", "danger"),
                webhooks::DeliveryState::Dropped => ("Not sent", "neutral"),
            };
            Delivery {
                event_type: x.event_type.clone(),
                event_id: x.event_id.clone(),
                state,
                tone,
                attempts: x.attempts,
                status: x.last_status.map(|s| s.to_string()).unwrap_or_default(),
                at: format_time(x.created_at_ms),
                at_iso: iso_time(x.created_at_ms),
            }
        })
        .collect();
    let attempts = d
        .attempts
        .iter()
        .map(|a| Attempt {
            at: format_time(a.at_ms),
            at_iso: iso_time(a.at_ms),
            event_type: a.event_type.clone(),
            event_id: a.event_id.clone(),
            attempt: a.attempt,
            status: a.status.map_or_else(|| "—".to_owned(), |s| s.to_string()),
            ok: a.status.is_some_and(|s| (200..300).contains(&s)),
            error: a.error.clone().unwrap_or_default(),
            duration_ms: a.duration_ms,
        })
        .collect();
    let shell = Shell::new(state, id, "admin", e.name.clone())
        .await?
        .with_flash(flash);
    Ok(render_with_status(
        status,
        &DetailPage {
            shell,
            tabs: Tabs::new(id, "webhooks"),
            id: e.id,
            name: e.name.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone().unwrap_or_default(),
            failures: e.consecutive_failures,
            secret: d.secret.clone(),
            form,
            deliveries,
            attempts,
        },
    ))
}

/// Fixed messages for `?done=…` on an endpoint's page.
fn detail_flash(done: Option<&str>) -> Option<Flash> {
    match done? {
        "test" => Flash::success(
            "Test event queued. It goes out within seconds; reload to see it in the log below.",
        ),
        "secret" => Flash::success(
            "New signing secret made. The old one no longer signs anything: give the receiver \
             the new one below.",
        ),
        other => crate::ui::done_flash(Some(other)),
    }
}

async fn detail_page(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(hook): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = detail_flash(q.done.as_deref());
    render_detail(&state, &id, hook, StatusCode::OK, flash, None).await
}

async fn update(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(hook): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let input = fields(&form);
    match webhooks::update(&state.app, &id.caller, hook, &input)
        .await
        .map_err(AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/webhooks/{hook}?done=saved")).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            let flash = Flash::error(format!("Not saved: {}", e.public_message()));
            let f = typed(blank_form(&state, &id).await?, &input, &e);
            render_detail(&state, &id, hook, e.status(), flash, Some(f)).await
        }
        Err(e) => Err(PageError(e)),
    }
}

async fn send_test(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(hook): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    webhooks::send_test(&state.app, &id.caller, hook, form.get("message")).await?;
    Ok(Redirect::to(&format!("/admin/webhooks/{hook}?done=test")).into_response())
}

async fn rotate(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(hook): Path<i64>,
    _form: FormData,
) -> Result<Response, PageError> {
    webhooks::rotate_secret(&state.app, &id.caller, hook).await?;
    Ok(Redirect::to(&format!("/admin/webhooks/{hook}?done=secret")).into_response())
}
