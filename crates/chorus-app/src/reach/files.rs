//! Where gated assets and their covers live: under the data directory's `reach/` folder
//! (`<data dir>/reach/assets/<sha256>.<ext>`, `…/covers/<sha256>.<ext>`). The name is the
//! content's SHA-256, chosen by Chorus, never taken from a request; a file is written to
//! `reach/tmp/`, flushed to disk, then renamed into place, so a reader never sees half a file
//! and the same bytes uploaded twice are one file.
//!
//! The folder and the size limit come from `[reach]` (`ReachSettings::files_dir`, set by the
//! binary to `<data dir>/reach`, and `max_asset_bytes`, default 50 MB); without a folder uploads
//! answer `Unavailable`. Reading back — the public download after confirmation — is [`open`] (and
//! [`open_cover`] for the landing page's image): give it the offer's [`AssetFile`].

use std::path::Path;

use chorus_core::reach::sniff::{self, FileType};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::AssetFile;
use crate::{App, Error, Result};

/// Covers are images on a landing page: 5 MB is plenty (and never more than the asset limit).
pub const MAX_COVER_BYTES: u64 = 5 * 1024 * 1024;

/// The folder and the limit, from `[reach]` (`files_dir`, `max_asset_bytes`).
struct ReachFiles<'a> {
    root: &'a Path,
    max_asset_bytes: u64,
}

impl App {
    /// The largest asset an upload may be, when uploads are set up (the web sizes its body
    /// limit from it).
    pub fn max_asset_bytes(&self) -> Option<u64> {
        self.config
            .reach
            .files_dir
            .as_ref()
            .map(|_| self.config.reach.max_asset_bytes)
    }

    fn reach_files(&self) -> Result<ReachFiles<'_>> {
        let root = self.config.reach.files_dir.as_deref().ok_or_else(|| {
            Error::Unavailable(
                "file uploads are not set up on this server (no data directory)".into(),
            )
        })?;
        Ok(ReachFiles {
            root,
            max_asset_bytes: self.config.reach.max_asset_bytes,
        })
    }
}

/// A file as it arrived: the name the person's computer gave it, the type their browser
/// declared (if any), and the bytes.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub file_name: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A stored file: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Relative to the `reach/` folder, e.g. `assets/<sha256>.pdf`.
    pub key: String,
    pub file_type: FileType,
    pub sha256: String,
    pub size_bytes: i64,
}

/// A file opened for reading: the handle, its type and the name to offer in a download.
#[derive(Debug)]
pub struct OpenFile {
    pub file: tokio::fs::File,
    pub content_type: String,
    pub file_name: String,
    pub size_bytes: u64,
}

/// Checks and stores an asset (`images_only` false) or a cover (true): within its size limit,
/// its type sniffed from the bytes and agreeing with the declared one. Errors name `field`.
pub(crate) async fn store(
    app: &App,
    upload: &Upload,
    field: &str,
    images_only: bool,
) -> Result<Stored> {
    let files = app.reach_files()?;
    let limit = if images_only {
        MAX_COVER_BYTES.min(files.max_asset_bytes)
    } else {
        files.max_asset_bytes
    };
    if upload.bytes.is_empty() {
        return Err(Error::invalid(field, "choose a file to upload"));
    }
    if upload.bytes.len() as u64 > limit {
        return Err(Error::invalid(
            field,
            format!(
                "is {} but the limit is {}",
                human_size(upload.bytes.len() as u64),
                human_size(limit)
            ),
        ));
    }
    let file_type = sniff::check(&upload.bytes, upload.content_type.as_deref(), images_only)
        .map_err(|e| Error::invalid(field, e.message))?;
    let sha256 = hex(&Sha256::digest(&upload.bytes));
    let folder = if images_only { "covers" } else { "assets" };
    let key = format!("{folder}/{sha256}.{}", file_type.extension());
    write_atomically(files.root, &key, &upload.bytes).await?;
    Ok(Stored {
        key,
        file_type,
        sha256,
        size_bytes: upload.bytes.len() as i64,
    })
}

