//! Router assembly, the middleware stack, health and metrics, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use utoipa::OpenApi;

use crate::config::Config;
use crate::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// Theme figures per filter, reused while the rollups stand still.
    pub figures: Arc<crate::themes::figures::FiguresCache>,
    /// The emerging-themes clusters, recomputed when feedback or tags change.
    pub emerging: Arc<crate::themes::review::EmergingCache>,
    /// Suggested tags to review, overall and per theme.
    pub suggested: Arc<crate::themes::figures::SuggestedCache>,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> Self {
        AppState {
            pool,
            config: Arc::new(config),
            metrics: crate::telemetry::metrics_handle(),
            figures: Arc::new(crate::themes::figures::figures_cache()),
            emerging: Arc::new(crate::themes::review::emerging_cache()),
            suggested: Arc::new(crate::themes::figures::suggested_cache()),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Goldthread API", description = "Send `Authorization: Bearer <token>`; create tokens under Admin → API tokens or with `goldthread tokens create`. Errors are RFC 9457 `application/problem+json`."),
    paths(
        crate::auth::api::me,
        crate::feedback::api::create,
        crate::feedback::api::list,
        crate::feedback::api::support_webhook,
        crate::accounts::api::list,
        crate::accounts::api::show,
        crate::accounts::api::create,
        crate::themes::api::list_themes,
        crate::themes::api::get_theme,
        crate::themes::api::create_theme,
        crate::themes::api::confirm_tag,
        crate::themes::api::reject_tag,
    ),
    components(schemas(crate::auth::User, crate::auth::Role, crate::auth::Team, crate::error::Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi_json() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

async fn healthz(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar!("select 1 as one")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(err) => {
            tracing::error!(error = %err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// Count requests and their latency by route pattern (never the raw URI: low cardinality).
async fn record_metrics(request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("goldthread_http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status).increment(1);
    metrics::histogram!("goldthread_http_request_duration_seconds", "method" => method, "path" => path)
        .record(start.elapsed().as_secs_f64());
    response
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// The whole application as a router, ready to serve or to drive in tests.
pub fn app(state: AppState) -> Router {
    let store = PostgresStore::new(state.pool.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name("goldthread_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            state.config.session_idle.as_secs() as i64,
        )));

    let pages = Router::new()
        .merge(crate::home::web::router())
        .merge(crate::auth::web::router())
        .merge(crate::admin::web::router())
        .merge(crate::auth::api::router())
        .merge(crate::feedback::web::router())
        .merge(crate::feedback::api::router())
        .merge(crate::imports::web::router())
        .merge(crate::themes::web::router())
        .merge(crate::themes::api::router())
        .merge(crate::nps::web::router())
        .merge(crate::accounts::web::router())
        .merge(crate::accounts::api::router())
        .route("/api/openapi.json", get(openapi_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .merge(crate::web::assets::router())
        .fallback(not_found)
        .layer(middleware::from_fn(crate::auth::csrf::protect))
        .layer(sessions);

    pages
        .layer(middleware::from_fn(record_metrics))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let path = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("unmatched");
                tracing::info_span!("request", method = %request.method(), path)
            }),
        )
        .with_state(state)
}

/// Serve until SIGINT or SIGTERM, then finish in-flight requests.
pub async fn serve(config: Config, pool: PgPool) -> anyhow::Result<()> {
    let bind = config.bind;
    let state = AppState::new(config, pool.clone());
    let interrupted = crate::imports::db::fail_interrupted(&pool).await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "marked imports interrupted by the last stop as failed"
        );
    }
    let housekeeping = tokio::spawn(housekeeping(pool.clone()));
    let worker = tokio::spawn(crate::jobs::worker(pool.clone()));
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    housekeeping.abort();
    worker.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Hourly: drop expired sessions and old sign-in attempts.
async fn housekeeping(pool: PgPool) {
    use tower_sessions::session_store::ExpiredDeletion;
    let store = PostgresStore::new(pool.clone());
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
        if let Err(err) = crate::auth::db::forget_old_attempts(&pool).await {
            tracing::warn!(error = %err, "could not prune sign-in attempts");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
