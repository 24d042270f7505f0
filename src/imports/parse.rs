//! Reading a feedback file in any of the formats: column plan, row validation (by the rules
//! of `crate::feedback`), repeated external ids, slashed dates, and who and what each row names.

use std::collections::HashMap;

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use super::csvfile::{CsvFile, ImportRefusal, Limits, RowError, open_csv, push_field_errors};
use super::dates::{DateOrder, OrderEvidence, SlashDate};
use super::formats::{
    ColumnMapping, CsvFormat, Field, Target, detect_format, goldthread, nps_survey, productboard,
};
use crate::feedback::{NewFeedback, RawFeedback, Source, check_email, validate_raw};
use crate::validation::FieldErrors;
use crate::validation::clean;

/// What a valid row says beyond the feedback item itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowExtra {
    /// The user who logged the item, by email (matched when committing; unknown stays empty).
    pub reporter_email: Option<String>,
    /// The other reading of a slashed date both orders can read (see [`ParsedImport::dates`]).
    pub received_at_alt: Option<OffsetDateTime>,
}

/// How the file's slashed dates were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateReading {
    pub order: DateOrder,
    /// Every slashed date reads both ways: the person importing should choose.
    pub ambiguous: bool,
}

/// Result of parsing a feedback CSV. Commit `rows` only when `errors` is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedImport {
    pub mapping: ColumnMapping,
    /// Valid rows with the line each starts on, in file order.
    pub rows: Vec<(u64, NewFeedback)>,
    /// For each of `rows`, at the same index.
    pub extras: Vec<RowExtra>,
    /// Every problem found, sorted by line.
    pub errors: Vec<RowError>,
    /// Data rows read (blank rows excluded).
    pub total_rows: usize,
    /// (line, what the row says about its account) for every row, valid or not, that names one.
    pub account_refs: Vec<(u64, String)>,
    /// Set when the file has dates written with slashes.
    pub dates: Option<DateReading>,
}

/// Column plan for one file.
struct Plan {
    format: CsvFormat,
    targets: Vec<Target>,
    fields: [Option<usize>; Field::COUNT],
    meta_json: Option<usize>,
    meta_keys: Vec<(usize, &'static str)>,
    extras: Vec<(usize, String)>,
    origin: Option<usize>,
}

impl Plan {
    fn new(file: &CsvFile<'_>) -> Result<Plan, ImportRefusal> {
        let format = detect_format(&file.normalized);
        let mut plan = Plan {
            format,
            targets: Vec::with_capacity(file.headers.len()),
            fields: [None; Field::COUNT],
            meta_json: None,
            meta_keys: Vec::new(),
            extras: Vec::new(),
            origin: None,
        };
        for (i, n) in file.normalized.iter().enumerate() {
            let mut t = if n.is_empty() {
                Target::Ignore
            } else {
                format.target(n)
            };
            match t {
                Target::Field(f) => {
                    if plan.fields[f.index()].is_some() {
                        t = Target::Ignore; // a second column for the same field
                    } else {
                        plan.fields[f.index()] = Some(i);
                    }
                }
                Target::MetaJson => {
                    if plan.meta_json.is_some() {
                        t = Target::Ignore;
                    } else {
                        plan.meta_json = Some(i);
                    }
                }
                Target::MetaKey(k) => {
                    if plan.meta_keys.iter().any(|(_, key)| *key == k) {
                        t = Target::Ignore;
                    } else {
                        plan.meta_keys.push((i, k));
                        if k == "source_origin" {
                            plan.origin = Some(i);
                        }
                    }
                }
                Target::MetaExtra => {
                    let key = file.headers[i].trim().to_string();
                    plan.extras.push((i, key));
                }
                Target::Ignore => {}
            }
            plan.targets.push(t);
        }
        let required = format.required();
        if plan.fields[required.0.index()].is_none() {
            return Err(ImportRefusal::MissingColumns(vec![required.1.to_string()]));
        }
        Ok(plan)
    }

