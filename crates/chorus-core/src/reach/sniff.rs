//! What an uploaded file is, told from its bytes (magic numbers), never from its name or the
//! type a browser declared. Reach stores a gated asset's type as sniffed here and serves it with
//! that type; an upload whose declared type disagrees with its bytes is refused (a `.pdf` that is
//! an HTML page is not a PDF).
//!
//! Documents: PDF, the Office Open XML trio (Word, Excel, PowerPoint: ZIP archives told apart by
//! the folder of their main part), EPUB, plain ZIP. Images (covers, or an image as the asset
//! itself): PNG, JPEG, WebP. Pure: bytes in, a [`FileType`] out.

use crate::validate::Invalid;

/// A file type Reach accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Epub,
    Zip,
    Png,
    Jpeg,
    Webp,
}

impl FileType {
    /// Every accepted type, documents first.
    pub const ALL: &'static [FileType] = &[
        FileType::Pdf,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Pptx,
        FileType::Epub,
        FileType::Zip,
        FileType::Png,
        FileType::Jpeg,
        FileType::Webp,
    ];

    /// The media type the file is stored and served with.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Epub => "application/epub+zip",
            FileType::Zip => "application/zip",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Webp => "image/webp",
        }
    }

    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Pptx => "pptx",
            FileType::Epub => "epub",
            FileType::Zip => "zip",
            FileType::Png => "png",
            FileType::Jpeg => "jpg",
            FileType::Webp => "webp",
        }
    }

    /// What a marketer calls it ("PDF", "Word document").
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Docx => "Word document",
            FileType::Xlsx => "Excel workbook",
            FileType::Pptx => "PowerPoint presentation",
            FileType::Epub => "EPUB e-book",
            FileType::Zip => "ZIP archive",
            FileType::Png => "PNG image",
            FileType::Jpeg => "JPEG image",
            FileType::Webp => "WebP image",
        }
    }

    /// Whether it may be a landing page's cover image.
    pub fn is_image(self) -> bool {
        matches!(self, FileType::Png | FileType::Jpeg | FileType::Webp)
    }

    /// The type of a stored content type, for reading rows back.
    pub fn from_content_type(content_type: &str) -> Option<FileType> {
        FileType::ALL
            .iter()
            .copied()
            .find(|t| t.content_type() == content_type)
    }
}

/// How many leading bytes [`sniff`] looks at (ZIP-based formats name their parts within them).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The type of `bytes`, from their magic numbers, or `None` for anything Reach does not accept
/// (HTML, scripts, executables, unknown).
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if head.starts_with(b"%PDF-") {
        return Some(FileType::Pdf);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(FileType::Png);
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return Some(FileType::Jpeg);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(FileType::Webp);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some(zip_kind(head));
    }
    None
}

/// Tells the ZIP-based formats apart by what the archive holds: EPUB's first entry is a
/// `mimetype` file saying so; Office files keep their main part under `word/`, `xl/` or `ppt/`
/// next to `[Content_Types].xml`. The local file headers carry the names in the clear.
fn zip_kind(head: &[u8]) -> FileType {
    if head.len() >= 58 && &head[30..38] == b"mimetype" && &head[38..58] == b"application/epub+zip"
    {
        return FileType::Epub;
    }
    let mut names = Vec::new();
    let mut at = 0;
    // Walk the local file headers: signature, 26 bytes, then name and extra field lengths.
    while at + 30 <= head.len() && &head[at..at + 4] == b"PK\x03\x04" {
        let le16 = |i: usize| usize::from(head[i]) | usize::from(head[i + 1]) << 8;
        let le32 = |i: usize| {
            u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]) as usize
        };
        let flags = le16(at + 6);
        let compressed = le32(at + 18);
        let name_len = le16(at + 26);
        let extra_len = le16(at + 28);
        let name_end = at + 30 + name_len;
        if name_end > head.len() {
            break;
        }
        names.push(&head[at + 30..name_end]);
        // With a data descriptor (flag bit 3) the size is not known here: stop walking.
        if flags & 0x08 != 0 {
            break;
        }
        at = name_end + extra_len + compressed;
    }
    let has_types = names.iter().any(|n| *n == b"[Content_Types].xml");
    let under = |folder: &[u8]| names.iter().any(|n| n.starts_with(folder));
    if has_types || names.iter().any(|n| n.starts_with(b"_rels/")) {
        if under(b"word/") {
            return FileType::Docx;
        }
        if under(b"xl/") {
            return FileType::Xlsx;
        }
        if under(b"ppt/") {
            return FileType::Pptx;
        }
    }
    FileType::Zip
}

