//! Actions on a selection of the feedback list: archive, restore, tag with a theme, set the
//! account. One audit entry per action with its counts.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;

use super::db;
use crate::app::AppState;
use crate::audit::{self, Actor, Batch};
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::AppResult;
use crate::web::form::{field, ids, pairs};

pub fn router() -> Router<AppState> {
    Router::new().route("/feedback/bulk", post(bulk))
}

/// At most this many items per action (a page holds at most 200).
const MAX_ITEMS: usize = 500;

async fn bulk(
    State(state): State<AppState>,
    current: CurrentUser,
    body: Bytes,
) -> AppResult<Response> {
    current.user.require(Permission::TagFeedback)?;
    let p = pairs(&body);
    let field = |name: &str| field(&p, name).trim().to_owned();
    let back = match field("back") {
        b if b.starts_with("/feedback") && !b.starts_with("//") => b,
        _ => "/feedback".to_owned(),
    };
    let mut ids = ids(&p, "item");
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(MAX_ITEMS);
    let session = current.session.clone();
    let back_to = back.clone();
    let warn = |message: &'static str| async move {
        set_flash(&session, FlashKind::Warning, message, None).await?;
        AppResult::Ok(Redirect::to(&back_to).into_response())
    };
    if ids.is_empty() {
        return warn("Tick the items first.").await;
    }
    let actor = Actor::User(&current.user);
    let message = match field("action").as_str() {
        "archive" | "restore" => {
            let archived = field("action") == "archive";
            let mut tx = state.pool.begin().await?;
            let changed = db::set_archived_many(&mut *tx, &ids, archived).await?;
            audit::db::record_batch(
                &mut *tx,
                &actor,
                Batch {
                    action: if archived { "archive" } else { "restore" },
                    entity_type: "feedback",
                    summary: format!(
                        "{} {} feedback items from the list",
                        if archived { "Archived" } else { "Restored" },
                        changed.len()
                    ),
                    inserted: 0,
                    updated: changed.len() as i64,
                    unchanged: (ids.len() - changed.len()) as i64,
                    detail: serde_json::json!({ "ids": changed }),
                },
            )
            .await?;
            tx.commit().await?;
            let verb = if archived { "Archived" } else { "Restored" };
            format!("{verb} {} of {} items.", changed.len(), ids.len())
        }
        "tag" => {
            let Ok(theme_id) = field("theme_id").parse::<i64>() else {
                return warn("Choose the theme to tag them with.").await;
            };
            let Some(theme) = crate::themes::db::get(&state.pool, theme_id)
                .await?
                .filter(|t| t.status == "active")
            else {
                return warn("Choose an active theme.").await;
            };
            let (_, tagged) =
                crate::themes::edit::tag_items(&state.pool, &actor, &theme, &ids).await?;
            format!(
                "Tagged {tagged} of {} items with {}.",
                ids.len(),
                theme.name
            )
        }
        "set_account" => {
            let text = field("account");
            if text.is_empty() {
                return warn("Give the account: its name, domain or external id.").await;
            }
            if crate::validation::control_character(&text, false).is_some() {
                return warn("The account may hold only printable text.").await;
            }
            let found =
                crate::accounts::db::match_by_text(&state.pool, std::slice::from_ref(&text))
                    .await?
                    .remove(&text);
            let account = match found {
                Some(external_id) => {
                    crate::accounts::db::get_by_external_id(&state.pool, &external_id).await?
                }
                None => None,
            };
            let Some(account) = account else {
                set_flash(
                    &current.session,
                    FlashKind::Warning,
                    format!("No account is called \"{text}\" or has that domain or external id."),
                    None,
                )
                .await?;
                return Ok(Redirect::to(&back).into_response());
            };
            let mut tx = state.pool.begin().await?;
            let changed = db::set_account_many(&mut *tx, &ids, account.id).await?;
            audit::db::record_batch(
                &mut *tx,
                &actor,
                Batch {
                    action: "set_account",
                    entity_type: "feedback",
                    summary: format!(
                        "Set the account of {} feedback items to {}",
                        changed.len(),
                        account.name
                    ),
                    inserted: 0,
                    updated: changed.len() as i64,
                    unchanged: (ids.len() - changed.len()) as i64,
                    detail: serde_json::json!({ "ids": changed, "account_id": account.id }),
                },
            )
            .await?;
            tx.commit().await?;
            format!(
                "Set the account of {} of {} items to {}.",
                changed.len(),
                ids.len(),
                account.name
            )
        }
        _ => return warn("Choose what to do with the ticked items.").await,
    };
    set_flash(&current.session, FlashKind::Success, message, None).await?;
    Ok(Redirect::to(&back).into_response())
}
