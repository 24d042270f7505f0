//! Changes to launches, guides, checklists and follow-up tasks, each audited in the transaction
//! that makes it. Pages and the API both call these.

use serde_json::json;
use sqlx::PgPool;

use super::guide::{GuideContent, GuideState};
use super::{LaunchFields, db};
use crate::audit::{self, Actor, Entry};
use crate::auth::{Team, User};
use crate::error::{AppError, AppResult, ResultExt};
use crate::validation::FieldErrors;

fn entry(
    action: &'static str,
    launch_id: i64,
    summary: String,
    after: serde_json::Value,
) -> Entry<'static> {
    Entry {
        action,
        entity_type: "launch",
        entity_id: Some(launch_id.to_string()),
        summary,
        before: None,
        after: Some(after),
    }
}

fn fields_json(f: &LaunchFields, theme_ids: &[i64]) -> serde_json::Value {
    json!({
        "name": f.name, "summary": f.summary, "status": f.status,
        "target_date": f.target_date.map(|d| d.to_string()),
        "shipped_date": f.shipped_date.map(|d| d.to_string()),
        "owner_id": f.owner_id, "area": f.area, "tracker_links": f.tracker_links,
        "theme_ids": theme_ids,
    })
}

const NAME_TAKEN: &str = "launches_name_key";

