//! Images added in the composer before the variant they are for is saved ("staged"): a new
//! variant carries images from its first save.
//!
//! Contract: whoever may change the story's variants ([`super::variants::open_for_change`])
//! stages an image for it, checked as any image ([`super::images::checked_file`]: type from the
//! bytes, size). A staged image is the uploader's alone: only they see it
//! ([`staged_file`]; `NotFound` for anyone else, as for a story they may not read) and only
//! they attach it, when they save a variant of that story ([`pending`], then the store moves
//! it in the save's transaction). Unattached uploads are purged after a day (the store's
//! `STAGED_TTL_MS`).

use chorus_core::UserId;
use chorus_core::validate::optional_text;
use chorus_store::{Attach, StagedImage};

use super::images::{MAX_ALT_CHARS, MAX_IMAGES, Upload, checked_file, clean_name, sniff};
use super::readable_story;
use super::variants::open_for_change;
use crate::{App, Caller, Error, Result};

/// A staged image as the composer sends it back with the variant: its id and alt text, as
/// typed.
#[derive(Debug, Clone, Default)]
pub struct RawStaged {
    pub id: String,
    pub alt: String,
}

/// A staged image ready to show or attach, with its alt text.
#[derive(Debug, Clone)]
pub struct Pending {
    pub image: StagedImage,
    pub alt: String,
}

impl Pending {
    pub fn attach(&self) -> Attach {
        Attach {
            staged: self.image.id,
            alt: self.alt.clone(),
        }
    }
}

fn owner(caller: &Caller) -> Result<UserId> {
    caller
        .user
        .as_ref()
        .map(|u| u.id)
        .ok_or_else(|| Error::forbidden("images are added by a person, signed in"))
}

/// Checks and keeps an image for a variant of `story` that is not saved yet.
pub async fn stage(app: &App, caller: &Caller, story: i64, upload: &Upload) -> Result<StagedImage> {
    let (story, _) = open_for_change(app, caller, story, None).await?;
    let owner = owner(caller)?;
    let (name, mime, bytes) = checked_file(upload)?;
    Ok(app
        .store
        .stage_image(owner, story.id, &clean_name(name), mime, bytes)
        .await?)
}

/// The bytes of a staged image, for the person who uploaded it, while they may read the story.
pub async fn staged_file(
    app: &App,
    caller: &Caller,
    story: i64,
    id: i64,
) -> Result<super::images::ImageFile> {
    let story = readable_story(app, caller, story).await?;
    let owner = owner(caller).map_err(|_| Error::NotFound("image"))?;
    let (image, bytes) = match app.store.staged_image(id).await {
        Ok(found) => found,
        Err(chorus_store::StoreError::NotFound { .. }) => return Err(Error::NotFound("image")),
        Err(e) => return Err(e.into()),
    };
    if image.owner != owner || image.story_id != story.id {
        return Err(Error::NotFound("image"));
    }
    Ok(super::images::ImageFile {
        mime: sniff(&bytes).unwrap_or("application/octet-stream"),
        bytes,
    })
}

/// The caller's staged images `raw` for `story`, with their alt text, in the order given.
/// Ids that are not numbers, or not the caller's staged images of this story (someone else's,
/// attached already, purged), are `Invalid` on `images`; so is holding more than
/// [`MAX_IMAGES`] with the `existing` ones. `lenient` drops such ids instead (the live checks
/// show what can still be attached, and say nothing of others' uploads).
pub async fn pending(
    app: &App,
    caller: &Caller,
    story: i64,
    raw: &[RawStaged],
    existing: usize,
    lenient: bool,
) -> Result<Vec<Pending>> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let owner = owner(caller)?;
    let gone = || {
        Error::invalid(
            "images",
            "an image added before saving is no longer waiting (it was saved already, or added \
             more than a day ago); add it again",
        )
    };
    let mut ids = Vec::with_capacity(raw.len());
    for r in raw {
        match r.id.trim().parse::<i64>() {
            Ok(id) => ids.push(id),
            Err(_) if lenient => {}
            Err(_) => return Err(gone()),
        }
    }
    let found = app.store.staged_images(&ids).await?;
    let mut out = Vec::with_capacity(ids.len());
    for r in raw {
        let Ok(id) = r.id.trim().parse::<i64>() else {
            continue;
        };
        let image = found
            .iter()
            .find(|s| s.id == id && s.owner == owner && s.story_id == story);
        match image {
            Some(image) => {
                let alt = optional_text(&r.alt, MAX_ALT_CHARS).map_err(|e| e.at("alt"))?;
                out.push(Pending {
                    image: image.clone(),
                    alt,
                });
            }
            None if lenient => {}
            None => return Err(gone()),
        }
    }
    out.dedup_by_key(|p| p.image.id);
    if !lenient && existing + out.len() > MAX_IMAGES {
        return Err(Error::invalid(
            "images",
            format!(
                "a post holds at most {MAX_IMAGES} images; this one would have {}",
                existing + out.len()
            ),
        ));
    }
    Ok(out)
}
