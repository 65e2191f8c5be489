//! The report's design, drawn from a [`ReportDocument`]: a title band (organization, market or
//! campaign, period), KPI tiles of the totals, the daily chart as vector lines, the tables by
//! market and principle × market, the campaign's objectives, each metric's definition and
//! source ("not available" written out), and a footer on every page with the generation time
//! and "Page n of N". Pure: the same document gives the same bytes.

use chorus_core::stories::limits::Network;

use super::canvas::{
    BORDER, Canvas, FAINT, INK, MARGIN, MUTED, PAGE_H, PAGE_W, PRIMARY, PRIMARY_SOFT, Rgb,
    SURFACE_2, WARNING_TEXT, Weight,
};
use super::{NOT_AVAILABLE, PdfError, ReportDocument, figure, label};
use crate::numbers::{Chart, Report};

const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN;

/// The PDF of `doc`.
pub fn render(doc: &ReportDocument) -> Result<Vec<u8>, PdfError> {
    let mut c = Canvas::new()?;
    title_block(&mut c, doc);
    tiles(&mut c, doc);
    if let Some(chart) = &doc.overview.chart {
        chart_section(&mut c, chart);
    } else {
        heading(&mut c, "Per day");
        c.paragraph(
            MARGIN,
            CONTENT_W,
            9.0,
            Weight::Regular,
            MUTED,
            "The chart's metric is not available for these markets.",
        );
    }
    heading(&mut c, "By market");
    report_table(&mut c, &doc.overview.by_market, false);
    if let Some(r) = &doc.overview.by_principle {
        heading(&mut c, "By principle and market");
        report_table(&mut c, r, true);
    }
    // Objective progress arrives in `doc.objectives` (built by `super::objectives` from the
    // campaign page's use case); this is the one place it is drawn.
    if let Some(section) = &doc.objectives {
        heading(&mut c, "Objectives");
        let rows: Vec<Vec<String>> = section
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.metric.clone(),
                    r.period.clone(),
                    r.target.clone(),
                    r.progress
                        .clone()
                        .unwrap_or_else(|| NOT_AVAILABLE.to_owned()),
                ]
            })
            .collect();
        if rows.is_empty() {
            c.paragraph(
                MARGIN,
                CONTENT_W,
                9.0,
                Weight::Regular,
                MUTED,
                "The campaign states no objectives.",
            );
        } else {
            table(
                &mut c,
                &["Objective", "Period", "Target", "Progress"].map(String::from),
                &rows,
                2,
            );
        }
        if !section.note.is_empty() {
            c.y += 4.0;
            c.paragraph(
                MARGIN,
                CONTENT_W,
                8.0,
                Weight::Regular,
                MUTED,
                &section.note,
            );
        }
    }
    definitions(&mut c, doc);
    footers(&mut c, doc);
    c.finish(&doc.title_line(), &doc.generated)
}

fn title_block(c: &mut Canvas, doc: &ReportDocument) {
    let band = 112.0;
    c.fill_rect(0.0, 0.0, PAGE_W, band, PRIMARY);
    c.text(
        MARGIN,
        36.0,
        9.0,
        Weight::Bold,
        Rgb::hex(0xc9d6fb),
        &format!("{} · NUMBERS REPORT", doc.organization.to_uppercase()),
    );
    let title = c.wrap(&doc.title, CONTENT_W, 22.0, Weight::Bold);
    let mut y = 64.0;
    for line in title.iter().take(2) {
        c.text(MARGIN, y, 22.0, Weight::Bold, WHITE, line);
        y += 26.0;
    }
    c.text(
        MARGIN,
        band - 16.0,
        10.0,
        Weight::Regular,
        WHITE,
        &format!("{} · {} to {}", doc.kind, doc.from, doc.to),
    );
    c.y = band + 14.0;
    for line in &doc.details {
        c.paragraph(MARGIN, CONTENT_W, 9.0, Weight::Regular, MUTED, line);
    }
    c.y += 6.0;
}

