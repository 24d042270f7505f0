//! Reading CSV files safely: size and text checks, BOM, header normalisation, physical line
//! numbers, per-row errors, and the refusals a whole file can meet. Every format reads through it.

use std::io::Read;

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
pub(crate) struct CsvFile<R> {
    reader: csv::Reader<LineCounter<R>>,
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

/// Bytes read per step while checking a file.
const CHECK_CHUNK: usize = 1 << 20;

/// Fills `buf` from `r` as far as the input goes; returns how many bytes it holds.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn unreadable(e: &std::io::Error) -> ImportRefusal {
    ImportRefusal::NotCsv(format!("The file could not be read ({e}). Try again."))
}

/// Refuses binary / non-UTF-8 input, read a chunk at a time from `r` (`len` bytes in all);
/// returns the length of the UTF-8 BOM to skip (0 or 3). A NUL byte anywhere is reported
/// before a UTF-8 problem, as a whole-file check would.
pub(crate) fn check_stream(
    mut r: impl Read,
    len: u64,
    limits: Limits,
) -> Result<usize, ImportRefusal> {
    if len > limits.max_bytes as u64 {
        return Err(ImportRefusal::TooLarge {
            size: usize::try_from(len).unwrap_or(usize::MAX),
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
    // Room for an incomplete UTF-8 sequence carried over from the previous chunk.
    let mut buf = vec![0u8; CHECK_CHUNK + 4];
    let mut carry = 0usize;
    let mut first = true;
    let mut bom = 0usize;
    // Line breaks before the current chunk (line numbers are 1 + the breaks before a byte).
    let mut lines_before = 0usize;
    let mut bad_utf8_line: Option<usize> = None;
    let mut only_whitespace = true;
    loop {
        let n =
            read_full(&mut r, &mut buf[carry..carry + CHECK_CHUNK]).map_err(|e| unreadable(&e))?;
        let at_end = n < CHECK_CHUNK;
        let data = &buf[..carry + n];
        // The carried bytes were counted with the previous chunk.
        let fresh = &data[carry..];
        let first_chunk = first;
        if first {
            first = false;
            for (sig, what) in magic {
                if data.starts_with(sig) {
                    return Err(ImportRefusal::NotCsv(format!("{what} {SAVE_AS}")));
                }
            }
            if data.starts_with(b"\xEF\xBB\xBF") {
                bom = 3;
            }
        }
        // `contains` on bytes is memchr-backed; find the position only on failure.
        if fresh.contains(&0) {
            let pos = fresh.iter().position(|&b| b == 0).unwrap_or(0);
            let line = lines_before + fresh[..pos].iter().filter(|&&c| c == b'\n').count() + 1;
            return Err(ImportRefusal::NotCsv(format!(
                "This file contains binary data (a NUL byte on line {line}), so it isn't a CSV text file. {SAVE_AS}"
            )));
        }
        let text_start = if first_chunk { bom.min(fresh.len()) } else { 0 };
        if only_whitespace && !fresh[text_start..].iter().all(u8::is_ascii_whitespace) {
            only_whitespace = false;
        }
        let mut next_carry = 0;
        if bad_utf8_line.is_none() {
            match std::str::from_utf8(data) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() && !at_end => {
                    next_carry = data.len() - e.valid_up_to()
                }
                Err(e) => {
                    let pos = e.valid_up_to();
                    let breaks_in_carry = data[..carry].iter().filter(|&&c| c == b'\n').count();
                    bad_utf8_line = Some(
                        lines_before - breaks_in_carry
                            + data[..pos].iter().filter(|&&c| c == b'\n').count()
                            + 1,
                    );
                }
            }
        }
        lines_before += fresh.iter().filter(|&&c| c == b'\n').count();
        if at_end {
            break;
        }
        let keep = data.len() - next_carry;
        buf.copy_within(keep..keep + next_carry, 0);
        carry = next_carry;
    }
    if let Some(line) = bad_utf8_line {
        return Err(ImportRefusal::NotCsv(format!(
            "This file isn't UTF-8 text (unreadable characters on line {line}). {SAVE_AS}"
        )));
    }
    if only_whitespace {
        return Err(ImportRefusal::Empty);
    }
    Ok(bom)
}

/// Refuses binary / non-UTF-8 input; returns the text without a UTF-8 BOM.
pub(crate) fn check_text(bytes: &[u8], limits: Limits) -> Result<&[u8], ImportRefusal> {
    let bom = check_stream(bytes, bytes.len() as u64, limits)?;
    Ok(&bytes[bom..])
}

/// Checks the bytes and reads the header row.
pub(crate) fn open_csv(bytes: &[u8], limits: Limits) -> Result<CsvFile<&[u8]>, ImportRefusal> {
    open_checked(check_text(bytes, limits)?)
}

/// Reads the header row of text already checked (by [`check_stream`]), its BOM skipped.
pub(crate) fn open_checked<R: Read>(text: R) -> Result<CsvFile<R>, ImportRefusal> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineCounter {
            inner: text,
            seen: Vec::new(),
            seen_start: 0,
            pos: 0,
            line: 1,
        });
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
        headers,
        normalized,
    })
}

/// Physical line numbers from byte offsets, counted incrementally as the CSV reader reads.
///
/// csv's own `Position::line` is off by one after `\r\n` terminators (the
/// `\n` is consumed as part of the next record), so we count ourselves:
/// `\r\n`, lone `\n` and lone `\r` each end one line. Only the bytes not yet counted are
/// kept (the reader's buffer and the current record).
struct LineCounter<R> {
    inner: R,
    /// Bytes read and not yet counted past, from offset `seen_start`.
    seen: Vec<u8>,
    seen_start: u64,
    /// Lines are counted up to this offset.
    pos: u64,
    line: u64,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<R> LineCounter<R> {
    fn line_at(&mut self, byte: u64) -> u64 {
        let end = self.seen_start + self.seen.len() as u64;
        let at = |c: &Self, i: u64| c.seen.get((i - c.seen_start) as usize).copied();
        let mut start = byte.clamp(self.pos, end);
        while matches!(at(self, start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        if start <= self.pos {
            return self.line;
        }
        let from = (self.pos - self.seen_start) as usize;
        let to = (start - self.seen_start) as usize;
        let mut n = 0u64;
        for i in from..to {
            let b = self.seen[i];
            if b == b'\n' || (b == b'\r' && self.seen.get(i + 1) != Some(&b'\n')) {
                n += 1;
            }
        }
        self.pos = start;
        self.line += n;
        // Forget what is counted, now and then (not per record: that would move the buffer).
        if to > 1 << 16 {
            self.seen.drain(..to);
            self.seen_start = start;
        }
        self.line
    }
}

fn csv_refusal(e: &csv::Error) -> ImportRefusal {
    let line = e.position().map_or(0, |p| p.line());
    ImportRefusal::NotCsv(format!(
        "The file could not be read as CSV (near line {line}). Export it again as \"CSV UTF-8\" and upload that file."
    ))
}

impl<R: Read> CsvFile<R> {
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
                Some(p) => self.reader.get_mut().line_at(p.byte()),
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

#[cfg(test)]
#[path = "csvfile_tests.rs"]
mod tests;
