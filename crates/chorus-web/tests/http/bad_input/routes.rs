//! Every page form and every JSON route that reads a body, with the object its path names and
//! (for forms) the fields the page sends, as the templates under `templates/` and the handlers
//! under `src/ui` read them. The JSON routes' fields come from their schemas in the OpenAPI
//! document. `every_form_and_json_route_is_fuzzed` compares these tables with the router.
//!
//! A route is written as the inventory names it, its parameters named for what they hold
//! (`{id}` the object, `{vid}` a variant, `{iid}` an image, `{reply}` a reply, `{code}` and
//! `{slug}` a market's code and a principle's slug): [`Target::path`] fills them in.

use super::bodies::Upload;
use super::targets::{Obj, Target};

pub struct Route {
    /// `METHOD /path/{param}`.
    pub route: &'static str,
    pub obj: Obj,
    /// The form's fields (a name twice: the form repeats it); empty for JSON routes.
    pub fields: &'static [&'static str],
    pub upload: Option<Upload>,
}

impl Route {
    pub fn method(&self) -> &'static str {
        self.route.split_once(' ').map_or("POST", |(m, _)| m)
    }

    pub fn is_api(&self) -> bool {
        self.route.contains(" /api/")
    }

    /// The path of a case on `t`.
    pub fn path(&self, t: &Target) -> String {
        t.path(self.route.split_once(' ').map_or(self.route, |(_, p)| p))
    }
}

const fn form(route: &'static str, obj: Obj, fields: &'static [&'static str]) -> Route {
    Route {
        route,
        obj,
        fields,
        upload: None,
    }
}

const fn upload(
    route: &'static str,
    obj: Obj,
    fields: &'static [&'static str],
    upload: Upload,
) -> Route {
    Route {
        upload: Some(upload),
        ..form(route, obj, fields)
    }
}

const fn json(route: &'static str, obj: Obj) -> Route {
    form(route, obj, &[])
}

const MARKET: &[&str] = &["code", "name", "country", "locales", "timezone"];
const USER: &[&str] = &["email", "display_name", "password", "role", "market"];
const RULE: &[&str] = &["kind", "term", "market", "principle", "enabled"];
const WEBHOOK: &[&str] = &["name", "url", "market", "events", "events", "enabled"];
const PRINCIPLE: &[&str] = &[
    "number",
    "slug",
    "pillar",
    "title",
    "statement",
    "implications",
    "examples",
    "case_studies",
    "market_example_BR",
    "market_example_JP",
    "market_example_ZZ",
];

/// The admin section, the playbook, one's account, signing in and out.
#[rustfmt::skip]
pub const PAGES_ADMIN: &[Route] = &[
    form("POST /admin/markets", Obj::None, MARKET),
    form("POST /admin/markets/{code}", Obj::Market, MARKET),
    form("POST /admin/markets/{code}/teams", Obj::Market, &["name"]),
    form("POST /admin/teams/{id}/delete", Obj::Team, &[]),
    form("POST /admin/users", Obj::None, USER),
    form("POST /admin/users/{id}", Obj::User, &["display_name", "active", "password"]),
    form("POST /admin/users/{id}/memberships", Obj::User, &["role", "market"]),
    form("POST /admin/users/{id}/memberships/revoke", Obj::User, &["role", "market"]),
    form("POST /admin/accounts", Obj::None, &["market", "pds", "handle", "app_password"]),
    form("POST /admin/rules", Obj::None, RULE),
    form("POST /admin/rules/{id}", Obj::Rule, RULE),
    form("POST /admin/rules/{id}/delete", Obj::Rule, &[]),
    form("POST /admin/webhooks", Obj::None, WEBHOOK),
    form("POST /admin/webhooks/{id}", Obj::Webhook, WEBHOOK),
    form("POST /admin/webhooks/{id}/test", Obj::Webhook, &["message"]),
    form("POST /admin/webhooks/{id}/secret", Obj::Webhook, &[]),
    form("POST /admin/sign-in/rules", Obj::None, &["group", "role", "market"]),
    form("POST /admin/sign-in/rules/{id}/delete", Obj::SignInRule, &[]),
    form("POST /playbook", Obj::None, PRINCIPLE),
    form("POST /playbook/{slug}", Obj::Principle, PRINCIPLE),
    form("POST /playbook/{slug}/delete", Obj::Principle, &[]),
    form(
        "POST /account/password",
        Obj::None,
        &["current_password", "new_password"],
    ),
    form("POST /account/tokens", Obj::None, &["name"]),
    form("POST /account/tokens/{id}/revoke", Obj::OwnToken, &[]),
    form("POST /account/email", Obj::None, &["numbers_weekly"]),
    form("POST /notifications/read", Obj::None, &[]),
    form("POST /logout", Obj::Session, &[]),
    form("POST /login", Obj::Login, &["email", "password", "next"]),
];

