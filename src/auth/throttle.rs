//! Sign-in throttling: repeated failures make an account (and separately a client address) wait,
//! longer after each further failure. The state is in PostgreSQL, so every `serve` process sees
//! the same counts; an admin can unlock an account.

use std::time::Duration;

use sqlx::PgPool;

/// Failures in a row an account may have before each further failure makes it wait.
pub const FREE_FAILURES_PER_ACCOUNT: i32 = 3;
/// Failures an address may have across all accounts before it waits (password spraying).
pub const FREE_FAILURES_PER_ADDRESS: i32 = 10;
/// The first wait; each further failure doubles it.
pub const FIRST_DELAY_SECS: i32 = 5;
/// The longest wait.
pub const MAX_DELAY_SECS: i32 = 15 * 60;
/// Failures older than this are forgotten: the count starts again.
pub const FORGET_AFTER_SECS: i32 = 15 * 60;

/// Whose count this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Address,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Address => "address",
        }
    }

    fn free_failures(self) -> i32 {
        match self {
            Scope::Account => FREE_FAILURES_PER_ACCOUNT,
            Scope::Address => FREE_FAILURES_PER_ADDRESS,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Wait this long before the next attempt is even checked.
    Wait {
        scope: Scope,
        wait: Duration,
    },
}

/// The wait after `failures` failures in a row: none for the free ones, then 5 s, 10 s, 20 s, …
/// up to 15 minutes.
pub fn delay_after(failures: i32, free: i32) -> Option<Duration> {
    let over = failures - free;
    if over <= 0 {
        return None;
    }
    let secs = i64::from(FIRST_DELAY_SECS) << (over - 1).min(20);
    Some(Duration::from_secs(
        secs.min(i64::from(MAX_DELAY_SECS)) as u64
    ))
}

/// May this email, from this address, try a password now?
pub async fn check(pool: &PgPool, email: &str, address: &str) -> sqlx::Result<Verdict> {
    for (scope, key) in [(Scope::Address, address), (Scope::Account, email)] {
        if let Some(wait) = super::db::throttle_wait(pool, scope.as_str(), key).await? {
            return Ok(Verdict::Wait { scope, wait });
        }
    }
    Ok(Verdict::Allowed)
}

/// Count a wrong password against the account and the address, and start their waits.
/// Returns the account's wait, if this failure started one.
pub async fn record_failure(
    pool: &PgPool,
    email: &str,
    address: &str,
) -> sqlx::Result<Option<Duration>> {
    let mut tx = pool.begin().await?;
    let mut account_wait = None;
    for (scope, key) in [(Scope::Address, address), (Scope::Account, email)] {
        let failures =
            super::db::throttle_fail(&mut *tx, scope.as_str(), key, FORGET_AFTER_SECS).await?;
        if let Some(wait) = delay_after(failures, scope.free_failures()) {
            super::db::throttle_lock(&mut *tx, scope.as_str(), key, wait.as_secs_f64()).await?;
            if scope == Scope::Account {
                account_wait = Some(wait);
            }
        }
    }
    tx.commit().await?;
    Ok(account_wait)
}

/// A right password: the account's count starts again (the address's does not, so one good
/// account cannot hide a spray).
pub async fn record_success(pool: &PgPool, email: &str) -> sqlx::Result<()> {
    super::db::throttle_clear(pool, Scope::Account.as_str(), email).await?;
    Ok(())
}

/// "45 seconds", "2 minutes", "15 minutes": a wait as a person reads it, rounded up.
pub fn wait_words(wait: Duration) -> String {
    let secs = wait.as_secs().max(1) + u64::from(wait.subsec_nanos() > 0);
    if secs < 90 {
        format!("{secs} second{}", if secs == 1 { "" } else { "s" })
    } else {
        let minutes = secs.div_ceil(60);
        format!("{minutes} minutes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_and_stop_at_fifteen_minutes() {
        let d = |n| delay_after(n, FREE_FAILURES_PER_ACCOUNT).map(|d| d.as_secs());
        assert_eq!(d(3), None);
        assert_eq!(d(4), Some(5));
        assert_eq!(d(5), Some(10));
        assert_eq!(d(6), Some(20));
        assert_eq!(d(12), Some(900));
        assert_eq!(d(1000), Some(900));
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait_words(Duration::from_secs(1)), "1 second");
        assert_eq!(wait_words(Duration::from_millis(9_200)), "10 seconds");
        assert_eq!(wait_words(Duration::from_secs(900)), "15 minutes");
    }
}
