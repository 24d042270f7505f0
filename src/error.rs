//! One error type for the whole app: an HTML page for browsers, `application/problem+json` for the API.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// No signed-in user: pages redirect to sign-in and come back to `next` afterwards.
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("the form has expired or was not sent by this site")]
    Csrf,
    #[error("invalid input")]
    Validation(FieldErrors),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts")]
    TooManyRequests,
    /// The request itself could not be read (its body, query, path or content type), with
    /// the status that says why and the field at fault.
    #[error("the request could not be read: {errors}")]
    Rejected {
        status: StatusCode,
        errors: FieldErrors,
    },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Anyhow(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// Turns a unique-key (or other constraint) violation into a message on the field at fault,
/// the way realworld-axum-sqlx's `on_constraint` does; other errors pass through.
pub trait ResultExt<T> {
    fn on_constraint(
        self,
        constraint: &str,
        field: &'static str,
        message: impl FnOnce() -> String,
    ) -> AppResult<T>;
}

impl<T> ResultExt<T> for Result<T, sqlx::Error> {
    fn on_constraint(
        self,
        constraint: &str,
        field: &'static str,
        message: impl FnOnce() -> String,
    ) -> AppResult<T> {
        match self {
            Err(sqlx::Error::Database(e)) if e.constraint() == Some(constraint) => {
                let mut errors = FieldErrors::default();
                errors.add_conflict(field, message());
                Err(AppError::Validation(errors))
            }
            other => other.map_err(AppError::from),
        }
    }
}

impl AppError {
    /// A write that names a row that does not exist (a foreign key violation, e.g. an owner id
    /// nothing has) is the request's fault, not ours: a 409 on the field the key is named
    /// after (`launches_owner_id_fkey` → `owner_id`), instead of a 500.
    pub fn referenced_row_missing(self) -> AppError {
        if let AppError::Sqlx(sqlx::Error::Database(e)) = &self
            && e.code().as_deref() == Some("23503")
        {
            let constraint = e.constraint().unwrap_or_default();
            let field = e
                .table()
                .and_then(|t| constraint.strip_prefix(&format!("{t}_")))
                .unwrap_or(constraint)
                .trim_end_matches("_fkey")
                .to_owned();
            let mut errors = FieldErrors::default();
            errors.add_conflict(&field, "Nothing has this id: choose one that exists");
            return AppError::Validation(errors);
        }
        self
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::SignInRequired { .. } | AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Validation(errors) if errors.all_conflicts() => StatusCode::CONFLICT,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Rejected { status, .. } => *status,
            AppError::Sqlx(sqlx::Error::RowNotFound) => StatusCode::NOT_FOUND,
            _ if self.database_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Sqlx(_) | AppError::Anyhow(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether the database could not be reached (down, restarting, out of connections) rather
    /// than refusing the query: answered 503 with `Retry-After`, since trying again will work.
    pub fn database_unavailable(&self) -> bool {
        match self {
            AppError::Sqlx(e) => unavailable(e),
            AppError::Anyhow(e) => e.chain().any(|cause| {
                cause.downcast_ref::<sqlx::Error>().is_some_and(unavailable)
                    || lost_connection_text(&cause.to_string())
            }),
            _ => false,
        }
    }

    /// What a person may be told. Internal errors are logged with their chain, never shown.
    pub fn public_message(&self) -> String {
        match self {
            AppError::NotFound | AppError::Sqlx(sqlx::Error::RowNotFound) => {
                "There is nothing at this address. It may have been moved or removed.".into()
            }
            AppError::SignInRequired { .. } | AppError::Unauthorized => {
                "You need to sign in to see this.".into()
            }
            AppError::Forbidden => "Your role does not allow this. Ask an admin if you need it.".into(),
            AppError::Csrf => "This form has expired or was not sent from Goldthread. Go back, reload the page and try again.".into(),
            AppError::Validation(errors) | AppError::Rejected { errors, .. } => errors
                .0
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "Some fields need attention.".into()),
            AppError::BadRequest(msg) | AppError::Conflict(msg) => msg.clone(),
            AppError::TooManyRequests => "Too many attempts. Wait a few minutes and try again.".into(),
            _ if self.database_unavailable() => {
                "The database is not answering right now. Try again in a few seconds.".into()
            }
            AppError::Sqlx(_) | AppError::Anyhow(_) => {
                "Something went wrong on our side. It has been logged; try again in a moment.".into()
            }
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            match self {
                AppError::Anyhow(err) => {
                    tracing::error!(error = format!("{err:#}"), "request failed")
                }
                other => tracing::error!(error = %other, "request failed"),
            }
        }
    }
}

/// Connection-level failures, and the server's own "shutting down / starting up / connection
/// lost" codes (SQLSTATE classes 08 and 57P): the query never ran or its connection went away.
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// A sqlx connection failure that reached us only as text (the session store turns its errors
/// into strings; some paths wrap an error with `anyhow!("{e}")`): sqlx's own wording.
fn lost_connection_text(text: &str) -> bool {
    [
        "error communicating with database",
        "pool timed out while waiting for an open connection",
        "attempted to acquire a connection on a closed pool",
        "terminating connection due to administrator command",
        "the database system is starting up",
        "the database system is shutting down",
    ]
    .iter()
    .any(|phrase| text.contains(phrase))
}

/// Seconds a client should wait before retrying a 503.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// What a page error tells the person: added to the response by [`AppError`] and turned into
/// the HTML error page (with the navigation of whoever is signed in) by the page layer in
/// the web layer's error page. Keeping the page out of here keeps this module a leaf.
#[derive(Debug, Clone)]
pub struct PageError {
    pub title: &'static str,
    pub message: String,
    /// Set when the person must sign in first: where to come back to afterwards.
    pub sign_in_next: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let title = match status {
            StatusCode::NOT_FOUND => "Page not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNAUTHORIZED => "Sign-in required",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let error = PageError {
            title,
            message: self.public_message(),
            sign_in_next: match self {
                AppError::SignInRequired { next } => Some(next),
                _ => None,
            },
        };
        let mut response = (status, error.message.clone()).into_response();
        response.extensions_mut().insert(error);
        retry_after(&mut response);
        response
    }
}

/// An error from a JSON API route, answered as RFC 9457 problem details.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        ApiError(err.into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field errors, when the request body was not valid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::validation::FieldError>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0.referenced_row_missing();
        err.log();
        let status = match &err {
            AppError::SignInRequired { .. } => StatusCode::UNAUTHORIZED,
            other => other.status(),
        };
        let errors = match &err {
            AppError::Validation(fields) | AppError::Rejected { errors: fields, .. } => {
                fields.0.clone()
            }
            _ => Vec::new(),
        };
        let problem = Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: err.public_message(),
            errors,
        };
        let mut response = (status, Json(problem)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        retry_after(&mut response);
        response
    }
}

