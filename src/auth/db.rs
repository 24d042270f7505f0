//! Every SQL statement about users, API tokens and sign-in attempts.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::{Role, Team, User};

fn to_user(id: i64, email: String, name: String, role: &str, team: &str) -> anyhow::Result<User> {
    Ok(User {
        id,
        email,
        name,
        role: role.parse().map_err(anyhow::Error::msg)?,
        team: team.parse().map_err(anyhow::Error::msg)?,
    })
}

pub struct SignInCandidate {
    pub id: i64,
    pub password_hash: String,
    pub disabled: bool,
}

#[tracing::instrument(skip_all)]
pub async fn find_for_sign_in(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<SignInCandidate>> {
    sqlx::query_as!(
        SignInCandidate,
        r#"select id, password_hash, disabled_at is not null as "disabled!" from users where email = $1"#,
        email
    )
    .fetch_optional(db)
    .await
}

/// The user behind a session, if they exist and are not disabled.
#[tracing::instrument(skip_all)]
pub async fn find_active(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<User>> {
    let row = sqlx::query!(
        "select id, email, name, role, team from users where id = $1 and disabled_at is null",
        id
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| to_user(r.id, r.email, r.name, &r.role, &r.team))
        .transpose()
}

#[tracing::instrument(skip_all)]
pub async fn find_by_email(db: impl PgExecutor<'_>, email: &str) -> anyhow::Result<Option<User>> {
    let row = sqlx::query!(
        "select id, email, name, role, team from users where email = $1",
        email
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| to_user(r.id, r.email, r.name, &r.role, &r.team))
        .transpose()
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub team: Team,
    pub password_hash: &'a str,
    pub is_demo: bool,
}

#[tracing::instrument(skip_all)]
pub async fn create(db: impl PgExecutor<'_>, user: &NewUser<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into users (email, name, role, team, password_hash, is_demo)
         values ($1, $2, $3, $4, $5, $6) returning id",
        user.email,
        user.name,
        user.role.as_str(),
        user.team.as_str(),
        user.password_hash,
        user.is_demo
    )
    .fetch_one(db)
    .await
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UserListing {
    pub user: User,
    pub is_demo: bool,
    pub disabled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[tracing::instrument(skip_all)]
pub async fn list(db: impl PgExecutor<'_>) -> anyhow::Result<Vec<UserListing>> {
    let rows = sqlx::query!(
        "select id, email, name, role, team, is_demo, disabled_at, created_at
         from users order by disabled_at is not null, name, id"
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(UserListing {
                user: to_user(r.id, r.email, r.name, &r.role, &r.team)?,
                is_demo: r.is_demo,
                disabled_at: r.disabled_at,
                created_at: r.created_at,
            })
        })
        .collect()
}

#[tracing::instrument(skip_all)]
pub async fn get_listing(db: impl PgExecutor<'_>, id: i64) -> anyhow::Result<Option<UserListing>> {
    let row = sqlx::query!(
        "select id, email, name, role, team, is_demo, disabled_at, created_at from users where id = $1",
        id
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(UserListing {
            user: to_user(r.id, r.email, r.name, &r.role, &r.team)?,
            is_demo: r.is_demo,
            disabled_at: r.disabled_at,
            created_at: r.created_at,
        })
    })
    .transpose()
}

#[tracing::instrument(skip_all)]
pub async fn update_role_team(
    db: impl PgExecutor<'_>,
    id: i64,
    role: Role,
    team: Team,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update users set role = $2, team = $3 where id = $1",
        id,
        role.as_str(),
        team.as_str()
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn set_disabled(db: impl PgExecutor<'_>, id: i64, disabled: bool) -> sqlx::Result<()> {
    sqlx::query!(
        "update users set disabled_at = case when $2 then coalesce(disabled_at, now()) else null end where id = $1",
        id,
        disabled
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn set_password(db: impl PgExecutor<'_>, id: i64, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update users set password_hash = $2 where id = $1",
        id,
        hash
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn count_real_users(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from users where not is_demo"#)
        .fetch_one(db)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn count_active_admins(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from users where role = 'admin' and disabled_at is null"#
    )
    .fetch_one(db)
    .await
}

// ---- API tokens ----

#[tracing::instrument(skip_all)]
pub async fn create_token(
    db: impl PgExecutor<'_>,
    user_id: i64,
    label: &str,
    token_hash: &str,
    prefix: &str,
    created_by: Option<i64>,
    expires_at: Option<OffsetDateTime>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into api_tokens (user_id, label, token_hash, prefix, created_by, expires_at)
         values ($1, $2, $3, $4, $5, $6) returning id",
        user_id,
        label,
        token_hash,
        prefix,
        created_by,
        expires_at
    )
    .fetch_one(db)
    .await
}

/// The active user behind an unrevoked, unexpired token; marks the token used.
#[tracing::instrument(skip_all)]
pub async fn user_for_token(
    db: impl PgExecutor<'_>,
    token_hash: &str,
) -> anyhow::Result<Option<User>> {
    let row = sqlx::query!(
        r#"with hit as (
             update api_tokens set last_used_at = now()
             where token_hash = $1 and revoked_at is null
               and (expires_at is null or expires_at > now())
             returning user_id
           )
           select u.id, u.email, u.name, u.role, u.team
           from hit join users u on u.id = hit.user_id
           where u.disabled_at is null"#,
        token_hash
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| to_user(r.id, r.email, r.name, &r.role, &r.team))
        .transpose()
}

/// When a known token was revoked and when it expires (to say why it is refused).
#[tracing::instrument(skip_all)]
pub async fn token_refusal(
    db: impl PgExecutor<'_>,
    token_hash: &str,
) -> sqlx::Result<Option<(Option<OffsetDateTime>, Option<OffsetDateTime>)>> {
    let row = sqlx::query!(
        "select revoked_at, expires_at from api_tokens where token_hash = $1",
        token_hash
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.revoked_at, r.expires_at)))
}

#[derive(Debug, Clone)]
pub struct TokenListing {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub user_id: i64,
    pub user_name: String,
    pub user_email: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
}

#[tracing::instrument(skip_all)]
pub async fn list_tokens(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<TokenListing>> {
    sqlx::query_as!(
        TokenListing,
        r#"select t.id, t.label, t.prefix, t.user_id, u.name as user_name, u.email as user_email,
                  t.created_at, t.last_used_at, t.revoked_at, t.expires_at
           from api_tokens t join users u on u.id = t.user_id
           order by t.revoked_at is not null, t.created_at desc"#
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get_token(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<TokenListing>> {
    sqlx::query_as!(
        TokenListing,
        r#"select t.id, t.label, t.prefix, t.user_id, u.name as user_name, u.email as user_email,
                  t.created_at, t.last_used_at, t.revoked_at, t.expires_at
           from api_tokens t join users u on u.id = t.user_id
           where t.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn revoke_token(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "update api_tokens set revoked_at = now() where id = $1 and revoked_at is null",
        id
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

// ---- sign-in attempts ----

#[tracing::instrument(skip_all)]
pub async fn record_attempt(
    db: impl PgExecutor<'_>,
    email: &str,
    address: &str,
    succeeded: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into sign_in_attempts (email, address, succeeded) values ($1, $2, $3)",
        email,
        address,
        succeeded
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Failures since the last success for this email, within the window.
#[tracing::instrument(skip_all)]
pub async fn recent_failures_for_email(
    db: impl PgExecutor<'_>,
    email: &str,
    window_secs: f64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from sign_in_attempts a
           where a.email = $1 and not a.succeeded
             and a.attempted_at > now() - make_interval(secs => $2)
             and a.attempted_at > coalesce(
                 (select max(s.attempted_at) from sign_in_attempts s where s.email = $1 and s.succeeded),
                 '-infinity')"#,
        email,
        window_secs
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn recent_failures_for_address(
    db: impl PgExecutor<'_>,
    address: &str,
    window_secs: f64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from sign_in_attempts
           where address = $1 and not succeeded and attempted_at > now() - make_interval(secs => $2)"#,
        address,
        window_secs
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn forget_old_attempts(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query!("delete from sign_in_attempts where attempted_at < now() - interval '1 day'")
            .execute(db)
            .await?
            .rows_affected(),
    )
}

#[tracing::instrument(skip_all)]
pub async fn is_demo_user(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar!("select is_demo from users where id = $1", id)
            .fetch_optional(db)
            .await?
            .unwrap_or(false),
    )
}

#[tracing::instrument(skip_all)]
pub async fn first_active_admin(db: impl PgExecutor<'_>) -> anyhow::Result<Option<User>> {
    let row = sqlx::query!(
        "select id, email, name, role, team from users where role = 'admin' and disabled_at is null order by id limit 1"
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| to_user(r.id, r.email, r.name, &r.role, &r.team))
        .transpose()
}
