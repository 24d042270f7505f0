//! Every SQL statement of launches, guides, checklists, acknowledgements and follow-up tasks
//! (acknowledgements and checklists are in `readiness.rs`, who to tell and the tasks in `tell.rs`).

mod readiness;
mod tell;

pub use readiness::*;
pub use tell::*;

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use super::guide::{Faq, GuideContent, GuideState, Revision, RevisionFacts};
use super::{Launch, LaunchFields};

#[tracing::instrument(skip_all)]
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Launch>> {
    sqlx::query_as!(
        Launch,
        r#"select l.id, l.name, l.summary, l.status, l.target_date, l.shipped_date, l.owner_id,
                  u.name as "owner_name?", l.area, l.tracker_links,
                  array(select theme_id from launch_themes lt where lt.launch_id = l.id order by theme_id) as "theme_ids!"
           from launches l left join users u on u.id = l.owner_id
           order by coalesce(l.shipped_date, l.target_date) nulls last, lower(l.name)"#
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Launch>> {
    sqlx::query_as!(
        Launch,
        r#"select l.id, l.name, l.summary, l.status, l.target_date, l.shipped_date, l.owner_id,
                  u.name as "owner_name?", l.area, l.tracker_links,
                  array(select theme_id from launch_themes lt where lt.launch_id = l.id order by theme_id) as "theme_ids!"
           from launches l left join users u on u.id = l.owner_id
           where l.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn id_by_name(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "select id from launches where lower(name) = lower($1)",
        name
    )
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn insert(db: impl PgExecutor<'_>, f: &LaunchFields) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into launches (name, summary, status, target_date, shipped_date, owner_id, area, tracker_links)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        f.name,
        f.summary,
        f.status,
        f.target_date,
        f.shipped_date,
        f.owner_id,
        f.area,
        &f.tracker_links
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn update(db: impl PgExecutor<'_>, id: i64, f: &LaunchFields) -> sqlx::Result<()> {
    sqlx::query!(
        "update launches set name = $2, summary = $3, status = $4, target_date = $5, shipped_date = $6,
                owner_id = $7, area = $8, tracker_links = $9
         where id = $1",
        id,
        f.name,
        f.summary,
        f.status,
        f.target_date,
        f.shipped_date,
        f.owner_id,
        f.area,
        &f.tracker_links
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Replace the launch's themes with `theme_ids` (unknown ids are ignored).
#[tracing::instrument(skip_all)]
pub async fn set_themes(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    theme_ids: &[i64],
) -> sqlx::Result<()> {
    sqlx::query!(
        "with gone as (delete from launch_themes where launch_id = $1 and not (theme_id = any($2)))
         insert into launch_themes (launch_id, theme_id)
         select $1, t.id from themes t where t.id = any($2)
         on conflict do nothing",
        launch_id,
        theme_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct Option2 {
    pub id: i64,
    pub name: String,
}

/// People who may own a launch: pm, product_ops, admin.
#[tracing::instrument(skip_all)]
pub async fn owner_options(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Option2>> {
    sqlx::query_as!(
        Option2,
        "select id, name from users where disabled_at is null and role in ('pm', 'product_ops', 'admin') order by name"
    )
    .fetch_all(db)
    .await
}

/// People who may approve a guide: product_ops, admin.
#[tracing::instrument(skip_all)]
pub async fn reviewer_options(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Option2>> {
    sqlx::query_as!(
        Option2,
        "select id, name from users where disabled_at is null and role in ('product_ops', 'admin') order by name"
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn user_id_by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("select id from users where email = lower($1)", email)
        .fetch_optional(db)
        .await
}

/// Active themes, for the launch form's choice of themes it answers.
#[tracing::instrument(skip_all)]
pub async fn theme_options(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Option2>> {
    sqlx::query_as!(
        Option2,
        "select id, name from themes where status = 'active' order by lower(name)"
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn theme_names(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<Option2>> {
    sqlx::query_as!(
        Option2,
        "select id, name from themes where id = any($1) order by lower(name)",
        ids
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn theme_id_by_name(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "select id from themes where lower(name) = lower($1) order by (status = 'active') desc, id limit 1",
        name
    )
    .fetch_optional(db)
    .await
}

pub struct LaunchBrief {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub target_date: Option<Date>,
    pub shipped_date: Option<Date>,
    pub published: bool,
}

/// The launches that answer a theme.
#[tracing::instrument(skip_all)]
pub async fn for_theme(db: impl PgExecutor<'_>, theme_id: i64) -> sqlx::Result<Vec<LaunchBrief>> {
    sqlx::query_as!(
        LaunchBrief,
        r#"select l.id, l.name, l.status, l.target_date, l.shipped_date,
                  coalesce(g.published_number is not null, false) as "published!"
           from launch_themes lt join launches l on l.id = lt.launch_id
           left join guides g on g.launch_id = l.id
           where lt.theme_id = $1
           order by coalesce(l.shipped_date, l.target_date) desc nulls last, l.name"#,
        theme_id
    )
    .fetch_all(db)
    .await
}

/// Every theme some launch answers.
#[tracing::instrument(skip_all)]
pub async fn answered_theme_ids(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"select distinct lt.theme_id as "id!" from launch_themes lt join launches l on l.id = lt.launch_id
           where l.status <> 'retired'"#
    )
    .fetch_all(db)
    .await
}

// ---- guides and revisions ----

#[tracing::instrument(skip_all)]
pub async fn ensure_guide(db: impl PgExecutor<'_>, launch_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into guides (launch_id) values ($1) on conflict do nothing",
        launch_id
    )
    .execute(db)
    .await?;
    Ok(())
}

struct StateRow {
    launch_id: i64,
    state: String,
    published_number: Option<i32>,
    head_number: Option<i32>,
    reviewer_id: Option<i64>,
    reviewer_name: Option<String>,
    submitted_by: Option<i64>,
    review_comment: String,
}

impl From<StateRow> for GuideState {
    fn from(r: StateRow) -> Self {
        GuideState {
            launch_id: r.launch_id,
            state: r.state,
            published_number: r.published_number,
            head_number: r.head_number,
            reviewer_id: r.reviewer_id,
            reviewer_name: r.reviewer_name,
            submitted_by: r.submitted_by,
            review_comment: r.review_comment,
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn guide_state(
    db: impl PgExecutor<'_>,
    launch_id: i64,
) -> sqlx::Result<Option<GuideState>> {
    let row = sqlx::query_as!(
        StateRow,
        r#"select g.launch_id, g.state, g.published_number,
                  (select max(number) from guide_revisions r where r.launch_id = g.launch_id) as "head_number?",
                  g.reviewer_id, u.name as "reviewer_name?", g.submitted_by, g.review_comment
           from guides g left join users u on u.id = g.reviewer_id
           where g.launch_id = $1"#,
        launch_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(GuideState::from))
}

/// The guide's state, locking its row until the transaction ends (one writer at a time).
#[tracing::instrument(skip_all)]
pub async fn lock_guide(
    db: impl PgExecutor<'_>,
    launch_id: i64,
) -> sqlx::Result<Option<GuideState>> {
    let row = sqlx::query_as!(
        StateRow,
        r#"select g.launch_id, g.state, g.published_number,
                  (select max(number) from guide_revisions r where r.launch_id = g.launch_id) as "head_number?",
                  g.reviewer_id, null::text as "reviewer_name?", g.submitted_by, g.review_comment
           from guides g where g.launch_id = $1 for update"#,
        launch_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(GuideState::from))
}

#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all)]
pub async fn insert_revision(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    number: i32,
    c: &GuideContent,
    note: &str,
    minor: bool,
    author_id: Option<i64>,
    created_at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    let faq = serde_json::to_value(&c.faq).unwrap_or_else(|_| serde_json::json!([]));
    sqlx::query!(
        "insert into guide_revisions (launch_id, number, value, sales, success, support, marketing, prepare, links, faq, note, minor, author_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($14, now()))",
        launch_id,
        number,
        c.value,
        c.sales,
        c.success,
        c.support,
        c.marketing,
        c.prepare,
        c.links,
        faq,
        note,
        minor,
        author_id,
        created_at
    )
    .execute(db)
    .await?;
    Ok(())
}

struct RevisionRow {
    number: i32,
    value: String,
    sales: String,
    success: String,
    support: String,
    marketing: String,
    prepare: String,
    links: String,
    faq: serde_json::Value,
    note: String,
    minor: bool,
    author_id: Option<i64>,
    author_name: Option<String>,
    created_at: OffsetDateTime,
    published_at: Option<OffsetDateTime>,
}

impl From<RevisionRow> for Revision {
    fn from(r: RevisionRow) -> Self {
        Revision {
            number: r.number,
            content: GuideContent {
                value: r.value,
                sales: r.sales,
                success: r.success,
                support: r.support,
                marketing: r.marketing,
                prepare: r.prepare,
                links: r.links,
                faq: serde_json::from_value::<Vec<Faq>>(r.faq).unwrap_or_default(),
            },
            note: r.note,
            minor: r.minor,
            author_id: r.author_id,
            author_name: r.author_name,
            created_at: r.created_at,
            published_at: r.published_at,
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn revision(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    number: i32,
) -> sqlx::Result<Option<Revision>> {
    let row = sqlx::query_as!(
        RevisionRow,
        r#"select r.number, r.value, r.sales, r.success, r.support, r.marketing, r.prepare, r.links, r.faq,
                  r.note, r.minor, r.author_id, u.name as "author_name?", r.created_at, r.published_at
           from guide_revisions r left join users u on u.id = r.author_id
           where r.launch_id = $1 and r.number = $2"#,
        launch_id,
        number
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Revision::from))
}

/// Every revision, newest first.
#[tracing::instrument(skip_all)]
pub async fn revisions(db: impl PgExecutor<'_>, launch_id: i64) -> sqlx::Result<Vec<Revision>> {
    let rows = sqlx::query_as!(
        RevisionRow,
        r#"select r.number, r.value, r.sales, r.success, r.support, r.marketing, r.prepare, r.links, r.faq,
                  r.note, r.minor, r.author_id, u.name as "author_name?", r.created_at, r.published_at
           from guide_revisions r left join users u on u.id = r.author_id
           where r.launch_id = $1 order by r.number desc"#,
        launch_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Revision::from).collect())
}

#[tracing::instrument(skip_all)]
pub async fn revision_facts(
    db: impl PgExecutor<'_>,
    launch_id: i64,
) -> sqlx::Result<Vec<RevisionFacts>> {
    sqlx::query_as!(
        RevisionFacts,
        "select number, minor from guide_revisions where launch_id = $1 order by number",
        launch_id
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn set_review(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    state: &str,
    reviewer_id: Option<i64>,
    submitted_by: Option<i64>,
    comment: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update guides set state = $2, reviewer_id = $3, submitted_by = $4, review_comment = $5,
                submitted_at = case when $2 = 'in_review' then now() else submitted_at end, updated_at = now()
         where launch_id = $1",
        launch_id,
        state,
        reviewer_id,
        submitted_by,
        comment
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn publish(
    db: impl PgExecutor<'_>,
    launch_id: i64,
    number: i32,
    by: Option<i64>,
    at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "with r as (update guide_revisions set published_at = coalesce($4, now()), published_by = $3
                    where launch_id = $1 and number = $2)
         update guides set state = 'published', published_number = $2, review_comment = '', updated_at = now()
         where launch_id = $1",
        launch_id,
        number,
        by,
        at
    )
    .execute(db)
    .await?;
    Ok(())
}
