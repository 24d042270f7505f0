//! Settings from the environment and flags. Secrets are never printed: `Debug` redacts them.

use std::net::SocketAddr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

/// The default database: `goldthread` on the local server, over the Unix socket, as the current OS user.
pub const DEFAULT_DATABASE_URL: &str = "postgres:///goldthread?host=/var/run/postgresql";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_MAIL_FROM: &str = "Goldthread <goldthread@localhost>";

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Offer one-click demo sign-ins on the sign-in page. Never on outside demo mode.
    pub demo: bool,
    /// The shared secret chat slash commands are signed with (`GOLDTHREAD_CHAT_SIGNING_SECRET`);
    /// `POST /api/v1/webhooks/chat` refuses every request without it.
    pub chat_signing_secret: Option<String>,
    /// Where people reach the app (`GOLDTHREAD_PUBLIC_URL`), e.g. `https://hub.example.com`.
    pub public_url: Option<String>,
    /// Mark the session cookie `Secure`: on by default when the public URL is https.
    pub secure_cookies: bool,
    /// `/metrics` answers only with `Authorization: Bearer <this>` (`GOLDTHREAD_METRICS_TOKEN`).
    pub metrics_token: Option<String>,
    /// Serve `/metrics` on this address only, not beside the pages (`GOLDTHREAD_METRICS_BIND`).
    pub metrics_bind: Option<SocketAddr>,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you run).
    pub trust_proxy: bool,
    pub request_timeout: Duration,
    pub session_idle: Duration,
    /// Where digest email goes out (`GOLDTHREAD_SMTP_URL`, e.g. `smtp://127.0.0.1:2525`,
    /// `smtps://user:pass@mail.example.com`); no email is sent without it.
    pub smtp_url: Option<String>,
    /// The sender of digest email (`GOLDTHREAD_MAIL_FROM`).
    pub mail_from: String,
}

impl Config {
    pub fn for_tests(database_url: &str) -> Self {
        Config {
            database_url: database_url.to_owned(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            demo: false,
            chat_signing_secret: None,
            public_url: None,
            secure_cookies: false,
            metrics_token: None,
            metrics_bind: None,
            trust_proxy: false,
            request_timeout: Duration::from_secs(30),
            session_idle: Duration::from_secs(12 * 3600),
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
        }
    }

    /// The address links in email, feeds and chat messages start with: the public URL, else
    /// the address the server listens on.
    pub fn base_url(&self) -> String {
        match self
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
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
        // No JIT: our statements are short or set-based, and the planner's cost for a bulk
        // statement (an import range, a rollup upsert) sets off a compile that costs more than it
        // saves: 1.18 s of JIT in a 4.2 s range of 25,000 imported rows at 1M items (#14).
        Ok(options.options([("plan_cache_mode", "force_custom_plan"), ("jit", "off")]))
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("demo", &self.demo)
            .field(
                "chat_signing_secret",
                &self.chat_signing_secret.as_ref().map(|_| "***"),
            )
            .field("public_url", &self.public_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("metrics_bind", &self.metrics_bind)
            .field("trust_proxy", &self.trust_proxy)
            .field("request_timeout", &self.request_timeout)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

/// Whether the session cookie is `Secure`: as configured when configured, otherwise on exactly
/// when the public URL is https (a cookie marked `Secure` is never sent over plain http).
pub fn secure_cookies(configured: Option<bool>, public_url: Option<&str>) -> bool {
    configured.unwrap_or_else(|| {
        public_url.is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
    })
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
    fn cookies_are_secure_by_default_behind_https_only() {
        assert!(secure_cookies(None, Some("https://hub.example.com")));
        assert!(!secure_cookies(None, Some("http://127.0.0.1:8080")));
        assert!(!secure_cookies(None, None));
        assert!(!secure_cookies(
            Some(false),
            Some("https://hub.example.com")
        ));
        assert!(secure_cookies(Some(true), None));
    }

    #[test]
    fn debug_never_prints_the_metrics_token() {
        let mut c = Config::for_tests(DEFAULT_DATABASE_URL);
        c.metrics_token = Some("s3cret-token".into());
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn debug_never_prints_the_smtp_password() {
        let mut c = Config::for_tests(DEFAULT_DATABASE_URL);
        c.smtp_url = Some("smtps://mailer:hunter2@mail.example.com".into());
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("mail.example.com"),
            "{shown}"
        );
    }

    #[test]
    fn links_start_with_the_public_url() {
        let mut c = Config::for_tests(DEFAULT_DATABASE_URL);
        c.public_url = Some("https://hub.example.com/".into());
        assert_eq!(c.base_url(), "https://hub.example.com");
        c.public_url = None;
        assert!(c.base_url().starts_with("http://127.0.0.1:"));
    }

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://gt:hunter2@db:5432/gt"),
            "postgres://gt:***@db:5432/gt"
        );
        assert_eq!(redact_url(DEFAULT_DATABASE_URL), DEFAULT_DATABASE_URL);
    }
}
