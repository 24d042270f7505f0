//! Outside checkers over every page (tests/it/pages.rs) signed in as every demo user (each role,
//! and each revenue team), on the demo data plus an import, a token and a retag job:
//! - the Nu Html Checker (`vnu-jar`) over the HTML each page answers, and over the forms
//!   re-rendered with their field messages;
//! - axe-core injected into headless Chromium: every page as one user of each role (and
//!   signed out), with one page each role is refused.
//!
//! Both come from npm, pinned, installed by `scripts/ensure-checkers.sh` (`make test` runs it).
//! Without them the test says SKIPPED; under `CI` it fails instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::browser::{Browser, serve};
use crate::helpers::{Client, TestApp};
use crate::pages::PAGES;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The installed checker at `relative`, or None (SKIPPED), or a failure under CI.
pub fn checker(relative: &str, test: &str) -> Option<PathBuf> {
    let path = root().join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {relative} is missing (CI is set; scripts/ensure-checkers.sh installs it)");
    }
    eprintln!("SKIPPED {test}: {relative} is missing (scripts/ensure-checkers.sh installs it)");
    None
}

/// The demo users the pages are checked as: every role, and each revenue team.
const USERS: &[(&str, Role)] = &[
    ("admin@example.com", Role::Admin),
    ("ops@example.com", Role::ProductOps),
    ("pm@example.com", Role::Pm),
    ("sales@example.com", Role::Revenue),
    ("success@example.com", Role::Revenue),
    ("support@example.com", Role::Revenue),
    ("viewer@example.com", Role::Viewer),
];