/// Checks an upload: its bytes must be an accepted type, and a declared content type (what the
/// browser or API client said, without parameters) must be that type. `images_only` is for
/// covers. The message names what was found, for the field the caller names.
pub fn check(bytes: &[u8], declared: Option<&str>, images_only: bool) -> Result<FileType, Invalid> {
    let Some(found) = sniff(bytes) else {
        return Err(Invalid::new(if images_only {
            "is not a PNG, JPEG or WebP image"
        } else {
            "is not a file type Reach accepts (PDF, Word, Excel, PowerPoint, EPUB, ZIP, PNG, JPEG, WebP)"
        }));
    };
    if images_only && !found.is_image() {
        return Err(Invalid::new(format!(
            "is a {}, not a PNG, JPEG or WebP image",
            found.label()
        )));
    }
    if let Some(declared) = declared {
        let declared = declared
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        // Browsers send this for anything they do not know; it claims nothing.
        let vague = declared.is_empty() || declared == "application/octet-stream";
        let alias = declared == "image/jpg" || declared == "application/x-pdf";
        let same = declared == found.content_type()
            || (alias && matches!(found, FileType::Jpeg | FileType::Pdf))
            || (declared == "application/zip" && found == FileType::Zip);
        if !vague && !same {
            return Err(Invalid::new(format!(
                "was declared as {} but its contents are a {}",
                crate::validate::quoted(&declared),
                found.label()
            )));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZIP archive's local header for an empty stored entry named `name`.
    fn entry(name: &str) -> Vec<u8> {
        let mut out = b"PK\x03\x04".to_vec();
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, method, time, date
        out.extend_from_slice(&[0; 4]); // crc
        out.extend_from_slice(&[0; 4]); // compressed size
        out.extend_from_slice(&[0; 4]); // size
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out
    }

    fn zip(names: &[&str]) -> Vec<u8> {
        names.iter().flat_map(|n| entry(n)).collect()
    }

    #[test]
    fn magic_numbers_name_the_type() {
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3"), Some(FileType::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileType::Png));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), Some(FileType::Jpeg));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(FileType::Webp));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"<!DOCTYPE html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b" %PDF-1.7"), None, "the magic must be at the start");
    }

    #[test]
    fn zip_based_formats_are_told_apart_by_their_parts() {
        let docx = zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        assert_eq!(sniff(&docx), Some(FileType::Docx));
        let xlsx = zip(&["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"]);
        assert_eq!(sniff(&xlsx), Some(FileType::Xlsx));
        let pptx = zip(&["[Content_Types].xml", "ppt/presentation.xml"]);
        assert_eq!(sniff(&pptx), Some(FileType::Pptx));
        let mut epub = entry("mimetype");
        epub.extend_from_slice(b"application/epub+zip");
        // The stored entry's size says 0 above; EPUB is read from fixed offsets anyway.
        assert_eq!(sniff(&epub), Some(FileType::Epub));
        assert_eq!(sniff(&zip(&["notes.txt"])), Some(FileType::Zip));
        // A folder named word/ without the content types part is just a ZIP.
        assert_eq!(sniff(&zip(&["word/readme.txt"])), Some(FileType::Zip));
    }

    #[test]
    fn a_declared_type_must_agree_with_the_bytes() {
        let pdf = b"%PDF-1.4 body";
        assert_eq!(
            check(pdf, Some("application/pdf"), false),
            Ok(FileType::Pdf)
        );
        assert_eq!(
            check(pdf, Some("Application/PDF; charset=binary"), false),
            Ok(FileType::Pdf)
        );
        assert_eq!(
            check(pdf, Some("application/octet-stream"), false),
            Ok(FileType::Pdf)
        );
        assert_eq!(check(pdf, None, false), Ok(FileType::Pdf));
        let err = check(pdf, Some("image/png"), false).unwrap_err();
        assert_eq!(
            err.message,
            "was declared as \"image/png\" but its contents are a PDF"
        );
        let err = check(b"<html>", Some("application/pdf"), false).unwrap_err();
        assert!(err.message.starts_with("is not a file type Reach accepts"));
        assert_eq!(
            check(b"\xff\xd8\xff\xdb", Some("image/jpg"), true),
            Ok(FileType::Jpeg)
        );
    }

    #[test]
    fn covers_must_be_images() {
        let err = check(b"%PDF-1.4", None, true).unwrap_err();
        assert_eq!(err.message, "is a PDF, not a PNG, JPEG or WebP image");
        assert!(check(b"GIF89a", None, true).is_err());
        for t in FileType::ALL {
            assert_eq!(FileType::from_content_type(t.content_type()), Some(*t));
        }
    }
}
