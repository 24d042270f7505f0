//! CSV import of feedback: format detection, column mapping, row validation.
//!
//! The same low-level plumbing (size limit, binary / encoding refusal, BOM,
//! header normalisation, physical line numbers, row limit) is shared with
//! the account importer in `crate::accounts`.
//!
//! # Accepted formats
//!
//! Headers are matched case-insensitively, ignoring surrounding spaces and
//! any `_`, `-` or space inside (so `External ID`, `external_id` and
//! `external-id` are the same column). The format is detected from the
//! header row:
//!
//! * **Goldthread** (our own export): `source, external_id, body, title,
//!   account_external_id, contact_email, received_at, nps_score`. Only
//!   `body` must be present as a column; an empty or missing `source` is
//!   filled from `default_source` (a row error when there is none). A
//!   `metadata` column holding a JSON object is merged into metadata. The
//!   export-only columns `id, account_name, reporter_email,
//!   arr_cents_snapshot, currency_snapshot, themes` are ignored. Any other column is kept in metadata
//!   as a string under its header. A leading `'` that our export adds in
//!   front of `= + - @` (spreadsheet formula protection) is removed.
//! * **Productboard** notes export. The public Productboard notes fields are
//!   title, content, user/customer email, company (domain or name), source
//!   (origin + record id), tags and creation date; exports and hand-made
//!   sheets name them differently, so these variants are accepted:
//!   title (`title`, `note title`, `name`), body (`content`, `note text`,
//!   `note content`, `text`, `note`, `description`), contact_email
//!   (`user email`, `customer email`, `email`, `said by`), metadata
//!   `company_domain` (`company domain`, `domain`; account_external_id
//!   stays empty, the app resolves domains), metadata `company_name`
//!   (`company name`, `company`), metadata `source_origin` (`source origin`,
//!   `origin`, `source system`; also becomes our source when it is one of
//!   ours, else `default_source`, else `other`), external_id (`source record
//!   id`, `record id`, `source id`), received_at (`created at`, `note date`,
//!   `created`, `date`), metadata `tags` (`tags`, `note tags`). Everything
//!   else (note id, owner, display url, …) is kept in metadata.
//! * **Quackback** intermediate `posts.csv` (its documented import format):
//!   `id` → external_id, `title`, `body`/`content` → body, `author_email` →
//!   contact_email, `created_at` → received_at, `author_name`, `board`,
//!   `status`, `tags` → metadata under those keys; `moderation, roadmap,
//!   vote_count, response, response_at, response_by` and anything else are
//!   kept in metadata. Source is `default_source`, else `other`.
//! * **NPS survey** export: score (`score`, `nps`, `nps_score`, `rating`,
//!   `likelihood to recommend`, any header starting with "how likely"),
//!   comment (`comment(s)`, `feedback`, `reason`, `response`, `text`, or a
//!   question header containing "reason"), `email`, account (`account`,
//!   `company`, `account id`, …) → account_external_id, date (`date`,
//!   `submitted at`, `created at`, `timestamp`, …) → received_at, `response
//!   id`/`id` → external_id. Source is always `nps`. A response with a score
//!   and an empty comment is kept with body `"NPS {score} (no comment)"`.
//!
//! Rows whose cells are all empty are skipped and not counted. A row with
//! a different number of cells than the header is an error for that line.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::feedback::{NewFeedback, RawFeedback, Source, parse_score, validate_raw};
use crate::validation::FieldErrors;
use crate::validation::clean;

/// Largest accepted upload.
pub const MAX_IMPORT_BYTES: usize = 200 * 1024 * 1024;
/// Most data rows accepted in one file.
pub const MAX_IMPORT_ROWS: usize = 1_000_000;
/// The progress callback fires every this many rows (and once at the end).
pub const PROGRESS_EVERY: usize = 10_000;

/// Which kind of file was recognised from its header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvFormat {
    Goldthread,
    Productboard,
    Quackback,
    NpsSurvey,
}

impl CsvFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            CsvFormat::Goldthread => "goldthread",
            CsvFormat::Productboard => "productboard",
            CsvFormat::Quackback => "quackback",
            CsvFormat::NpsSurvey => "nps_survey",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CsvFormat::Goldthread => "Goldthread CSV",
            CsvFormat::Productboard => "Productboard notes export",
            CsvFormat::Quackback => "Quackback posts",
            CsvFormat::NpsSurvey => "NPS survey export",
        }
    }
}

/// How each column of the file is used.
///
/// `columns[i]` is `(header as written in the file, target)`. Targets are our
/// field names (`"source"`, `"body"`, `"external_id"`, `"title"`,
/// `"account_external_id"`, `"contact_email"`, `"received_at"`,
/// `"nps_score"`), `"metadata"` for a JSON-object column merged into
/// metadata, `"metadata.<key>"` for a value stored under a fixed metadata key
/// (e.g. `"metadata.company_domain"`), `"metadata.*"` for a value stored under
/// its own header, and `None` for an ignored column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnMapping {
    pub format: CsvFormat,
    pub columns: Vec<(String, Option<&'static str>)>,
}

