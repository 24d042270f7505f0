//! The connection pool: create the database when missing, connect, migrate.

use anyhow::Context;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};

use crate::config::Config;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connect to the configured database, creating it first if it does not exist.
#[tracing::instrument(skip_all)]
pub async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    let url = &config.database_url;
    let exists = Postgres::database_exists(url).await.with_context(|| {
        format!(
            "cannot reach PostgreSQL at {} (is it running? `make run` starts it)",
            crate::config::redact_url(url)
        )
    })?;
    if !exists {
        Postgres::create_database(url)
            .await
            .context("failed to create the database")?;
        tracing::info!("created the database");
    }
    PgPoolOptions::new()
        .max_connections(16)
        // While the database is away (a restart, a failover) a request waits at most this long
        // for a connection, then answers 503 with Retry-After instead of hanging.
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(config.connect_options()?)
        .await
        .context("failed to connect to the database")
}

/// Apply pending migrations, including the session store's table.
#[tracing::instrument(skip_all)]
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    // A database may have applied a version that is no longer here (the 0004 gap, see
    // migrations/README.md): accept it rather than refuse to start.
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator
        .run(pool)
        .await
        .context("failed to apply migrations")?;
    tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
        .migrate()
        .await
        .context("failed to create the session table")?;
    Ok(())
}

/// One round trip, for the health check.
#[tracing::instrument(skip_all)]
pub async fn ping(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query_scalar!("select 1 as one")
        .fetch_one(pool)
        .await
        .map(|_| ())
}

/// Whether the demo's BANKING77 support tickets are loaded (one index lookup), so every page's
/// footer can attribute the data set as its licence asks.
#[tracing::instrument(skip_all)]
pub async fn has_banking77(db: impl sqlx::PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from feedback where source = 'support' and external_id = 'banking77-1') as "e!""#
    )
    .fetch_one(db)
    .await
}

/// Tables kept by triggers as per-key counters (small, rewritten in place).
const ROLLUPS: &[&str] = &[
    "theme_weekly",
    "theme_account_weekly",
    "theme_account_weekly_all",
    "account_nps_weekly",
    "nps_daily",
];

/// Rollups written by the same statement as another table's (migration 0047): whatever a bulk
/// write did to the first, it did to the second, so the second is refreshed with it.
const WRITTEN_TOGETHER: &[(&str, &str)] = &[("theme_account_weekly", "theme_account_weekly_all")];

/// `tables`, each followed by the rollups written together with it (when not listed already).
fn with_companions<'a>(tables: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::with_capacity(tables.len() + 1);
    for table in tables {
        out.push(table);
        for (first, second) in WRITTEN_TOGETHER {
            if first == table && !tables.contains(second) {
                out.push(second);
            }
        }
    }
    out
}

/// Refresh the planner's statistics of `tables` after a bulk write of `written` rows, as
/// PostgreSQL recommends after large loads: pages then never depend on autovacuum having run
/// (or being on). Skipped for writes too small to move the statistics (under a tenth of the
/// largest table's estimated rows and under 100,000 rows); a table never analyzed always is.
#[tracing::instrument(skip_all)]
pub async fn analyze_after_bulk(
    pool: &PgPool,
    tables: &[&str],
    written: u64,
) -> sqlx::Result<bool> {
    let tables = with_companions(tables);
    let names: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
    let (known, never) = sqlx::query!(
        r#"select coalesce(max(c.reltuples), 0)::float8 as "rows!",
                  bool_or(c.reltuples < 0) as "never!"
           from pg_class c where c.relname = any($1) and c.relnamespace = 'public'::regnamespace"#,
        &names
    )
    .fetch_one(pool)
    .await
    .map(|r| (r.rows, r.never))?;
    if !never && written < 100_000 && (written as f64) < known / 10.0 {
        return Ok(false);
    }
    for table in &tables {
        // Names are this crate's own constants, never user input.
        debug_assert!(table.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        // Rollups are small and updated in place many times per bulk write: vacuum them too, so
        // their readers do not step over the dead versions when autovacuum is off or behind.
        let verb = if ROLLUPS.contains(table) {
            "vacuum (analyze)"
        } else {
            "analyze"
        };
        sqlx::query(&format!("{verb} {table}"))
            .execute(pool)
            .await?;
    }
    tracing::info!(?tables, written, "analyzed after a bulk write");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::with_companions;

    #[test]
    fn a_rollup_written_together_is_refreshed_with_its_companion_once() {
        assert_eq!(
            with_companions(&["feedback_themes", "theme_account_weekly"]),
            [
                "feedback_themes",
                "theme_account_weekly",
                "theme_account_weekly_all"
            ]
        );
        assert_eq!(
            with_companions(&["theme_account_weekly", "theme_account_weekly_all"]),
            ["theme_account_weekly", "theme_account_weekly_all"]
        );
        assert_eq!(with_companions(&["feedback"]), ["feedback"]);
    }
}
