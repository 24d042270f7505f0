//! Feedback JSON API: create one item or a batch, list with the page's filters (the support
//! webhook is `webhook.rs`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::FeedbackInput;
use super::db::{self, ListedFeedback};
use super::ingest::{self, IngestError, MAX_BATCH};
use super::query::ListParams;
use crate::app::AppState;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::{ApiJson, ApiQuery};
use crate::error::{ApiError, ApiResult, AppError};
use crate::validation::FieldErrors;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(super::webhook::support_webhook))
}

/// A feedback item as the API and the JSON export show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackItem {
    pub id: i64,
    pub source: String,
    pub body: String,
    pub title: Option<String>,
    pub external_id: Option<String>,
    pub account_external_id: Option<String>,
    pub account_name: Option<String>,
    pub contact_email: Option<String>,
    pub reporter_email: Option<String>,
    /// RFC 3339.
    pub received_at: String,
    pub nps_score: Option<i16>,
    /// The account's ARR (in cents) when the feedback arrived.
    pub arr_cents_snapshot: Option<i64>,
    pub currency_snapshot: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// Its themes (suggested and confirmed), each with the tag id that
    /// `/api/v1/tags/{id}/confirm` and `/reject` take.
    pub themes: Vec<ItemTheme>,
}

/// A theme on an item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemTheme {
    pub tag_id: i64,
    pub theme_id: i64,
    pub name: String,
    /// `suggested` or `confirmed`.
    pub state: String,
}

/// The themes (suggested and confirmed) of each of these items, by item id.
pub async fn themes_of(
    db: impl sqlx::PgExecutor<'_>,
    rows: &[ListedFeedback],
) -> sqlx::Result<HashMap<i64, Vec<ItemTheme>>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.item.id).collect();
    themes_of_ids(db, &ids).await
}

/// The themes (suggested and confirmed) of the items with these ids, by item id, in tag order.
pub async fn themes_of_ids(
    db: impl sqlx::PgExecutor<'_>,
    ids: &[i64],
) -> sqlx::Result<HashMap<i64, Vec<ItemTheme>>> {
    let mut by_item: HashMap<i64, Vec<ItemTheme>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_item);
    }
    let tags =
        crate::themes::tagging::db::list_tags(db, None, Some(ids), None, None, i64::MAX).await?;
    for t in tags {
        by_item.entry(t.feedback_id).or_default().push(ItemTheme {
            tag_id: t.id,
            theme_id: t.theme_id,
            name: t.theme_name,
            state: t.state,
        });
    }
    Ok(by_item)
}

impl FeedbackItem {
    /// The item with its themes (from [`themes_of`]).
    pub fn with_themes(row: &ListedFeedback, themes: &HashMap<i64, Vec<ItemTheme>>) -> Self {
        FeedbackItem {
            themes: themes.get(&row.item.id).cloned().unwrap_or_default(),
            ..FeedbackItem::from(row)
        }
    }
}

impl From<&ListedFeedback> for FeedbackItem {
    fn from(row: &ListedFeedback) -> Self {
        let item = &row.item;
        FeedbackItem {
            id: item.id,
            source: item.source.clone(),
            body: item.body.clone(),
            title: item.title.clone(),
            external_id: item.external_id.clone(),
            account_external_id: item.account_external_id.clone(),
            account_name: item.account_name.clone(),
            contact_email: item.contact_email.clone(),
            reporter_email: row.reporter_email.clone(),
            received_at: crate::web::format::iso(item.received_at),
            nps_score: item.nps_score,
            arr_cents_snapshot: item.arr_cents_snapshot,
            currency_snapshot: item.currency_snapshot.clone(),
            metadata: row.metadata.clone(),
            themes: Vec::new(),
        }
    }
}

/// One item to create (documentation of the accepted shape).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FeedbackItemInput {
    #[schema(schema_with = super::query::source_schema)]
    source: String,
    /// Up to 20,000 characters; tabs and line breaks are the only control characters allowed.
    #[schema(min_length = 1, max_length = 20000)]
    body: String,
    /// Unique per source: sending the same record again updates it.
    external_id: Option<String>,
    title: Option<String>,
    /// The account's external id; it must exist.
    account_external_id: Option<String>,
    #[schema(format = Email)]
    contact_email: Option<String>,
    /// RFC 3339; defaults to now; not in the future.
    #[schema(format = DateTime)]
    received_at: Option<String>,
    /// 0–10; required for `nps`, refused for other sources.
    #[schema(minimum = 0, maximum = 10)]
    nps_score: Option<i16>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
}

