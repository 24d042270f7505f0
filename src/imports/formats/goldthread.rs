//! Our own CSV (what `/feedback/export.csv` writes).
//!
//! Columns: `source, external_id, body, title, account_external_id,
//! contact_email, received_at, nps_score, reporter_email`. Only `body` must be
//! present as a column; an empty or missing `source` is filled from
//! `default_source` (a row error when there is none). A `metadata` column
//! holding a JSON object is merged into metadata. `reporter_email` (or `reporter`,
//! `owner`) names the user who logged the item. The export-only columns `id,
//! account_name, arr_cents_snapshot, currency_snapshot, themes` are ignored. Any other
//! column is kept in metadata as a string under its header. A leading `'` that our export adds in
//! front of `= + - @` (spreadsheet formula protection) is removed. An account
//! external id that matches no account is an error.

use super::{Field, Target};

/// Headers that only our format has.
pub(super) const MARKERS: &[&str] = &[
    "source",
    "externalid",
    "accountexternalid",
    "contactemail",
    "receivedat",
];

pub(super) fn target(n: &str) -> Target {
    match n {
        "source" => Target::Field(Field::Source),
        "externalid" => Target::Field(Field::ExternalId),
        "body" => Target::Field(Field::Body),
        "title" => Target::Field(Field::Title),
        "accountexternalid" => Target::Field(Field::AccountExternalId),
        "contactemail" => Target::Field(Field::ContactEmail),
        "receivedat" => Target::Field(Field::ReceivedAt),
        "npsscore" => Target::Field(Field::NpsScore),
        "reporteremail" | "reporter" | "owner" | "owneremail" => Target::Field(Field::Reporter),
        "metadata" => Target::MetaJson,
        "id" | "accountname" | "arrcentssnapshot" | "currencysnapshot" | "themes" => Target::Ignore,
        _ => Target::MetaExtra,
    }
}

/// Removes the `'` our export puts before `= + - @` (formula protection).
pub(crate) fn unescape_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}
