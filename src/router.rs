//! The whole application as one router: every feature's routes, the middleware stack, health,
//! metrics and the OpenAPI document.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::error::AppError;

/// The document's frame; every path is registered where its route is declared (`routes!`).
#[derive(OpenApi)]
#[openapi(
    info(title = "Goldthread API", description = "Send `Authorization: Bearer <token>`; create tokens under Admin → API tokens or with `goldthread tokens create`. Errors are RFC 9457 `application/problem+json`."),
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

async fn healthz(State(state): State<AppState>) -> Response {
    match crate::db::ping(&state.pool).await {
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

/// Every JSON route, with its OpenAPI path.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::auth::api::router())
        .merge(crate::feedback::api::router())
        .merge(crate::accounts::api::router())
        .merge(crate::themes::api::router())
        .merge(crate::themes::tagging::api::router())
        .merge(crate::launches::api::router())
}

/// The OpenAPI document, as `/api/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
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

    let (api, openapi) = api_router().split_for_parts();
    let openapi = Arc::new(openapi);
    let pages = Router::new()
        .merge(crate::home::web::router())
        .merge(crate::home::signin::router())
        .merge(crate::admin::web::router())
        .merge(crate::feedback::web::router())
        .merge(crate::imports::web::router())
        .merge(crate::themes::web::router())
        .merge(crate::themes::tagging::review::router())
        .merge(crate::themes::tagging::emerging::router())
        .merge(crate::themes::tagging::item::router())
        .merge(crate::nps::web::router())
        .merge(crate::accounts::web::router())
        .merge(crate::launches::web::router())
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || async move { Json(openapi) }),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .merge(crate::web::assets::router())
        .fallback(not_found)
        .layer(middleware::from_fn(crate::auth::csrf::protect))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::error_page::render,
        ))
        .layer(Extension(crate::insights::Caches::new()))
        .layer(Extension(crate::themes::tagging::emerging::cache()))
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
