//! The OpenAPI document as served: what utoipa derives from the handlers, plus the rules every
//! input follows that the derive cannot say: which text each field may hold (no control
//! characters; tabs and line breaks only in long text), that required text is not blank, and
//! that query parameters are given a value or left out. The checks themselves live with each
//! field's validation and in [`crate::error::extract`]; schemathesis (tests/it/schemathesis.rs)
//! holds the two together.

use serde_json::{Value, json};

use crate::validation::{LONG_TEXT_FIELDS, LONG_TEXT_FORBIDDEN, SHORT_TEXT_FORBIDDEN};

/// Apply the input rules to a document (as JSON).
pub fn with_input_rules(mut doc: Value) -> Value {
    body_rules(&mut doc);
    crate::feedback::api::doc_rules(&mut doc);
    crate::feedback::webhook::doc_rules(&mut doc);
    query_rules(&mut doc);
    doc
}

/// The request bodies' schemas: text rules on every property, then the per-field ones.
fn body_rules(doc: &mut Value) {
    let inputs = input_schemas(doc);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if inputs.contains(name) {
            object_rules(schema, false);
        }
    }
    for (schema, property, rule) in field_rules() {
        if let Some(target) = schemas
            .get_mut(schema)
            .and_then(|s| find_property(s, property))
        {
            merge(target, rule);
        }
    }
}

/// Every query parameter: its own rule (allowed values, range), then a value or left out and
/// no control characters.
fn query_rules(doc: &mut Value) {
    let rules = param_rules();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            for param in op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if param["in"] != "query" {
                    continue;
                }
                for (p, m, name, rule) in &rules {
                    if p == path && m == method && param["name"] == *name {
                        merge(&mut param["schema"], rule.clone());
                    }
                }
                text_rules(&mut param["schema"], false, true);
            }
        }
    }
}

fn keys(list: &[(&str, &str)]) -> Vec<String> {
    list.iter().map(|(k, _)| (*k).to_owned()).collect()
}

/// A positive id as text, or empty for none.
const ID_OR_EMPTY: &str = "^([1-9][0-9]{0,17})?$";

/// A positive id sent as text (forms) or as a number; empty or null for none.
fn id_text() -> Value {
    json!({"type": ["string", "integer", "null"], "pattern": ID_OR_EMPTY,
           "minimum": 1, "maximum": i64::MAX})
}

/// An email address, or empty (or null) for none.
pub fn email_or_empty() -> Value {
    json!({"anyOf": [{"type": "string", "format": "email"},
                     {"type": "string", "pattern": "^\\s*$"}, {"type": "null"}]})
}

/// RFC 3339, or empty (or null) for "now".
pub fn date_time_or_empty() -> Value {
    json!({"anyOf": [{"type": "string", "format": "date-time"},
                     {"type": "string", "pattern": "^\\s*$"}, {"type": "null"}]})
}

/// A YYYY-MM-DD day, or empty for none.
fn date_or_empty() -> Value {
    json!({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "maxLength": 0}]})
}

/// An absolute http(s) address as `launches::is_web_url` reads one (no comma: links are
/// separated by commas or line breaks).
const URL: &str = r#"https?://[A-Za-z0-9.:\[\]@-]+([/?#][^\s"<>,]*)?"#;

