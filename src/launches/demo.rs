//! The demo's launches: five launches with full guides, revision histories, checklists, some
//! acknowledgements and follow-up tasks partly done, from `data/demo/launches.json`.

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use super::guide::{Faq, GuideContent};
use super::{LaunchInput, db};
use crate::audit::{self, Actor, Entry};

const LAUNCHES_JSON: &str = include_str!("../../data/demo/launches.json");

#[derive(Deserialize)]
struct DemoLaunch {
    name: String,
    summary: String,
    status: String,
    target_days_from_now: i64,
    shipped_days_ago: Option<i64>,
    area: String,
    owner_pm_email: String,
    tracker_links: Vec<String>,
    themes: Vec<String>,
    checklist: Vec<DemoItem>,
    revisions: Vec<DemoRevision>,
}

#[derive(Deserialize)]
struct DemoItem {
    team: String,
    text: String,
    done: bool,
}

#[derive(Deserialize)]
struct DemoRevision {
    note: String,
    minor: bool,
    state: String,
    author_email: String,
    days_ago: i64,
    guide: DemoGuide,
}

#[derive(Deserialize)]
struct DemoGuide {
    value: String,
    sales: String,
    success: String,
    support: String,
    marketing: String,
    prepare: String,
    faq: Vec<Faq>,
    links: String,
}

/// Map an e-mail of the demo content onto a demo sign-in: `pm2@demo…` → `pm@example.com`,
/// `ops@demo…` → `ops@example.com`; anything unknown falls back to `fallback`.
pub fn demo_email(email: &str, fallback: &str) -> String {
    let local: String = email
        .split('@')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    crate::demo::DEMO_USERS
        .iter()
        .find(|u| u.email.split('@').next() == Some(local.as_str()))
        .map(|u| u.email.to_owned())
        .unwrap_or_else(|| fallback.to_owned())
}

async fn user_id(pool: &PgPool, email: &str) -> anyhow::Result<Option<i64>> {
    Ok(db::user_id_by_email(pool, email).await?)
}

/// Load the demo launches; launches that already exist (by name) are left as they are.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let launches: Vec<DemoLaunch> =
        serde_json::from_str(LAUNCHES_JSON).context("reading data/demo/launches.json")?;
    let actor = Actor::System("goldthread demo");
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    let reviewer = user_id(pool, "admin@example.com").await?;
    for (index, l) in launches.iter().enumerate() {
        if db::id_by_name(pool, &l.name).await?.is_some() {
            continue;
        }
        let owner = user_id(pool, &demo_email(&l.owner_pm_email, "pm@example.com")).await?;
        let fields = LaunchInput {
            name: l.name.clone(),
            summary: l.summary.clone(),
            status: l.status.clone(),
            target_date: (today + Duration::days(l.target_days_from_now)).to_string(),
            shipped_date: l
                .shipped_days_ago
                .map(|d| (today - Duration::days(d)).to_string())
                .unwrap_or_default(),
            owner_id: owner.map(|o| o.to_string()).unwrap_or_default(),
            area: l.area.clone(),
            tracker_links: l.tracker_links.join("\n"),
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("demo launch {} invalid: {e:?}", l.name))?;
        let mut theme_ids = Vec::new();
        for name in &l.themes {
            if let Some(id) = db::theme_id_by_name(pool, name).await? {
                theme_ids.push(id);
            }
        }
        let mut tx = pool.begin().await?;
        let id = db::insert(&mut *tx, &fields).await?;
        db::set_themes(&mut *tx, id, &theme_ids).await?;
        db::ensure_guide(&mut *tx, id).await?;
        let mut last_state = "draft";
        for (i, r) in l.revisions.iter().enumerate() {
            let number = i as i32 + 1;
            let author = user_id(pool, &demo_email(&r.author_email, "ops@example.com")).await?;
            let at = now - Duration::days(r.days_ago);
            let content = GuideContent {
                value: r.guide.value.clone(),
                sales: r.guide.sales.clone(),
                success: r.guide.success.clone(),
                support: r.guide.support.clone(),
                marketing: r.guide.marketing.clone(),
                prepare: r.guide.prepare.clone(),
                faq: r.guide.faq.clone(),
                links: r.guide.links.clone(),
            };
            db::insert_revision(
                &mut *tx,
                id,
                number,
                &content,
                &r.note,
                r.minor,
                author,
                Some(at),
            )
            .await?;
            if r.state == "published" {
                db::publish(
                    &mut *tx,
                    id,
                    number,
                    reviewer,
                    Some(at + Duration::hours(3)),
                )
                .await?;
            }
            last_state = match r.state.as_str() {
                "published" => "published",
                "in_review" => "in_review",
                _ => "draft",
            };
        }
        if last_state != "published" {
            db::set_review(
                &mut *tx,
                id,
                last_state,
                reviewer,
                user_id(pool, "ops@example.com").await?,
                "",
            )
            .await?;
        }
        for item in &l.checklist {
            let by = user_id(pool, &format!("{}@example.com", item.team)).await?;
            let by = by.or(user_id(pool, "ops@example.com").await?);
            db::insert_checklist_item(&mut *tx, id, &item.team, &item.text, by, item.done).await?;
        }
        audit::db::record(
            &mut *tx,
            &actor,
            Entry {
                action: "launch.create",
                entity_type: "launch",
                entity_id: Some(id.to_string()),
                summary: format!("Loaded the demo launch \"{}\"", l.name),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        seed_readers(pool, id, index, l, now).await?;
    }
    Ok(())
}

/// Some acknowledgements (one of them for an older revision, so that reader is asked again and
/// sees what changed) and follow-up tasks, half of them done.
async fn seed_readers(
    pool: &PgPool,
    id: i64,
    index: usize,
    l: &DemoLaunch,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let published: Vec<i32> = l
        .revisions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.state == "published")
        .map(|(i, _)| i as i32 + 1)
        .collect();
    let Some(&current) = published.last() else {
        return Ok(());
    };
    let first = published[0];
    let readers: &[(&str, bool)] = match index {
        // The sales lead read the first guide of the first launch, before two big revisions.
        0 => &[
            ("sales@example.com", false),
            ("success@example.com", true),
            ("support@example.com", true),
            ("viewer@example.com", true),
        ],
        1 => &[
            ("success@example.com", true),
            ("support@example.com", false),
        ],
        _ => &[("sales@example.com", true), ("support@example.com", true)],
    };
    for (email, current_one) in readers {
        if let Some(uid) = user_id(pool, email).await? {
            let n = if *current_one { current } else { first };
            db::acknowledge(pool, id, uid, n, Some(now - Duration::days(1))).await?;
        }
    }
    if l.status == "generally_available" || l.status == "beta" {
        db::create_tasks(pool, id).await?;
        let tasks = db::tasks(pool, id).await?;
        for t in tasks.iter().step_by(2) {
            db::set_task_done(pool, t.id, t.assignee_id, true).await?;
        }
    }
    Ok(())
}
