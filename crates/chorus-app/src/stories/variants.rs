//! A story's variants — one per account and locale — and the composer's live checks.
//!
//! Contract: a variant is changed only by someone who may edit its story
//! ([`editable_story`]); a story that is publishing or published accepts no new, changed or
//! deleted variant, and a variant that is publishing or published never changes, whatever its
//! story's state (`Conflict` on `state`, checked before anything is written). Changing the
//! content of work that was in review, approved, scheduled or failed sends the story back to
//! draft (the store does it in the save's transaction); [`Saved::back_to_draft`] says so.

use chorus_core::org::Market;
use chorus_core::stories::compose::{self, Mark, Measured};
use chorus_core::stories::limits::Network;
use chorus_core::stories::rules::{Finding, ImageInfo, Rule, Severity};

use super::staged::{self, Pending, RawStaged};
use super::{
    Account, ImageMeta, Lookup, RawVariant, Story, Variant, check, check_open_for_variants,
    check_variant_open, editable_story, parse_variant, readable_story, tag_links,
};
use crate::{App, Caller, Error, Result};

/// The variant `variant` of `story`; a variant of another story is not found.
pub(crate) async fn variant_of(app: &App, story: &Story, variant: i64) -> Result<Variant> {
    let v = app.store.variant(variant).await?;
    if v.story_id != story.id {
        return Err(Error::NotFound("variant"));
    }
    Ok(v)
}

/// The story (and its variant `variant`, if given) once the caller may change them: they may
/// edit the story (`Forbidden`), and neither the story nor the variant is publishing or
/// published (`Conflict` on `state`).
pub(crate) async fn open_for_change(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: Option<i64>,
) -> Result<(Story, Option<Variant>)> {
    let story = editable_story(app, caller, story).await?;
    let variant = match variant {
        Some(v) => Some(variant_of(app, &story, v).await?),
        None => None,
    };
    check_open_for_variants(&story)?;
    if let Some(v) = &variant {
        check_variant_open(v)?;
    }
    Ok((story, variant))
}

/// [`open_for_change`] for an existing variant.
pub(crate) async fn open_variant(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: i64,
) -> Result<(Story, Variant)> {
    match open_for_change(app, caller, story, Some(variant)).await? {
        (story, Some(v)) => Ok((story, v)),
        (_, None) => Err(Error::NotFound("variant")),
    }
}

/// What saving a variant did.
#[derive(Debug, Clone)]
pub struct Saved {
    pub variant: Variant,
    /// The story after the save.
    pub story: Story,
    /// Whether the save sent approved (or submitted) work back to draft.
    pub back_to_draft: bool,
    /// A note to show (a local time that happens twice: the first was taken).
    pub note: Option<String>,
}

/// Adds a variant to a story (`variant` = `None`) or changes one. Links are UTM-tagged when
/// the market's rules ask for it.
pub async fn save(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: Option<i64>,
    raw: &RawVariant,
) -> Result<Saved> {
    save_with_images(app, caller, story, variant, raw, &[]).await
}

/// [`save`], also attaching the caller's images staged for this story before the save (see
/// [`staged`]), in the save's transaction: an image that is not the caller's staged upload of
/// this story is `Invalid` on `images` and nothing is saved.
pub async fn save_with_images(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: Option<i64>,
    raw: &RawVariant,
    images: &[RawStaged],
) -> Result<Saved> {
    let (story, before) = open_for_change(app, caller, story, variant).await?;
    let lookup = Lookup::load(app, caller).await?;
    let rules = app.store.post_rules().await?;
    let parsed = parse_variant(raw, &story, &lookup, &rules)?;
    let existing = before.as_ref().map_or(0, |v| v.images.len());
    let pending = staged::pending(app, caller, story.id, images, existing, false).await?;
    let attach: Vec<_> = pending.iter().map(Pending::attach).collect();
    let saved = app
        .store
        .save_variant_with_images(&caller.author(), story.id, variant, &parsed.input, &attach)
        .await
        .map_err(|e| match e {
            chorus_store::StoreError::NotFound {
                what: "staged image",
            } => Error::invalid(
                "images",
                "an image added before saving was saved or removed meanwhile; add it again",
            ),
            e => e.into(),
        })?;
    let after = app.store.story(story.id).await?;
    Ok(Saved {
        variant: saved,
        back_to_draft: after.state != story.state,
        story: after,
        note: parsed.note,
    })
}

