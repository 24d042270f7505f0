//! The passes over a feedback file, each reading it from the start a row at a time, so memory
//! stays bounded whatever its size (#14): `check` finds every problem and learns what the file
//! as a whole decides (the day/month order of slashed dates, the accounts it names), keeping no
//! rows; a second look settles repeated external ids when two rows' keys hash alike; then
//! `read_valid` hands each valid row, its date read in the file's order, to the caller (staging
//! writes it to the `COPY`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::Read;

use time::{Duration, OffsetDateTime};

use super::csvfile::{
    CsvFile, ImportRefusal, Limits, RowError, check_stream, open_checked, push_field_errors,
};
use super::dates::{DateOrder, OrderEvidence, SlashDate};
use super::formats::ColumnMapping;
use super::input::ImportFile;
use super::parse::{DateReading, ReadRow, RowExtra, RowReader};
use crate::feedback::{NewFeedback, Source};

/// What checking a whole file found. Small: it keeps no rows.
#[derive(Debug)]
pub struct Checked {
    pub mapping: ColumnMapping,
    /// Every problem found, sorted by line.
    pub errors: Vec<RowError>,
    /// Data rows read (blank rows excluded).
    pub total_rows: usize,
    /// Rows that will be written (valid, not repeating an earlier row).
    pub valid_rows: usize,
    /// Each account as the file names it, with the lines (valid rows or not) naming it.
    pub accounts: BTreeMap<String, Vec<u64>>,
    /// Set when the file has dates written with slashes.
    pub dates: Option<DateReading>,
    /// Lines of valid rows that repeat an earlier row's external id (reported in `errors`).
    repeated: HashSet<u64>,
    /// Bytes of BOM before the text.
    bom: usize,
}

/// A valid row, ready to write.
pub struct ValidRow {
    pub line: u64,
    pub item: NewFeedback,
    pub extra: RowExtra,
    /// What the row says about its account.
    pub account_ref: Option<String>,
}

/// Opens the file after its BOM (the text was checked by [`check`]).
fn reopen(
    file: &ImportFile,
    bom: usize,
) -> Result<CsvFile<Box<dyn Read + Send + '_>>, ImportRefusal> {
    let mut r = file.open().map_err(|e| unreadable(&e))?;
    let mut skip = [0u8; 3];
    r.read_exact(&mut skip[..bom]).map_err(|e| unreadable(&e))?;
    open_checked(r)
}

fn unreadable(e: &std::io::Error) -> ImportRefusal {
    ImportRefusal::NotCsv(format!("The file could not be read ({e}). Try again."))
}

/// The key repeated external ids are found by.
fn key_hash(source: Source, external_id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut h);
    external_id.hash(&mut h);
    h.finish()
}

/// What a slashed date comes to in one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Fine,
    Unreadable,
    Future,
}

/// A valid row's slashed date that is wrong in at least one order (which order is decided
/// only once the whole file is read).
struct DateProblem {
    line: u64,
    written: String,
    month_first: Reading,
    day_first: Reading,
}

fn reading(d: &SlashDate, order: DateOrder, now: OffsetDateTime) -> Reading {
    match d.read(order) {
        None => Reading::Unreadable,
        Some(dt) if dt > now + Duration::days(1) => Reading::Future,
        Some(_) => Reading::Fine,
    }
}

/// First pass: every problem, and what the file decides as a whole. Progress counts rows read.
pub(crate) fn check(
    file: &ImportFile,
    default_source: Option<Source>,
    on_progress: &mut dyn FnMut(usize),
    now: OffsetDateTime,
    limits: Limits,
) -> Result<Checked, ImportRefusal> {
    let len = file.len().map_err(|e| unreadable(&e))?;
    let bom = check_stream(file.open().map_err(|e| unreadable(&e))?, len, limits)?;
    let mut csv = reopen(file, bom)?;
    let mut rows = RowReader::new(&csv, default_source, now)?;
    let mapping = rows.mapping(&csv.headers);
    let mut errors: Vec<RowError> = Vec::new();
    let mut row_errors: Vec<RowError> = Vec::new();
    let mut accounts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut evidence = OrderEvidence::default();
    let mut any_slashed = false;
    let mut problems: Vec<DateProblem> = Vec::new();
    // Keys of valid rows' (source, external id), and the keys seen twice: those rows are
    // compared exactly in a second look (a repeat, or two pairs that hash alike).
    let mut keys: HashSet<u64> = HashSet::new();
    let mut twice: HashSet<u64> = HashSet::new();
    let mut valid_rows = 0usize;

    let total_rows = csv.for_each_row(limits, &mut errors, on_progress, |line, rec| {
        let ReadRow {
            item,
            slash,
            account_ref,
            ..
        } = rows.read(rec);
        if let Some(a) = account_ref {
            accounts.entry(a).or_default().push(line);
        }
        if let Some((d, _)) = &slash {
            evidence.add(d);
        }
        let Some(item) = item else {
            push_field_errors(line, &mut rows.fe, &mut row_errors);
            return;
        };
        valid_rows += 1;
        if let Some(ext) = item.external_id.as_deref() {
            let h = key_hash(item.source, ext);
            if !keys.insert(h) {
                twice.insert(h);
            }
        }
        if let Some((d, written)) = slash {
            any_slashed = true;
            let (month_first, day_first) = (
                reading(&d, DateOrder::MonthFirst, now),
                reading(&d, DateOrder::DayFirst, now),
            );
            if (month_first, day_first) != (Reading::Fine, Reading::Fine) {
                problems.push(DateProblem {
                    line,
                    written,
                    month_first,
                    day_first,
                });
            }
        }
    })?;
    drop(keys);
    errors.append(&mut row_errors);
    if total_rows == 0 {
        return Err(ImportRefusal::Empty);
    }

    let repeated = if twice.is_empty() {
        HashSet::new()
    } else {
        find_repeats(file, bom, default_source, now, limits, &twice, &mut errors)?
    };
    valid_rows -= repeated.len();

    let dates = (evidence != OrderEvidence::default() || any_slashed).then(|| {
        let (order, ambiguous) = evidence.decide();
        DateReading { order, ambiguous }
    });
    if let Some(reading) = dates {
        for p in problems.iter().filter(|p| !repeated.contains(&p.line)) {
            let r = match reading.order {
                DateOrder::MonthFirst => p.month_first,
                DateOrder::DayFirst => p.day_first,
            };
            let message = match r {
                Reading::Fine => continue,
                Reading::Future => {
                    "The received date is in the future; use today's date or an earlier one".into()
                }
                Reading::Unreadable => format!(
                    "\"{}\" only reads as {}, but the other dates in the file read as {}; write every date the same way",
                    p.written,
                    reading.order.other().label(),
                    reading.order.label()
                ),
            };
            errors.push(RowError {
                line: p.line,
                field: Some("received_at".into()),
                message,
            });
        }
    }
    errors.sort_by_key(|e| e.line);

    Ok(Checked {
        mapping,
        errors,
        total_rows,
        valid_rows,
        accounts,
        dates,
        repeated,
        bom,
    })
}