/// A section's title; it starts a new page rather than stand alone at the foot of one.
fn heading(c: &mut Canvas, title: &str) {
    c.ensure(110.0);
    c.y += 22.0;
    c.text(MARGIN, c.y, 12.0, Weight::Bold, INK, title);
    c.y += 6.0;
    c.line((MARGIN, c.y), (PAGE_W - MARGIN, c.y), 0.6, BORDER);
    c.y += 8.0;
}

fn tiles(c: &mut Canvas, doc: &ReportDocument) {
    heading(c, "Totals");
    let per_row = 4;
    let gap = 8.0;
    let w = (CONTENT_W - gap * (per_row as f32 - 1.0)) / per_row as f32;
    let h = 50.0;
    let shown: Vec<_> = doc
        .overview
        .totals
        .iter()
        .filter(|(info, _)| info.metric.stands_alone())
        .collect();
    for row in shown.chunks(per_row) {
        c.ensure(h + gap);
        let top = c.y;
        for (i, (info, value)) in row.iter().enumerate() {
            let x = MARGIN + i as f32 * (w + gap);
            c.fill_rect(x, top, w, h, SURFACE_2);
            c.fill_rect(
                x,
                top,
                3.0,
                h,
                if value.is_some() { PRIMARY } else { FAINT },
            );
            c.text(
                x + 10.0,
                top + 15.0,
                8.0,
                Weight::Regular,
                MUTED,
                &label(info.metric.name()),
            );
            match value {
                Some(v) => c.text(
                    x + 10.0,
                    top + 39.0,
                    18.0,
                    Weight::Bold,
                    INK,
                    &v.to_string(),
                ),
                None => c.text(
                    x + 10.0,
                    top + 36.0,
                    10.0,
                    Weight::Regular,
                    WARNING_TEXT,
                    NOT_AVAILABLE,
                ),
            }
        }
        c.y = top + h + gap;
    }
}

/// A step of 1, 2 or 5 × 10ⁿ that splits `range` into about four.
fn nice_step(range: f64) -> f64 {
    if range <= 0.0 {
        return 1.0;
    }
    let raw = range / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    (nice * mag).max(1.0)
}

fn chart_section(c: &mut Canvas, chart: &Chart) {
    heading(c, &format!("{} per day", label(chart.metric.name())));
    let h = 150.0;
    c.ensure(h + 40.0);
    let left = MARGIN + 36.0;
    let right = PAGE_W - MARGIN;
    let top = c.y + 4.0;
    let bottom = top + h;
    let max = chart.values.iter().copied().max().unwrap_or(0).max(0) as f64;
    let min = chart.values.iter().copied().min().unwrap_or(0).min(0) as f64;
    let step = nice_step(max - min);
    let lo = (min / step).floor() * step;
    let hi = ((max / step).ceil() * step).max(lo + step);
    let y_of = |v: f64| bottom - ((v - lo) / (hi - lo)) as f32 * h;
    let mut tick = lo;
    while tick <= hi + step / 2.0 {
        let y = y_of(tick);
        c.line(
            (left, y),
            (right, y),
            0.5,
            if tick == 0.0 { FAINT } else { BORDER },
        );
        c.text_right(
            left - 5.0,
            y + 2.5,
            7.0,
            Weight::Regular,
            MUTED,
            &format!("{tick}"),
        );
        tick += step;
    }
    let n = chart.values.len();
    let x_of = |i: usize| {
        if n <= 1 {
            (left + right) / 2.0
        } else {
            left + (right - left) * i as f32 / (n - 1) as f32
        }
    };
    let points: Vec<(f32, f32)> = chart
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| (x_of(i), y_of(*v as f64)))
        .collect();
    if n > 1 {
        let base = y_of(0f64.clamp(lo, hi));
        let mut area = points.clone();
        area.push((x_of(n - 1), base));
        area.push((x_of(0), base));
        c.fill_polygon(&area, PRIMARY_SOFT);
        c.polyline(&points, 1.6, PRIMARY);
    } else if let Some(p) = points.first() {
        c.fill_rect(p.0 - 2.0, p.1 - 2.0, 4.0, 4.0, PRIMARY);
    }
    // Day labels: about six, evenly spread, first and last included.
    let labels = 6.min(n);
    let mut last_x = f32::MIN;
    for k in 0..labels {
        let i = if labels <= 1 {
            0
        } else {
            k * (n - 1) / (labels - 1)
        };
        let text = chart.days[i].strftime("%b %-d").to_string();
        let w = c.width(&text, 7.0, Weight::Regular);
        let x = (x_of(i) - w / 2.0).clamp(left, right - w);
        if x > last_x + 4.0 {
            c.text(x, bottom + 12.0, 7.0, Weight::Regular, MUTED, &text);
            last_x = x + w;
        }
    }
    c.y = bottom + 20.0;
    let total: i64 = chart.values.iter().sum();
    let peak = chart
        .values
        .iter()
        .enumerate()
        .max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i)));
    let mut caption = format!("{} over the period: {total}.", label(chart.metric.name()));
    if let Some((i, v)) = peak
        && *v > 0
    {
        caption.push_str(&format!(" Busiest day: {} ({v}).", chart.days[i]));
    }
    c.paragraph(MARGIN, CONTENT_W, 8.0, Weight::Regular, MUTED, &caption);
}

