//! Serving: listen, run the worker and housekeeping beside the router, shut down gracefully.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tower_sessions_sqlx_store::PostgresStore;

use crate::app::AppState;
use crate::config::Config;

/// Serve until SIGINT or SIGTERM, then finish in-flight requests.
pub async fn serve(config: Config, pool: PgPool) -> anyhow::Result<()> {
    let bind = config.bind;
    let state = AppState::new(config, pool.clone());
    let interrupted =
        crate::imports::db::fail_interrupted(&pool, crate::imports::INTERRUPTED_AFTER_SECS).await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "marked imports interrupted by the last stop as failed"
        );
    }
    let housekeeping = tokio::spawn(housekeeping(pool.clone()));
    let worker = tokio::spawn(crate::worker::run(pool.clone(), state.config.clone()));
    // Loads the sentence encoder once (or says once that there is none) and queues vectors
    // for items that have none from it, beside serving (loading takes a moment).
    let backfill_pool = pool.clone();
    tokio::spawn(async move {
        match crate::embeddings::queue_backfill_if_needed(&backfill_pool).await {
            Ok(Some(job)) => tracing::info!(job, "queued vectors for items that have none"),
            Ok(None) => {}
            Err(err) => tracing::warn!(
                error = format!("{err:#}"),
                "could not queue the vector backfill"
            ),
        }
    });
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let metrics = match state.config.metrics_bind {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for metrics on {addr}"))?;
            tracing::info!("metrics on http://{addr}/metrics");
            let app = crate::router::metrics_app(state.clone());
            Some(tokio::spawn(
                async move { axum::serve(listener, app).await },
            ))
        }
        None => {
            if state.config.metrics_token.is_none() {
                tracing::info!(
                    "/metrics is off: set GOLDTHREAD_METRICS_TOKEN or GOLDTHREAD_METRICS_BIND"
                );
            }
            None
        }
    };
    axum::serve(
        listener,
        crate::router::app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    housekeeping.abort();
    worker.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Hourly: drop expired sessions and old sign-in attempts.
async fn housekeeping(pool: PgPool) {
    use tower_sessions::session_store::ExpiredDeletion;
    let store = PostgresStore::new(pool.clone());
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        if let Err(err) = store.delete_expired().await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
        if let Err(err) = crate::auth::db::forget_old_attempts(&pool).await {
            tracing::warn!(error = %err, "could not prune sign-in attempts");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
