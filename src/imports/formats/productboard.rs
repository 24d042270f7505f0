//! Productboard notes export.
//!
//! The public Productboard notes fields are title, content, user/customer
//! email, company (domain or name), source (origin + record id), tags and
//! creation date; exports and hand-made sheets name them differently, so these
//! variants are accepted: title (`title`, `note title`, `name`), body
//! (`content`, `note text`, `note content`, `text`, `note`, `description`),
//! contact_email (`user email`, `customer email`, `email`, `said by`), metadata
//! `company_domain` (`company domain`, `domain`) and `company_name` (`company
//! name`, `company`), both matched to an account when the file is checked,
//! metadata `source_origin` (`source origin`, `origin`, `source system`; also
//! becomes our source when it is one of ours, else `default_source`, else
//! `other`), external_id (`source record id`, `record id`, `source id`),
//! received_at (`created at`, `note date`, `created`, `date`), metadata `tags`
//! (`tags`, `note tags`), reporter (`owner`, `owner email`: the user who owns the
//! note). Everything else (note id, display url, …) is kept in metadata.

use super::{Field, Target};
use crate::feedback::Source;

/// Headers that only this format has.
pub(super) const MARKERS: &[&str] = &[
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
];

pub(super) fn target(n: &str) -> Target {
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
        "owner" | "owneremail" | "noteowner" | "reporter" | "reporteremail" => {
            Target::Field(Field::Reporter)
        }
        _ => Target::MetaExtra,
    }
}

/// Our source for a note: its origin when that is one of ours, else the chosen default.
pub(crate) fn source(origin: Option<&str>, default: Option<Source>) -> Source {
    origin
        .and_then(|o| o.parse::<Source>().ok())
        .or(default)
        .unwrap_or(Source::Other)
}