/// Writes `bytes` to `root/key` through a temporary file in `root/tmp`, flushed, then renamed.
async fn write_atomically(root: &Path, key: &str, bytes: &[u8]) -> Result<()> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Error::Internal(format!("{what} {}: {e}", path.display()))
    };
    let target = root.join(key);
    if tokio::fs::try_exists(&target).await.unwrap_or(false) {
        return Ok(()); // The same bytes, named by their hash, are already there.
    }
    let tmp_dir = root.join("tmp");
    tokio::fs::create_dir_all(&tmp_dir)
        .await
        .map_err(|e| io("creating", &tmp_dir, e))?;
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| io("creating", parent, e))?;
    }
    let tmp = tmp_dir.join(format!("upload-{:016x}", rand::random::<u64>()));
    let written = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, &target).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io("writing", &target, e));
    }
    Ok(())
}

/// Whether `key` is a name [`store`] makes (`assets|covers/<64 hex>.<ext>`): what is opened is
/// always inside the folder, whatever a row says.
fn valid_key(key: &str) -> bool {
    let Some((folder, name)) = key.split_once('/') else {
        return false;
    };
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    matches!(folder, "assets" | "covers")
        && hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && FileType::ALL.iter().any(|t| t.extension() == ext)
}

async fn open_key(app: &App, key: &str, content_type: &str, file_name: &str) -> Result<OpenFile> {
    let files = app.reach_files()?;
    if !valid_key(key) {
        return Err(Error::Internal(format!(
            "stored file key {key:?} is not one Chorus makes"
        )));
    }
    let path = files.root.join(key);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound("file"),
            _ => Error::Internal(format!("opening {}: {e}", path.display())),
        })?;
    let size_bytes = file
        .metadata()
        .await
        .map_err(|e| Error::Internal(format!("reading {}: {e}", path.display())))?
        .len();
    Ok(OpenFile {
        file,
        content_type: content_type.to_owned(),
        file_name: file_name.to_owned(),
        size_bytes,
    })
}

/// Opens a gated asset's file for download. No authorization here: the caller (the public
/// download behind a signed link, or a staff page that has authorized) decides who gets it.
/// A missing file is `NotFound("file")`.
pub async fn open(app: &App, asset: &AssetFile) -> Result<OpenFile> {
    open_key(
        app,
        &asset.storage_key,
        &asset.content_type,
        &asset.file_name,
    )
    .await
}

/// Opens an asset's cover image, if it has one.
pub async fn open_cover(app: &App, asset: &AssetFile) -> Result<Option<OpenFile>> {
    match (&asset.cover_key, &asset.cover_type) {
        (Some(key), Some(content_type)) => {
            let ext = FileType::from_content_type(content_type).map_or("img", |t| t.extension());
            Ok(Some(
                open_key(app, key, content_type, &format!("cover.{ext}")).await?,
            ))
        }
        _ => Ok(None),
    }
}

/// A file name safe to offer in a download: the uploaded name's last path part, control and
/// quote characters dropped, at most 120 characters; the sniffed type's extension when it had
/// none or another one.
pub(crate) fn clean_file_name(raw: &str, file_type: FileType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';' | '<' | '>' | '`'))
        .take(120)
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    let ext = file_type.extension();
    let has_ext = name.rsplit_once('.').is_some_and(|(_, e)| {
        e.eq_ignore_ascii_case(ext) || (ext == "jpg" && e.eq_ignore_ascii_case("jpeg"))
    });
    if name.is_empty() {
        name = "download".into();
    }
    if !has_ext {
        name = format!("{name}.{ext}");
    }
    name
}

