//! Static assets, compiled into the binary and served under content-hashed paths.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::app::AppState;

const APP_CSS: &str = include_str!("../../static/app.css");
const REVIEW_JS: &str = include_str!("../../static/review.js");
const TRIAGE_JS: &str = include_str!("../../static/triage.js");

/// `/static/{name}.{hash}.{ext}`: a new path whenever the content changes, so it can be cached forever.
fn hashed_path(name: &str, ext: &str, body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/static/{name}.{short}.{ext}")
}

static CSS_PATH: LazyLock<String> = LazyLock::new(|| hashed_path("app", "css", APP_CSS));
static REVIEW_JS_PATH: LazyLock<String> = LazyLock::new(|| hashed_path("review", "js", REVIEW_JS));
static TRIAGE_JS_PATH: LazyLock<String> = LazyLock::new(|| hashed_path("triage", "js", TRIAGE_JS));

pub fn css_path() -> &'static str {
    CSS_PATH.as_str()
}

/// The review queue's keyboard script.
pub fn review_js_path() -> &'static str {
    REVIEW_JS_PATH.as_str()
}

/// The support triage's keyboard script.
pub fn triage_js_path() -> &'static str {
    TRIAGE_JS_PATH.as_str()
}

fn immutable(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        body,
    )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            css_path(),
            get(|| async { immutable("text/css; charset=utf-8", APP_CSS) }),
        )
        .route(
            review_js_path(),
            get(|| async { immutable("text/javascript; charset=utf-8", REVIEW_JS) }),
        )
        .route(
            triage_js_path(),
            get(|| async { immutable("text/javascript; charset=utf-8", TRIAGE_JS) }),
        )
}
