//! Typed access to the server-side session (stored in PostgreSQL by tower-sessions).

use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const USER_ID: &str = "user_id";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// A one-time message shown on the next page after a POST-redirect-GET.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
    /// Optional link to the thing the message is about.
    pub link: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Info,
    Warning,
    Error,
}

impl FlashKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Info => "info",
            FlashKind::Warning => "warning",
            FlashKind::Error => "error",
        }
    }
}

fn store_err(err: tower_sessions::session::Error) -> anyhow::Error {
    anyhow::anyhow!("session store: {err}")
}

pub async fn user_id(session: &Session) -> anyhow::Result<Option<i64>> {
    session.get::<i64>(USER_ID).await.map_err(store_err)
}

/// Sign a user in: a new session id (against fixation), a new CSRF token.
pub async fn sign_in(session: &Session, user_id: i64) -> anyhow::Result<()> {
    session.cycle_id().await.map_err(store_err)?;
    session.insert(USER_ID, user_id).await.map_err(store_err)?;
    session
        .insert(CSRF, super::csrf::new_token())
        .await
        .map_err(store_err)?;
    Ok(())
}

pub async fn sign_out(session: &Session) -> anyhow::Result<()> {
    session.flush().await.map_err(store_err)
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> anyhow::Result<String> {
    if let Some(token) = session.get::<String>(CSRF).await.map_err(store_err)? {
        return Ok(token);
    }
    let token = super::csrf::new_token();
    session
        .insert(CSRF, token.clone())
        .await
        .map_err(store_err)?;
    Ok(token)
}

pub async fn existing_csrf_token(session: &Session) -> anyhow::Result<Option<String>> {
    session.get::<String>(CSRF).await.map_err(store_err)
}

pub async fn set_flash(
    session: &Session,
    kind: FlashKind,
    message: impl Into<String>,
    link: Option<(String, String)>,
) -> anyhow::Result<()> {
    let flash = Flash {
        kind,
        message: message.into(),
        link,
    };
    session.insert(FLASH, flash).await.map_err(store_err)
}

pub async fn take_flash(session: &Session) -> anyhow::Result<Option<Flash>> {
    session.remove::<Flash>(FLASH).await.map_err(store_err)
}

/// Where to send someone who must sign in first, remembering where they were going.
pub fn sign_in_url(next: &str) -> String {
    if next.is_empty() || next == "/" {
        "/signin".into()
    } else {
        format!(
            "/signin?next={}",
            serde_urlencoded::to_string([("n", next)])
                .map(|s| s.trim_start_matches("n=").to_owned())
                .unwrap_or_default()
        )
    }
}

/// Only local paths may be returned to (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_owned()
        }
        _ => "/".into(),
    }
}
