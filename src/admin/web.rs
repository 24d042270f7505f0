//! Admin pages: users, API tokens, the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::UserInput;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::db::{TokenListing, UserListing};
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, Role, Team, db};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::format::When;
use crate::web::{ConfirmPage, Layout};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", get(edit_user).post(update_user))
        .route(
            "/admin/users/{id}/disable",
            get(confirm_disable).post(disable_user),
        )
        .route("/admin/users/{id}/enable", axum::routing::post(enable_user))
        .route("/admin/users/{id}/unlock", axum::routing::post(unlock_user))
        .route("/admin/tokens", get(tokens).post(create_token))
        .route(
            "/admin/tokens/{id}/revoke",
            get(confirm_revoke).post(revoke_token),
        )
        .route("/admin/audit", get(super::audit_page::audit_log))
        .merge(super::money::router())
}

pub(super) fn admin(current: &CurrentUser) -> AppResult<()> {
    current.user.require(Permission::Administer)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/overview.html")]
pub struct OverviewPage {
    layout: Layout,
    users: usize,
    tokens: usize,
    reporting_currency: String,
}

async fn overview(State(state): State<AppState>, current: CurrentUser) -> AppResult<OverviewPage> {
    admin(&current)?;
    let users = db::list(&state.pool).await?.len();
    let tokens = db::list_tokens(&state.pool)
        .await?
        .iter()
        .filter(|t| t.revoked_at.is_none())
        .count();
    Ok(OverviewPage {
        layout: Layout::for_user(&current, "Admin", "admin").await?,
        users,
        tokens,
        reporting_currency: super::reporting_currency(&state.pool).await?,
    })
}

pub struct UserRow {
    pub listing: UserListing,
    pub created: When,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    form: UserInput,
    errors: FieldErrors,
    roles: &'static [Role],
    teams: &'static [Team],
}

async fn render_users(
    state: &AppState,
    current: &CurrentUser,
    form: UserInput,
    errors: FieldErrors,
) -> AppResult<UsersPage> {
    let users = db::list(&state.pool)
        .await?
        .into_iter()
        .map(|listing| UserRow {
            created: When::from(listing.created_at),
            listing,
        })
        .collect();
    Ok(UsersPage {
        layout: Layout::for_user(current, "Users", "admin").await?,
        users,
        form: UserInput {
            password: String::new(),
            ..form
        },
        errors,
        roles: &Role::ALL,
        teams: &Team::ALL,
    })
}

async fn users(State(state): State<AppState>, current: CurrentUser) -> AppResult<UsersPage> {
    admin(&current)?;
    let form = UserInput {
        role: "revenue".into(),
        team: "sales".into(),
        ..UserInput::default()
    };
    render_users(&state, &current, form, FieldErrors::default()).await
}

async fn create_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<UserInput>,
) -> AppResult<Response> {
    admin(&current)?;
    let result = match form.validate() {
        Ok(valid) => {
            super::create_user(&state.pool, &Actor::User(&current.user), valid, false).await
        }
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(user) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Created {} ({}).", user.name, user.role.label()),
                Some((format!("/admin/users/{}", user.id), "View user".into())),
            )
            .await?;
            Ok(Redirect::to("/admin/users").into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_users(&state, &current, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    layout: Layout,
    listing: UserListing,
    role: String,
    team: String,
    errors: FieldErrors,
    roles: &'static [Role],
    teams: &'static [Team],
    is_self: bool,
    sign_in: Option<SignInState>,
}

/// Wrong passwords in a row on the user page, and the wait they started.
pub struct SignInState {
    pub failures: i32,
    pub last_failure: When,
    pub locked_until: Option<When>,
}

async fn sign_in_state(state: &AppState, email: &str) -> AppResult<Option<SignInState>> {
    let scope = crate::auth::throttle::Scope::Account.as_str();
    Ok(db::throttle_state(&state.pool, scope, email)
        .await?
        .map(|t| SignInState {
            failures: t.failures,
            last_failure: When::from(t.last_failure_at),
            locked_until: t.locked_until.map(When::from),
        }))
}

async fn load_user(state: &AppState, id: i64) -> AppResult<UserListing> {
    db::get_listing(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn edit_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<UserPage> {
    admin(&current)?;
    let listing = load_user(&state, id).await?;
    Ok(UserPage {
        layout: Layout::for_user(&current, listing.user.name.clone(), "admin").await?,
        sign_in: sign_in_state(&state, &listing.user.email).await?,
        role: listing.user.role.as_str().into(),
        team: listing.user.team.as_str().into(),
        is_self: listing.user.id == current.user.id,
        listing,
        errors: FieldErrors::default(),
        roles: &Role::ALL,
        teams: &Team::ALL,
    })
}

#[derive(Deserialize)]
pub struct RoleTeamForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    team: String,
}

async fn update_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<RoleTeamForm>,
) -> AppResult<Response> {
    admin(&current)?;
    let listing = load_user(&state, id).await?;
    let mut errors = FieldErrors::default();
    let role = form
        .role
        .parse::<Role>()
        .map_err(|e| errors.add("role", e))
        .ok();
    let team = form
        .team
        .parse::<Team>()
        .map_err(|e| errors.add("team", e))
        .ok();
    let result = match (role, team) {
        (Some(role), Some(team)) => {
            super::change_role_team(&state.pool, &Actor::User(&current.user), id, role, team).await
        }
        _ => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(()) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Saved {}.", listing.user.name),
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = UserPage {
                layout: Layout::for_user(&current, listing.user.name.clone(), "admin").await?,
                sign_in: sign_in_state(&state, &listing.user.email).await?,
                is_self: listing.user.id == current.user.id,
                listing,
                role: form.role,
                team: form.team,
                errors,
                roles: &Role::ALL,
                teams: &Team::ALL,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn confirm_disable(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ConfirmPage> {
    admin(&current)?;
    let listing = load_user(&state, id).await?;
    Ok(ConfirmPage {
        layout: Layout::for_user(&current, "Disable user", "admin").await?,
        heading: format!("Disable {}?", listing.user.name),
        explanation: format!(
            "{} will be signed out, will not be able to sign in, and their API tokens will stop working. Their feedback and edits stay. You can enable the account again later.",
            listing.user.email
        ),
        action: format!("/admin/users/{id}/disable"),
        button: "Disable user",
        back: format!("/admin/users/{id}"),
    })
}

async fn disable_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    admin(&current)?;
    super::set_disabled(&state.pool, &Actor::User(&current.user), id, true).await?;
    set_flash(&current.session, FlashKind::Success, "User disabled.", None).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

async fn enable_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    admin(&current)?;
    super::set_disabled(&state.pool, &Actor::User(&current.user), id, false).await?;
    set_flash(&current.session, FlashKind::Success, "User enabled.", None).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

async fn unlock_user(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    admin(&current)?;
    let unlocked = super::unlock_sign_in(&state.pool, &Actor::User(&current.user), id).await?;
    let message = if unlocked {
        "Sign-in unlocked: the next password is checked at once."
    } else {
        "Nothing to unlock: this account has no failed sign-ins."
    };
    set_flash(&current.session, FlashKind::Success, message, None).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

pub struct TokenRow {
    pub token: TokenListing,
    pub created: When,
    pub last_used: Option<When>,
    pub expires: Option<When>,
    pub expired: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    users: Vec<UserListing>,
    form: TokenForm,
    errors: FieldErrors,
    new_token: Option<String>,
    lifetimes: &'static [(&'static str, &'static str, Option<i64>)],
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    label: String,
    /// Days until it expires (one of [`crate::auth::tokens::LIFETIMES`]); empty or `never`: never.
    #[serde(default)]
    expires: String,
}

impl TokenForm {
    fn expires_at(&self) -> Result<Option<time::OffsetDateTime>, FieldErrors> {
        let chosen = self.expires.trim();
        if chosen.is_empty() {
            return Ok(None);
        }
        crate::auth::tokens::LIFETIMES
            .iter()
            .find(|(value, _, _)| *value == chosen)
            .map(|(_, _, days)| {
                days.map(|d| time::OffsetDateTime::now_utc() + time::Duration::days(d))
            })
            .ok_or_else(|| FieldErrors::single("expires", "Choose when the token expires"))
    }
}

async fn render_tokens(
    state: &AppState,
    current: &CurrentUser,
    form: TokenForm,
    errors: FieldErrors,
    new_token: Option<String>,
) -> AppResult<TokensPage> {
    let tokens = db::list_tokens(&state.pool)
        .await?
        .into_iter()
        .map(|token| TokenRow {
            created: When::from(token.created_at),
            last_used: token.last_used_at.map(When::from),
            expires: token.expires_at.map(When::from),
            expired: token
                .expires_at
                .is_some_and(|at| at <= time::OffsetDateTime::now_utc()),
            token,
        })
        .collect();
    let users = db::list(&state.pool)
        .await?
        .into_iter()
        .filter(|u| u.disabled_at.is_none())
        .collect();
    Ok(TokensPage {
        layout: Layout::for_user(current, "API tokens", "admin").await?,
        tokens,
        users,
        form,
        errors,
        new_token,
        lifetimes: &crate::auth::tokens::LIFETIMES,
    })
}

async fn tokens(State(state): State<AppState>, current: CurrentUser) -> AppResult<TokensPage> {
    admin(&current)?;
    let form = TokenForm {
        user_id: current.user.id.to_string(),
        label: String::new(),
        expires: "90".into(),
    };
    // A token created just before the redirect here: shown on this one view, then gone.
    let new_token = crate::auth::tokens::take_for_display(&current.session).await?;
    render_tokens(&state, &current, form, FieldErrors::default(), new_token).await
}

async fn create_token(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    admin(&current)?;
    let result = match (form.user_id.trim().parse::<i64>(), form.expires_at()) {
        (Ok(user_id), Ok(expires_at)) => {
            super::issue_token_expiring(
                &state.pool,
                &Actor::User(&current.user),
                user_id,
                &form.label,
                expires_at,
            )
            .await
        }
        (Err(_), _) => Err(AppError::Validation(FieldErrors::single(
            "user_id",
            "Choose the user the token acts as",
        ))),
        (_, Err(errors)) => Err(AppError::Validation(errors)),
    };
    match result {
        // Post-redirect-get: the token waits in the session for the one view that shows it
        // (and is removed there), so reloading that page neither shows it again nor creates
        // another token.
        Ok((_, token)) => {
            crate::auth::tokens::keep_for_display(&current.session, &token).await?;
            Ok(Redirect::to("/admin/tokens").into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_tokens(&state, &current, form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn confirm_revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ConfirmPage> {
    admin(&current)?;
    let token = db::get_token(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ConfirmPage {
        layout: Layout::for_user(&current, "Revoke token", "admin").await?,
        heading: format!("Revoke the token \"{}\"?", token.label),
        explanation: format!(
            "Anything using the token {}… (acting as {}) will be refused from now on. This cannot be undone: issue a new token to replace it.",
            token.prefix, token.user_email
        ),
        action: format!("/admin/tokens/{id}/revoke"),
        button: "Revoke token",
        back: "/admin/tokens".into(),
    })
}

async fn revoke_token(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    admin(&current)?;
    super::revoke_token(&state.pool, &Actor::User(&current.user), id).await?;
    set_flash(&current.session, FlashKind::Success, "Token revoked.", None).await?;
    Ok(Redirect::to("/admin/tokens").into_response())
}