/// What the document cannot derive about an item: a score goes with `nps` answers only, dates
/// and emails may be empty, ids may be numbers, and unknown fields are refused.
pub fn doc_rules(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if let Some(item) = schemas.get_mut("FeedbackItemInput") {
        item["if"] = json!({"properties": {"source": {"const": "nps"}}, "required": ["source"]});
        item["then"] =
            json!({"required": ["nps_score"], "properties": {"nps_score": {"type": "integer"}}});
        item["else"] = json!({"properties": {"nps_score": {"type": "null"}}});
        item["properties"]["received_at"] = crate::api_doc::date_time_or_empty();
        // Unknown fields are refused (a typo would otherwise lose the value).
        item["additionalProperties"] = json!(false);
        for id in ["external_id", "account_external_id"] {
            if let Some(p) = item.pointer_mut(&format!("/properties/{id}")) {
                p["type"] = json!(["string", "integer", "null"]);
            }
        }
        item["properties"]["contact_email"] = crate::api_doc::email_or_empty();
    }
}

/// Up to 1,000 items, written all or nothing.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FeedbackBatch {
    #[schema(min_items = 1, max_items = 1000)]
    items: Vec<FeedbackItemInput>,
}

/// The body of `POST /api/v1/feedback`: one item, or `{"items": [item, …]}`.
#[derive(ToSchema, serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum FeedbackBody {
    #[schema(value_type = FeedbackItemInput)]
    One(serde_json::Value),
    #[schema(value_type = FeedbackBatch)]
    Batch(serde_json::Value),
}

/// What `POST /api/v1/feedback` answers with 200: the item (one item) or every item (a batch).
#[derive(ToSchema, serde::Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum WriteResult {
    #[schema(value_type = WrittenItem)]
    One(serde_json::Value),
    #[schema(value_type = BatchWritten)]
    Batch(serde_json::Value),
}

/// What a batch wrote, in the order of its items.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchWritten {
    pub items: Vec<WrittenItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WrittenItem {
    pub id: i64,
    /// false when an earlier copy (same source and external id) was updated.
    pub created: bool,
    /// Earlier items of the same account that say nearly the same, closest first: offered so
    /// the sender can merge or link them, never dropped. Checked for a single new item when the
    /// sentence encoder is installed; empty for an update and for every item of a batch.
    pub looks_like: Vec<LooksLike>,
}

/// An earlier item that looks like the one just written.
#[derive(Debug, Serialize, ToSchema)]
pub struct LooksLike {
    pub id: i64,
    /// How alike by meaning, as a whole percentage.
    pub percent: i64,
    pub excerpt: String,
}

