//! Reading CSV files safely: size and text checks, BOM, header normalisation, physical line
//! numbers, per-row errors, and the refusals a whole file can meet. Every format reads through it.

use csv::StringRecord;
use serde::Serialize;

use crate::validation::FieldErrors;

/// Largest accepted upload.
pub const MAX_IMPORT_BYTES: usize = 200 * 1024 * 1024;
/// Most data rows accepted in one file.
pub const MAX_IMPORT_ROWS: usize = 1_000_000;
/// The progress callback fires every this many rows (and once at the end).
pub const PROGRESS_EVERY: usize = 10_000;

/// A problem with one row. `line` is the 1-based physical line where the
/// record starts (the header is line 1); `field` is our field name when the
/// problem is about one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RowError {
    pub line: u64,
    pub field: Option<String>,
    pub message: String,
}

/// Why a whole file was refused. `Display` is a message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportRefusal {
    #[error("{0}")]
    NotCsv(String),
    #[error(
        "The file is {} MB, over the {} MB limit. Split it into smaller files and import them one at a time.",
        size.div_ceil(1024 * 1024),
        limit / (1024 * 1024)
    )]
    TooLarge { size: usize, limit: usize },
    #[error(
        "The file has more than {limit} rows. Split it into files of at most {limit} rows and import them one at a time."
    )]
    TooManyRows { limit: usize },
    #[error(
        "The file is missing the required column{} {}. The first line must be a header row naming the columns, for example: source,body,title",
        if .0.len() == 1 { "" } else { "s" },
        .0.join(", ")
    )]
    MissingColumns(Vec<String>),
    #[error("The file is empty: there is no header row or no data rows to import.")]
    Empty,
}

/// Limits applied while reading; tests shrink them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_bytes: usize,
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: MAX_IMPORT_BYTES,
            max_rows: MAX_IMPORT_ROWS,
        }
    }
}

/// An opened CSV file: reader positioned after the header, raw headers.
pub(crate) struct CsvFile<'a> {
    reader: csv::Reader<&'a [u8]>,
    lines: LineCounter<'a>,
    /// Headers as written (BOM removed).
    pub headers: Vec<String>,
    /// Normalised headers (see [`normalize_header`]).
    pub normalized: Vec<String>,
}

/// Lowercases and drops surrounding spaces and every `_`, `-`, space.
pub(crate) fn normalize_header(h: &str) -> String {
    h.trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn line_of(bytes: &[u8], pos: usize) -> usize {
    bytes
        .get(..pos)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// Refuses binary / non-UTF-8 input; returns the text without a UTF-8 BOM.
pub(crate) fn check_text(bytes: &[u8], limits: Limits) -> Result<&[u8], ImportRefusal> {
    if bytes.len() > limits.max_bytes {
        return Err(ImportRefusal::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    const SAVE_AS: &str = "Export or save it as \"CSV UTF-8\" and upload that file.";
    let magic: &[(&[u8], &str)] = &[
        (b"\x89PNG", "This is a PNG image, not a CSV file."),
        (b"GIF8", "This is a GIF image, not a CSV file."),
        (b"\xFF\xD8\xFF", "This is a JPEG image, not a CSV file."),
        (b"%PDF", "This is a PDF document, not a CSV file."),
        (
            b"PK\x03\x04",
            "This looks like an Excel workbook (.xlsx) or a ZIP archive, not a CSV file.",
        ),
        (
            b"\xD0\xCF\x11\xE0",
            "This looks like an old Excel workbook (.xls), not a CSV file.",
        ),
        (
            b"\x1F\x8B",
            "This is a compressed (gzip) file, not a CSV file.",
        ),
        (
            b"\xFF\xFE",
            "This file is saved as UTF-16 text, which we can't read.",
        ),
        (
            b"\xFE\xFF",
            "This file is saved as UTF-16 text, which we can't read.",
        ),
    ];
    for (sig, what) in magic {
        if bytes.starts_with(sig) {
            return Err(ImportRefusal::NotCsv(format!("{what} {SAVE_AS}")));
        }
    }
    // `contains` on bytes is memchr-backed; find the position only on failure.
    if bytes.contains(&0) {
        let pos = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(ImportRefusal::NotCsv(format!(
            "This file contains binary data (a NUL byte on line {}), so it isn't a CSV text file. {SAVE_AS}",
            line_of(bytes, pos)
        )));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ImportRefusal::NotCsv(format!(
            "This file isn't UTF-8 text (unreadable characters on line {}). {SAVE_AS}",
            line_of(bytes, e.valid_up_to())
        )));
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportRefusal::Empty);
    }
    Ok(text)
}

/// Checks the bytes and reads the header row.
pub(crate) fn open_csv(bytes: &[u8], limits: Limits) -> Result<CsvFile<'_>, ImportRefusal> {
    let text = check_text(bytes, limits)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect(),
        Err(e) => return Err(csv_refusal(&e)),
    };
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportRefusal::Empty);
    }
    let normalized = headers.iter().map(|h| normalize_header(h)).collect();
    Ok(CsvFile {
        reader,
        lines: LineCounter {
            text,
            pos: 0,
            line: 1,
        },
        headers,
        normalized,
    })
}

