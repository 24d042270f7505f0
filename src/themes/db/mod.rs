//! Every SQL statement of themes, tags and merges; rollup reads are in `figures`.

pub mod figures;

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::{Theme, ThemeFields};

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Theme>> {
    sqlx::query_as!(
        Theme,
        "select id, name, description, keywords, parent_id, owner_id, status, merged_into_id, created_at, updated_at
         from themes where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// Every theme with the given status (`None` = all), by name.
pub async fn list(db: impl PgExecutor<'_>, status: Option<&str>) -> sqlx::Result<Vec<Theme>> {
    sqlx::query_as!(
        Theme,
        "select id, name, description, keywords, parent_id, owner_id, status, merged_into_id, created_at, updated_at
         from themes where ($1::text is null or status = $1) order by lower(name), id",
        status
    )
    .fetch_all(db)
    .await
}

pub async fn insert(db: impl PgExecutor<'_>, f: &ThemeFields) -> sqlx::Result<Theme> {
    sqlx::query_as!(
        Theme,
        "insert into themes (name, description, keywords, parent_id, owner_id)
         values ($1, $2, $3, $4, $5)
         returning id, name, description, keywords, parent_id, owner_id, status, merged_into_id, created_at, updated_at",
        f.name,
        f.description,
        &f.keywords,
        f.parent_id,
        f.owner_id
    )
    .fetch_one(db)
    .await
}

pub async fn update(db: impl PgExecutor<'_>, id: i64, f: &ThemeFields) -> sqlx::Result<()> {
    sqlx::query!(
        "update themes set name = $2, description = $3, keywords = $4, parent_id = $5, owner_id = $6 where id = $1",
        id,
        f.name,
        f.description,
        &f.keywords,
        f.parent_id,
        f.owner_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: i64,
    status: &str,
    merged_into: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update themes set status = $2, merged_into_id = $3 where id = $1",
        id,
        status,
        merged_into
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether an active theme other than `except` already uses this name (case-insensitive).
pub async fn name_taken(
    db: impl PgExecutor<'_>,
    name: &str,
    except: Option<i64>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from themes where status = 'active' and lower(name) = lower($1)
                         and ($2::bigint is null or id <> $2)) as "taken!""#,
        name,
        except
    )
    .fetch_one(db)
    .await
}

/// Ancestors of `id` (to refuse a parent that would make a cycle).
pub async fn ancestors(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"with recursive up(id, parent_id, depth) as (
               select id, parent_id, 0 from themes where id = $1
               union all
               select t.id, t.parent_id, up.depth + 1 from themes t join up on t.id = up.parent_id where up.depth < 50)
           select id as "id!" from up"#,
        id
    )
    .fetch_all(db)
    .await
}

/// What the tagger learns a theme from: its own words plus those of the themes merged into it.
pub struct SeedRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub aliases: Vec<String>,
}

