//! Reading a feedback file in any of the formats: column plan and row validation (by the rules
//! of `crate::feedback`), one row at a time. The passes over a whole file are in `passes`.

use csv::StringRecord;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::csvfile::{CsvFile, ImportRefusal, Limits, RowError, open_csv};
use super::dates::{DateOrder, SlashDate};
use super::formats::{
    ColumnMapping, CsvFormat, Field, Target, detect_format, goldthread, nps_survey, productboard,
};
use super::input::ImportFile;
use super::passes;
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

/// Result of parsing a feedback CSV held in memory (tests, fuzzing). Commit `rows` only when
/// `errors` is empty. Staging streams the same passes instead of collecting rows.
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
    fn new<R: std::io::Read>(file: &CsvFile<R>) -> Result<Plan, ImportRefusal> {
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

/// One data row read by the rules of its format and of `crate::feedback`.
pub(crate) struct ReadRow {
    /// The item, when the row has no problem (its problems are in the reader's `fe` otherwise).
    /// A slashed date is not read yet: `received_at` is then empty and `slash` holds it.
    pub item: Option<NewFeedback>,
    /// The reporter's email, lowercased.
    pub reporter: Option<String>,
    /// The date as written with slashes, and how it parsed.
    pub slash: Option<(SlashDate, String)>,
    /// What the row says about its account (valid row or not).
    pub account_ref: Option<String>,
}

/// Reads rows by a file's column plan; the same for every pass over the file.
pub(crate) struct RowReader {
    plan: Plan,
    default_source: Option<Source>,
    now: OffsetDateTime,
    /// Problems of the row just read.
    pub fe: FieldErrors,
    synth: String,
}

impl RowReader {
    pub(crate) fn new<R: std::io::Read>(
        file: &CsvFile<R>,
        default_source: Option<Source>,
        now: OffsetDateTime,
    ) -> Result<RowReader, ImportRefusal> {
        Ok(RowReader {
            plan: Plan::new(file)?,
            default_source,
            now,
            fe: FieldErrors::default(),
            synth: String::new(),
        })
    }

    pub(crate) fn mapping(&self, headers: &[String]) -> ColumnMapping {
        self.plan.mapping(headers)
    }

    pub(crate) fn read(&mut self, rec: &StringRecord) -> ReadRow {
        let plan = &self.plan;
        let fe = &mut self.fe;
        let goldthread = plan.format == CsvFormat::Goldthread;
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
        let default_source = self.default_source;
        let mut default = default_source;
        let synth = &mut self.synth;
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
                    nps_survey::no_comment_body(score, synth);
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
        }
        .map(str::to_owned);

        // A slashed date is read once the whole file has said which order it uses.
        let slash = raw.received_at.and_then(SlashDate::parse);
        if let Some(d) = &slash
            && d.read(DateOrder::MonthFirst).is_none()
            && d.read(DateOrder::DayFirst).is_none()
        {
            fe.add(
                "received_at",
                format!(
                    "\"{}\" is not a real date in either day/month order",
                    raw.received_at.unwrap_or_default()
                ),
            );
        }
        let slash = slash.map(|d| (d, raw.received_at.unwrap_or_default().to_owned()));
        if slash.is_some() {
            raw.received_at = None;
        }

        let reporter = get(Field::Reporter);
        if let Some(e) = reporter
            && let Err(msg) = check_email(e)
        {
            fe.add("reporter_email", msg);
        }

        let item = validate_raw(&raw, default, metadata, self.now, fe);
        ReadRow {
            item: item.filter(|_| fe.is_empty()),
            reporter: reporter.map(str::to_lowercase),
            slash,
            account_ref,
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

/// Every valid row collected (the passes of [`super::passes`] over bytes in memory).
pub(crate) fn parse_with(
    bytes: &[u8],
    default_source: Option<Source>,
    on_progress: &mut dyn FnMut(usize),
    now: OffsetDateTime,
    limits: Limits,
) -> Result<ParsedImport, ImportRefusal> {
    let file = ImportFile::Bytes(bytes.to_vec());
    let checked = passes::check(&file, default_source, on_progress, now, limits)?;
    let mut rows = Vec::new();
    let mut extras = Vec::new();
    passes::read_valid(&file, &checked, default_source, now, limits, |row| {
        rows.push((row.line, row.item));
        extras.push(row.extra);
    })?;
    Ok(ParsedImport {
        mapping: checked.mapping,
        rows,
        extras,
        errors: checked.errors,
        total_rows: checked.total_rows,
        dates: checked.dates,
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
