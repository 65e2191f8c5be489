//! The Numbers report as a PDF, per market or per campaign: the same figures as the Numbers
//! page, because they come from the same [`overview`] (totals, the daily series, by market,
//! principle × market) for the same filters and the same caller.
//!
//! The contract:
//!
//! - [`report_pdf`] is the use case (pages, CLI): who may read it, and what it covers, is
//!   [`overview`]'s — a market or campaign the caller may not read is "not found".
//! - [`document`] gathers what the document shows into a [`ReportDocument`] (a view struct);
//!   [`render`] turns one into bytes and is pure (no IO, no clock: the generation time is in the
//!   document), so tests and the weekly email build the same file.
//! - A figure that is not available is written "not available", never 0.
//! - Text is set in the embedded DejaVu Sans (`fonts/`, its license beside it), subset, with a
//!   Unicode map, so `pdftotext` reads names like "Säästö" or "São Paulo" as written; a
//!   character the font does not cover (東京) is drawn as a box but still extracts as itself.

mod canvas;
mod font;
mod render;

use chorus_core::org::MarketCode;
use jiff::Timestamp;
use jiff::civil::Date;

use super::{Overview, ReportFilters, overview};
use crate::stories::export::Export;
use crate::{App, Caller, Error, Result};

pub use render::render;

/// What a figure reads as when it is not available.
pub const NOT_AVAILABLE: &str = "not available";

/// Laying out or writing the file failed (an unreadable embedded font, a subsetting error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the PDF report could not be written: {0}")]
pub struct PdfError(pub String);

impl From<PdfError> for Error {
    fn from(e: PdfError) -> Error {
        Error::Internal(e.to_string())
    }
}

/// Everything the report shows, gathered before drawing.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDocument {
    pub organization: String,
    /// "Market report", "Campaign report", or "Report" (every market the caller reads).
    pub kind: &'static str,
    /// The market's or campaign's name, as the title.
    pub title: String,
    /// Lines under the title (the market's code and zone; the campaign's markets and dates).
    pub details: Vec<String>,
    pub from: Date,
    pub to: Date,
    /// "YYYY-MM-DD HH:MM UTC".
    pub generated: String,
    /// The figures, exactly as the Numbers page has them for the same filters.
    pub overview: Overview,
    /// A campaign's objectives (`None` in a market report).
    pub objectives: Option<ObjectiveSection>,
}

impl ReportDocument {
    /// The document's title, for its metadata and file name.
    pub fn title_line(&self) -> String {
        format!(
            "{}: {} ({} to {})",
            self.kind, self.title, self.from, self.to
        )
    }
}

/// The campaign's objectives and how far each has come: the same progress, pace and forecast
/// as the campaign's Numbers page ([`crate::numbers::campaign_numbers`]), as of the report's
/// last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectiveSection {
    pub rows: Vec<ObjectiveRow>,
    /// A line under the table (e.g. how progress is measured).
    pub note: String,
}

/// One objective: what, over what time, the target, and the progress as shown (`None`: not
/// available).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectiveRow {
    pub metric: String,
    pub period: String,
    pub target: String,
    pub progress: Option<String>,
}

/// The section for campaign `id`'s objectives as of `on` (see [`ObjectiveSection`]).
async fn objectives(app: &App, caller: &Caller, id: i64, on: &str) -> Result<ObjectiveSection> {
    use crate::numbers::{CampaignNumbersInput, Outcome, campaign_numbers, decimal};
    let numbers =
        campaign_numbers(app, caller, id, &CampaignNumbersInput { on: on.to_owned() }).await?;
    let rows = numbers
        .objectives
        .iter()
        .map(|o| ObjectiveRow {
            metric: o.objective.metric.clone(),
            period: o.objective.period.clone(),
            target: format_target(o.objective.target),
            progress: match &o.outcome {
                Outcome::Measured(p) => {
                    let forecast = p
                        .forecast
                        .map(|f| format!(" · forecast {} by {}", decimal(f.at_end), f.end))
                        .unwrap_or_default();
                    Some(format!(
                        "{} of {} ({:.0}%) · {} · pace {}{forecast}",
                        p.actual,
                        decimal(p.target),
                        p.share() * 100.0,
                        p.standing.label(),
                        decimal(p.pace),
                    ))
                }
                Outcome::NotMeasured => Some(o.measured.describe()),
                Outcome::NotAvailable { .. } | Outcome::NoTarget => None,
            },
        })
        .collect();
    Ok(ObjectiveSection {
        rows,
        note: format!(
            "As of {}. Pace: where the count would be on a straight line from 0 to the target \
             (per week: from each Monday). Forecast: the last 7 days' average gain per day, \
             continued to the end.",
            numbers.on
        ),
    })
}

