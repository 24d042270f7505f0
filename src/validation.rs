//! Field-level validation errors shared by forms, the API and imports.

use std::fmt;

/// All problems found in one submitted form / JSON body / CSV row.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

/// One problem with one field. `message` is plain English, shown to users.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field at fault: a body field (`items[2].body` in a batch), a query or path
    /// parameter, or `body` / `Content-Type` / `Authorization` for the request itself.
    pub field: String,
    pub message: String,
    /// The value is well formed but clashes with what is stored (a name taken, an id or email
    /// nothing has): answered 409 rather than 422 when every problem is of this kind.
    #[serde(skip)]
    #[schema(ignore)]
    pub conflict: bool,
}

impl FieldErrors {
    /// Records a problem with `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.into(),
            conflict: false,
        });
    }

    /// Records that `field` clashes with the stored data (see [`FieldError::conflict`]).
    pub fn add_conflict(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.into(),
            conflict: true,
        });
    }

    /// Whether there are problems and every one is a clash with the stored data.
    pub fn all_conflicts(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|e| e.conflict)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message recorded for `field`, if any.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// `Ok(value)` when no error was recorded, else `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Number of recorded problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates over the recorded problems in insertion order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// Whether `field` has at least one problem.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// Moves all problems of `other` into `self`.
    pub fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FieldErrors {
    /// Errors with one message for one field.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }
}

/// Trims, and treats an empty result as absent.
pub fn clean(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Why `value` cannot be stored or shown: it holds a NUL or another control character (C0, DEL
/// or C1). Long text (bodies, descriptions) may hold tab and line breaks; short text (names,
/// ids, search words) none. PostgreSQL refuses NUL in text, and the other control characters
/// break the pages and files that show them, so every input path asks this first.
pub fn control_character(value: &str, long_text: bool) -> Option<String> {
    let (position, c) = value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !(long_text && matches!(c, '\t' | '\n' | '\r')))?;
    let what = if c == '\0' {
        "a NUL byte".to_owned()
    } else {
        format!("the control character U+{:04X}", c as u32)
    };
    Some(format!(
        "Remove {what} (character {}); {}",
        position + 1,
        if long_text {
            "only tabs and line breaks are allowed besides printable text"
        } else {
            "only printable text is allowed here"
        }
    ))
}

/// [`control_character`] for every key and text inside a JSON value (as long text).
pub fn json_control_character(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => control_character(s, true),
        serde_json::Value::Array(items) => items.iter().find_map(json_control_character),
        serde_json::Value::Object(map) => map_control_character(map),
        _ => None,
    }
}

/// [`json_control_character`] for a JSON object.
pub fn map_control_character(map: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    map.iter().find_map(|(k, v)| {
        control_character(k, true)
            .map(|m| format!("In the key \"{}\": {m}", k.escape_debug()))
            .or_else(|| json_control_character(v))
    })
}

/// The fields of API bodies that hold long text (tabs and line breaks allowed besides printable
/// text); every other string is short text (printable only). The OpenAPI document declares
/// each body field's rule from this list (`api_doc`); each field's validation applies the
/// same rule with [`control_character`]. Everything under `metadata` is long text too.
pub const LONG_TEXT_FIELDS: &[&str] = &[
    "body",
    "description",
    "text",
    "answer",
    "keywords",
    "summary",
    "tracker_links",
    "note",
    "value",
    "sales",
    "success",
    "support",
    "marketing",
    "prepare",
    "links",
    "q",
    "a",
    "metadata",
];

/// The control characters short text may not hold (all of Unicode's Cc), as a regex class.
pub const SHORT_TEXT_FORBIDDEN: &str = "[\\u0000-\\u001F\\u007F-\\u009F]";
/// The same for long text: tab, line feed and carriage return are allowed.
pub const LONG_TEXT_FORBIDDEN: &str =
    "[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]";

impl FieldErrors {
    /// Records a problem with `field` when `value` holds a character [`control_character`]
    /// refuses; returns whether it did.
    pub fn check_text(&mut self, field: &str, value: Option<&str>, long_text: bool) -> bool {
        match value.and_then(|v| control_character(v, long_text)) {
            Some(message) => {
                self.add(field, message);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_get_and_result() {
        let mut e = FieldErrors::default();
        assert!(e.is_empty());
        assert_eq!(e.clone().into_result(5), Ok(5));
        e.add("body", "Body is required");
        e.add("body", "second");
        assert_eq!(e.get("body"), Some("Body is required"));
        assert_eq!(e.get("title"), None);
        assert_eq!(e.len(), 2);
        assert_eq!(e.to_string(), "body: Body is required; body: second");
        assert!(e.into_result(()).is_err());
    }

    #[test]
    fn control_characters_are_refused_with_their_place() {
        assert_eq!(control_character("plain text, é ✓", false), None);
        assert_eq!(control_character("line one\n\tline two\r\n", true), None);
        let nul = control_character("ab\0c", true).expect("nul");
        assert!(nul.contains("NUL") && nul.contains("character 3"), "{nul}");
        assert!(
            control_character("a\u{1}", false)
                .unwrap()
                .contains("U+0001")
        );
        assert!(
            control_character("a\u{81}", true)
                .unwrap()
                .contains("U+0081")
        );
        assert!(control_character("a\nb", false).is_some());
        let mut e = FieldErrors::default();
        assert!(e.check_text("name", Some("x\u{7f}"), false));
        assert!(!e.check_text("body", Some("ok"), true));
        assert!(e.has("name") && !e.has("body"));
    }
}
