//! Changes to themes and tags, each audited in the transaction that makes it. Pages and the
//! API both call these.

use super::tagging::db as tags;
use serde_json::json;
use sqlx::PgPool;

use super::{Decision, Theme, ThemeFields, db};
use crate::audit::{self, Actor, Entry};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;

fn theme_json(t: &Theme) -> serde_json::Value {
    serde_json::to_value(t).unwrap_or_default()
}

/// Database checks a form cannot make alone: unique name, parent exists and makes no cycle.
async fn check(pool: &PgPool, f: &ThemeFields, id: Option<i64>) -> AppResult<()> {
    let mut errors = FieldErrors::default();
    if db::name_taken(pool, &f.name, id).await? {
        errors.add_conflict(
            "name",
            format!("An active theme is already called \"{}\"", f.name),
        );
    }
    if let Some(parent) = f.parent_id {
        match db::get(pool, parent).await? {
            Some(p) if p.is_active() => {
                if let Some(id) = id
                    && db::ancestors(pool, parent).await?.contains(&id)
                {
                    errors.add_conflict(
                        "parent_id",
                        "A theme cannot sit under itself or one of its sub-themes",
                    );
                }
            }
            _ => errors.add_conflict("parent_id", "Choose an active parent theme from the list"),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

pub async fn create(pool: &PgPool, actor: &Actor<'_>, f: &ThemeFields) -> AppResult<Theme> {
    check(pool, f, None).await?;
    let mut tx = pool.begin().await?;
    let theme = db::insert(&mut *tx, f).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "theme.create",
            entity_type: "theme",
            entity_id: Some(theme.id.to_string()),
            summary: format!("Created the theme \"{}\"", theme.name),
            before: None,
            after: Some(theme_json(&theme)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(theme)
}

pub async fn update(pool: &PgPool, actor: &Actor<'_>, id: i64, f: &ThemeFields) -> AppResult<()> {
    let before = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    check(pool, f, Some(id)).await?;
    let mut tx = pool.begin().await?;
    db::update(&mut *tx, id, f).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "theme.update",
            entity_type: "theme",
            entity_id: Some(id.to_string()),
            summary: format!("Edited the theme \"{}\"", f.name),
            before: Some(theme_json(&before)),
            after: Some(json!(f)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Archive (`archived = true`) or restore a theme. Its tags stay; it leaves the overview and
/// stops receiving suggestions.
pub async fn set_archived(
    pool: &PgPool,
    actor: &Actor<'_>,
    id: i64,
    archived: bool,
) -> AppResult<Theme> {
    let theme = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    if theme.status == "merged" {
        return Err(AppError::Conflict(
            "This theme was merged into another; undo the merge instead.".into(),
        ));
    }
    if !archived && db::name_taken(pool, &theme.name, Some(id)).await? {
        return Err(AppError::Conflict(format!(
            "An active theme is already called \"{}\"; rename one of them first.",
            theme.name
        )));
    }
    let status = if archived { "archived" } else { "active" };
    let mut tx = pool.begin().await?;
    db::set_status(&mut *tx, id, status, None).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: if archived {
                "theme.archive"
            } else {
                "theme.restore"
            },
            entity_type: "theme",
            entity_id: Some(id.to_string()),
            summary: format!(
                "{} the theme \"{}\"",
                if archived { "Archived" } else { "Restored" },
                theme.name
            ),
            before: Some(json!({ "status": theme.status })),
            after: Some(json!({ "status": status })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(theme)
}

/// Merge `source` into `target`: every tag moves, `source` stays as an alias
/// (status `merged`). Returns the merge id, which [`undo_merge`] takes.
pub async fn merge(pool: &PgPool, actor: &Actor<'_>, source: i64, target: i64) -> AppResult<i64> {
    if source == target {
        return Err(AppError::Validation(FieldErrors::single(
            "target_id",
            "Choose a different theme to merge into",
        )));
    }
    let s = db::get(pool, source).await?.ok_or(AppError::NotFound)?;
    let t = match db::get(pool, target).await? {
        Some(t) if t.is_active() => t,
        _ => {
            return Err(AppError::Validation(FieldErrors::single(
                "target_id",
                "Choose an active theme to merge into",
            )));
        }
    };
    if !s.is_active() {
        return Err(AppError::Conflict(
            "Only an active theme can be merged.".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    let moved = db::move_all_tags(&mut tx, source, target).await?;
    db::set_status(&mut *tx, source, "merged", Some(target)).await?;
    let merge_id = db::record_merge(&mut *tx, source, target, &moved, actor.id()).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "theme.merge",
            entity_type: "theme",
            entity_id: Some(source.to_string()),
            summary: format!(
                "Merged \"{}\" into \"{}\" ({} tags moved)",
                s.name,
                t.name,
                moved.moved.len()
            ),
            before: Some(json!({ "status": s.status, "theme_id": source })),
            after: Some(
                json!({ "status": "merged", "merged_into_id": target, "merge_id": merge_id,
                                "moved_tags": moved.moved.len() }),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(merge_id)
}

/// Undo a merge: tags go back, the alias becomes an active theme again.
pub async fn undo_merge(pool: &PgPool, actor: &Actor<'_>, merge_id: i64) -> AppResult<Theme> {
    let m = db::get_merge(pool, merge_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.undone_at.is_some() {
        return Err(AppError::Conflict(
            "This merge has already been undone.".into(),
        ));
    }
    let source = db::get(pool, m.source_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if db::name_taken(pool, &source.name, Some(source.id)).await? {
        return Err(AppError::Conflict(format!(
            "An active theme is now called \"{}\"; rename it before undoing the merge.",
            source.name
        )));
    }
    let mut tx = pool.begin().await?;
    db::unmerge_tags(&mut tx, &m).await?;
    db::set_status(&mut *tx, m.source_id, "active", None).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "theme.unmerge",
            entity_type: "theme",
            entity_id: Some(m.source_id.to_string()),
            summary: format!("Undid the merge of \"{}\"", source.name),
            before: Some(json!({ "status": "merged", "merged_into_id": m.target_id })),
            after: Some(json!({ "status": "active", "merge_id": merge_id })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(source)
}

/// Split: create a new theme and move the chosen tags of `source` to it.
pub async fn split(
    pool: &PgPool,
    actor: &Actor<'_>,
    source: i64,
    f: &ThemeFields,
    tag_ids: &[i64],
) -> AppResult<(Theme, u64)> {
    if tag_ids.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "tags",
            "Choose at least one item to move to the new theme",
        )));
    }
    let s = db::get(pool, source).await?.ok_or(AppError::NotFound)?;
    check(pool, f, None).await?;
    let mut tx = pool.begin().await?;
    let theme = db::insert(&mut *tx, f).await?;
    let moved = db::move_tags(&mut *tx, tag_ids, source, theme.id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "theme.split",
            entity_type: "theme",
            entity_id: Some(source.to_string()),
            summary: format!(
                "Split {moved} items from \"{}\" into the new theme \"{}\"",
                s.name, theme.name
            ),
            before: Some(json!({ "theme_id": source, "tag_ids": tag_ids })),
            after: Some(theme_json(&theme)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((theme, moved))
}

/// Confirm or reject tags; returns how many changed.
pub async fn decide(
    pool: &PgPool,
    actor: &Actor<'_>,
    tag_ids: &[i64],
    decision: Decision,
) -> AppResult<usize> {
    if tag_ids.is_empty() {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    let changed = tags::decide(&mut *tx, tag_ids, decision.state(), actor.id()).await?;
    if !changed.is_empty() {
        let ids: Vec<i64> = changed.iter().map(|c| c.0).collect();
        audit::db::record(
            &mut *tx,
            actor,
            Entry {
                action: match decision {
                    Decision::Confirm => "tag.confirm",
                    Decision::Reject => "tag.reject",
                },
                entity_type: "tag",
                entity_id: (ids.len() == 1).then(|| ids[0].to_string()),
                summary: format!(
                    "{} {} tag{}",
                    match decision {
                        Decision::Confirm => "Confirmed",
                        Decision::Reject => "Rejected",
                    },
                    ids.len(),
                    if ids.len() == 1 { "" } else { "s" }
                ),
                before: None,
                after: Some(json!({ "state": decision.state(), "tags": changed })),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed.len())
}

/// A person tags an item with a theme by hand (a confirmed, manual tag), audited.
pub async fn tag_by_hand(
    pool: &PgPool,
    actor: &Actor<'_>,
    feedback_id: i64,
    theme_id: i64,
) -> AppResult<i64> {
    let theme = db::get(pool, theme_id)
        .await?
        .filter(|t| t.status == "active")
        .ok_or_else(|| {
            AppError::Validation(FieldErrors::single("theme_id", "Choose an active theme"))
        })?;
    if !tags::feedback_exists(pool, feedback_id).await? {
        return Err(AppError::NotFound);
    }
    let user_id = actor.id().ok_or(AppError::Forbidden)?;
    let mut tx = pool.begin().await?;
    let id = tags::tag_manually(&mut *tx, feedback_id, theme_id, user_id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "tag.manual",
            entity_type: "tag",
            entity_id: Some(id.to_string()),
            summary: format!("Tagged feedback #{feedback_id} with {}", theme.name),
            before: None,
            after: Some(json!({ "feedback_id": feedback_id, "theme_id": theme_id, "state": "confirmed", "origin": "manual" })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Remove a tag altogether (an automatic one may be suggested again on a retag), audited.
/// Returns the item it was on.
pub async fn remove_tag(pool: &PgPool, actor: &Actor<'_>, tag_id: i64) -> AppResult<i64> {
    let mut tx = pool.begin().await?;
    let (feedback_id, theme_id, state) = tags::remove_tag(&mut *tx, tag_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "tag.remove",
            entity_type: "tag",
            entity_id: Some(tag_id.to_string()),
            summary: format!("Removed a tag from feedback #{feedback_id}"),
            before: Some(
                json!({ "feedback_id": feedback_id, "theme_id": theme_id, "state": state }),
            ),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(feedback_id)
}

/// Create a theme that starts with `items` (an emerging cluster's), as suggestions or, when
/// `confirm`, confirmed by the actor; returns the theme and how many items it started with.
pub async fn create_with_items(
    pool: &PgPool,
    actor: &Actor<'_>,
    f: &ThemeFields,
    items: &[i64],
    confirm: bool,
) -> AppResult<(Theme, usize)> {
    let theme = create(pool, actor, f).await?;
    if items.is_empty() {
        return Ok((theme, 0));
    }
    let state = if confirm { "confirmed" } else { "suggested" };
    let mut tx = pool.begin().await?;
    let n = tags::start_theme_with(&mut *tx, theme.id, items, state, actor.id()).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "theme.start_items",
            entity_type: "theme",
            entity_id: Some(theme.id.to_string()),
            summary: format!(
                "Started {} with {n} {state} items from an emerging cluster",
                theme.name
            ),
            before: None,
            after: Some(json!({ "items": n, "state": state })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((theme, n))
}

/// Tag `items` with `theme` by hand (confirmed, credited to the actor), audited as one entry;
/// returns (the theme id, how many were newly tagged).
pub async fn tag_items(
    pool: &PgPool,
    actor: &Actor<'_>,
    theme: &Theme,
    items: &[i64],
) -> AppResult<(i64, usize)> {
    let mut tx = pool.begin().await?;
    let n = tags::start_theme_with(&mut *tx, theme.id, items, "confirmed", actor.id()).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "tag.manual",
            entity_type: "theme",
            entity_id: Some(theme.id.to_string()),
            summary: format!("Tagged {n} feedback items with {} by hand", theme.name),
            before: None,
            after: Some(json!({ "items": items, "tagged": n })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((theme.id, n))
}
