//! Every SQL statement of the support triage.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

/// Support items (support feedback and support-team questions) that arrived since `from` and
/// have no triage decision yet.
#[tracing::instrument(skip_all)]
pub async fn backlog_count(db: impl PgExecutor<'_>, from: Date) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select
             (select count(*) from feedback f
              where f.source = 'support' and f.archived_at is null and f.received_at >= $1::date
                and not exists (select 1 from triage_decisions d where d.item_type = 'feedback' and d.item_id = f.id))
           + (select count(*) from questions q
              where q.team = 'support' and q.asked_at >= $1::date
                and not exists (select 1 from triage_decisions d where d.item_type = 'question' and d.item_id = q.id))
           as "n!""#,
        from
    )
    .fetch_one(db)
    .await
}

/// A support item waiting for the triage.
#[derive(Debug, Clone)]
pub struct PendingRow {
    /// `feedback` or `question`.
    pub item_type: String,
    pub item_id: i64,
    pub text: String,
    pub at: OffsetDateTime,
    pub account: Option<String>,
    /// The item's strongest live tag (feedback) or its theme (question).
    pub tag_id: Option<i64>,
    pub theme_id: Option<i64>,
    pub theme_name: Option<String>,
    pub tag_state: Option<String>,
    pub launch_id: Option<i64>,
    pub kind: Option<String>,
}

/// The items waiting, oldest first, at most `limit`.
#[tracing::instrument(skip_all)]
pub async fn pending(
    db: impl PgExecutor<'_>,
    from: Date,
    limit: i64,
) -> sqlx::Result<Vec<PendingRow>> {
    sqlx::query_as!(
        PendingRow,
        r#"select * from (
             select 'feedback' as "item_type!", f.id as "item_id!",
                    coalesce(nullif(f.title, '') || ': ', '') || f.body as "text!",
                    f.received_at as "at!", a.name as "account?",
                    tg.id as "tag_id?", tg.theme_id as "theme_id?", tg.name as "theme_name?", tg.state as "tag_state?",
                    null::bigint as "launch_id?", null::text as "kind?"
             from feedback f
             left join accounts a on a.id = f.account_id
             left join lateral (
               select ft.id, ft.theme_id, t.name, ft.state from feedback_themes ft join themes t on t.id = ft.theme_id
               where ft.feedback_id = f.id and ft.state <> 'rejected' and t.status = 'active'
               order by (ft.state = 'confirmed') desc, ft.confidence desc nulls last, ft.id limit 1
             ) tg on true
             where f.source = 'support' and f.archived_at is null and f.received_at >= $1::date
               and not exists (select 1 from triage_decisions d where d.item_type = 'feedback' and d.item_id = f.id)
             union all
             select 'question', q.id, q.text, q.asked_at, coalesce(u.name, q.asked_by_name),
                    null, q.theme_id, t.name, case when q.theme_id is null then null else 'confirmed' end,
                    q.launch_id, q.kind
             from questions q
             left join users u on u.id = q.asked_by_id
             left join themes t on t.id = q.theme_id
             where q.team = 'support' and q.asked_at >= $1::date
               and not exists (select 1 from triage_decisions d where d.item_type = 'question' and d.item_id = q.id)
           ) items
           order by "at!", "item_id!"
           limit $2"#,
        from,
        limit
    )
    .fetch_all(db)
    .await
}

/// One decision to record.
pub struct NewDecision<'a> {
    pub item_type: &'a str,
    pub item_id: i64,
    pub week: Date,
    pub action: &'a str,
    pub theme_id: Option<i64>,
    pub launch_id: Option<i64>,
    pub escalated_to: Option<i64>,
    pub decided_by: i64,
}

#[tracing::instrument(skip_all)]
pub async fn record(db: impl PgExecutor<'_>, d: &NewDecision<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into triage_decisions (item_type, item_id, week, action, theme_id, launch_id, escalated_to, decided_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        d.item_type,
        d.item_id,
        d.week,
        d.action,
        d.theme_id,
        d.launch_id,
        d.escalated_to,
        d.decided_by
    )
    .fetch_one(db)
    .await
}

