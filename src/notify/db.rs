//! Every SQL statement of chat notifications: webhooks, deliveries, spike notices.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use super::WebhookFields;

#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: OffsetDateTime,
}

#[tracing::instrument(skip_all)]
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Webhook>> {
    sqlx::query_as!(
        Webhook,
        "select id, name, url, events, enabled, created_at from webhooks order by lower(name), id"
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Webhook>> {
    sqlx::query_as!(
        Webhook,
        "select id, name, url, events, enabled, created_at from webhooks where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: impl PgExecutor<'_>,
    f: &WebhookFields,
    by: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into webhooks (name, url, events, enabled, created_by) values ($1, $2, $3, $4, $5) returning id",
        f.name,
        f.url,
        &f.events,
        f.enabled,
        by
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update(db: impl PgExecutor<'_>, id: i64, f: &WebhookFields) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update webhooks set name = $2, url = $3, events = $4, enabled = $5 where id = $1",
        id,
        f.name,
        f.url,
        &f.events,
        f.enabled
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query!("delete from webhooks where id = $1", id)
        .execute(db)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether any enabled webhook wants `event`.
#[tracing::instrument(skip_all)]
pub async fn any_wants(db: impl PgExecutor<'_>, event: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from webhooks where enabled and $1 = any(events)) as "x!""#,
        event
    )
    .fetch_one(db)
    .await
}

/// A pending delivery for every enabled webhook that wants `event`; their ids.
#[tracing::instrument(skip_all)]
pub async fn create_deliveries(
    db: impl PgExecutor<'_>,
    event: &str,
    payload: &serde_json::Value,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "insert into webhook_deliveries (webhook_id, event, payload)
         select id, $1, $2 from webhooks where enabled and $1 = any(events)
         returning id",
        event,
        payload
    )
    .fetch_all(db)
    .await
}

/// A delivery with where it goes.
pub struct Pending {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub enabled: bool,
    pub event: String,
    pub payload: serde_json::Value,
    pub state: String,
    pub attempts: i32,
}

#[tracing::instrument(skip_all)]
pub async fn delivery(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Pending>> {
    sqlx::query_as!(
        Pending,
        "select d.id, d.webhook_id, w.url, w.enabled, d.event, d.payload, d.state, d.attempts
         from webhook_deliveries d join webhooks w on w.id = d.webhook_id where d.id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// Record one attempt: delivered, failed for good, or still pending (a retry is queued).
#[tracing::instrument(skip_all)]
pub async fn record_attempt(
    db: impl PgExecutor<'_>,
    id: i64,
    state: &str,
    status: Option<i32>,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update webhook_deliveries set state = $2, last_status = $3, last_error = $4,
                attempts = attempts + 1, last_try_at = now(),
                delivered_at = case when $2 = 'delivered' then now() end
         where id = $1",
        id,
        state,
        status,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub webhook_name: String,
    pub event: String,
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_try_at: Option<OffsetDateTime>,
}

/// The latest deliveries, newest first (of one webhook, or all).
#[tracing::instrument(skip_all)]
pub async fn recent_deliveries(
    db: impl PgExecutor<'_>,
    webhook_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as!(
        DeliveryRow,
        "select d.id, d.webhook_id, w.name as webhook_name, d.event, d.state, d.attempts, d.last_status,
                d.last_error, d.created_at, d.last_try_at
         from webhook_deliveries d join webhooks w on w.id = d.webhook_id
         where ($1::bigint is null or d.webhook_id = $1)
         order by d.id desc limit $2",
        webhook_id,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct ThemeWeek {
    pub theme_id: i64,
    pub name: String,
    pub items: i64,
    pub average: f64,
}

/// Each active theme's items in `week` and its average over the eight weeks before.
#[tracing::instrument(skip_all)]
pub async fn theme_weeks(db: impl PgExecutor<'_>, week: Date) -> sqlx::Result<Vec<ThemeWeek>> {
    sqlx::query_as!(
        ThemeWeek,
        r#"select t.id as theme_id, t.name,
                  coalesce(sum(r.items) filter (where r.week = $1), 0)::bigint as "items!",
                  (coalesce(sum(r.items) filter (where r.week < $1), 0) / 8.0)::float8 as "average!"
           from themes t join theme_weekly r on r.theme_id = t.id
           where t.status = 'active' and r.week between $1 - 56 and $1
           group by t.id, t.name"#,
        week
    )
    .fetch_all(db)
    .await
}

/// Claim the announcement of a theme's spike in `week`; false when it was already announced.
#[tracing::instrument(skip_all)]
pub async fn claim_spike(
    db: impl PgExecutor<'_>,
    theme_id: i64,
    week: Date,
    items: i64,
    average: f64,
) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "insert into theme_spike_notices (theme_id, week, items, average) values ($1, $2, $3, $4)
         on conflict do nothing",
        theme_id,
        week,
        items,
        average
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Make a failed delivery pending again, with a fresh count of attempts; false when it was not
/// failed.
#[tracing::instrument(skip_all)]
pub async fn reset_for_retry(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update webhook_deliveries set state = 'pending', attempts = 0 where id = $1 and state = 'failed'",
        id
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}
