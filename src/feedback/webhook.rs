//! The support-tool webhook: a ticket becomes (or updates) a `support` feedback item. Support
//! tools name their fields differently, so the ticket is read leniently (aliases, a `ticket`
//! wrapper, numeric ids) and the API document says exactly how.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::api::{WrittenItem, ingest_error, looks_like};
use super::{FeedbackInput, db, ingest};
use crate::app::AppState;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::ApiJson;
use crate::error::{ApiResult, AppError};
use crate::validation::FieldErrors;

/// The ticket's text fields (besides `id`), under every name support tools use.
const TEXT_FIELDS: &[&str] = &[
    "subject",
    "description",
    "body",
    "requester_email",
    "organisation_external_id",
    "organization_external_id",
    "created_at",
];

/// What the document cannot derive about a delivery: its aliases, its wrapper, its numeric id.
pub fn doc_rules(doc: &mut Value) {
    // A delivery is the ticket itself, or `{"ticket": {…}}` as some tools wrap it.
    if let Some(body) = doc.pointer_mut(
        "/paths/~1api~1v1~1webhooks~1support/post/requestBody/content/application~1json/schema",
    ) {
        *body = json!({"anyOf": [
            {"$ref": "#/components/schemas/SupportTicket"},
            {"type": "object", "required": ["ticket"],
             "properties": {"ticket": {"$ref": "#/components/schemas/SupportTicket"}},
             "not": {"required": ["id"]}}
        ]});
    }
    let Some(ticket) = doc.pointer_mut("/components/schemas/SupportTicket") else {
        return;
    };
    // What support tools send under other names is read too (see `support_webhook`).
    // Blank is "not sent" here: the other name (`body`) may carry the text.
    let description = &mut ticket["properties"]["description"];
    description["type"] = json!(["string", "null"]);
    if let Some(d) = description.as_object_mut() {
        d.remove("pattern");
        d.remove("minLength");
    }
    let description = ticket["properties"]["description"].clone();
    ticket["properties"]["body"] = description;
    ticket["properties"]["organization_external_id"] =
        ticket["properties"]["organisation_external_id"].clone();
    ticket["properties"]["id"]["type"] = json!(["string", "integer"]);
    ticket["properties"]["created_at"] = crate::api_doc::date_time_or_empty();
    ticket["properties"]["requester_email"] = crate::api_doc::email_or_empty();
    ticket["required"] = json!(["id"]);
    ticket["anyOf"] = json!([
        {"required": ["description"], "properties": {"description": {"type": "string", "pattern": "\\S"}}},
        {"required": ["body"], "properties": {"body": {"type": "string", "pattern": "\\S"}}}
    ]);
}

/// A ticket as support tools send it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SupportTicket {
    /// The ticket id in the support tool (string or number); the same id updates the same item.
    id: String,
    subject: Option<String>,
    description: String,
    requester_email: Option<String>,
    /// The customer's id in the CRM (`organization_external_id` also accepted).
    organisation_external_id: Option<String>,
    /// RFC 3339.
    created_at: Option<String>,
}

fn ticket_text(ticket: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match ticket.get(*n) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        // Support tools number their tickets.
        Some(Value::Number(id)) if *n == "id" && (id.is_i64() || id.is_u64()) => {
            Some(id.to_string())
        }
        _ => None,
    })
}

/// Support-tool webhook: a ticket becomes (or updates) a `support` feedback item.
/// Tickets from organisations Goldthread does not know yet are kept, with the organisation id in
/// the metadata, rather than refused.
#[utoipa::path(
    post, path = "/api/v1/webhooks/support", tag = "feedback", security(("bearer" = [])),
    request_body = SupportTicket,
    responses(
        (status = 201, description = "Created", body = WrittenItem),
        (status = 200, description = "Updated the item from an earlier delivery", body = WrittenItem),
        (status = 422, description = "Invalid ticket", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn support_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<WrittenItem>)> {
    user.require(Permission::LogFeedback)?;
    // The ticket itself, or wrapped as `{"ticket": {…}}` (when there is no top-level id).
    let wrapped = body
        .get("ticket")
        .and_then(Value::as_object)
        .filter(|_| body.get("id").is_none());
    let ticket = wrapped.or_else(|| body.as_object()).ok_or_else(|| {
        AppError::Validation(FieldErrors::single(
            "ticket",
            "Send the ticket as a JSON object",
        ))
    })?;
    let mut errors = FieldErrors::default();
    for (key, value) in ticket {
        let text = matches!(value, Value::String(_) | Value::Null);
        if TEXT_FIELDS.contains(&key.as_str()) && !text {
            errors.add(key, "Send this as text (or null)");
        } else if let Value::String(s) = value
            && (key == "id" || TEXT_FIELDS.contains(&key.as_str()))
        {
            // Fields the ticket does not read are ignored, as the document allows.
            errors.check_text(key, Some(s), matches!(key.as_str(), "description" | "body"));
        } else if key == "id" && !(text || value.is_i64() || value.is_u64()) {
            errors.add(key, "Send the ticket id as text or a whole number");
        }
    }
    let id = ticket_text(ticket, &["id"]);
    if id.is_none() {
        errors.add(
            "id",
            "The ticket id is required, so a repeated delivery updates instead of duplicating",
        );
    }
    let organisation = ticket_text(
        ticket,
        &["organisation_external_id", "organization_external_id"],
    );
    let known_account = match &organisation {
        Some(org) => db::unknown_account_ids(&state.pool, std::slice::from_ref(org))
            .await?
            .is_empty(),
        None => false,
    };
    let mut metadata = Map::new();
    metadata.insert("via".into(), json!("support_webhook"));
    if let Some(org) = &organisation
        && !known_account
    {
        metadata.insert("organisation_external_id".into(), json!(org));
    }
    let input = FeedbackInput {
        source: Some("support".into()),
        external_id: id,
        title: ticket_text(ticket, &["subject"]),
        body: ticket_text(ticket, &["description", "body"]),
        contact_email: ticket_text(ticket, &["requester_email"]),
        account_external_id: organisation.filter(|_| known_account),
        received_at: ticket_text(ticket, &["created_at"]),
        nps_score: None,
        metadata: Some(Value::Object(metadata)),
    };
    if !errors.is_empty() {
        if let Err(more) = input.validate() {
            errors.0.extend(more.0);
        }
        return Err(AppError::Validation(errors).into());
    }
    let near = looks_like(&state, &input).await;
    let written = ingest::ingest(&state.pool, &[input], Some(user.id))
        .await
        .map_err(|e| ingest_error(e, true))?;
    crate::feedback::after_ingest(&state.pool, written.iter().map(|w| w.id).collect()).await;
    let w = written
        .first()
        .copied()
        .ok_or_else(|| AppError::Anyhow(anyhow::anyhow!("nothing written")))?;
    let status = if w.inserted {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(WrittenItem {
            id: w.id,
            created: w.inserted,
            looks_like: if w.inserted { near } else { Vec::new() },
        }),
    ))
}
