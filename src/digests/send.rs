//! Sending a published digest by email: a background job on the jobs queue that mails every
//! person of the audience not yet sent it (so a resend never mails anyone twice), records each
//! recipient's outcome, shows progress, and retries the failed ones with growing waits.
//! Also the signed one-click unsubscribe links.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use sqlx::PgPool;

use super::email::{self, EmailView};
use super::{compose, db};
use crate::audit::{self, Actor, Entry};
use crate::auth::Team;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, Job, JobKind};

/// The background job that emails a digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendDigest {
    pub digest_id: i64,
    /// 1 for the first run; retries count up.
    #[serde(default = "first")]
    pub attempt: i32,
}

fn first() -> i32 {
    1
}

impl JobKind for SendDigest {
    const NAME: &'static str = "send_digest";
}

/// Runs in all, and the wait before each retry of the recipients that failed.
pub const ATTEMPTS: i32 = 4;
const BACKOFF: [Duration; 3] = [
    Duration::from_secs(60),
    Duration::from_secs(300),
    Duration::from_secs(1800),
];

pub const NO_SMTP: &str = "Email is not set up: start Goldthread with GOLDTHREAD_SMTP_URL (for example smtp://127.0.0.1:2525 or smtps://user:password@mail.example.com) to send digests by email.";

/// Queue the sending of a published digest.
pub async fn start(
    pool: &PgPool,
    config: &Config,
    actor: &Actor<'_>,
    digest_id: i64,
) -> AppResult<i64> {
    let digest = db::get(pool, digest_id).await?.ok_or(AppError::NotFound)?;
    if !digest.is_published() {
        return Err(AppError::Conflict(
            "Publish the digest before sending it: email goes out frozen, as published.".into(),
        ));
    }
    if config.smtp_url.is_none() {
        return Err(AppError::Conflict(NO_SMTP.into()));
    }
    let mut tx = pool.begin().await?;
    let job = jobs::enqueue_after(
        &mut *tx,
        &SendDigest {
            digest_id,
            attempt: 1,
        },
        actor.id(),
        Duration::ZERO,
    )
    .await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "digest.send",
            entity_type: "digest",
            entity_id: Some(digest_id.to_string()),
            summary: format!("Sent the digest \"{}\" by email", digest.title),
            before: None,
            after: Some(json!({ "job": job })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(job)
}

/// The signing key of unsubscribe links, made once per database.
async fn unsubscribe_key(pool: &PgPool) -> sqlx::Result<Vec<u8>> {
    let mut fresh = [0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    db::server_secret(pool, "digest_unsubscribe", &fresh).await
}

fn signature(key: &[u8], user_id: i64) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(format!("digest-unsubscribe:{user_id}").as_bytes());
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The one-click unsubscribe address of `user_id`.
pub async fn unsubscribe_url(pool: &PgPool, base: &str, user_id: i64) -> sqlx::Result<String> {
    let key = unsubscribe_key(pool).await?;
    Ok(unsubscribe_url_with(&key, base, user_id))
}

fn unsubscribe_url_with(key: &[u8], base: &str, user_id: i64) -> String {
    format!(
        "{base}/unsubscribe?u={user_id}&s={}",
        signature(key, user_id).unwrap_or_default()
    )
}

/// Whether `sig` is the signature of `user_id`'s unsubscribe link (checked in constant time).
pub async fn verify(pool: &PgPool, user_id: i64, sig: &str) -> sqlx::Result<bool> {
    let key = unsubscribe_key(pool).await?;
    let Ok(given) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig.trim()) else {
        return Ok(false);
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return Ok(false);
    };
    mac.update(format!("digest-unsubscribe:{user_id}").as_bytes());
    Ok(mac.verify_slice(&given).is_ok())
}

fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| anyhow::anyhow!("GOLDTHREAD_SMTP_URL is not a usable SMTP address: {e}"))?
        .timeout(Some(Duration::from_secs(20)))
        .build())
}

/// The job: mail everyone of the audience not yet sent this digest.
pub async fn run(pool: &PgPool, config: &Config, job: &Job) -> anyhow::Result<()> {
    let SendDigest { digest_id, attempt } = jobs::payload(job)?;
    let Some(url) = config.smtp_url.as_deref() else {
        anyhow::bail!("{NO_SMTP}");
    };
    let mailer = transport(url)?;
    let Some(digest) = db::get(pool, digest_id).await? else {
        return Ok(());
    };
    let recipients = db::unsent_recipients(pool, digest_id, digest.audience).await?;
    let total = recipients.len();
    jobs::progress(pool, job.id, 0, total).await?;
    let base = config.base_url();
    let key = unsubscribe_key(pool).await?;
    let caches = crate::insights::Caches::new();
    // One composition per team: each reader gets their own section first.
    let mut views: HashMap<Option<Team>, EmailView> = HashMap::new();
    let mut failed = 0usize;
    let mut last_error = String::new();
    for (i, r) in recipients.iter().enumerate() {
        let team: Option<Team> = serde_json::from_value(json!(r.team)).ok();
        let team = compose::reader_team(digest.audience, team);
        if let std::collections::hash_map::Entry::Vacant(slot) = views.entry(team) {
            let composed = compose::compose(pool, &caches, digest.clone(), team).await?;
            slot.insert(EmailView::new(&composed, &base, None));
        }
        let mut view_for = |view: &mut EmailView| {
            view.unsubscribe_url = Some(unsubscribe_url_with(&key, &base, r.user_id));
            email::message(view, &config.mail_from, &r.name, &r.email)
        };
        let outcome = match views.get_mut(&team).map(&mut view_for) {
            Some(Ok(message)) => mailer
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("The mail server refused it: {e}")),
            Some(Err(e)) => Err(format!("{e:#}")),
            None => Err("nothing to send".to_owned()),
        };
        match outcome {
            Ok(()) => db::record_email(pool, digest_id, r, None).await?,
            Err(e) => {
                failed += 1;
                tracing::warn!(digest = digest_id, user = r.user_id, error = %e, "digest email failed");
                db::record_email(pool, digest_id, r, Some(&e)).await?;
                last_error = e;
            }
        }
        if (i + 1) % 10 == 0 || i + 1 == total {
            jobs::progress(pool, job.id, i + 1, total).await?;
        }
    }
    if failed == 0 {
        tracing::info!(digest = digest_id, sent = total, "digest emailed");
        return Ok(());
    }
    if attempt < ATTEMPTS {
        let wait = BACKOFF[(attempt as usize - 1).min(BACKOFF.len() - 1)];
        jobs::enqueue_after(
            pool,
            &SendDigest {
                digest_id,
                attempt: attempt + 1,
            },
            None,
            wait,
        )
        .await?;
        anyhow::bail!(
            "{failed} of {total} could not be sent ({last_error}); trying those again in {} minutes",
            wait.as_secs() / 60
        );
    }
    anyhow::bail!("{failed} of {total} could not be sent after {ATTEMPTS} tries ({last_error})")
}
