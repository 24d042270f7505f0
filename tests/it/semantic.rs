//! The sentence encoder in the app: vectors stored once by the worker, retag reading them,
//! similar feedback, near-duplicate offers at the form, hybrid search, and the lexical fallback.
//!
//! Tests that need the model say SKIPPED without it, and fail under CI (`CI` set), where
//! `make test` installs it (scripts/ensure-model.sh).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use goldthread::auth::Role;
use goldthread::embeddings::{self, Semantic, with_encoder};
use sqlx::PgPool;

use crate::helpers::{TestApp, feedback, theme};

/// The process's encoder, or `None` (and the test is skipped) without a model outside CI.
pub(crate) fn model(test: &str) -> Option<Arc<Semantic>> {
    match embeddings::shared() {
        Some(s) => Some(s),
        None if std::env::var_os("CI").is_some() => {
            panic!("{test}: no sentence-encoder model under CI (scripts/ensure-model.sh)")
        }
        None => {
            eprintln!("SKIPPED {test}: no sentence-encoder model");
            None
        }
    }
}

async fn arrive(pool: &PgPool, ids: Vec<i64>) {
    goldthread::feedback::announce_arrival(pool, ids)
        .await
        .unwrap();
    let config = goldthread::config::Config::for_tests("postgres://unused");
    goldthread::worker::run_pending(pool, &config)
        .await
        .unwrap();
}

async fn embedded_at(pool: &PgPool) -> Vec<(i64, String, time::OffsetDateTime)> {
    sqlx::query_as("select feedback_id, model, embedded_at from feedback_embeddings order by 1")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn arriving_items_are_embedded_once_and_retag_reads_the_stored_vectors(pool: PgPool) {
    let Some(sem) = model("arriving_items_are_embedded_once") else {
        return;
    };
    let app = TestApp::new(pool).await;
    let cards = theme(&app.pool, "Card delivery", "card delivery, card arrival").await;
    let a = feedback(
        &app.pool,
        "support",
        "My new card still has not arrived after two weeks",
        None,
        None,
        1,
    )
    .await;
    let b = feedback(
        &app.pool,
        "support",
        "How do I change the PIN of my card",
        None,
        None,
        1,
    )
    .await;
    arrive(&app.pool, vec![a, b]).await;

    let first = embedded_at(&app.pool).await;
    assert_eq!(first.iter().map(|r| r.0).collect::<Vec<_>>(), [a, b]);
    assert!(first.iter().all(|r| r.1 == sem.model), "{first:?}");
    let stored: Vec<u8> =
        sqlx::query_scalar("select vector from feedback_embeddings where feedback_id = $1")
            .bind(a)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 384 * 4, "384 little-endian f32");
    let v = embeddings::decode(&stored);
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "unit vector, norm {norm}");

    // Nothing changed: a retag computes no vector and rewrites none.
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!((run.items, run.embedded), (2, 0));
    assert_eq!(embedded_at(&app.pool).await, first);
    let tagged: Vec<i64> =
        sqlx::query_scalar("select feedback_id from feedback_themes where theme_id = $1")
            .bind(cards)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(
        tagged.contains(&a),
        "the late card is about card delivery: {tagged:?}"
    );

    // An edit makes that one vector stale: the next retag embeds it alone.
    sqlx::query("update feedback set body = 'The replacement card never came' where id = $1")
        .bind(b)
        .execute(&app.pool)
        .await
        .unwrap();
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!(run.embedded, 1);
    let after = embedded_at(&app.pool).await;
    assert_eq!(after[0], first[0], "the unchanged item keeps its vector");
    assert!(after[1].2 > first[1].2);
}

