//! A guide's life in a real browser: a product ops lead edits, previews and submits; an
//! approver publishes; a sales user sees only what changed since their acknowledgement and
//! acknowledges again.

use fantoccini::Locator;
use goldthread::audit::Actor;
use goldthread::launches::edit;
use goldthread::launches::guide::GuideContent;
use sqlx::PgPool;

async fn demo_user(pool: &PgPool, email: &str) -> goldthread::auth::User {
    goldthread::auth::db::find_by_email(pool, email)
        .await
        .unwrap()
        .unwrap()
}

#[sqlx::test]
async fn launches_ops_edits_previews_submits_admin_publishes_sales_sees_changes_and_acknowledges(
    pool: PgPool,
) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    let ops = demo_user(&pool, "ops@example.com").await;
    let admin = demo_user(&pool, "admin@example.com").await;
    let sales = demo_user(&pool, "sales@example.com").await;
    let id = crate::launches::launch(&pool, "Virtual cards", &[]).await;
    let first = GuideContent {
        value: "Create a virtual card in seconds.".into(),
        sales: "Lead with control over spend.".into(),
        ..Default::default()
    };
    edit::save_guide(&pool, &Actor::User(&ops), id, None, &first, "first", false)
        .await
        .unwrap();
    edit::submit(&pool, &Actor::User(&ops), id, Some(admin.id))
        .await
        .unwrap();
    edit::approve(&pool, &Actor::User(&admin), id)
        .await
        .unwrap();
    edit::acknowledge(&pool, &sales, id, Some(1)).await.unwrap();

    let addr = crate::browser::serve(pool.clone(), true).await;
    let browser = crate::browser::Browser::start().await;
    let c = &browser.client;
    let b = &browser;
    let sign_in_as = |role: &'static str| async move {
        c.goto(&format!("http://{addr}/signin")).await.unwrap();
        c.find(Locator::Css(&format!("button[data-role='{role}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.see_containing("h1", "Welcome").await;
    };
    let sign_out = || async move {
        c.find(Locator::Css("form[action='/signout'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.see_containing("h1", "Sign in").await;
    };

    // The product ops lead edits the sales section, previews, saves and submits.
    sign_in_as("product_ops").await;
    c.goto(&format!("http://{addr}/launches/{id}/guide/edit"))
        .await
        .unwrap();
    let sales_field = c
        .wait()
        .at_most(std::time::Duration::from_secs(60))
        .for_element(Locator::Id("sales"))
        .await
        .unwrap();
    sales_field.clear().await.unwrap();
    sales_field
        .send_keys("Lead with control over spend, and offer single-use cards for every supplier.")
        .await
        .unwrap();
    c.find(Locator::Id("note"))
        .await
        .unwrap()
        .send_keys("Single-use cards")
        .await
        .unwrap();
    c.find(Locator::Css("button[value='preview']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .see_containing("#preview", "single-use cards for every supplier")
        .await;
    c.find(Locator::Css("button[value='save']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .see_containing(".flash", "Saved revision 2 as a draft")
        .await;
    c.find(Locator::Css(&format!(
        "#reviewer_id option[value='{}']",
        admin.id
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.find(Locator::Css("form[action$='/guide/submit'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .see_containing(".flash", "Submitted for review")
        .await;
    browser.see("#guide-state", "In review").await;
    sign_out().await;

    // The approver publishes.
    sign_in_as("admin").await;
    c.goto(&format!("http://{addr}/launches/{id}/guide"))
        .await
        .unwrap();
    c.wait()
        .at_most(std::time::Duration::from_secs(60))
        .for_element(Locator::Css("form[action$='/guide/approve'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .see_containing(".flash", "Published revision 2")
        .await;
    sign_out().await;

    // The sales user sees what changed since revision 1, and acknowledges.
    sign_in_as("revenue").await;
    c.goto(&format!("http://{addr}/launches/{id}/guide"))
        .await
        .unwrap();
    browser
        .see_containing(
            "#ack-head",
            "The guide changed since you acknowledged revision 1",
        )
        .await;
    let inserted = browser.text("#ack ins").await;
    assert!(
        inserted.contains("single-use cards for every supplier"),
        "{inserted}"
    );
    let own = browser.text("#sec-own").await;
    assert_eq!(
        own, "How sales changes",
        "the reader's own section comes first"
    );
    c.find(Locator::Css("#ack form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .see_containing(".flash", "you acknowledged revision 2")
        .await;
    browser
        .see_containing("#ack", "You acknowledged this guide (revision 2)")
        .await;
    browser.close().await;
}
