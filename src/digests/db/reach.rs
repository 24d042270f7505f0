//! Every SQL statement of who a digest reaches: reads, email recipients and sends,
//! unsubscribes, feed tokens, and the server's own signing secret.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::digests::Audience;

/// Record that `user_id` opened the digest.
#[tracing::instrument(skip_all)]
pub async fn record_read(db: impl PgExecutor<'_>, id: i64, user_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into digest_reads (digest_id, user_id) values ($1, $2)
         on conflict (digest_id, user_id) do update
         set last_read_at = now(), reads = digest_reads.reads + 1",
        id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct Reader {
    pub user_id: i64,
    pub name: String,
    pub team: String,
    pub first_read_at: OffsetDateTime,
    pub reads: i32,
}

#[tracing::instrument(skip_all)]
pub async fn readers(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Vec<Reader>> {
    sqlx::query_as!(
        Reader,
        "select r.user_id, u.name, u.team, r.first_read_at, r.reads
         from digest_reads r join users u on u.id = r.user_id
         where r.digest_id = $1 order by r.first_read_at",
        id
    )
    .fetch_all(db)
    .await
}

/// Someone who should get the digest by email.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub team: String,
}

/// Active people of the audience who have not unsubscribed and were not yet sent this digest.
#[tracing::instrument(skip_all)]
pub async fn unsent_recipients(
    db: impl PgExecutor<'_>,
    id: i64,
    audience: Audience,
) -> sqlx::Result<Vec<Recipient>> {
    sqlx::query_as!(
        Recipient,
        "select u.id as user_id, u.name, u.email, u.team from users u
         where u.disabled_at is null and ($2 = 'everyone' or u.team = $2)
           and not exists (select 1 from digest_unsubscribes s where s.user_id = u.id)
           and not exists (select 1 from digest_emails e where e.digest_id = $1 and e.user_id = u.id and e.state = 'sent')
         order by u.id",
        id,
        audience.as_str()
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn audience_size(db: impl PgExecutor<'_>, audience: Audience) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from users u
           where u.disabled_at is null and ($1 = 'everyone' or u.team = $1)
             and not exists (select 1 from digest_unsubscribes s where s.user_id = u.id)"#,
        audience.as_str()
    )
    .fetch_one(db)
    .await
}

/// Record one recipient's outcome (`error` = None: sent).
#[tracing::instrument(skip_all)]
pub async fn record_email(
    db: impl PgExecutor<'_>,
    id: i64,
    r: &Recipient,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into digest_emails (digest_id, user_id, email, state, last_error, sent_at)
         values ($1, $2, $3, case when $4::text is null then 'sent' else 'failed' end, $4,
                 case when $4::text is null then now() end)
         on conflict (digest_id, user_id) do update
         set state = excluded.state, last_error = excluded.last_error, sent_at = excluded.sent_at,
             email = excluded.email, attempts = digest_emails.attempts + 1, updated_at = now()
         where digest_emails.state <> 'sent'",
        id,
        r.user_id,
        r.email,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct SendCounts {
    pub sent: i64,
    pub failed: i64,
    pub last_sent_at: Option<OffsetDateTime>,
}

#[tracing::instrument(skip_all)]
pub async fn send_counts(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<SendCounts> {
    let r = sqlx::query!(
        r#"select count(*) filter (where state = 'sent') as "sent!",
                  count(*) filter (where state = 'failed') as "failed!",
                  max(sent_at) as last_sent_at
           from digest_emails where digest_id = $1"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(SendCounts {
        sent: r.sent,
        failed: r.failed,
        last_sent_at: r.last_sent_at,
    })
}

#[tracing::instrument(skip_all)]
pub async fn set_unsubscribed(
    db: impl PgExecutor<'_>,
    user_id: i64,
    off: bool,
) -> sqlx::Result<()> {
    if off {
        sqlx::query!(
            "insert into digest_unsubscribes (user_id) values ($1) on conflict do nothing",
            user_id
        )
        .execute(db)
        .await?;
    } else {
        sqlx::query!(
            "delete from digest_unsubscribes where user_id = $1",
            user_id
        )
        .execute(db)
        .await?;
    }
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn is_unsubscribed(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from digest_unsubscribes where user_id = $1) as "x!""#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// The server's secret called `name`, made on first use (every process then reads the same).
#[tracing::instrument(skip_all)]
pub async fn server_secret(
    db: impl PgExecutor<'_> + Copy,
    name: &str,
    fresh: &[u8],
) -> sqlx::Result<Vec<u8>> {
    sqlx::query!(
        "insert into server_secrets (name, secret) values ($1, $2) on conflict (name) do nothing",
        name,
        fresh
    )
    .execute(db)
    .await?;
    sqlx::query_scalar!("select secret from server_secrets where name = $1", name)
        .fetch_one(db)
        .await
}

pub struct FeedToken {
    pub id: i64,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

#[tracing::instrument(skip_all)]
pub async fn feed_tokens(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<Vec<FeedToken>> {
    sqlx::query_as!(
        FeedToken,
        "select id, created_at, last_used_at from feed_tokens
         where user_id = $1 and revoked_at is null order by id",
        user_id
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_feed_token(
    db: impl PgExecutor<'_>,
    user_id: i64,
    hash: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into feed_tokens (user_id, token_hash) values ($1, $2) returning id",
        user_id,
        hash
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn revoke_feed_token(
    db: impl PgExecutor<'_>,
    user_id: i64,
    id: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update feed_tokens set revoked_at = now() where id = $1 and user_id = $2 and revoked_at is null",
        id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The active user a live feed token belongs to (its use is recorded).
#[tracing::instrument(skip_all)]
pub async fn feed_token_user(db: impl PgExecutor<'_>, hash: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "update feed_tokens t set last_used_at = now() from users u
         where t.token_hash = $1 and t.revoked_at is null and u.id = t.user_id and u.disabled_at is null
         returning t.user_id",
        hash
    )
    .fetch_optional(db)
    .await
}