/// A report's rows, with the metric columns that are available in it (the tiles and the
/// definitions say which are not), as the Numbers page shows them.
fn report_table(c: &mut Canvas, r: &Report, with_market: bool) {
    let keep: Vec<usize> = (0..r.metrics.len())
        .filter(|i| {
            r.metrics[*i].available
                && r.metrics[*i].metric.stands_alone()
                && (r.rows.is_empty() || r.rows.iter().any(|row| row.values[*i].is_some()))
        })
        .collect();
    let mut headers = vec![label(r.group_by.name())];
    if with_market {
        headers.push("Market".into());
    }
    headers.extend(keep.iter().map(|i| label(r.metrics[*i].metric.name())));
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.label.clone()];
            if with_market {
                cells.push(row.market.clone().unwrap_or_default());
            }
            cells.extend(keep.iter().map(|i| figure(row.values[*i])));
            cells
        })
        .collect();
    if rows.is_empty() {
        c.paragraph(
            MARGIN,
            CONTENT_W,
            9.0,
            Weight::Regular,
            MUTED,
            "Nothing measured in this period.",
        );
        return;
    }
    table(c, &headers, &rows, if with_market { 2 } else { 1 });
}

/// A table: the first `text_cols` columns are text (left, wrapped), the rest figures (right).
fn table(c: &mut Canvas, headers: &[String], rows: &[Vec<String>], text_cols: usize) {
    let pad = 5.0;
    let mut size = 8.0;
    let widths = loop {
        let mut widths: Vec<f32> = (0..headers.len())
            .map(|i| {
                let head = headers[i]
                    .split_whitespace()
                    .map(|w| c.width(w, size - 0.5, Weight::Bold))
                    .fold(0.0, f32::max);
                let cells = rows
                    .iter()
                    .map(|r| r.get(i).map_or(0.0, |t| c.width(t, size, Weight::Regular)))
                    .fold(0.0, f32::max);
                head.max(cells) + 2.0 * pad
            })
            .collect();
        let figures: f32 = widths[text_cols..].iter().sum();
        let text_natural: f32 = widths[..text_cols].iter().sum();
        let room = CONTENT_W - figures;
        if room >= 90.0 * text_cols as f32 || size <= 6.5 {
            // Text columns share what is left, in proportion to what they would like.
            let room = room.max(40.0 * text_cols as f32);
            for w in widths.iter_mut().take(text_cols) {
                *w = if text_natural <= room {
                    *w + (room - text_natural) / text_cols as f32
                } else {
                    *w * room / text_natural
                };
            }
            break widths;
        }
        size -= 0.5;
    };
    let leading = size * 1.3;
    let header = |c: &mut Canvas| {
        let lines: Vec<Vec<String>> = headers
            .iter()
            .zip(&widths)
            .map(|(h, w)| c.wrap(h, w - 2.0 * pad, size - 0.5, Weight::Bold))
            .collect();
        let n = lines.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let h = n * leading + 2.0 * pad;
        c.ensure(h + leading + 2.0 * pad);
        let top = c.y;
        c.fill_rect(MARGIN, top, CONTENT_W, h, SURFACE_2);
        let mut x = MARGIN;
        for (i, (ls, w)) in lines.iter().zip(&widths).enumerate() {
            for (k, l) in ls.iter().enumerate() {
                let y = top + pad + (k as f32 + 1.0) * leading - 2.0;
                if i < text_cols {
                    c.text(x + pad, y, size - 0.5, Weight::Bold, MUTED, l);
                } else {
                    c.text_right(x + w - pad, y, size - 0.5, Weight::Bold, MUTED, l);
                }
            }
            x += w;
        }
        c.y = top + h;
    };
    header(c);
    for row in rows {
        let lines: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (t, w))| {
                if i < text_cols {
                    c.wrap(t, w - 2.0 * pad, size, Weight::Regular)
                } else {
                    vec![t.clone()]
                }
            })
            .collect();
        let n = lines.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let h = n * leading + 2.0 * pad;
        if c.y + h > super::canvas::BODY_BOTTOM {
            c.new_page();
            header(c);
        }
        let top = c.y;
        let mut x = MARGIN;
        for (i, (ls, w)) in lines.iter().zip(&widths).enumerate() {
            for (k, l) in ls.iter().enumerate() {
                let y = top + pad + (k as f32 + 1.0) * leading - 2.0;
                let color = if l == NOT_AVAILABLE {
                    WARNING_TEXT
                } else {
                    INK
                };
                if i < text_cols {
                    c.text(x + pad, y, size, Weight::Regular, color, l);
                } else {
                    c.text_right(x + w - pad, y, size, Weight::Regular, color, l);
                }
            }
            x += w;
        }
        c.y = top + h;
        c.line((MARGIN, c.y), (PAGE_W - MARGIN, c.y), 0.4, BORDER);
    }
}