pub async fn seeds(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<SeedRow>> {
    sqlx::query_as!(
        SeedRow,
        r#"select t.id, t.name, t.description, t.keywords,
                  coalesce((select array_agg(a.name || ' ' || array_to_string(a.keywords, ' '))
                            from themes a where a.merged_into_id = t.id and a.status = 'merged'), '{}') as "aliases!"
           from themes t where t.status = 'active' order by t.id"#
    )
    .fetch_all(db)
    .await
}

/// A confirmed (positive) or rejected (negative) tag, with the text it is about.
pub struct LabelledRow {
    pub theme_id: i64,
    pub positive: bool,
    pub text: String,
}

/// People's decisions on active themes, newest first, at most `limit`.
pub async fn decisions(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<LabelledRow>> {
    sqlx::query_as!(
        LabelledRow,
        r#"select ft.theme_id, (ft.state = 'confirmed') as "positive!",
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

pub async fn live_feedback_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from feedback where archived_at is null"#)
        .fetch_one(db)
        .await
}

/// Store the engine's suggestions for a batch of feedback: upsert the new best suggestion and
/// drop older automatic suggestions for other themes. People's decisions are never touched.
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
           and not exists (select 1 from unnest($2::bigint[], $3::bigint[]) as n(f, t)
                           where n.f = ft.feedback_id and n.t = ft.theme_id)",
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
         where feedback_themes.origin = 'auto' and feedback_themes.state = 'suggested'",
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

/// Suggested tags, most confident first, optionally for one theme, after a keyset cursor.
#[tracing::instrument(skip_all)]
pub async fn suggestions(
    db: impl PgExecutor<'_>,
    theme_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<TagRow>> {
    sqlx::query_as!(
        TagRow,
        r#"select ft.id, ft.feedback_id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence, ft.state,
                  f.source, f.title, f.body, a.name as "account_name?", f.received_at
           from feedback_themes ft
           join themes t on t.id = ft.theme_id and t.status = 'active'
           join feedback f on f.id = ft.feedback_id and f.archived_at is null
           left join accounts a on a.id = f.account_id
           where ft.state = 'suggested' and ($1::bigint is null or ft.theme_id = $1)
           order by ft.confidence desc nulls last, ft.id
           limit $2"#,
        theme_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// Tags of a theme (suggested and confirmed), confirmed first then most confident.
pub async fn theme_tags(
    db: impl PgExecutor<'_>,
    theme_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<TagRow>> {
    sqlx::query_as!(
        TagRow,
        r#"select ft.id, ft.feedback_id, ft.theme_id, t.name as theme_name, ft.origin, ft.confidence, ft.state,
                  f.source, f.title, f.body, a.name as "account_name?", f.received_at
           from feedback_themes ft
           join themes t on t.id = ft.theme_id
           join feedback f on f.id = ft.feedback_id and f.archived_at is null
           left join accounts a on a.id = f.account_id
           where ft.theme_id = $1 and ft.state <> 'rejected'
           order by (ft.state = 'confirmed') desc, ft.confidence desc nulls last, f.received_at desc
           limit $2"#,
        theme_id,
        limit
    )
    .fetch_all(db)
    .await
}

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

/// Record a decision on tags; returns (tag id, theme id) of the tags that changed.
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

pub struct MovedTags {
    pub moved: Vec<i64>,
    pub dropped: serde_json::Value,
}

/// Move every tag of `source` to `target`. Where the item already carries `target`, the
/// source's tag is dropped (returned as JSON so an undo can put it back).
pub async fn move_all_tags(
    db: &mut sqlx::PgConnection,
    source: i64,
    target: i64,
) -> sqlx::Result<MovedTags> {
    let dropped = sqlx::query_scalar!(
        r#"with d as (
               delete from feedback_themes s
               where s.theme_id = $1
                 and exists (select 1 from feedback_themes t where t.theme_id = $2 and t.feedback_id = s.feedback_id)
               returning s.feedback_id, s.origin, s.confidence, s.state, s.decided_by, s.decided_at, s.created_at)
           select coalesce(jsonb_agg(to_jsonb(d)), '[]'::jsonb) as "dropped!" from d"#,
        source,
        target
    )
    .fetch_one(&mut *db)
    .await?;
    let moved = sqlx::query_scalar!(
        "update feedback_themes set theme_id = $2 where theme_id = $1 returning id",
        source,
        target
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(MovedTags { moved, dropped })
}

/// Move chosen tags (ids) of `source` to `target`; returns how many moved.
pub async fn move_tags(
    db: impl PgExecutor<'_>,
    tag_ids: &[i64],
    source: i64,
    target: i64,
) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "update feedback_themes s set theme_id = $3
         where s.id = any($1) and s.theme_id = $2
           and not exists (select 1 from feedback_themes t where t.theme_id = $3 and t.feedback_id = s.feedback_id)",
        tag_ids,
        source,
        target
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

pub struct MergeRow {
    pub id: i64,
    pub source_id: i64,
    pub target_id: i64,
    pub moved_tag_ids: Vec<i64>,
    pub dropped_tags: serde_json::Value,
    pub undone_at: Option<OffsetDateTime>,
}

pub async fn record_merge(
    db: impl PgExecutor<'_>,
    source: i64,
    target: i64,
    moved: &MovedTags,
    user_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into theme_merges (source_id, target_id, moved_tag_ids, dropped_tags, merged_by)
         values ($1, $2, $3, $4, $5) returning id",
        source,
        target,
        &moved.moved,
        moved.dropped,
        user_id
    )
    .fetch_one(db)
    .await
}

pub async fn get_merge(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<MergeRow>> {
    sqlx::query_as!(
        MergeRow,
        "select id, source_id, target_id, moved_tag_ids, dropped_tags, undone_at from theme_merges where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// The latest merge of `source` that has not been undone.
pub async fn open_merge_of(db: impl PgExecutor<'_>, source: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "select id from theme_merges where source_id = $1 and undone_at is null order by merged_at desc limit 1",
        source
    )
    .fetch_optional(db)
    .await
}

/// Undo: move the moved tags back and restore the dropped duplicates.
pub async fn unmerge_tags(db: &mut sqlx::PgConnection, m: &MergeRow) -> sqlx::Result<()> {
    sqlx::query!(
        "update feedback_themes set theme_id = $2 where id = any($1) and theme_id = $3",
        &m.moved_tag_ids,
        m.source_id,
        m.target_id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state, decided_by, decided_at, created_at)
         select d.feedback_id, $2, d.origin, d.confidence, d.state, d.decided_by, d.decided_at, d.created_at
         from jsonb_to_recordset($1) as d(feedback_id bigint, origin text, confidence real, state text,
                                          decided_by bigint, decided_at timestamptz, created_at timestamptz)
         where exists (select 1 from feedback f where f.id = d.feedback_id)
         on conflict (feedback_id, theme_id) do nothing",
        m.dropped_tags,
        m.source_id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!(
        "update theme_merges set undone_at = now() where id = $1",
        m.id
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Users who may own a theme (people who edit themes), for the owner select.
pub struct OwnerOption {
    pub id: i64,
    pub name: String,
}

pub async fn owner_options(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<OwnerOption>> {
    sqlx::query_as!(
        OwnerOption,
        "select id, name from users where disabled_at is null and role in ('admin', 'product_ops', 'pm') order by name"
    )
    .fetch_all(db)
    .await
}
pub async fn themes_for_account(
    db: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<(i64, String, i64)>> {
    let rows = sqlx::query!(
        r#"select t.id, t.name, sum(r.items)::bigint as "items!"
           from theme_account_weekly r join themes t on t.id = r.theme_id
           where r.account_id = $1 and t.status = 'active'
           group by t.id, t.name
           having sum(r.items) > 0
           order by 3 desc, t.name
           limit $2"#,
        account_id,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name, r.items)).collect())
}