const STORY: &[&str] = &[
    "market",
    "title",
    "brief",
    "campaign",
    "principles",
    "principles",
];
const VARIANT: &[&str] = &["account", "locale", "body", "time"];
const CAMPAIGN: &[&str] = &[
    "name",
    "starts_on",
    "ends_on",
    "markets",
    "markets",
    "principles",
    "metric_0",
    "target_0",
    "period_0",
    "metric_1",
    "target_1",
    "period_1",
];

/// Stories: the story form, the composer (variants, checks, images), the workflow, comments,
/// campaigns, the calendar's moves and the CSV import.
#[rustfmt::skip]
pub const PAGES_STORIES: &[Route] = &[
    form("POST /stories", Obj::None, STORY),
    form("POST /stories/{id}", Obj::Story, STORY),
    form("POST /stories/{id}/transition", Obj::Story, &["transition", "reason"]),
    form("POST /stories/{id}/comments", Obj::Story, &["body"]),
    form("POST /stories/{id}/variants", Obj::Story, VARIANT),
    form("POST /stories/{id}/variants/{vid}", Obj::Story, VARIANT),
    form("POST /stories/{id}/variants/{vid}/delete", Obj::Story, &[]),
    form("POST /stories/{id}/check", Obj::Story, &["variant", "account", "body"]),
    upload("POST /stories/{id}/variants/{vid}/images", Obj::Story, &["alt"], Upload::Image),
    upload("POST /stories/{id}/uploads", Obj::Story, &["alt"], Upload::Image),
    form("POST /stories/{id}/variants/{vid}/images/{iid}", Obj::Story, &["alt"]),
    form("POST /stories/{id}/variants/{vid}/images/{iid}/delete", Obj::Story, &[]),
    form("POST /stories/campaigns", Obj::None, CAMPAIGN),
    form("POST /stories/campaigns/{id}", Obj::Campaign, CAMPAIGN),
    form("POST /stories/campaigns/{id}/state", Obj::Campaign, &["state"]),
    form("POST /stories/variants/{vid}/reschedule", Obj::Story, &["local"]),
    upload("POST /stories/import", Obj::None, &["csv"], Upload::Csv),
];

const QUERY: &[&str] = &[
    "market",
    "name",
    "query",
    "side",
    "active",
    "languages",
    "networks",
    "spike_factor",
    "team",
];
const PREVIEW: &[&str] = &["query", "languages", "networks", "market"];
const CHANGE: &[&str] = &["status", "action", "assignee", "add_tag", "remove_tag"];
const BULK: &[&str] = &[
    "id",
    "id",
    "status",
    "action",
    "assignee",
    "add_tag",
    "remove_tag",
    "back",
];

/// Conversations: listening queries (with the live check and preview), the response target,
/// and a conversation's changes, notes, replies and retries, one at a time and in bulk.
#[rustfmt::skip]
pub const PAGES_CONVERSATIONS: &[Route] = &[
    form("POST /conversations/queries", Obj::None, QUERY),
    form("POST /conversations/queries/check", Obj::None, &["query", "languages", "networks"]),
    form("POST /conversations/queries/preview", Obj::None, PREVIEW),
    form("POST /conversations/queries/{id}", Obj::Query, QUERY),
    form("POST /conversations/queries/{id}/delete", Obj::Query, &[]),
    form("POST /conversations/responses/target", Obj::None, &["market", "minutes"]),
    form("POST /conversations/bulk", Obj::None, BULK),
    form("POST /conversations/{id}/change", Obj::Conversation, CHANGE),
    form("POST /conversations/{id}/notes", Obj::Conversation, &["body"]),
    form("POST /conversations/{id}/labels", Obj::Conversation, &["sentiment", "lang"]),
    form("POST /conversations/{id}/replies", Obj::Conversation, &["account", "body"]),
    form("POST /conversations/{id}/replies/{reply}/retry", Obj::FailedReply, &[]),
];

/// The JSON API of the playbook, markets, users and conversations.
pub const API_ORG_CONVERSATIONS: &[Route] = &[
    json("POST /api/v1/principles", Obj::None),
    json("PUT /api/v1/principles/{slug}", Obj::Principle),
    json("POST /api/v1/markets", Obj::None),
    json("PUT /api/v1/markets/{code}", Obj::Market),
    json("POST /api/v1/markets/{code}/teams", Obj::Market),
    json("PUT /api/v1/markets/{code}/response-target", Obj::Market),
    json("POST /api/v1/users", Obj::None),
    json("PATCH /api/v1/users/{id}", Obj::User),
    json("POST /api/v1/users/{id}/memberships", Obj::User),
    json("POST /api/v1/users/{id}/memberships/revoke", Obj::User),
    json("POST /api/v1/listening-queries", Obj::None),
    json("POST /api/v1/listening-queries/check", Obj::None),
    json("POST /api/v1/listening-queries/preview", Obj::None),
    json("PUT /api/v1/listening-queries/{id}", Obj::Query),
    json("POST /api/v1/conversations/bulk", Obj::None),
    json("PATCH /api/v1/conversations/{id}", Obj::Conversation),
    json("POST /api/v1/conversations/{id}/notes", Obj::Conversation),
    json("POST /api/v1/conversations/{id}/labels", Obj::Conversation),
    json("POST /api/v1/conversations/{id}/replies", Obj::Conversation),
    json("POST /api/v1/webhooks", Obj::None),
    json("PUT /api/v1/webhooks/{id}", Obj::Webhook),
    json("POST /api/v1/webhooks/{id}/test", Obj::Webhook),
    json("POST /api/v1/webhooks/{id}/secret", Obj::Webhook),
    json("POST /api/v1/sso/rules", Obj::None),
];

