//! Importing a content plan from CSV: every row is one variant; rows with the same market and
//! story title make one story, created as a draft. The whole file is checked first and a report
//! lists every problem by row (the header is row 1), column and what is wrong; nothing is
//! imported until the file is clean, and then everything is, in one store transaction.
//!
//! Columns (header names, any order): `story`, `market`, `account`, `locale`, `text` (required),
//! and `campaign` (slug, name or id), `principles` (numbers or slugs separated by `;`), `brief`,
//! `time` (the market's wall-clock time, `YYYY-MM-DD HH:MM`). The columns the calendar's CSV
//! export adds (`variant_id`, `story_id`, `state`, …) are accepted and ignored, so an export can
//! be edited and imported again as new drafts.
//!
//! Rows are checked with the same rules as a story and a variant typed in a form
//! ([`parse_story`], [`parse_variant`]): a row may only name markets where the caller writes
//! stories, and campaigns the caller may see (any other is "no campaign", never its name).

use std::collections::HashMap;

use chorus_core::permission::Actor;
use chorus_core::stories::limits::Network;
use chorus_core::stories::rules::Rule;
use chorus_core::stories::workflow::StoryState;
use chorus_core::validate::quoted;
use chorus_core::{MarketId, UserId};

use super::{
    Lookup, RawStory, RawVariant, Story, StoryInput, VariantInput, parse_story, parse_variant,
};
use crate::{App, Caller, Error, Result};

pub const REQUIRED: [&str; 5] = ["story", "market", "account", "locale", "text"];
pub const OPTIONAL: [&str; 4] = ["campaign", "principles", "brief", "time"];
/// Columns of the calendar export that the import ignores.
pub const IGNORED: [&str; 8] = [
    "variant_id",
    "story_id",
    "state",
    "publication",
    "timezone",
    "utc",
    "network",
    "published_uri",
];
/// Largest plan accepted in one file.
pub const MAX_ROWS: usize = 5000;

/// One thing wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The spreadsheet row: 1 is the header, 2 the first plan row.
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// A story to create, with the rows of its variants.
#[derive(Debug, Clone)]
pub struct PlannedStory {
    pub input: StoryInput,
    pub variants: Vec<(usize, RawVariant)>,
}

/// A story the import created.
#[derive(Debug, Clone)]
pub struct Imported {
    pub story_id: i64,
    pub title: String,
    pub variants: usize,
}

/// What came of an import: the stories created, or the report of what to fix (and nothing
/// created).
#[derive(Debug, Clone)]
pub enum ImportOutcome {
    Imported(Vec<Imported>),
    Rejected(Vec<Problem>),
}

/// Whether the caller may import a plan at all: they write stories in some market.
pub async fn can_import(app: &App, caller: &Caller) -> Result<bool> {
    let lookup = Lookup::load(app, caller).await?;
    Ok(!lookup.draft_markets(&caller.actor).is_empty())
}

/// Checks the CSV and, when it is clean, creates its stories and variants as drafts.
pub async fn import_plan(app: &App, caller: &Caller, csv: &[u8]) -> Result<ImportOutcome> {
    let lookup = Lookup::load(app, caller).await?;
    if lookup.draft_markets(&caller.actor).is_empty() {
        return Err(Error::forbidden(
            "you may not write stories in any market, so there is nothing you may import",
        ));
    }
    let rules = app.store.post_rules().await?;
    let plan = match validate(csv, &lookup, &caller.actor, &rules) {
        Ok(plan) => plan,
        Err(problems) => return Ok(ImportOutcome::Rejected(problems)),
    };
    let stories: Vec<StoryInput> = plan.iter().map(|p| p.input.clone()).collect();
    let created = app
        .store
        .import_stories(&caller.author(), &stories, |i, story| {
            // Validated above against the same data; tagged now with the story's real id.
            plan[i]
                .variants
                .iter()
                .map(|(_, raw)| parse_variant(raw, story, &lookup, &rules).map(|p| p.input))
                .collect::<Result<Vec<VariantInput>>>()
                .map_err(|e| e.to_string())
        })
        .await?;
    Ok(ImportOutcome::Imported(
        created
            .into_iter()
            .zip(&plan)
            .map(|(story, p)| Imported {
                story_id: story.id,
                title: story.title,
                variants: p.variants.len(),
            })
            .collect(),
    ))
}

