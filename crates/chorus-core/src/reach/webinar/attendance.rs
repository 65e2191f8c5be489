//! The attendance list a webinar tool exports, read as CSV: a header naming the columns
//! (email; attended yes/no; minutes — each known by a few names, English and Finnish), `,` or
//! `;` between cells, a UTF-8 byte-order mark tolerated, quoted cells as RFC 4180 writes them.
//! Errors name the line and the column. Someone listed twice (they rejoined) is one person with
//! the minutes added up. Pure.

/// One person's attendance, as imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub email: crate::user::Email,
    pub attended: bool,
    /// `None` when the list has no minutes column.
    pub minutes: Option<i64>,
}

/// A line of an attendance list that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", column.as_ref().map(|(n, name)| format!(", column {n} ({name})")).unwrap_or_default())]
pub struct AttendanceError {
    /// 1-based, the header being line 1.
    pub line: usize,
    /// 1-based column number and its header name.
    pub column: Option<(usize, String)>,
    pub message: String,
}

/// The headers each column is known by (compared without case, spaces or punctuation).
const EMAIL_NAMES: &[&str] = &[
    "email",
    "emailaddress",
    "useremail",
    "mail",
    "sahkoposti",
    "sähköposti",
];
const ATTENDED_NAMES: &[&str] = &[
    "attended",
    "attendance",
    "present",
    "osallistui",
    "paikalla",
];
const MINUTES_NAMES: &[&str] = &[
    "minutes",
    "durationminutes",
    "duration",
    "timeinsessionminutes",
    "minuutit",
    "kesto",
];

fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads an attendance list (see the module's contract). At most 100,000 lines.
pub fn parse_attendance(input: &str) -> Result<Vec<Attendance>, AttendanceError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let err = |line: usize, column: Option<(usize, String)>, message: String| AttendanceError {
        line,
        column,
        message,
    };
    let mut lines = records(input);
    let Some((_, header)) = lines.next().transpose()? else {
        return Err(err(
            1,
            None,
            "the file is empty; expected a header such as email,attended,minutes".into(),
        ));
    };
    let sep = if header.matches(';').count() > header.matches(',').count() {
        ';'
    } else {
        ','
    };
    let names: Vec<String> = split(&header, sep).map_err(|m| err(1, None, m))?;
    let find = |known: &[&str]| {
        names
            .iter()
            .position(|n| known.contains(&normalize_header(n).as_str()))
    };
    let email_col = find(EMAIL_NAMES).ok_or_else(|| {
        err(
            1,
            None,
            format!("no email column in the header ({})", names.join(", ")),
        )
    })?;
    let (attended_col, minutes_col) = (find(ATTENDED_NAMES), find(MINUTES_NAMES));
    let mut out: Vec<Attendance> = Vec::new();
    for record in lines {
        let (line, text) = record?;
        if line > 100_000 {
            return Err(err(
                line,
                None,
                "the list is too long (100,000 lines at most)".into(),
            ));
        }
        if text.trim().is_empty() {
            continue;
        }
        let cells = split(&text, sep).map_err(|m| err(line, None, m))?;
        let column = |i: usize| Some((i + 1, names[i].clone()));
        let cell = |i: usize| cells.get(i).map(|c| c.trim()).unwrap_or("");
        let email = crate::user::Email::parse(cell(email_col))
            .map_err(|e| err(line, column(email_col), e.message))?;
        let minutes = match minutes_col {
            None => None,
            Some(i) if cell(i).is_empty() => Some(0),
            Some(i) => Some(parse_minutes(cell(i)).ok_or_else(|| {
                err(
                    line,
                    column(i),
                    format!("'{}' is not a number of minutes", cell(i)),
                )
            })?),
        };
        let attended = match attended_col {
            Some(i) => parse_yes_no(cell(i))
                .ok_or_else(|| err(line, column(i), format!("'{}' is not yes or no", cell(i))))?,
            // A tool that lists only who came: being listed (with time, if counted) is attending.
            None => minutes.is_none_or(|m| m > 0),
        };
        match out.iter_mut().find(|a| a.email == email) {
            Some(a) => {
                a.attended |= attended;
                a.minutes = match (a.minutes, minutes) {
                    (Some(x), Some(y)) => Some(x + y),
                    (x, y) => x.or(y),
                };
            }
            None => out.push(Attendance {
                email,
                attended,
                minutes,
            }),
        }
    }
    Ok(out)
}

fn parse_yes_no(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "kyllä" | "k" => Some(true),
        "no" | "n" | "false" | "0" | "" | "ei" | "e" => Some(false),
        _ => None,
    }
}

/// Whole minutes, or a decimal that is rounded (some tools write "12.5").
fn parse_minutes(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return (0..=100_000).contains(&n).then_some(n);
    }
    let f: f64 = s.replace(',', ".").parse().ok()?;
    (f.is_finite() && (0.0..=100_000.0).contains(&f)).then(|| f.round() as i64)
}

/// The file's records with their 1-based line numbers; a quoted cell may hold line breaks.
fn records(input: &str) -> impl Iterator<Item = Result<(usize, String), AttendanceError>> + '_ {
    let mut rest = input;
    let mut line = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        line += 1;
        let start_line = line;
        let mut quoted = false;
        for (i, c) in rest.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '\n' if quoted => line += 1,
                '\n' => {
                    let record = rest[..i].trim_end_matches('\r').to_owned();
                    rest = &rest[i + 1..];
                    return Some(Ok((start_line, record)));
                }
                _ => {}
            }
        }
        if quoted {
            rest = "";
            return Some(Err(AttendanceError {
                line: start_line,
                column: None,
                message: "a quoted cell is not closed".into(),
            }));
        }
        let record = rest.trim_end_matches('\r').to_owned();
        rest = "";
        Some(Ok((start_line, record)))
    })
}

/// Splits one record at `sep`, RFC 4180 quoting (`""` inside quotes is one `"`).
fn split(record: &str, sep: char) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = record.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            c if c == sep && !quoted => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    if quoted {
        return Err("a quoted cell is not closed".into());
    }
    cells.push(cell);
    Ok(cells)
}
