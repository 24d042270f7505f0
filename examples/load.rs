//! Load generator for a running hub (`scripts/load_test.sh` drives it): N connections for S
//! seconds, each looping over a mix of page views, searches (page and API), feedback posts (API
//! and the web form) and tag confirmations (API). Every write the server acknowledged is looked
//! up in the database afterwards. Prints one JSON report; exits non-zero when a server error
//! other than 503 was answered, a request hung, or an acknowledged write is missing.
//!
//! cargo run --release --example load -- --base http://127.0.0.1:18300 --token TOKEN \
//!     --database-url postgres:///goldthread_hardening?host=/var/run/postgresql --seconds 60 --connections 64
//!
//! Only loopback targets: the load is bounded in time and count and stops by itself.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Parser, Debug)]
struct Args {
    /// The hub's address (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:18300")]
    base: String,
    /// An API token of a user who may log feedback and review tags (pm, product_ops, admin).
    #[arg(long)]
    token: String,
    /// A user to sign in as for the pages and the web form.
    #[arg(long, default_value = "pm@example.com")]
    email: String,
    #[arg(long, default_value = "goldthread-demo")]
    password: String,
    /// The hub's database, to look every acknowledged write up afterwards.
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// A request with no answer after this many seconds counts as hung.
    #[arg(long, default_value_t = 15)]
    hang_after: u64,
    /// A label that makes this run's writes unique.
    #[arg(long, default_value = "load")]
    run: String,
}

type Http = Client<HttpConnector, Full<Bytes>>;

struct Shared {
    http: Http,
    base: String,
    token: String,
    cookie: String,
    csrf: String,
    tags: Vec<i64>,
    hang_after: Duration,
    run: String,
}

#[derive(Default)]
struct Tally {
    /// (kind, status or failure) → count
    outcomes: BTreeMap<(String, String), u64>,
    latencies_ms: Vec<f64>,
    api_writes: Vec<String>,
    form_writes: Vec<String>,
    confirmed: Vec<i64>,
}

struct Answer {
    status: u16,
    headers: axum::http::HeaderMap,
    body: Bytes,
}

async fn send(
    s: &Shared,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<(String, Vec<u8>)>,
) -> Result<Answer, String> {
    let mut req = axum::http::Request::builder()
        .method(method)
        .uri(format!("{}{}", s.base, path));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let bytes = match body {
        Some((ct, b)) => {
            req = req.header("content-type", ct);
            Bytes::from(b)
        }
        None => Bytes::new(),
    };
    let req = req.body(Full::new(bytes)).map_err(|e| e.to_string())?;
    let fut = async {
        let res = s
            .http
            .request(req)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(Answer {
            status,
            headers,
            body,
        })
    };
    match tokio::time::timeout(s.hang_after, fut).await {
        Ok(r) => r,
        Err(_) => Err("hung".into()),
    }
}

fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// Sign in through the form, as a browser does: the session cookie and its CSRF token.
async fn sign_in(http: &Http, args: &Args) -> anyhow::Result<(String, String)> {
    let probe = Shared {
        http: http.clone(),
        base: args.base.clone(),
        token: String::new(),
        cookie: String::new(),
        csrf: String::new(),
        tags: vec![],
        hang_after: Duration::from_secs(30),
        run: String::new(),
    };
    let page = send(&probe, "GET", "/signin", &[], None)
        .await
        .map_err(anyhow::Error::msg)?;
    let cookie = session_cookie(&page.headers).unwrap_or_default();
    let csrf = csrf_in(&String::from_utf8_lossy(&page.body))
        .ok_or_else(|| anyhow::anyhow!("no CSRF token on /signin"))?;
    let form = serde_urlencoded::to_string([
        ("csrf_token", csrf.as_str()),
        ("email", args.email.as_str()),
        ("password", args.password.as_str()),
    ])?;
    let res = send(
        &probe,
        "POST",
        "/signin",
        &[("cookie", cookie.clone())],
        Some((
            "application/x-www-form-urlencoded".into(),
            form.into_bytes(),
        )),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    anyhow::ensure!(res.status == 303, "sign-in answered {}", res.status);
    let cookie = session_cookie(&res.headers).unwrap_or(cookie);
    let home = send(
        &probe,
        "GET",
        "/feedback/new",
        &[("cookie", cookie.clone())],
        None,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let csrf = csrf_in(&String::from_utf8_lossy(&home.body))
        .ok_or_else(|| anyhow::anyhow!("no CSRF token on /feedback/new ({})", home.status))?;
    Ok((cookie, csrf))
}

fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("goldthread_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

const WORDS: &[&str] = &[
    "card", "fee", "transfer", "refund", "pin", "exchange", "top up", "declined", "app", "limit",
];

/// One connection's loop until the deadline: a fixed mix of 10 steps.
async fn worker(s: Arc<Shared>, n: usize, deadline: Instant, tally: Arc<Mutex<Tally>>) {
    let mut local = Tally::default();
    let mut i: usize = 0;
    let bearer = format!("Bearer {}", s.token);
    while Instant::now() < deadline {
        let step = (n + i) % 10;
        let word = WORDS[(n * 7 + i) % WORDS.len()].replace(' ', "+");
        let started = Instant::now();
        let (kind, result, write): (&str, Result<Answer, String>, Option<Write>) = match step {
            0 | 1 => {
                let path = ["/feedback", "/themes", "/accounts", "/nps", "/"][(n + i) % 5];
                (
                    "page",
                    send(&s, "GET", path, &[("cookie", s.cookie.clone())], None).await,
                    None,
                )
            }
            2 => {
                let path = format!("/feedback?q={word}");
                (
                    "search_page",
                    send(&s, "GET", &path, &[("cookie", s.cookie.clone())], None).await,
                    None,
                )
            }
            3 | 4 => {
                let path = format!("/api/v1/feedback?q={word}&limit=20");
                (
                    "search_api",
                    send(&s, "GET", &path, &[("authorization", bearer.clone())], None).await,
                    None,
                )
            }
            5 | 6 => {
                let external = format!("{}-{n}-{i}", s.run);
                let body = json!({"source": "sales", "external_id": external,
                    "body": format!("Load test note {external}: wants a {word} report")});
                let r = send(
                    &s,
                    "POST",
                    "/api/v1/feedback",
                    &[("authorization", bearer.clone())],
                    Some(("application/json".into(), body.to_string().into_bytes())),
                )
                .await;
                ("post_api", r, Some(Write::Api(external)))
            }
            7 => {
                let text = format!("Load test form note {}-{n}-{i}", s.run);
                let form = serde_urlencoded::to_string([
                    ("csrf_token", s.csrf.as_str()),
                    ("source", "sales"),
                    ("body", text.as_str()),
                ])
                .expect("form");
                let r = send(
                    &s,
                    "POST",
                    "/feedback",
                    &[("cookie", s.cookie.clone())],
                    Some((
                        "application/x-www-form-urlencoded".into(),
                        form.into_bytes(),
                    )),
                )
                .await;
                ("post_form", r, Some(Write::Form(text)))
            }
            _ => {
                if s.tags.is_empty() {
                    i += 1;
                    continue;
                }
                let tag = s.tags[(n * 131 + i * 17) % s.tags.len()];
                let r = send(
                    &s,
                    "POST",
                    &format!("/api/v1/tags/{tag}/confirm"),
                    &[("authorization", bearer.clone())],
                    None,
                )
                .await;
                ("confirm_tag", r, Some(Write::Confirm(tag)))
            }
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let outcome = match &result {
            Ok(a) => a.status.to_string(),
            Err(e) if e == "hung" => "hung".into(),
            Err(_) => "connection error".into(),
        };
        if let Ok(a) = &result {
            local.latencies_ms.push(ms);
            let acknowledged = matches!(
                (&write, a.status),
                (Some(Write::Api(_)), 200 | 201)
                    | (Some(Write::Form(_)), 303)
                    | (Some(Write::Confirm(_)), 200)
            );
            if acknowledged {
                match write {
                    Some(Write::Api(x)) => local.api_writes.push(x),
                    Some(Write::Form(x)) => local.form_writes.push(x),
                    Some(Write::Confirm(x)) => local.confirmed.push(x),
                    None => {}
                }
            }
            if a.status == 503 && a.headers.get("retry-after").is_none() {
                *local
                    .outcomes
                    .entry((kind.into(), "503 without Retry-After".into()))
                    .or_default() += 1;
            }
        }
        *local.outcomes.entry((kind.into(), outcome)).or_default() += 1;
        i += 1;
    }
    let mut t = tally.lock().await;
    for (k, v) in local.outcomes {
        *t.outcomes.entry(k).or_default() += v;
    }
    t.latencies_ms.extend(local.latencies_ms);
    t.api_writes.extend(local.api_writes);
    t.form_writes.extend(local.form_writes);
    t.confirmed.extend(local.confirmed);
}

enum Write {
    Api(String),
    Form(String),
    Confirm(i64),
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

/// Look every acknowledged write up, retrying while the database is still coming back.
async fn verify(url: &str, t: &Tally) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let pool = loop {
        match sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(url)
            .await
        {
            Ok(p) => break p,
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for the database: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    let found_api: i64 = sqlx::query_scalar(
        "select count(distinct external_id) from feedback where source = 'sales' and external_id = any($1)",
    )
    .bind(&t.api_writes)
    .fetch_one(&pool)
    .await?;
    let found_form: i64 =
        sqlx::query_scalar("select count(distinct body) from feedback where body = any($1)")
            .bind(&t.form_writes)
            .fetch_one(&pool)
            .await?;
    let mut tags = t.confirmed.clone();
    tags.sort_unstable();
    tags.dedup();
    let found_tags: i64 = sqlx::query_scalar(
        "select count(*) from feedback_themes where id = any($1) and state = 'confirmed'",
    )
    .bind(&tags)
    .fetch_one(&pool)
    .await?;
    let mut api = t.api_writes.clone();
    api.sort();
    api.dedup();
    let mut form = t.form_writes.clone();
    form.sort();
    form.dedup();
    Ok(json!({
        "api_posts": {"acknowledged": api.len(), "found": found_api},
        "form_posts": {"acknowledged": form.len(), "found": found_form},
        "tag_confirmations": {"acknowledged_tags": tags.len(), "found_confirmed": found_tags},
        "missing": (api.len() as i64 - found_api) + (form.len() as i64 - found_form) + (tags.len() as i64 - found_tags),
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.base.starts_with("http://127.") || args.base.starts_with("http://localhost"),
        "only loopback targets"
    );
    anyhow::ensure!(
        args.seconds <= 600 && args.connections <= 256,
        "bounded runs only"
    );
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.connections)
        .build(connector);
    let (cookie, csrf) = sign_in(&http, &args).await?;
    let mut shared = Shared {
        http: http.clone(),
        base: args.base.clone(),
        token: args.token.clone(),
        cookie,
        csrf,
        tags: vec![],
        hang_after: Duration::from_secs(args.hang_after),
        run: args.run.clone(),
    };
    let tags = send(
        &shared,
        "GET",
        "/api/v1/tags?state=suggested&limit=500",
        &[("authorization", format!("Bearer {}", args.token))],
        None,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        tags.status == 200,
        "GET /api/v1/tags answered {}",
        tags.status
    );
    let tags: Value = serde_json::from_slice(&tags.body)?;
    shared.tags = tags["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    let shared = Arc::new(shared);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let handles: Vec<_> = (0..args.connections)
        .map(|n| tokio::spawn(worker(shared.clone(), n, deadline, tally.clone())))
        .collect();
    for h in handles {
        h.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut t = Arc::try_unwrap(tally).ok().expect("one owner").into_inner();
    t.latencies_ms.sort_by(f64::total_cmp);
    let total: u64 = t.outcomes.values().sum();
    let count = |pred: &dyn Fn(&str) -> bool| -> u64 {
        t.outcomes
            .iter()
            .filter(|((_, o), _)| pred(o))
            .map(|(_, v)| *v)
            .sum()
    };
    let server_errors = count(&|o| o.starts_with('5') && o != "503" && !o.contains(' '));
    let unavailable = count(&|o| o == "503");
    let no_retry_after = count(&|o| o == "503 without Retry-After");
    let hung = count(&|o| o == "hung");
    let connection_errors = count(&|o| o == "connection error");
    let total = total - no_retry_after;
    let writes = verify(&args.database_url, &t).await?;
    let mut by_kind: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for ((kind, outcome), n) in &t.outcomes {
        by_kind
            .entry(kind.clone())
            .or_default()
            .insert(outcome.clone(), *n);
    }
    let report = json!({
        "seconds": (elapsed * 10.0).round() / 10.0,
        "connections": args.connections,
        "requests": total,
        "requests_per_second": ((total as f64 / elapsed) * 10.0).round() / 10.0,
        "latency_ms": {
            "p50": (percentile(&t.latencies_ms, 0.50) * 10.0).round() / 10.0,
            "p90": (percentile(&t.latencies_ms, 0.90) * 10.0).round() / 10.0,
            "p99": (percentile(&t.latencies_ms, 0.99) * 10.0).round() / 10.0,
            "max": (t.latencies_ms.last().copied().unwrap_or(0.0) * 10.0).round() / 10.0,
        },
        "server_errors_not_503": server_errors,
        "unavailable_503": unavailable,
        "503_without_retry_after": no_retry_after,
        "hung": hung,
        "connection_errors": connection_errors,
        "by_kind": by_kind,
        "writes": writes,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    let missing = report["writes"]["missing"].as_i64().unwrap_or(1);
    if server_errors > 0 || hung > 0 || connection_errors > 0 || no_retry_after > 0 || missing != 0
    {
        anyhow::bail!(
            "FAILED: {server_errors} server errors, {hung} hung, {connection_errors} connection errors, {no_retry_after} 503 without Retry-After, {missing} acknowledged writes missing"
        );
    }
    Ok(())
}
