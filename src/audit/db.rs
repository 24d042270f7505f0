//! Every SQL statement of the audit log.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::{Actor, Batch, Entry};

/// Record a change. Call it inside the transaction that makes the change. An entry whose
/// before and after are equal is not written (returns `false`): nothing changed.
#[tracing::instrument(skip_all)]
pub async fn record(
    db: impl PgExecutor<'_>,
    actor: &Actor<'_>,
    entry: Entry<'_>,
) -> sqlx::Result<bool> {
    if entry.is_noop() {
        return Ok(false);
    }
    sqlx::query!(
        "insert into audit_log (actor_id, actor_label, action, entity_type, entity_id, summary, before, after)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        actor.id(),
        actor.label(),
        entry.action,
        entry.entity_type,
        entry.entity_id,
        entry.summary,
        entry.before,
        entry.after
    )
    .execute(db)
    .await?;
    Ok(true)
}

/// Record one entry for a batch of writes with its counts (imports, API batches, jobs). A
/// batch that inserted and updated nothing is not written (returns `false`).
#[tracing::instrument(skip_all)]
pub async fn record_batch(
    db: impl PgExecutor<'_>,
    actor: &Actor<'_>,
    batch: Batch<'_>,
) -> sqlx::Result<bool> {
    if batch.inserted + batch.updated == 0 {
        return Ok(false);
    }
    let after = batch.after();
    sqlx::query!(
        "insert into audit_log (actor_id, actor_label, action, entity_type, entity_id, summary, before, after)
         values ($1, $2, $3, $4, null, $5, null, $6)",
        actor.id(),
        actor.label(),
        batch.action,
        batch.entity_type,
        batch.summary,
        after
    )
    .execute(db)
    .await?;
    Ok(true)
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub at: OffsetDateTime,
}

/// What the log page may be narrowed to. `None` is "any".
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub entity_type: Option<String>,
    /// Entries at or after this moment.
    pub since: Option<OffsetDateTime>,
    /// Entries before this moment.
    pub until: Option<OffsetDateTime>,
    /// Keyset cursor: entries strictly older than `(at, id)`.
    pub before: Option<(OffsetDateTime, i64)>,
}

/// A page of the log, newest first.
#[tracing::instrument(skip_all)]
pub async fn page(
    db: impl PgExecutor<'_>,
    filter: &AuditFilter,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    let (before_at, before_id) = filter.before.unzip();
    sqlx::query_as!(
        AuditRow,
        r#"select id, actor_id, actor_label, action, entity_type, entity_id, summary, before, after, at
           from audit_log
           where ($1::text is null or actor_label = $1)
             and ($2::text is null or entity_type = $2)
             and ($3::timestamptz is null or at >= $3)
             and ($4::timestamptz is null or at < $4)
             and ($5::timestamptz is null or (at, id) < ($5, $6::bigint))
           order by at desc, id desc
           limit $7"#,
        filter.actor,
        filter.entity_type,
        filter.since,
        filter.until,
        before_at,
        before_id,
        limit
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn entity_types(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(r#"select distinct entity_type as "t!" from audit_log order by 1"#)
        .fetch_all(db)
        .await
}

/// Everyone (and every system actor) that has an entry, for the "who" filter.
#[tracing::instrument(skip_all)]
pub async fn actors(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select actor_label as "a!" from audit_log group by actor_label order by actor_label limit 500"#
    )
    .fetch_all(db)
    .await
}

/// How a user is named in the log ("Name <email>"), for writers that only know the id.
#[tracing::instrument(skip_all)]
pub async fn user_label(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"select name || ' <' || email || '>' as "label!" from users where id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Record a background job's batch, credited to whoever queued the job (or to `system` when
/// nobody did: the command line, the demo loader, a job the app queued itself).
#[tracing::instrument(skip_all)]
pub async fn record_job_batch(
    pool: &sqlx::PgPool,
    job: Option<i64>,
    system: &str,
    batch: Batch<'_>,
) -> sqlx::Result<bool> {
    let requester = match job {
        Some(job) => sqlx::query!(
            r#"select u.id, u.name || ' <' || u.email || '>' as "label!"
               from jobs j join users u on u.id = j.created_by where j.id = $1"#,
            job
        )
        .fetch_optional(pool)
        .await?
        .map(|r| (r.id, r.label)),
        None => None,
    };
    let actor = match requester {
        Some((id, label)) => Actor::Person { id, label },
        None => Actor::System(system),
    };
    record_batch(pool, &actor, batch).await
}
