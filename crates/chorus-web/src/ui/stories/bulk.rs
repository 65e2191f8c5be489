//! Bulk work: import a content plan from CSV (validated in full first, see [`super::csv_plan`]),
//! and export the calendar as iCalendar (`.ics`) or CSV with the calendar's filters.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::calendar::{CalQuery, entries};
use super::csv_plan::{self, Problem};
use super::service::{Lookup, parse_variant};
use super::{StoryTabs, ics, zones};
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
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let shell = Shell::new(state, id, "stories", "Import and export").await?;
    Ok(render_with_status(
        status,
        &ImportPage {
            shell,
            tabs: StoryTabs::new(&id.caller.actor, "import"),
            problems,
            imported,
            pasted,
            can_draft: lookup
                .markets
                .iter()
                .any(|m| super::service::may_draft(&id.caller.actor, m.id)),
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
    let pasted = String::from_utf8_lossy(&bytes).into_owned();
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rules = state.store.post_rules().await?;
    let plan = match csv_plan::validate(&bytes, &lookup, &id.caller.actor, &rules) {
        Ok(plan) => plan,
        Err(problems) => {
            return import_page(
                &state,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                problems,
                vec![],
                pasted,
            )
            .await;
        }
    };
    let mut imported = Vec::new();
    for p in plan {
        let story = state.store.create_story(&id.author(), &p.input).await?;
        for (_, raw) in &p.variants {
            // Validated above against the same data; tagged now with the story's real id.
            let parsed = parse_variant(raw, &story, &lookup, &rules)?;
            state
                .store
                .save_variant(&id.author(), story.id, None, &parsed.input)
                .await?;
        }
        imported.push((story.id, story.title.clone(), p.variants.len()));
    }
    import_page(&state, &id, StatusCode::OK, vec![], imported, String::new()).await
}

async fn sample(
    State(state): State<AppState>,
    PageUser(id): PageUser,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let market = lookup
        .draft_markets(&id.caller.actor)
        .first()
        .map(|m| (*m).clone());
    let (code, locale, handle, date) = match &market {
        Some(m) => (
            m.code.to_string(),
            m.locales.first().map(|l| l.to_string()).unwrap_or_default(),
            lookup
                .accounts
                .iter()
                .find(|a| a.market_id == m.id)
                .map(|a| a.handle.clone())
                .unwrap_or_else(|| "your-account.bsky.social".into()),
            jiff::Timestamp::now()
                .to_zoned(m.timezone.zone())
                .date()
                .saturating_add(jiff::ToSpan::days(7)),
        ),
        None => (
            "FI".into(),
            "fi-FI".into(),
            "your-account.bsky.social".into(),
            jiff::Zoned::now().date(),
        ),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let row = |w: &mut csv::Writer<Vec<u8>>, r: &[&str]| w.write_record(r);
    let result = row(
        &mut w,
        &[
            "story",
            "market",
            "campaign",
            "principles",
            "brief",
            "account",
            "locale",
            "time",
            "text",
        ],
    )
    .and_then(|_| {
        row(
            &mut w,
            &[
                "Autumn earbuds launch",
                &code,
                "",
                "1;5",
                "Launch day post",
                &handle,
                &locale,
                &format!("{date} 09:30"),
                "They are here: our new earbuds. https://example.com/earbuds",
            ],
        )
    });
    let bytes = result
        .map_err(|e| AppError::Internal(e.to_string()))
        .and_then(|_| {
            w.into_inner()
                .map_err(|e| AppError::Internal(e.to_string()))
        })?;
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

/// Cells a spreadsheet would run as formulas get a leading apostrophe.
fn guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

async fn export_csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<CalQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    let (range, list) = entries(&state, &id, &q, &lookup, &viewer).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header_row = [
        "variant_id",
        "story_id",
        "story",
        "state",
        "market",
        "campaign",
        "account",
        "network",
        "locale",
        "time",
        "timezone",
        "utc",
        "publication",
        "published_uri",
        "text",
    ];
    w.write_record(header_row)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    for (e, local) in &list {
        let campaign = e
            .campaign_id
            .and_then(|c| lookup.campaign(c))
            .map(|c| c.slug.clone())
            .unwrap_or_default();
        let zone = lookup
            .market(e.market_id)
            .map(|m| m.timezone.as_str().to_owned())
            .unwrap_or_default();
        let utc = jiff::Timestamp::from_millisecond(e.scheduled_at_ms)
            .map(|t| t.to_string())
            .unwrap_or_default();
        w.write_record([
            e.variant_id.to_string(),
            e.story_id.to_string(),
            guard(&e.title),
            e.story_state.as_str().to_owned(),
            lookup.market_code(e.market_id),
            campaign,
            e.account_handle.clone(),
            e.network.clone(),
            e.locale.clone(),
            local.strftime("%Y-%m-%d %H:%M").to_string(),
            zone,
            utc,
            e.pub_state.as_str().to_owned(),
            e.published_uri.clone().unwrap_or_default(),
            guard(&e.body),
        ])
        .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("chorus-calendar-{}.csv", range.start);
    Ok(download("text/csv; charset=utf-8", &name, bytes))
}

async fn export_ics(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(q): Query<CalQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let viewer = zones::viewer(q.tz.as_deref(), &headers);
    let (range, list) = entries(&state, &id, &q, &lookup, &viewer).await?;
    let events: Vec<ics::Event> = list
        .iter()
        .map(|(e, local)| {
            let code = lookup.market_code(e.market_id);
            ics::Event {
                uid: format!("variant-{}@chorus", e.variant_id),
                start_ms: e.scheduled_at_ms,
                minutes: 15,
                summary: format!("[{code}] {} (@{}, {})", e.title, e.account_handle, e.locale),
                description: format!(
                    "{} in {}\n{} · {}\n\n{}\n\nStory: /stories/{}",
                    local.strftime("%a %-d %b %Y, %H:%M %Z"),
                    local.time_zone().iana_name().unwrap_or(""),
                    e.story_state.label(),
                    e.network,
                    e.body,
                    e.story_id
                ),
                url: String::new(),
                categories: vec![e.story_state.label().to_owned(), code],
            }
        })
        .collect();
    let body = ics::calendar("Chorus stories", &events, chorus_store::now_ms());
    let name = format!("chorus-calendar-{}.ics", range.start);
    Ok(download(
        "text/calendar; charset=utf-8",
        &name,
        body.into_bytes(),
    ))
}
