//! Large feedback imports (#14): read from disk in passes, committed set-based; every rollup,
//! snapshot and undo record comes out as a recount says, and a bad row anywhere changes nothing.

use goldthread::audit::Actor;
use goldthread::auth::Role;
use goldthread::imports::{self, ImportFile, Kind, Staged};
use sqlx::PgPool;

use crate::helpers::{
    TestApp, account, assert_nps_daily_matches, assert_rollups_match, feedback, tag, theme,
};

/// More rows than one commit statement takes, so the commit runs in several.
const ROWS: usize = 52_000;

fn write_file(app_db: &str, name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gt-bulk-{app_db}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn database(pool: &PgPool) -> String {
    sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// An item with an external id, as an earlier import would have left it.
async fn existing(
    pool: &PgPool,
    source: &str,
    ext: &str,
    account: Option<i64>,
    nps: Option<i16>,
) -> i64 {
    let id = feedback(
        pool,
        source,
        &format!("earlier text of {ext}"),
        account,
        nps,
        30,
    )
    .await;
    sqlx::query("update feedback set external_id = $2 where id = $1")
        .bind(id)
        .bind(ext)
        .execute(pool)
        .await
        .unwrap();
    id
}

/// The snapshot migration 0012's row trigger takes: the ARR valid at `received_at`, else the
/// earliest known, else what the item holds.
const TRIGGER_SNAPSHOT: &str = "
    select count(*) from feedback f
    left join lateral (select x.arr_cents from account_arr_history x
                       where x.account_id = f.account_id and x.valid_from <= f.received_at
                       order by x.valid_from desc, x.id desc limit 1) h on true
    left join lateral (select x.arr_cents from account_arr_history x
                       where x.account_id = f.account_id order by x.valid_from, x.id limit 1) h0 on true
    where f.account_id is not null and f.external_id like 'bulk-%'
      and f.arr_cents_snapshot is distinct from coalesce(h.arr_cents, h0.arr_cents)";

#[sqlx::test]
async fn a_large_import_from_disk_leaves_every_rollup_as_a_recount_would(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::ProductOps).await;
    let acme = account(&app.pool, "Acme", "smb", 1_000_000).await;
    let globex = account(&app.pool, "Globex", "enterprise", 9_000_000).await;
    // Acme's ARR changed twice in the year the file covers.
    sqlx::query(
        "insert into account_arr_history (account_id, arr_cents, currency, valid_from)
         values ($1, 400000, 'USD', now() - interval '300 days'),
                ($1, 700000, 'USD', now() - interval '100 days')",
    )
    .bind(acme)
    .execute(&app.pool)
    .await
    .unwrap();
    let cards = theme(&app.pool, "Cards", "card").await;
    let fees = theme(&app.pool, "Fees", "fee").await;
    // Items the file updates: tagged, one archived, one NPS answer that changes account.
    let mut updated = Vec::new();
    for i in 0..30 {
        let nps = (i % 3 == 0).then_some((i % 11) as i16);
        let source = if nps.is_some() {
            "nps"
        } else {
            ["support", "sales"][i % 2]
        };
        let acc = [Some(acme), Some(globex), None][i % 3];
        let id = existing(&app.pool, source, &format!("bulk-{i}"), acc, nps).await;
        tag(
            &app.pool,
            id,
            cards,
            ["suggested", "confirmed", "rejected"][i % 3],
        )
        .await;
        if i % 4 == 0 {
            tag(&app.pool, id, fees, "confirmed").await;
        }
        updated.push(id);
    }
    sqlx::query("update feedback set archived_at = now() where id = $1")
        .bind(updated[4])
        .execute(&app.pool)
        .await
        .unwrap();
    assert_rollups_match(&app.pool).await;

    let mut csv = String::from(
        "source,external_id,body,account_external_id,received_at,nps_score,reporter_email\n",
    );
    for i in 0..ROWS {
        let nps = (i % 3 == 0).then_some((i * 7) % 11);
        let source = if nps.is_some() {
            "nps"
        } else {
            ["support", "sales"][i % 2]
        };
        let acc = ["Acme", "Globex", ""][(i / 3) % 3];
        let day = (i * 13) % 360;
        let when = (time::OffsetDateTime::now_utc() - time::Duration::days(day as i64))
            .date()
            .to_string();
        // Every 40th row leaves the date out: new items arrive now, updated ones keep theirs.
        let when = if i % 40 == 1 { String::new() } else { when };
        let reporter = if i % 5 == 0 { user.email.as_str() } else { "" };
        csv.push_str(&format!(
            "{source},bulk-{i},\"row {i}: my card fee, \"\"again\"\"\",{acc},{when},{},{reporter}\n",
            nps.map(|n| n.to_string()).unwrap_or_default()
        ));
    }
    let db = database(&app.pool).await;
    let path = write_file(&db, "big.csv", &csv);
    let staged = imports::stage(
        &app.pool,
        Kind::Feedback,
        ImportFile::Path(path),
        "big.csv",
        None,
        &user,
        |_| {},
    )
    .await
    .unwrap();
    let Staged::Ready {
        batch_id,
        total_rows,
    } = staged
    else {
        panic!("not staged: {staged:?}");
    };
    assert_eq!(total_rows, ROWS);
    let queued = "select count(*) from jobs where kind = 'tag_feedback' and state = 'queued'";
    let jobs_before = app.count(queued).await;
    let done = imports::commit(&app.pool, batch_id, &Actor::User(&user), |_, _| {})
        .await
        .unwrap();
    assert_eq!((done.inserted, done.updated), (ROWS as i64 - 30, 30));

    assert_rollups_match(&app.pool).await;
    assert_nps_daily_matches(&app.pool).await;
    assert_eq!(
        app.count(TRIGGER_SNAPSHOT).await,
        0,
        "ARR snapshots as the row trigger takes them"
    );
    assert_eq!(
        app.count(
            "select count(*) from feedback where external_id like 'bulk-%' and archived_at is null"
        )
        .await,
        ROWS as i64,
        "the archived item the file names is back"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from feedback where external_id like 'bulk-%' and reporter_id = {}",
            user.id
        ))
        .await,
        ROWS.div_ceil(5) as i64
    );
    // A row without a date keeps an updated item's date (bulk-1 is 30 days old).
    assert_eq!(
        app.count("select count(*) from feedback where external_id = 'bulk-1' and received_at < now() - interval '29 days'").await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from import_changes where batch_id = {batch_id} and before is null"
        ))
        .await,
        ROWS as i64 - 30
    );
    assert_eq!(
        app.count(queued).await,
        jobs_before + 1,
        "the new items wait for the tagger"
    );
    assert_eq!(
        app.count("select count(*) from import_rows").await,
        0,
        "staging emptied"
    );

    let undone = imports::undo(&app.pool, batch_id, &Actor::User(&user))
        .await
        .unwrap()
        .expect("undoable");
    assert_eq!((undone.archived, undone.restored), (ROWS - 30, 30));
    assert_rollups_match(&app.pool).await;
    assert_nps_daily_matches(&app.pool).await;
    assert_eq!(
        app.count("select count(*) from feedback where body like 'earlier text of bulk-%'")
            .await,
        30,
        "updated items read as before"
    );
}

