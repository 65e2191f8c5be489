//! The Stories section: campaigns with objectives, stories with a variant per account and locale,
//! the composer with live checks, the approval workflow, the calendar, bulk import and export,
//! and in-app notifications.
//!
//! One module per page or concern; [`service`] holds what the pages and the JSON API share.

pub mod bulk;
pub mod calendar;
pub mod campaigns;
pub mod composer;
mod composer_form;
pub mod images;
pub mod list;
pub mod notifications;
pub mod preview;
pub mod story;
pub mod story_form;
pub mod zones;

use axum::Router;
use chorus_core::permission::Actor;
use chorus_core::stories::rules::{Finding, Severity};

use crate::state::AppState;
use chorus_app::stories::Lookup;
use chorus_core::stories::workflow::StoryState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(list::routes())
        .merge(story::routes())
        .merge(composer::routes())
        .merge(calendar::routes())
        .merge(campaigns::routes())
        .merge(bulk::routes())
        .merge(notifications::routes())
}

/// The tabs across the Stories pages.
pub struct StoryTabs {
    pub active: &'static str,
    pub show_rules: bool,
    pub show_accounts: bool,
}

impl StoryTabs {
    pub fn new(actor: &Actor, active: &'static str) -> StoryTabs {
        let sections = chorus_app::stories::story::sections(actor);
        StoryTabs {
            active,
            show_rules: sections.rules,
            show_accounts: sections.accounts,
        }
    }
}

/// A check result as the pages show it: the principle it comes from, with a link.
pub struct FindingView {
    pub error: bool,
    pub message: String,
    pub fix: String,
    /// (number, slug, title) of the principle the rule serves.
    pub principle: Option<(i64, String, String)>,
    /// Whether the preview marks the text this finding is about (the composer sets it).
    pub marked: bool,
}

impl FindingView {
    pub fn of(f: &Finding, lookup: &Lookup) -> FindingView {
        FindingView {
            error: f.severity == Severity::Error,
            message: f.message.clone(),
            fix: f.fix.clone(),
            principle: f
                .principle
                .and_then(|p| lookup.principle(p))
                .map(|p| (p.number, p.slug.clone(), p.title.clone())),
            marked: false,
        }
    }

    pub fn all(fs: &[Finding], lookup: &Lookup) -> Vec<FindingView> {
        fs.iter().map(|f| FindingView::of(f, lookup)).collect()
    }
}

/// A `<select>` option.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl ToString, label: impl Into<String>, selected: bool) -> Choice {
        Choice {
            value: value.to_string(),
            label: label.into(),
            selected,
        }
    }
}

/// Fixed success messages for `?done=…` on Stories pages (fixed texts: the URL cannot inject).
pub fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "Story created. Add a variant for each account and language.",
        "saved" => "Saved. The change is recorded in the audit log.",
        "saved_draft" => {
            "Saved. The story went back to draft: what is published is always what was approved, so it needs review again."
        }
        "variant" => "Variant saved. The change is recorded in the audit log.",
        "variant_draft" => {
            "Variant saved. The story went back to draft: what is published is always what was approved, so it needs review again."
        }
        "deleted" => "Deleted. The change is recorded in the audit log.",
        "deleted_draft" => {
            "Deleted. The story went back to draft: what is published is always what was approved, so it needs review again."
        }
        "image" => "Image saved.",
        "image_draft" => {
            "Image saved. The story went back to draft: what is published is always what was approved, so it needs review again."
        }
        "comment" => "Comment added.",
        "submit" => "Submitted for review. The market leads have been notified.",
        "approve" => "Approved. The author has been notified.",
        "reject" => "Sent back with your reason. The author has been notified.",
        "reopen" => "Back to draft.",
        "schedule" => "Scheduled. It publishes at the time shown for each variant.",
        "unschedule" => "Unscheduled: it stays approved, and nothing will be published.",
        "retry" => "Publishing again now.",
        "moved" => "Moved. The change is recorded in the audit log.",
        "state" => "Campaign state changed.",
        "imported" => "Content plan imported as drafts.",
        _ => return None,
    })
}

/// A badge tone for a story state.
pub fn state_tone(s: StoryState) -> &'static str {
    match s {
        StoryState::Draft => "neutral",
        StoryState::InReview | StoryState::Scheduled => "info",
        StoryState::Approved | StoryState::Published => "success",
        StoryState::Publishing => "warning",
        StoryState::Rejected | StoryState::Failed => "danger",
    }
}