#[sqlx::test]
async fn the_backfill_job_embeds_items_without_a_vector_with_progress(pool: PgPool) {
    if model("the_backfill_job").is_none() {
        return;
    }
    let app = TestApp::new(pool).await;
    for i in 0..40 {
        feedback(
            &app.pool,
            "support",
            &format!("Statement number {i} shows the wrong balance"),
            None,
            None,
            1,
        )
        .await;
    }
    // A vector from other weights is stale too.
    let old = feedback(
        &app.pool,
        "support",
        "Exchange rate was poor",
        None,
        None,
        1,
    )
    .await;
    sqlx::query("insert into feedback_embeddings (feedback_id, model, text_hash, vector) values ($1, 'other-model', 'x', '\\x00')")
        .bind(old)
        .execute(&app.pool)
        .await
        .unwrap();
    let job = embeddings::queue_backfill_if_needed(&app.pool)
        .await
        .unwrap()
        .expect("a job");
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    let (state, done, total): (String, i32, i32) =
        sqlx::query_as("select state, progress_done, progress_total from jobs where id = $1")
            .bind(job)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), done, total), ("done", 41, 41));
    assert_eq!(
        app.count("select count(*) from feedback_embeddings where model <> 'other-model'")
            .await,
        41
    );
    assert_eq!(
        embeddings::queue_backfill_if_needed(&app.pool)
            .await
            .unwrap(),
        None,
        "nothing left"
    );
}

#[sqlx::test]
async fn without_the_model_the_app_tags_by_words_and_says_so(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let cards = theme(&app.pool, "Card declined", "card declined, payment refused").await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let id = with_encoder(None, async {
        let id = feedback(
            &app.pool,
            "support",
            "My card declined at the shop",
            None,
            None,
            1,
        )
        .await;
        arrive(&app.pool, vec![id]).await;
        let page = pm.get("/themes").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("matching words only"), "{}", page.body);
        let item = pm.get(&format!("/feedback/{id}")).await;
        assert!(
            item.body.contains("needs the sentence-encoder model"),
            "{}",
            item.body
        );
        // Search is full-text only, and still works.
        let found = pm.get("/feedback?q=declined").await;
        assert!(
            found.body.contains(&format!("/feedback/{id}\"")),
            "{}",
            found.body
        );
        id
    })
    .await;
    assert_eq!(
        app.count("select count(*) from feedback_embeddings").await,
        0
    );
    let theme_of: Option<i64> =
        sqlx::query_scalar("select theme_id from feedback_themes where feedback_id = $1")
            .bind(id)
            .fetch_optional(&app.pool)
            .await
            .unwrap();
    assert_eq!(theme_of, Some(cards), "the lexical engine tags it");

    // With the model, the page does not warn.
    if model("without_the_model (with-model half)").is_some() {
        let page = pm.get("/themes").await;
        assert!(!page.body.contains("matching words only"));
    }
}

