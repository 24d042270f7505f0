//! Static assets, compiled into the binary and served under content-hashed paths.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::server::AppState;

const APP_CSS: &str = include_str!("../../static/app.css");

static CSS_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(APP_CSS.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/static/app.{short}.css")
});

pub fn css_path() -> &'static str {
    CSS_PATH.as_str()
}

async fn app_css() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        APP_CSS,
    )
}

pub fn router() -> Router<AppState> {
    Router::new().route(css_path(), get(app_css))
}
