//! The HTML error page: turns a page error (see `crate::error::PageError`) into a page with the
//! navigation of whoever is signed in, or into a redirect to sign-in.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::Layout;
use crate::app::AppState;
use crate::auth::{self, CurrentUser};
use crate::error::PageError;

#[derive(Template, WebTemplate)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub code: u16,
    pub title: &'static str,
    pub message: String,
}

/// Middleware (inside the session layer): every page error becomes the error page.
pub async fn render(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<PageError>().cloned() else {
        return response;
    };
    if let Some(next) = &error.sign_in_next {
        return Redirect::to(&auth::session::sign_in_url(next)).into_response();
    }
    let status = response.status();
    let layout = match layout_for(&state, session, error.title).await {
        Some(layout) => layout,
        None => Layout::bare(error.title),
    };
    let page = ErrorPage {
        layout,
        code: status.as_u16(),
        title: error.title,
        message: error.message,
    };
    let mut page = (status, page).into_response();
    crate::error::retry_after(&mut page);
    page
}

/// The layout of the signed-in user (navigation, sign-out), or the anonymous one.
async fn layout_for(state: &AppState, session: Option<Session>, title: &str) -> Option<Layout> {
    let session = session?;
    let user_id = auth::session::user_id(&session).await.ok()?;
    let user = match user_id {
        Some(id) => auth::db::find_active(&state.pool, id).await.ok()?,
        None => None,
    };
    match user {
        Some(user) => {
            let current = CurrentUser {
                user,
                session,
                credit_banking77: false,
            };
            Layout::for_user(&current, title, "").await.ok()
        }
        None => Layout::anonymous(Some(&session), title).await.ok(),
    }
}

/// Middleware (outside the session layer): a 500 answered while the database cannot be reached
/// (a failed session load or save, a query on a connection that went away) is the database's
/// absence, not a bug: answer 503 with Retry-After, as problem+json under `/api/`. A 500 while
/// the database answers is left as it is.
pub async fn unavailable(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let reachable = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        crate::db::ping(&state.pool),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    if reachable {
        return response;
    }
    let gone = crate::error::AppError::Sqlx(sqlx::Error::PoolTimedOut);
    if api {
        return crate::error::ApiError(gone).into_response();
    }
    let mut page = (
        gone.status(),
        ErrorPage {
            layout: Layout::bare("Temporarily unavailable"),
            code: gone.status().as_u16(),
            title: "Temporarily unavailable",
            message: gone.public_message(),
        },
    )
        .into_response();
    crate::error::retry_after(&mut page);
    page
}
