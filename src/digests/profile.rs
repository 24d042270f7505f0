//! A person's own settings for what reaches them: digest email on or off, and feed tokens for
//! reading the Atom feeds in a feed reader (made, shown once, revocable). Also the signed
//! one-click unsubscribe links of digest email (RFC 8058), which need no session.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Audience, db, send};
use crate::app::AppState;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::web::Layout;
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(profile))
        .route("/profile/digest-email", post(set_digest_email))
        .route("/profile/feed-tokens", post(create_token))
        .route("/profile/feed-tokens/{id}/revoke", post(revoke_token))
        .route("/launches.atom", get(super::feeds::launches_feed))
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
}

pub struct TokenLine {
    pub id: i64,
    pub created: When,
    pub last_used: Option<When>,
}

#[derive(Template, WebTemplate)]
#[template(path = "digests/profile.html")]
pub struct ProfilePage {
    layout: Layout,
    subscribed: bool,
    tokens: Vec<TokenLine>,
    /// A token just made, shown this once.
    new_token: Option<String>,
    base: String,
    my_audience: &'static str,
}

async fn profile(State(state): State<AppState>, current: CurrentUser) -> AppResult<ProfilePage> {
    let user = &current.user;
    user.require(Permission::Read)?;
    let new_token = crate::auth::tokens::take_for_display(&current.session).await?;
    Ok(ProfilePage {
        layout: Layout::for_user(&current, "Your profile", "profile").await?,
        subscribed: !db::is_unsubscribed(&state.pool, user.id).await?,
        tokens: db::feed_tokens(&state.pool, user.id)
            .await?
            .into_iter()
            .map(|t| TokenLine {
                id: t.id,
                created: When::from(t.created_at),
                last_used: t.last_used_at.map(When::from),
            })
            .collect(),
        new_token,
        base: state.config.base_url(),
        my_audience: Audience::of_team(user.team)
            .unwrap_or(Audience::Everyone)
            .as_str(),
    })
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    subscribed: Option<String>,
}

async fn set_digest_email(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let on = form.subscribed.is_some();
    db::set_unsubscribed(&state.pool, current.user.id, !on).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        if on {
            "Digest email is on: digests for you arrive in your inbox."
        } else {
            "Digest email is off: read digests here or in a feed reader."
        },
        None,
    )
    .await?;
    Ok(Redirect::to("/profile").into_response())
}

async fn create_token(State(state): State<AppState>, current: CurrentUser) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let issued = crate::auth::tokens::issue();
    db::insert_feed_token(&state.pool, current.user.id, &issued.hash).await?;
    crate::auth::tokens::keep_for_display(&current.session, &issued.token).await?;
    Ok(Redirect::to("/profile#feeds").into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    if !db::revoke_feed_token(&state.pool, current.user.id, id).await? {
        return Err(AppError::NotFound);
    }
    set_flash(
        &current.session,
        FlashKind::Success,
        "Feed token revoked: feed readers using it get no more entries.",
        None,
    )
    .await?;
    Ok(Redirect::to("/profile#feeds").into_response())
}

#[derive(Debug, Deserialize)]
pub struct SignedLink {
    #[serde(default)]
    u: Option<String>,
    #[serde(default)]
    s: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "digests/unsubscribe.html")]
pub struct UnsubscribePage {
    layout: Layout,
    /// The form's target, the link's own query kept.
    action: String,
    done: bool,
    valid: bool,
}

/// The user a signed link names, if its signature holds.
async fn signed_user(state: &AppState, link: &SignedLink) -> AppResult<Option<i64>> {
    let (Some(u), Some(s)) = (link.u.as_deref(), link.s.as_deref()) else {
        return Ok(None);
    };
    let Ok(user_id) = u.trim().parse::<i64>() else {
        return Ok(None);
    };
    Ok(send::verify(&state.pool, user_id, s)
        .await?
        .then_some(user_id))
}

fn action(link: &SignedLink) -> String {
    format!(
        "/unsubscribe?{}",
        serde_urlencoded::to_string([
            ("u", link.u.as_deref().unwrap_or("")),
            ("s", link.s.as_deref().unwrap_or("")),
        ])
        .unwrap_or_default()
    )
}

/// A person who clicked the link in an email: ask first (link checkers open links too).
async fn unsubscribe_page(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Query(link): Query<SignedLink>,
) -> AppResult<Response> {
    let valid = signed_user(&state, &link).await?.is_some();
    let page = UnsubscribePage {
        layout: Layout::anonymous(Some(&session), "Unsubscribe from digest email").await?,
        action: action(&link),
        done: false,
        valid,
    };
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok((status, page).into_response())
}

/// The one-click POST (RFC 8058: a mail client sends `List-Unsubscribe=One-Click`) or the
/// page's button. The signature is the authority, not a session, so no CSRF token is asked.
async fn unsubscribe(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    Query(link): Query<SignedLink>,
) -> AppResult<Response> {
    let Some(user_id) = signed_user(&state, &link).await? else {
        let page = UnsubscribePage {
            layout: Layout::anonymous(Some(&session), "Unsubscribe from digest email").await?,
            action: action(&link),
            done: false,
            valid: false,
        };
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    db::set_unsubscribed(&state.pool, user_id, true).await?;
    tracing::info!(user = user_id, "unsubscribed from digest email");
    Ok(UnsubscribePage {
        layout: Layout::anonymous(Some(&session), "Unsubscribed").await?,
        action: action(&link),
        done: true,
        valid: true,
    }
    .into_response())
}
