//! All CSV work: read and check a file (`csvfile`, from memory or disk: `input`), the formats
//! (`formats`, one small file each, and `dates`), read feedback rows (`parse`) in passes that
//! keep no rows (`passes`), stage with `COPY` and preview (`stage`), commit in one transaction
//! (all rows or none) with progress, and undo (`commit`).
//! Feedback and accounts supply the row validation and the one upsert each; nothing there
//! knows about imports.

pub mod commit;
pub mod csvfile;
pub mod dates;
pub mod db;
pub mod formats;
pub mod input;
pub mod parse;
pub mod passes;
pub mod stage;
mod undo_web;
pub mod web;

pub use commit::{Committed, Undone, cancel, commit, commit_claimed, undo};
pub use csvfile::{ImportRefusal, MAX_IMPORT_BYTES, RowError};
pub use dates::DateOrder;
pub use formats::accounts::parse_accounts_csv;
pub use formats::{ColumnMapping, CsvFormat};
pub use input::ImportFile;
pub use parse::{ParsedImport, parse_feedback_csv, preview};
pub use stage::{Staged, choose_date_order, stage, warnings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Feedback,
    Accounts,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feedback => "feedback",
            Kind::Accounts => "accounts",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "feedback" => Ok(Kind::Feedback),
            "accounts" => Ok(Kind::Accounts),
            other => Err(format!(
                "Choose what the file holds: feedback or accounts (not \"{other}\")"
            )),
        }
    }
}

/// A committing import with no progress for this long, whose transaction no process holds, was
/// interrupted (its process stopped); serve start and the worker's sweep mark it failed.
pub const INTERRUPTED_AFTER_SECS: i32 = 120;
