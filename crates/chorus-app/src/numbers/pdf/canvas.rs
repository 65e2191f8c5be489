//! A small page-layout surface over pdf-writer: A4 pages, coordinates from the top-left in
//! points, text in the embedded font (regular or bold) measured and wrapped by its own
//! advances, filled rectangles, lines and polylines, and a cursor that starts a new page when
//! the next block does not fit. Footers are written last, once the page count is known.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::PdfError;
use super::font::{Font, FontRefs, deflate};

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN: f32 = 48.0;
/// Where the body ends: room for the footer below.
pub const BODY_BOTTOM: f32 = PAGE_H - 56.0;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

impl Rgb {
    pub const fn hex(v: u32) -> Rgb {
        Rgb(
            ((v >> 16) & 0xff) as f32 / 255.0,
            ((v >> 8) & 0xff) as f32 / 255.0,
            (v & 0xff) as f32 / 255.0,
        )
    }
}

/// The palette of the web's design system (`chorus.css`).
pub const INK: Rgb = Rgb::hex(0x1b2330);
pub const MUTED: Rgb = Rgb::hex(0x5b6575);
pub const FAINT: Rgb = Rgb::hex(0x8a93a3);
pub const BORDER: Rgb = Rgb::hex(0xdde1e8);
pub const PRIMARY: Rgb = Rgb::hex(0x2f55d4);
pub const PRIMARY_SOFT: Rgb = Rgb::hex(0xe8eefc);
pub const SURFACE_2: Rgb = Rgb::hex(0xf4f6f9);
pub const WARNING_TEXT: Rgb = Rgb::hex(0x8a5a00);

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// The document being laid out.
pub struct Canvas {
    regular: Font,
    bold: Font,
    pages: Vec<Content>,
    /// The cursor: how far down the current page the next block starts.
    pub y: f32,
}

impl Canvas {
    pub fn new() -> Result<Canvas, PdfError> {
        Ok(Canvas {
            regular: Font::regular()?,
            bold: Font::bold()?,
            pages: vec![Content::new()],
            y: MARGIN,
        })
    }