/// A decision of the week, as the summary shows it.
#[derive(Debug, Clone)]
pub struct DecisionRow {
    pub item_type: String,
    pub item_id: i64,
    pub text: String,
    pub action: String,
    pub theme_name: Option<String>,
    pub launch_name: Option<String>,
    pub escalated_to: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: OffsetDateTime,
}

/// The decisions taken in the triage week starting on `week`, in the order they were taken.
#[tracing::instrument(skip_all)]
pub async fn decisions(db: impl PgExecutor<'_>, week: Date) -> sqlx::Result<Vec<DecisionRow>> {
    sqlx::query_as!(
        DecisionRow,
        r#"select d.item_type, d.item_id,
                  coalesce(case when d.item_type = 'feedback' then (select coalesce(nullif(f.title, '') || ': ', '') || f.body from feedback f where f.id = d.item_id)
                                else (select q.text from questions q where q.id = d.item_id) end, '(deleted)') as "text!",
                  d.action, t.name as "theme_name?", l.name as "launch_name?", e.name as "escalated_to?",
                  u.name as "decided_by?", d.decided_at
           from triage_decisions d
           left join themes t on t.id = d.theme_id
           left join launches l on l.id = d.launch_id
           left join users e on e.id = d.escalated_to
           left join users u on u.id = d.decided_by
           where d.week = $1
           order by d.decided_at, d.id"#,
        week
    )
    .fetch_all(db)
    .await
}

/// Whether the item exists (and is a support item the triage may decide).
#[tracing::instrument(skip_all)]
pub async fn item_exists(
    db: impl PgExecutor<'_>,
    item_type: &str,
    item_id: i64,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select case when $1 = 'feedback' then exists (select 1 from feedback where id = $2 and source = 'support')
                       else exists (select 1 from questions where id = $2 and team = 'support') end as "e!""#,
        item_type,
        item_id
    )
    .fetch_one(db)
    .await
}

/// The strongest live (suggested or confirmed) tag of a feedback item.
#[tracing::instrument(skip_all)]
pub async fn top_tag(
    db: impl PgExecutor<'_>,
    feedback_id: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let r = sqlx::query!(
        "select ft.id, ft.theme_id from feedback_themes ft join themes t on t.id = ft.theme_id
         where ft.feedback_id = $1 and ft.state <> 'rejected' and t.status = 'active'
         order by (ft.state = 'confirmed') desc, ft.confidence desc nulls last, ft.id limit 1",
        feedback_id
    )
    .fetch_optional(db)
    .await?;
    Ok(r.map(|r| (r.id, r.theme_id)))
}

/// Set a question's theme (triage "change theme").
#[tracing::instrument(skip_all)]
pub async fn set_question_theme(
    db: impl PgExecutor<'_>,
    id: i64,
    theme_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update questions set theme_id = $2 where id = $1",
        id,
        theme_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Set a question's launch.
#[tracing::instrument(skip_all)]
pub async fn set_question_launch(
    db: impl PgExecutor<'_>,
    id: i64,
    launch_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update questions set launch_id = $2 where id = $1",
        id,
        launch_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ask a PM to answer a question.
#[tracing::instrument(skip_all)]
pub async fn escalate_question(db: impl PgExecutor<'_>, id: i64, pm_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update questions set escalated_to = $2 where id = $1",
        id,
        pm_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// People a triage may escalate to: active PMs and admins.
#[tracing::instrument(skip_all)]
pub async fn pms(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        "select id, name from users where role in ('pm', 'admin') and disabled_at is null order by name, id"
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Whether `id` is an active PM or admin.
#[tracing::instrument(skip_all)]
pub async fn is_pm(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from users where id = $1 and role in ('pm', 'admin') and disabled_at is null) as "e!""#,
        id
    )
    .fetch_one(db)
    .await
}
