//! Quackback's intermediate `posts.csv` (its documented import format).
//!
//! `id` → external_id, `title`, `body`/`content` → body, `author_email` →
//! contact_email, `created_at` → received_at, `author_name`, `board`,
//! `status`, `tags` → metadata under those keys; `moderation, roadmap,
//! vote_count, response, response_at, response_by` and anything else are
//! kept in metadata. Source is `default_source`, else `other`.

use super::{Field, Target};

/// Headers that only this format has.
pub(super) const MARKERS: &[&str] = &[
    "authoremail",
    "authorname",
    "board",
    "moderation",
    "votecount",
    "roadmap",
    "responseat",
    "responseby",
];

pub(super) fn target(n: &str) -> Target {
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
