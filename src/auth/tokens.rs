//! API tokens: random, shown once, stored only as a SHA-256 hash.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub const TOKEN_PREFIX: &str = "gt_";

/// A fresh token and its hash. Only the hash is stored.
pub struct IssuedToken {
    pub token: String,
    pub hash: String,
    pub prefix: String,
}

pub fn issue() -> IssuedToken {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let prefix = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    IssuedToken {
        hash: hash(&token),
        token,
        prefix,
    }
}

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Session key of a just-created token, kept for the one page view that shows it.
const NEW_TOKEN: &str = "new_api_token";

/// Keep a new token for the page the creation redirects to (post-redirect-get).
pub async fn keep_for_display(
    session: &tower_sessions::Session,
    token: &str,
) -> anyhow::Result<()> {
    session
        .insert(NEW_TOKEN, token)
        .await
        .map_err(|e| anyhow::anyhow!("session store: {e}"))
}

/// The token kept by [`keep_for_display`], removed from the session: shown once, never again.
pub async fn take_for_display(session: &tower_sessions::Session) -> anyhow::Result<Option<String>> {
    session
        .remove::<String>(NEW_TOKEN)
        .await
        .map_err(|e| anyhow::anyhow!("session store: {e}"))
}

/// Why a known token is refused, given when it was revoked and when it expires; `None` when
/// neither applies (its user is disabled: the plain "sign in" answer tells no more).
pub fn refusal_message(
    known: Option<(Option<OffsetDateTime>, Option<OffsetDateTime>)>,
    now: OffsetDateTime,
) -> Option<String> {
    let (revoked_at, expires_at) = known?;
    let day = |t: OffsetDateTime| t.date().to_string();
    if let Some(at) = revoked_at {
        return Some(format!(
            "This token was revoked on {}; ask an admin for a new one.",
            day(at)
        ));
    }
    match expires_at {
        Some(at) if at <= now => Some(format!(
            "This token expired on {}; ask an admin for a new one.",
            day(at)
        )),
        _ => None,
    }
}

/// Lifetimes an admin can choose for a new token, as (form value, label, days; `None` never).
pub const LIFETIMES: [(&str, &str, Option<i64>); 5] = [
    ("30", "30 days", Some(30)),
    ("90", "90 days", Some(90)),
    ("365", "1 year", Some(365)),
    ("never", "Never", None),
    ("1", "1 day (to try something)", Some(1)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn refusals_say_revoked_or_expired() {
        let now = datetime!(2026-12-01 12:00 UTC);
        let revoked = refusal_message(Some((Some(datetime!(2026-11-30 9:00 UTC)), None)), now);
        assert_eq!(
            revoked.as_deref(),
            Some("This token was revoked on 2026-11-30; ask an admin for a new one.")
        );
        let expired = refusal_message(Some((None, Some(datetime!(2026-12-01 11:00 UTC)))), now);
        assert!(expired.unwrap().contains("expired on 2026-12-01"));
        assert_eq!(
            refusal_message(Some((None, Some(datetime!(2026-12-02 0:00 UTC)))), now),
            None
        );
        assert_eq!(refusal_message(None, now), None);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = issue();
        let b = issue();
        assert_ne!(a.token, b.token);
        assert!(a.token.starts_with(TOKEN_PREFIX));
        assert_eq!(a.hash, hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.token));
        assert!(a.token.starts_with(&a.prefix));
    }
}