/// What the derive cannot see: the allowed values of fields that are plain text in Rust.
fn field_rules() -> Vec<(&'static str, &'static str, Value)> {
    let teams = keys(&crate::questions::TEAMS);
    let channels = keys(&crate::questions::CHANNELS);
    let with_empty = |mut v: Vec<String>| {
        v.push(String::new());
        v
    };
    vec![
        ("QuestionInput", "team", json!({"enum": with_empty(teams)})),
        (
            "QuestionInput",
            "channel",
            json!({"enum": with_empty(channels)}),
        ),
        ("QuestionInput", "theme_id", id_text()),
        ("QuestionInput", "launch_id", id_text()),
        (
            "AnswerInput",
            "minutes",
            json!({"minimum": 0, "maximum": 1440}),
        ),
        ("AnswerInput", "answer", json!({"maxLength": 20000})),
        (
            "LaunchInput",
            "status",
            json!({"enum": with_empty(keys(crate::launches::STATUSES))}),
        ),
        ("LaunchInput", "owner_id", json!({"pattern": ID_OR_EMPTY})),
        ("LaunchInput", "name", json!({"maxLength": 200})),
        ("LaunchInput", "target_date", date_or_empty()),
        ("LaunchInput", "shipped_date", date_or_empty()),
        ("LaunchInput", "area", json!({"maxLength": 100})),
        (
            "LaunchInput",
            "tracker_links",
            json!({"pattern": format!("^[\\s,]*({URL}([^\\S\\n]*[,\\n][\\s,]*{URL}){{0,9}})?[\\s,]*$")}),
        ),
        ("ThemeInput", "owner_id", json!({"pattern": ID_OR_EMPTY})),
        ("ThemeInput", "parent_id", json!({"pattern": ID_OR_EMPTY})),
        (
            "WebhookBody",
            "events",
            json!({"items": {"type": "string", "enum": keys(crate::notify::EVENTS)}, "minItems": 1}),
        ),
        (
            "WebhookBody",
            "url",
            // A subset of what the WHATWG parser takes: named hosts (a dotted number is read
            // as an IPv4 address and may not be one), ports up to 9999.
            // Spaces around it are trimmed.
            json!({"pattern": "^\\s*https?://[A-Za-z][A-Za-z0-9-]*(\\.[A-Za-z][A-Za-z0-9-]*)*(:[0-9]{1,4})?([/?#][^\\s]*)?\\s*$"}),
        ),
        (
            "AccountBody",
            "segment",
            json!({"enum": ["smb", "mid_market", "enterprise", "", null]}),
        ),
        (
            "AccountBody",
            "lifecycle",
            json!({"enum": ["prospect", "customer", "churned", "", null]}),
        ),
        ("AccountBody", "owner_email", email_or_empty()),
        (
            "AccountBody",
            "currency",
            json!({"pattern": "^([A-Za-z]{3})?$"}),
        ),
        (
            "AccountBody",
            "arr",
            // A subset of what `accounts::money::parse_arr` reads (it also takes currency signs
            // and codes, which must then agree with `currency`).
            json!({"type": null, "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1.0e12},
                {"type": "string", "pattern": "^\\s*([0-9]{1,6}(\\.[0-9]{1,2})?\\s*([kKmMbB]|[mM][mM])?)?\\s*$"},
                {"type": "null"}
            ]}),
        ),
        ("WebhookBody", "name", json!({"maxLength": 100})),
        (
            "AccountBody",
            "domain",
            // As `accounts::normalize_domain` reads it (a scheme and a path are dropped).
            json!({"maxLength": 253, "pattern": "^(\\s*(https?://)?[A-Za-z0-9][A-Za-z0-9-]*(\\.[A-Za-z0-9-]+)+\\.?([/?#][^\\s]*)?\\s*)?$"}),
        ),
    ]
}

/// Query parameters that are plain text in Rust but take a fixed set of values.
fn param_rules() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    let q = "/api/v1/questions";
    vec![
        (
            q,
            "get",
            "team",
            json!({"enum": keys(&crate::questions::TEAMS)}),
        ),
        (
            q,
            "get",
            "channel",
            json!({"enum": keys(&crate::questions::CHANNELS)}),
        ),
        (
            q,
            "get",
            "kind",
            json!({"enum": ["awareness", "readiness", "other"]}),
        ),
        (q, "get", "status", json!({"enum": ["open", "answered"]})),
        (q, "get", "launch", json!({"minimum": 1})),
        (q, "get", "limit", json!({"minimum": 1, "maximum": 500})),
        (
            "/api/v1/feedback",
            "get",
            "theme",
            json!({"pattern": "^([1-9][0-9]{0,17}|untagged)$"}),
        ),
    ]
}

/// The property `name` of an object schema, or of one of the schemas it combines.
fn find_property<'a>(schema: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    let at = property_pointer(schema, name)?;
    schema.pointer_mut(&at)
}

fn property_pointer(schema: &Value, name: &str) -> Option<String> {
    if schema.pointer(&format!("/properties/{name}")).is_some() {
        return Some(format!("/properties/{name}"));
    }
    ["allOf", "oneOf", "anyOf"].iter().find_map(|key| {
        schema[*key]
            .as_array()?
            .iter()
            .enumerate()
            .find_map(|(i, member)| {
                property_pointer(member, name).map(|p| format!("/{key}/{i}{p}"))
            })
    })
}

