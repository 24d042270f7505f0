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
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS)],
                "database unavailable\n",
            )
                .into_response()
        }
    }
}

/// Prometheus metrics: only with the configured bearer token, or (without a token) only on the
/// separate metrics address; off otherwise.
async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let plain = |status: StatusCode, text: &'static str| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response()
    };
    match &state.config.metrics_token {
        Some(token) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !same_secret(given, token) {
                let mut response = plain(
                    StatusCode::UNAUTHORIZED,
                    "Send Authorization: Bearer <GOLDTHREAD_METRICS_TOKEN>\n",
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"metrics\""),
                );
                return response;
            }
        }
        None if state.config.metrics_bind.is_none() => {
            return plain(
                StatusCode::NOT_FOUND,
                "Metrics are off: set GOLDTHREAD_METRICS_TOKEN or GOLDTHREAD_METRICS_BIND\n",
            );
        }
        None => {}
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Compare secrets by their digests, so the time taken says nothing about the secret.
fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(given.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// `/metrics` alone, for the separate metrics address (`GOLDTHREAD_METRICS_BIND`).
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .with_state(state)
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

/// `/metrics` beside the pages: only when it has no address of its own.
async fn metrics_on_pages(state: State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if state.config.metrics_bind.is_some() {
        return AppError::NotFound.into_response();
    }
    metrics_text(state, headers).await
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::error::ApiError(AppError::NotFound).into_response()
    } else {
        AppError::NotFound.into_response()
    }
}

/// The router's own refusals under `/api/` (a method the path does not take) as problem+json,
/// like every other API error.
async fn api_problems(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !api || response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut problem = crate::error::ApiError(AppError::Rejected {
        status: StatusCode::METHOD_NOT_ALLOWED,
        errors: crate::validation::FieldErrors::single(
            "method",
            match allow.as_ref().and_then(|a| a.to_str().ok()) {
                Some(allowed) => format!("This address takes {allowed}"),
                None => "This address does not take this method".to_owned(),
            },
        ),
    })
    .into_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    problem
}

/// Every JSON route, with its OpenAPI path.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(crate::auth::api::router())
        .merge(crate::feedback::api::router())
        .merge(crate::accounts::api::router())
        .merge(crate::themes::api::router())
        .merge(crate::themes::tagging::api::router())
        .merge(crate::questions::api::router())
        .merge(crate::launches::api::router())
        .merge(crate::digests::api::router())
        .merge(crate::notify::api::router())
}

/// The OpenAPI document, as `/api/openapi.json` serves it.
pub fn openapi() -> serde_json::Value {
    document(api_router().split_for_parts().1)
}

fn document(doc: utoipa::openapi::OpenApi) -> serde_json::Value {
    let doc = serde_json::to_value(with_problem_responses(doc)).unwrap_or_default();
    crate::api_doc::with_input_rules(doc)
}

/// Declare on every operation the problems any API route can answer (the token, the role, and
/// what the extractors refuse: a path, query or body that cannot be read), each as
/// `application/problem+json`; a route's own description of a status is kept.
fn with_problem_responses(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_params = path.contains('{');
        for op in [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ] {
            let Some(op) = op else { continue };
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
            let has_body = op.request_body.is_some();
            let mut wanted = vec![
                (
                    "401",
                    "Missing, wrong, revoked or expired token (`detail` says which)",
                ),
                ("403", "The token's role does not allow this"),
            ];
            if has_path_params {
                wanted.push((
                    "404",
                    "Nothing has this id (or it is not an id: named in `errors`)",
                ));
            }
            if has_body {
                wanted.push(("400", "The body is not valid JSON"));
                wanted.push(("413", "The body is too large"));
                wanted.push(("415", "The body is not sent as application/json"));
                wanted.push(("422", "A field is not valid (each named in `errors`)"));
                wanted.push((
                    "409",
                    "A field clashes with what is stored: a name taken, or an id or email nothing has (named in `errors`)",
                ));
            }
            if has_query {
                wanted.push(("422", "A query parameter is not valid (named in `errors`)"));
            }
            for (status, description) in wanted {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description).into());
            }
        }
    }
    doc
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
    let openapi = Arc::new(document(openapi));
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
        .merge(crate::themes::tagging::retag::router())
        .merge(crate::questions::web::router())
        .merge(crate::feedback::bulk::router())
        .merge(crate::nps::web::router())
        .merge(crate::accounts::web::router())
        .merge(crate::launches::web::router())
        .merge(crate::digests::web::router())
        .merge(crate::digests::profile::router())
        .merge(crate::notify::web::router())
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || async move { Json(openapi) }),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_on_pages))
        .merge(crate::web::assets::router())
        .fallback(not_found)
        .layer(middleware::from_fn(api_problems))
        .layer(middleware::from_fn(crate::auth::csrf::protect))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::error_page::render,
        ))
        .layer(Extension(crate::insights::Caches::new()))
        .layer(Extension(crate::themes::tagging::emerging::cache()))
        .layer(Extension(crate::questions::ClassifierCache::default()))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::web::error_page::unavailable,
        ));

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
