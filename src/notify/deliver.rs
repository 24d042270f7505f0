//! Delivering one notification: POST the message to the webhook; on an error or a non-2xx answer
//! try again later with growing waits, and give up after a few attempts.

use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{Event, db};
use crate::config::Config;
use crate::jobs::{self, Job, JobKind};

/// The background job that delivers one webhook delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    pub delivery_id: i64,
}

impl JobKind for Deliver {
    const NAME: &'static str = "deliver_webhook";
}

/// Attempts in all, and the wait before each retry.
pub const ATTEMPTS: i32 = 5;
const BACKOFF: [Duration; 4] = [
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(3600),
];

pub fn backoff(attempt: i32) -> Duration {
    BACKOFF[(attempt.max(1) as usize - 1).min(BACKOFF.len() - 1)]
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Goldthread/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default()
    })
}

/// What one attempt came to.
enum Outcome {
    Delivered(u16),
    Failed { status: Option<u16>, error: String },
}

async fn post(url: &str, body: &serde_json::Value) -> Outcome {
    let request = client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    match request.send().await {
        Ok(r) if r.status().is_success() => Outcome::Delivered(r.status().as_u16()),
        Ok(r) => {
            let status = r.status();
            let text: String = r
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            Outcome::Failed {
                status: Some(status.as_u16()),
                error: format!("The receiver answered {status} {}", text.trim()),
            }
        }
        // The error names the address, which is a credential: say only what kind it was.
        Err(e) => Outcome::Failed {
            status: None,
            error: if e.is_timeout() {
                "The receiver did not answer within 10 seconds".into()
            } else if e.is_connect() {
                "Could not connect to the receiver".into()
            } else {
                "The request could not be sent".into()
            },
        },
    }
}

pub async fn run(pool: &PgPool, config: &Config, job: &Job) -> anyhow::Result<()> {
    let Deliver { delivery_id } = jobs::payload(job)?;
    let Some(d) = db::delivery(pool, delivery_id).await? else {
        return Ok(()); // its webhook was deleted
    };
    if d.state != "pending" {
        return Ok(());
    }
    if !d.enabled {
        db::record_attempt(
            pool,
            d.id,
            "failed",
            None,
            Some("The webhook was turned off before this could be delivered"),
        )
        .await?;
        return Ok(());
    }
    let event: Event = serde_json::from_value(d.payload.clone())?;
    let message = event.message(&config.base_url());
    let attempt = d.attempts + 1;
    match post(&d.url, &message).await {
        Outcome::Delivered(status) => {
            db::record_attempt(pool, d.id, "delivered", Some(i32::from(status)), None).await?;
            tracing::info!(delivery = d.id, webhook = d.webhook_id, event = %d.event, "webhook delivered");
        }
        Outcome::Failed { status, error } => {
            let again = attempt < ATTEMPTS;
            let state = if again { "pending" } else { "failed" };
            db::record_attempt(pool, d.id, state, status.map(i32::from), Some(&error)).await?;
            tracing::warn!(delivery = d.id, webhook = d.webhook_id, attempt, %error, "webhook delivery failed");
            if again {
                jobs::enqueue_after(pool, &Deliver { delivery_id }, None, backoff(attempt)).await?;
            }
        }
    }
    Ok(())
}

/// Queue a delivery again now (the admin's "retry" on a failed one).
pub async fn retry_now(pool: &PgPool, delivery_id: i64) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    if !db::reset_for_retry(&mut *tx, delivery_id).await? {
        return Ok(false);
    }
    jobs::enqueue_after(&mut *tx, &Deliver { delivery_id }, None, Duration::ZERO).await?;
    tx.commit().await?;
    Ok(true)
}