/// What a change to a story's content (deleting a variant, changing an image) did.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The story afterwards.
    pub story: Story,
    /// Whether the change sent approved (or submitted) work back to draft.
    pub back_to_draft: bool,
}

impl Changed {
    /// Reads the story again after a change to it.
    pub(crate) async fn since(app: &App, before: &Story) -> Result<Changed> {
        let story = app.store.story(before.id).await?;
        Ok(Changed {
            back_to_draft: story.state != before.state,
            story,
        })
    }
}

/// Deletes a variant that has not gone out, from a story that is not publishing or published
/// (approved work goes back to draft).
pub async fn delete(app: &App, caller: &Caller, story: i64, variant: i64) -> Result<Changed> {
    let (story, v) = open_variant(app, caller, story, variant).await?;
    app.store.delete_variant(&caller.author(), v.id).await?;
    Changed::since(app, &story).await
}

/// What the live checks say about text as typed, tagged as it will be saved.
#[derive(Debug, Clone)]
pub struct LiveCheck {
    pub story_id: i64,
    /// The variant whose images were checked with the text, if any.
    pub variant_id: Option<i64>,
    pub network: Network,
    /// The account's handle, when the account is one of the story's market.
    pub handle: String,
    /// The text as it will be saved (links tagged when the rules ask for it).
    pub text: String,
    /// Whether saving changes the links (UTM tags), and the count includes them.
    pub tagged: bool,
    /// Whether the text's links go out as click redirects, and the count takes each as one.
    pub redirected: bool,
    /// The length as the network counts it, and its limit.
    pub length: usize,
    pub limit: usize,
    pub findings: Vec<Finding>,
    /// How many findings block submitting and scheduling.
    pub blocking: usize,
    /// The variant's images (their alt text is checked).
    pub images: Vec<ImageMeta>,
    /// Images added before saving that the save will attach (their alt text is checked too).
    pub staged: Vec<Pending>,
    /// The text as it will be posted, counted, with each link's cost.
    pub measured: Measured,
    /// What to mark in the text as posted: banned terms, then what runs past the limit.
    pub marks: Vec<Mark>,
}

impl LiveCheck {
    pub fn over(&self) -> bool {
        self.length > self.limit
    }

    pub fn passes(&self) -> bool {
        self.blocking == 0
    }
}

/// Text as typed in the composer (or sent to the API's check).
#[derive(Debug, Clone, Default)]
pub struct Typed {
    /// An account id; one of another market counts as none (Bluesky's limits apply).
    pub account: Option<i64>,
    pub body: String,
    /// A saved variant whose images to check with the text; one of another story is ignored.
    pub variant: Option<i64>,
}

/// Runs the checks on text as typed, for anyone who may read the story. Answers the names the
/// findings refer to (principles) with it.
pub async fn live_check(
    app: &App,
    caller: &Caller,
    story: i64,
    typed: &Typed,
) -> Result<(LiveCheck, Lookup)> {
    live_check_with(app, caller, story, typed, &[]).await
}

