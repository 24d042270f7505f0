//! CSRF protection: a per-session synchronizer token that every state-changing form must echo.
//!
//! The token lives in the server-side session (tower-sessions). The middleware checks every
//! POST/PUT/PATCH/DELETE outside `/api` (which uses bearer tokens, not cookies): the token may come
//! as the `csrf_token` form field, the `X-CSRF-Token` header, or, for multipart uploads, the
//! `csrf_token` query parameter. `/unsubscribe` is exempt: its signed link is the authority. A request without a matching token is refused with 403 before
//! any handler runs, so nothing changes.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use tower_sessions::Session;

use crate::error::AppError;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
/// Urlencoded bodies are buffered to find the token; larger forms are refused.
const MAX_FORM_BYTES: usize = 8 * 1024 * 1024;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn field_from_urlencoded(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

fn field_from_query(query: Option<&str>) -> Option<String> {
    field_from_urlencoded(query?.as_bytes())
}

/// Middleware: refuse unsafe requests that do not carry the session's CSRF token.
pub async fn protect(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // `/unsubscribe` is authorised by the signed link itself, not by a session: a mail client's
    // RFC 8058 one-click POST carries no cookie and no token.
    if !unsafe_method
        || request.uri().path().starts_with("/api/")
        || request.uri().path() == "/unsubscribe"
    {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return AppError::Csrf.into_response();
    };
    let expected = match super::session::existing_csrf_token(&session).await {
        Ok(Some(token)) => token,
        Ok(None) => return AppError::Csrf.into_response(),
        Err(err) => return AppError::Anyhow(err).into_response(),
    };

    let (parts, body) = request.into_parts();
    let is_urlencoded = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));

    let from_header = parts
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_query = field_from_query(parts.uri.query());

    let (submitted, body) = if from_header.is_some() || from_query.is_some() {
        (from_header.or(from_query), body)
    } else if is_urlencoded {
        let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return AppError::BadRequest("The form is too large.".into()).into_response();
            }
        };
        (field_from_urlencoded(&bytes), Body::from(bytes))
    } else {
        (None, body)
    };

    match submitted {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => {
            next.run(Request::from_parts(parts, body)).await
        }
        _ => {
            tracing::warn!(path = %parts.uri.path(), "refused a request without a valid CSRF token");
            AppError::Csrf.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_among_fields() {
        let body = b"name=Ada&csrf_token=abc%2Bdef&x=1";
        assert_eq!(field_from_urlencoded(body).as_deref(), Some("abc+def"));
        assert_eq!(field_from_urlencoded(b"name=Ada"), None);
        assert_eq!(
            field_from_query(Some("a=1&csrf_token=zz")).as_deref(),
            Some("zz")
        );
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"short", b"longer"));
        assert_ne!(new_token(), new_token());
    }
}
