//! The review queue: confirm or reject suggested tags, one key each or in bulk.

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::db;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::themes::{Decision, Theme, edit};
use crate::web::Layout;
use crate::web::form::{field, ids, pairs};
use crate::web::format::When;
use crate::web::labels::source_label;

pub fn router() -> Router<AppState> {
    Router::new().route("/themes/review", get(review_page).post(review_decide))
}

/// A suggested tag as the queue shows it.
pub struct ReviewItem {
    pub id: i64,
    pub feedback_id: i64,
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
            feedback_id: r.feedback_id,
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
    Extension(caches): Extension<crate::insights::Caches>,
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
        layout: Layout::for_user(&current, "Review suggested tags", "themes").await?,
        items: items(rows),
        total: crate::insights::figures::suggested(&state.pool, &caches.suggested, theme_id)
            .await?,
        themes: crate::themes::db::list(&state.pool, Some("active")).await?,
        theme: theme_id.map(|t| t.to_string()).unwrap_or_default(),
        script: crate::web::assets::review_js_path(),
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
