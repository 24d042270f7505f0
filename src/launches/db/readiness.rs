//! The SQL of readiness: acknowledgements of guide revisions, team sizes and checklists.

use sqlx::PgExecutor;
use time::OffsetDateTime;

// ---- acknowledgements ----

/// The newest revision this person acknowledged.
#[tracing::instrument(skip_all)]
pub async fn acknowledged(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        "select max(revision_number) from guide_acknowledgements where launch_id = $1 and user_id = $2",
        launch_id,
        user_id
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn acknowledge(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    user_id: i64,
    number: i32,
    at: Option<OffsetDateTime>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into guide_acknowledgements (launch_id, user_id, revision_number, acknowledged_at)
         values ($1, $2, $3, coalesce($4, now())) on conflict do nothing",
        launch_id,
        user_id,
        number,
        at
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub struct AckRow {
    pub launch_id: i64,
    pub user_id: i64,
    pub team: String,
    pub revision: i32,
}

/// Each active user's newest acknowledgement per launch.
#[tracing::instrument(skip_all)]
pub async fn acknowledgements(
    db: impl PgExecutor<'_>,
    launch_ids: &[i64],
) -> sqlx::Result<Vec<AckRow>> {
    sqlx::query_as!(
        AckRow,
        r#"select a.launch_id, a.user_id, u.team, max(a.revision_number) as "revision!"
           from guide_acknowledgements a join users u on u.id = a.user_id
           where a.launch_id = any($1) and u.disabled_at is null
           group by a.launch_id, a.user_id, u.team"#,
        launch_ids
    )
    .fetch_all(db)
    .await
}

pub struct TeamCount {
    pub team: String,
    pub members: i64,
}

#[tracing::instrument(skip_all)]
pub async fn team_sizes(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<TeamCount>> {
    sqlx::query_as!(
        TeamCount,
        r#"select team, count(*) as "members!" from users where disabled_at is null group by team"#
    )
    .fetch_all(db)
    .await
}

pub struct FactsRow {
    pub launch_id: i64,
    pub number: i32,
    pub minor: bool,
}

#[tracing::instrument(skip_all)]
pub async fn facts_for(db: impl PgExecutor<'_>, launch_ids: &[i64]) -> sqlx::Result<Vec<FactsRow>> {
    sqlx::query_as!(
        FactsRow,
        "select launch_id, number, minor from guide_revisions where launch_id = any($1) order by launch_id, number",
        launch_ids
    )
    .fetch_all(db)
    .await
}

pub struct PublishedRow {
    pub launch_id: i64,
    pub state: String,
    pub published_number: Option<i32>,
}

#[tracing::instrument(skip_all)]
pub async fn published_numbers(
    db: impl PgExecutor<'_>,
    launch_ids: &[i64],
) -> sqlx::Result<Vec<PublishedRow>> {
    sqlx::query_as!(
        PublishedRow,
        "select launch_id, state, published_number from guides where launch_id = any($1)",
        launch_ids
    )
    .fetch_all(db)
    .await
}

// ---- checklist ----

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ChecklistItem {
    pub id: i64,
    pub launch_id: i64,
    pub team: String,
    pub text: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<OffsetDateTime>,
    pub done_by: Option<i64>,
    pub done_by_name: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn checklist(
    db: impl PgExecutor<'_>,
    launch_ids: &[i64],
) -> sqlx::Result<Vec<ChecklistItem>> {
    sqlx::query_as!(
        ChecklistItem,
        r#"select c.id, c.launch_id, c.team, c.text, c.done_at, c.done_by, u.name as "done_by_name?"
           from checklist_items c left join users u on u.id = c.done_by
           where c.launch_id = any($1) order by c.launch_id, c.team, c.id"#,
        launch_ids
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn checklist_item(
    db: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<ChecklistItem>> {
    sqlx::query_as!(
        ChecklistItem,
        r#"select c.id, c.launch_id, c.team, c.text, c.done_at, c.done_by, u.name as "done_by_name?"
           from checklist_items c left join users u on u.id = c.done_by where c.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert_checklist_item(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    team: &str,
    text: &str,
    done_by: Option<i64>,
    done: bool,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into checklist_items (launch_id, team, text, done_at, done_by)
         values ($1, $2, $3, case when $5 then now() end, case when $5 then $4::bigint end) returning id",
        launch_id,
        team,
        text,
        done_by,
        done
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn set_checklist_done(
    db: impl PgExecutor<'_>,
    id: i64,
    done_by: Option<i64>,
    done: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update checklist_items set done_at = case when $3 then now() end, done_by = case when $3 then $2::bigint end where id = $1",
        id,
        done_by,
        done
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete_checklist_item(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!("delete from checklist_items where id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

/// A published digest that carries the launch, and who opened it.
pub struct DigestReach {
    pub digest_id: i64,
    pub title: String,
    pub audience: String,
    pub readers: Vec<String>,
}

/// The published digests that carry `launch_id`, newest first, each with the names of the
/// people who opened it (the read tracking of the digests).
#[tracing::instrument(skip_all)]
pub async fn digest_reach(
    db: impl PgExecutor<'_>,
    launch_id: i64,
) -> sqlx::Result<Vec<DigestReach>> {
    sqlx::query_as!(
        DigestReach,
        r#"select d.id as digest_id, d.title, d.audience,
                  array(select u.name from digest_reads r join users u on u.id = r.user_id
                        where r.digest_id = d.id order by r.first_read_at) as "readers!"
           from digest_launches dl join digests d on d.id = dl.digest_id
           where dl.launch_id = $1 and d.state = 'published'
           order by d.published_at desc"#,
        launch_id
    )
    .fetch_all(db)
    .await
}