/// The JSON API of stories, campaigns and the calendar.
pub const API_STORIES: &[Route] = &[
    json("POST /api/v1/stories", Obj::None),
    json("PUT /api/v1/stories/{id}", Obj::Story),
    json("POST /api/v1/stories/{id}/check", Obj::Story),
    json("POST /api/v1/stories/{id}/comments", Obj::Story),
    json("POST /api/v1/stories/{id}/transitions", Obj::Story),
    json("POST /api/v1/stories/{id}/variants", Obj::Story),
    json("PUT /api/v1/stories/{id}/variants/{vid}", Obj::Story),
    json("POST /api/v1/variants/{vid}/reschedule", Obj::Story),
    json("POST /api/v1/campaigns", Obj::None),
    json("PUT /api/v1/campaigns/{id}", Obj::Campaign),
    json("POST /api/v1/campaigns/{id}/state", Obj::Campaign),
];

const ASSET: &[&str] = &[
    "market",
    "slug",
    "campaign",
    "pages[0].locale",
    "pages[0].title",
    "pages[0].description",
    "pages[1].locale",
    "pages[1].title",
    "fields[0].label",
    "fields[0].kind",
    "fields[0].required",
    "fields[0].options",
];
const TEXTS: &[&str] = &[
    "pages[0].locale",
    "pages[0].title",
    "pages[0].description",
    "fields[0].label",
    "fields[0].kind",
    "fields[0].required",
    "fields[0].options",
];
const CONSENT: &[&str] = &["market", "locale", "body", "legal_basis", "privacy_url"];

/// Reach for staff: gated assets (uploads, texts, state) and consent texts, pages and API.
#[rustfmt::skip]
pub const REACH: &[Route] = &[
    upload("POST /reach/assets", Obj::None, ASSET, Upload::Document),
    form("POST /reach/assets/{id}", Obj::Offer, TEXTS),
    form("POST /reach/offers/{id}/state", Obj::Offer, &["state"]),
    form("POST /reach/consent", Obj::None, CONSENT),
    upload("POST /api/v1/reach/assets", Obj::None, &["market", "slug", "campaign", "pages", "fields"], Upload::Document),
    json("POST /api/v1/reach/offers/{id}/state", Obj::Offer),
    json("POST /api/v1/reach/consent-texts", Obj::None),
    form("POST /reach/leads/{id}/export", Obj::Lead, &[]),
    form("POST /reach/leads/{id}/erase", Obj::Lead, &["confirm"]),
];

const WEBINAR: &[&str] = &[
    "starts_at",
    "time_zone",
    "duration_minutes",
    "capacity",
    "join_url",
];
const NEW_WEBINAR: &[&str] = &[
    "market",
    "slug",
    "campaign",
    "starts_at",
    "time_zone",
    "duration_minutes",
    "capacity",
    "join_url",
    "pages[0].locale",
    "pages[0].title",
    "pages[0].description",
    "fields[0].label",
    "fields[0].kind",
    "fields[0].required",
    "fields[0].options",
];

/// Webinars: making one, time and place, cancelling, a seat, attendance, the public seat page.
#[rustfmt::skip]
pub const WEBINARS: &[Route] = &[
    form("POST /reach/webinars", Obj::None, NEW_WEBINAR),
    form("POST /reach/webinars/{id}/schedule", Obj::Webinar, WEBINAR),
    form("POST /reach/webinars/{id}/cancel", Obj::Webinar, &[]),
    form("POST /reach/webinars/{id}/seats/{seat}/cancel", Obj::Seat, &[]),
    upload("POST /reach/webinars/{id}/attendance", Obj::Webinar, &[], Upload::Csv),
    form("POST /r/seat/{token}", Obj::Seat, &[]),
];

/// Every table, for the inventory check.
pub const ALL: [&[Route]; 7] = [
    PAGES_ADMIN,
    PAGES_STORIES,
    PAGES_CONVERSATIONS,
    API_ORG_CONVERSATIONS,
    API_STORIES,
    REACH,
    WEBINARS,
];
