//! The JSON API, version 1, described by the OpenAPI document at `/api/openapi.json`.
//!
//! Authenticate with `Authorization: Bearer <token>` (tokens from the account page or
//! `chorus users token`), or with the browser session plus the `X-CSRF-Token` header.

mod calendar;
mod campaigns;
mod conversations;
mod corrections;
mod dto;
mod json;
mod listening;
mod notifications;
mod numbers;
mod org;
mod playbook;
mod reach;
mod signals;
mod sso;
mod stories;
mod users;
mod webhooks;

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::OpenApi;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .merge(playbook::routes())
        .merge(org::routes())
        .merge(users::routes())
        .merge(listening::routes())
        .merge(conversations::routes())
        .merge(corrections::routes())
        .merge(signals::routes())
        .merge(stories::routes())
        .merge(campaigns::routes())
        .merge(calendar::routes())
        .merge(notifications::routes())
        .merge(numbers::routes())
        .merge(reach::routes())
        .merge(webhooks::routes())
        .merge(sso::routes())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chorus API",
        description = "Stories, Numbers, Conversations: the playbook, markets, teams, users, the audit log, Stories (campaigns, stories and variants, checks, the workflow, the calendar), listening queries, the conversation inbox and its signals, outbound webhooks, and single sign-on's group rules.",
    ),
    paths(
        playbook::list,
        playbook::create,
        playbook::get_one,
        playbook::update,
        playbook::delete,
        playbook::search,
        org::list_markets,
        org::create_market,
        org::update_market,
        org::list_teams,
        org::create_team,
        org::delete_team,
        users::me,
        users::list,
        users::create,
        users::grant,
        users::revoke,
        users::get_one,
        users::update,
        users::audit,
        listening::list,
        listening::create,
        listening::get_one,
        listening::update,
        listening::delete,
        listening::check_query,
        listening::preview_query,
        conversations::list,
        conversations::get_one,
        conversations::change,
        conversations::bulk,
        conversations::add_note,
        conversations::reply,
        corrections::correct,
        corrections::dataset,
        signals::volume,
        signals::sov,
        signals::alerts,
        signals::response_times,
        signals::set_target,
        stories::list,
        stories::create,
        stories::get_one,
        stories::update,
        stories::create_variant,
        stories::update_variant,
        stories::delete_variant,
        stories::check,
        stories::transition,
        stories::comments,
        stories::comment,
        campaigns::list,
        campaigns::create,
        campaigns::get_one,
        campaigns::update,
        campaigns::set_state,
        calendar::calendar,
        calendar::move_variant,
        notifications::list,
        numbers::report,
        numbers::report_csv,
        reach::list_offers,
        reach::get_offer,
        reach::set_state,
        reach::create_asset,
        reach::list_consent_texts,
        reach::create_consent_text,
        reach::list_leads,
        reach::leads_csv,
        reach::get_lead,
        webhooks::list,
        webhooks::create,
        webhooks::get_one,
        webhooks::update,
        webhooks::send_test,
        webhooks::rotate_secret,
        sso::providers,
        sso::list_rules,
        sso::create_rule,
        sso::delete_rule,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
