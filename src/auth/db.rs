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

/// How long this account or address must still wait, if it must.
#[tracing::instrument(skip_all)]
pub async fn throttle_wait(
    db: impl PgExecutor<'_>,
    scope: &str,
    key: &str,
) -> sqlx::Result<Option<std::time::Duration>> {
    let secs = sqlx::query_scalar!(
        r#"select extract(epoch from locked_until - now())::float8 as "secs!"
           from sign_in_throttle where scope = $1 and key = $2 and locked_until > now()"#,
        scope,
        key
    )
    .fetch_optional(db)
    .await?;
    Ok(secs.map(|s| std::time::Duration::from_secs_f64(s.max(0.0))))
}

/// Count one more failure (starting again after `forget_after_secs` without one); returns
/// the failures in a row.
#[tracing::instrument(skip_all)]
pub async fn throttle_fail(
    db: impl PgExecutor<'_>,
    scope: &str,
    key: &str,
    forget_after_secs: i32,
) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        r#"insert into sign_in_throttle as t (scope, key, failures, last_failure_at)
           values ($1, $2, 1, now())
           on conflict (scope, key) do update set
               failures = case when t.last_failure_at < now() - make_interval(secs => $3)
                               then 1 else t.failures + 1 end,
               last_failure_at = now()
           returning failures"#,
        scope,
        key,
        f64::from(forget_after_secs)
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn throttle_lock(
    db: impl PgExecutor<'_>,
    scope: &str,
    key: &str,
    secs: f64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update sign_in_throttle set locked_until = now() + make_interval(secs => $3)
         where scope = $1 and key = $2",
        scope,
        key,
        secs
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forget an account's or address's failures (a right password, or an admin's unlock).
/// True when there was something to forget.
#[tracing::instrument(skip_all)]
pub async fn throttle_clear(db: impl PgExecutor<'_>, scope: &str, key: &str) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "delete from sign_in_throttle where scope = $1 and key = $2",
        scope,
        key
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// An account's failures in a row and how long it must still wait, for the admin's user page.
#[derive(Debug, Clone)]
pub struct ThrottleState {
    pub failures: i32,
    pub last_failure_at: OffsetDateTime,
    pub locked_until: Option<OffsetDateTime>,
}

#[tracing::instrument(skip_all)]
pub async fn throttle_state(
    db: impl PgExecutor<'_>,
    scope: &str,
    key: &str,
) -> sqlx::Result<Option<ThrottleState>> {
    sqlx::query_as!(
        ThrottleState,
        r#"select failures, last_failure_at,
                  case when locked_until > now() then locked_until end as locked_until
           from sign_in_throttle where scope = $1 and key = $2"#,
        scope,
        key
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn forget_old_attempts(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "with attempts as (delete from sign_in_attempts where attempted_at < now() - interval '1 day' returning 1),
              throttles as (delete from sign_in_throttle
                            where last_failure_at < now() - interval '1 day'
                              and (locked_until is null or locked_until < now()) returning 1)
         select (select count(*) from attempts) + (select count(*) from throttles) as \"n!\""
    )
    .fetch_one(db)
    .await?
    .n as u64)
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