fn format_target(t: f64) -> String {
    if t.fract() == 0.0 && t.abs() < 1e15 {
        format!("{}", t as i64)
    } else {
        format!("{t}")
    }
}

/// A metric's name as people read it: `first_hour_likes` → "First hour likes".
pub(crate) fn label(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A figure as the page shows it; "not available" for `None`.
pub(crate) fn figure(v: Option<i64>) -> String {
    v.map_or_else(|| NOT_AVAILABLE.to_owned(), |v| v.to_string())
}

/// Gathers the report for `filters` (a market, a campaign, a period; the page's filters),
/// generated at `now`.
pub async fn document(
    app: &App,
    caller: &Caller,
    filters: &ReportFilters,
    now: Timestamp,
) -> Result<ReportDocument> {
    let o = overview(app, caller, filters).await?;
    let organization = app
        .store
        .organization()
        .await?
        .map_or_else(|| "Chorus".to_owned(), |org| org.name);
    let market_name = |code: &str| {
        o.markets
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
    };
    let mut details = Vec::new();
    let (kind, title, objectives) = if !filters.campaign.trim().is_empty() {
        // `overview` has found the campaign readable; read it for its name and objectives.
        let id: i64 = filters
            .campaign
            .trim()
            .parse()
            .map_err(|_| Error::invalid("campaign", "a campaign's id is a number"))?;
        let campaign = match app.store.campaign(id).await {
            Ok(c) => c,
            Err(chorus_store::StoreError::NotFound { .. }) => {
                return Err(Error::NotFound("campaign"));
            }
            Err(e) => return Err(e.into()),
        };
        let all = app.store.markets().await?;
        let names: Vec<String> = campaign
            .markets
            .iter()
            .filter_map(|id| all.iter().find(|m| m.id == *id))
            .filter(|m| market_name(m.code.as_str()).is_some())
            .map(|m| format!("{} ({})", m.name, m.code))
            .collect();
        details.push(format!(
            "Campaign {} to {} · {}",
            campaign.starts_on,
            campaign.ends_on,
            if names.is_empty() {
                "no markets".to_owned()
            } else {
                names.join(", ")
            }
        ));
        if !filters.market.trim().is_empty() {
            details.push(format!("Narrowed to market {}", filters.market.trim()));
        }
        (
            "Campaign report",
            campaign.name.clone(),
            Some(objectives(app, caller, campaign.id, &filters.to).await?),
        )
    } else if !filters.market.trim().is_empty() {
        let code =
            MarketCode::parse(filters.market.trim()).map_err(|_| Error::NotFound("market"))?;
        let market = app.store.market_by_code(&code).await.map_err(|e| match e {
            chorus_store::StoreError::NotFound { .. } => Error::NotFound("market"),
            e => e.into(),
        })?;
        details.push(format!(
            "Market {} · time zone {}",
            market.code,
            market.timezone.as_str()
        ));
        ("Market report", market.name, None)
    } else {
        let names: Vec<&str> = o.markets.iter().map(|(_, n)| n.as_str()).collect();
        details.push(format!("Markets: {}", names.join(", ")));
        ("Report", "All your markets".to_owned(), None)
    };
    details.push(
        "Days are calendar days in each market's time zone; figures are the change within the \
         period."
            .into(),
    );
    let generated = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string();
    Ok(ReportDocument {
        organization,
        kind,
        title,
        details,
        from: o.from,
        to: o.to,
        generated,
        overview: o,
        objectives,
    })
}

/// The report for `filters` as a PDF file, generated now.
pub async fn report_pdf(app: &App, caller: &Caller, filters: &ReportFilters) -> Result<Export> {
    let doc = document(app, caller, filters, Timestamp::now()).await?;
    let bytes = render(&doc)?;
    let subject = if !filters.campaign.trim().is_empty() {
        format!("campaign-{}", filters.campaign.trim())
    } else if !filters.market.trim().is_empty() {
        filters.market.trim().to_lowercase()
    } else {
        "all".to_owned()
    };
    Ok(Export {
        file_name: format!("chorus-numbers-{subject}-{}-{}.pdf", doc.from, doc.to),
        bytes,
    })
}

#[cfg(test)]
mod tests;
