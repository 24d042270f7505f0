//! Every SQL statement of the tagging workflow: seeds, decisions, suggestions, tags.

use sqlx::PgExecutor;
use time::OffsetDateTime;

pub struct SeedRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub aliases: Vec<String>,
    pub parent_id: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn seeds(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<SeedRow>> {
    sqlx::query_as!(
        SeedRow,
        r#"select t.id, t.name, t.description, t.keywords, t.parent_id,
                  coalesce((select array_agg(a.name || ' ' || array_to_string(a.keywords, ' '))
                            from themes a where a.merged_into_id = t.id and a.status = 'merged'), '{}') as "aliases!"
           from themes t where t.status = 'active' order by t.id"#
    )
    .fetch_all(db)
    .await
}

/// A confirmed (positive) or rejected (negative) tag, with the text it is about.
pub struct LabelledRow {
    pub feedback_id: i64,
    pub theme_id: i64,
    pub positive: bool,
    pub text: String,
}

/// People's decisions on active themes, newest first, at most `limit`.
#[tracing::instrument(skip_all)]
pub async fn decisions(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<LabelledRow>> {
    sqlx::query_as!(
        LabelledRow,
        r#"select ft.feedback_id, ft.theme_id, (ft.state = 'confirmed') as "positive!",
                  coalesce(f.title || '. ', '') || f.body as "text!"
           from feedback_themes ft
           join themes t on t.id = ft.theme_id and t.status = 'active'
           join feedback f on f.id = ft.feedback_id
           where ft.state in ('confirmed', 'rejected')
           order by ft.decided_at desc nulls last, ft.id desc
           limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct TextRow {
    pub id: i64,
    pub text: String,
}

/// Live feedback after `after_id`, ascending, for batch tagging.
#[tracing::instrument(skip_all)]
pub async fn feedback_batch(
    db: impl PgExecutor<'_>,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<TextRow>> {
    sqlx::query_as!(
        TextRow,
        r#"select id, coalesce(title || '. ', '') || body as "text!"
           from feedback where id > $1 and archived_at is null order by id limit $2"#,
        after_id,
        limit
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn feedback_texts(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<TextRow>> {
    sqlx::query_as!(
        TextRow,
        r#"select id, coalesce(title || '. ', '') || body as "text!"
           from feedback where id = any($1) and archived_at is null order by id"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// Untagged recent feedback (no suggested or confirmed tag), newest first.
#[tracing::instrument(skip_all)]
pub async fn untagged_recent(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<TextRow>> {
    sqlx::query_as!(
        TextRow,
        r#"select f.id, coalesce(f.title || '. ', '') || f.body as "text!"
           from feedback f
           where f.archived_at is null
             and not exists (select 1 from feedback_themes ft where ft.feedback_id = f.id and ft.state <> 'rejected')
           order by f.received_at desc, f.id desc limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn live_feedback_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from feedback where archived_at is null"#)
        .fetch_one(db)
        .await
}

/// Make this transaction a retag's write: its tag writes leave their rollup contributions
/// pending (migration 0049; a retag applies them all at once when it ends, with
/// [`apply_pending_rollups`]), and its commit does not wait for the disk. A crash may then lose
/// the last few writes, each whole with its pending contributions: those items keep their
/// earlier suggestions until the next retag.
#[tracing::instrument(skip_all)]
pub async fn begin_retag_write(db: &mut sqlx::PgConnection) -> sqlx::Result<()> {
    sqlx::query_scalar!(
        r#"select set_config('goldthread.rollup_deferred', 'on', true)
                  || set_config('synchronous_commit', 'off', true) as "v!""#
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

/// Move every pending rollup contribution into the rollups in one aggregated statement;
/// returns how many there were. Safe to call at any time and from several processes at once.
#[tracing::instrument(skip_all)]
pub async fn apply_pending_rollups(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select rollup_apply_pending() as "n!""#)
        .fetch_one(db)
        .await
}

/// Store the engine's suggestions for a batch of feedback: upsert the new best suggestion and
/// drop older automatic suggestions for other themes. People's decisions are never touched.
#[tracing::instrument(skip_all)]
pub async fn replace_suggestions(
    db: &mut sqlx::PgConnection,
    feedback_ids: &[i64],
    tagged: &[i64],
    themes: &[i64],
    confidences: &[f32],
) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from feedback_themes ft
         where ft.feedback_id = any($1) and ft.origin = 'auto' and ft.state = 'suggested'
           and (ft.feedback_id, ft.theme_id) not in (select * from unnest($2::bigint[], $3::bigint[]))",
        feedback_ids,
        tagged,
        themes
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state)
         select f, t, 'auto', c, 'suggested' from unnest($1::bigint[], $2::bigint[], $3::real[]) as n(f, t, c)
         on conflict (feedback_id, theme_id) do update set confidence = excluded.confidence
         where feedback_themes.origin = 'auto' and feedback_themes.state = 'suggested'
           and feedback_themes.confidence is distinct from excluded.confidence",
        tagged,
        themes,
        confidences
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A tag with what the reviewer needs to see.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub id: i64,
    pub feedback_id: i64,
    pub theme_id: i64,
    pub theme_name: String,
    pub origin: String,
    pub confidence: Option<f32>,
    pub state: String,
    pub source: String,
    pub title: Option<String>,
    pub body: String,
    pub account_name: Option<String>,
    pub received_at: OffsetDateTime,
}

/// Suggested tags, most confident first (ties newest first), optionally for one theme. Each
/// case has its own statement, so one theme's are read in the order of its index
/// (`feedback_themes_theme_confidence_idx`) and all themes' in that of
/// `feedback_themes_suggested_idx`, both stopping at `limit` (migration 0048).
#[tracing::instrument(skip_all)]
pub async fn suggestions(
    db: impl PgExecutor<'_>,
    theme_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<TagRow>> {
    match theme_id {
        Some(theme_id) => {
            sqlx::query_as!(
                TagRow,
                r#"select ft.id, ft.feedback_id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence, ft.state,
                          f.source, f.title, f.body, a.name as "account_name?", f.received_at
                   from feedback_themes ft
                   join themes t on t.id = ft.theme_id and t.status = 'active'
                   join feedback f on f.id = ft.feedback_id and f.archived_at is null
                   left join accounts a on a.id = f.account_id
                   where ft.theme_id = $1 and ft.state = 'suggested'
                   order by ft.confidence desc nulls last, ft.id desc
                   limit $2"#,
                theme_id,
                limit
            )
            .fetch_all(db)
            .await
        }
        None => {
            sqlx::query_as!(
                TagRow,
                r#"select ft.id, ft.feedback_id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence, ft.state,
                          f.source, f.title, f.body, a.name as "account_name?", f.received_at
                   from feedback_themes ft
                   join themes t on t.id = ft.theme_id and t.status = 'active'
                   join feedback f on f.id = ft.feedback_id and f.archived_at is null
                   left join accounts a on a.id = f.account_id
                   where ft.state = 'suggested'
                   order by ft.confidence desc nulls last, ft.id desc
                   limit $1"#,
                limit
            )
            .fetch_all(db)
            .await
        }
    }
}

/// Tags of a theme (suggested and confirmed), confirmed first then most confident. Each state is
/// read in index order (`feedback_themes_theme_confidence_idx`) and stops at `limit`, so a
/// theme with 100,000 tags costs what one with 300 does.
#[tracing::instrument(skip_all)]
pub async fn theme_tags(
    db: impl PgExecutor<'_>,
    theme_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<TagRow>> {
    sqlx::query_as!(
        TagRow,
        r#"with picked as (
             (select ft.id, 0 as k from feedback_themes ft
              join feedback f on f.id = ft.feedback_id and f.archived_at is null
              where ft.theme_id = $1 and ft.state = 'confirmed'
              order by ft.confidence desc nulls last, ft.id desc limit $2)
             union all
             (select ft.id, 1 as k from feedback_themes ft
              join feedback f on f.id = ft.feedback_id and f.archived_at is null
              where ft.theme_id = $1 and ft.state = 'suggested'
              order by ft.confidence desc nulls last, ft.id desc limit $2)
           )
           select ft.id, ft.feedback_id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence, ft.state,
                  f.source, f.title, f.body, a.name as "account_name?", f.received_at
           from picked p
           join feedback_themes ft on ft.id = p.id
           join themes t on t.id = ft.theme_id
           join feedback f on f.id = ft.feedback_id
           left join accounts a on a.id = f.account_id
           order by p.k, ft.confidence desc nulls last, f.received_at desc
           limit $2"#,
        theme_id,
        limit
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get_tag(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<TagRow>> {
    sqlx::query_as!(
        TagRow,
        r#"select ft.id, ft.feedback_id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence, ft.state,
                  f.source, f.title, f.body, a.name as "account_name?", f.received_at
           from feedback_themes ft
           join themes t on t.id = ft.theme_id
           join feedback f on f.id = ft.feedback_id
           left join accounts a on a.id = f.account_id
           where ft.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// A tag as the API lists it.
#[derive(Debug, Clone)]
pub struct TagListing {
    pub id: i64,
    pub feedback_id: i64,
    pub theme_id: i64,
    pub theme_name: String,
    pub origin: String,
    pub confidence: Option<f32>,
    pub state: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// Tags in id order after `after_id`: in one `state` (else suggested and confirmed ones), of
/// some feedback items and/or one theme. Lists and exports use it to show an item's themes.
#[tracing::instrument(skip_all)]
pub async fn list_tags(
    db: impl PgExecutor<'_>,
    state: Option<&str>,
    feedback_ids: Option<&[i64]>,
    theme_id: Option<i64>,
    after_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<TagListing>> {
    sqlx::query_as!(
        TagListing,
        r#"select ft.id, ft.feedback_id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence,
                  ft.state, ft.decided_by, ft.decided_at, ft.created_at
           from feedback_themes ft
           join themes t on t.id = ft.theme_id
           where (case when $1::text is null then ft.state <> 'rejected' else ft.state = $1 end)
             and ($2::bigint[] is null or ft.feedback_id = any($2))
             and ($3::bigint is null or ft.theme_id = $3)
             and ($4::bigint is null or ft.id > $4)
           order by ft.id
           limit $5"#,
        state,
        feedback_ids,
        theme_id,
        after_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// Record a decision on tags; returns (tag id, theme id) of the tags that changed.
#[tracing::instrument(skip_all)]
pub async fn decide(
    db: impl PgExecutor<'_>,
    tag_ids: &[i64],
    state: &str,
    user_id: Option<i64>,
) -> sqlx::Result<Vec<(i64, i64)>> {
    let rows = sqlx::query!(
        "update feedback_themes set state = $2, decided_by = $3, decided_at = now()
         where id = any($1) and state <> $2
         returning id, theme_id",
        tag_ids,
        state,
        user_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.theme_id)).collect())
}

/// Tag feedback with a theme by hand (confirmed), or confirm the existing tag.
#[tracing::instrument(skip_all)]
pub async fn tag_manually(
    db: impl PgExecutor<'_>,
    feedback_id: i64,
    theme_id: i64,
    user_id: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state, decided_by, decided_at)
         values ($1, $2, 'manual', null, 'confirmed', $3, now())
         on conflict (feedback_id, theme_id) do update set state = 'confirmed', decided_by = $3, decided_at = now()
         returning id",
        feedback_id,
        theme_id,
        user_id
    )
    .fetch_one(db)
    .await
}

/// A tag on one feedback item, as its page shows it (every state, so a rejection is visible).
pub struct ItemTag {
    pub id: i64,
    pub theme_id: i64,
    pub theme_name: String,
    pub origin: String,
    pub confidence: Option<f32>,
    pub state: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
}

/// The tags of one item on active themes: confirmed first, then suggested, then rejected.
#[tracing::instrument(skip_all)]
pub async fn item_tags(db: impl PgExecutor<'_>, feedback_id: i64) -> sqlx::Result<Vec<ItemTag>> {
    sqlx::query_as!(
        ItemTag,
        r#"select ft.id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence, ft.state,
                  u.name as "decided_by?", ft.decided_at
           from feedback_themes ft
           join themes t on t.id = ft.theme_id and t.status = 'active'
           left join users u on u.id = ft.decided_by
           where ft.feedback_id = $1
           order by case ft.state when 'confirmed' then 0 when 'suggested' then 1 else 2 end,
                    ft.confidence desc nulls last, t.name"#,
        feedback_id
    )
    .fetch_all(db)
    .await
}

/// Delete a tag; returns (feedback id, theme id, state) of what was removed.
#[tracing::instrument(skip_all)]
pub async fn remove_tag(
    db: impl PgExecutor<'_>,
    tag_id: i64,
) -> sqlx::Result<Option<(i64, i64, String)>> {
    let row = sqlx::query!(
        "delete from feedback_themes where id = $1 returning feedback_id, theme_id, state",
        tag_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.feedback_id, r.theme_id, r.state)))
}

/// Whether a live feedback item with this id exists.
#[tracing::instrument(skip_all)]
pub async fn feedback_exists(db: impl PgExecutor<'_>, feedback_id: i64) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from feedback where id = $1) as "e!""#,
        feedback_id
    )
    .fetch_one(db)
    .await
}

/// Tag `items` with a new theme (`state` suggested or confirmed); live items only, existing tags
/// kept. Returns how many were tagged.
#[tracing::instrument(skip_all)]
pub async fn start_theme_with(
    db: impl PgExecutor<'_>,
    theme_id: i64,
    items: &[i64],
    state: &str,
    decided_by: Option<i64>,
) -> sqlx::Result<usize> {
    let r = sqlx::query!(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state, decided_by, decided_at)
         select f.id, $1, case when $3 = 'confirmed' then 'manual' else 'auto' end, null, $3,
                case when $3 = 'confirmed' then $4::bigint end, case when $3 = 'confirmed' then now() end
         from feedback f where f.id = any($2) and f.archived_at is null
         on conflict (feedback_id, theme_id) do nothing",
        theme_id,
        items,
        state,
        decided_by
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected() as usize)
}
