//! When the database is away: every kind of request answers 503 with Retry-After (problem+json on
//! the API, the error page on pages), quickly, never 500 and never a hang. The load test with a
//! real PostgreSQL restart is `scripts/load_test.sh` (RESTART=1).

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode, header};
use goldthread::AppState;
use goldthread::config::Config;
use goldthread::error::{ApiError, AppError};
use sqlx::postgres::PgPoolOptions;

use crate::helpers::TestApp;

/// A hub whose database does not answer (nothing listens on the port).
fn app_without_database() -> TestApp {
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy("postgres://goldthread@127.0.0.1:9/goldthread")
        .expect("lazy pool");
    let config = Config::for_tests("postgres://unused");
    let router = goldthread::router::app(AppState::new(config.clone(), pool.clone()));
    TestApp {
        pool,
        router,
        config,
    }
}

#[test]
fn connection_failures_are_503_with_retry_after_and_query_errors_stay_500() {
    use axum::response::IntoResponse;
    for err in [
        sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed,
        sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
    ] {
        let page = AppError::Sqlx(err).into_response();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()[header::RETRY_AFTER], "5");
    }
    let wrapped = AppError::Anyhow(
        anyhow::Error::new(sqlx::Error::PoolTimedOut).context("loading the overview"),
    );
    assert_eq!(wrapped.status(), StatusCode::SERVICE_UNAVAILABLE);
    let api = ApiError(AppError::Sqlx(sqlx::Error::PoolTimedOut)).into_response();
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(api.headers()[header::RETRY_AFTER], "5");
    assert_eq!(
        api.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    // The session store hands its errors over as text.
    let store = AppError::Anyhow(anyhow::anyhow!(
        "session store: error communicating with database: No such file or directory (os error 2)"
    ));
    assert_eq!(store.status(), StatusCode::SERVICE_UNAVAILABLE);
    let bug = AppError::Sqlx(sqlx::Error::ColumnNotFound("x".into()));
    assert_eq!(bug.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn with_the_database_away_pages_and_the_api_answer_503_quickly() {
    let app = app_without_database();
    let mut client = app.client();
    let mut seen = Vec::new();
    let started = Instant::now();
    for (method, path, token) in [
        (Method::GET, "/healthz", None),
        (Method::GET, "/signin", None),
        (Method::GET, "/feedback", None),
        (Method::GET, "/api/v1/me", Some("gt_not_a_real_token")),
        (
            Method::GET,
            "/api/v1/feedback?q=card",
            Some("gt_not_a_real_token"),
        ),
        (
            Method::POST,
            "/api/v1/feedback",
            Some("gt_not_a_real_token"),
        ),
    ] {
        let body =
            (method == Method::POST).then(|| serde_json::json!({"source": "sales", "body": "x"}));
        let res = client.api(method.clone(), path, token, body).await;
        seen.push(format!(
            "{method} {path}: {} retry-after={:?} {}",
            res.status,
            res.headers.get(header::RETRY_AFTER),
            res.content_type()
        ));
        // What needs no database may still answer (the sign-in form; a redirect to it).
        let needs_db = path.starts_with("/api/") || path == "/healthz";
        if needs_db || res.status.is_server_error() {
            assert_eq!(
                res.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{}",
                seen.join("\n")
            );
            assert!(
                res.headers.contains_key(header::RETRY_AFTER),
                "{}",
                seen.join("\n")
            );
        }
        if path.starts_with("/api/") {
            assert_eq!(res.content_type(), "application/problem+json", "{path}");
        }
    }
    // A signed-in browser (a session cookie) gets the same, not a 500 from the session store.
    client
        .cookies
        .insert("goldthread_session".into(), "AAAAAAAAAAAAAAAAAAAAAA".into());
    let res = client.get("/feedback").await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE, "{}", res.body);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
