//! Tagging with the sentence encoder on real support text: the items being tagged join graphs
//! of their own with the themes' examples (`goldthread::tagging::batch`), a retag's thousands
//! and a single arrival alike.

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

/// Items (id, intent) and the ids people confirmed, with the themes (intent → id).
struct Setup {
    app: TestApp,
    themes: HashMap<&'static str, i64>,
    items: Vec<(i64, String)>,
    confirmed: Vec<i64>,
}

/// Three themes, 45 items of each theme's intent and 30 about closing an account (which no
/// theme covers), five of each theme's items confirmed.
async fn setup(pool: PgPool) -> Setup {
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
    // The PM confirmed five of each theme's items.
    let mut confirmed = Vec::new();
    for (intent, theme_id) in &themes {
        for (id, _) in items.iter().filter(|(_, k)| k == intent).take(5) {
            tag(&app.pool, *id, *theme_id, "confirmed").await;
            confirmed.push(*id);
        }
    }
    Setup {
        app,
        themes,
        items,
        confirmed,
    }
}

/// Each item's best theme that is not rejected.
async fn best_themes(pool: &PgPool) -> HashMap<i64, i64> {
    sqlx::query_as::<_, (i64, i64)>(
        "select distinct on (feedback_id) feedback_id, theme_id from feedback_themes
         where state <> 'rejected' order by feedback_id, confidence desc",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

#[sqlx::test]
async fn a_retag_of_many_items_tags_them_together_and_leaves_the_unrelated_untagged(pool: PgPool) {
    if model("a_retag_of_many_items").is_none() {
        return;
    }
    let Setup {
        app,
        themes,
        items,
        confirmed,
    } = setup(pool).await;
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!(run.items, items.len());
    assert_eq!(run.embedded, items.len(), "every item embedded once");

    let best = best_themes(&app.pool).await;
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

#[sqlx::test]
async fn items_arriving_one_at_a_time_are_tagged_in_a_graph_of_recent_items(pool: PgPool) {
    if model("items_arriving_one_at_a_time").is_none() {
        return;
    }
    let Setup { app, themes, .. } = setup(pool).await;
    goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    // Texts of the same intents the hub has not seen, each arriving on its own (as from the
    // form or a webhook) and tagged by the arrival job's code.
    let fresh: Vec<(String, String)> = banking77(
        &[
            "card_arrival",
            "change_pin",
            "exchange_rate",
            "terminate_account",
        ],
        51,
    )
    .into_iter()
    .scan(HashMap::<String, usize>::new(), |seen, (text, intent)| {
        let n = seen.entry(intent.clone()).or_default();
        *n += 1;
        Some((*n > 45).then_some((text, intent)))
    })
    .flatten()
    .collect();
    assert_eq!(fresh.len(), 24);
    let (mut right, mut in_scope, mut untagged, mut out_of_scope) = (0, 0, 0, 0);
    for (text, intent) in &fresh {
        let id = feedback(&app.pool, "support", text, None, None, 2).await;
        let run = goldthread::themes::tagging::tag_feedback_now(&app.pool, &[id])
            .await
            .unwrap();
        assert_eq!((run.items, run.embedded), (1, 1), "{text}");
        let best = best_themes(&app.pool).await;
        match themes.get(intent.as_str()) {
            Some(t) => {
                in_scope += 1;
                right += usize::from(best.get(&id) == Some(t));
            }
            None => {
                out_of_scope += 1;
                untagged += usize::from(!best.contains_key(&id));
            }
        }
    }
    assert!(
        right * 10 >= in_scope * 9,
        "{right} of {in_scope} arrivals under their own theme"
    );
    assert!(
        untagged * 2 >= out_of_scope,
        "{untagged} of {out_of_scope} arrivals about closing an account left untagged"
    );
}
