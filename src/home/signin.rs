//! Sign-in and sign-out pages, including one-click demo sign-ins in demo mode.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use crate::app::AppState;
use crate::auth::session::safe_next;
use crate::auth::throttle::{self, Verdict};
use crate::auth::{ClientAddress, Role, Team, db, normalize_email, password, session};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::Layout;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signin", get(sign_in_page).post(sign_in))
        .route("/signin/demo", post(demo_sign_in))
        .route("/signout", post(sign_out))
}

pub struct DemoSignIn {
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
    pub team: Team,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/signin.html")]
pub struct SignInPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    pub errors: FieldErrors,
    pub demo: Vec<DemoSignIn>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn render_sign_in(
    state: &AppState,
    session: &Session,
    email: String,
    next: String,
    errors: FieldErrors,
) -> AppResult<SignInPage> {
    let demo = if state.config.demo {
        crate::demo::DEMO_USERS
            .iter()
            .map(|u| DemoSignIn {
                email: u.email,
                name: u.name,
                role: u.role,
                team: u.team,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(SignInPage {
        layout: Layout::anonymous(Some(session), "Sign in").await?,
        email,
        next,
        errors,
        demo,
    })
}

async fn sign_in_page(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NextQuery>,
) -> AppResult<Response> {
    if session::user_id(&session).await?.is_some() {
        return Ok(Redirect::to(&safe_next(query.next.as_deref())).into_response());
    }
    let next = safe_next(query.next.as_deref());
    Ok(render_sign_in(
        &state,
        &session,
        String::new(),
        next,
        FieldErrors::default(),
    )
    .await?
    .into_response())
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    Form(form): Form<SignInForm>,
) -> AppResult<Response> {
    let email = normalize_email(&form.email);
    let next = safe_next(form.next.as_deref());
    let mut errors = FieldErrors::default();
    if email.is_empty() {
        errors.add("email", "Enter your email address");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if !errors.is_empty() {
        let page = render_sign_in(&state, &session, form.email, next, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }

    if let Verdict::Wait { scope, wait } = throttle::check(&state.pool, &email, &address).await? {
        tracing::warn!(%address, scope = scope.as_str(), "sign-in throttled");
        let errors = FieldErrors::single("email", waiting_message(scope, wait));
        let page = render_sign_in(&state, &session, form.email, next, errors).await?;
        let mut response = (StatusCode::TOO_MANY_REQUESTS, page).into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(response);
    }

    let candidate = db::find_for_sign_in(&state.pool, &email).await?;
    let (hash, user) = match &candidate {
        Some(c) => (c.password_hash.clone(), Some(c)),
        None => (password::dummy_hash().to_owned(), None),
    };
    let typed = form.password.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify_password(&typed, &hash))
        .await
        .map_err(|e| anyhow::anyhow!("password check failed: {e}"))?;

    match user {
        Some(user) if matches && !user.disabled => {
            db::record_attempt(&state.pool, &email, &address, true).await?;
            throttle::record_success(&state.pool, &email).await?;
            session::sign_in(&session, user.id).await?;
            Ok(Redirect::to(&next).into_response())
        }
        Some(user) if matches && user.disabled => {
            let errors = FieldErrors::single(
                "email",
                "This account is disabled. Ask an admin to enable it again.",
            );
            let page = render_sign_in(&state, &session, form.email, next, errors).await?;
            Ok((StatusCode::FORBIDDEN, page).into_response())
        }
        _ => {
            db::record_attempt(&state.pool, &email, &address, false).await?;
            let wait = throttle::record_failure(&state.pool, &email, &address).await?;
            let message = match wait {
                Some(wait) => format!(
                    "That email and password do not match an account. After several wrong passwords, this account must wait {} before the next try; an admin can unlock it sooner.",
                    throttle::wait_words(wait)
                ),
                None => {
                    "That email and password do not match an account. Check both and try again."
                        .into()
                }
            };
            let errors = FieldErrors::single("email", message);
            let page = render_sign_in(&state, &session, form.email, next, errors).await?;
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
    }
}

/// What is true while a wait runs: who waits, for how long, and what else helps.
fn waiting_message(scope: throttle::Scope, wait: std::time::Duration) -> String {
    let words = throttle::wait_words(wait);
    match scope {
        throttle::Scope::Account => format!(
            "Too many wrong passwords for this account. Try again in {words}: until then no password is checked, not even the right one. An admin can unlock the account sooner from its page under Admin → Users."
        ),
        throttle::Scope::Address => {
            format!("Too many wrong passwords from your network. Try again in {words}.")
        }
    }
}

#[derive(Deserialize)]
pub struct DemoForm {
    email: String,
}

/// One click to sign in as a demo user. Exists only in demo mode and only for demo accounts.
async fn demo_sign_in(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<DemoForm>,
) -> AppResult<Response> {
    if !state.config.demo {
        return Err(AppError::NotFound);
    }
    let email = normalize_email(&form.email);
    if !crate::demo::DEMO_USERS.iter().any(|u| u.email == email) {
        return Err(AppError::Forbidden);
    }
    let user = db::find_for_sign_in(&state.pool, &email)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| {
            AppError::BadRequest(
                "That demo user does not exist. Run `goldthread demo` first.".into(),
            )
        })?;
    if !db::is_demo_user(&state.pool, user.id).await? {
        return Err(AppError::Forbidden);
    }
    session::sign_in(&session, user.id).await?;
    Ok(Redirect::to("/").into_response())
}

async fn sign_out(session: Session) -> AppResult<Response> {
    session::sign_out(&session).await?;
    Ok(Redirect::to("/signin").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/admin/users?x=1")), "/admin/users?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(
            crate::auth::session::sign_in_url("/admin?a=b"),
            "/signin?next=%2Fadmin%3Fa%3Db"
        );
    }
}
