//! Every SQL statement of the audit log.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::{Actor, Entry};

/// Record a change. Call it inside the transaction that makes the change.
#[tracing::instrument(skip_all)]
pub async fn record(
    db: impl PgExecutor<'_>,
    actor: &Actor<'_>,
    entry: Entry<'_>,
) -> sqlx::Result<()> {
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
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub at: OffsetDateTime,
}

/// A page of the log, newest first, before the keyset cursor `(at, id)` when given.
#[tracing::instrument(skip_all)]
pub async fn page(
    db: impl PgExecutor<'_>,
    entity_type: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as!(
        AuditRow,
        r#"select id, actor_label, action, entity_type, entity_id, summary, before, after, at
           from audit_log
           where ($1::text is null or entity_type = $1)
             and ($2::bigint is null or id < $2)
           order by id desc
           limit $3"#,
        entity_type,
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