impl ColumnMapping {
    /// Target of the column whose header is exactly `header`.
    pub fn target_of(&self, header: &str) -> Option<&'static str> {
        self.columns
            .iter()
            .find(|(h, _)| h == header)
            .and_then(|(_, t)| *t)
    }

    /// Header in the file that feeds `target`, if any.
    pub fn header_for(&self, target: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(_, t)| *t == Some(target))
            .map(|(h, _)| h.as_str())
    }
}

/// A problem with one row. `line` is the 1-based physical line where the
/// record starts (the header is line 1); `field` is our field name when the
/// problem is about one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// Result of parsing a feedback CSV. Commit `rows` only when `errors` is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedImport {
    pub mapping: ColumnMapping,
    /// Valid rows with the line each starts on, in file order.
    pub rows: Vec<(u64, NewFeedback)>,
    /// Every problem found, sorted by line.
    pub errors: Vec<RowError>,
    /// Data rows read (blank rows excluded).
    pub total_rows: usize,
}

pub(crate) use super::csvfile::*;

// ---------------------------------------------------------------------------
// Feedback column mapping.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Source,
    Body,
    ExternalId,
    Title,
    AccountExternalId,
    ContactEmail,
    ReceivedAt,
    NpsScore,
}

impl Field {
    const COUNT: usize = 8;