pub async fn create_launch(
    pool: &PgPool,
    actor: &Actor<'_>,
    f: &LaunchFields,
    theme_ids: &[i64],
) -> AppResult<i64> {
    let mut tx = pool.begin().await?;
    let id = db::insert(&mut *tx, f)
        .await
        .on_constraint(NAME_TAKEN, "name", || {
            format!("A launch is already called \"{}\"", f.name)
        })?;
    db::set_themes(&mut *tx, id, theme_ids).await?;
    db::ensure_guide(&mut *tx, id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "launch.create",
            id,
            format!("Created the launch \"{}\"", f.name),
            fields_json(f, theme_ids),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_launch(
    pool: &PgPool,
    actor: &Actor<'_>,
    id: i64,
    f: &LaunchFields,
    theme_ids: &[i64],
) -> AppResult<()> {
    let before = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    let mut tx = pool.begin().await?;
    db::update(&mut *tx, id, f)
        .await
        .on_constraint(NAME_TAKEN, "name", || {
            format!("A launch is already called \"{}\"", f.name)
        })?;
    db::set_themes(&mut *tx, id, theme_ids).await?;
    let mut e = entry(
        "launch.update",
        id,
        format!("Edited the launch \"{}\"", f.name),
        fields_json(f, theme_ids),
    );
    e.before = serde_json::to_value(&before).ok();
    audit::db::record(&mut *tx, actor, e).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn link_themes(
    pool: &PgPool,
    actor: &Actor<'_>,
    id: i64,
    theme_ids: &[i64],
) -> AppResult<()> {
    let before = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    let mut tx = pool.begin().await?;
    db::set_themes(&mut *tx, id, theme_ids).await?;
    let mut e = entry(
        "launch.themes",
        id,
        format!("Linked {} themes to \"{}\"", theme_ids.len(), before.name),
        json!({ "theme_ids": theme_ids }),
    );
    e.before = Some(json!({ "theme_ids": before.theme_ids }));
    audit::db::record(&mut *tx, actor, e).await?;
    tx.commit().await?;
    Ok(())
}

/// What a save of the guide came to.
pub enum Saved {
    Revision(i32),
    /// Someone saved revision `head` after the one the form was based on; nothing was saved.
    Stale {
        head: i32,
    },
}

/// Save the editor's text as a new revision, unless someone saved since `base` (the revision
/// the form was opened on; `None` for a guide without one).
pub async fn save_guide(
    pool: &PgPool,
    actor: &Actor<'_>,
    launch_id: i64,
    base: Option<i32>,
    content: &GuideContent,
    note: &str,
    minor: bool,
) -> AppResult<Saved> {
    content.validate().map_err(AppError::Validation)?;
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(AppError::Validation(FieldErrors::single(
            "note",
            "Keep the revision note to 500 characters or fewer",
        )));
    }
    let mut tx = pool.begin().await?;
    db::ensure_guide(&mut *tx, launch_id).await?;
    let state = db::lock_guide(&mut *tx, launch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if state.head_number != base {
        return Ok(Saved::Stale {
            head: state.head_number.unwrap_or(0),
        });
    }
    let number = state.head_number.unwrap_or(0) + 1;
    db::insert_revision(
        &mut *tx,
        launch_id,
        number,
        content,
        note,
        minor,
        actor.id(),
        None,
    )
    .await?;
    // A change after submitting goes back to draft: the reviewer approves what they read.
    let next = if state.state == "published" {
        "draft"
    } else {
        state.state.as_str()
    };
    let next = if next == "in_review" { "draft" } else { next };
    db::set_review(
        &mut *tx,
        launch_id,
        next,
        state.reviewer_id,
        state.submitted_by,
        &state.review_comment,
    )
    .await?;
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "guide.revise",
            launch_id,
            format!(
                "Saved revision {number} of the guide{}",
                if minor { " (minor)" } else { "" }
            ),
            json!({ "revision": number, "note": note, "minor": minor }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Saved::Revision(number))
}

/// Restore an old revision's text as a new revision on top.
pub async fn restore(
    pool: &PgPool,
    actor: &Actor<'_>,
    launch_id: i64,
    number: i32,
) -> AppResult<i32> {
    let old = db::revision(pool, launch_id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    let head = db::guide_state(pool, launch_id)
        .await?
        .and_then(|s| s.head_number);
    match save_guide(
        pool,
        actor,
        launch_id,
        head,
        &old.content,
        &format!("Restored revision {number}"),
        false,
    )
    .await?
    {
        Saved::Revision(n) => Ok(n),
        Saved::Stale { .. } => Err(AppError::Conflict(
            "Someone saved the guide at the same moment; try again".into(),
        )),
    }
}

fn require_state(state: &GuideState, allowed: &[&str], what: &str) -> AppResult<()> {
    if allowed.contains(&state.state.as_str()) && state.has_unpublished() {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "The guide is {} with nothing new to {what}",
            state.state_label().to_lowercase()
        )))
    }
}

pub async fn submit(
    pool: &PgPool,
    actor: &Actor<'_>,
    launch_id: i64,
    reviewer_id: Option<i64>,
) -> AppResult<()> {
    let reviewers = db::reviewer_options(pool).await?;
    let Some(reviewer) = reviewer_id.and_then(|id| reviewers.into_iter().find(|r| r.id == id))
    else {
        return Err(AppError::Validation(FieldErrors::single(
            "reviewer_id",
            "Choose a reviewer: a product ops lead or an admin",
        )));
    };
    let mut tx = pool.begin().await?;
    let state = db::lock_guide(&mut *tx, launch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_state(&state, &["draft", "published"], "submit")?;
    db::set_review(
        &mut *tx,
        launch_id,
        "in_review",
        Some(reviewer.id),
        actor.id(),
        "",
    )
    .await?;
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "guide.submit",
            launch_id,
            format!(
                "Submitted revision {} for review by {}",
                state.head_number.unwrap_or(0),
                reviewer.name
            ),
            json!({ "revision": state.head_number, "reviewer_id": reviewer.id }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Publish the newest revision; readers see it from now on.
pub async fn approve(pool: &PgPool, actor: &Actor<'_>, launch_id: i64) -> AppResult<i32> {
    let mut tx = pool.begin().await?;
    let state = db::lock_guide(&mut *tx, launch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_state(&state, &["in_review"], "approve")?;
    let number = state.head_number.unwrap_or(0);
    db::publish(&mut *tx, launch_id, number, actor.id(), None).await?;
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "guide.publish",
            launch_id,
            format!("Approved and published revision {number}"),
            json!({ "revision": number }),
        ),
    )
    .await?;
    let launch = db::get(&mut *tx, launch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::notify::emit_in(
        &mut tx,
        crate::notify::Event::GuidePublished {
            launch_id,
            launch: launch.name,
            revision: number,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}

pub async fn send_back(
    pool: &PgPool,
    actor: &Actor<'_>,
    launch_id: i64,
    comment: &str,
) -> AppResult<()> {
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "comment",
            "Say what needs to change before it can be published",
        )));
    }
    let mut tx = pool.begin().await?;
    let state = db::lock_guide(&mut *tx, launch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_state(&state, &["in_review"], "send back")?;
    db::set_review(
        &mut *tx,
        launch_id,
        "draft",
        state.reviewer_id,
        state.submitted_by,
        comment,
    )
    .await?;
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "guide.send_back",
            launch_id,
            format!(
                "Sent revision {} back: {comment}",
                state.head_number.unwrap_or(0)
            ),
            json!({ "comment": comment }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "I've read this and my team is ready", for the published revision. Returns its number.
pub async fn acknowledge(
    pool: &PgPool,
    user: &User,
    launch_id: i64,
    number: Option<i32>,
) -> AppResult<i32> {
    let state = db::guide_state(pool, launch_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(published) = state.published_number else {
        return Err(AppError::Conflict(
            "The guide has not been published yet".into(),
        ));
    };
    if number.is_some_and(|n| n != published) {
        return Err(AppError::Conflict(format!(
            "Revision {published} is the one published now; read it and acknowledge again"
        )));
    }
    let mut tx = pool.begin().await?;
    if db::acknowledge(&mut *tx, launch_id, user.id, published, None).await? {
        audit::db::record(
            &mut *tx,
            &Actor::User(user),
            entry(
                "guide.acknowledge",
                launch_id,
                format!(
                    "Acknowledged revision {published} for {}",
                    user.team.label()
                ),
                json!({ "revision": published }),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(published)
}

pub async fn add_checklist_item(
    pool: &PgPool,
    actor: &Actor<'_>,
    launch_id: i64,
    team: &str,
    text: &str,
) -> AppResult<i64> {
    let mut errors = FieldErrors::default();
    if team.parse::<Team>().is_err() {
        errors.add("team", "Choose the team that owns this item");
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        errors.add("text", "Say what the team has to do");
    } else if text.chars().count() > 300 {
        errors.add("text", "Keep the item to 300 characters or fewer");
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut tx = pool.begin().await?;
    let id = db::insert_checklist_item(&mut *tx, launch_id, team, &text, None, false).await?;
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "checklist.add",
            launch_id,
            format!("Added \"{text}\" to the {team} checklist"),
            json!({ "item": id, "team": team, "text": text }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn tick_checklist_item(
    pool: &PgPool,
    actor: &Actor<'_>,
    item: &db::ChecklistItem,
    done: bool,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    db::set_checklist_done(&mut *tx, item.id, actor.id(), done).await?;
    let mut e = entry(
        "checklist.tick",
        item.launch_id,
        format!(
            "Marked \"{}\" {}",
            item.text,
            if done { "done" } else { "not done" }
        ),
        json!({ "item": item.id, "done": done }),
    );
    e.before = Some(json!({ "item": item.id, "done": item.done_at.is_some() }));
    audit::db::record(&mut *tx, actor, e).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_checklist_item(
    pool: &PgPool,
    actor: &Actor<'_>,
    item: &db::ChecklistItem,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    db::delete_checklist_item(&mut *tx, item.id).await?;
    let mut e = entry(
        "checklist.remove",
        item.launch_id,
        format!("Removed \"{}\" from the checklist", item.text),
        json!(null),
    );
    e.after = None;
    e.before = serde_json::to_value(item).ok();
    audit::db::record(&mut *tx, actor, e).await?;
    tx.commit().await?;
    Ok(())
}

/// One follow-up task per account that asked (never a second). Returns how many are new.
pub async fn create_tasks(pool: &PgPool, actor: &Actor<'_>, launch_id: i64) -> AppResult<u64> {
    let mut tx = pool.begin().await?;
    let n = db::create_tasks(&mut *tx, launch_id).await?;
    if n > 0 {
        audit::db::record(
            &mut *tx,
            actor,
            entry(
                "task.create",
                launch_id,
                format!("Created {n} follow-up tasks"),
                json!({ "created": n }),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n)
}

pub async fn set_task_done(
    pool: &PgPool,
    actor: &Actor<'_>,
    task: &db::Task,
    done: bool,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    db::set_task_done(&mut *tx, task.id, actor.id(), done).await?;
    let mut e = entry(
        "task.done",
        task.launch_id,
        format!(
            "Marked telling {} {}",
            task.account_name,
            if done { "done" } else { "not done" }
        ),
        json!({ "task": task.id, "done": done }),
    );
    e.before = Some(json!({ "task": task.id, "done": task.done_at.is_some() }));
    audit::db::record(&mut *tx, actor, e).await?;
    tx.commit().await?;
    Ok(())
}
