//! What a person does, in a real headless Chromium driven through chromedriver.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use goldthread::AppState;
use goldthread::config::Config;
use sqlx::PgPool;

/// A real server on an ephemeral port.
pub async fn serve(pool: PgPool, demo: bool) -> SocketAddr {
    goldthread::db::migrate(&pool).await.expect("migrate");
    let mut config = Config::for_tests("postgres://unused");
    config.demo = demo;
    let app = goldthread::router::app(AppState::new(config, pool));
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
    profile: PathBuf,
}

/// How long a page may take to show what a test expects. Generous: CI runs every test at once
/// on two cores, and a browser starting there is slow. A wait ends as soon as the page is right.
const WAIT: Duration = Duration::from_secs(30);

impl Browser {
    pub async fn start() -> Browser {
        Self::start_at(1280).await
    }

    /// A browser whose page is `width` CSS pixels wide (narrow ones emulate a phone, since a
    /// desktop window cannot be made that narrow).
    pub async fn start_at(width: u32) -> Browser {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver} ({e}); `make test` installs it")
            });
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let profile =
            std::env::temp_dir().join(format!("goldthread-chromium-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", format!("--window-size={},900", width.max(500)),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        if width < 500
            && let Some(options) = caps
                .get_mut("goog:chromeOptions")
                .and_then(|o| o.as_object_mut())
        {
            options.insert(
                "mobileEmulation".into(),
                serde_json::json!({"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 1}}),
            );
        }
        let mut last_err = None;
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    return Browser {
                        driver,
                        client,
                        profile,
                    };
                }
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        let _ = driver.kill();
        let _ = driver.wait();
        panic!("chromedriver did not accept a session: {last_err:?}");
    }

    /// The text of the first element matching `css`, waiting for it to exist. Only for a page
    /// already known to be the current one: after a click, use [`Browser::see`], because the
    /// old page stays readable until the new one replaces it.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Waits until the first element matching `css` reads exactly `expected`.
    pub async fn see(&self, css: &str, expected: &str) {
        self.wait_for_text(css, &format!("exactly {expected:?}"), |t| t == expected)
            .await;
    }

    /// Waits until the first element matching `css` contains `needle`; answers its text.
    pub async fn see_containing(&self, css: &str, needle: &str) -> String {
        self.wait_for_text(css, &format!("text containing {needle:?}"), |t| {
            t.contains(needle)
        })
        .await
    }

    async fn wait_for_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            // A navigation can replace the element between finding and reading it; try again.
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if ok(&text) {
                    return text;
                }
                last = Some(text);
            }
            if Instant::now() >= deadline {
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!("waited {WAIT:?} for {css} to show {what}; last saw {last:?} at {url:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn close(self) {
        let Browser {
            mut driver,
            client,
            profile,
        } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
        let _ = std::fs::remove_dir_all(profile);
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
    browser.see("h1", "Sign in to Goldthread").await;

    // One click as the product manager.
    c.find(Locator::Css("button[data-role='pm']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Welcome, Priya").await;
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
    browser.see("h1", "Sign in to Goldthread").await;
    c.goto(&format!("http://{addr}/")).await.unwrap();
    browser.see("h1", "Sign in to Goldthread").await;

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
    browser.see("h1", "Welcome, Sam").await;
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
    browser.see("h1", "Welcome, Riley").await;

    c.goto(&format!("http://{addr}/feedback/new"))
        .await
        .unwrap();
    browser.see("h1", "Log feedback").await;
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
    browser
        .see_containing(".flash.success", "Feedback logged")
        .await;

    c.goto(&format!("http://{addr}/feedback")).await.unwrap();
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("payout\u{E007}")
        .await
        .unwrap();
    let first = browser
        .see_containing("table.feedback-list tbody tr", "Scheduled payouts")
        .await;
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

/// Whether the first element matching `css` is shown (laid out and visible).
async fn displayed(browser: &Browser, css: &str) -> bool {
    match browser.client.find(Locator::Css(css)).await {
        Ok(e) => e.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

#[sqlx::test]
async fn at_390_px_the_menu_shows_every_section_and_no_page_scrolls_sideways(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    for month in 0..12 {
        crate::helpers::feedback(&pool, "nps", "ok", None, Some(9), month * 30 + 1).await;
    }
    let addr = serve(pool, true).await;
    let browser = Browser::start_at(390).await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/signin")).await.unwrap();
    c.find(Locator::Css("button[data-role='admin']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Welcome, Sam").await;
    let width: i64 = c
        .execute("return document.documentElement.clientWidth", vec![])
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(width, 390);

    // The wide navigation gives way to a menu; its sections show once it is opened.
    assert!(!displayed(&browser, "nav.mainnav").await);
    assert!(displayed(&browser, "details.navmenu > summary").await);
    assert!(!displayed(&browser, "details.navmenu a[href='/nps']").await);
    c.find(Locator::Css("details.navmenu > summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for href in ["/feedback", "/themes", "/accounts", "/nps", "/admin"] {
        assert!(
            displayed(&browser, &format!("details.navmenu a[href='{href}']")).await,
            "{href} in the open menu"
        );
    }
    c.find(Locator::Css("details.navmenu a[href='/nps']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Net Promoter Score").await;
    let current = c
        .find(Locator::Css("details.navmenu a[aria-current='page']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(
        current.as_deref(),
        Some("/nps"),
        "the menu marks the section"
    );

    // The monthly chart is wider than the phone: it scrolls, opening on the latest month.
    let chart = c
        .execute(
            "const s = document.querySelector('.chart-scroll'); const ticks = s.querySelectorAll('text.tick');
             const last = ticks[ticks.length - 1].getBoundingClientRect(); const box = s.getBoundingClientRect();
             return [s.scrollWidth > s.clientWidth, last.right <= box.right + 1 && last.left >= box.left, s.tabIndex];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        chart,
        serde_json::json!([true, true, 0]),
        "scrolls, latest month in view, keyboard-reachable"
    );

    for page in [
        "/",
        "/imports",
        "/themes",
        "/nps",
        "/admin/audit",
        "/admin/users",
        "/feedback",
    ] {
        c.goto(&format!("http://{addr}{page}")).await.unwrap();
        browser.text("h1").await;
        let sideways = c
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap()
            .as_i64()
            .unwrap();
        assert_eq!(sideways, 0, "{page} scrolls sideways by {sideways} px");
    }
    browser.close().await;
}

#[sqlx::test]
async fn at_1280_px_the_audit_log_and_the_themes_table_fit_the_page(pool: PgPool) {
    goldthread::db::migrate(&pool).await.unwrap();
    goldthread::demo::load_users(&pool).await.unwrap();
    let long = "a-very-long-value-without-spaces-".repeat(40);
    sqlx::query(
        "insert into audit_log (actor_label, action, entity_type, entity_id, summary, before, after)
         select 'Someone With A Long Name <someone.with.a.long.address@example.com>', 'update', 'feedback', g::text,
                'Edited feedback #' || g, jsonb_build_object('body', 'short', 'metadata', $1::text),
                jsonb_build_object('body', $1::text, 'metadata', 'x')
         from generate_series(1, 30) g",
    )
    .bind(&long)
    .execute(&pool)
    .await
    .unwrap();
    for i in 0..40 {
        crate::helpers::theme(&pool, &format!("Theme {i}"), "word").await;
    }
    let addr = serve(pool, true).await;
    let browser = Browser::start().await;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/signin")).await.unwrap();
    c.find(Locator::Css("button[data-role='admin']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.see("h1", "Welcome, Sam").await;
    let overflow = |css: &'static str| {
        format!(
            "const e = document.querySelector('{css}'); return [e.scrollWidth - e.clientWidth, e.scrollHeight - e.clientHeight]"
        )
    };
    c.goto(&format!("http://{addr}/admin/audit")).await.unwrap();
    browser.see("h1", "Audit log").await;
    let page = c.execute(&overflow("html"), vec![]).await.unwrap();
    assert_eq!(page[0], 0, "the audit page scrolls sideways");
    let table = c.execute(&overflow(".table-wrap"), vec![]).await.unwrap();
    assert_eq!(
        table[0], 0,
        "the audit table scrolls sideways inside the page"
    );

    c.goto(&format!("http://{addr}/themes")).await.unwrap();
    browser.see("h1", "Themes").await;
    let table = c.execute(&overflow(".table-wrap"), vec![]).await.unwrap();
    assert_eq!(table[1], 0, "the themes table has a scrollbar of its own");
    browser.close().await;
}