/// [`live_check`] with images the caller staged for the story (those that are not theirs, or
/// gone, are left out).
pub async fn live_check_with(
    app: &App,
    caller: &Caller,
    story: i64,
    typed: &Typed,
    images: &[RawStaged],
) -> Result<(LiveCheck, Lookup)> {
    let story = readable_story(app, caller, story).await?;
    let staged = match caller.user {
        Some(_) => staged::pending(app, caller, story.id, images, 0, true).await?,
        None => Vec::new(),
    };
    let lookup = Lookup::load(app, caller).await?;
    let rules = app.store.post_rules().await?;
    let variant = match typed.variant {
        Some(v) => match variant_of(app, &story, v).await {
            Ok(v) => Some(v),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let c = checks(
        &story,
        &lookup,
        &rules,
        typed.account,
        &typed.body,
        variant.as_ref(),
        staged,
    );
    Ok((c, lookup))
}

/// The checks of `body` for `story` (pure: no store, no permission).
pub(crate) fn checks(
    story: &Story,
    lookup: &Lookup,
    rules: &[Rule],
    account: Option<i64>,
    body: &str,
    variant: Option<&Variant>,
    staged: Vec<Pending>,
) -> LiveCheck {
    let acct = account
        .and_then(|a| lookup.account(a))
        .filter(|a| a.market_id == story.market_id);
    let network = acct
        .and_then(|a| Network::parse(&a.network).ok())
        .unwrap_or(Network::Bluesky);
    let body = body.replace("\r\n", "\n");
    let text = tag_links(body.trim(), network, story, lookup, rules);
    let images: Vec<ImageMeta> = variant.map(|v| v.images.clone()).unwrap_or_default();
    let infos: Vec<ImageInfo<'_>> = images
        .iter()
        .map(|i| ImageInfo {
            name: &i.name,
            alt: &i.alt,
        })
        .chain(staged.iter().map(|p| ImageInfo {
            name: &p.image.name,
            alt: &p.alt,
        }))
        .collect();
    let links = lookup.public_url.as_ref();
    let findings = check(&text, network, story, &infos, rules, links);
    let measured = compose::measure(&text, network, links);
    let marks = compose::marks(&measured, rules, story.market_id);
    LiveCheck {
        story_id: story.id,
        variant_id: variant.map(|v| v.id),
        network,
        handle: acct.map(|a| a.handle.clone()).unwrap_or_default(),
        tagged: text != body.trim(),
        length: measured.length,
        redirected: measured.links.iter().any(|l| l.shortened()),
        limit: measured.limit,
        blocking: findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
        findings,
        images,
        staged,
        measured,
        marks,
        text,
    }
}

/// What the composer shows: the story, the variant being edited (if any), the market's
/// accounts and locales to choose from, and the fields to start from.
pub struct Composer {
    pub story: Story,
    pub variant: Option<Variant>,
    pub market: Market,
    /// The accounts that publish for the story's market.
    pub accounts: Vec<Account>,
    /// The ids of those accounts that are not connected (a story for them cannot be approved
    /// or scheduled until they are; see `accounts::is_connected`).
    pub not_connected: Vec<i64>,
    /// The fields as saved (an existing variant) or suggested (a new one: the first account
    /// and locale without a variant yet). `time` is left empty: the caller shows the saved
    /// instant in the market's zone.
    pub fields: RawVariant,
    pub lookup: Lookup,
    rules: Vec<Rule>,
}

impl Composer {
    /// The live checks of text as typed, with the edited variant's images.
    pub fn check(&self, account: Option<i64>, body: &str, staged: Vec<Pending>) -> LiveCheck {
        checks(
            &self.story,
            &self.lookup,
            &self.rules,
            account,
            body,
            self.variant.as_ref(),
            staged,
        )
    }
}

/// The composer for a new variant (`variant` = `None`) or a saved one, for those who may edit
/// the story, while the story and the variant may still change.
pub async fn composer(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: Option<i64>,
) -> Result<Composer> {
    let (story, variant) = open_for_change(app, caller, story, variant).await?;
    let lookup = Lookup::load(app, caller).await?;
    let rules = app.store.post_rules().await?;
    let market = lookup
        .market(story.market_id)
        .cloned()
        .ok_or(Error::NotFound("market"))?;
    let accounts: Vec<Account> = lookup
        .accounts
        .iter()
        .filter(|a| a.market_id == story.market_id)
        .cloned()
        .collect();
    let fields = match &variant {
        Some(v) => RawVariant {
            account: v.account_id.to_string(),
            locale: v.locale.clone(),
            body: v.body.clone(),
            time: String::new(),
        },
        None => {
            let taken: Vec<(i64, String)> = app
                .store
                .variants(story.id)
                .await?
                .into_iter()
                .map(|v| (v.account_id, v.locale))
                .collect();
            let free = accounts.iter().find_map(|a| {
                market
                    .locales
                    .iter()
                    .find(|l| !taken.contains(&(a.id, l.as_str().to_owned())))
                    .map(|l| (a.id, l.as_str().to_owned()))
            });
            match free {
                Some((account, locale)) => RawVariant {
                    account: account.to_string(),
                    locale,
                    ..RawVariant::default()
                },
                None => RawVariant::default(),
            }
        }
    };
    Ok(Composer {
        not_connected: crate::accounts::not_connected(app, &accounts).await?,
        story,
        variant,
        market,
        accounts,
        fields,
        lookup,
        rules,
    })
}
