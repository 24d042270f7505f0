//! NPS survey exports (Delighted, Typeform, SurveyMonkey and hand-made sheets).
//!
//! score (`score`, `nps`, `nps_score`, `rating`, `likelihood to recommend`,
//! any header starting with "how likely"), comment (`comment(s)`, `feedback`,
//! `reason`, `response`, `text`, or a question header containing "reason"),
//! `email`, account (`account`, `company`, `account id`, …: a CRM id, an account
//! name in any case, or a domain, matched when the file is checked), date
//! (`date`, `submitted at`, `created at`, `timestamp`, …; ISO, `11/25/2026` or
//! `25/11/2026`, with or without a time) → received_at, `response id`/`id` →
//! external_id, reporter (`owner`, `reporter`: the user following the response up).
//! Source is always `nps`. A response with a score and an empty comment is kept
//! with body `"NPS {score} (no comment)"`.

use std::fmt::Write as _;

use super::{Field, Target};
use crate::feedback::parse_score;

pub(crate) fn is_score_header(n: &str) -> bool {
    matches!(
        n,
        "score" | "nps" | "npsscore" | "rating" | "likelihoodtorecommend" | "npsrating"
    ) || n.starts_with("howlikely")
}

pub(super) fn target(n: &str) -> Target {
    if is_score_header(n) {
        return Target::Field(Field::NpsScore);
    }
    match n {
        "comment" | "comments" | "feedback" | "reason" | "response" | "text" | "answer" => {
            Target::Field(Field::Body)
        }
        "email" | "emailaddress" | "respondentemail" | "contactemail" | "useremail"
        | "customeremail" => Target::Field(Field::ContactEmail),
        "account" | "company" | "accountid" | "companyid" | "accountexternalid" | "accountname"
        | "companyname" | "companydomain" | "domain" => Target::Field(Field::AccountExternalId),
        "date" | "submittedat" | "createdat" | "submitted" | "timestamp" | "responsedate"
        | "receivedat" | "completedat" | "surveydate" | "respondedat" => {
            Target::Field(Field::ReceivedAt)
        }
        "responseid" | "id" | "externalid" => Target::Field(Field::ExternalId),
        "owner" | "owneremail" | "reporter" | "reporteremail" | "accountowner" => {
            Target::Field(Field::Reporter)
        }
        _ if n.contains("reason") => Target::Field(Field::Body),
        _ => Target::MetaExtra,
    }
}

/// The body of a response without a comment, written into `out`.
pub(crate) fn no_comment_body(score: &str, out: &mut String) {
    out.clear();
    match parse_score(score) {
        Some(n) => {
            let _ = write!(out, "NPS {n} (no comment)");
        }
        None => {
            let _ = write!(out, "NPS {score} (no comment)");
        }
    }
}
