//! JSON routes for chat webhooks (admins only): list, create, read, change, delete, and a
//! webhook's last deliveries. Addresses are credentials: they are written, never read back whole.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{WebhookInput, db, masked_url};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::{ApiJson, ApiPath};
use crate::error::{ApiResult, AppError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook, delete_webhook))
        .routes(routes!(list_deliveries))
}

/// Where to post and which events. `events`: guide_published, digest_published, theme_spiking.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct WebhookBody {
    pub name: String,
    /// The incoming-webhook address (an absolute http or https URL).
    pub url: String,
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookJson {
    pub id: i64,
    pub name: String,
    /// The address with its secret part hidden.
    pub url_masked: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

impl From<db::Webhook> for WebhookJson {
    fn from(w: db::Webhook) -> Self {
        WebhookJson {
            id: w.id,
            url_masked: masked_url(&w.url),
            name: w.name,
            events: w.events,
            enabled: w.enabled,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryJson {
    pub id: i64,
    pub event: String,
    /// pending (waiting for a try or a retry), delivered or failed (gave up).
    pub state: String,
    pub attempts: i32,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

fn input(body: WebhookBody) -> WebhookInput {
    WebhookInput {
        name: body.name,
        url: body.url,
        events: body.events,
        enabled: body.enabled,
    }
}

async fn webhook_or_404(state: &AppState, id: i64) -> Result<db::Webhook, AppError> {
    db::get(&state.pool, id).await?.ok_or(AppError::NotFound)
}

/// Every chat webhook.
#[utoipa::path(get, path = "/api/v1/outgoing-webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "Webhooks", body = Vec<WebhookJson>)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<WebhookJson>>> {
    user.require(Permission::Administer)?;
    Ok(Json(
        db::list(&state.pool)
            .await?
            .into_iter()
            .map(WebhookJson::from)
            .collect(),
    ))
}

/// Add a chat webhook.
#[utoipa::path(post, path = "/api/v1/outgoing-webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = WebhookBody,
    responses((status = 201, description = "Created", body = WebhookJson)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<WebhookBody>,
) -> ApiResult<(StatusCode, Json<WebhookJson>)> {
    user.require(Permission::Administer)?;
    let f = input(body).validate().map_err(AppError::Validation)?;
    let id = super::web::save(&state, &Actor::User(&user), None, &f).await?;
    Ok((
        StatusCode::CREATED,
        Json(webhook_or_404(&state, id).await?.into()),
    ))
}

/// One chat webhook.
#[utoipa::path(get, path = "/api/v1/outgoing-webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook", body = WebhookJson)))]
pub async fn get_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WebhookJson>> {
    user.require(Permission::Administer)?;
    Ok(Json(webhook_or_404(&state, id).await?.into()))
}

/// Replace a chat webhook's settings.
#[utoipa::path(put, path = "/api/v1/outgoing-webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    request_body = WebhookBody,
    responses((status = 200, description = "Saved", body = WebhookJson)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<WebhookBody>,
) -> ApiResult<Json<WebhookJson>> {
    user.require(Permission::Administer)?;
    webhook_or_404(&state, id).await?;
    let f = input(body).validate().map_err(AppError::Validation)?;
    super::web::save(&state, &Actor::User(&user), Some(id), &f).await?;
    Ok(Json(webhook_or_404(&state, id).await?.into()))
}

/// Delete a chat webhook and its delivery history.
#[utoipa::path(delete, path = "/api/v1/outgoing-webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    user.require(Permission::Administer)?;
    super::web::remove(&state, &Actor::User(&user), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's last 100 deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/outgoing-webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 200, description = "Deliveries", body = Vec<DeliveryJson>)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<DeliveryJson>>> {
    user.require(Permission::Administer)?;
    webhook_or_404(&state, id).await?;
    Ok(Json(
        db::recent_deliveries(&state.pool, Some(id), 100)
            .await?
            .into_iter()
            .map(|d| DeliveryJson {
                id: d.id,
                event: d.event,
                state: d.state,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                created_at: d
                    .created_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            })
            .collect(),
    ))
}
