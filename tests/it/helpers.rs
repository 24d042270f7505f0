//! A test app driven in-process, and a cookie-keeping client that does not follow redirects.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use goldthread::AppState;
use goldthread::audit::Actor;
use goldthread::auth::{Role, User};
use goldthread::config::Config;
use http_body_util::BodyExt;
use sqlx::PgPool;
use tower::ServiceExt;

pub const PASSWORD: &str = "a long test password";

pub struct TestApp {
    pub pool: PgPool,
    pub router: Router,
    /// The settings the app was built with (background jobs take the same).
    pub config: Config,
}

impl TestApp {
    pub async fn new(pool: PgPool) -> Self {
        Self::with_config(pool, |_| {}).await
    }

    pub async fn with_config(pool: PgPool, tweak: impl FnOnce(&mut Config)) -> Self {
        goldthread::db::migrate(&pool).await.expect("migrate");
        let mut config = Config::for_tests("postgres://unused");
        tweak(&mut config);
        let router = goldthread::router::app(AppState::new(config.clone(), pool.clone()));
        TestApp {
            pool,
            router,
            config,
        }
    }

    /// A user with the role (and a matching team), password [`PASSWORD`].
    pub async fn user(&self, role: Role) -> User {
        let team = match role {
            Role::Admin => "other",
            Role::ProductOps => "product_ops",
            Role::Pm => "product",
            Role::Revenue => "sales",
            Role::Viewer => "marketing",
        };
        let input = goldthread::admin::UserInput {
            email: format!("{}-{}@example.com", role.as_str(), rand_suffix()),
            name: format!("Test {}", role.label()),
            role: role.as_str().into(),
            team: team.into(),
            password: PASSWORD.into(),
        };
        goldthread::admin::create_user(
            &self.pool,
            &Actor::System("test"),
            input.validate().expect("valid user"),
            false,
        )
        .await
        .expect("create user")
    }

    pub fn client(&self) -> Client {
        Client {
            router: self.router.clone(),
            cookies: BTreeMap::new(),
        }
    }