    fn mapping(&self, headers: &[String]) -> ColumnMapping {
        ColumnMapping {
            format: self.format,
            columns: headers
                .iter()
                .zip(&self.targets)
                .map(|(h, t)| (h.clone(), t.name()))
                .collect(),
        }
    }
}

/// Finds repeated `(source, external_id)` pairs while rows are read.
///
/// The main map is keyed by a 64-bit hash of the pair and points at the row
/// index, so lookups touch the row only on a hit (then compared exactly);
/// the rare different pairs with the same hash go to an exact fallback map.
#[derive(Default)]
struct Dedup {
    by_hash: HashMap<u64, usize>,
    collided: HashMap<(Source, String), u64>,
}

impl Dedup {
    /// `Some(first_line)` if `item` repeats an earlier row's pair; otherwise
    /// records it as the row about to be pushed at `rows.len()` (on `line`).
    fn check(&mut self, rows: &[(u64, NewFeedback)], line: u64, item: &NewFeedback) -> Option<u64> {
        use std::hash::{BuildHasher, Hash, Hasher};
        let ext = item.external_id.as_deref()?;
        let mut h = self.by_hash.hasher().build_hasher();
        item.source.hash(&mut h);
        ext.hash(&mut h);
        let key = h.finish();
        match self.by_hash.get(&key).and_then(|&i| rows.get(i)) {
            None => {
                self.by_hash.insert(key, rows.len());
                None
            }
            Some((first_line, first))
                if first.source == item.source && first.external_id.as_deref() == Some(ext) =>
            {
                Some(*first_line)
            }
            Some(_) => match self.collided.entry((item.source, ext.to_string())) {
                std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(line);
                    None
                }
            },
        }
    }
}

/// Parses a feedback CSV in any supported format. Refuses the whole file
/// only for file-level problems; row problems are listed in `errors`.
pub fn parse_feedback_csv(
    bytes: &[u8],
    default_source: Option<Source>,
    on_progress: &mut dyn FnMut(usize),
) -> Result<ParsedImport, ImportRefusal> {
    parse_with(
        bytes,
        default_source,
        on_progress,
        OffsetDateTime::now_utc(),
        Limits::default(),
    )
}

