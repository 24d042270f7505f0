//! People, API tokens, the reporting currency and exchange rates: the rules for creating and
//! changing them, shared by pages and the CLI.

pub mod audit_page;
mod money;
pub mod rates;
pub mod web;

pub use rates::db::reporting_currency;

use serde_json::json;
use sqlx::PgPool;

use crate::audit::{self, Actor, Entry};
use crate::auth::{Role, Team, User, db, normalize_email, password, tokens};
use crate::error::{AppError, AppResult, ResultExt};
use crate::validation::FieldErrors;

/// A new user as typed in the admin form or on the command line.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct UserInput {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub password: String,
}

pub struct ValidUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team: Team,
    pub password: String,
}

pub fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
        && !domain.contains('@')
        && email.len() <= 254
}

impl UserInput {
    pub fn validate(&self) -> Result<ValidUser, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = normalize_email(&self.email);
        if email.is_empty() {
            errors.add("email", "Enter an email address");
        } else if !looks_like_email(&email) {
            errors.add("email", "Enter an email address like name@example.com");
        }
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.add("name", "Enter the person's name");
        } else if name.chars().count() > 200 {
            errors.add("name", "Use at most 200 characters for the name");
        }
        let role = self
            .role
            .parse::<Role>()
            .map_err(|e| errors.add("role", e))
            .ok();
        let team = self
            .team
            .parse::<Team>()
            .map_err(|e| errors.add("team", e))
            .ok();
        if let Err(msg) = password::check_password_strength(&self.password) {
            errors.add("password", msg);
        }
        match (role, team) {
            (Some(role), Some(team)) if errors.is_empty() => Ok(ValidUser {
                email,
                name,
                role,
                team,
                password: self.password.clone(),
            }),
            _ => Err(errors),
        }
    }
}

fn user_json(user: &User) -> serde_json::Value {
    json!({"email": user.email, "name": user.name, "role": user.role, "team": user.team})
}

