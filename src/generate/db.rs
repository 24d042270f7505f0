//! Writing generated volume: accounts by bulk upsert, feedback by parallel `COPY … FROM STDIN`.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;

use super::{FEEDBACK_COLUMNS, FeedbackGen, Pool};

/// Bytes buffered before each send to the server.
const SEND_BYTES: usize = 1 << 20;

/// What a run wrote and how long it took.
#[derive(Debug, Clone)]
pub struct Report {
    pub accounts: u64,
    pub feedback: u64,
    pub elapsed: Duration,
}

/// Accounts rows may attach to: the generated ones (by external id prefix), or any.
#[tracing::instrument(skip_all)]
async fn account_refs(
    pool: &PgPool,
    prefix: Option<&str>,
) -> sqlx::Result<Vec<(i64, i64, String, String)>> {
    let rows = sqlx::query!(
        r#"select id, coalesce(arr_cents, 0) as "arr_cents!", currency, coalesce(domain, 'example.com') as "domain!"
           from accounts
           where ($1::text is null or external_id like $1 || '%')
           order by id limit 100000"#,
        prefix
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.arr_cents, r.currency, r.domain))
        .collect())
}

#[tracing::instrument(skip_all)]
async fn reporter_ids(pool: &PgPool) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!("select id from users where disabled_at is null order by id limit 50")
        .fetch_all(pool)
        .await
}

/// One worker: rows `start..end` through one `COPY` (one transaction).
#[tracing::instrument(skip_all)]
async fn copy_range(
    pool: PgPool,
    shared: Arc<Pool>,
    seed: u64,
    start: u64,
    end: u64,
    done: Arc<AtomicU64>,
) -> anyhow::Result<u64> {
    let mut tx = pool.begin().await?;
    // A larger GIN pending list batches the full-text index updates (~20 % faster for 1M rows);
    // nothing waits on this commit being flushed.
    sqlx::Executor::execute(
        &mut *tx,
        "set local gin_pending_list_limit = '64MB'; set local synchronous_commit = off",
    )
    .await?;
    let statement = format!("copy feedback ({FEEDBACK_COLUMNS}) from stdin");
    let mut copy = tx.copy_in_raw(&statement).await?;
    let mut rows_gen = FeedbackGen::new(shared, seed);
    let mut buf = String::with_capacity(SEND_BYTES + 64 * 1024);
    let mut pending = 0u64;
    for i in start..end {
        rows_gen.write_row(i, &mut buf);
        pending += 1;
        if buf.len() >= SEND_BYTES {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
            done.fetch_add(pending, Ordering::Relaxed);
            pending = 0;
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_bytes()).await?;
    }
    let rows = copy.finish().await?;
    tx.commit().await?;
    done.fetch_add(pending, Ordering::Relaxed);
    Ok(rows)
}

fn is_deadlock(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .and_then(|d| d.code())
            .is_some_and(|c| c == "40P01")
    })
}

/// Writes `accounts` new accounts (when 0, rows attach to existing ones) and `feedback` rows
/// using `jobs` parallel COPY streams, printing progress to stderr when `progress` is set.
#[tracing::instrument(skip_all)]
pub async fn run(
    pool: &PgPool,
    feedback: u64,
    accounts: usize,
    seed: u64,
    jobs: usize,
    progress: bool,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let tag = format!("{:x}", now.unix_timestamp_nanos() / 1_000_000);
    let mut written_accounts = 0;
    let prefix = if accounts > 0 {
        let new = super::accounts(accounts, &tag, seed);
        let mut tx = pool.begin().await?;
        let (inserted, updated) = crate::accounts::db::upsert_many(&mut tx, &new)
            .await
            .context("writing generated accounts")?;
        tx.commit().await?;
        written_accounts = inserted + updated;
        if progress {
            eprintln!("accounts: {written_accounts} written");
        }
        Some(format!("gen-{tag}-a"))
    } else {
        None
    };
    let refs = account_refs(pool, prefix.as_deref()).await?;
    let reporters = reporter_ids(pool).await?;
    let shared = Arc::new(Pool::new(refs, reporters, &tag, now.unix_timestamp()));
    let done = Arc::new(AtomicU64::new(0));
    let jobs = jobs.clamp(1, 16) as u64;
    let per = feedback.div_ceil(jobs);
    let mut workers = Vec::new();
    for k in 0..jobs {
        let (start, end) = (k * per, ((k + 1) * per).min(feedback));
        if start >= end {
            continue;
        }
        let (pool, shared, done) = (pool.clone(), shared.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            // Parallel COPYs touch the same per-account NPS rollup rows in different orders, so
            // PostgreSQL may pick one as a deadlock victim: its transaction rolled back whole, so
            // running the same range again is safe.
            let mut tries = 0;
            loop {
                let result = copy_range(
                    pool.clone(),
                    shared.clone(),
                    seed.wrapping_add(k * 7919),
                    start,
                    end,
                    done.clone(),
                )
                .await;
                match result {
                    Err(e) if tries < 3 && is_deadlock(&e) => tries += 1,
                    other => break other,
                }
            }
        }));
    }
    let ticker = progress.then(|| {
        let done = done.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(500));
            loop {
                every.tick().await;
                let n = done.load(Ordering::Relaxed);
                let secs = started.elapsed().as_secs_f64().max(0.001);
                eprint!(
                    "\rfeedback: {n}/{feedback} rows ({:.0} rows/s)   ",
                    n as f64 / secs
                );
                let _ = std::io::stderr().flush();
            }
        })
    });
    let mut rows = 0;
    let mut failure = None;
    for w in workers {
        match w.await {
            Ok(Ok(n)) => rows += n,
            Ok(Err(e)) => failure = Some(e),
            Err(e) => failure = Some(anyhow::anyhow!("a COPY worker stopped: {e}")),
        }
    }
    if let Some(t) = ticker {
        t.abort();
        eprintln!();
    }
    if let Some(e) = failure {
        return Err(e.context(format!(
            "generating feedback ({rows} rows written by the workers that finished)"
        )));
    }
    // The planner should know the tables grew before the first page is served.
    crate::db::analyze_after_bulk(
        pool,
        &[
            "feedback",
            "account_nps_weekly",
            "nps_daily",
            "accounts",
            "account_arr_history",
        ],
        rows + written_accounts,
    )
    .await?;
    Ok(Report {
        accounts: written_accounts,
        feedback: rows,
        elapsed: started.elapsed(),
    })
}