/// A 503 says when to try again.
pub fn retry_after(response: &mut Response) {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
    }
}

/// JSON body, query string and path extractors for the API whose rejections are problem+json
/// naming the field at fault (axum's own answer in plain text, without the field).
pub mod extract {
    use axum::extract::{FromRequest, FromRequestParts, Request};
    use axum::http::request::Parts;
    use axum::http::{StatusCode, header};
    use serde::de::DeserializeOwned;

    use super::{ApiError, AppError};
    use crate::validation::FieldErrors;

    fn rejected(status: StatusCode, field: &str, message: impl Into<String>) -> ApiError {
        ApiError(AppError::Rejected {
            status,
            errors: FieldErrors::single(field, message),
        })
    }

    /// The field a deserialisation error is about (`items[2].body`), or `fallback` at the top.
    fn field_of(path: &serde_path_to_error::Path, fallback: &str) -> String {
        let p = path.to_string();
        if p.is_empty() || p == "." || p == "?" {
            fallback.to_owned()
        } else {
            p
        }
    }

    /// A JSON request body (`Content-Type: application/json`).
    pub struct ApiJson<T>(pub T);

    impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
        type Rejection = ApiError;

        async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().to_ascii_lowercase());
            let is_json = content_type
                .as_deref()
                .is_some_and(|t| t == "application/json" || t.ends_with("+json"));
            if !is_json {
                return Err(rejected(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type",
                    match content_type {
                        Some(t) => format!("Send the body as application/json, not {t}"),
                        None => "Send the body as JSON, with Content-Type: application/json".into(),
                    },
                ));
            }
            let bytes = bytes::Bytes::from_request(req, state)
                .await
                .map_err(|e| rejected(e.status(), "body", e.body_text()))?;
            let mut json: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| not_json(&e))?;
            whole_numbers(&mut json);
            let value: T = serde_path_to_error::deserialize(json).map_err(|e| {
                let field = field_of(e.path(), "body");
                rejected(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &field,
                    data_message(e.inner()),
                )
            })?;
            Ok(ApiJson(value))
        }
    }

    /// An optional JSON body: none when the request has no body and no Content-Type.
    impl<S: Send + Sync, T: DeserializeOwned> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
        type Rejection = ApiError;

        async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
            let declared = req.headers().contains_key(header::CONTENT_TYPE);
            let empty = req
                .headers()
                .get(header::CONTENT_LENGTH)
                .is_none_or(|v| v.as_bytes() == b"0");
            if !declared && empty {
                return Ok(None);
            }
            <ApiJson<T> as FromRequest<S>>::from_request(req, state)
                .await
                .map(Some)
        }
    }

    /// `3.0` is the whole number 3 (as JSON Schema counts it): read as an integer wherever one
    /// is expected, instead of refused as "a floating point".
    fn whole_numbers(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(n) if n.is_f64() => {
                if let Some(f) = n.as_f64()
                    && f.fract() == 0.0
                    && f.abs() < 9.0e15
                {
                    *n = serde_json::Number::from(f as i64);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
            serde_json::Value::Object(map) => map.values_mut().for_each(whole_numbers),
            _ => {}
        }
    }

    fn not_json(err: &serde_json::Error) -> ApiError {
        rejected(
            StatusCode::BAD_REQUEST,
            "body",
            format!("The body is not valid JSON: {err}"),
        )
    }

    /// serde's message without its position suffix (the field is named separately).
    fn data_message(err: &impl std::fmt::Display) -> String {
        let text = err.to_string();
        let text = match text.rfind(" at line ") {
            Some(i) => text[..i].to_owned(),
            None => text,
        };
        let mut chars = text.chars();
        match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => text,
        }
    }

    /// A query string.
    pub struct ApiQuery<T>(pub T);

    impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
        type Rejection = ApiError;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            let query = parts.uri.query().unwrap_or_default();
            // A parameter is given a value or left out; none holds a control character.
            let mut errors = FieldErrors::default();
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                if value.trim().is_empty() {
                    errors.add(
                        &key,
                        format!("Give {key} a value, or leave it out of the query"),
                    );
                } else {
                    errors.check_text(&key, Some(&value), false);
                }
            }
            if !errors.is_empty() {
                return Err(ApiError(AppError::Rejected {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    errors,
                }));
            }
            let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
            serde_path_to_error::deserialize(de)
                .map(ApiQuery)
                .map_err(|e| {
                    let field = field_of(e.path(), "query");
                    rejected(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &field,
                        data_message(e.inner()),
                    )
                })
        }
    }

    /// Path parameters.
    pub struct ApiPath<T>(pub T);

    impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
        type Rejection = ApiError;

        async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
            use axum::extract::path::ErrorKind;
            use axum::extract::rejection::PathRejection;
            match axum::extract::Path::<T>::from_request_parts(parts, state).await {
                Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
                Err(PathRejection::FailedToDeserializePathParams(e)) => {
                    let (field, message) = match e.kind() {
                        ErrorKind::ParseErrorAtKey {
                            key,
                            value,
                            expected_type,
                        } => (key.clone(), describe(value, expected_type)),
                        ErrorKind::ParseErrorAtIndex {
                            value,
                            expected_type,
                            ..
                        }
                        | ErrorKind::ParseError {
                            value,
                            expected_type,
                        } => ("id".to_owned(), describe(value, expected_type)),
                        other => ("path".to_owned(), other.to_string()),
                    };
                    // Nothing can have an id that is not one: the same answer as an unknown id.
                    Err(rejected(StatusCode::NOT_FOUND, &field, message))
                }
                Err(other) => Err(rejected(other.status(), "path", other.body_text())),
            }
        }
    }

    fn describe(value: &str, expected_type: &str) -> String {
        if expected_type.starts_with('i') || expected_type.starts_with('u') {
            format!(
                "\"{}\" is not an id: ids are whole numbers from 1 to {}",
                value.escape_debug(),
                i64::MAX
            )
        } else {
            format!("\"{}\" is not valid here", value.escape_debug())
        }
    }
}
