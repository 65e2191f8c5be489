//! Reach for staff over JSON: offers (list, one, a gated asset created with a multipart upload,
//! its state changed), consent texts (list, a new version) and leads (list with filters, one with
//! its touches and consent history, CSV). Translates only: `chorus_app::reach` decides who sees
//! what (leads: `ReadLeads` in their market; another market's lead is 404).

use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::reach::consent_texts::{self, RawConsentText};
use chorus_app::reach::leads::{self, LeadRow, RawLeadFilters};
use chorus_app::reach::offers::{self, OfferView, RawAsset};
use chorus_app::reach::{ConsentText, Offer};
use chorus_core::reach::offer::{FieldInput, PageInput};
use chorus_core::{LeadId, OfferId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::reach::upload::UploadForm;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/reach/offers", get(list_offers))
        .route("/v1/reach/offers/{id}", get(get_offer))
        .route("/v1/reach/offers/{id}/state", post(set_state))
        .route(
            "/v1/reach/assets",
            post(create_asset).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/reach/consent-texts",
            get(list_consent_texts).post(create_consent_text),
        )
        .route("/v1/reach/leads", get(list_leads))
        .route("/v1/reach/leads.csv", get(leads_csv))
        .route("/v1/reach/leads/{id}", get(get_lead))
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| String::new(), |t| t.to_string())
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PageDto {
    pub locale: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct FieldDto {
    pub label: String,
    /// `text`, `textarea`, `select` or `checkbox`.
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// The choices of a `select`.
    #[serde(default)]
    pub options: Vec<String>,
    /// The answer's key in a submission (set by Chorus from the label).
    #[serde(default, skip_deserializing)]
    pub key: String,
}

#[derive(Serialize, ToSchema)]
pub struct AssetDto {
    pub file_name: String,
    /// As sniffed from the file's bytes.
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub has_cover: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OfferCountsDto {
    /// Forms sent (the consent ledger's `submitted` rows).
    pub submissions: i64,
    /// Forms confirmed by email.
    pub confirmations: i64,
    pub leads: i64,
    pub withdrawn: i64,
    /// Confirmations per submission; `null` before the first.
    pub confirmation_rate: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct OfferDto {
    pub id: i64,
    /// `asset` or `webinar`.
    pub kind: String,
    pub market: String,
    pub slug: String,
    /// The public landing page, relative to the site.
    pub public_path: String,
    pub campaign: Option<i64>,
    /// `draft`, `live` or `closed`.
    pub state: String,
    pub form_version: i64,
    pub pages: Vec<PageDto>,
    pub fields: Vec<FieldDto>,
    pub asset: Option<AssetDto>,
    pub counts: Option<OfferCountsDto>,
    pub can_manage: bool,
    pub created_at: String,
    pub updated_at: String,
}

fn offer_dto(o: &Offer, market: String, v: Option<&OfferView>) -> OfferDto {
    OfferDto {
        id: o.id.0,
        kind: o.kind.as_str().to_owned(),
        market,
        slug: o.slug.clone(),
        public_path: format!("/r/{}", o.slug),
        campaign: o.campaign,
        state: o.state.as_str().to_owned(),
        form_version: o.form_version,
        pages: o
            .pages
            .iter()
            .map(|p| PageDto {
                locale: p.locale.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
            })
            .collect(),
        fields: chorus_core::reach::offer::fields_from_json(&o.fields_json)
            .into_iter()
            .map(|f| FieldDto {
                label: f.label,
                kind: f.kind.as_str().to_owned(),
                required: f.required,
                options: f.options,
                key: f.key,
            })
            .collect(),
        asset: o.asset.as_ref().map(|a| AssetDto {
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
            sha256: a.sha256.clone(),
            has_cover: a.cover_key.is_some(),
        }),
        counts: v.map(|v| OfferCountsDto {
            submissions: v.counts.submissions,
            confirmations: v.counts.confirmations,
            leads: v.counts.leads,
            withdrawn: v.counts.withdrawn,
            confirmation_rate: v.confirmation_rate(),
        }),
        can_manage: v.is_some_and(|v| v.can_manage),
        created_at: o.created_at.to_string(),
        updated_at: o.updated_at.to_string(),
    }
}

fn view_dto(v: &OfferView) -> OfferDto {
    offer_dto(&v.offer, v.market_code.clone(), Some(v))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct OffersParams {
    /// `asset` or `webinar` (default: both).
    pub kind: Option<String>,
}

/// The offers of the markets where the caller manages Reach or reads leads, newest first, with
/// their figures.
#[utoipa::path(get, path = "/api/v1/reach/offers", tag = "reach", params(OffersParams),
    responses((status = 200, body = Vec<OfferDto>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_offers(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<OffersParams>,
) -> Result<Json<Vec<OfferDto>>, AppError> {
    let kind = match p.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) => Some(
            chorus_core::reach::OfferKind::parse(k)
                .map_err(|_| AppError::invalid("kind", "use asset or webinar"))?,
        ),
    };
    let list = offers::list(&state.app, &id.caller, kind).await?;
    Ok(Json(list.iter().map(view_dto).collect()))
}

fn offer_id(raw: &str) -> Result<OfferId, AppError> {
    raw.parse()
        .map(OfferId)
        .map_err(|_| AppError::NotFound("offer"))
}

/// One offer with its figures; 404 outside the caller's markets.
#[utoipa::path(get, path = "/api/v1/reach/offers/{id}", tag = "reach",
    params(("id" = i64, Path, description = "The offer's id")),
    responses((status = 200, body = OfferDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_offer(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<OfferDto>, AppError> {
    let v = offers::get(&state.app, &id.caller, offer_id(&raw)?).await?;
    Ok(Json(view_dto(&v)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    /// `live` (from draft or closed) or `closed` (from live).
    pub state: String,
}

/// Moves an offer: a draft goes live (its market needs a consent text), a live one closes, a
/// closed one goes live again. Another move is 409 on `state`; a reader who may not manage the
/// offer gets 403.
#[utoipa::path(post, path = "/api/v1/reach/offers/{id}/state", tag = "reach",
    params(("id" = i64, Path, description = "The offer's id")), request_body = StateBody,
    responses((status = 200, body = OfferDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_state(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<StateBody>,
) -> Result<Json<OfferDto>, AppError> {
    let offer = offer_id(&raw)?;
    offers::set_state(&state.app, &id.caller, offer, &body.state).await?;
    let v = offers::get(&state.app, &id.caller, offer).await?;
    Ok(Json(view_dto(&v)))
}

/// The multipart form of a new gated asset (documented for the OpenAPI document; read by the
/// upload reader).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AssetUpload {
    /// A market's code.
    pub market: String,
    /// The landing page's address: `/r/{slug}`.
    pub slug: String,
    /// A campaign's id, or empty.
    pub campaign: Option<String>,
    /// The landing pages, as a JSON array of `{locale, title, description}`.
    pub pages: String,
    /// Extra form questions, as a JSON array of `{label, kind, required, options}`.
    pub fields: Option<String>,
    /// The document (PDF, Word, Excel, PowerPoint, EPUB, ZIP, PNG, JPEG, WebP), within
    /// `[reach] max_asset_bytes`; its type is read from its bytes.
    #[schema(format = Binary, value_type = String)]
    pub file: Vec<u8>,
    /// An optional cover image (PNG, JPEG, WebP).
    #[schema(format = Binary, value_type = Option<String>)]
    pub cover: Option<Vec<u8>>,
}

/// Creates a gated asset as a draft from a multipart form: the file is checked (size, type
/// sniffed from its bytes; a declared type that disagrees is 422 naming `file`) and stored
/// under the data directory.
#[utoipa::path(post, path = "/api/v1/reach/assets", tag = "reach",
    request_body(content = AssetUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = OfferDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_asset(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    form: UploadForm,
) -> Result<Response, AppError> {
    if let Some(e) = form.refused {
        return Err(e);
    }
    let json_list = |name: &'static str| -> Result<Option<serde_json::Value>, AppError> {
        match form.fields.get(name).trim() {
            "" => Ok(None),
            s => serde_json::from_str(s)
                .map(Some)
                .map_err(|e| AppError::invalid(name, format!("is not a JSON array: {e}"))),
        }
    };
    let pages: Vec<PageDto> = match json_list("pages")? {
        None => Vec::new(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| AppError::invalid("pages", format!("{e}")))?
        }
    };
    let fields: Vec<FieldDto> = match json_list("fields")? {
        None => Vec::new(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| AppError::invalid("fields", format!("{e}")))?
        }
    };
    let raw = RawAsset {
        market: form.fields.get("market").to_owned(),
        slug: form.fields.get("slug").to_owned(),
        campaign: form.fields.get("campaign").to_owned(),
        pages: pages
            .into_iter()
            .map(|p| PageInput {
                locale: p.locale,
                title: p.title,
                description: p.description,
            })
            .collect(),
        fields: fields
            .into_iter()
            .map(|f| FieldInput {
                label: f.label,
                kind: f.kind,
                required: f.required,
                options: f.options.join("\n"),
            })
            .collect(),
        file: form.file,
        cover: form.cover,
    };
    let created = offers::create_asset(&state.app, &id.caller, &raw).await?;
    let v = offers::get(&state.app, &id.caller, created.id).await?;
    Ok((StatusCode::CREATED, Json(view_dto(&v))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ConsentTextDto {
    pub id: i64,
    pub market: String,
    pub locale: String,
    pub version: i64,
    pub body: String,
    /// `consent`, `contract` or `legitimate_interest`.
    pub legal_basis: String,
    pub privacy_url: String,
    /// SHA-256 of `body` exactly as shown, lowercase hex.
    pub sha256: String,
    pub created_at: String,
}

fn consent_dto(t: &ConsentText, market: &str) -> ConsentTextDto {
    ConsentTextDto {
        id: t.id.0,
        market: market.to_owned(),
        locale: t.locale.clone(),
        version: t.version,
        body: t.body.clone(),
        legal_basis: t.legal_basis.as_str().to_owned(),
        privacy_url: t.privacy_url.clone(),
        sha256: t.sha256.clone(),
        created_at: t.created_at.to_string(),
    }
}

/// Every version of the consent texts of the caller's Reach markets, by market, locale and
/// newest version first.
#[utoipa::path(get, path = "/api/v1/reach/consent-texts", tag = "reach",
    responses((status = 200, body = Vec<ConsentTextDto>), (status = 401, body = ErrorBody)))]
pub async fn list_consent_texts(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<ConsentTextDto>>, AppError> {
    let list = consent_texts::list(&state.app, &id.caller).await?;
    Ok(Json(
        list.iter()
            .flat_map(|m| {
                m.texts
                    .iter()
                    .map(|t| consent_dto(t, m.market.code.as_str()))
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentTextBody {
    /// A market's code.
    pub market: String,
    pub locale: String,
    pub body: String,
    /// `consent`, `contract` or `legitimate_interest`.
    pub legal_basis: String,
    pub privacy_url: String,
}

/// Writes the next version of a market's consent text in a locale; earlier versions never
/// change.
#[utoipa::path(post, path = "/api/v1/reach/consent-texts", tag = "reach",
    request_body = ConsentTextBody,
    responses((status = 201, body = ConsentTextDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_consent_text(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<ConsentTextBody>,
) -> Result<Response, AppError> {
    let raw = RawConsentText {
        market: body.market.clone(),
        locale: body.locale,
        body: body.body,
        legal_basis: body.legal_basis,
        privacy_url: body.privacy_url,
    };
    let t = consent_texts::create(&state.app, &id.caller, &raw).await?;
    let code = body.market.trim().to_ascii_uppercase();
    Ok((StatusCode::CREATED, Json(consent_dto(&t, &code))).into_response())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct LeadsParams {
    /// A market's code.
    pub market: Option<String>,
    /// An offer's id.
    pub offer: Option<String>,
    /// A story's id (the lead's first touch).
    pub story: Option<String>,
    /// A campaign's id.
    pub campaign: Option<String>,
    /// A principle's id: leads whose story cites it.
    pub principle: Option<String>,
    /// Confirmed on or after this day (`YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Confirmed on or before this day.
    pub to: Option<String>,
    /// `yes`: withdrawn only; `no`: still consenting only.
    pub withdrawn: Option<String>,
    /// A part of the email or name.
    pub q: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

impl LeadsParams {
    fn raw(self) -> RawLeadFilters {
        RawLeadFilters {
            market: self.market.unwrap_or_default(),
            offer: self.offer.unwrap_or_default(),
            story: self.story.unwrap_or_default(),
            campaign: self.campaign.unwrap_or_default(),
            principle: self.principle.unwrap_or_default(),
            from: self.from.unwrap_or_default(),
            to: self.to.unwrap_or_default(),
            withdrawn: self.withdrawn.unwrap_or_default(),
            q: self.q.unwrap_or_default(),
            after: self.after.unwrap_or_default(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LeadDto {
    pub id: i64,
    /// `null` once the person's data was erased.
    pub email: Option<String>,
    pub name: Option<String>,
    pub offer: i64,
    pub offer_slug: String,
    pub offer_title: String,
    pub market: String,
    pub story: Option<i64>,
    pub story_title: Option<String>,
    pub campaign: Option<i64>,
    pub campaign_name: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub utm_term: Option<String>,
    pub confirmed_at: String,
    pub withdrawn_at: Option<String>,
}

fn lead_dto(r: &LeadRow) -> LeadDto {
    LeadDto {
        id: r.id.0,
        email: r.email.clone(),
        name: r.name.clone(),
        offer: r.offer.0,
        offer_slug: r.offer_slug.clone(),
        offer_title: r.offer_title.clone(),
        market: r.market_code.clone(),
        story: r.story,
        story_title: r.story_title.clone(),
        campaign: r.campaign,
        campaign_name: r.campaign_name.clone(),
        utm_source: r.utm_source.clone(),
        utm_medium: r.utm_medium.clone(),
        utm_campaign: r.utm_campaign.clone(),
        utm_content: r.utm_content.clone(),
        utm_term: r.utm_term.clone(),
        confirmed_at: rfc3339(r.confirmed_at_ms),
        withdrawn_at: r.withdrawn_at_ms.map(rfc3339),
    }
}

#[derive(Serialize, ToSchema)]
pub struct LeadsDto {
    pub leads: Vec<LeadDto>,
    /// Leads the filters select (all pages).
    pub total: i64,
    pub withdrawn: i64,
    /// Pass as `after` for the next page; `null` on the last.
    pub next: Option<String>,
}

/// Leads of the markets the caller reads leads in (market leads, analysts, global leads),
/// newest confirmation first, 50 a page. Anyone else: 403.
#[utoipa::path(get, path = "/api/v1/reach/leads", tag = "reach", params(LeadsParams),
    responses((status = 200, body = LeadsDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_leads(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<LeadsParams>,
) -> Result<Json<LeadsDto>, AppError> {
    let page = leads::list(&state.app, &id.caller, &p.raw(), &jiff::tz::TimeZone::UTC).await?;
    Ok(Json(LeadsDto {
        leads: page.rows.iter().map(lead_dto).collect(),
        total: page.counts.total,
        withdrawn: page.counts.withdrawn,
        next: page.next,
    }))
}

/// Every lead the filters select as CSV (times in UTC; cells a spreadsheet would run as
/// formulas start with `'`).
#[utoipa::path(get, path = "/api/v1/reach/leads.csv", tag = "reach", params(LeadsParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn leads_csv(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<LeadsParams>,
) -> Result<Response, AppError> {
    let file = leads::csv(&state.app, &id.caller, &p.raw(), &jiff::tz::TimeZone::UTC).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct TouchDto {
    pub offer: i64,
    pub offer_slug: String,
    pub at: String,
    pub confirmed_at: Option<String>,
    pub locale: String,
    pub page_url: String,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_content: Option<String>,
    pub utm_term: Option<String>,
    pub story: Option<i64>,
    pub story_title: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentEventDto {
    /// `submitted`, `confirmed`, `withdrawn`, `exported` or `erased`.
    pub event: String,
    pub at: String,
    /// The event in a sentence (times in UTC).
    pub sentence: String,
    pub offer_slug: Option<String>,
    pub market: Option<String>,
    pub consent_version: Option<i64>,
    /// The exact text shown, and its SHA-256.
    pub consent_text: Option<String>,
    pub consent_sha256: Option<String>,
    pub legal_basis: Option<String>,
    pub form_version: Option<i64>,
    pub locale: Option<String>,
    /// Truncated (IPv4 /24, IPv6 /48).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub page_url: Option<String>,
    /// The UTM parameters, as stored (a JSON object).
    pub utm: Option<String>,
    /// Who acted, for staff actions.
    pub by: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PrincipleRefDto {
    pub id: i64,
    pub number: i64,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct LeadDetailDto {
    pub lead: LeadDto,
    /// The principles the lead's story cites.
    pub principles: Vec<PrincipleRefDto>,
    /// Every form the person sent (any offer), oldest first.
    pub touches: Vec<TouchDto>,
    /// The consent ledger's rows about the person, oldest first.
    pub consent: Vec<ConsentEventDto>,
    pub erased_at: Option<String>,
}

/// One lead with its attribution, touches and consent history; 404 unless the caller reads
/// leads in its market.
#[utoipa::path(get, path = "/api/v1/reach/leads/{id}", tag = "reach",
    params(("id" = i64, Path, description = "The lead's id")),
    responses((status = 200, body = LeadDetailDto), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_lead(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(raw): Path<String>,
) -> Result<Json<LeadDetailDto>, AppError> {
    let lead = raw
        .parse()
        .map(LeadId)
        .map_err(|_| AppError::NotFound("lead"))?;
    let d = leads::get(&state.app, &id.caller, lead).await?;
    Ok(Json(LeadDetailDto {
        lead: lead_dto(&d.lead),
        principles: d
            .principles
            .iter()
            .map(|p| PrincipleRefDto {
                id: p.id.0,
                number: p.number,
                title: p.title.clone(),
            })
            .collect(),
        touches: d
            .touches
            .iter()
            .map(|t| TouchDto {
                offer: t.offer.0,
                offer_slug: t.offer_slug.clone(),
                at: rfc3339(t.at_ms),
                confirmed_at: t.confirmed_at_ms.map(rfc3339),
                locale: t.locale.clone(),
                page_url: t.page_url.clone(),
                utm_source: t.utm_source.clone(),
                utm_medium: t.utm_medium.clone(),
                utm_campaign: t.utm_campaign.clone(),
                utm_content: t.utm_content.clone(),
                utm_term: t.utm_term.clone(),
                story: t.story,
                story_title: t.story_title.clone(),
            })
            .collect(),
        consent: d
            .consent
            .iter()
            .map(|e| ConsentEventDto {
                event: e.event.as_str().to_owned(),
                at: rfc3339(e.at_ms),
                sentence: leads::consent_sentence(
                    e,
                    &jiff::Timestamp::from_millisecond(e.at_ms)
                        .map(|t| t.strftime("%-d %b %Y %H:%M UTC").to_string())
                        .unwrap_or_default(),
                ),
                offer_slug: e.offer_slug.clone(),
                market: e.market_code.clone(),
                consent_version: e.consent_version,
                consent_text: e.consent_text.clone(),
                consent_sha256: e.consent_sha256.clone(),
                legal_basis: e.legal_basis.clone(),
                form_version: e.form_version,
                locale: e.locale.clone(),
                ip: e.ip.clone(),
                user_agent: e.user_agent.clone(),
                page_url: e.page_url.clone(),
                utm: e.utm.clone(),
                by: e.actor.clone(),
            })
            .collect(),
        erased_at: d.erased_at_ms.map(rfc3339),
    }))
}