    fn font(&self, w: Weight) -> &Font {
        match w {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    pub fn width(&self, text: &str, size: f32, w: Weight) -> f32 {
        self.font(w).width(text, size)
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = MARGIN;
    }

    /// Makes room for a block `height` tall: a new page when it would cross the footer.
    pub fn ensure(&mut self, height: f32) {
        if self.y + height > BODY_BOTTOM && self.y > MARGIN {
            self.new_page();
        }
    }

    /// `text` with its baseline at (`x`, `y`) from the top-left.
    pub fn text(&mut self, x: f32, y: f32, size: f32, w: Weight, color: Rgb, text: &str) {
        if text.is_empty() {
            return;
        }
        let codes = match w {
            Weight::Regular => self.regular.encode(text),
            Weight::Bold => self.bold.encode(text),
        };
        let name = match w {
            Weight::Regular => Name(b"F1"),
            Weight::Bold => Name(b"F2"),
        };
        let c = self.page();
        c.set_fill_rgb(color.0, color.1, color.2);
        c.begin_text();
        c.set_font(name, size);
        c.next_line(x, PAGE_H - y);
        c.show(Str(&codes));
        c.end_text();
    }

    /// `text` ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, w: Weight, color: Rgb, t: &str) {
        let x = right - self.width(t, size, w);
        self.text(x, y, size, w, color, t);
    }

    /// `text` split into lines no wider than `width` (words longer than a line are cut).
    pub fn wrap(&self, text: &str, width: f32, size: f32, w: Weight) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size, w) <= width || line.is_empty() {
                    line = candidate;
                } else {
                    lines.push(std::mem::take(&mut line));
                    line = word.to_owned();
                }
                // A single word wider than the line: cut it by characters.
                while self.width(&line, size, w) > width && line.chars().count() > 1 {
                    let mut head = String::new();
                    let mut rest = line.chars().peekable();
                    while let Some(c) = rest.peek().copied() {
                        head.push(c);
                        if self.width(&head, size, w) > width && head.chars().count() > 1 {
                            head.pop();
                            break;
                        }
                        rest.next();
                    }
                    let tail: String = rest.collect();
                    if tail.is_empty() {
                        break;
                    }
                    lines.push(head);
                    line = tail;
                }
            }
            lines.push(line);
        }
        lines
    }

    /// Writes `text` wrapped to `width` from the cursor, advancing it; returns the lines used.
    pub fn paragraph(&mut self, x: f32, width: f32, size: f32, w: Weight, color: Rgb, t: &str) {
        let leading = size * 1.4;
        for line in self.wrap(t, width, size, w) {
            self.ensure(leading);
            self.y += leading;
            self.text(x, self.y - size * 0.3, size, w, color, &line);
        }
    }

    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        let c = self.page();
        c.set_fill_rgb(color.0, color.1, color.2);
        c.rect(x, PAGE_H - y - h, w, h);
        c.fill_nonzero();
    }

    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, color: Rgb) {
        self.polyline(&[from, to], width, color);
    }

    pub fn polyline(&mut self, points: &[(f32, f32)], width: f32, color: Rgb) {
        let Some((first, rest)) = points.split_first() else {
            return;
        };
        let c = self.page();
        c.set_stroke_rgb(color.0, color.1, color.2);
        c.set_line_width(width);
        c.set_line_join(pdf_writer::types::LineJoinStyle::RoundJoin);
        c.move_to(first.0, PAGE_H - first.1);
        for p in rest {
            c.line_to(p.0, PAGE_H - p.1);
        }
        c.stroke();
    }

    /// A closed shape filled with `color` (the area under a chart's line).
    pub fn fill_polygon(&mut self, points: &[(f32, f32)], color: Rgb) {
        let Some((first, rest)) = points.split_first() else {
            return;
        };
        let c = self.page();
        c.set_fill_rgb(color.0, color.1, color.2);
        c.move_to(first.0, PAGE_H - first.1);
        for p in rest {
            c.line_to(p.0, PAGE_H - p.1);
        }
        c.close_path();
        c.fill_nonzero();
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Goes back to page `index` (0-based) to draw on it (the footers, once the count is known).
    pub fn draw_on(&mut self, index: usize, draw: impl FnOnce(&mut Canvas)) {
        let keep = self.pages.split_off(index + 1);
        draw(self);
        self.pages.extend(keep);
    }

    /// The finished file, with `title` in the document information.
    pub fn finish(self, title: &str, created: &str) -> Result<Vec<u8>, PdfError> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let regular = FontRefs::from(4);
        let bold = FontRefs::from(10);
        let first_page = 16;
        let n = i32::try_from(self.pages.len()).map_err(|_| PdfError("too many pages".into()))?;
        let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(first_page + 2 * i)).collect();

        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(n);
        pdf.document_info(info)
            .title(TextStr(title))
            .producer(TextStr("Chorus"))
            .creator(TextStr("Chorus Numbers"))
            .creation_date(pdf_date(created));
        for (i, content) in self.pages.into_iter().enumerate() {
            let id = page_ids[i];
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .parent(tree)
                .contents(content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), regular.type0);
            fonts.pair(Name(b"F2"), bold.type0);
            fonts.finish();
            resources.finish();
            page.finish();
            let bytes = content.finish();
            pdf.stream(content_id, &deflate(bytes.as_slice()))
                .filter(pdf_writer::Filter::FlateDecode);
        }
        self.regular.write(&mut pdf, &regular)?;
        self.bold.write(&mut pdf, &bold)?;
        Ok(pdf.finish())
    }
}

/// A PDF date from "YYYY-MM-DD HH:MM" (UTC); the epoch when it does not parse.
fn pdf_date(created: &str) -> pdf_writer::Date {
    let num = |s: Option<&str>| s.and_then(|s| s.parse::<u8>().ok()).unwrap_or(0);
    let (date, time) = created.split_once(' ').unwrap_or((created, "00:00"));
    let mut d = date.split('-');
    let year = d.next().and_then(|y| y.parse::<u16>().ok()).unwrap_or(1970);
    let (month, day) = (num(d.next()), num(d.next()));
    let mut t = time.split(':');
    let (hour, minute) = (num(t.next()), num(t.next()));
    pdf_writer::Date::new(year)
        .month(month.max(1))
        .day(day.max(1))
        .hour(hour)
        .minute(minute)
        .utc_offset_hour(0)
}