fn problem(row: usize, column: &str, message: impl Into<String>) -> Problem {
    Problem {
        row,
        column: column.to_owned(),
        message: message.into(),
    }
}

/// Spreadsheet formula protection from the export (see [`super::export::guard`]), undone.
fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => s,
    }
}

/// Checks the whole file; returns the plan, or every problem found.
pub fn validate(
    bytes: &[u8],
    lookup: &Lookup,
    actor: &Actor,
    rules: &[Rule],
) -> std::result::Result<Vec<PlannedStory>, Vec<Problem>> {
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(e) => {
            return Err(vec![problem(
                1,
                "",
                format!(
                    "the file is not UTF-8 text (byte {}); save it as CSV UTF-8",
                    e.valid_up_to()
                ),
            )]);
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            return Err(vec![problem(
                1,
                "",
                format!("the header row cannot be read: {e}"),
            )]);
        }
    };
    let mut problems = header_problems(&headers);
    if !problems.is_empty() {
        return Err(problems);
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut plan: Vec<PlannedStory> = Vec::new();
    let mut first_row: HashMap<(MarketId, String), (usize, RawStory)> = HashMap::new();
    let mut seen_variants: HashMap<(usize, i64, String), usize> = HashMap::new();
    let mut rows = 0;
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        rows += 1;
        if rows > MAX_ROWS {
            problems.push(problem(
                row,
                "",
                format!("a plan holds at most {MAX_ROWS} rows; split the file"),
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(problem(row, "", format!("the row cannot be read: {e}")));
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            problems.push(problem(
                row,
                "",
                format!(
                    "{} fields, but the header has {}",
                    record.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let get = |name: &str| {
            col(name)
                .and_then(|c| record.get(c))
                .map(unguard)
                .unwrap_or("")
        };
        // Only campaigns the caller may see are in the lookup: any other is "no campaign".
        let campaign = match get("campaign").trim() {
            "" => String::new(),
            c => match lookup
                .campaigns
                .iter()
                .find(|x| x.slug == c || x.name == c || x.id.to_string() == c)
            {
                Some(x) => x.id.to_string(),
                None => {
                    problems.push(problem(
                        row,
                        "campaign",
                        format!("no campaign {}", quoted(c)),
                    ));
                    continue;
                }
            },
        };
        let raw_story = RawStory {
            market: get("market").to_owned(),
            title: get("story").to_owned(),
            brief: get("brief").to_owned(),
            campaign,
            principles: get("principles")
                .split([';', ','])
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        };
        let input = match parse_story(&raw_story, lookup, actor) {
            Ok(s) => s,
            Err(e) => {
                problems.push(story_problem(row, &e));
                continue;
            }
        };
        let key = (input.market_id, input.title.clone());
        let index = match first_row.get(&key) {
            Some((first, earlier)) => {
                problems.extend(differences(row, *first, earlier, &raw_story));
                plan.iter()
                    .position(|p| p.input.market_id == key.0 && p.input.title == key.1)
                    .unwrap_or(0)
            }
            None => {
                first_row.insert(key, (row, raw_story.clone()));
                plan.push(PlannedStory {
                    input,
                    variants: Vec::new(),
                });
                plan.len() - 1
            }
        };
        let raw_variant = RawVariant {
            account: get("account").to_owned(),
            locale: get("locale").to_owned(),
            body: get("text").to_owned(),
            time: get("time").to_owned(),
        };
        let probe = probe_story(&plan[index].input);
        match parse_variant(&raw_variant, &probe, lookup, rules) {
            Ok(p) => {
                let (limit, _) = p.network.limit();
                let len = match &lookup.public_url {
                    Some(base) => p
                        .network
                        .length(&chorus_core::links::counted_text(&p.input.body, base)),
                    None => p.network.length(&p.input.body),
                };
                if len > limit {
                    problems.push(problem(
                        row,
                        "text",
                        format!(
                            "{len} characters; {} allows {limit}{}",
                            p.network.label(),
                            match (&lookup.public_url, p.network) {
                                (Some(_), _) =>
                                    " (with each link as the short link it goes out as)",
                                (None, Network::Bluesky) => " (after UTM tags are added)",
                                (None, _) => "",
                            }
                        ),
                    ));
                }
                if p.input.body.trim().is_empty() {
                    problems.push(problem(row, "text", "the post is empty"));
                }
                let vkey = (index, p.input.account_id, p.input.locale.clone());
                if let Some(prev) = seen_variants.get(&vkey) {
                    problems.push(problem(
                        row,
                        "locale",
                        format!("row {prev} already has this story for this account and locale"),
                    ));
                } else {
                    seen_variants.insert(vkey, row);
                }
                plan[index].variants.push((row, raw_variant));
            }
            Err(e) => problems.push(variant_problem(row, &e)),
        }
    }
    if rows == 0 {
        problems.push(problem(2, "", "the file has a header but no plan rows"));
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        problems.sort_by_key(|p| p.row);
        Err(problems)
    }
}

/// Unknown and missing columns, reported on row 1.
fn header_problems(headers: &[String]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for h in headers {
        if !REQUIRED.contains(&h.as_str())
            && !OPTIONAL.contains(&h.as_str())
            && !IGNORED.contains(&h.as_str())
        {
            problems.push(problem(
                1,
                h,
                format!(
                    "unknown column; use {} (and optionally {})",
                    REQUIRED.join(", "),
                    OPTIONAL.join(", ")
                ),
            ));
        }
    }
    for r in REQUIRED {
        if !headers.iter().any(|h| h == r) {
            problems.push(problem(1, r, "this column is missing"));
        }
    }
    problems
}

/// A later row of a story may leave the story's fields empty or repeat them, not change them.
fn differences(row: usize, first: usize, earlier: &RawStory, now: &RawStory) -> Vec<Problem> {
    let message =
        || format!("differs from row {first} of the same story; leave it empty or repeat it");
    let mut problems = Vec::new();
    for (name, a, b) in [
        ("brief", &earlier.brief, &now.brief),
        ("campaign", &earlier.campaign, &now.campaign),
    ] {
        if !b.trim().is_empty() && a.trim() != b.trim() {
            problems.push(problem(row, name, message()));
        }
    }
    if !now.principles.is_empty() && now.principles != earlier.principles {
        problems.push(problem(row, "principles", message()));
    }
    problems
}

/// A story as the checks see it before it exists (its id is only used for UTM tags).
pub fn probe_story(input: &StoryInput) -> Story {
    Story {
        id: 0,
        market_id: input.market_id,
        campaign_id: input.campaign_id,
        title: input.title.clone(),
        brief: input.brief.clone(),
        state: StoryState::Draft,
        author_id: UserId(0),
        submitted_by: None,
        scheduled_by: None,
        reject_reason: None,
        principles: input.principles.clone(),
        changed_by: Vec::new(),
        created_at_ms: 0,
        updated_at_ms: 0,
    }
}

fn story_problem(row: usize, e: &Error) -> Problem {
    let column = match e.field() {
        Some("title") => "story".to_owned(),
        Some(f) => f.to_owned(),
        None => "market".to_owned(),
    };
    problem(row, &column, e.to_string())
}

fn variant_problem(row: usize, e: &Error) -> Problem {
    let column = match e.field() {
        Some("body") => "text".to_owned(),
        Some(f) => f.to_owned(),
        None => String::new(),
    };
    problem(row, &column, e.to_string())
}

/// A one-row sample plan for the caller: their first market where they write stories, its
/// first locale and account, a week from today.
pub async fn sample_csv(app: &App, caller: &Caller) -> Result<Vec<u8>> {
    let lookup = Lookup::load(app, caller).await?;
    let market = lookup.draft_markets(&caller.actor).first().copied();
    let (code, locale, handle, date) = match market {
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
    let time = format!("{date} 09:30");
    let rows: [[&str; 9]; 2] = [
        [
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
        [
            "Autumn earbuds launch",
            &code,
            "",
            "1;5",
            "Launch day post",
            &handle,
            &locale,
            &time,
            "They are here: our new earbuds. https://example.com/earbuds",
        ],
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r)
            .map_err(|e| Error::Internal(e.to_string()))?;
    }
    w.into_inner().map_err(|e| Error::Internal(e.to_string()))
}
