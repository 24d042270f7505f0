//! Themes in a real browser: a PM confirms a suggestion and sees the count change; one key confirms.

use fantoccini::Locator;
use sqlx::PgPool;

use crate::helpers::{feedback, theme};

#[sqlx::test]
async fn a_pm_confirms_a_suggested_tag_in_the_browser_and_sees_the_count_change(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    let id = theme(&pool, "Card declined", "card declined, card refused").await;
    feedback(
        &pool,
        "support",
        "My card declined at the petrol station",
        None,
        None,
        1,
    )
    .await;
    goldthread::themes::retag_all(&pool, None).await.unwrap();
    let addr = crate::browser::serve(pool, true).await;
    let browser = crate::browser::Browser::start().await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/themes/{id}")).await.unwrap();
    c.find(Locator::Css("button[data-role='pm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Welcome, Priya").await;
    c.find(Locator::Css("nav.mainnav a[href='/themes']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Themes").await;
    c.find(Locator::LinkText("Card declined"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Card declined").await;
    browser.see("#stat-items", "1").await;
    browser
        .see("#stat-confirmed", "0 confirmed by people")
        .await;
    c.find(Locator::Css("button[data-action='confirm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see_containing(".flash", "Confirmed 1 tag.").await;
    browser
        .see("#stat-confirmed", "1 confirmed by people")
        .await;
    browser.close().await;
}

/// "c" confirms the selected row, and the page comes back with the selection on the next row
/// (the one that took its place), not at the top; each row links to its item.
#[sqlx::test]
async fn one_keystroke_confirms_in_the_review_queue_and_the_selection_moves_on(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    theme(&pool, "Card declined", "card declined, card refused").await;
    for (source, body, days) in [
        ("support", "My card declined at the petrol station", 1),
        ("sales", "card refused when paying a supplier", 2),
        ("success", "their card declined twice at the airport", 3),
    ] {
        feedback(&pool, source, body, None, None, days).await;
    }
    goldthread::themes::retag_all(&pool, None).await.unwrap();
    let check = pool.clone();
    let addr = crate::browser::serve(pool, true).await;
    let browser = crate::browser::Browser::start().await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/signin")).await.unwrap();
    c.find(Locator::Css("button[data-role='pm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Welcome, Priya").await;
    c.goto(&format!("http://{addr}/themes/review"))
        .await
        .unwrap();
    browser
        .see_containing("main", "Showing 3 of 3 suggestions")
        .await;
    c.wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css("tr[data-review-item].is-current"))
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("tr[data-review-item]"))
        .await
        .unwrap();
    let third = rows[2].text().await.unwrap();
    let link = rows[0]
        .find(Locator::Css("a[href^='/feedback/']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert!(link.is_some(), "each row links to its item");
    // j moves to the second row, c confirms it.
    let body = c.find(Locator::Css("body")).await.unwrap();
    body.send_keys("j").await.unwrap();
    body.send_keys("c").await.unwrap();
    browser.see_containing(".flash", "Confirmed 1 tag.").await;
    browser
        .see_containing("main", "Showing 2 of 2 suggestions")
        .await;
    let confirmed: i64 =
        sqlx::query_scalar("select count(*) from feedback_themes where state = 'confirmed'")
            .fetch_one(&check)
            .await
            .unwrap();
    assert_eq!(confirmed, 1);
    let current = c
        .wait()
        .at_most(std::time::Duration::from_secs(30))
        .for_element(Locator::Css("tr[data-review-item].is-current"))
        .await
        .unwrap();
    assert_eq!(
        current.text().await.unwrap(),
        third,
        "the selection is on the row after the decided one"
    );
    browser.close().await;
}
