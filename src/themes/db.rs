//! Every SQL statement of the theme catalogue: themes, merges and splits, owners.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::{Theme, ThemeFields};

#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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
pub struct MovedTags {
    pub moved: Vec<i64>,
    pub dropped: serde_json::Value,
}

/// Move every tag of `source` to `target`. Where the item already carries `target`, the
/// source's tag is dropped (returned as JSON so an undo can put it back).
#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
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
#[tracing::instrument(skip_all)]
pub async fn open_merge_of(db: impl PgExecutor<'_>, source: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "select id from theme_merges where source_id = $1 and undone_at is null order by merged_at desc limit 1",
        source
    )
    .fetch_optional(db)
    .await
}

/// Undo: move the moved tags back and restore the dropped duplicates.
#[tracing::instrument(skip_all)]
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

#[tracing::instrument(skip_all)]
pub async fn owner_options(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<OwnerOption>> {
    sqlx::query_as!(
        OwnerOption,
        "select id, name from users where disabled_at is null and role in ('admin', 'product_ops', 'pm') order by name"
    )
    .fetch_all(db)
    .await
}
