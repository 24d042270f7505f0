//! Extractors for who is asking: a signed-in person (pages) or a token holder (API).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use tower_sessions::Session;

use super::User;
use crate::app::AppState;
use crate::error::{ApiError, AppError};

/// The signed-in user of a page request, with their session. Anonymous requests are sent
/// to sign-in (and brought back afterwards); disabled users are signed out.
pub struct CurrentUser {
    pub user: User,
    pub session: Session,
    /// The demo's BANKING77 tickets are loaded: every page credits the data set.
    pub credit_banking77: bool,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| {
                AppError::Anyhow(anyhow::anyhow!("session layer missing: {msg}"))
            })?;
        let next = if parts.method == Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into())
        } else {
            "/".into()
        };
        let Some(user_id) = super::session::user_id(&session).await? else {
            return Err(AppError::SignInRequired { next });
        };
        match super::db::find_active(&state.pool, user_id).await? {
            Some(user) => Ok(CurrentUser {
                user,
                session,
                credit_banking77: crate::db::has_banking77(&state.pool).await?,
            }),
            None => {
                // Disabled or removed since signing in: end the session.
                super::session::sign_out(&session).await?;
                Err(AppError::SignInRequired { next })
            }
        }
    }
}

/// The user behind `Authorization: Bearer <token>` on an API request.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError(AppError::Unauthorized))?;
        let hash = super::tokens::hash(token);
        if let Some(user) = super::db::user_for_token(&state.pool, &hash).await? {
            return Ok(ApiUser(user));
        }
        let refusal = super::db::token_refusal(&state.pool, &hash).await?;
        match super::tokens::refusal_message(refusal, time::OffsetDateTime::now_utc()) {
            Some(message) => Err(ApiError(AppError::Rejected {
                status: axum::http::StatusCode::UNAUTHORIZED,
                errors: crate::validation::FieldErrors::single("Authorization", message),
            })),
            None => Err(ApiError(AppError::Unauthorized)),
        }
    }
}

/// The client's address, for throttling. Behind a trusted proxy, the first `X-Forwarded-For` entry.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.config.trust_proxy
            && let Some(forwarded) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
        {
            return Ok(ClientAddress(forwarded.trim().to_owned()));
        }
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddress(address))
    }
}
