//! The themes of one feedback item, as its page shows them, and the item's own tag actions:
//! tag by hand, remove. Confirm and reject go through the review queue's form, so the rules
//! and the audit entry are the same wherever a decision is made.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use serde::Deserialize;

use super::db;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, User};
use crate::error::{AppError, AppResult};
use crate::themes::edit;
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback/{id}/themes", post(add))
        .route("/tags/{id}/remove", post(remove))
}

/// A tag as the item's page lists it.
pub struct ItemTagView {
    pub id: i64,
    pub theme_id: i64,
    pub theme_name: String,
    /// `suggested`, `confirmed` or `rejected`.
    pub state: String,
    /// "Suggested by the tagger", "Tagged by hand", "Rule".
    pub origin: &'static str,
    pub confidence: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<When>,
}

/// Everything the item page needs for its themes section.
pub struct ItemThemes {
    pub tags: Vec<ItemTagView>,
    /// Active themes the item does not carry yet, for "add a theme".
    pub options: Vec<(i64, String)>,
    pub can_tag: bool,
}

fn origin_label(origin: &str) -> &'static str {
    match origin {
        "auto" => "Suggested by the tagger",
        "manual" => "Tagged by hand",
        "rule" => "Rule",
        _ => "Other",
    }
}

/// The item's tags and the themes it could be given.
pub async fn for_item(pool: &sqlx::PgPool, user: &User, feedback_id: i64) -> AppResult<ItemThemes> {
    let tags = db::item_tags(pool, feedback_id).await?;
    let can_tag = user.can(Permission::TagFeedback);
    let options = if can_tag {
        crate::themes::db::list(pool, Some("active"))
            .await?
            .into_iter()
            .filter(|t| !tags.iter().any(|g| g.theme_id == t.id))
            .map(|t| (t.id, t.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ItemThemes {
        tags: tags
            .into_iter()
            .map(|t| ItemTagView {
                id: t.id,
                theme_id: t.theme_id,
                theme_name: t.theme_name,
                origin: origin_label(&t.origin),
                confidence: t.confidence.map(|c| format!("{:.0} %", c * 100.0)),
                state: t.state,
                decided_by: t.decided_by,
                decided_at: t.decided_at.map(When::from),
            })
            .collect(),
        options,
        can_tag,
    })
}

#[derive(Debug, Deserialize)]
struct AddForm {
    #[serde(default)]
    theme_id: String,
}

async fn add(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    current.user.require(Permission::TagFeedback)?;
    let back = format!("/feedback/{id}#themes");
    let Ok(theme_id) = form.theme_id.trim().parse::<i64>() else {
        set_flash(
            &current.session,
            FlashKind::Warning,
            "Choose a theme to add.",
            None,
        )
        .await?;
        return Ok(Redirect::to(&back).into_response());
    };
    match edit::tag_by_hand(&state.pool, &Actor::User(&current.user), id, theme_id).await {
        Ok(_) => set_flash(&current.session, FlashKind::Success, "Theme added.", None).await?,
        Err(AppError::Validation(errors)) => {
            let message = errors
                .0
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            set_flash(&current.session, FlashKind::Warning, message, None).await?
        }
        Err(e) => return Err(e),
    }
    Ok(Redirect::to(&back).into_response())
}

async fn remove(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::TagFeedback)?;
    let feedback_id = edit::remove_tag(&state.pool, &Actor::User(&current.user), id).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        "Theme removed from this item.",
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/feedback/{feedback_id}#themes")).into_response())
}