pub(super) async fn looks_like(state: &AppState, input: &FeedbackInput) -> Vec<LooksLike> {
    let offers = crate::embeddings::similar::offer_for_new(
        &state.pool,
        input.account_external_id.as_deref(),
        input.title.as_deref(),
        input.body.as_deref().unwrap_or(""),
    )
    .await;
    match offers {
        Ok(near) => near
            .into_iter()
            .map(|n| LooksLike {
                id: n.id,
                percent: n.percent,
                excerpt: n.excerpt,
            })
            .collect(),
        // An offer is a courtesy: the write goes ahead without it.
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "near-duplicate check failed");
            Vec::new()
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackPage {
    pub items: Vec<FeedbackItem>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

const FIELDS: [&str; 9] = [
    "source",
    "body",
    "external_id",
    "title",
    "account_external_id",
    "contact_email",
    "received_at",
    "nps_score",
    "metadata",
];

/// Read one JSON object into the raw input the validation rules take. Numbers are accepted
/// where text is (ids, scores); unknown fields are reported, not silently dropped. The errors
/// include every rule the item breaks, not just the first kind.
pub fn input_from_json(value: &Value) -> Result<FeedbackInput, FieldErrors> {
    let Some(object) = value.as_object() else {
        return Err(FieldErrors::single(
            "item",
            "Each item must be a JSON object",
        ));
    };
    let mut errors = FieldErrors::default();
    for key in object.keys() {
        if !FIELDS.contains(&key.as_str()) {
            errors.add(
                key,
                format!(
                    "Unknown field \"{key}\"; the fields are: {}",
                    FIELDS.join(", ")
                ),
            );
        }
    }
    let text = |name: &str, errors: &mut FieldErrors| -> Option<String> {
        match object.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(_)) if name == "nps_score" => {
                errors.add(name, "Send the score as a number from 0 to 10");
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            // Ids from systems that number their records; a score is a number.
            Some(Value::Number(n))
                if (n.is_i64() || n.is_u64())
                    && matches!(name, "external_id" | "account_external_id" | "nps_score") =>
            {
                Some(n.to_string())
            }
            Some(_) => {
                errors.add(name, "Must be text");
                None
            }
        }
    };
    let input = FeedbackInput {
        source: text("source", &mut errors),
        body: text("body", &mut errors),
        external_id: text("external_id", &mut errors),
        title: text("title", &mut errors),
        account_external_id: text("account_external_id", &mut errors),
        contact_email: text("contact_email", &mut errors),
        received_at: text("received_at", &mut errors),
        nps_score: text("nps_score", &mut errors),
        metadata: object.get("metadata").filter(|v| !v.is_null()).cloned(),
    };
    if !errors.is_empty()
        && let Err(more) = input.validate()
    {
        let extra: Vec<_> = more
            .0
            .into_iter()
            .filter(|e| errors.get(&e.field).is_none())
            .collect();
        errors.0.extend(extra);
    }
    errors.into_result(input)
}

pub(super) fn ingest_error(err: IngestError, single: bool) -> ApiError {
    match err {
        IngestError::Invalid(errors) => {
            ApiError(AppError::Validation(errors.into_field_errors(single)))
        }
        IngestError::Sqlx(e) => ApiError(AppError::Sqlx(e)),
    }
}

/// Create or update feedback: one item, or `{"items": [...]}` with up to 1,000 items.
/// A batch is all-or-nothing: if any item is invalid nothing is written and every problem is
/// reported as `items[i].field`.
#[utoipa::path(
    post, path = "/api/v1/feedback", operation_id = "create_feedback", tag = "feedback", security(("bearer" = [])),
    request_body(content = FeedbackBody, description = "One item, or {\"items\": [item, …]}"),
    responses(
        (status = 201, description = "Created (one item)", body = WrittenItem),
        (status = 200, description = "Updated an earlier copy (one item), or written (a batch)", body = WriteResult),
        (status = 422, description = "Invalid input; nothing written", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::LogFeedback)?;
    let (values, single) = match body.get("items") {
        Some(Value::Array(items)) => (items.clone(), false),
        Some(_) => {
            return Err(AppError::Validation(FieldErrors::single(
                "items",
                "Must be a list of items",
            ))
            .into());
        }
        None => (vec![body], true),
    };
    if values.is_empty() {
        return Err(
            AppError::Validation(FieldErrors::single("items", "Send at least one item")).into(),
        );
    }
    if values.len() > MAX_BATCH {
        return Err(AppError::Validation(FieldErrors::single(
            "items",
            format!(
                "Send at most {MAX_BATCH} items per request (got {})",
                values.len()
            ),
        ))
        .into());
    }
    let mut inputs = Vec::with_capacity(values.len());
    let mut errors = ingest::BatchErrors::default();
    for (i, v) in values.iter().enumerate() {
        match input_from_json(v) {
            Ok(input) => inputs.push(input),
            Err(e) => errors.0.push((i, e)),
        }
    }
    if !errors.0.is_empty() {
        return Err(ingest_error(IngestError::Invalid(errors), single));
    }
    // One item: earlier items of its account that say nearly the same are offered back
    // (looked up before writing, so the item is not its own duplicate). A batch is not checked.
    let looks_like = match (single, inputs.first()) {
        (true, Some(input)) => looks_like(&state, input).await,
        _ => Vec::new(),
    };
    let written = ingest::ingest(&state.pool, &inputs, Some(user.id))
        .await
        .map_err(|e| ingest_error(e, single))?;
    crate::feedback::after_ingest(&state.pool, written.iter().map(|w| w.id).collect()).await;
    let items: Vec<Value> = written
        .iter()
        .map(|w| {
            // An update of an earlier copy is a known repeat, not a new near-duplicate.
            let near: &[LooksLike] = if single && w.inserted {
                &looks_like
            } else {
                &[]
            };
            json!({"id": w.id, "created": w.inserted, "looks_like": near})
        })
        .collect();
    if single {
        let status = if written.first().is_some_and(|w| w.inserted) {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((
            status,
            Json(items.into_iter().next().unwrap_or(Value::Null)),
        ))
    } else {
        Ok((StatusCode::OK, Json(json!({ "items": items }))))
    }
}

/// List feedback with the same filters as the page; `q` is the full-text search.
#[utoipa::path(
    get, path = "/api/v1/feedback", operation_id = "list_feedback", tag = "feedback", security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of feedback", body = FeedbackPage),
        (status = 422, description = "A filter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<FeedbackPage>> {
    user.require(Permission::Read)?;
    let (mut filter, cursor, limit, errors) = params.parse();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    filter.add_semantic(&state.pool).await?;
    let listing = db::list(&state.pool, &filter, cursor, limit).await?;
    let rows = listing.rows;
    let next_cursor = listing.next.map(|c| c.encode());
    let themes = themes_of(&state.pool, &rows).await?;
    Ok(Json(FeedbackPage {
        items: rows
            .iter()
            .map(|r| FeedbackItem::with_themes(r, &themes))
            .collect(),
        next_cursor,
    }))
}