/// The ids the page addresses name, taken from the seeded data.
async fn seed(app: &TestApp) -> BTreeMap<&'static str, i64> {
    let pool = &app.pool;
    goldthread::demo::load(pool).await.expect("demo");
    let one = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let mut ids = BTreeMap::new();
    ids.insert(
        "user",
        one("select id from users where email = 'viewer@example.com'").await,
    );
    let admin = one("select id from users where email = 'admin@example.com'").await;
    let (token, _) = goldthread::admin::issue_token(
        pool,
        &goldthread::audit::Actor::System("test"),
        ids["user"],
        "checkers",
    )
    .await
    .expect("token");
    ids.insert("token", token);
    ids.insert(
        "feedback",
        one(
            "select f.id from feedback f join feedback_themes ft on ft.feedback_id = f.id
             where f.account_id is not null and f.source = 'sales' order by f.id limit 1",
        )
        .await,
    );
    ids.insert(
        "nps_item",
        one("select id from feedback where source = 'nps' and nps_score <= 6 order by id limit 1")
            .await,
    );
    ids.insert(
        "theme",
        one("select theme_id from feedback_themes group by 1 order by count(*) desc, 1 limit 1")
            .await,
    );
    ids.insert(
        "account",
        one(
            "select account_id from feedback where account_id is not null
             group by 1 order by count(*) desc, 1 limit 1",
        )
        .await,
    );
    ids.insert(
        "launch",
        one("select launch_id from guide_revisions group by 1 order by count(*) desc, 1 limit 1")
            .await,
    );
    ids.insert(
        "item",
        one("select i.id from checklist_items i
             where i.launch_id = (select launch_id from guide_revisions group by 1 order by count(*) desc, 1 limit 1)
             order by i.id limit 1")
        .await,
    );
    ids.insert("question", one("select min(id) from questions").await);
    ids.insert(
        "digest",
        one("select min(id) from digests where published_at is not null").await,
    );
    ids.insert(
        "draft_digest",
        one("select min(id) from digests where published_at is null").await,
    );
    ids.insert("webhook", one("select min(id) from webhooks").await);
    ids.insert("rate", one("select min(id) from exchange_rates").await);
    ids.insert(
        "job",
        goldthread::themes::tagging::enqueue_retag(pool, Some(admin))
            .await
            .expect("job"),
    );

    // Two imports by the ops user: one committed, one staged.
    let mut ops = app.client();
    ops.sign_in("ops@example.com", goldthread::demo::DEMO_PASSWORD)
        .await;
    let good = "source,external_id,body,title,account_external_id,contact_email,received_at,nps_score\n\
                sales,chk-1,Wants SSO for the whole group,SSO,,cfo@example.com,2026-05-01,\n\
                nps,chk-2,Love the FX rates,,,,2026-05-02T10:00:00Z,10\n";
    let res = ops
        .post_file(
            "/imports",
            &[("kind", "feedback"), ("default_source", "")],
            "good.csv",
            good.as_bytes(),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let committed = res.location().expect("preview").to_owned();
    let res = ops.post_form(&format!("{committed}/commit"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let committed_id: i64 = committed.rsplit('/').next().unwrap().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let state: String = sqlx::query_scalar("select state from import_batches where id = $1")
            .bind(committed_id)
            .fetch_one(pool)
            .await
            .unwrap();
        if state != "committing" {
            assert_eq!(state, "committed");
            break;
        }
        assert!(Instant::now() < deadline, "the import did not commit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ids.insert("import_committed", committed_id);
    // Staged, not committed: its preview (slashed dates that read both ways ask for an order).
    let staged = "source,external_id,body,title,account_external_id,contact_email,received_at,nps_score\n\
               sales,chk-3,Asks for approvals,Approvals,,,03/04/2026,\n\
               support,chk-5,Fine row,,,,05/06/2026,\n";
    let res = ops
        .post_file(
            "/imports",
            &[("kind", "feedback"), ("default_source", "")],
            "staged.csv",
            staged.as_bytes(),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let staged: i64 = sqlx::query_scalar("select max(id) from import_batches")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_ne!(staged, committed_id, "not staged: {:?}", res.location());
    ids.insert("import_staged", staged);
    ids
}

fn fill(url: &str, ids: &BTreeMap<&'static str, String>) -> String {
    let mut out = url.to_owned();
    for (name, id) in ids {
        out = out.replace(&format!("{{{name}}}"), id);
    }
    assert!(!out.contains('{'), "no id for {url}");
    out
}

/// What one user saw at one address.
struct Seen {
    user: &'static str,
    url: String,
    status: StatusCode,
    file: PathBuf,
}

/// A page, saved for the Nu checker under `.tmp/pages/<user>/<n>.html`.
fn save(dir: &Path, n: usize, body: &str) -> PathBuf {
    let file = dir.join(format!("{n:03}.html"));
    std::fs::write(&file, body).expect("write page");
    file
}

/// Forms sent back with their field messages (the invalid input kept), as the admin sees them.
const REFUSED_FORMS: &[(&str, &[(&str, &str)])] = &[
    ("/feedback", &[("body", ""), ("source", "nope")]),
    ("/themes", &[("name", ""), ("keywords", "a,,b")]),
    ("/accounts/new", &[("name", ""), ("arr", "lots")]),
    ("/questions", &[("text", "")]),
    ("/launches", &[("name", ""), ("starts_on", "soon")]),
    (
        "/admin/users",
        &[("email", "not-an-email"), ("role", "nope")],
    ),
    ("/admin/tokens", &[("label", "")]),
    (
        "/signin",
        &[("email", "nobody@example.com"), ("password", "wrong")],
    ),
];

#[sqlx::test]
async fn every_page_as_every_role_passes_the_nu_html_checker_and_axe(pool: PgPool) {
    let test = "every_page_as_every_role_passes_the_nu_html_checker_and_axe";
    let vnu = checker(
        ".tmp/checkers/node_modules/vnu-jar/build/dist/vnu.jar",
        test,
    );
    let axe = checker(".tmp/checkers/node_modules/axe-core/axe.min.js", test);
    if vnu.is_none() && axe.is_none() {
        return;
    }
    let app = TestApp::with_config(pool.clone(), |c| c.demo = true).await;
    let mut ids: BTreeMap<&'static str, String> = seed(&app)
        .await
        .into_iter()
        .map(|(name, id)| (name, id.to_string()))
        .collect();
    // The page a digest email's unsubscribe link opens (signed for the viewer).
    let viewer: i64 = ids["user"].parse().unwrap();
    let link = goldthread::digests::send::unsubscribe_url(&app.pool, "", viewer)
        .await
        .expect("unsubscribe link");
    ids.insert("unsubscribe", link);

    let out = root().join(".tmp/pages");
    let _ = std::fs::remove_dir_all(&out);
    let mut seen: Vec<Seen> = Vec::new();
    let mut report = Vec::new();
    let mut ok_for_someone: BTreeMap<String, bool> = BTreeMap::new();

    // Signed out: the sign-in page (with the demo sign-ins) and where others send you.
    let anon_dir = out.join("anonymous");
    std::fs::create_dir_all(&anon_dir).unwrap();
    let mut anon = app.client();
    for url in ["/signin", "/signin?next=%2Ffeedback"] {
        let res = anon.get(url).await;
        assert_eq!(res.status, StatusCode::OK, "{url}");
        let file = save(&anon_dir, seen.len(), &res.body);
        seen.push(Seen {
            user: "anonymous",
            url: url.to_owned(),
            status: res.status,
            file,
        });
    }

    for (email, _) in USERS {
        let dir = out.join(email);
        std::fs::create_dir_all(&dir).unwrap();
        let mut client = app.client();
        let res = client.sign_in(email, goldthread::demo::DEMO_PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{email}: {}", res.body);
        let urls = PAGES
            .iter()
            .flat_map(|(_, urls)| urls.iter())
            .filter(|u| !u.starts_with("/signin"))
            .map(|u| fill(u, &ids))
            .chain(["/no-such-page".to_owned()]);
        for url in urls {
            let res = client.get(&url).await;
            if res.status.is_server_error() {
                report.push(format!("GET {url} as {email}: {}", res.status));
            }
            if res.status == StatusCode::OK {
                assert!(
                    res.content_type().starts_with("text/html"),
                    "GET {url} as {email}: {}",
                    res.content_type()
                );
                ok_for_someone.insert(url.clone(), true);
            } else {
                ok_for_someone.entry(url.clone()).or_insert(false);
            }
            if res.content_type().starts_with("text/html") {
                let file = save(&dir, seen.len(), &res.body);
                seen.push(Seen {
                    user: email,
                    url,
                    status: res.status,
                    file,
                });
            }
        }
    }
    let unseen: Vec<&String> = ok_for_someone
        .iter()
        .filter(|(url, ok)| !**ok && url.as_str() != "/no-such-page")
        .map(|(url, _)| url)
        .collect();
    assert!(
        unseen.is_empty(),
        "no user got these pages with 200, so nobody checked them (fix the seed or the address): {unseen:?}"
    );

    // The forms as they come back refused, with their messages.
    let dir = out.join("refused-forms");
    std::fs::create_dir_all(&dir).unwrap();
    let mut admin = app.client();
    admin
        .sign_in("admin@example.com", goldthread::demo::DEMO_PASSWORD)
        .await;
    let mut signed_out = app.client();
    for (path, fields) in REFUSED_FORMS {
        let who: &mut Client = if *path == "/signin" {
            &mut signed_out
        } else {
            &mut admin
        };
        let res = who.post_form(path, fields).await;
        if !(res.status.is_client_error() || res.status == StatusCode::OK)
            || !res.content_type().starts_with("text/html")
        {
            report.push(format!(
                "POST {path} (refused form): {} {}",
                res.status,
                res.content_type()
            ));
            continue;
        }
        let file = save(&dir, seen.len(), &res.body);
        seen.push(Seen {
            user: "admin (refused form)",
            url: format!("POST {path}"),
            status: res.status,
            file,
        });
    }

    if let Some(vnu) = vnu {
        let found = nu_errors(&vnu, &out, &seen);
        for line in &found {
            eprintln!("{line}");
        }
        report.extend(found);
        eprintln!("Nu Html Checker: {} pages checked", seen.len());
    }
    if let Some(axe) = axe {
        report.extend(axe_violations(&axe, pool, &seen).await);
    }
    assert!(
        report.is_empty(),
        "{} finding(s):\n{}",
        report.len(),
        report.join("\n")
    );
}

/// The Nu checker's errors over every saved page, each with the user and address.
fn nu_errors(vnu: &Path, out: &Path, seen: &[Seen]) -> Vec<String> {
    let started = Instant::now();
    let run = std::process::Command::new("java")
        .args(["-Xss8m", "-jar"])
        .arg(vnu)
        .args([
            "--format",
            "json",
            "--errors-only",
            "--stdout",
            "--exit-zero-always",
        ])
        .arg(out)
        .output()
        .expect("run java -jar vnu.jar");
    let text = String::from_utf8_lossy(&run.stdout);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "vnu printed no JSON ({e}): {text}{}",
            String::from_utf8_lossy(&run.stderr)
        )
    });
    let by_file: BTreeMap<String, &Seen> = seen
        .iter()
        .map(|s| (s.file.canonicalize().unwrap().display().to_string(), s))
        .collect();
    let mut found = Vec::new();
    for message in report["messages"].as_array().into_iter().flatten() {
        if message["type"] != "error" && message["subType"] != "fatal" {
            continue;
        }
        let file = message["url"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("file:");
        let (user, url, status) = by_file
            .get(file)
            .map(|s| (s.user, s.url.as_str(), s.status.as_u16()))
            .unwrap_or(("?", file, 0));
        found.push(format!(
            "Nu: {url} as {user} ({status}), line {}: {} [{}]",
            message["lastLine"],
            message["message"].as_str().unwrap_or(""),
            message["extract"]
                .as_str()
                .unwrap_or("")
                .replace('\n', " ")
                .chars()
                .take(160)
                .collect::<String>()
        ));
    }
    eprintln!(
        "Nu Html Checker: {} error(s) in {:.1} s",
        found.len(),
        started.elapsed().as_secs_f64()
    );
    found
}

/// Sign in through the form, as a person does.
async fn sign_in(browser: &Browser, addr: &str, email: &str) {
    use fantoccini::Locator;
    let c = &browser.client;
    c.goto(&format!("http://{addr}/signin")).await.unwrap();
    let form = "form[action='/signin']";
    c.find(Locator::Css(&format!("{form} input[name='email']")))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Css(&format!("{form} input[name='password']")))
        .await
        .unwrap()
        .send_keys(goldthread::demo::DEMO_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Css(&format!("{form} button[type='submit']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.current_url().await.unwrap().path() == "/signin" {
        assert!(
            Instant::now() < deadline,
            "{email} could not sign in in the browser"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// axe-core's violations: every page the admin gets, the main pages as each other role (one
/// user per role), a refused page each, the sign-in page and the not-found page.
async fn axe_violations(axe: &Path, pool: PgPool, seen: &[Seen]) -> Vec<String> {
    let started = Instant::now();
    let source = std::fs::read_to_string(axe).expect("read axe.min.js");
    let addr = serve(pool, true).await;
    let browser = Browser::start().await;
    let c = &browser.client;
    let mut found = Vec::new();
    let mut runs = 0;
    let mut roles_done: Vec<Role> = Vec::new();
    let mut plan: Vec<(&str, Vec<String>)> = vec![("anonymous", vec!["/signin".to_owned()])];
    for (email, role) in USERS {
        if roles_done.contains(role) {
            continue;
        }
        roles_done.push(*role);
        // Every page the role can open, and one page it is refused (one user per role: the
        // revenue teams' pages differ in text, which the Nu checker reads for every user).
        let mut urls: Vec<String> = Vec::new();
        let mut refused_once = false;
        for s in seen.iter().filter(|s| s.user == *email) {
            let keep = match s.status {
                StatusCode::OK => true,
                _ if !refused_once => {
                    refused_once = true;
                    true
                }
                _ => false,
            };
            if keep {
                urls.push(s.url.clone());
            }
        }
        plan.push((email, urls));
    }
    for (user, urls) in plan {
        c.goto(&format!("http://{addr}/healthz")).await.unwrap();
        c.delete_all_cookies().await.unwrap();
        if user != "anonymous" {
            sign_in(&browser, &addr.to_string(), user).await;
        }
        for url in urls {
            c.goto(&format!("http://{addr}{url}")).await.unwrap();
            c.execute(&source, vec![]).await.expect("inject axe");
            let result = c
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     axe.run(document, {resultTypes: ['violations']})
                        .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))
                        .catch(e => done({error: String(e)}));",
                    vec![],
                )
                .await
                .expect("run axe");
            runs += 1;
            if let Some(error) = result.get("error") {
                found.push(format!("axe: {url} as {user}: axe failed: {error}"));
                continue;
            }
            for v in result.as_array().into_iter().flatten() {
                found.push(format!(
                    "axe: {url} as {user}: {} ({}) {} at {}",
                    v["id"].as_str().unwrap_or(""),
                    v["impact"].as_str().unwrap_or(""),
                    v["help"].as_str().unwrap_or(""),
                    v["nodes"]
                ));
            }
        }
    }
    browser.close().await;
    eprintln!(
        "axe-core: {runs} pages, {} violation(s) in {:.1} s",
        found.len(),
        started.elapsed().as_secs_f64()
    );
    found
}