pub(crate) fn parse_with(
    bytes: &[u8],
    default_source: Option<Source>,
    on_progress: &mut dyn FnMut(usize),
    now: OffsetDateTime,
    limits: Limits,
) -> Result<ParsedImport, ImportRefusal> {
    let mut file = open_csv(bytes, limits)?;
    let plan = Plan::new(&file)?;
    let mapping = plan.mapping(&file.headers);
    // Upper bound on rows (one per line), so the big vector never regrows.
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut rows: Vec<(u64, NewFeedback)> = Vec::with_capacity(lines.min(limits.max_rows));
    let mut extras: Vec<RowExtra> = Vec::with_capacity(lines.min(limits.max_rows));
    let mut dedup = Dedup::default();
    let mut errors: Vec<RowError> = Vec::new();
    let mut row_errors: Vec<RowError> = Vec::new();
    let mut account_refs: Vec<(u64, String)> = Vec::new();
    let mut evidence = OrderEvidence::default();
    // (index in `rows`, line, the date as written, the date) of valid rows with slashed dates.
    let mut slashed: Vec<(usize, u64, String, SlashDate)> = Vec::new();
    let mut fe = FieldErrors::default();
    let mut synth = String::new();
    let goldthread = plan.format == CsvFormat::Goldthread;

    let total_rows = file.for_each_row(limits, &mut errors, on_progress, |line, rec| {
        let get = |f: Field| -> Option<&str> {
            let v = clean(plan.fields[f.index()].and_then(|i| rec.get(i)));
            if goldthread {
                v.map(goldthread::unescape_cell)
            } else {
                v
            }
        };

        let mut metadata = Map::new();
        if let Some(raw) = plan.meta_json.and_then(|i| clean(rec.get(i))) {
            match serde_json::from_str::<Value>(raw) {
                Ok(Value::Object(m)) => metadata = m,
                Ok(Value::Null) => {}
                _ => fe.add(
                    "metadata",
                    "The metadata column must hold a JSON object, for example {\"plan\": \"pro\"}",
                ),
            }
        }
        for (i, key) in &plan.meta_keys {
            if let Some(v) = clean(rec.get(*i)) {
                metadata.insert((*key).to_string(), Value::String(v.to_string()));
            }
        }
        for (i, key) in &plan.extras {
            if let Some(v) = clean(rec.get(*i)) {
                metadata.insert(key.clone(), Value::String(v.to_string()));
            }
        }

        let mut raw = RawFeedback {
            source: get(Field::Source),
            body: get(Field::Body),
            external_id: get(Field::ExternalId),
            title: get(Field::Title),
            account_external_id: get(Field::AccountExternalId),
            contact_email: get(Field::ContactEmail),
            received_at: get(Field::ReceivedAt),
            nps_score: get(Field::NpsScore),
        };
        let mut default = default_source;
        match plan.format {
            CsvFormat::Goldthread => {}
            CsvFormat::Productboard => {
                let origin = plan.origin.and_then(|i| clean(rec.get(i)));
                raw.source = Some(productboard::source(origin, default_source).as_str());
                raw.account_external_id = None;
            }
            CsvFormat::Quackback => {
                raw.source = Some(default_source.unwrap_or(Source::Other).as_str());
            }
            CsvFormat::NpsSurvey => {
                raw.source = Some(Source::Nps.as_str());
                default = None;
                if raw.body.is_none()
                    && let Some(score) = raw.nps_score
                {
                    nps_survey::no_comment_body(score, &mut synth);
                    raw.body = Some(synth.as_str());
                }
            }
        }
        let account_ref = match plan.format {
            CsvFormat::Productboard => metadata
                .get("company_domain")
                .or_else(|| metadata.get("company_name"))
                .and_then(Value::as_str),
            _ => raw.account_external_id,
        };
        if let Some(a) = account_ref {
            account_refs.push((line, a.to_owned()));
        }

        // A slashed date is read once the whole file has said which order it uses.
        let slash = raw.received_at.and_then(SlashDate::parse);
        if let Some(d) = &slash {
            evidence.add(d);
            if d.read(DateOrder::MonthFirst).is_none() && d.read(DateOrder::DayFirst).is_none() {
                fe.add(
                    "received_at",
                    format!(
                        "\"{}\" is not a real date in either day/month order",
                        raw.received_at.unwrap_or_default()
                    ),
                );
            }
        }
        let written_date = slash.and(raw.received_at);
        if slash.is_some() {
            raw.received_at = None;
        }

        let reporter = get(Field::Reporter);
        if let Some(e) = reporter
            && let Err(msg) = check_email(e)
        {
            fe.add("reporter_email", msg);
        }

        let item = validate_raw(&raw, default, metadata, now, &mut fe);
        match item {
            Some(item) if fe.is_empty() => match dedup.check(&rows, line, &item) {
                Some(first) => row_errors.push(RowError {
                    line,
                    field: Some("external_id".to_string()),
                    message: format!(
                        "External ID \"{}\" appears twice for source {}: duplicate of line {first}",
                        item.external_id.as_deref().unwrap_or_default(),
                        item.source
                    ),
                }),
                None => {
                    if let (Some(d), Some(w)) = (slash, written_date) {
                        slashed.push((rows.len(), line, w.to_owned(), d));
                    }
                    rows.push((line, item));
                    extras.push(RowExtra {
                        reporter_email: reporter.map(str::to_lowercase),
                        received_at_alt: None,
                    });
                }
            },
            _ => push_field_errors(line, &mut fe, &mut row_errors),
        }
    })?;
    errors.append(&mut row_errors);

    if total_rows == 0 {
        return Err(ImportRefusal::Empty);
    }

    let dates = (evidence != OrderEvidence::default() || !slashed.is_empty()).then(|| {
        let (order, ambiguous) = evidence.decide();
        DateReading { order, ambiguous }
    });
    if let Some(reading) = dates {
        for (i, line, written, d) in slashed {
            match d.read(reading.order) {
                Some(dt) if dt > now + Duration::days(1) => errors.push(RowError {
                    line,
                    field: Some("received_at".into()),
                    message: "The received date is in the future; use today's date or an earlier one".into(),
                }),
                Some(dt) => {
                    rows[i].1.received_at = Some(dt);
                    if reading.ambiguous && d.is_ambiguous() {
                        extras[i].received_at_alt = d.read(reading.order.other());
                    }
                }
                None => errors.push(RowError {
                    line,
                    field: Some("received_at".into()),
                    message: format!(
                        "\"{written}\" only reads as {}, but the other dates in the file read as {}; write every date the same way",
                        reading.order.other().label(),
                        reading.order.label()
                    ),
                }),
            }
        }
    }

    errors.sort_by_key(|e| e.line);

    Ok(ParsedImport {
        mapping,
        rows,
        extras,
        errors,
        total_rows,
        account_refs,
        dates,
    })
}

/// Detects the format and returns the mapping plus the first `n` raw
/// records (cells as written) for a preview table.
pub fn preview(bytes: &[u8], n: usize) -> Result<(ColumnMapping, Vec<Vec<String>>), ImportRefusal> {
    let mut file = open_csv(bytes, Limits::default())?;
    let plan = Plan::new(&file)?;
    let mapping = plan.mapping(&file.headers);
    let records = file.first_records(n)?;
    Ok((mapping, records))
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
