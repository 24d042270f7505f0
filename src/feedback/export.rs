//! CSV export of feedback in the Goldthread format.
//!
//! The file re-imports (the Goldthread format of `crate::imports`, which tests the round trip)
//! into the same values: the export-only columns (`id`, `account_name`,
//! `reporter_email`, `arr_cents_snapshot`) are ignored on import, and the
//! `metadata` column carries the metadata object as JSON. Text cells that
//! start with `=`, `+`, `-`, `@`, tab or carriage return get a leading `'`
//! so spreadsheets don't run them as formulas; the importer removes it.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::feedback::{NewFeedback, Source};

const HEADER: [&str; 13] = [
    "id",
    "source",
    "external_id",
    "title",
    "body",
    "account_external_id",
    "account_name",
    "contact_email",
    "reporter_email",
    "received_at",
    "nps_score",
    "arr_cents_snapshot",
    "metadata",
];

/// Column names of the export, in order. Write it first with
/// `writer.write_record(csv_header())`.
pub fn csv_header() -> &'static [&'static str] {
    &HEADER
}

/// One exported feedback item (owned, plain data filled by the app).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    /// Our id for the item (database id, as text).
    pub id: String,
    pub source: Source,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub body: String,
    pub account_external_id: Option<String>,
    pub account_name: Option<String>,
    pub contact_email: Option<String>,
    /// Who entered it in Goldthread.
    pub reporter_email: Option<String>,
    pub received_at: Option<OffsetDateTime>,
    pub nps_score: Option<i16>,
    /// The account's ARR when the feedback was recorded.
    pub arr_cents_snapshot: Option<i64>,
    /// A JSON object; written as compact JSON (`{}` written as empty).
    pub metadata: serde_json::Value,
}

impl ExportRow {
    /// Export row from a validated item (no account or reporter details).
    pub fn from_new(id: impl Into<String>, f: &NewFeedback) -> ExportRow {
        ExportRow {
            id: id.into(),
            source: f.source,
            external_id: f.external_id.clone(),
            title: f.title.clone(),
            body: f.body.clone(),
            account_external_id: f.account_external_id.clone(),
            account_name: None,
            contact_email: f.contact_email.clone(),
            reporter_email: None,
            received_at: f.received_at,
            nps_score: f.nps_score,
            arr_cents_snapshot: None,
            metadata: f.metadata.clone(),
        }
    }
}

/// Prefixes `'` to text a spreadsheet would treat as a formula.
fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn opt(s: &Option<String>) -> std::borrow::Cow<'_, str> {
    safe(s.as_deref().unwrap_or(""))
}

/// Writes one row in [`csv_header`] order.
pub fn write_csv_row<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    row: &ExportRow,
) -> csv::Result<()> {
    let received = row
        .received_at
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let score = row.nps_score.map(|n| n.to_string()).unwrap_or_default();
    let arr = row
        .arr_cents_snapshot
        .map(|n| n.to_string())
        .unwrap_or_default();
    let metadata = match &row.metadata {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        v => v.to_string(),
    };
    let id = safe(&row.id);
    let external_id = opt(&row.external_id);
    let title = opt(&row.title);
    let body = safe(&row.body);
    let account_external_id = opt(&row.account_external_id);
    let account_name = opt(&row.account_name);
    let contact_email = opt(&row.contact_email);
    let reporter_email = opt(&row.reporter_email);
    w.write_record([
        &*id,
        row.source.as_str(),
        &*external_id,
        &*title,
        &*body,
        &*account_external_id,
        &*account_name,
        &*contact_email,
        &*reporter_email,
        &received,
        &score,
        &arr,
        &metadata,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn header_has_our_columns_and_extras() {
        let h = csv_header();
        for c in [
            "source",
            "external_id",
            "body",
            "title",
            "account_external_id",
            "contact_email",
            "received_at",
            "nps_score",
            "id",
            "account_name",
            "reporter_email",
            "arr_cents_snapshot",
        ] {
            assert!(h.contains(&c), "{c}");
        }
    }
}