/// Set every key of `rule` on `target` (a `type` or `enum` replaces the derived one; a null
/// removes the key).
fn merge(target: &mut Value, rule: Value) {
    if let (Some(target), Value::Object(rule)) = (target.as_object_mut(), rule) {
        for (k, v) in rule {
            if v.is_null() {
                target.remove(&k);
            } else {
                target.insert(k, v);
            }
        }
    }
}

/// The component schemas a request body refers to, directly or through others.
fn input_schemas(doc: &Value) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut stack: Vec<&Value> = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|o| o.values()) {
                if let Some(content) = op
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                {
                    stack.extend(content.values());
                }
            }
        }
    }
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(name) = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    && !found.iter().any(|f| f == name)
                {
                    found.push(name.to_owned());
                    if let Some(target) = doc.pointer(&format!("/components/schemas/{name}")) {
                        stack.push(target);
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

/// The rules for every property of an object schema (and of the schemas it combines).
fn object_rules(schema: &mut Value, long: bool) {
    let required: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, prop) in props.iter_mut() {
            let long = long || LONG_TEXT_FIELDS.contains(&name.as_str());
            text_rules(prop, long, required.contains(name));
            if name == "metadata" {
                metadata_rules(prop);
            }
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for member in schema
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            object_rules(member, long);
        }
    }
}

fn is_string(schema: &Value) -> bool {
    match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// A text property: the characters it may hold; when required, not blank and not null.
fn text_rules(schema: &mut Value, long: bool, required: bool) {
    if schema["type"] == "array" {
        if let Some(items) = schema.get_mut("items") {
            text_rules(items, long, false);
        }
        return;
    }
    if schema.get("properties").is_some() {
        object_rules(schema, long);
        return;
    }
    if !is_string(schema) || schema.get("enum").is_some() || schema.get("format").is_some() {
        return;
    }
    let forbidden = if long {
        LONG_TEXT_FORBIDDEN
    } else {
        SHORT_TEXT_FORBIDDEN
    };
    // `type` inside: a null is not "a string holding a forbidden character".
    schema["not"] = json!({ "type": "string", "pattern": forbidden });
    if required {
        schema["type"] = json!("string");
        if schema.get("default").is_some_and(Value::is_null) {
            schema.as_object_mut().map(|s| s.remove("default"));
        }
        if schema.get("minLength").is_none() {
            schema["minLength"] = json!(1);
        }
        if schema.get("pattern").is_none() {
            // Something besides white space (what the validation trims away).
            schema["pattern"] = json!("\\S");
        }
    }
}

/// `metadata`: an object of text, numbers, true/false or null (keys printable text).
fn metadata_rules(schema: &mut Value) {
    schema["additionalProperties"] = json!({
        "anyOf": [
            { "type": "string", "not": { "type": "string", "pattern": LONG_TEXT_FORBIDDEN } },
            { "type": ["number", "boolean", "null"] }
        ]
    });
    schema["propertyNames"] =
        json!({ "not": { "type": "string", "pattern": SHORT_TEXT_FORBIDDEN } });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_not_blank_and_short_text_holds_no_control_character() {
        let doc = json!({
            "paths": {"/x": {"post": {
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}}
            }}},
            "components": {"schemas": {
                "In": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": ["string", "null"]},
                    "body": {"type": "string"},
                    "source": {"type": "string", "enum": ["a"]}
                }},
                "Out": {"type": "object", "properties": {"name": {"type": "string"}}}
            }}
        });
        let doc = with_input_rules(doc);
        let input = &doc["components"]["schemas"]["In"]["properties"];
        assert_eq!(input["name"]["type"], "string");
        assert_eq!(input["name"]["pattern"], "\\S");
        assert_eq!(input["name"]["not"]["pattern"], SHORT_TEXT_FORBIDDEN);
        assert_eq!(input["body"]["not"]["pattern"], LONG_TEXT_FORBIDDEN);
        assert!(input["source"].get("not").is_none());
        assert!(
            doc["components"]["schemas"]["Out"]["properties"]["name"]
                .get("not")
                .is_none()
        );
        let q = &doc["paths"]["/x"]["post"]["parameters"][0]["schema"];
        assert_eq!(q["minLength"], 1);
        assert_eq!(q["not"]["pattern"], SHORT_TEXT_FORBIDDEN);
    }
}