/// "12.5 MB", "800 KB", "312 bytes".
pub fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if bytes >= 1024 {
        format!("{} KB", (bytes + 512) / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_only_what_store_makes() {
        let hash = "a".repeat(64);
        assert!(valid_key(&format!("assets/{hash}.pdf")));
        assert!(valid_key(&format!("covers/{hash}.webp")));
        assert!(!valid_key(&format!("assets/../{hash}.pdf")));
        assert!(!valid_key(&format!("other/{hash}.pdf")));
        assert!(!valid_key(&format!("assets/{}.pdf", "A".repeat(64))));
        assert!(!valid_key(&format!("assets/{hash}.exe")));
        assert!(!valid_key("/etc/passwd"));
    }

    #[test]
    fn file_names_keep_the_last_part_and_gain_the_real_extension() {
        assert_eq!(
            clean_file_name("C:\\x\\Report 2027.pdf", FileType::Pdf),
            "Report 2027.pdf"
        );
        assert_eq!(
            clean_file_name("../../etc/passwd", FileType::Pdf),
            "passwd.pdf"
        );
        assert_eq!(clean_file_name("a\"b\r\n.pdf", FileType::Pdf), "ab.pdf");
        assert_eq!(clean_file_name("", FileType::Png), "download.png");
        assert_eq!(clean_file_name("photo.JPEG", FileType::Jpeg), "photo.JPEG");
        assert_eq!(clean_file_name(".hidden", FileType::Pdf), "hidden.pdf");
    }

    #[test]
    fn sizes_read_like_people_say_them() {
        assert_eq!(human_size(50 * 1024 * 1024), "50 MB");
        assert_eq!(human_size(13 * 1024 * 1024 / 10), "1.3 MB");
        assert_eq!(human_size(2048), "2 KB");
        assert_eq!(human_size(12), "12 bytes");
    }

    #[tokio::test]
    async fn an_upload_is_stored_once_by_its_hash_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store_dir = tempfile::tempdir().unwrap();
        let db = chorus_store::Store::open(&chorus_store::DatabaseUrl::sqlite_in(store_dir.path()))
            .await
            .unwrap();
        let app =
            App::new(db, crate::AppConfig::default()).with_reach(crate::reach::ReachSettings {
                files_dir: Some(dir.path().join("reach")),
                max_asset_bytes: 64,
                ..crate::reach::ReachSettings::default()
            });
        let upload = Upload {
            file_name: "paper.pdf".into(),
            content_type: Some("application/pdf".into()),
            bytes: b"%PDF-1.4 tiny".to_vec(),
        };
        let stored = super::store(&app, &upload, "file", false).await.unwrap();
        assert!(stored.key.starts_with("assets/") && stored.key.ends_with(".pdf"));
        assert_eq!(stored.size_bytes, 13);
        let again = super::store(&app, &upload, "file", false).await.unwrap();
        assert_eq!(again, stored);
        assert_eq!(
            std::fs::read_dir(dir.path().join("reach/tmp"))
                .unwrap()
                .count(),
            0
        );
        let asset = AssetFile {
            file_name: "paper.pdf".into(),
            content_type: "application/pdf".into(),
            size_bytes: 13,
            sha256: stored.sha256.clone(),
            storage_key: stored.key.clone(),
            cover_key: None,
            cover_type: None,
        };
        let mut opened = open(&app, &asset).await.unwrap();
        let mut back = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut opened.file, &mut back)
            .await
            .unwrap();
        assert_eq!(back, upload.bytes);
        assert!(open_cover(&app, &asset).await.unwrap().is_none());

        let big = Upload {
            bytes: [b"%PDF-".as_slice(), &[0; 64]].concat(),
            ..upload.clone()
        };
        let err = super::store(&app, &big, "file", false).await.unwrap_err();
        assert_eq!(err.field(), Some("file"));
        assert_eq!(err.to_string(), "is 69 bytes but the limit is 64 bytes");
        let html = Upload {
            bytes: b"<html><script>".to_vec(),
            ..upload.clone()
        };
        assert_eq!(
            super::store(&app, &html, "file", false)
                .await
                .unwrap_err()
                .field(),
            Some("file")
        );
        let pdf_as_cover = super::store(&app, &upload, "cover", true)
            .await
            .unwrap_err();
        assert_eq!(pdf_as_cover.field(), Some("cover"));
        let unset = App::new(app.store.clone(), crate::AppConfig::default());
        assert!(matches!(
            super::store(&unset, &upload, "file", false).await,
            Err(Error::Unavailable(_))
        ));
    }
}
