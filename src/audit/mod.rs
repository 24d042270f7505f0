//! The audit log: who changed what, when, with the state before and after.

pub mod db;

use serde_json::Value;

use crate::auth::User;

/// Who did it. A person, or the command line (which has no signed-in user).
pub enum Actor<'a> {
    User(&'a User),
    System(&'a str),
}

impl Actor<'_> {
    pub fn id(&self) -> Option<i64> {
        match self {
            Actor::User(u) => Some(u.id),
            Actor::System(_) => None,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Actor::User(u) => format!("{} <{}>", u.name, u.email),
            Actor::System(what) => (*what).to_owned(),
        }
    }
}

/// One audited change.
pub struct Entry<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub summary: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}
