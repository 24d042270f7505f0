//! The demo's digests (`data/demo/digests.json`): last month's, published for everyone and
//! quoting each launch's revision as published by the period's end, and this month's draft.
//! Also a chat webhook pointing nowhere, turned off, to show the admin page.

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use super::{DigestInput, db, edit};
use crate::audit::Actor;
use crate::insights::Caches;

const DIGESTS_JSON: &str = include_str!("../../data/demo/digests.json");

#[derive(Deserialize)]
struct DemoDigest {
    title: String,
    period_start_days_ago: i64,
    period_end_days_ago: i64,
    audience: String,
    state: String,
    intro: String,
    launches: Vec<String>,
}

pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let digests: Vec<DemoDigest> =
        serde_json::from_str(DIGESTS_JSON).context("data/demo/digests.json")?;
    let today = crate::insights::today();
    let actor = Actor::System("demo loader");
    let caches = Caches::new();
    for d in digests {
        let mut launches = Vec::new();
        for name in &d.launches {
            let id = crate::launches::db::id_by_name(pool, name)
                .await?
                .with_context(|| {
                    format!("digest \"{}\" names the unknown launch \"{name}\"", d.title)
                })?;
            launches.push((id, String::new()));
        }
        let start = today - Duration::days(d.period_start_days_ago);
        let end = today - Duration::days(d.period_end_days_ago);
        let fields = DigestInput {
            title: d.title.clone(),
            period_start: start.to_string(),
            period_end: end.to_string(),
            audience: d.audience.clone(),
            intro: d.intro.clone(),
            launches,
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("digest \"{}\": {e}", d.title))?;
        let id = edit::create(pool, &actor, &fields)
            .await
            .map_err(|e| anyhow::anyhow!("digest \"{}\": {e}", d.title))?;
        if d.state == "published" {
            // Published the day after its period, quoting what was published by then.
            let at = (end + Duration::days(1)).midnight().assume_utc() + Duration::hours(9);
            let at = at.min(OffsetDateTime::now_utc());
            edit::publish(pool, &caches, &actor, id, Some(at))
                .await
                .map_err(|e| anyhow::anyhow!("publishing digest \"{}\": {e}", d.title))?;
            db::quote_as_of(
                pool,
                id,
                end.next_day().unwrap_or(end).midnight().assume_utc(),
            )
            .await?;
        }
    }
    let webhook = crate::notify::WebhookInput {
        name: "#launch-readiness (demo, off)".into(),
        url: "https://chat.example.invalid/hooks/demo-readiness".into(),
        events: vec!["guide_published".into(), "digest_published".into()],
        enabled: false,
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("demo webhook: {e}"))?;
    crate::notify::db::insert(pool, &webhook, None).await?;
    Ok(())
}
