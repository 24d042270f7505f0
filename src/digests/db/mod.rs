//! Every SQL statement of digests: the digests, their launches and what they quote; who they
//! reach (reads, email sends, unsubscribes, feed tokens, the signing secret) is in `reach.rs`.

mod reach;

pub use reach::*;

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::compose::{OpenQuestion, Quote};
use super::{Audience, Digest, DigestFields};

struct DigestRow {
    id: i64,
    title: String,
    period_start: time::Date,
    period_end: time::Date,
    audience: String,
    intro: String,
    state: String,
    snapshot: Option<serde_json::Value>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    published_at: Option<OffsetDateTime>,
    published_by_name: Option<String>,
}

impl From<DigestRow> for Digest {
    fn from(r: DigestRow) -> Self {
        Digest {
            id: r.id,
            title: r.title,
            period_start: r.period_start,
            period_end: r.period_end,
            audience: Audience::parse(&r.audience).unwrap_or(Audience::Everyone),
            intro: r.intro,
            state: r.state,
            snapshot: r.snapshot,
            created_at: r.created_at,
            updated_at: r.updated_at,
            published_at: r.published_at,
            published_by_name: r.published_by_name,
        }
    }
}

/// Every digest, newest period first.
#[tracing::instrument(skip_all)]
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Digest>> {
    let rows = sqlx::query_as!(
        DigestRow,
        r#"select d.id, d.title, d.period_start, d.period_end, d.audience, d.intro, d.state, d.snapshot,
                  d.created_at, d.updated_at, d.published_at, u.name as "published_by_name?"
           from digests d left join users u on u.id = d.published_by
           order by d.period_end desc, d.id desc"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Digest::from).collect())
}

/// Per digest: its launches, the people who opened it, the people emailed it.
pub struct Counts {
    pub digest_id: i64,
    pub launches: i64,
    pub readers: i64,
    pub sent: i64,
}

/// [`Counts`] of every digest in one read (the list page).
#[tracing::instrument(skip_all)]
pub async fn counts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Counts>> {
    sqlx::query_as!(
        Counts,
        r#"select d.id as digest_id,
                  (select count(*) from digest_launches l where l.digest_id = d.id) as "launches!",
                  (select count(*) from digest_reads r where r.digest_id = d.id) as "readers!",
                  (select count(*) from digest_emails e where e.digest_id = d.id and e.state = 'sent') as "sent!"
           from digests d"#
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Digest>> {
    let row = sqlx::query_as!(
        DigestRow,
        r#"select d.id, d.title, d.period_start, d.period_end, d.audience, d.intro, d.state, d.snapshot,
                  d.created_at, d.updated_at, d.published_at, u.name as "published_by_name?"
           from digests d left join users u on u.id = d.published_by
           where d.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Digest::from))
}

/// Published digests a feed of `audience` carries (a team's feed also carries everyone's).
#[tracing::instrument(skip_all)]
pub async fn published_for(
    db: impl PgExecutor<'_>,
    audience: Audience,
    limit: i64,
) -> sqlx::Result<Vec<Digest>> {
    let rows = sqlx::query_as!(
        DigestRow,
        r#"select d.id, d.title, d.period_start, d.period_end, d.audience, d.intro, d.state, d.snapshot,
                  d.created_at, d.updated_at, d.published_at, u.name as "published_by_name?"
           from digests d left join users u on u.id = d.published_by
           where d.state = 'published' and (d.audience = $1 or d.audience = 'everyone')
           order by d.published_at desc, d.id desc limit $2"#,
        audience.as_str(),
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Digest::from).collect())
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: impl PgExecutor<'_>,
    f: &DigestFields,
    by: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into digests (title, period_start, period_end, audience, intro, created_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
        f.title,
        f.period_start,
        f.period_end,
        f.audience.as_str(),
        f.intro,
        by
    )
    .fetch_one(db)
    .await
}

/// Change a draft; returns false when the digest is not a draft (published ones are frozen).
#[tracing::instrument(skip_all)]
pub async fn update_draft(
    db: impl PgExecutor<'_>,
    id: i64,
    f: &DigestFields,
) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update digests set title = $2, period_start = $3, period_end = $4, audience = $5, intro = $6
         where id = $1 and state = 'draft'",
        id,
        f.title,
        f.period_start,
        f.period_end,
        f.audience.as_str(),
        f.intro
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all)]
pub async fn set_launches(
    db: impl PgExecutor<'_>,
    id: i64,
    launch_ids: &[i64],
) -> sqlx::Result<()> {
    sqlx::query!(
        "with gone as (delete from digest_launches where digest_id = $1)
         insert into digest_launches (digest_id, launch_id, position)
         select $1, l.id, o.ord::int from unnest($2::bigint[]) with ordinality as o(id, ord)
         join launches l on l.id = o.id",
        id,
        launch_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A digest's launch: its place, the revision a published digest froze, and the guide's
/// current published revision.
pub struct LaunchRow {
    pub launch_id: i64,
    pub position: i32,
    pub revision_number: Option<i32>,
    pub published_number: Option<i32>,
    pub name: String,
}

#[tracing::instrument(skip_all)]
pub async fn launches(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Vec<LaunchRow>> {
    sqlx::query_as!(
        LaunchRow,
        r#"select dl.launch_id, dl.position, dl.revision_number, g.published_number as "published_number?", l.name
           from digest_launches dl join launches l on l.id = dl.launch_id
           left join guides g on g.launch_id = dl.launch_id
           where dl.digest_id = $1 order by dl.position"#,
        id
    )
    .fetch_all(db)
    .await
}

/// Lock a digest for publishing; its state.
#[tracing::instrument(skip_all)]
pub async fn lock(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("select state from digests where id = $1 for update", id)
        .fetch_optional(db)
        .await
}

/// Freeze a draft: each launch keeps the guide revision published now, the rest the snapshot.
#[tracing::instrument(skip_all)]
pub async fn publish(
    db: impl PgExecutor<'_>,
    id: i64,
    by: Option<i64>,
    snapshot: &serde_json::Value,
    at: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "with frozen as (
             update digest_launches dl set revision_number = g.published_number
             from guides g where g.launch_id = dl.launch_id and dl.digest_id = $1)
         update digests set state = 'published', snapshot = $3, published_by = $2,
                published_at = coalesce($4, now())
         where id = $1",
        id,
        by,
        snapshot,
        at
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all)]
pub async fn delete_draft(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let r = sqlx::query!("delete from digests where id = $1 and state = 'draft'", id)
        .execute(db)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Active themes among `ids`: (id, name).
#[tracing::instrument(skip_all)]
pub async fn active_theme_names(
    db: impl PgExecutor<'_>,
    ids: &[i64],
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        "select id, name from themes where id = any($1) and status = 'active'",
        ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// One customer's words for a theme in a period: a confirmed tag first, then the account with
/// the most ARR, then the newest; bodies of a readable length.
#[tracing::instrument(skip_all)]
pub async fn quote_for_theme(
    db: impl PgExecutor<'_>,
    theme_id: i64,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Option<Quote>> {
    let row = sqlx::query!(
        r#"select f.id, f.body, f.source, a.name as "account?"
           from feedback_themes ft join feedback f on f.id = ft.feedback_id
           left join accounts a on a.id = f.account_id
           where ft.theme_id = $1 and ft.state <> 'rejected' and f.archived_at is null
             and f.received_at >= $2 and f.received_at < $3 and length(f.body) between 20 and 600
           order by (ft.state = 'confirmed') desc, f.arr_cents_snapshot desc nulls last, f.received_at desc
           limit 1"#,
        theme_id,
        from,
        to
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Quote {
        feedback_id: r.id,
        text: r.body,
        account: r.account,
        source: r.source,
    }))
}

/// Questions about these launches still waiting for an answer, oldest first.
#[tracing::instrument(skip_all)]
pub async fn open_questions(
    db: impl PgExecutor<'_>,
    launch_ids: &[i64],
) -> sqlx::Result<Vec<OpenQuestion>> {
    let rows = sqlx::query!(
        r#"select q.id, q.text, q.team, q.asked_at, l.name as "launch?"
           from questions q left join launches l on l.id = q.launch_id
           where q.status = 'open' and q.launch_id = any($1)
           order by q.asked_at, q.id limit 20"#,
        launch_ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OpenQuestion {
            id: r.id,
            text: r.text,
            team: r.team,
            asked_on: r.asked_at.date().to_string(),
            launch: r.launch,
        })
        .collect())
}

/// Launches that have shipped, newest first, for the launches feed.
pub struct ShippedLaunch {
    pub id: i64,
    pub name: String,
    pub summary: String,
    pub status: String,
    pub shipped_date: time::Date,
    pub updated_at: OffsetDateTime,
    pub published_number: Option<i32>,
}

#[tracing::instrument(skip_all)]
pub async fn shipped_launches(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<ShippedLaunch>> {
    sqlx::query_as!(
        ShippedLaunch,
        r#"select l.id, l.name, l.summary, l.status, l.shipped_date as "shipped_date!", l.updated_at,
                  g.published_number as "published_number?"
           from launches l left join guides g on g.launch_id = l.id
           where l.shipped_date is not null
           order by l.shipped_date desc, l.id desc limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// The latest email job of a digest (for its progress on the page).
#[tracing::instrument(skip_all)]
pub async fn latest_send_job(
    db: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<crate::jobs::Job>> {
    sqlx::query_as!(
        crate::jobs::Job,
        "select id, kind, payload, state, progress_done, progress_total, error, created_at, started_at, finished_at
         from jobs where kind = 'send_digest' and (payload->>'digest_id')::bigint = $1
         order by id desc limit 1",
        id
    )
    .fetch_optional(db)
    .await
}

/// Make a published digest quote, for each launch, the newest revision published before `at`
/// (the demo's digest of last month quotes the guides as they read then).
#[tracing::instrument(skip_all)]
pub async fn quote_as_of(db: impl PgExecutor<'_>, id: i64, at: OffsetDateTime) -> sqlx::Result<()> {
    sqlx::query!(
        "update digest_launches dl set revision_number = coalesce(
             (select max(r.number) from guide_revisions r
              where r.launch_id = dl.launch_id and r.published_at is not null and r.published_at < $2),
             dl.revision_number)
         where dl.digest_id = $1",
        id,
        at
    )
    .execute(db)
    .await?;
    Ok(())
}