#[sqlx::test]
async fn bad_rows_deep_in_a_large_file_are_each_named_and_nothing_is_staged(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let user = app.user(Role::ProductOps).await;
    let mut csv = String::from("source,external_id,body\r\n");
    for i in 0..ROWS {
        csv.push_str(&format!("support,e-{i},\"text {i}\nacross two lines\"\r\n"));
    }
    csv.push_str("support,e-7,a repeat\r\nnowhere,e-x,unknown source\r\n");
    let db = database(&app.pool).await;
    let path = write_file(&db, "bad.csv", &csv);
    let staged = imports::stage(
        &app.pool,
        Kind::Feedback,
        ImportFile::Path(path),
        "bad.csv",
        None,
        &user,
        |_| {},
    )
    .await
    .unwrap();
    let Staged::Invalid { errors, total_rows } = staged else {
        panic!("not refused: {staged:?}");
    };
    assert_eq!(total_rows, ROWS + 2);
    // Each row takes two lines: the repeat starts on line 2 + 2 × ROWS.
    let repeat = 2 + 2 * ROWS as u64;
    let lines: Vec<(u64, Option<&str>)> = errors
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        lines,
        vec![(repeat, Some("external_id")), (repeat + 1, Some("source"))]
    );
    assert!(
        errors[0].message.ends_with("duplicate of line 16"),
        "{}",
        errors[0].message
    );
    assert_eq!(app.count("select count(*) from import_batches").await, 0);
    assert_eq!(app.count("select count(*) from import_rows").await, 0);
    assert_eq!(app.count("select count(*) from feedback").await, 0);
}
