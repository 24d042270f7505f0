//! Chat notifications: outgoing webhooks in the format of Slack-compatible incoming webhooks
//! (`{"text": …, "blocks": […]}`), configured by an admin per event, delivered as background
//! jobs with retries. Events: a guide published, a digest published, a theme spiking (its last
//! complete week at least twice its average over the eight weeks before).

pub mod api;
pub mod db;
pub mod deliver;
pub mod web;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};

use crate::validation::{FieldErrors, control_character};

pub use deliver::Deliver;

/// The events a webhook can ask for: stored name, label.
pub const EVENTS: &[(&str, &str)] = &[
    ("guide_published", "A readiness guide is published"),
    ("digest_published", "A digest is published"),
    (
        "theme_spiking",
        "A theme is spiking (last week ≥ 2× its 8-week average)",
    ),
];

/// Something worth telling a chat channel about. Links are paths; delivery makes them absolute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    GuidePublished {
        launch_id: i64,
        launch: String,
        revision: i32,
    },
    DigestPublished {
        digest_id: i64,
        title: String,
        audience: String,
        launches: Vec<String>,
    },
    ThemeSpiking {
        theme_id: i64,
        theme: String,
        week: String,
        items: i64,
        average: f64,
    },
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::GuidePublished { .. } => "guide_published",
            Event::DigestPublished { .. } => "digest_published",
            Event::ThemeSpiking { .. } => "theme_spiking",
        }
    }

    fn path(&self) -> String {
        match self {
            Event::GuidePublished { launch_id, .. } => format!("/launches/{launch_id}/guide"),
            Event::DigestPublished { digest_id, .. } => format!("/digests/{digest_id}"),
            Event::ThemeSpiking { theme_id, .. } => format!("/themes/{theme_id}"),
        }
    }

    /// One line for the notification's plain `text` (what clients show without blocks).
    fn line(&self) -> String {
        match self {
            Event::GuidePublished {
                launch, revision, ..
            } => format!("Readiness guide published: {launch} (revision {revision})"),
            Event::DigestPublished {
                title, audience, ..
            } => format!("Digest published for {audience}: {title}"),
            Event::ThemeSpiking {
                theme,
                items,
                average,
                ..
            } => format!(
                "Theme spiking: {theme}, {items} items last week against {average:.1} a week before"
            ),
        }
    }

    /// The Slack-compatible message, with links starting at `base`.
    pub fn message(&self, base: &str) -> serde_json::Value {
        let url = format!("{base}{}", self.path());
        let line = self.line();
        let mut blocks = vec![json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": format!("*{}*\n<{url}|Open in Goldthread>", escape_mrkdwn(&line)) }
        })];
        if let Event::DigestPublished { launches, .. } = self
            && !launches.is_empty()
        {
            blocks.push(json!({
                "type": "context",
                "elements": [{ "type": "mrkdwn", "text": escape_mrkdwn(&format!("Launches: {}", launches.join(", "))) }]
            }));
        }
        json!({ "text": format!("{line} {url}"), "blocks": blocks })
    }
}

/// Slack's three control characters in message text.
fn escape_mrkdwn(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A webhook as an admin configures it.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookFields {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

impl WebhookInput {
    pub fn validate(&self) -> Result<WebhookFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = self.name.trim();
        if let Some(m) = control_character(name, false) {
            errors.add("name", m);
        } else if name.is_empty() {
            errors.add(
                "name",
                "Give the webhook a name, e.g. the channel it posts to",
            );
        } else if name.chars().count() > 100 {
            errors.add("name", "Keep the name to 100 characters or fewer");
        }
        let url = self.url.trim();
        if let Some(m) = control_character(url, false) {
            errors.add("url", m);
        } else if !is_http_url(url) || url.len() > 2000 {
            errors.add(
                "url",
                "Give the incoming-webhook address your chat tool gave you: http:// or https://",
            );
        }
        let mut events = Vec::new();
        for e in &self.events {
            match EVENTS.iter().find(|(k, _)| k == e) {
                Some((k, _)) if !events.contains(&(*k).to_owned()) => events.push((*k).to_owned()),
                Some(_) => {}
                None => errors.add(
                    "events",
                    format!(
                        "\"{}\" is not an event: choose guide_published, digest_published or theme_spiking",
                        e.escape_debug()
                    ),
                ),
            }
        }
        if events.is_empty() && !errors.has("events") {
            errors.add("events", "Choose at least one event to send");
        }
        errors.into_result(WebhookFields {
            name: name.to_owned(),
            url: url.to_owned(),
            events,
            enabled: self.enabled,
        })
    }
}

/// An absolute http(s) address with a host.
fn is_http_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    })
}

