//! What a person does, in a real headless Chromium driven through chromedriver.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use goldthread::AppState;
use goldthread::config::Config;
use sqlx::PgPool;

/// A real server on an ephemeral port.
pub async fn serve(pool: PgPool, demo: bool) -> SocketAddr {
    goldthread::db::migrate(&pool).await.expect("migrate");
    let mut config = Config::for_tests("postgres://unused");
    config.demo = demo;
    let app = goldthread::server::app(AppState::new(config, pool));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    addr
}

/// chromedriver on a free port, killed when dropped.
pub struct Browser {
    driver: Child,
    pub client: Client,
}

impl Browser {
    pub async fn start() -> Browser {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver} ({e}); `make test` installs it")
            });
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile = std::env::temp_dir().join(format!("goldthread-chromium-{port}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        let mut last_err = None;
        for _ in 0..50 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => return Browser { driver, client },
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("chromedriver did not accept a session: {last_err:?}");
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn close(self) {
        let Browser { mut driver, client } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
    }
}

#[sqlx::test]
async fn a_demo_user_signs_in_sees_their_home_and_signs_out(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    let addr = serve(pool, true).await;
    let browser = Browser::start().await;
    let c = &browser.client;

    // Going to an admin page first: sent to sign-in.
    c.goto(&format!("http://{addr}/admin/users")).await.unwrap();
    assert_eq!(browser.text("h1").await, "Sign in to Goldthread");

    // One click as the product manager.
    c.find(Locator::Css("button[data-role='pm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await, "Welcome, Priya");
    let lede = browser.text("p.lede").await;
    assert!(lede.contains("Product manager"), "{lede}");
    let nav = browser.text("nav.mainnav").await;
    assert!(!nav.contains("Admin"), "a PM sees no admin section: {nav}");

    // Sign out, then sign in with email and password as the admin.
    c.find(Locator::Css("form[action='/signout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await, "Sign in to Goldthread");
    c.goto(&format!("http://{addr}/")).await.unwrap();
    assert_eq!(
        browser.text("h1").await,
        "Sign in to Goldthread",
        "signed out for real"
    );

    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("admin@example.com")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(goldthread::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css("form[action='/signin'] button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await, "Welcome, Sam");
    let nav = browser.text("nav.mainnav").await;
    assert!(nav.contains("Admin"), "{nav}");

    browser.close().await;
}

#[sqlx::test]
async fn a_revenue_user_logs_feedback_with_the_quick_form_and_finds_it_by_searching(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    sqlx::query("insert into accounts (external_id, name, domain, arr_cents, segment) values ('globex', 'Globex Corporation', 'globex.example', 250000000, 'enterprise')")
        .execute(&pool)
        .await
        .unwrap();
    let addr = serve(pool.clone(), true).await;
    let browser = Browser::start().await;
    let c = &browser.client;

    c.goto(&format!("http://{addr}/signin")).await.unwrap();
    c.find(Locator::Css("button[data-role='revenue']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await, "Welcome, Riley");

    c.goto(&format!("http://{addr}/feedback/new"))
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await, "Log feedback");
    // Keyboard only: the text area has focus; type, tab to the account, type, submit with Enter.
    let body = c.find(Locator::Id("body")).await.unwrap();
    body.send_keys("Their treasurer wants scheduled multi-currency payouts every Friday")
        .await
        .unwrap();
    let account = c.find(Locator::Id("account")).await.unwrap();
    account.send_keys("Globex Corporation").await.unwrap();
    c.find(Locator::Id("title"))
        .await
        .unwrap()
        .send_keys("Scheduled payouts\u{E007}")
        .await
        .unwrap();
    let flash = browser.text(".flash.success").await;
    assert!(flash.contains("Feedback logged"), "{flash}");

    c.goto(&format!("http://{addr}/feedback")).await.unwrap();
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("payout\u{E007}")
        .await
        .unwrap();
    let first = browser.text("table.feedback-list tbody tr").await;
    assert!(first.contains("Scheduled payouts"), "{first}");
    assert!(first.contains("Globex Corporation"), "{first}");
    let marked = browser.text("table.feedback-list mark").await;
    assert_eq!(marked.to_lowercase(), "payouts");
    let url = c.current_url().await.unwrap();
    assert!(
        url.as_str().contains("q=payout"),
        "the search lives in the URL: {url}"
    );

    browser.close().await;
}
