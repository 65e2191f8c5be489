//! A variant's images: upload, alternative text, removal, and the bytes for readers.
//!
//! Uploads are checked for what they are, not what they claim: the type comes from the file's
//! first bytes (PNG, JPEG, GIF, WebP), the size is at most [`MAX_IMAGE_BYTES`] (Bluesky's limit
//! for an image) and a variant holds at most [`MAX_IMAGES`] (Bluesky's limit per post).
//!
//! Contract: images are content. Whoever may edit the story changes them, while neither the
//! story (publishing, published) nor the variant (publishing, published) has gone out
//! (`Conflict` on `state`, before anything is written). A change to approved work sends the
//! story back to draft, in the store's transaction, audited. Whoever may read the story sees
//! its images; to others they do not exist.

use chorus_core::validate::optional_text;

use super::variants::{Changed, open_variant, variant_of};
use super::{ImageMeta, Variant, readable_story};
use crate::{App, Caller, Error, Result};

/// Bluesky refuses image blobs over this size.
pub const MAX_IMAGE_BYTES: usize = 1_000_000;
/// Bluesky shows at most four images per post.
pub const MAX_IMAGES: usize = 4;
/// Longest alternative text accepted.
pub const MAX_ALT_CHARS: usize = 2000;

/// The image type from its first bytes, or `None` if it is not an image we publish.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// A file name safe to store and show: the last path part, printable, at most 100 characters.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    if name.trim().is_empty() {
        "image".into()
    } else {
        name.trim().to_owned()
    }
}

/// An upload as it arrived.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The file's name as the sender gave it (cleaned before it is stored), and its bytes;
    /// `None` when no file came.
    pub file: Option<(String, Vec<u8>)>,
    pub alt: String,
    /// Why the upload could not be read, if it could not (said once the caller is known to
    /// may upload here, so that a refusal comes first).
    pub unreadable: Option<String>,
}

/// The file of an upload once it is an image we publish: some bytes, at most
/// [`MAX_IMAGE_BYTES`], of a type known from the bytes (`Invalid` on `file` saying which).
/// Answers the name as sent, the type and the bytes.
pub fn checked_file(upload: &Upload) -> Result<(&str, &'static str, &[u8])> {
    if let Some(why) = &upload.unreadable {
        return Err(Error::invalid("file", why.clone()));
    }
    let Some((name, bytes)) = upload.file.as_ref().filter(|(_, b)| !b.is_empty()) else {
        return Err(Error::invalid("file", "choose an image file"));
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(Error::invalid(
            "file",
            format!(
                "“{}” is {} bytes; the limit is {MAX_IMAGE_BYTES} (1 MB)",
                clean_name(name),
                bytes.len()
            ),
        ));
    }
    let Some(mime) = sniff(bytes) else {
        return Err(Error::invalid(
            "file",
            format!(
                "“{}” is not a PNG, JPEG, GIF or WebP image",
                clean_name(name)
            ),
        ));
    };
    Ok((name, mime, bytes))
}

/// Checks and stores one uploaded image.
pub async fn upload(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: i64,
    upload: &Upload,
) -> Result<(ImageMeta, Changed)> {
    let (story, v) = open_variant(app, caller, story, variant).await?;
    if let Some(why) = &upload.unreadable {
        return Err(Error::invalid("file", why.clone()));
    }
    if v.images.len() >= MAX_IMAGES {
        return Err(Error::invalid(
            "file",
            format!("a post holds at most {MAX_IMAGES} images"),
        ));
    }
    let (name, mime, bytes) = checked_file(upload)?;
    let alt = optional_text(&upload.alt, MAX_ALT_CHARS).map_err(|e| e.at("alt"))?;
    let meta = app
        .store
        .add_image(&caller.author(), v.id, &clean_name(name), mime, bytes, &alt)
        .await?;
    Ok((meta, Changed::since(app, &story).await?))
}

/// The image `image` of `variant`; an image of another variant is not found.
fn image_in(v: &Variant, image: i64) -> Result<&ImageMeta> {
    v.images
        .iter()
        .find(|i| i.id == image)
        .ok_or(Error::NotFound("image"))
}

/// Sets an image's alternative text (empty clears it; the alt-text rule then says so).
pub async fn set_alt(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: i64,
    image: i64,
    alt: &str,
) -> Result<Changed> {
    let (story, v) = open_variant(app, caller, story, variant).await?;
    image_in(&v, image)?;
    let alt = optional_text(alt, MAX_ALT_CHARS).map_err(|e| e.at("alt"))?;
    app.store
        .set_image_alt(&caller.author(), variant, image, &alt)
        .await?;
    Changed::since(app, &story).await
}

/// Removes an image from a variant.
pub async fn remove(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: i64,
    image: i64,
) -> Result<Changed> {
    let (story, v) = open_variant(app, caller, story, variant).await?;
    image_in(&v, image)?;
    app.store
        .delete_image(&caller.author(), variant, image)
        .await?;
    Changed::since(app, &story).await
}

/// An image's bytes, with the type they are (only types sniffed at upload are stored; anything
/// else is answered as plain bytes).
#[derive(Debug, Clone)]
pub struct ImageFile {
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// An image of a variant, for whoever may read its story.
pub async fn image(
    app: &App,
    caller: &Caller,
    story: i64,
    variant: i64,
    image: i64,
) -> Result<ImageFile> {
    let story = readable_story(app, caller, story).await?;
    let v = variant_of(app, &story, variant).await?;
    image_in(&v, image)?;
    let (_, bytes) = app.store.image(image).await?;
    Ok(ImageFile {
        mime: sniff(&bytes).unwrap_or("application/octet-stream"),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_image_types_from_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\photos\\speaker.png"), "speaker.png");
        assert_eq!(clean_name("a\u{0}b.png"), "ab.png");
        assert_eq!(clean_name(""), "image");
    }
}
