//! The OpenAPI document: valid under an outside validator, and declaring what the code enforces.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

/// Where the document is written for `make test`'s validator step (`.tmp/` is git-ignored).
fn document_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tmp/openapi.json")
}

fn document() -> Value {
    goldthread::router::openapi()
}

#[test]
fn openapi_document_is_written_and_passes_the_validator() {
    let doc = serde_json::to_string_pretty(&goldthread::router::openapi()).expect("document");
    let path = document_path();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &doc).unwrap();
    // `make test` creates the validator's virtualenv (scripts/ensure-openapi-validator.sh) and
    // runs it on the file again; here it runs whenever it is installed.
    let validator =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tmp/venv/bin/openapi-spec-validator");
    if validator.exists() {
        let out = std::process::Command::new(&validator)
            .arg(&path)
            .output()
            .expect("run openapi-spec-validator");
        assert!(
            out.status.success(),
            "openapi-spec-validator refused the document:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op));
            }
        }
    }
    out
}

#[test]
fn every_operation_is_unique_and_declares_its_errors_as_problems() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(ids.insert(id.clone()), "operationId {id} used twice");
        let responses = op["responses"].as_object().expect("responses");
        let mut wanted = vec!["401", "403"];
        if op["requestBody"].is_object() {
            wanted.extend(["400", "409", "413", "415", "422"]);
        }
        if path.contains('{') {
            wanted.push("404");
        }
        if op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"))
        {
            wanted.push("422");
        }
        for status in wanted {
            let r = &responses
                .get(status)
                .unwrap_or_else(|| panic!("{method} {path} does not declare {status}"));
            assert!(
                r["content"]["application/problem+json"].is_object(),
                "{method} {path} {status} is not problem+json"
            );
        }
        // Only real path segments are path parameters.
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                let name = p["name"].as_str().unwrap();
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{method} {path}: {name} is not in the path"
                );
            }
        }
    }
}

#[test]
fn list_filters_are_query_parameters_with_their_enums_and_ranges() {
    let doc = document();
    let params = doc["paths"]["/api/v1/feedback"]["get"]["parameters"]
        .as_array()
        .expect("feedback list parameters");
    let param = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}"))
    };
    assert_eq!(param("q")["in"], "query");
    assert_eq!(param("source")["schema"]["enum"][0], "sales");
    assert_eq!(param("limit")["schema"]["maximum"], 200);
    assert_eq!(param("from")["schema"]["format"], "date");
    let tags = doc["paths"]["/api/v1/tags"]["get"]["parameters"]
        .as_array()
        .expect("tags list parameters");
    assert!(
        tags.iter()
            .any(|p| p["name"] == "state" && p["in"] == "query")
    );
    // The batch body is described next to the single item.
    let body = &doc["paths"]["/api/v1/feedback"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/FeedbackBody");
    let one_of = doc["components"]["schemas"]["FeedbackBody"]["oneOf"]
        .as_array()
        .expect("oneOf");
    assert_eq!(one_of.len(), 2);
    let batch = &doc["components"]["schemas"]["FeedbackBatch"];
    assert_eq!(batch["required"][0], "items");
    assert_eq!(batch["properties"]["items"]["maxItems"], 1000);
    let item = &doc["components"]["schemas"]["FeedbackItemInput"];
    let required: Vec<&str> = item["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, ["source", "body"]);
    assert_eq!(item["properties"]["nps_score"]["maximum"], 10);
}
