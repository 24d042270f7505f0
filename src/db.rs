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
