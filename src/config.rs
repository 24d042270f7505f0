//! Settings from the environment and flags. Secrets are never printed: `Debug` redacts them.

use std::net::SocketAddr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

/// The default database: `goldthread` on the local server, over the Unix socket, as the current OS user.
pub const DEFAULT_DATABASE_URL: &str = "postgres:///goldthread?host=/var/run/postgresql";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Offer one-click demo sign-ins on the sign-in page. Never on outside demo mode.
    pub demo: bool,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you run).
    pub trust_proxy: bool,
    pub request_timeout: Duration,
    pub session_idle: Duration,
}

impl Config {
    pub fn for_tests(database_url: &str) -> Self {
        Config {
            database_url: database_url.to_owned(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            demo: false,
            secure_cookies: false,
            trust_proxy: false,
            request_timeout: Duration::from_secs(30),
            session_idle: Duration::from_secs(12 * 3600),
        }
    }

    pub fn connect_options(&self) -> anyhow::Result<PgConnectOptions> {
        use anyhow::Context;
        let options = self
            .database_url
            .parse::<PgConnectOptions>()
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        // List queries take optional filters as `($1 is null or …)`; a generic plan cannot use the
        // right index for the filters actually given, so plan each execution for its values.
        Ok(options.options([("plan_cache_mode", "force_custom_plan")]))
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("demo", &self.demo)
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Hide a password in a database URL (`postgres://user:secret@host` → `postgres://user:***@host`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://gt:hunter2@db:5432/gt"),
            "postgres://gt:***@db:5432/gt"
        );
        assert_eq!(redact_url(DEFAULT_DATABASE_URL), DEFAULT_DATABASE_URL);
    }
}