    /// A client already signed in as a new user with `role`.
    pub async fn signed_in(&self, role: Role) -> (Client, User) {
        let user = self.user(role).await;
        let mut client = self.client();
        let res = client.sign_in(&user.email, PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        (client, user)
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}", N.fetch_add(1, Ordering::Relaxed))
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub struct Client {
    router: Router,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub async fn request(&mut self, request: Request<Body>) -> TestResponse {
        let mut request = request;
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, cookie.parse().expect("cookie header"));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        for value in response.headers().get_all(header::SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                let expired = text.to_ascii_lowercase().contains("max-age=0");
                if expired || value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// POST a form exactly as given (no CSRF token added).
    pub async fn post_form_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.request(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    /// POST a form with this session's CSRF token, as a browser would.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form_raw(path, &all).await
    }

    /// The CSRF token of this session, read from a page's form as a browser would see it.
    pub async fn csrf_token(&mut self) -> String {
        let page = self.get("/signin").await;
        let page = if page.status == StatusCode::SEE_OTHER {
            self.get("/").await
        } else {
            page
        };
        extract_csrf(&page.body).expect("a page with a CSRF field")
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> TestResponse {
        self.post_form("/signin", &[("email", email), ("password", password)])
            .await
    }

    /// POST a multipart form with one file, with the CSRF token in the query as the upload form does.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        filename: &str,
        file: &[u8],
    ) -> TestResponse {
        let token = self.csrf_token().await;
        let boundary = "gtboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let sep = if path.contains('?') { '&' } else { '?' };
        self.request(
            Request::builder()
                .method(Method::POST)
                .uri(format!("{path}{sep}csrf_token={token}"))
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .expect("request"),
        )
        .await
    }

    pub fn session_cookie(&self) -> Option<&String> {
        self.cookies.get("goldthread_session")
    }

    pub async fn api(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json: Option<serde_json::Value>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match json {
            Some(value) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.request(builder.body(body).expect("request")).await
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

impl TestApp {
    /// An account, for feedback to point at.
    pub async fn account(
        &self,
        external_id: &str,
        name: &str,
        arr_cents: i64,
        segment: &str,
    ) -> i64 {
        sqlx::query_scalar(
            "insert into accounts (external_id, name, domain, arr_cents, segment) values ($1, $2, $3, $4, $5) returning id",
        )
        .bind(external_id)
        .bind(name)
        .bind(format!("{}.example", external_id))
        .bind(arr_cents)
        .bind(segment)
        .fetch_one(&self.pool)
        .await
        .expect("insert account")
    }

    /// An API token acting as a new user with `role`.
    pub async fn token(&self, role: Role) -> (String, User) {
        let user = self.user(role).await;
        let (_, token) =
            goldthread::admin::issue_token(&self.pool, &Actor::System("test"), user.id, "test")
                .await
                .expect("token");
        (token, user)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect("count query")
    }
}

// Fixtures shared by the feature modules: rows written straight into the database.

/// Create an active theme with keywords; returns its id.
pub async fn theme(pool: &PgPool, name: &str, keywords: &str) -> i64 {
    let fields = goldthread::themes::ThemeFields {
        name: name.into(),
        description: String::new(),
        keywords: goldthread::themes::parse_keywords(keywords),
        parent_id: None,
        owner_id: None,
    };
    goldthread::themes::edit::create(pool, &goldthread::audit::Actor::System("test"), &fields)
        .await
        .expect("create theme")
        .id
}

pub async fn account(pool: &PgPool, name: &str, segment: &str, arr_cents: i64) -> i64 {
    sqlx::query_scalar(
        "insert into accounts (external_id, name, segment, arr_cents, plan) values ($1, $1, $2, $3, 'growth') returning id",
    )
    .bind(name)
    .bind(segment)
    .bind(arr_cents)
    .fetch_one(pool)
    .await
    .expect("insert account")
}

/// Insert a feedback item received `days_ago` days ago; NPS items carry their score.
pub async fn feedback(
    pool: &PgPool,
    source: &str,
    body: &str,
    account: Option<i64>,
    nps: Option<i16>,
    days_ago: i32,
) -> i64 {
    sqlx::query_scalar(
        "insert into feedback (source, body, account_id, nps_score, arr_cents_snapshot, received_at)
         values ($1, $2, $3, $4, (select arr_cents from accounts where id = $3), now() - make_interval(days => $5))
         returning id",
    )
    .bind(source)
    .bind(body)
    .bind(account)
    .bind(nps)
    .bind(days_ago)
    .fetch_one(pool)
    .await
    .expect("insert feedback")
}

pub async fn tag(pool: &PgPool, feedback_id: i64, theme_id: i64, state: &str) -> i64 {
    sqlx::query_scalar(
        "insert into feedback_themes (feedback_id, theme_id, origin, confidence, state) values ($1, $2, 'auto', 0.8, $3) returning id",
    )
    .bind(feedback_id)
    .bind(theme_id)
    .bind(state)
    .fetch_one(pool)
    .await
    .expect("insert tag")
}

/// Rollups (per theme, all time) equal a direct count over the tags, and distinct accounts too.
pub async fn assert_rollups_match(pool: &PgPool) {
    let direct: Vec<(i64, i64, i64)> = goldthread::insights::db::direct_counts(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.theme_id, d.items, d.confirmed))
        .collect();
    let rolled: Vec<(i64, i64, i64)> = goldthread::insights::db::rollup_counts(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.theme_id, d.items, d.confirmed))
        .collect();
    assert_eq!(rolled, direct, "theme_weekly vs direct count");
    let accounts_direct: Vec<(i64, i64)> = sqlx::query_as(
        "select ft.theme_id, count(distinct f.account_id) from feedback_themes ft
         join feedback f on f.id = ft.feedback_id and f.archived_at is null
         where ft.state <> 'rejected' and f.account_id is not null group by 1 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let accounts_rolled: Vec<(i64, i64)> = sqlx::query_as(
        "select theme_id, count(distinct account_id) from theme_account_weekly where items > 0 group by 1 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        accounts_rolled, accounts_direct,
        "theme_account_weekly vs direct count"
    );
    let nps_direct: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select account_id, count(*) filter (where nps_score >= 9), count(*) filter (where nps_score <= 6)
         from feedback where nps_score is not null and account_id is not null and archived_at is null
         group by 1 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let nps_rolled: Vec<(i64, i64, i64)> = sqlx::query_as(
        "select account_id, sum(promoters)::bigint, sum(detractors)::bigint from account_nps_weekly
         group by 1 having sum(promoters) + sum(passives) + sum(detractors) > 0 order by 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(nps_rolled, nps_direct, "account_nps_weekly vs direct count");
    assert_account_rollups_match(pool).await;
}

/// (theme, week, account, source or '' for all, items, arr_sum, arr_items, promoters, passives,
/// detractors): one rollup key's counters.
type AccountKey = (i64, time::Date, i64, String, i64, i64, i64, i64, i64, i64);

/// Every key of the per-account rollups, per source (`theme_account_weekly`) and over all
/// sources (`theme_account_weekly_all`), equals a recount over the tags and their feedback.
pub async fn assert_account_rollups_match(pool: &PgPool) {
    let recount = |by_source: bool| {
        let source = if by_source { "f.source" } else { "''" };
        format!(
            "select ft.theme_id, date_trunc('week', f.received_at at time zone 'UTC')::date, f.account_id,
                    {source}, count(*), coalesce(sum(f.arr_cents_snapshot), 0)::int8, count(f.arr_cents_snapshot),
                    count(*) filter (where f.nps_score >= 9), count(*) filter (where f.nps_score between 7 and 8),
                    count(*) filter (where f.nps_score <= 6)
             from feedback_themes ft join feedback f on f.id = ft.feedback_id and f.archived_at is null
             where ft.state <> 'rejected' and f.account_id is not null
             group by 1, 2, 3, 4 order by 1, 2, 3, 4"
        )
    };
    let counters =
        "items::int8, arr_sum, arr_items::int8, promoters::int8, passives::int8, detractors::int8";
    let nonzero = "items <> 0 or arr_sum <> 0 or arr_items <> 0 or promoters <> 0 or passives <> 0 or detractors <> 0";
    for (table, source) in [
        ("theme_account_weekly", "source"),
        ("theme_account_weekly_all", "''"),
    ] {
        let direct: Vec<AccountKey> = sqlx::query_as(&recount(source == "source"))
            .fetch_all(pool)
            .await
            .unwrap();
        let rolled: Vec<AccountKey> = sqlx::query_as(&format!(
            "select theme_id, week, account_id, {source}::text, {counters} from {table}
             where {nonzero} order by 1, 2, 3, 4"
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(rolled, direct, "{table}, every key, vs a recount");
    }
}

/// NPS rollup rows (day, segment, plan, promoters, passives, detractors) vs the answers.
pub async fn assert_nps_daily_matches(pool: &PgPool) {
    let direct: Vec<(time::Date, String, String, i64, i64, i64)> = sqlx::query_as(
        "select (f.received_at at time zone 'UTC')::date, coalesce(a.segment, ''), coalesce(a.plan, ''),
                count(*) filter (where f.nps_score >= 9), count(*) filter (where f.nps_score between 7 and 8),
                count(*) filter (where f.nps_score <= 6)
         from feedback f left join accounts a on a.id = f.account_id
         where f.nps_score is not null and f.archived_at is null group by 1, 2, 3 order by 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let rolled: Vec<(time::Date, String, String, i64, i64, i64)> = sqlx::query_as(
        "select day, segment, plan, promoters::int8, passives::int8, detractors::int8 from nps_daily
         where promoters + passives + detractors > 0 order by 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(rolled, direct, "nps_daily vs the answers");
}