#[sqlx::test]
async fn the_item_page_lists_similar_feedback_by_meaning(pool: PgPool) {
    if model("the_item_page_lists_similar_feedback").is_none() {
        return;
    }
    let app = TestApp::new(pool).await;
    let late = feedback(
        &app.pool,
        "support",
        "My card has not arrived yet",
        None,
        None,
        3,
    )
    .await;
    let never = feedback(
        &app.pool,
        "sales",
        "The card they posted never came",
        None,
        None,
        2,
    )
    .await;
    let pin = feedback(
        &app.pool,
        "support",
        "I would like to export my invoices as a spreadsheet",
        None,
        None,
        1,
    )
    .await;
    arrive(&app.pool, vec![late, never, pin]).await;
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let page = viewer.get(&format!("/feedback/{late}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let similar = page
        .body
        .split("id=\"similar-head\"")
        .nth(1)
        .expect("a similar section");
    assert!(
        similar.contains(&format!("href=\"/feedback/{never}\"")),
        "{similar}"
    );
    assert!(
        !similar.contains(&format!("href=\"/feedback/{pin}\"")),
        "{similar}"
    );
    assert!(
        !similar.contains(&format!("href=\"/feedback/{late}\"")),
        "not itself"
    );
}

#[sqlx::test]
async fn the_form_offers_a_near_duplicate_of_the_same_account_and_logs_it_when_asked(pool: PgPool) {
    if model("the_form_offers_a_near_duplicate").is_none() {
        return;
    }
    let app = TestApp::new(pool).await;
    let acme = app.account("ACME-1", "Acme", 10_000, "smb").await;
    let other = app.account("GLOBEX-1", "Globex", 10_000, "smb").await;
    let first = feedback(
        &app.pool,
        "support",
        "Exporting a large report to CSV times out",
        Some(acme),
        None,
        2,
    )
    .await;
    let elsewhere = feedback(
        &app.pool,
        "support",
        "Exporting a large report to CSV times out",
        Some(other),
        None,
        2,
    )
    .await;
    arrive(&app.pool, vec![first, elsewhere]).await;
    let (mut rep, _) = app.signed_in(Role::Revenue).await;
    let before = app.count("select count(*) from feedback").await;
    let form = [
        ("source", "sales"),
        ("account", "Acme"),
        ("body", "The CSV export of big reports keeps timing out"),
    ];
    let offered = rep.post_form("/feedback", &form).await;
    assert_eq!(offered.status, StatusCode::OK, "{}", offered.body);
    assert!(
        offered.body.contains(&format!(
            "This looks like <a href=\"/feedback/{first}\">#{first}</a> from the same account"
        )),
        "{}",
        offered.body
    );
    assert!(
        !offered.body.contains(&format!("#{elsewhere}<")),
        "another account's item is not offered"
    );
    assert!(
        offered
            .body
            .contains("The CSV export of big reports keeps timing out"),
        "the typed text is kept"
    );
    assert_eq!(
        app.count("select count(*) from feedback").await,
        before,
        "nothing logged silently"
    );

    let mut anyway = form.to_vec();
    anyway.push(("duplicate_ok", "1"));
    let logged = rep.post_form("/feedback", &anyway).await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.body);
    assert_eq!(app.count("select count(*) from feedback").await, before + 1);

    // Something new from the same account is logged straight away.
    let fresh = rep
        .post_form(
            "/feedback",
            &[
                ("source", "sales"),
                ("account", "Acme"),
                ("body", "Please add dark mode to the mobile app"),
            ],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::SEE_OTHER, "{}", fresh.body);
}

#[sqlx::test]
async fn the_api_offers_near_duplicates_of_the_same_account_and_still_writes(pool: PgPool) {
    if model("the_api_offers_near_duplicates").is_none() {
        return;
    }
    let app = TestApp::new(pool).await;
    let acme = app.account("ACME-1", "Acme", 10_000, "smb").await;
    let other = app.account("GLOBEX-1", "Globex", 10_000, "smb").await;
    let text = "Exporting a large report to CSV times out";
    let first = feedback(&app.pool, "support", text, Some(acme), None, 2).await;
    let elsewhere = feedback(&app.pool, "support", text, Some(other), None, 2).await;
    arrive(&app.pool, vec![first, elsewhere]).await;
    let (token, _) = app.token(Role::Revenue).await;
    let mut api = app.client();
    let before = app.count("select count(*) from feedback").await;
    let body = serde_json::json!({"source": "sales", "account_external_id": "ACME-1",
        "external_id": "call-7", "body": "The CSV export of big reports keeps timing out"});
    let res = api
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(body.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let written: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    let offered: Vec<i64> = written["looks_like"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(offered, vec![first], "{}", res.body);
    assert!(written["looks_like"][0]["percent"].as_i64().unwrap() >= 80);
    assert_eq!(
        app.count("select count(*) from feedback").await,
        before + 1,
        "offered, and written all the same"
    );

    // Sending the same item again updates it: a known repeat, nothing offered.
    let again = api
        .api(Method::POST, "/api/v1/feedback", Some(&token), Some(body))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let again: serde_json::Value = serde_json::from_str(&again.body).unwrap();
    assert_eq!(again["looks_like"], serde_json::json!([]));

    // Something new from the same account: nothing offered.
    let fresh = api
        .api(
            Method::POST,
            "/api/v1/feedback",
            Some(&token),
            Some(
                serde_json::json!({"source": "sales", "account_external_id": "ACME-1",
                "body": "Please add dark mode to the mobile app"}),
            ),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.body);
    let fresh: serde_json::Value = serde_json::from_str(&fresh.body).unwrap();
    assert_eq!(fresh["looks_like"], serde_json::json!([]));
}

#[sqlx::test]
async fn hybrid_search_finds_a_paraphrase_that_full_text_misses(pool: PgPool) {
    if model("hybrid_search_finds_a_paraphrase").is_none() {
        return;
    }
    let app = TestApp::new(pool).await;
    let late = feedback(
        &app.pool,
        "support",
        "My card has not arrived",
        None,
        None,
        2,
    )
    .await;
    let other = feedback(
        &app.pool,
        "support",
        "Please add dark mode to the mobile app",
        None,
        None,
        1,
    )
    .await;
    let exact = feedback(
        &app.pool,
        "support",
        "The card never came in the post",
        None,
        None,
        1,
    )
    .await;
    arrive(&app.pool, vec![late, other, exact]).await;
    let (token, _) = app.token(Role::Viewer).await;
    let mut api = app.client();
    let search = |q: &'static str| format!("/api/v1/feedback?q={}", q.replace(' ', "+"));
    let ids = |res: crate::helpers::TestResponse| -> Vec<i64> {
        res.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let res = api
        .api(
            axum::http::Method::GET,
            &search("card never came"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let found = ids(res);
    assert_eq!(
        found.first(),
        Some(&exact),
        "the word match that also means it ranks first: {found:?}"
    );
    assert!(found.contains(&late), "the paraphrase is found: {found:?}");
    assert!(!found.contains(&other), "{found:?}");

    // Full-text alone misses it.
    let words_only = with_encoder(
        None,
        api.api(
            axum::http::Method::GET,
            &search("card never came"),
            Some(&token),
            None,
        ),
    )
    .await;
    assert_eq!(ids(words_only), [exact]);

    // The page shows it too.
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let page = viewer.get("/feedback?q=card+never+came").await;
    assert!(
        page.body.contains(&format!("/feedback/{late}\"")),
        "{}",
        page.body
    );
}

#[sqlx::test]
async fn emerging_themes_cluster_by_meaning_with_clean_labels(pool: PgPool) {
    if model("emerging_themes_cluster_by_meaning").is_none() {
        return;
    }
    let app = TestApp::new(pool).await;
    let groups = [
        [
            "What's the exchange rate for euros?",
            "Don't understand the currency conversion fee",
            "Why was my exchange rate so bad?",
            "The currency exchange rate was wrong",
            "What rate do you use to convert dollars?",
            "Exchange rates changed between payment and settlement",
        ],
        [
            "Don't recognize this payment on my statement",
            "There is a payment I didn't make",
            "Someone made a card payment I don't recognize",
            "Unknown transaction on my account",
            "I did not authorise this charge",
            "Strange payment I never made",
        ],
    ];
    let mut ids = Vec::new();
    for g in groups {
        for t in g {
            ids.push(feedback(&app.pool, "support", t, None, None, 1).await);
        }
    }
    arrive(&app.pool, ids).await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let page = pm.get("/themes/emerging").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("No emerging themes"), "{}", page.body);
    let labels: Vec<&str> = page
        .body
        .split("<h2")
        .skip(1)
        .filter_map(|h| h.split('>').nth(1)?.split('<').next())
        .collect();
    assert!(!labels.is_empty(), "{}", page.body);
    for l in &labels {
        let lower = l.to_lowercase();
        for bad in ["what", "don", "'", "&#x27;", "the ", "my "] {
            assert!(!lower.contains(bad), "label {l:?} has {bad:?}");
        }
    }
}
