//! Starting a full retag from the themes page, and the job's progress page.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use sqlx::PgPool;

use super::TagRun;
use crate::app::AppState;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::jobs::JobKind as _;
use crate::web::Layout;
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/themes/retag", post(start_retag))
        .route("/themes/jobs/{id}", get(job_page))
}

async fn start_retag(State(state): State<AppState>, current: CurrentUser) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let id = super::enqueue_retag(&state.pool, Some(current.user.id)).await?;
    set_flash(
        &current.session,
        FlashKind::Info,
        "Re-tagging every item in the background. You can keep working meanwhile.",
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/themes/jobs/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/job.html")]
pub struct JobPage {
    layout: Layout,
    job: crate::jobs::Job,
    percent: i64,
    finished: Option<When>,
    refresh: bool,
}

async fn job_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<JobPage> {
    current.user.require(Permission::Read)?;
    let job = crate::jobs::db::get(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let percent = if job.state == "done" {
        100
    } else if job.progress_total > 0 {
        i64::from(job.progress_done) * 100 / i64::from(job.progress_total)
    } else {
        0
    };
    Ok(JobPage {
        layout: Layout::for_user(&current, "Re-tagging", "themes").await?,
        refresh: job.state == "queued" || job.state == "running",
        finished: job.finished_at.map(When::from),
        percent,
        job,
    })
}

/// Items read and scored per batch by a full retag.
const RETAG_BATCH: i64 = 2000;

/// Items written per transaction (scored batches are gathered up to this): still well under a
/// second of locks at 1M items.
const RETAG_WRITE: usize = 10_000;

/// Writes in flight at once. On two cores one write's database work and the scoring of the
/// next batches leave a core idle for much of a first retag; the items of two writes never
/// overlap, so they do not wait on each other.
const WRITERS: usize = 2;

/// Items per batch of a semantic retag: one graph's worth ([`crate::tagging::batch`]) for
/// each core, since a graph costs the same however few of its nodes are being tagged.
fn batch_size(bulk_chunk: Option<usize>, ways: usize) -> i64 {
    bulk_chunk.map_or(RETAG_BATCH, |n| (n * ways.max(1)) as i64)
}

/// Re-tag every live item: one task streams the texts out (keyset on id), the scoring function
/// ([`super::classify`], on every core) turns each batch into suggestions, and this task writes
/// each batch as one short set-based transaction while the next batch is read and scored.
/// Only automatic suggestions change; confirmed and rejected tags are never touched. With
/// `dry_run` nothing is written (the harness uses it as the "stream + score" floor).
pub async fn run(pool: &PgPool, job: Option<i64>, dry_run: bool) -> anyhow::Result<TagRun> {
    let covers_jobs_up_to = crate::jobs::db::max_id(pool).await?;
    let total = usize::try_from(super::db::live_feedback_count(pool).await?).unwrap_or(0);
    if let Some(id) = job {
        crate::jobs::progress(pool, id, 0, total).await?;
    }
    // Vectors missing or stale (edited text, other weights) are computed first, once.
    let embedded = match crate::embeddings::shared() {
        Some(sem) if !dry_run => crate::embeddings::backfill(pool, &sem, None).await?,
        _ => 0,
    };
    let Some(model) = super::train(pool).await? else {
        return Ok(TagRun {
            embedded,
            ..TagRun::default()
        });
    };
    let ways = std::thread::available_parallelism().map_or(1, |n| n.get());
    let size = batch_size(model.bulk_chunk(), ways);
    let (read_tx, mut read_rx) = tokio::sync::mpsc::channel::<Vec<super::db::TextRow>>(2);
    let reader = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut after = 0i64;
            loop {
                let rows = super::db::feedback_batch(&pool, after, size).await?;
                let Some(last) = rows.last().map(|r| r.id) else {
                    break;
                };
                after = last;
                if read_tx.send(rows).await.is_err() {
                    break;
                }
            }
            Ok::<_, anyhow::Error>(())
        })
    };
    let (score_tx, mut score_rx) = tokio::sync::mpsc::channel::<Scored>(2);
    let scorer = {
        let pool = pool.clone();
        tokio::spawn(async move {
            while let Some(rows) = read_rx.recv().await {
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                let found = score_parallel(&pool, &model, rows, ways).await?;
                if score_tx.send((ids, found)).await.is_err() {
                    break;
                }
            }
            Ok::<_, anyhow::Error>(())
        })
    };
    let mut run = TagRun {
        embedded,
        ..TagRun::default()
    };
    let mut written = 0u64;
    // Scored batches are written a few at a time, in fewer and larger transactions (10,000
    // items wrote in 22% less time than five writes of 2,000 at 1M), two at once. Their rollup
    // contributions wait in `rollup_pending` (migration 0049): within one write nearly every
    // tag falls on its own rollup key, so they are applied once, when the writing ends.
    let writing = async {
        let (mut ids, mut found) = (Vec::new(), Vec::new());
        let mut next_analyze = 100_000u64;
        let mut open = true;
        let mut writes = tokio::task::JoinSet::new();
        while open || !writes.is_empty() {
            if !open || writes.len() >= WRITERS {
                // Wait for a write to end before taking more.
                if let Some(done) = writes.join_next().await {
                    let (items, tagged, tags) = done??;
                    written += tags;
                    run.items += items;
                    run.tagged += tagged;
                    // The table may grow many times over in one run (a first retag after a
                    // large import): statistics from its start made each write's delete scan
                    // all of it.
                    if written >= next_analyze {
                        crate::db::analyze_after_bulk(pool, &["feedback_themes"], written).await?;
                        next_analyze = written * 2;
                    }
                    if let Some(id) = job {
                        crate::jobs::progress(pool, id, run.items, total).await?;
                    }
                }
                continue;
            }
            match score_rx.recv().await {
                Some((batch_ids, batch_found)) => {
                    ids.extend(batch_ids);
                    found.extend(batch_found);
                }
                None => open = false,
            }
            // A full group, or what is left when the scoring ends.
            if ids.is_empty() || (open && ids.len() < RETAG_WRITE) {
                continue;
            }
            let (ids, found) = (std::mem::take(&mut ids), std::mem::take(&mut found));
            let counts = (
                ids.len(),
                super::items_with_a_suggestion(&found),
                found.len() as u64,
            );
            if dry_run {
                run.items += counts.0;
                run.tagged += counts.1;
                continue;
            }
            let pool = pool.clone();
            writes.spawn(async move {
                super::store(&pool, &ids, &found, true).await?;
                Ok::<_, anyhow::Error>(counts)
            });
        }
        Ok::<_, anyhow::Error>(())
    };
    let wrote = writing.await;
    if !dry_run {
        // Even when a write failed: what the committed writes left pending is counted now
        // (the worker's sweep would do it otherwise).
        let applied = super::db::apply_pending_rollups(pool).await?;
        tracing::debug!(applied, "rollup contributions of the retag applied");
    }
    wrote?;
    reader.await??;
    scorer.await??;
    if dry_run {
        return Ok(run);
    }
    // Tell the planner what changed, as after any bulk load (no page waits for autovacuum).
    crate::db::analyze_after_bulk(
        pool,
        &["feedback_themes", "theme_weekly", "theme_account_weekly"],
        written.max(run.items as u64),
    )
    .await?;
    // Queued tagging of items that existed when this run started is done now.
    let covered = crate::jobs::db::cover_queued(
        pool,
        &[super::RetagAll::NAME, crate::feedback::Arrived::NAME],
        covers_jobs_up_to,
        job,
    )
    .await?;
    if covered > 0 {
        tracing::info!(covered, "queued tagging jobs covered by this retag");
    }
    crate::audit::db::record_job_batch(pool, job, "retag job", run.audit_batch()).await?;
    Ok(run)
}

/// (ids of the batch, its suggestions grouped by item).
type Scored = (Vec<i64>, Vec<(i64, i64, f32)>);

/// The scoring function over `ways` slices of the batch at once, results in item order.
async fn score_parallel(
    pool: &PgPool,
    model: &std::sync::Arc<super::Tagger>,
    mut rows: Vec<super::db::TextRow>,
    ways: usize,
) -> anyhow::Result<Vec<(i64, i64, f32)>> {
    let per = rows.len().div_ceil(ways.max(1)).max(1);
    let mut parts = Vec::new();
    while rows.len() > per {
        let rest = rows.split_off(per);
        parts.push(spawn_classify(pool, model, rows));
        rows = rest;
    }
    parts.push(spawn_classify(pool, model, rows));
    let mut out = Vec::new();
    for p in parts {
        out.extend(p.await??);
    }
    Ok(out)
}

fn spawn_classify(
    pool: &PgPool,
    model: &std::sync::Arc<super::Tagger>,
    rows: Vec<super::db::TextRow>,
) -> tokio::task::JoinHandle<anyhow::Result<Vec<(i64, i64, f32)>>> {
    let (pool, model) = (pool.clone(), model.clone());
    tokio::spawn(async move { super::classify(&pool, model, rows).await })
}