/// Exact comparison of the valid rows whose keys hash alike: each true repeat of an earlier
/// row is an error naming that row's line. Returns the repeating lines.
#[derive(Default)]
pub(crate) struct Repeats {
    first: HashMap<(Source, String), u64>,
}

impl Repeats {
    /// The first line with the same pair, or `None` (then this row is the first).
    pub(crate) fn check(&mut self, source: Source, external_id: &str, line: u64) -> Option<u64> {
        match self.first.entry((source, external_id.to_owned())) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(line);
                None
            }
        }
    }
}

fn find_repeats(
    file: &ImportFile,
    bom: usize,
    default_source: Option<Source>,
    now: OffsetDateTime,
    limits: Limits,
    twice: &HashSet<u64>,
    errors: &mut Vec<RowError>,
) -> Result<HashSet<u64>, ImportRefusal> {
    let mut csv = reopen(file, bom)?;
    let mut rows = RowReader::new(&csv, default_source, now)?;
    let mut repeats = Repeats::default();
    let mut lines = HashSet::new();
    let mut ignored = Vec::new();
    csv.for_each_row(limits, &mut ignored, &mut |_| {}, |line, rec| {
        let row = rows.read(rec);
        rows.fe.0.clear();
        let Some(item) = row.item else { return };
        let Some(ext) = item.external_id.as_deref() else {
            return;
        };
        if !twice.contains(&key_hash(item.source, ext)) {
            return;
        }
        if let Some(first) = repeats.check(item.source, ext, line) {
            errors.push(RowError {
                line,
                field: Some("external_id".to_string()),
                message: format!(
                    "External ID \"{ext}\" appears twice for source {}: duplicate of line {first}",
                    item.source
                ),
            });
            lines.insert(line);
        }
    })?;
    Ok(lines)
}

/// Last pass: each valid row (repeats left out) with its slashed date read in the file's order,
/// in file order. Returns how many rows it handed over.
pub(crate) fn read_valid(
    file: &ImportFile,
    checked: &Checked,
    default_source: Option<Source>,
    now: OffsetDateTime,
    limits: Limits,
    mut f: impl FnMut(ValidRow),
) -> Result<usize, ImportRefusal> {
    let mut csv = reopen(file, checked.bom)?;
    let mut rows = RowReader::new(&csv, default_source, now)?;
    let mut handed = 0usize;
    let mut ignored = Vec::new();
    csv.for_each_row(limits, &mut ignored, &mut |_| {}, |line, rec| {
        let row = rows.read(rec);
        rows.fe.0.clear();
        let Some(mut item) = row.item else { return };
        if checked.repeated.contains(&line) {
            return;
        }
        let mut extra = RowExtra {
            reporter_email: row.reporter,
            received_at_alt: None,
        };
        if let (Some((d, _)), Some(reading)) = (row.slash, checked.dates) {
            match d.read(reading.order) {
                Some(dt) if dt > now + Duration::days(1) => {}
                Some(dt) => {
                    item.received_at = Some(dt);
                    if reading.ambiguous && d.is_ambiguous() {
                        extra.received_at_alt = d.read(reading.order.other());
                    }
                }
                None => {}
            }
        }
        handed += 1;
        f(ValidRow {
            line,
            item,
            extra,
            account_ref: row.account_ref,
        });
    })?;
    Ok(handed)
}
