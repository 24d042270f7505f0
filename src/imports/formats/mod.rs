//! The file formats we read, each in a file of its own, and how one is recognised.
//!
//! Headers are matched case-insensitively, ignoring surrounding spaces and
//! any `_`, `-` or space inside (so `External ID`, `external_id` and
//! `external-id` are the same column). The feedback format is detected from
//! the header row (see [`detect_format`]); accounts files are chosen by the
//! person importing them.
//!
//! Rows whose cells are all empty are skipped and not counted. A row with
//! a different number of cells than the header is an error for that line.

pub mod accounts;
pub mod goldthread;
pub mod nps_survey;
pub mod productboard;
pub mod quackback;

use serde::Serialize;

/// Which kind of feedback file was recognised from its header row.
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

    /// Where this format's column for `n` (a normalised header) goes.
    pub(crate) fn target(self, n: &str) -> Target {
        match self {
            CsvFormat::Goldthread => goldthread::target(n),
            CsvFormat::Productboard => productboard::target(n),
            CsvFormat::Quackback => quackback::target(n),
            CsvFormat::NpsSurvey => nps_survey::target(n),
        }
    }

    /// The column a file of this format cannot do without, as the user would name it.
    pub(crate) fn required(self) -> (Field, &'static str) {
        match self {
            CsvFormat::NpsSurvey => (Field::NpsScore, "score"),
            CsvFormat::Productboard => (Field::Body, "content"),
            CsvFormat::Goldthread | CsvFormat::Quackback => (Field::Body, "body"),
        }
    }

    /// Whether the account column names an account loosely (a company name, domain or CRM
    /// id): an unmatched one is a warning, not an error as in our own format.
    pub fn account_is_loose(self) -> bool {
        matches!(self, CsvFormat::Productboard | CsvFormat::NpsSurvey)
    }
}

/// How each column of the file is used.
///
/// `columns[i]` is `(header as written in the file, target)`. Targets are our
/// field names (`"source"`, `"body"`, `"external_id"`, `"title"`,
/// `"account_external_id"`, `"contact_email"`, `"received_at"`,
/// `"nps_score"`, `"reporter_email"`), `"metadata"` for a JSON-object column merged into
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

/// One of our feedback fields a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Source,
    Body,
    ExternalId,
    Title,
    AccountExternalId,
    ContactEmail,
    ReceivedAt,
    NpsScore,
    /// The person who logged the item (a user, matched by email).
    Reporter,
}

impl Field {
    pub(crate) const COUNT: usize = 9;

    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Source => "source",
            Field::Body => "body",
            Field::ExternalId => "external_id",
            Field::Title => "title",
            Field::AccountExternalId => "account_external_id",
            Field::ContactEmail => "contact_email",
            Field::ReceivedAt => "received_at",
            Field::NpsScore => "nps_score",
            Field::Reporter => "reporter_email",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Where one column goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
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
    pub(crate) fn name(self) -> Option<&'static str> {
        match self {
            Target::Field(f) => Some(f.name()),
            Target::MetaJson => Some("metadata"),
            Target::MetaKey(k) => Some(meta_name(k)),
            Target::MetaExtra => Some("metadata.*"),
            Target::Ignore => None,
        }
    }
}

/// Recognises the feedback format from the normalised headers.
pub(crate) fn detect_format(normalized: &[String]) -> CsvFormat {
    let has = |set: &[&str]| normalized.iter().any(|n| set.contains(&n.as_str()));
    if has(goldthread::MARKERS) {
        CsvFormat::Goldthread
    } else if has(quackback::MARKERS) {
        CsvFormat::Quackback
    } else if has(productboard::MARKERS) {
        CsvFormat::Productboard
    } else if has(&["body"]) {
        CsvFormat::Goldthread
    } else if normalized.iter().any(|n| nps_survey::is_score_header(n)) {
        CsvFormat::NpsSurvey
    } else {
        CsvFormat::Goldthread
    }
}