fn definitions(c: &mut Canvas, doc: &ReportDocument) {
    heading(c, "What the figures mean");
    c.paragraph(
        MARGIN,
        CONTENT_W,
        8.5,
        Weight::Regular,
        MUTED,
        "Figures are the change within the period, summed over the posts Chorus published \
         (a drop, such as an unlike, counts negative). \"not available\" means the networks in \
         these markets do not report the metric, or Chorus does not count it yet: it is never \
         shown as 0.",
    );
    for (info, _) in &doc.overview.totals {
        if !info.metric.stands_alone() {
            continue;
        }
        c.ensure(40.0);
        c.y += 6.0;
        c.paragraph(
            MARGIN,
            CONTENT_W,
            9.0,
            Weight::Bold,
            INK,
            &label(info.metric.name()),
        );
        c.paragraph(
            MARGIN + 10.0,
            CONTENT_W - 10.0,
            8.5,
            Weight::Regular,
            INK,
            info.definition,
        );
        for s in &info.sources {
            let network = Network::parse(s.network).map_or(s.network, |n| n.label());
            let line = if s.available {
                format!("{network}: {}", s.note)
            } else {
                format!("{network}: {NOT_AVAILABLE} — {}", s.note)
            };
            c.paragraph(
                MARGIN + 10.0,
                CONTENT_W - 10.0,
                8.0,
                Weight::Regular,
                if s.available { MUTED } else { WARNING_TEXT },
                &line,
            );
        }
    }
}

fn footers(c: &mut Canvas, doc: &ReportDocument) {
    let n = c.page_count();
    for i in 0..n {
        c.draw_on(i, |c| {
            let y = PAGE_H - 36.0;
            c.line((MARGIN, y - 12.0), (PAGE_W - MARGIN, y - 12.0), 0.5, BORDER);
            c.text(
                MARGIN,
                y,
                7.5,
                Weight::Regular,
                MUTED,
                &format!(
                    "Generated {} by Chorus · {}",
                    doc.generated, doc.organization
                ),
            );
            c.text_right(
                PAGE_W - MARGIN,
                y,
                7.5,
                Weight::Regular,
                MUTED,
                &format!("Page {} of {n}", i + 1),
            );
        });
    }
}
