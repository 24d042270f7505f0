//! Sign-in throttling: after repeated failures, an account (and separately a client address) must wait.

use sqlx::PgPool;

/// Failures in a row allowed per account before it is locked for the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failures allowed per client address across all accounts (password spraying).
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const WINDOW_SECS: f64 = 15.0 * 60.0;

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Throttled,
}

pub async fn check(pool: &PgPool, email: &str, address: &str) -> sqlx::Result<Verdict> {
    let by_email = super::db::recent_failures_for_email(pool, email, WINDOW_SECS).await?;
    if by_email >= MAX_FAILURES_PER_ACCOUNT {
        return Ok(Verdict::Throttled);
    }
    let by_address = super::db::recent_failures_for_address(pool, address, WINDOW_SECS).await?;
    if by_address >= MAX_FAILURES_PER_ADDRESS {
        return Ok(Verdict::Throttled);
    }
    Ok(Verdict::Allowed)
}