/// Create a user (audited). A taken email becomes a field error, not a failure.
pub async fn create_user(
    pool: &PgPool,
    actor: &Actor<'_>,
    valid: ValidUser,
    is_demo: bool,
) -> AppResult<User> {
    let hash = tokio::task::spawn_blocking({
        let password = valid.password.clone();
        move || password::hash_password(&password)
    })
    .await
    .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))??;
    let mut tx = pool.begin().await?;
    let inserted = db::create(
        &mut *tx,
        &db::NewUser {
            email: &valid.email,
            name: &valid.name,
            role: valid.role,
            team: valid.team,
            password_hash: &hash,
            is_demo,
        },
    )
    .await;
    let id = inserted.on_constraint("users_email_key", "email", || {
        "A user with this email already exists".into()
    })?;
    let user = User {
        id,
        email: valid.email,
        name: valid.name,
        role: valid.role,
        team: valid.team,
    };
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "create",
            entity_type: "user",
            entity_id: Some(id.to_string()),
            summary: format!("Created user {} ({})", user.email, user.role.label()),
            before: None,
            after: Some(user_json(&user)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Change a user's role and team (audited). The last active admin cannot be demoted.
pub async fn change_role_team(
    pool: &PgPool,
    actor: &Actor<'_>,
    user_id: i64,
    role: Role,
    team: Team,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    let before = db::get_listing(&mut *tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.user.role == Role::Admin
        && role != Role::Admin
        && before.disabled_at.is_none()
        && db::count_active_admins(&mut *tx).await? <= 1
    {
        return Err(AppError::Validation(FieldErrors::single(
            "role",
            "This is the last active admin. Make someone else an admin first.",
        )));
    }
    db::update_role_team(&mut *tx, user_id, role, team).await?;
    let after = User {
        role,
        team,
        ..before.user.clone()
    };
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "update",
            entity_type: "user",
            entity_id: Some(user_id.to_string()),
            summary: format!("Changed role/team of {}", before.user.email),
            before: Some(user_json(&before.user)),
            after: Some(user_json(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Disable or re-enable a user (audited). Disabled users cannot sign in or use tokens.
pub async fn set_disabled(
    pool: &PgPool,
    actor: &Actor<'_>,
    user_id: i64,
    disabled: bool,
) -> AppResult<()> {
    if disabled && actor.id() == Some(user_id) {
        return Err(AppError::BadRequest(
            "You cannot disable your own account.".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    let before = db::get_listing(&mut *tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if disabled
        && before.user.role == Role::Admin
        && before.disabled_at.is_none()
        && db::count_active_admins(&mut *tx).await? <= 1
    {
        return Err(AppError::BadRequest(
            "This is the last active admin and cannot be disabled.".into(),
        ));
    }
    db::set_disabled(&mut *tx, user_id, disabled).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: if disabled { "disable" } else { "enable" },
            entity_type: "user",
            entity_id: Some(user_id.to_string()),
            summary: format!(
                "{} user {}",
                if disabled { "Disabled" } else { "Enabled" },
                before.user.email
            ),
            before: Some(json!({"disabled": before.disabled_at.is_some()})),
            after: Some(json!({"disabled": disabled})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Let a user whose sign-in is waiting after wrong passwords try again now (audited).
/// Returns false when there was nothing to unlock.
pub async fn unlock_sign_in(pool: &PgPool, actor: &Actor<'_>, user_id: i64) -> AppResult<bool> {
    let mut tx = pool.begin().await?;
    let listing = db::get_listing(&mut *tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let scope = crate::auth::throttle::Scope::Account.as_str();
    let state = db::throttle_state(&mut *tx, scope, &listing.user.email).await?;
    let Some(state) = state else {
        return Ok(false);
    };
    db::throttle_clear(&mut *tx, scope, &listing.user.email).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "unlock",
            entity_type: "user",
            entity_id: Some(user_id.to_string()),
            summary: format!("Unlocked sign-in for {}", listing.user.email),
            before: Some(json!({
                "failed_sign_ins": state.failures,
                "locked": state.locked_until.is_some(),
            })),
            after: Some(json!({"failed_sign_ins": 0, "locked": false})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Issue an API token for a user (audited). Returns the token: it is shown once, stored hashed.
pub async fn issue_token(
    pool: &PgPool,
    actor: &Actor<'_>,
    user_id: i64,
    label: &str,
) -> AppResult<(i64, String)> {
    issue_token_expiring(pool, actor, user_id, label, None).await
}

/// [`issue_token`] with an expiry (`None`: never expires).
pub async fn issue_token_expiring(
    pool: &PgPool,
    actor: &Actor<'_>,
    user_id: i64,
    label: &str,
    expires_at: Option<time::OffsetDateTime>,
) -> AppResult<(i64, String)> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(AppError::Validation(FieldErrors::single(
            "label",
            "Give the token a name of 1 to 100 characters, e.g. \"Zendesk webhook\"",
        )));
    }
    let mut tx = pool.begin().await?;
    let owner = db::get_listing(&mut *tx, user_id).await?.ok_or_else(|| {
        AppError::Validation(FieldErrors::single(
            "user_id",
            "Choose the user the token acts as",
        ))
    })?;
    let issued = tokens::issue();
    let id = db::create_token(
        &mut *tx,
        user_id,
        label,
        &issued.hash,
        &issued.prefix,
        actor.id(),
        expires_at,
    )
    .await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "create",
            entity_type: "api_token",
            entity_id: Some(id.to_string()),
            summary: format!("Created API token \"{label}\" for {}", owner.user.email),
            before: None,
            after: Some(
                json!({"label": label, "user": owner.user.email, "prefix": issued.prefix,
                               "expires_at": expires_at.map(crate::web::format::iso)}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, issued.token))
}

pub async fn revoke_token(pool: &PgPool, actor: &Actor<'_>, token_id: i64) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    let token = db::get_token(&mut *tx, token_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if db::revoke_token(&mut *tx, token_id).await? {
        audit::db::record(
            &mut *tx,
            actor,
            Entry {
                action: "revoke",
                entity_type: "api_token",
                entity_id: Some(token_id.to_string()),
                summary: format!(
                    "Revoked API token \"{}\" of {}",
                    token.label, token.user_email
                ),
                before: Some(json!({"revoked": false})),
                after: Some(json!({"revoked": true})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_input_reports_every_field() {
        let errors = UserInput::default().validate().err().unwrap();
        for field in ["email", "name", "role", "team", "password"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let ok = UserInput {
            email: " Ada@Example.com ".into(),
            name: "Ada".into(),
            role: "pm".into(),
            team: "product".into(),
            password: "long enough pw".into(),
        }
        .validate()
        .ok()
        .unwrap();
        assert_eq!(ok.email, "ada@example.com");
        assert!(!looks_like_email("no-at-sign"));
        assert!(!looks_like_email("a@b"));
        assert!(looks_like_email("a@b.co"));
    }
}