/// A webhook address with its secret part hidden: incoming-webhook URLs are credentials, so
/// pages show the host and the start of the path only.
pub fn masked_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "…".into();
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.rsplit('@').next().unwrap_or(host);
    let shown: String = path.chars().take(8).collect();
    if path.chars().count() > 8 {
        format!("{scheme}://{host}/{shown}…")
    } else {
        format!("{scheme}://{host}/{shown}")
    }
}

/// Queue `event` for every enabled webhook that wants it, inside the caller's transaction, so a
/// rolled-back change announces nothing.
pub async fn emit_in(tx: &mut Transaction<'_, Postgres>, event: Event) -> sqlx::Result<usize> {
    let payload = serde_json::to_value(&event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let ids = db::create_deliveries(&mut **tx, event.name(), &payload).await?;
    for id in &ids {
        crate::jobs::enqueue_after(
            &mut **tx,
            &Deliver { delivery_id: *id },
            None,
            std::time::Duration::ZERO,
        )
        .await?;
    }
    Ok(ids.len())
}

/// The spike rule: at least 2× the 8-week average, and enough items to be news.
pub fn is_spike(last_week: i64, average: f64) -> bool {
    last_week >= 5 && last_week as f64 >= 2.0 * average
}

/// Announce each theme whose last complete week spiked, once per theme and week. Cheap: one
/// read of the weekly rollup.
pub async fn announce_spikes(pool: &PgPool) -> anyhow::Result<usize> {
    if !db::any_wants(pool, "theme_spiking").await? {
        return Ok(0);
    }
    let week = crate::insights::Period::default_for(crate::insights::today()).last_full_week();
    let mut n = 0;
    for s in db::theme_weeks(pool, week).await? {
        if !is_spike(s.items, s.average) {
            continue;
        }
        let mut tx = pool.begin().await?;
        if db::claim_spike(&mut *tx, s.theme_id, week, s.items, s.average).await? {
            emit_in(
                &mut tx,
                Event::ThemeSpiking {
                    theme_id: s.theme_id,
                    theme: s.name,
                    week: week.to_string(),
                    items: s.items,
                    average: s.average,
                },
            )
            .await?;
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_is_twice_the_average_and_not_noise() {
        assert!(is_spike(10, 5.0));
        assert!(!is_spike(9, 5.0));
        assert!(is_spike(6, 0.0));
        assert!(!is_spike(4, 0.0));
    }

    #[test]
    fn messages_are_slack_compatible_with_absolute_links() {
        let m = Event::DigestPublished {
            digest_id: 4,
            title: "March <digest> & more".into(),
            audience: "Sales".into(),
            launches: vec!["Virtual cards".into()],
        }
        .message("https://hub.example.com");
        let text = m["text"].as_str().unwrap();
        assert!(text.contains("https://hub.example.com/digests/4"), "{text}");
        let section = m["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(section.contains("&lt;digest&gt; &amp; more"), "{section}");
        assert_eq!(m["blocks"][1]["type"], "context");
    }

    #[test]
    fn webhook_addresses_are_checked_and_masked() {
        let ok = WebhookInput {
            name: "#launches".into(),
            url: "https://hooks.slack.com/services/T000/B000/XXXXSECRET".into(),
            events: vec!["guide_published".into()],
            enabled: true,
        }
        .validate()
        .expect("valid");
        assert_eq!(masked_url(&ok.url), "https://hooks.slack.com/services…");
        let bad = WebhookInput {
            name: String::new(),
            url: "javascript:alert(1)".into(),
            events: vec!["everything".into()],
            enabled: true,
        }
        .validate()
        .unwrap_err();
        for f in ["name", "url", "events"] {
            assert!(bad.has(f), "{f}");
        }
    }
}