/// Physical line numbers from byte offsets, counted incrementally.
///
/// csv's own `Position::line` is off by one after `\r\n` terminators (the
/// `\n` is consumed as part of the next record), so we count ourselves:
/// `\r\n`, lone `\n` and lone `\r` each end one line.
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, byte: u64) -> u64 {
        let len = self.text.len();
        let mut start = usize::try_from(byte).unwrap_or(len).min(len);
        while matches!(self.text.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if start <= self.pos {
            return self.line;
        }
        let seg = self.text.get(self.pos..start).unwrap_or_default();
        let mut n = 0u64;
        for (i, &b) in seg.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && self.text.get(self.pos + i + 1) != Some(&b'\n')) {
                n += 1;
            }
        }
        self.pos = start;
        self.line += n;
        self.line
    }
}

fn csv_refusal(e: &csv::Error) -> ImportRefusal {
    let line = e.position().map_or(0, |p| p.line());
    ImportRefusal::NotCsv(format!(
        "The file could not be read as CSV (near line {line}). Export it again as \"CSV UTF-8\" and upload that file."
    ))
}

impl CsvFile<'_> {
    /// Calls `f(line, record)` for each non-blank data row of the right
    /// width; rows of the wrong width become errors. Returns the number of
    /// data rows read. Refuses once more than `limits.max_rows` rows exist.
    pub(crate) fn for_each_row(
        &mut self,
        limits: Limits,
        errors: &mut Vec<RowError>,
        on_progress: &mut dyn FnMut(usize),
        mut f: impl FnMut(u64, &StringRecord),
    ) -> Result<usize, ImportRefusal> {
        let width = self.headers.len();
        let mut record = StringRecord::new();
        let mut rows = 0usize;
        loop {
            match self.reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_refusal(&e)),
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows += 1;
            if rows > limits.max_rows {
                return Err(ImportRefusal::TooManyRows {
                    limit: limits.max_rows,
                });
            }
            let line = match record.position() {
                Some(p) => self.lines.line_at(p.byte()),
                None => 0,
            };
            if record.len() != width {
                errors.push(RowError {
                    line,
                    field: None,
                    message: format!(
                        "This row has {} values but the header has {} columns; check for a missing or extra comma, or an unclosed quote",
                        record.len(),
                        width
                    ),
                });
            } else {
                f(line, &record);
            }
            if rows.is_multiple_of(PROGRESS_EVERY) {
                on_progress(rows);
            }
        }
        if !rows.is_multiple_of(PROGRESS_EVERY) {
            on_progress(rows);
        }
        Ok(rows)
    }

    /// First `n` non-blank records as owned strings (for previews).
    pub(crate) fn first_records(&mut self, n: usize) -> Result<Vec<Vec<String>>, ImportRefusal> {
        let mut out = Vec::new();
        let mut record = StringRecord::new();
        while out.len() < n {
            match self.reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_refusal(&e)),
            }
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            out.push(record.iter().map(str::to_string).collect());
        }
        Ok(out)
    }
}

/// Turns a row's field errors into [`RowError`]s (draining `fe`).
pub(crate) fn push_field_errors(line: u64, fe: &mut FieldErrors, errors: &mut Vec<RowError>) {
    for e in fe.0.drain(..) {
        errors.push(RowError {
            line,
            field: Some(e.field),
            message: e.message,
        });
    }
}
