//! A retag of many items with the sentence encoder: the items are tagged together, in graphs of
//! their own with the themes' examples (`goldthread::tagging::batch`), on real support text.

use std::collections::HashMap;

use sqlx::PgPool;

use crate::helpers::{TestApp, feedback, tag, theme};
use crate::semantic::model;

/// `n` BANKING77 texts of each of these intents (CC BY 4.0, ../shared/data/banking77), in file
/// order.
fn banking77(intents: &[&str], n: usize) -> Vec<(String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/banking77/train.csv"
    );
    let mut rdr = csv::Reader::from_path(path).expect("../shared/data/banking77/train.csv");
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for row in rdr.records() {
        let row = row.unwrap();
        let (text, intent) = (row[0].to_string(), row[1].to_string());
        let seen = taken.entry(intent.clone()).or_default();
        if intents.contains(&intent.as_str()) && *seen < n {
            *seen += 1;
            out.push((text, intent));
        }
    }
    out
}

#[sqlx::test]
async fn a_retag_of_many_items_tags_them_together_and_leaves_the_unrelated_untagged(pool: PgPool) {
    if model("a_retag_of_many_items").is_none() {
        return;
    }
    let app = TestApp::new(pool).await;
    let themes: HashMap<&str, i64> = HashMap::from([
        (
            "card_arrival",
            theme(&app.pool, "Card arrival", "card arrival").await,
        ),
        (
            "change_pin",
            theme(&app.pool, "PIN change", "change pin").await,
        ),
        (
            "exchange_rate",
            theme(&app.pool, "Exchange rate", "exchange rate").await,
        ),
    ]);
    // 45 items of each theme's intent, and 30 about closing an account, which no theme covers:
    // more than a batch's minimum, so the retag assesses them together.
    let rows = banking77(
        &[
            "card_arrival",
            "change_pin",
            "exchange_rate",
            "terminate_account",
        ],
        45,
    );
    let mut items = Vec::new();
    for (i, (text, intent)) in rows.iter().enumerate() {
        if intent == "terminate_account" && items.iter().filter(|(_, k)| k == intent).count() >= 30
        {
            continue;
        }
        let id = feedback(&app.pool, "support", text, None, None, 1 + (i % 3) as i32).await;
        items.push((id, intent.clone()));
    }
    assert!(items.len() >= goldthread::tagging::batch::MIN_BATCH);
    // The PM confirmed five of each theme's items.
    let mut confirmed = Vec::new();
    for (intent, theme_id) in &themes {
        for (id, _) in items.iter().filter(|(_, k)| k == intent).take(5) {
            tag(&app.pool, *id, *theme_id, "confirmed").await;
            confirmed.push(*id);
        }
    }
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!(run.items, items.len());
    assert_eq!(run.embedded, items.len(), "every item embedded once");

    let best: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "select distinct on (feedback_id) feedback_id, theme_id from feedback_themes
         where state <> 'rejected' order by feedback_id, confidence desc",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let (mut right, mut in_scope, mut untagged, mut out_of_scope) = (0, 0, 0, 0);
    for (id, intent) in items.iter().filter(|(id, _)| !confirmed.contains(id)) {
        match themes.get(intent.as_str()) {
            Some(t) => {
                in_scope += 1;
                right += usize::from(best.get(id) == Some(t));
            }
            None => {
                out_of_scope += 1;
                untagged += usize::from(!best.contains_key(id));
            }
        }
    }
    assert!(
        right * 10 >= in_scope * 9,
        "{right} of {in_scope} items under their own theme"
    );
    assert!(
        untagged * 2 >= out_of_scope,
        "{untagged} of {out_of_scope} items about closing an account left untagged"
    );
    // People's decisions are untouched.
    assert_eq!(
        app.count("select count(*) from feedback_themes where state = 'confirmed'")
            .await,
        15
    );
}
