//! Changes to digests, each audited in the transaction that makes it. Pages, the API and the
//! demo call these.

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::compose::{self, Snapshot};
use super::{Digest, DigestFields, db};
use crate::audit::{self, Actor, Entry};
use crate::error::{AppError, AppResult};
use crate::insights::Caches;
use crate::notify;
use crate::validation::FieldErrors;

fn entry(
    action: &'static str,
    id: i64,
    summary: String,
    after: serde_json::Value,
) -> Entry<'static> {
    Entry {
        action,
        entity_type: "digest",
        entity_id: Some(id.to_string()),
        summary,
        before: None,
        after: Some(after),
    }
}

fn fields_json(f: &DigestFields) -> serde_json::Value {
    json!({
        "title": f.title, "period_start": f.period_start.to_string(),
        "period_end": f.period_end.to_string(), "audience": f.audience.as_str(),
        "intro": f.intro, "launch_ids": f.launch_ids,
    })
}

fn digest_json(d: &Digest, launch_ids: &[i64]) -> serde_json::Value {
    json!({
        "title": d.title, "period_start": d.period_start.to_string(),
        "period_end": d.period_end.to_string(), "audience": d.audience.as_str(),
        "intro": d.intro, "launch_ids": launch_ids,
    })
}

pub async fn create(pool: &PgPool, actor: &Actor<'_>, f: &DigestFields) -> AppResult<i64> {
    let mut tx = pool.begin().await?;
    let id = db::insert(&mut *tx, f, actor.id()).await?;
    db::set_launches(&mut *tx, id, &f.launch_ids).await?;
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "digest.create",
            id,
            format!("Started the digest \"{}\"", f.title),
            fields_json(f),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn frozen() -> AppError {
    AppError::Conflict(
        "This digest is published and frozen: it quotes what it was published with. Start a new digest instead.".into(),
    )
}

pub async fn update(pool: &PgPool, actor: &Actor<'_>, id: i64, f: &DigestFields) -> AppResult<()> {
    let before = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    let before_launches: Vec<i64> = db::launches(pool, id)
        .await?
        .into_iter()
        .map(|l| l.launch_id)
        .collect();
    let mut tx = pool.begin().await?;
    if !db::update_draft(&mut *tx, id, f).await? {
        return Err(frozen());
    }
    db::set_launches(&mut *tx, id, &f.launch_ids).await?;
    let mut e = entry(
        "digest.update",
        id,
        format!("Edited the digest \"{}\"", f.title),
        fields_json(f),
    );
    e.before = Some(digest_json(&before, &before_launches));
    audit::db::record(&mut *tx, actor, e).await?;
    tx.commit().await?;
    Ok(())
}

/// Publish a draft: it freezes the guide revision each launch has published now, the rising
/// themes and the open questions. Every launch must have a published guide.
pub async fn publish(
    pool: &PgPool,
    caches: &Caches,
    actor: &Actor<'_>,
    id: i64,
    at: Option<OffsetDateTime>,
) -> AppResult<()> {
    let digest = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    if digest.is_published() {
        return Err(frozen());
    }
    let launches = db::launches(pool, id).await?;
    if launches.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "launches",
            "Add at least one launch before publishing",
        )));
    }
    let unpublished: Vec<&str> = launches
        .iter()
        .filter(|l| l.published_number.is_none())
        .map(|l| l.name.as_str())
        .collect();
    if !unpublished.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "launches",
            format!(
                "{} {} no published guide yet: publish the guide or take the launch out of the digest",
                unpublished.join(", "),
                if unpublished.len() == 1 {
                    "has"
                } else {
                    "have"
                }
            ),
        )));
    }
    let ids: Vec<i64> = launches.iter().map(|l| l.launch_id).collect();
    let snapshot: Snapshot = compose::snapshot_now(pool, caches, &digest, &ids).await?;
    let snapshot = serde_json::to_value(&snapshot).map_err(anyhow::Error::from)?;
    let mut tx = pool.begin().await?;
    match db::lock(&mut *tx, id).await?.as_deref() {
        None => return Err(AppError::NotFound),
        Some("published") => return Err(frozen()),
        Some(_) => {}
    }
    db::publish(&mut *tx, id, actor.id(), &snapshot, at).await?;
    let revisions: Vec<serde_json::Value> = launches
        .iter()
        .map(|l| json!({ "launch_id": l.launch_id, "revision": l.published_number }))
        .collect();
    audit::db::record(
        &mut *tx,
        actor,
        entry(
            "digest.publish",
            id,
            format!("Published the digest \"{}\"", digest.title),
            json!({ "quotes": revisions }),
        ),
    )
    .await?;
    notify::emit_in(
        &mut tx,
        notify::Event::DigestPublished {
            digest_id: id,
            title: digest.title.clone(),
            audience: digest.audience.label().to_owned(),
            launches: launches.iter().map(|l| l.name.clone()).collect(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete(pool: &PgPool, actor: &Actor<'_>, id: i64) -> AppResult<String> {
    let digest = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    let mut tx = pool.begin().await?;
    if !db::delete_draft(&mut *tx, id).await? {
        return Err(frozen());
    }
    let mut e = entry(
        "digest.delete",
        id,
        format!("Deleted the draft digest \"{}\"", digest.title),
        json!({}),
    );
    e.after = None;
    e.before = Some(json!({ "title": digest.title }));
    audit::db::record(&mut *tx, actor, e).await?;
    tx.commit().await?;
    Ok(digest.title)
}
