//! In a real browser: a sales user asks product a question from their home page, a PM answers
//! it, and the dashboard shows it answered, with its minutes.

use fantoccini::Locator;
use sqlx::PgPool;

#[sqlx::test]
async fn a_sales_user_asks_a_pm_answers_and_the_dashboard_shows_it(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
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

    // The sales user types the question in the home page's quick box.
    sign_in_as("revenue").await;
    let question = "Which of my accounts are affected by the new approval rules, and what do we tell them before renewal?";
    c.find(Locator::Id("quick-question"))
        .await
        .unwrap()
        .send_keys(question)
        .await
        .unwrap();
    c.find(Locator::Css(
        "#home-quick form[action='/questions'] button[type='submit']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    b.see_containing(".flash, [role='status']", "Question logged as readiness")
        .await;
    let url = c.current_url().await.unwrap().to_string();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    b.see_containing("#home-my-questions, #answer", "Not answered yet")
        .await;
    sign_out().await;

    // The PM finds it on the dashboard among the questions waiting, and answers it.
    sign_in_as("pm").await;
    c.goto(&format!("http://{addr}/questions")).await.unwrap();
    b.see("#stat-open", "1").await;
    c.find(Locator::Css(&format!(
        "#open-head + ul a[href='/questions/{id}']"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    b.see_containing("h1", &format!("Question #{id}")).await;
    c.find(Locator::Id("answer-text"))
        .await
        .unwrap()
        .send_keys("Send them the **rollout note**; the list is on the launch page.")
        .await
        .unwrap();
    c.find(Locator::Id("minutes"))
        .await
        .unwrap()
        .send_keys("15")
        .await
        .unwrap();
    c.find(Locator::Css(
        "form[action$='/answer'] button[type='submit']",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    b.see_containing(".prose strong", "rollout note").await;

    // The dashboard shows it answered: nothing open, this month's readiness share and PM time.
    c.goto(&format!("http://{addr}/questions")).await.unwrap();
    b.see("#stat-open", "0").await;
    b.see("#stat-share", "100 %").await;
    let recent = b
        .see_containing("#recent-head + div", "approval rules")
        .await;
    assert!(recent.contains("Readiness"), "{recent}");
    let pm_time = b.see_containing("#by-pm", "15").await;
    assert!(pm_time.contains("1"), "{pm_time}");
    browser.close().await;
}
