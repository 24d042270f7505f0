//! CSV export of feedback in the Goldthread format.
//!
//! The file re-imports with [`parse_feedback_csv`](crate::feedback::import::parse_feedback_csv)
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
    use crate::feedback::import::parse_feedback_csv;
    use time::macros::datetime;

    fn item(source: Source, body: &str) -> NewFeedback {
        NewFeedback {
            source,
            body: body.to_string(),
            external_id: None,
            title: None,
            account_external_id: None,
            contact_email: None,
            received_at: None,
            nps_score: None,
            metadata: serde_json::json!({}),
        }
    }

    #[test]
    fn export_round_trip() {
        let mut a = item(Source::Sales, "Needs SSO, \"soon\"\nsecond line");
        a.external_id = Some("S-1".into());
        a.title = Some("=HYPERLINK(\"x\")".into());
        a.account_external_id = Some("acme".into());
        a.contact_email = Some("ann@acme.io".into());
        a.received_at = Some(datetime!(2024-05-01 13:45:10.25 UTC));
        a.metadata = serde_json::json!({"plan": "pro", "seats": 40, "tags": ["a", "b"]});
        let mut b = item(Source::Nps, "-10 points for speed");
        b.nps_score = Some(4);
        b.external_id = Some("S-1".into()); // same id, other source: allowed
        let c = item(Source::Research, "  é unicode ✓");
        let c = NewFeedback {
            body: c.body.trim().to_string(),
            ..c
        };
        let originals = vec![a, b, c];

        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(csv_header()).expect("header");
        for (i, f) in originals.iter().enumerate() {
            let mut row = ExportRow::from_new((i + 1).to_string(), f);
            row.account_name = Some("Acme Inc".into());
            row.reporter_email = Some("pm@goldthread.test".into());
            row.arr_cents_snapshot = Some(120_000_000);
            write_csv_row(&mut w, &row).expect("row");
        }
        let bytes = w.into_inner().expect("flush");
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        assert!(text.starts_with("id,source,external_id,title,body,"));
        assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""));

        let parsed = parse_feedback_csv(&bytes, None, &mut |_| {}).expect("re-import");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.mapping.target_of("id"), None);
        assert_eq!(parsed.mapping.target_of("arr_cents_snapshot"), None);
        let back: Vec<NewFeedback> = parsed.rows.into_iter().map(|(_, f)| f).collect();
        assert_eq!(back, originals);
    }

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
