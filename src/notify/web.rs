//! The admin's chat webhooks page: the configured webhooks (address masked), add, edit, turn off,
//! delete, and the last deliveries with their status (retry a failed one).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{EVENTS, WebhookFields, WebhookInput, db, deliver, masked_url};
use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::format::When;
use crate::web::{ConfirmPage, Layout, form};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(page).post(create))
        .route("/admin/webhooks/{id}", get(edit_page).post(update))
        .route(
            "/admin/webhooks/{id}/delete",
            get(confirm_delete).post(delete),
        )
        .route("/admin/webhooks/deliveries/{id}/retry", post(retry))
}

pub struct WebhookLine {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub events: Vec<&'static str>,
    pub enabled: bool,
}

pub struct DeliveryLine {
    pub id: i64,
    pub webhook: String,
    pub event: &'static str,
    pub state: String,
    pub attempts: i32,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub created: When,
    pub last_try: Option<When>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/webhooks.html")]
pub struct WebhooksPage {
    layout: Layout,
    webhooks: Vec<WebhookLine>,
    deliveries: Vec<DeliveryLine>,
    /// The add/edit form.
    editing: Option<i64>,
    form: WebhookInput,
    errors: FieldErrors,
    events: &'static [(&'static str, &'static str)],
}

fn event_label(e: &str) -> &'static str {
    EVENTS
        .iter()
        .find(|(k, _)| *k == e)
        .map(|(_, l)| *l)
        .unwrap_or("Unknown event")
}

async fn render(
    state: &AppState,
    current: &CurrentUser,
    editing: Option<i64>,
    form: WebhookInput,
    errors: FieldErrors,
) -> AppResult<WebhooksPage> {
    let webhooks = db::list(&state.pool)
        .await?
        .into_iter()
        .map(|w| WebhookLine {
            id: w.id,
            url: masked_url(&w.url),
            events: w.events.iter().map(|e| event_label(e)).collect(),
            name: w.name,
            enabled: w.enabled,
        })
        .collect();
    let deliveries = db::recent_deliveries(&state.pool, None, 50)
        .await?
        .into_iter()
        .map(|d| DeliveryLine {
            id: d.id,
            webhook: d.webhook_name,
            event: event_label(&d.event),
            state: d.state,
            attempts: d.attempts,
            status: d.last_status,
            error: d.last_error,
            created: When::from(d.created_at),
            last_try: d.last_try_at.map(When::from),
        })
        .collect();
    Ok(WebhooksPage {
        layout: Layout::for_user(current, "Chat webhooks", "admin").await?,
        webhooks,
        deliveries,
        editing,
        form,
        errors,
        events: EVENTS,
    })
}

fn read_form(pairs: &[(String, String)]) -> WebhookInput {
    WebhookInput {
        name: form::field(pairs, "name"),
        url: form::field(pairs, "url"),
        events: pairs
            .iter()
            .filter(|(k, _)| k == "events")
            .map(|(_, v)| v.clone())
            .collect(),
        enabled: pairs.iter().any(|(k, _)| k == "enabled"),
    }
}

async fn page(State(state): State<AppState>, current: CurrentUser) -> AppResult<WebhooksPage> {
    current.user.require(Permission::Administer)?;
    let form = WebhookInput {
        enabled: true,
        events: EVENTS.iter().map(|(k, _)| (*k).to_owned()).collect(),
        ..Default::default()
    };
    render(&state, &current, None, form, FieldErrors::default()).await
}

fn audit_json(f: &WebhookFields) -> serde_json::Value {
    json!({ "name": f.name, "url": masked_url(&f.url), "events": f.events, "enabled": f.enabled })
}

pub async fn save(
    state: &AppState,
    actor: &Actor<'_>,
    id: Option<i64>,
    f: &WebhookFields,
) -> AppResult<i64> {
    let mut tx = state.pool.begin().await?;
    let (id, action, summary) = match id {
        None => {
            let id = db::insert(&mut *tx, f, actor.id()).await?;
            (
                id,
                "webhook.create",
                format!("Added the chat webhook \"{}\"", f.name),
            )
        }
        Some(id) => {
            if !db::update(&mut *tx, id, f).await? {
                return Err(AppError::NotFound);
            }
            (
                id,
                "webhook.update",
                format!("Edited the chat webhook \"{}\"", f.name),
            )
        }
    };
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action,
            entity_type: "webhook",
            entity_id: Some(id.to_string()),
            summary,
            before: None,
            after: Some(audit_json(f)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    current.user.require(Permission::Administer)?;
    let input = read_form(&pairs);
    match input.validate() {
        Ok(f) => {
            save(&state, &Actor::User(&current.user), None, &f).await?;
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Added \"{}\". Its events are sent from now on.", f.name),
                None,
            )
            .await?;
            Ok(Redirect::to("/admin/webhooks").into_response())
        }
        Err(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&state, &current, None, input, errors).await?,
        )
            .into_response()),
    }
}

async fn edit_page(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<WebhooksPage> {
    current.user.require(Permission::Administer)?;
    let w = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let form = WebhookInput {
        name: w.name,
        url: w.url,
        events: w.events,
        enabled: w.enabled,
    };
    render(&state, &current, Some(id), form, FieldErrors::default()).await
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    current.user.require(Permission::Administer)?;
    db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let input = read_form(&pairs);
    match input.validate() {
        Ok(f) => {
            save(&state, &Actor::User(&current.user), Some(id), &f).await?;
            set_flash(&current.session, FlashKind::Success, "Webhook saved.", None).await?;
            Ok(Redirect::to("/admin/webhooks").into_response())
        }
        Err(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&state, &current, Some(id), input, errors).await?,
        )
            .into_response()),
    }
}

async fn confirm_delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ConfirmPage> {
    current.user.require(Permission::Administer)?;
    let w = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    Ok(ConfirmPage {
        layout: Layout::for_user(&current, "Delete the webhook", "admin").await?,
        heading: format!("Delete the webhook \"{}\"?", w.name),
        explanation: "Nothing more is sent to it, and its delivery history is deleted with it. To pause it instead, edit it and untick \"On\".".into(),
        action: format!("/admin/webhooks/{id}/delete"),
        button: "Delete the webhook",
        back: "/admin/webhooks".into(),
    })
}

pub async fn remove(state: &AppState, actor: &Actor<'_>, id: i64) -> AppResult<String> {
    let w = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let mut tx = state.pool.begin().await?;
    db::delete(&mut *tx, id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "webhook.delete",
            entity_type: "webhook",
            entity_id: Some(id.to_string()),
            summary: format!("Deleted the chat webhook \"{}\"", w.name),
            before: Some(json!({ "name": w.name, "url": masked_url(&w.url), "events": w.events })),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(w.name)
}

async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::Administer)?;
    let name = remove(&state, &Actor::User(&current.user), id).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("Deleted the webhook \"{name}\"."),
        None,
    )
    .await?;
    Ok(Redirect::to("/admin/webhooks").into_response())
}

async fn retry(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::Administer)?;
    let message = if deliver::retry_now(&state.pool, id).await? {
        "Trying that delivery again now."
    } else {
        "Only a failed delivery can be tried again."
    };
    set_flash(&current.session, FlashKind::Info, message, None).await?;
    Ok(Redirect::to("/admin/webhooks#deliveries").into_response())
}
