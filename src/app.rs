//! The application state every handler can reach: the pool, the settings, the metrics handle.
//!
//! It names no feature: a feature's own caches reach its handlers as `Extension` layers that
//! `router.rs` adds, so features import `app` and `app` imports no feature.

use std::sync::Arc;

use axum::extract::FromRef;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> Self {
        AppState {
            pool,
            config: Arc::new(config),
            metrics: crate::telemetry::metrics_handle(),
        }
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}
