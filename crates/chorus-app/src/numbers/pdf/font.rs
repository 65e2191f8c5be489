//! The embedded font (DejaVu Sans, regular and bold; `fonts/LICENSE.txt`) as a PDF composite
//! font: measured with its own advances, subset to the glyphs a document uses, and mapped back
//! to Unicode so that text extraction (`pdftotext`, search, copy) reads what was written.
//!
//! Encoding: every distinct character a document shows gets its own 2-byte code (a CID, from
//! 1 in order of first use); a `CIDToGIDMap` sends each code to its glyph in the subset, and the
//! `ToUnicode` map sends it back to the character. A character the font has no glyph for
//! (e.g. 東京 in DejaVu Sans) is drawn as the font's "missing glyph" box but keeps a code of
//! its own, so it still extracts as itself.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Name, Pdf, Rect, Ref, Str};

use super::PdfError;

static REGULAR: &[u8] = include_bytes!("../../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Bold.ttf");

/// One face of the embedded font, with the characters a document has used so far.
pub(super) struct Font {
    postscript: &'static str,
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    bold: bool,
    /// Character → (code, glyph id in the full font; 0 when the font lacks it).
    used: BTreeMap<char, (u16, u16)>,
    /// (code, character) in code order, for the maps.
    order: Vec<char>,
}

/// The object numbers one font takes in the file.
pub(super) struct FontRefs {
    pub type0: Ref,
    pub cid: Ref,
    pub descriptor: Ref,
    pub file: Ref,
    pub to_unicode: Ref,
    pub cid_to_gid: Ref,
}

impl FontRefs {
    /// Six consecutive object numbers from `first`.
    pub fn from(first: i32) -> FontRefs {
        FontRefs {
            type0: Ref::new(first),
            cid: Ref::new(first + 1),
            descriptor: Ref::new(first + 2),
            file: Ref::new(first + 3),
            to_unicode: Ref::new(first + 4),
            cid_to_gid: Ref::new(first + 5),
        }
    }
}

impl Font {
    pub fn regular() -> Result<Font, PdfError> {
        Font::load("DejaVuSans", REGULAR, false)
    }

    pub fn bold() -> Result<Font, PdfError> {
        Font::load("DejaVuSans-Bold", BOLD, true)
    }

    fn load(postscript: &'static str, data: &'static [u8], bold: bool) -> Result<Font, PdfError> {
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| PdfError(format!("the embedded font {postscript} is unreadable: {e}")))?;
        Ok(Font {
            postscript,
            data,
            units_per_em: f32::from(face.units_per_em()),
            face,
            bold,
            used: BTreeMap::new(),
            order: Vec::new(),
        })
    }

    /// What is drawn for `c`: control characters (tabs, line breaks) as a space.
    fn shown(c: char) -> char {
        if c.is_control() { ' ' } else { c }
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    /// The advance of glyph `gid` in thousandths of the font size.
    fn advance(&self, gid: u16) -> f32 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }

    /// How wide `text` is at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.advance(self.glyph(Font::shown(c))))
            .sum::<f32>()
            * size
            / 1000.0
    }

    /// The codes that show `text` (2 bytes each, big-endian), noting each new character.
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars().map(Font::shown) {
            let code = match self.used.get(&c) {
                Some((code, _)) => *code,
                None => {
                    // Codes are u16 and start at 1; a document never holds 65,535 distinct
                    // characters, but past that they show as the missing glyph rather than fail.
                    let Ok(code) = u16::try_from(self.order.len() + 1) else {
                        out.extend_from_slice(&[0, 0]);
                        continue;
                    };
                    let gid = self.glyph(c);
                    self.used.insert(c, (code, gid));
                    self.order.push(c);
                    code
                }
            };
            out.extend_from_slice(&code.to_be_bytes());
        }
        out
    }

    /// A subset tag (six capital letters) that changes with the glyphs kept, as PDF asks of
    /// subset fonts' names.
    fn tag(&self) -> String {
        let mut h: u32 = 2_166_136_261;
        for c in &self.order {
            h = (h ^ u32::from(*c)).wrapping_mul(16_777_619);
        }
        (0..6)
            .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
            .collect()
    }

    /// Writes the font's objects into `pdf` under `refs`.
    pub fn write(&self, pdf: &mut Pdf, refs: &FontRefs) -> Result<(), PdfError> {
        let mut remapper = subsetter::GlyphRemapper::new();
        remapper.remap(0);
        for c in &self.order {
            if let Some((_, gid)) = self.used.get(c) {
                remapper.remap(*gid);
            }
        }
        let subset = subsetter::subset(self.data, 0, &remapper)
            .map_err(|e| PdfError(format!("subsetting {}: {e}", self.postscript)))?;
        let name = format!("{}+{}", self.tag(), self.postscript);
        let name = Name(name.as_bytes());
        let info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };

        pdf.type0_font(refs.type0)
            .base_font(name)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(refs.cid)
            .to_unicode(refs.to_unicode);

        let mut cid = pdf.cid_font(refs.cid);
        cid.subtype(CidFontType::Type2)
            .base_font(name)
            .system_info(info)
            .font_descriptor(refs.descriptor)
            .default_width(self.advance(0))
            .cid_to_gid_map_stream(refs.cid_to_gid);
        let widths: Vec<f32> = self
            .order
            .iter()
            .map(|c| self.advance(self.used.get(c).map_or(0, |u| u.1)))
            .collect();
        if !widths.is_empty() {
            cid.widths().consecutive(1, widths);
        }
        drop(cid);

        let scale = |v: i16| f32::from(v) * 1000.0 / self.units_per_em;
        let bbox = self.face.global_bounding_box();
        let mut flags = FontFlags::NON_SYMBOLIC;
        if self.bold {
            flags |= FontFlags::FORCE_BOLD;
        }
        pdf.font_descriptor(refs.descriptor)
            .name(name)
            .flags(flags)
            .bbox(Rect::new(
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(scale(self.face.ascender()))
            .descent(scale(self.face.descender()))
            .cap_height(scale(
                self.face.capital_height().unwrap_or(self.face.ascender()),
            ))
            .stem_v(if self.bold { 140.0 } else { 80.0 })
            .font_file2(refs.file);

        let compressed = deflate(&subset);
        pdf.stream(refs.file, &compressed)
            .filter(Filter::FlateDecode)
            .pair(
                Name(b"Length1"),
                i32::try_from(subset.len()).unwrap_or(i32::MAX),
            );

        let mut map = Vec::with_capacity((self.order.len() + 1) * 2);
        map.extend_from_slice(&0u16.to_be_bytes());
        let mut cmap = UnicodeCmap::new(Name(b"Custom"), info);
        for (i, c) in self.order.iter().enumerate() {
            let gid = self.used.get(c).map_or(0, |u| u.1);
            let new = remapper.get(gid).unwrap_or(0);
            map.extend_from_slice(&new.to_be_bytes());
            if let Ok(code) = u16::try_from(i + 1) {
                cmap.pair(code, *c);
            }
        }
        pdf.stream(refs.cid_to_gid, &deflate(&map))
            .filter(Filter::FlateDecode);
        let cmap = cmap.finish();
        pdf.cmap(refs.to_unicode, cmap.as_slice());
        Ok(())
    }
}

/// zlib-compressed `data`, for a `FlateDecode` stream.
pub(super) fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}
