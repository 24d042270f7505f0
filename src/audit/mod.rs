//! The audit log: who changed what, when, with the state before and after.

pub mod db;

use serde_json::{Map, Value};

use crate::auth::User;

pub use db::{record, record_batch};

/// Who did it. A person, or the system (the command line, the demo loader, a background job).
pub enum Actor<'a> {
    User(&'a User),
    /// A person known by id and label only (e.g. the owner of an API token).
    Person {
        id: i64,
        label: String,
    },
    System(&'a str),
}

impl Actor<'_> {
    pub fn id(&self) -> Option<i64> {
        match self {
            Actor::User(u) => Some(u.id),
            Actor::Person { id, .. } => Some(*id),
            Actor::System(_) => None,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Actor::User(u) => format!("{} <{}>", u.name, u.email),
            Actor::Person { label, .. } => label.clone(),
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

impl Entry<'_> {
    /// True when the entry would record nothing: before and after are both given and equal
    /// field by field. Such entries are not written.
    pub fn is_noop(&self) -> bool {
        self.before.is_some() && self.after.is_some() && diff(&self.before, &self.after).is_empty()
    }
}

/// One entry for a whole batch of writes (an API batch, an import file, a background job):
/// what it did in counts, and anything else worth keeping in `detail` (a JSON object).
pub struct Batch<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub summary: String,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub detail: Value,
}

impl Batch<'_> {
    /// The `after` document stored for the batch: the counts, then the detail's keys.
    pub fn after(&self) -> Value {
        let mut out = Map::new();
        out.insert("inserted".into(), Value::from(self.inserted));
        out.insert("updated".into(), Value::from(self.updated));
        out.insert("unchanged".into(), Value::from(self.unchanged));
        if let Value::Object(extra) = &self.detail {
            for (k, v) in extra {
                out.insert(k.clone(), v.clone());
            }
        }
        Value::Object(out)
    }
}

/// One changed field: its name and its value before and after, as text (`None`: absent or null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The fields that differ between two stored states, comparing top-level keys of objects
/// (a value that is not an object counts as one field named "value"), in the order of the
/// stored keys (alphabetical).
pub fn diff(before: &Option<Value>, after: &Option<Value>) -> Vec<Change> {
    let empty = Map::new();
    let as_fields = |v: &Option<Value>| -> Option<Map<String, Value>> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(other) => {
                let mut m = Map::new();
                m.insert("value".into(), other.clone());
                Some(m)
            }
        }
    };
    let b = as_fields(before);
    let a = as_fields(after);
    let (bm, am) = (b.as_ref().unwrap_or(&empty), a.as_ref().unwrap_or(&empty));
    let mut keys: Vec<&String> = bm.keys().collect();
    for k in am.keys() {
        if !bm.contains_key(k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .filter_map(|k| {
            let old = bm.get(k).filter(|v| !v.is_null());
            let new = am.get(k).filter(|v| !v.is_null());
            (old != new).then(|| Change {
                field: k.clone(),
                before: old.map(show),
                after: new.map(show),
            })
        })
        .collect()
}

/// A stored value as a person reads it: strings without quotes, everything else as JSON.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_names_changed_top_level_fields_only() {
        let before = Some(json!({"title": "Old", "body": "same", "nps_score": null, "tags": [1]}));
        let after = Some(json!({"title": "New", "body": "same", "nps_score": 7, "tags": [1, 2]}));
        let changes = diff(&before, &after);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["nps_score", "tags", "title"],
            "body did not change"
        );
        let title = changes.iter().find(|c| c.field == "title").unwrap();
        assert_eq!(
            (title.before.as_deref(), title.after.as_deref()),
            (Some("Old"), Some("New"))
        );
        let score = changes.iter().find(|c| c.field == "nps_score").unwrap();
        assert_eq!(
            (score.before.as_deref(), score.after.as_deref()),
            (None, Some("7"))
        );
        let tags = changes.iter().find(|c| c.field == "tags").unwrap();
        assert_eq!(tags.after.as_deref(), Some("[1,2]"));
    }

    #[test]
    fn equal_states_are_a_noop_and_null_equals_missing() {
        let e = Entry {
            action: "update",
            entity_type: "feedback",
            entity_id: None,
            summary: String::new(),
            before: Some(json!({"a": 1, "b": null})),
            after: Some(json!({"a": 1})),
        };
        assert!(e.is_noop());
        let created = Entry {
            before: None,
            after: Some(json!({"a": 1})),
            ..e
        };
        assert!(!created.is_noop());
        assert_eq!(
            diff(&None, &Some(json!({"a": 1})))[0].after.as_deref(),
            Some("1")
        );
        assert_eq!(
            diff(&Some(json!(true)), &Some(json!(false)))[0].field,
            "value"
        );
    }
}
