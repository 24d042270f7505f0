//! The review queue (confirm or reject suggested tags, one key each or in bulk) and the
//! emerging themes page (clusters of untagged feedback).

use std::sync::LazyLock;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::cache::VersionedCache;
use super::forms::{field, ids, pairs};
use super::{Decision, Theme, db, edit, source_label};
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::server::AppState;
use crate::web::Layout;
use crate::web::format::When;

const REVIEW_JS: &str = include_str!("../../static/review.js");

static JS_PATH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(REVIEW_JS.as_bytes());
    let short: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("/static/review.{short}.js")
});

/// The content-hashed path of the review queue's keyboard script.
pub fn js_path() -> &'static str {
    JS_PATH.as_str()
}

async fn review_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        REVIEW_JS,
    )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/themes/review", get(review_page).post(review_decide))
        .route("/themes/emerging", get(emerging_page))
        .route(js_path(), get(review_js))
}

/// A suggested tag as the queue shows it.
pub struct ReviewItem {
    pub id: i64,
    pub theme_id: i64,
    pub theme_name: String,
    pub confidence: String,
    pub source: String,
    pub source_label: &'static str,
    pub title: Option<String>,
    pub body: String,
    pub account: Option<String>,
    pub received: When,
}

pub fn items(rows: Vec<db::TagRow>) -> Vec<ReviewItem> {
    rows.into_iter()
        .map(|r| ReviewItem {
            id: r.id,
            theme_id: r.theme_id,
            theme_name: r.theme_name,
            confidence: r
                .confidence
                .map(|c| format!("{:.0} %", c * 100.0))
                .unwrap_or_else(|| "—".into()),
            source_label: source_label(&r.source),
            source: r.source,
            title: r.title,
            body: r.body,
            account: r.account_name,
            received: When::from(r.received_at),
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct ReviewQuery {
    theme: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/review.html")]
pub struct ReviewPage {
    banking77: bool,
    layout: Layout,
    items: Vec<ReviewItem>,
    total: i64,
    themes: Vec<Theme>,
    theme: String,
    script: &'static str,
}

const QUEUE: i64 = 50;

async fn review_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(q): Query<ReviewQuery>,
) -> AppResult<ReviewPage> {
    current.user.require(Permission::TagFeedback)?;
    let theme_id = q
        .theme
        .as_deref()
        .and_then(|t| t.trim().parse::<i64>().ok());
    let rows = db::suggestions(&state.pool, theme_id, QUEUE).await?;
    Ok(ReviewPage {
        banking77: crate::feedback::db::has_banking77(&state.pool).await?,
        layout: Layout::for_user(&current, "Review suggested tags", "themes").await?,
        items: items(rows),
        total: super::figures::suggested(&state.pool, &state.suggested, theme_id).await?,
        themes: db::list(&state.pool, Some("active")).await?,
        theme: theme_id.map(|t| t.to_string()).unwrap_or_default(),
        script: js_path(),
    })
}

/// One form for the whole queue: a row's own button sends `one=confirm:ID` (or reject);
/// the bulk buttons send `decision` with the checked `tag` boxes.
async fn review_decide(
    State(state): State<AppState>,
    current: CurrentUser,
    body: Bytes,
) -> AppResult<Response> {
    current.user.require(Permission::TagFeedback)?;
    let p = pairs(&body);
    let one = field(&p, "one");
    let (decision, tag_ids) = match one.split_once(':') {
        Some((d, id)) => (
            Decision::parse(d),
            id.trim().parse::<i64>().ok().into_iter().collect(),
        ),
        None => (Decision::parse(&field(&p, "decision")), ids(&p, "tag")),
    };
    let back = match field(&p, "back") {
        b if b.starts_with('/') && !b.starts_with("//") => b,
        _ => "/themes/review".into(),
    };
    let Some(decision) = decision else {
        set_flash(
            &current.session,
            FlashKind::Warning,
            "Choose confirm or reject.",
            None,
        )
        .await?;
        return Ok(Redirect::to(&back).into_response());
    };
    if tag_ids.is_empty() {
        set_flash(
            &current.session,
            FlashKind::Warning,
            "Tick the items to confirm or reject first.",
            None,
        )
        .await?;
        return Ok(Redirect::to(&back).into_response());
    }
    let n = edit::decide(&state.pool, &Actor::User(&current.user), &tag_ids, decision).await?;
    let verb = match decision {
        Decision::Confirm => "Confirmed",
        Decision::Reject => "Rejected",
    };
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("{verb} {n} tag{}.", if n == 1 { "" } else { "s" }),
        None,
    )
    .await?;
    Ok(Redirect::to(&back).into_response())
}

/// A cluster of untagged feedback offered as a new theme.
pub struct Emerging {
    pub label: String,
    pub size: usize,
    pub quotes: Vec<String>,
    pub create_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/emerging.html")]
pub struct EmergingPage {
    banking77: bool,
    layout: Layout,
    found: std::sync::Arc<EmergingClusters>,
    can_edit: bool,
}

/// How many recent untagged items are clustered.
const EMERGING_SAMPLE: i64 = 1000;

/// The clusters shown, with how many untagged items they came from.
pub struct EmergingClusters {
    clusters: Vec<Emerging>,
    untagged: usize,
}

/// Clustering takes about a second at a million items, so the result is kept until feedback or
/// tags change (or five minutes pass).
pub type EmergingCache = VersionedCache<(), EmergingClusters>;

pub fn emerging_cache() -> EmergingCache {
    VersionedCache::new(std::time::Duration::from_secs(300), 1)
}

async fn emerging_page(
    State(state): State<AppState>,
    current: CurrentUser,
) -> AppResult<EmergingPage> {
    current.user.require(Permission::Read)?;
    let found = state
        .emerging
        .get_or_compute(&state.pool, (), || emerging_clusters(&state.pool))
        .await?;
    Ok(EmergingPage {
        banking77: crate::feedback::db::has_banking77(&state.pool).await?,
        layout: Layout::for_user(&current, "Emerging themes", "themes").await?,
        found,
        can_edit: current.user.can(Permission::EditThemes),
    })
}

async fn emerging_clusters(pool: &sqlx::PgPool) -> AppResult<EmergingClusters> {
    let rows = db::untagged_recent(pool, EMERGING_SAMPLE).await?;
    let untagged = rows.len();
    let clusters = tokio::task::spawn_blocking(move || {
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        let clusters = crate::tagging::cluster(&texts, None, 0);
        clusters
            .into_iter()
            .filter(|c| c.members.len() >= 3)
            .take(12)
            .map(|c| {
                let quotes: Vec<String> = c
                    .typical
                    .iter()
                    .take(3)
                    .filter_map(|i| texts.get(*i).map(|t| (*t).to_owned()))
                    .collect();
                let name = capitalise(&c.label);
                let create_href = format!(
                    "/themes/new?{}",
                    serde_urlencoded::to_string([
                        ("name", name.as_str()),
                        ("keywords", &c.label.replace(' ', ", ")),
                        (
                            "description",
                            quotes.first().map(String::as_str).unwrap_or("")
                        ),
                    ])
                    .unwrap_or_default()
                );
                Emerging {
                    label: name,
                    size: c.members.len(),
                    quotes,
                    create_href,
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| anyhow::anyhow!("clustering failed: {e}"))?;
    Ok(EmergingClusters { clusters, untagged })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
