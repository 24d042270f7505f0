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
    pub launch_id: Option<i64>,
    pub launch_name: Option<String>,
    pub feedback_id: Option<i64>,
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
    pub launch_guess_id: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn insert(db: impl PgExecutor<'_>, a: &Asked<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into questions (text, asked_by_id, asked_by_name, team, channel, asked_at, theme_id, kind, kind_confidence,
                                launch_id, launch_guess_id)
         values ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8, $9, $10, $11) returning id",
        a.question.text,
        a.asked_by_id,
        a.question.asked_by_name,
        a.question.team,
        a.question.channel,
        a.asked_at,
        a.question.theme_id,
        a.kind.as_str(),
        a.confidence,
        a.question.launch_id,
        a.launch_guess_id
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<QuestionRow>> {
    sqlx::query_as!(
        QuestionRow,
        r#"select q.id, q.text, coalesce(u.name, q.asked_by_name) as asked_by, q.team, q.channel, q.asked_at,
                  q.theme_id, t.name as "theme_name?", q.launch_id, l.name as "launch_name?", q.feedback_id, q.status, q.answer, a.name as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join users a on a.id = q.answered_by_id
           left join themes t on t.id = q.theme_id
           left join launches l on l.id = q.launch_id
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
    pub launch_id: Option<i64>,
    pub channel: Option<String>,
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
                  q.theme_id, t.name as "theme_name?", q.launch_id, l.name as "launch_name?", q.feedback_id, q.status, q.answer, a.name as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join users a on a.id = q.answered_by_id
           left join themes t on t.id = q.theme_id
           left join launches l on l.id = q.launch_id
           where ($1::text is null or q.team = $1) and ($2::text is null or q.kind = $2)
             and ($3::text is null or q.status = $3)
             and ($4::timestamptz is null or q.asked_at >= $4) and ($5::timestamptz is null or q.asked_at < $5)
             and ($6::timestamptz is null or (q.asked_at, q.id) < ($6, $7::bigint))
             and ($9::bigint is null or q.launch_id = $9) and ($10::text is null or q.channel = $10)
           order by q.asked_at desc, q.id desc
           limit $8"#,
        f.team,
        f.kind,
        f.status,
        f.from,
        f.to,
        before_at,
        before_id,
        limit,
        f.launch_id,
        f.channel
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
                  q.theme_id, t.name as "theme_name?", q.launch_id, l.name as "launch_name?", q.feedback_id, q.status, q.answer, null::text as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join themes t on t.id = q.theme_id
           left join launches l on l.id = q.launch_id
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

/// What the dashboard's figures count: questions asked in `[from, to)`, of one launch and one
/// channel when given (the team is picked from the rows, so "by team" stays complete).
#[derive(Debug, Clone)]
pub struct WeekFilter {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub launch_id: Option<i64>,
    pub channel: Option<String>,
}

/// Counts per ISO week (Monday, UTC) and team, from the daily rollup (migration 0043; the
/// period is read as whole UTC days: `from`'s day up to the day before `to`'s).
#[tracing::instrument(skip_all)]
pub async fn weekly(db: impl PgExecutor<'_>, f: &WeekFilter) -> sqlx::Result<Vec<WeekRow>> {
    sqlx::query_as!(
        WeekRow,
        r#"select date_trunc('week', day)::date as "week!", team,
                  sum(awareness)::bigint as "awareness!",
                  sum(readiness)::bigint as "readiness!",
                  sum(other)::bigint as "other!",
                  sum(minutes)::bigint as "minutes!"
           from question_daily
           where day >= ($1::timestamptz at time zone 'UTC')::date and day < ($2::timestamptz at time zone 'UTC')::date
             and ($3::bigint is null or launch_id = $3) and ($4::text is null or channel = $4)
           group by 1, 2
           having sum(awareness) <> 0 or sum(readiness) <> 0 or sum(other) <> 0 or sum(minutes) <> 0
           order by 1, 2"#,
        f.from,
        f.to,
        f.launch_id,
        f.channel
    )
    .fetch_all(db)
    .await
}

/// A launch's awareness and readiness questions before and after its guide was first published.
#[derive(Debug, Clone)]
pub struct LaunchShift {
    pub launch_id: i64,
    pub name: String,
    pub published_at: Option<OffsetDateTime>,
    pub awareness_before: i64,
    pub readiness_before: i64,
    pub awareness_after: i64,
    pub readiness_after: i64,
    pub minutes: i64,
}

/// Per launch with questions in the filter (team too), before vs after its guide's first
/// published revision; a launch whose guide was never published counts everything "before".
#[tracing::instrument(skip_all)]
pub async fn launch_shift(
    db: impl PgExecutor<'_>,
    f: &WeekFilter,
    team: Option<&str>,
) -> sqlx::Result<Vec<LaunchShift>> {
    sqlx::query_as!(
        LaunchShift,
        // Whole days before and after the publishing day come from the daily rollup; that day
        // itself is split at the moment of publication from its own questions.
        r#"with first as (
               select r.launch_id, min(r.published_at) as first, (min(r.published_at) at time zone 'UTC')::date as day
               from guide_revisions r where r.published_at is not null group by 1
           ), days as (
               select d.launch_id,
                      sum(d.awareness + d.readiness + d.other) as n,
                      sum(d.awareness) filter (where f.day is null or d.day < f.day) as ab,
                      sum(d.readiness) filter (where f.day is null or d.day < f.day) as rb,
                      sum(d.awareness) filter (where d.day > f.day) as aa,
                      sum(d.readiness) filter (where d.day > f.day) as ra,
                      sum(d.minutes) as minutes
               from question_daily d left join first f on f.launch_id = d.launch_id
               where d.launch_id <> 0
                 and d.day >= ($1::timestamptz at time zone 'UTC')::date and d.day < ($2::timestamptz at time zone 'UTC')::date
                 and ($3::bigint is null or d.launch_id = $3) and ($4::text is null or d.channel = $4)
                 and ($5::text is null or d.team = $5)
               group by 1
               having sum(d.awareness + d.readiness + d.other) > 0
           ), publishing_day as (
               -- One index range per launch (its publishing day), not the whole period.
               select f.launch_id, p.ab, p.rb, p.aa, p.ra
               from first f cross join lateral (
                   select count(*) filter (where q.kind = 'awareness' and q.asked_at < f.first) as ab,
                          count(*) filter (where q.kind = 'readiness' and q.asked_at < f.first) as rb,
                          count(*) filter (where q.kind = 'awareness' and q.asked_at >= f.first) as aa,
                          count(*) filter (where q.kind = 'readiness' and q.asked_at >= f.first) as ra
                   from questions q
                   where q.launch_id = f.launch_id
                     and q.asked_at >= greatest(f.day::timestamp at time zone 'UTC', $1)
                     and q.asked_at < least((f.day + 1)::timestamp at time zone 'UTC', $2)
                     and ($4::text is null or q.channel = $4) and ($5::text is null or q.team = $5)
               ) p
               where $3::bigint is null or f.launch_id = $3
           )
           select l.id as launch_id, l.name, f.first as published_at,
                  (coalesce(d.ab, 0) + coalesce(p.ab, 0))::bigint as "awareness_before!",
                  (coalesce(d.rb, 0) + coalesce(p.rb, 0))::bigint as "readiness_before!",
                  (coalesce(d.aa, 0) + coalesce(p.aa, 0))::bigint as "awareness_after!",
                  (coalesce(d.ra, 0) + coalesce(p.ra, 0))::bigint as "readiness_after!",
                  coalesce(d.minutes, 0)::bigint as "minutes!"
           from days d
           join launches l on l.id = d.launch_id
           left join first f on f.launch_id = d.launch_id
           left join publishing_day p on p.launch_id = d.launch_id
           order by d.n desc, l.name"#,
        f.from,
        f.to,
        f.launch_id,
        f.channel,
        team
    )
    .fetch_all(db)
    .await
}

/// PM minutes per answering person in the filter.
#[derive(Debug, Clone)]
pub struct PmMinutes {
    pub name: String,
    pub answered: i64,
    pub minutes: i64,
}

#[tracing::instrument(skip_all)]
pub async fn minutes_by_pm(
    db: impl PgExecutor<'_>,
    f: &WeekFilter,
    team: Option<&str>,
) -> sqlx::Result<Vec<PmMinutes>> {
    sqlx::query_as!(
        PmMinutes,
        r#"select u.name, sum(d.awareness + d.readiness + d.other)::bigint as "answered!",
                  sum(d.minutes)::bigint as "minutes!"
           from question_daily d join users u on u.id = d.answered_by_id
           where d.answered_by_id <> 0
             and d.day >= ($1::timestamptz at time zone 'UTC')::date and d.day < ($2::timestamptz at time zone 'UTC')::date
             and ($3::bigint is null or d.launch_id = $3) and ($4::text is null or d.channel = $4)
             and ($5::text is null or d.team = $5)
           group by u.id, u.name
           having sum(d.awareness + d.readiness + d.other) > 0
           order by 3 desc, u.name"#,
        f.from,
        f.to,
        f.launch_id,
        f.channel,
        team
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

/// Open questions about the launches or themes a person owns, or escalated to them from the
/// triage, oldest first (a PM's home).
#[tracing::instrument(skip_all)]
pub async fn open_for_owner(
    db: impl PgExecutor<'_>,
    owner_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<QuestionRow>> {
    sqlx::query_as!(
        QuestionRow,
        r#"select q.id, q.text, coalesce(u.name, q.asked_by_name) as asked_by, q.team, q.channel, q.asked_at,
                  q.theme_id, t.name as "theme_name?", q.launch_id, l.name as "launch_name?", q.feedback_id, q.status, q.answer,
                  null::text as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join themes t on t.id = q.theme_id
           left join launches l on l.id = q.launch_id
           where q.status = 'open' and (l.owner_id = $1 or t.owner_id = $1 or q.escalated_to = $1)
           order by q.asked_at, q.id
           limit $2"#,
        owner_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// A person's own questions: open ones first (oldest first), then the latest answered.
#[tracing::instrument(skip_all)]
pub async fn asked_by(
    db: impl PgExecutor<'_>,
    user_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<QuestionRow>> {
    sqlx::query_as!(
        QuestionRow,
        r#"select q.id, q.text, coalesce(u.name, q.asked_by_name) as asked_by, q.team, q.channel, q.asked_at,
                  q.theme_id, t.name as "theme_name?", q.launch_id, l.name as "launch_name?", q.feedback_id, q.status, q.answer,
                  a.name as "answered_by?", q.answered_at,
                  q.minutes, q.kind, q.kind_confidence, (q.kind_overridden_at is not null) as "kind_overridden!"
           from questions q
           left join users u on u.id = q.asked_by_id
           left join users a on a.id = q.answered_by_id
           left join themes t on t.id = q.theme_id
           left join launches l on l.id = q.launch_id
           where q.asked_by_id = $1
           order by (q.status = 'open') desc,
                    case when q.status = 'open' then q.asked_at end asc,
                    q.answered_at desc nulls last, q.id desc
           limit $2"#,
        user_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// Confirm (the guess becomes the launch) or decline a question's guessed launch; returns the
/// guess, `None` when the question has none.
#[tracing::instrument(skip_all)]
pub async fn settle_guess(
    db: impl PgExecutor<'_>,
    id: i64,
    confirm: bool,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"update questions q set launch_id = case when $2 then q.launch_guess_id else q.launch_id end,
                  launch_guess_id = null
           from (select id, launch_guess_id as guess from questions where id = $1 for update) old
           where q.id = old.id and old.guess is not null
           returning old.guess as "guess!""#,
        id,
        confirm
    )
    .fetch_optional(db)
    .await
}

/// A question's guessed launch, waiting to be confirmed.
#[tracing::instrument(skip_all)]
pub async fn launch_guess(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<(i64, String)>> {
    let r = sqlx::query!(
        "select l.id, l.name from questions q join launches l on l.id = q.launch_guess_id where q.id = $1",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(r.map(|r| (r.id, r.name)))
}

/// The active user a chat name stands for: their name, or their email before the @, when
/// exactly one user matches.
#[tracing::instrument(skip_all)]
pub async fn user_by_chat_name(
    pool: &sqlx::PgPool,
    name: &str,
) -> anyhow::Result<Option<crate::auth::User>> {
    if name.trim().is_empty() {
        return Ok(None);
    }
    let ids = sqlx::query_scalar!(
        "select id from users where disabled_at is null
           and (lower(name) = lower($1) or split_part(email, '@', 1) = lower($1))
         limit 2",
        name.trim()
    )
    .fetch_all(pool)
    .await?;
    match ids.as_slice() {
        [id] => crate::auth::db::find_active(pool, *id).await,
        _ => Ok(None),
    }
}

/// Every FAQ entry of every guide's published revision.
#[tracing::instrument(skip_all)]
pub async fn published_faqs(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<super::chat::FaqEntry>> {
    let rows = sqlx::query!(
        "select l.id, l.name, r.faq from guides g
         join launches l on l.id = g.launch_id
         join guide_revisions r on r.launch_id = g.launch_id and r.number = g.published_number
         where g.published_number is not null and l.status <> 'retired'"
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .flat_map(|r| {
            let faqs: Vec<crate::launches::guide::Faq> =
                serde_json::from_value(r.faq).unwrap_or_default();
            faqs.into_iter().map(move |faq| super::chat::FaqEntry {
                launch_id: r.id,
                launch_name: r.name.clone(),
                faq,
            })
        })
        .collect())
}

/// A question as the repeated-question grouping reads it.
#[derive(Debug, Clone)]
pub struct RepeatRow {
    pub id: i64,
    pub text: String,
    pub answer: Option<String>,
    pub launch_id: Option<i64>,
    pub launch_name: Option<String>,
}

/// The newest questions asked since `since`, at most `limit`, oldest first (stable input order
/// for the seeded clustering).
#[tracing::instrument(skip_all)]
pub async fn recent_for_grouping(
    db: impl PgExecutor<'_>,
    since: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<RepeatRow>> {
    sqlx::query_as!(
        RepeatRow,
        r#"select * from (
             select q.id, q.text, q.answer, q.launch_id, l.name as "launch_name?"
             from questions q left join launches l on l.id = q.launch_id
             where q.asked_at >= $1
             order by q.asked_at desc, q.id desc limit $2
           ) recent order by id"#,
        since,
        limit
    )
    .fetch_all(db)
    .await
}

/// Remember the feedback item a question was logged as.
#[tracing::instrument(skip_all)]
pub async fn set_feedback(db: impl PgExecutor<'_>, id: i64, feedback_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update questions set feedback_id = $2 where id = $1",
        id,
        feedback_id
    )
    .execute(db)
    .await?;
    Ok(())
}
