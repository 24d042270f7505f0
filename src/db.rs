//! The connection pool: create the database when missing, connect, migrate.

use anyhow::Context;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Postgres};

use crate::config::Config;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connect to the configured database, creating it first if it does not exist.
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
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("failed to apply migrations")?;
    tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
        .migrate()
        .await
        .context("failed to create the session table")?;
    Ok(())
}
