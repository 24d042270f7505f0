//! Every SQL statement of inbound questions.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::classify::Labelled;
use super::{Kind, NewQuestion};

/// A question with the names a page shows.
#[derive(Debug, Clone)]
pub struct QuestionRow {
    pub id: i64,
    pub text: String,
    pub asked_by: Option<String>,
    pub team: String,
    pub channel: String,
    pub asked_at: OffsetDateTime,
    pub theme_id: Option<i64>,
    pub theme_name: Option<String>,
    pub status: String,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<OffsetDateTime>,
    pub minutes: Option<i32>,
    pub kind: String,
    pub kind_confidence: Option<f32>,
    pub kind_overridden: bool,
}

/// Who asked and how it was classified, for an insert.
pub struct Asked<'a> {
    pub question: &'a NewQuestion,
    pub asked_by_id: Option<i64>,
    pub asked_at: Option<OffsetDateTime>,
    pub kind: Kind,
    pub confidence: f32,
}

#[tracing::instrument(skip_all)]
pub async fn insert(db: impl PgExecutor<'_>, a: &Asked<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into questions (text, asked_by_id, asked_by_name, team, channel, asked_at, theme_id, kind, kind_confidence)
         values ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8, $9) returning id",
        a.question.text,
        a.asked_by_id,
        a.question.asked_by_name,
        a.question.team,
        a.question.channel,
        a.asked_at,
        a.question.theme_id,
        a.kind.as_str(),
        a.confidence
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<QuestionRow>> {
    sqlx::query_as!(
        QuestionRow,
        r#"select q.id, q.text, coalesce(u.name, q.asked_by_name) as asked_by, q.team, q.channel, q.asked_at,
                  q.theme_id, t.name as "theme_name?", q.status, q.answer, a.name as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join users a on a.id = q.answered_by_id
           left join themes t on t.id = q.theme_id
           where q.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Filters of the list and the API.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub team: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// Keyset: questions asked before this (asked_at, id).
    pub before: Option<(OffsetDateTime, i64)>,
}

/// Newest first, at most `limit`.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: impl PgExecutor<'_>,
    f: &ListFilter,
    limit: i64,
) -> sqlx::Result<Vec<QuestionRow>> {
    let (before_at, before_id) = f.before.unzip();
    sqlx::query_as!(
        QuestionRow,
        r#"select q.id, q.text, coalesce(u.name, q.asked_by_name) as asked_by, q.team, q.channel, q.asked_at,
                  q.theme_id, t.name as "theme_name?", q.status, q.answer, a.name as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join users a on a.id = q.answered_by_id
           left join themes t on t.id = q.theme_id
           where ($1::text is null or q.team = $1) and ($2::text is null or q.kind = $2)
             and ($3::text is null or q.status = $3)
             and ($4::timestamptz is null or q.asked_at >= $4) and ($5::timestamptz is null or q.asked_at < $5)
             and ($6::timestamptz is null or (q.asked_at, q.id) < ($6, $7::bigint))
           order by q.asked_at desc, q.id desc
           limit $8"#,
        f.team,
        f.kind,
        f.status,
        f.from,
        f.to,
        before_at,
        before_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// Open questions, oldest first.
#[tracing::instrument(skip_all)]
pub async fn open_oldest(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<QuestionRow>> {
    sqlx::query_as!(
        QuestionRow,
        r#"select q.id, q.text, coalesce(u.name, q.asked_by_name) as asked_by, q.team, q.channel, q.asked_at,
                  q.theme_id, t.name as "theme_name?", q.status, q.answer, null::text as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join themes t on t.id = q.theme_id
           where q.status = 'open'
           order by q.asked_at, q.id
           limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn open_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from questions where status = 'open'"#)
        .fetch_one(db)
        .await
}

/// One week and team of the dashboard: counts by kind and PM minutes.
#[derive(Debug, Clone)]
pub struct WeekRow {
    pub week: time::Date,
    pub team: String,
    pub awareness: i64,
    pub readiness: i64,
    pub other: i64,
    pub minutes: i64,
}

/// Counts per ISO week (Monday, UTC) and team of questions asked in `[from, to)`.
#[tracing::instrument(skip_all)]
pub async fn weekly(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<WeekRow>> {
    sqlx::query_as!(
        WeekRow,
        r#"select date_trunc('week', asked_at at time zone 'UTC')::date as "week!", team,
                  count(*) filter (where kind = 'awareness') as "awareness!",
                  count(*) filter (where kind = 'readiness') as "readiness!",
                  count(*) filter (where kind = 'other') as "other!",
                  coalesce(sum(minutes), 0)::bigint as "minutes!"
           from questions where asked_at >= $1 and asked_at < $2
           group by 1, 2 order by 1, 2"#,
        from,
        to
    )
    .fetch_all(db)
    .await
}

/// Answer a question (it becomes answered); `false` when there is no such question.
#[tracing::instrument(skip_all)]
pub async fn answer(
    db: impl PgExecutor<'_>,
    id: i64,
    answer: &str,
    minutes: Option<i32>,
    by: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update questions set answer = $2, minutes = $3, answered_by_id = $4, answered_at = now(), status = 'answered'
         where id = $1",
        id,
        answer,
        minutes,
        by
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A person sets the kind; it becomes an override that teaches the classifier.
#[tracing::instrument(skip_all)]
pub async fn override_kind(
    db: impl PgExecutor<'_>,
    id: i64,
    kind: Kind,
    by: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "update questions set kind = $2, kind_confidence = null, kind_overridden_by = $3, kind_overridden_at = now()
         where id = $1",
        id,
        kind.as_str(),
        by
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Changes whenever an override is made: (how many, the newest one's time).
pub type OverrideKey = (i64, Option<OffsetDateTime>);

#[tracing::instrument(skip_all)]
pub async fn override_key(db: impl PgExecutor<'_>) -> sqlx::Result<OverrideKey> {
    let r = sqlx::query!(
        r#"select count(*) as "n!", max(kind_overridden_at) as newest
           from questions where kind_overridden_at is not null"#
    )
    .fetch_one(db)
    .await?;
    Ok((r.n, r.newest))
}

/// Every override, oldest first, as training examples.
#[tracing::instrument(skip_all)]
pub async fn overrides(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Labelled>> {
    let rows = sqlx::query!(
        "select text, kind from questions where kind_overridden_at is not null order by kind_overridden_at, id"
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Kind::parse(&r.kind).map(|kind| Labelled { text: r.text, kind }))
        .collect())
}