    fn name(self) -> &'static str {
        match self {
            Field::Source => "source",
            Field::Body => "body",
            Field::ExternalId => "external_id",
            Field::Title => "title",
            Field::AccountExternalId => "account_external_id",
            Field::ContactEmail => "contact_email",
            Field::ReceivedAt => "received_at",
            Field::NpsScore => "nps_score",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Field(Field),
    /// A JSON object merged into metadata.
    MetaJson,
    /// Stored under a fixed metadata key.
    MetaKey(&'static str),
    /// Stored under its own header.
    MetaExtra,
    Ignore,
}

fn meta_name(key: &'static str) -> &'static str {
    match key {
        "company_domain" => "metadata.company_domain",
        "company_name" => "metadata.company_name",
        "source_origin" => "metadata.source_origin",
        "tags" => "metadata.tags",
        "author_name" => "metadata.author_name",
        "board" => "metadata.board",
        "status" => "metadata.status",
        _ => "metadata.*",
    }
}

impl Target {
    fn name(self) -> Option<&'static str> {
        match self {
            Target::Field(f) => Some(f.name()),
            Target::MetaJson => Some("metadata"),
            Target::MetaKey(k) => Some(meta_name(k)),
            Target::MetaExtra => Some("metadata.*"),
            Target::Ignore => None,
        }
    }
}

fn goldthread_target(n: &str) -> Target {
    match n {
        "source" => Target::Field(Field::Source),
        "externalid" => Target::Field(Field::ExternalId),
        "body" => Target::Field(Field::Body),
        "title" => Target::Field(Field::Title),
        "accountexternalid" => Target::Field(Field::AccountExternalId),
        "contactemail" => Target::Field(Field::ContactEmail),
        "receivedat" => Target::Field(Field::ReceivedAt),
        "npsscore" => Target::Field(Field::NpsScore),
        "metadata" => Target::MetaJson,
        "id" | "accountname" | "reporteremail" | "arrcentssnapshot" | "currencysnapshot"
        | "themes" => Target::Ignore,
        _ => Target::MetaExtra,
    }
}

fn productboard_target(n: &str) -> Target {
    match n {
        "title" | "notetitle" | "name" | "notename" => Target::Field(Field::Title),
        "content" | "notecontent" | "notetext" | "text" | "note" | "description" | "body" => {
            Target::Field(Field::Body)
        }
        "useremail" | "customeremail" | "email" | "saidby" | "saidbyemail" => {
            Target::Field(Field::ContactEmail)
        }
        "companydomain" | "domain" => Target::MetaKey("company_domain"),
        "companyname" | "company" => Target::MetaKey("company_name"),
        "sourceorigin" | "origin" | "sourcesystem" | "source" => Target::MetaKey("source_origin"),
        "sourcerecordid" | "recordid" | "sourceid" => Target::Field(Field::ExternalId),
        "createdat" | "notedate" | "created" | "date" | "createddate" | "notecreatedat" => {
            Target::Field(Field::ReceivedAt)
        }
        "tags" | "notetags" | "tag" => Target::MetaKey("tags"),
        _ => Target::MetaExtra,
    }
}

fn quackback_target(n: &str) -> Target {
    match n {
        "id" | "postid" => Target::Field(Field::ExternalId),
        "title" => Target::Field(Field::Title),
        "body" | "content" | "details" | "description" => Target::Field(Field::Body),
        "authoremail" | "email" => Target::Field(Field::ContactEmail),
        "createdat" | "created" => Target::Field(Field::ReceivedAt),
        "authorname" => Target::MetaKey("author_name"),
        "board" => Target::MetaKey("board"),
        "status" => Target::MetaKey("status"),
        "tags" => Target::MetaKey("tags"),
        _ => Target::MetaExtra,
    }
}

fn is_nps_score_header(n: &str) -> bool {
    matches!(
        n,
        "score" | "nps" | "npsscore" | "rating" | "likelihoodtorecommend" | "npsrating"
    ) || n.starts_with("howlikely")
}

fn nps_target(n: &str) -> Target {
    if is_nps_score_header(n) {
        return Target::Field(Field::NpsScore);
    }
    match n {
        "comment" | "comments" | "feedback" | "reason" | "response" | "text" | "answer" => {
            Target::Field(Field::Body)
        }
        "email" | "emailaddress" | "respondentemail" | "contactemail" | "useremail"
        | "customeremail" => Target::Field(Field::ContactEmail),
        "account" | "company" | "accountid" | "companyid" | "accountexternalid" | "accountname"
        | "companyname" => Target::Field(Field::AccountExternalId),
        "date" | "submittedat" | "createdat" | "submitted" | "timestamp" | "responsedate"
        | "receivedat" | "completedat" | "surveydate" | "respondedat" => {
            Target::Field(Field::ReceivedAt)
        }
        "responseid" | "id" | "externalid" => Target::Field(Field::ExternalId),
        _ if n.contains("reason") => Target::Field(Field::Body),
        _ => Target::MetaExtra,
    }
}

fn detect_format(normalized: &[String]) -> CsvFormat {
    let has = |set: &[&str]| normalized.iter().any(|n| set.contains(&n.as_str()));
    if has(&[
        "source",
        "externalid",
        "accountexternalid",
        "contactemail",
        "receivedat",
    ]) {
        CsvFormat::Goldthread
    } else if has(&[
        "authoremail",
        "authorname",
        "board",
        "moderation",
        "votecount",
        "roadmap",
        "responseat",
        "responseby",
    ]) {
        CsvFormat::Quackback
    } else if has(&[
        "content",
        "notetitle",
        "notetext",
        "notecontent",
        "useremail",
        "customeremail",
        "companydomain",
        "sourceorigin",
        "sourcerecordid",
        "notedate",
        "saidby",
        "displayurl",
        "noteid",
        "notetags",
    ]) {
        CsvFormat::Productboard
    } else if has(&["body"]) {
        CsvFormat::Goldthread
    } else if normalized.iter().any(|n| is_nps_score_header(n)) {
        CsvFormat::NpsSurvey
    } else {
        CsvFormat::Goldthread
    }
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
                match format {
                    CsvFormat::Goldthread => goldthread_target(n),
                    CsvFormat::Productboard => productboard_target(n),
                    CsvFormat::Quackback => quackback_target(n),
                    CsvFormat::NpsSurvey => nps_target(n),
                }
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
        let required = match format {
            CsvFormat::NpsSurvey => (Field::NpsScore, "score"),
            CsvFormat::Productboard => (Field::Body, "content"),
            CsvFormat::Goldthread | CsvFormat::Quackback => (Field::Body, "body"),
        };
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

/// Removes the `'` our export puts before `= + - @` (formula protection).
fn unescape_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
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
    let mut dedup = Dedup::default();
    let mut errors: Vec<RowError> = Vec::new();
    let mut row_errors: Vec<RowError> = Vec::new();
    let mut fe = FieldErrors::default();
    let mut synth = String::new();
    let goldthread = plan.format == CsvFormat::Goldthread;

    let total_rows = file.for_each_row(limits, &mut errors, on_progress, |line, rec| {
        let get = |f: Field| -> Option<&str> {
            let v = clean(plan.fields[f.index()].and_then(|i| rec.get(i)));
            if goldthread { v.map(unescape_cell) } else { v }
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
                let origin = plan
                    .origin
                    .and_then(|i| clean(rec.get(i)))
                    .and_then(|o| o.parse::<Source>().ok());
                let src = origin.or(default_source).unwrap_or(Source::Other);
                raw.source = Some(src.as_str());
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
                    synth.clear();
                    match parse_score(score) {
                        Some(n) => {
                            let _ = write!(synth, "NPS {n} (no comment)");
                        }
                        None => {
                            let _ = write!(synth, "NPS {score} (no comment)");
                        }
                    }
                    raw.body = Some(synth.as_str());
                }
            }
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
                None => rows.push((line, item)),
            },
            _ => push_field_errors(line, &mut fe, &mut row_errors),
        }
    })?;
    errors.append(&mut row_errors);

    if total_rows == 0 {
        return Err(ImportRefusal::Empty);
    }

    errors.sort_by_key(|e| e.line);

    Ok(ParsedImport {
        mapping,
        rows,
        errors,
        total_rows,
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
#[path = "import_tests.rs"]
mod tests;
