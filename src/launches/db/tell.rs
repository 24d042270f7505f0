//! The SQL of who to tell (accounts and reporters behind a launch's themes) and follow-up tasks.

use sqlx::PgExecutor;
use time::OffsetDateTime;

// ---- who to tell ----

/// An account whose feedback (tagged, not rejected, not archived) asked for a linked theme.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TellAccount {
    pub account_id: i64,
    pub name: String,
    /// `None`: the account has no ARR recorded.
    pub arr_cents: Option<i64>,
    pub currency: String,
    pub segment: Option<String>,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub items: i64,
    pub feedback_ids: Vec<i64>,
    pub reporter_ids: Vec<i64>,
    pub reporter_names: Vec<String>,
}

#[tracing::instrument(skip_all)]
pub async fn who_to_tell(
    db: impl PgExecutor<'_>,
    launch_id: i64,
) -> sqlx::Result<Vec<TellAccount>> {
    sqlx::query_as!(
        TellAccount,
        r#"with asked as (
               select distinct f.id, f.account_id, f.reporter_id
               from launch_themes lt
               join feedback_themes ft on ft.theme_id = lt.theme_id and ft.state <> 'rejected'
               join feedback f on f.id = ft.feedback_id and f.archived_at is null
               where lt.launch_id = $1 and f.account_id is not null
           )
           select a.id as account_id, a.name, a.arr_cents, a.currency, a.segment, a.owner_id,
                  o.name as "owner_name?",
                  count(*) as "items!",
                  array_agg(asked.id order by asked.id) as "feedback_ids!",
                  coalesce(array_agg(distinct asked.reporter_id) filter (where asked.reporter_id is not null), '{}') as "reporter_ids!",
                  coalesce(array_agg(distinct r.name) filter (where r.name is not null), '{}') as "reporter_names!"
           from asked join accounts a on a.id = asked.account_id
           left join users o on o.id = a.owner_id
           left join users r on r.id = asked.reporter_id
           group by a.id, o.name
           order by a.arr_cents desc nulls last, a.name"#,
        launch_id
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Reporter {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub team: String,
    pub items: i64,
}

/// The people who logged the feedback that asked for the launch.
#[tracing::instrument(skip_all)]
pub async fn reporters(db: impl PgExecutor<'_>, launch_id: i64) -> sqlx::Result<Vec<Reporter>> {
    sqlx::query_as!(
        Reporter,
        r#"select u.id as user_id, u.name, u.email, u.team, count(distinct f.id) as "items!"
           from launch_themes lt
           join feedback_themes ft on ft.theme_id = lt.theme_id and ft.state <> 'rejected'
           join feedback f on f.id = ft.feedback_id and f.archived_at is null
           join users u on u.id = f.reporter_id
           where lt.launch_id = $1
           group by u.id order by count(distinct f.id) desc, u.name"#,
        launch_id
    )
    .fetch_all(db)
    .await
}

pub struct TellItem {
    pub feedback_id: i64,
    pub account_id: Option<i64>,
    pub source: String,
    pub title: Option<String>,
    pub body: String,
    pub received_at: OffsetDateTime,
}

/// The items behind the list, newest first.
#[tracing::instrument(skip_all)]
pub async fn tell_items(
    db: impl PgExecutor<'_>,
    feedback_ids: &[i64],
) -> sqlx::Result<Vec<TellItem>> {
    sqlx::query_as!(
        TellItem,
        r#"select id as feedback_id, account_id, source, title, left(body, 400) as "body!", received_at
           from feedback where id = any($1) order by received_at desc"#,
        feedback_ids
    )
    .fetch_all(db)
    .await
}

// ---- follow-up tasks ----

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: i64,
    pub launch_id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<OffsetDateTime>,
    pub done_by_name: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn tasks(db: impl PgExecutor<'_>, launch_id: i64) -> sqlx::Result<Vec<Task>> {
    sqlx::query_as!(
        Task,
        r#"select t.id, t.launch_id, t.account_id, a.name as account_name, t.assignee_id,
                  u.name as "assignee_name?", t.done_at, d.name as "done_by_name?"
           from followup_tasks t join accounts a on a.id = t.account_id
           left join users u on u.id = t.assignee_id left join users d on d.id = t.done_by
           where t.launch_id = $1 order by t.done_at is not null, a.arr_cents desc, a.name"#,
        launch_id
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn task(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Task>> {
    sqlx::query_as!(
        Task,
        r#"select t.id, t.launch_id, t.account_id, a.name as account_name, t.assignee_id,
                  u.name as "assignee_name?", t.done_at, d.name as "done_by_name?"
           from followup_tasks t join accounts a on a.id = t.account_id
           left join users u on u.id = t.assignee_id left join users d on d.id = t.done_by
           where t.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// One task per account that asked and has none yet, assigned to the account's owner or else
/// its most recent reporter. Returns how many were created.
#[tracing::instrument(skip_all)]
pub async fn create_tasks(db: impl PgExecutor<'_>, launch_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"with asked as (
               select f.account_id, f.reporter_id, f.received_at
               from launch_themes lt
               join feedback_themes ft on ft.theme_id = lt.theme_id and ft.state <> 'rejected'
               join feedback f on f.id = ft.feedback_id and f.archived_at is null
               where lt.launch_id = $1 and f.account_id is not null
           ), latest as (
               select distinct on (account_id) account_id, reporter_id
               from asked order by account_id, (reporter_id is null), received_at desc
           )
           insert into followup_tasks (launch_id, account_id, assignee_id)
           select $1, a.id, coalesce(a.owner_id, latest.reporter_id)
           from latest join accounts a on a.id = latest.account_id
           on conflict (launch_id, account_id) do nothing"#,
        launch_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

#[tracing::instrument(skip_all)]
pub async fn set_task_done(
    db: impl PgExecutor<'_>,
    id: i64,
    by: Option<i64>,
    done: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update followup_tasks set done_at = case when $3 then now() end, done_by = case when $3 then $2::bigint end where id = $1",
        id,
        by,
        done
    )
    .execute(db)
    .await?;
    Ok(())
}
