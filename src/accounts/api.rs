//! JSON routes for accounts: list with search and cursor pagination, one account, create or upsert.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AccountInput;
use super::db::{self, AccountRow, Cursor, ListFilter, Sort};
use super::edit;
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::{ApiJson, ApiPath, ApiQuery};
use crate::error::{ApiError, ApiResult, AppError};
use crate::validation::FieldErrors;

/// Largest page the list answers.
const MAX_LIMIT: i64 = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
}

/// Query of `GET /api/v1/accounts`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Part of the name, or an exact domain or account ID.
    pub q: Option<String>,
    #[param(schema_with = segment_schema)]
    pub segment: Option<String>,
    #[param(schema_with = lifecycle_schema)]
    pub lifecycle: Option<String>,
    /// `arr` (largest first, the default), `arr_asc`, `name`, `name_desc`.
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1–500 (default 100); a number out of range is refused.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

fn segment_schema() -> utoipa::openapi::Object {
    crate::feedback::query::enum_schema(super::Segment::ALL.iter().map(|s| s.as_str()))
}

fn lifecycle_schema() -> utoipa::openapi::Object {
    crate::feedback::query::enum_schema(super::Lifecycle::ALL.iter().map(|s| s.as_str()))
}

fn sort_schema() -> utoipa::openapi::Object {
    crate::feedback::query::enum_schema(["arr", "arr_asc", "name", "name_desc"])
}

/// A page of accounts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountRow>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// An account to create, or to update when one with the same `external_id` exists.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AccountBody {
    /// The account's id in the CRM or billing system (required).
    #[schema(required = true, max_length = 200)]
    pub external_id: Option<String>,
    /// Required.
    #[schema(required = true, max_length = 300)]
    pub name: Option<String>,
    pub domain: Option<String>,
    /// A number of currency units (`1200000`, `1200000.5`) or text like `"$1.2M"`; absent, `null`
    /// or `""` for none (stored as `null`, not 0).
    #[schema(value_type = Option<String>)]
    pub arr: Option<serde_json::Value>,
    /// ISO 4217 code; USD when absent.
    pub currency: Option<String>,
    /// `smb`, `mid_market` or `enterprise`.
    pub segment: Option<String>,
    pub plan: Option<String>,
    /// `prospect`, `customer` (default) or `churned`.
    pub lifecycle: Option<String>,
    /// Email of the user who owns the account; the owner is kept when absent.
    pub owner_email: Option<String>,
}

fn bad_param(field: &str, message: &str) -> ApiError {
    ApiError(AppError::Validation(FieldErrors::single(field, message)))
}

/// Accounts matching the filters, largest ARR first unless sorted otherwise.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    operation_id = "list_accounts",
    tag = "accounts",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of accounts", body = AccountPage),
        (status = 401, description = "Missing or wrong token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<AccountPage>> {
    user.require(Permission::Read)?;
    let mut errors = FieldErrors::default();
    for (field, value) in [
        ("q", &params.q),
        ("segment", &params.segment),
        ("lifecycle", &params.lifecycle),
        ("sort", &params.sort),
        ("cursor", &params.cursor),
    ] {
        errors.check_text(field, value.as_deref(), false);
    }
    if let Some(n) = params.limit
        && !(1..=MAX_LIMIT).contains(&n)
    {
        errors.add(
            "limit",
            format!("Choose a limit from 1 to {MAX_LIMIT} accounts per page"),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let clean = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let segment = match clean(&params.segment) {
        None => None,
        Some(s) => Some(
            s.parse()
                .map_err(|e: super::UnknownValue| bad_param("segment", &e.0))?,
        ),
    };
    let lifecycle = match clean(&params.lifecycle) {
        None => None,
        Some(s) => Some(
            s.parse()
                .map_err(|e: super::UnknownValue| bad_param("lifecycle", &e.0))?,
        ),
    };
    let sort = Sort::parse(params.sort.as_deref());
    let cursor = match clean(&params.cursor) {
        None => None,
        Some(c) => Some(Cursor::decode(&c).ok_or_else(|| {
            bad_param(
                "cursor",
                "This cursor is not one we gave out; start again without it",
            )
        })?),
    };
    let limit = params.limit.unwrap_or(100);
    let filter = ListFilter {
        q: clean(&params.q),
        segment,
        lifecycle,
        sort,
        cursor,
    };
    let (items, more) = db::list(&state.pool, &filter, limit).await?;
    let next_cursor = match items.last() {
        Some(last) if more => Some(Cursor::after(last, sort).encode()),
        _ => None,
    };
    Ok(Json(AccountPage { items, next_cursor }))
}

/// One account.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}",
    operation_id = "get_account",
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = AccountRow),
        (status = 404, description = "No such account", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AccountRow>> {
    user.require(Permission::Read)?;
    let row = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(row))
}

fn arr_text(v: &Option<serde_json::Value>) -> Result<Option<String>, FieldErrors> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(FieldErrors::single(
            "arr",
            "ARR must be a number like 1200000 or text like \"$1.2M\"",
        )),
    }
}

/// Creates an account, or updates the one with the same `external_id` (sending the same
/// account twice changes nothing). Answers 201 when created, 200 when it existed.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    operation_id = "create_account",
    tag = "accounts",
    security(("bearer" = [])),
    request_body = AccountBody,
    responses(
        (status = 201, description = "Created", body = AccountRow),
        (status = 200, description = "Updated (or unchanged)", body = AccountRow),
        (status = 403, description = "The token's role may not manage data", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each listed in `errors`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<AccountBody>,
) -> ApiResult<(StatusCode, Json<AccountRow>)> {
    user.require(Permission::ManageData)?;
    let mut errors = FieldErrors::default();
    let arr = arr_text(&body.arr).unwrap_or_else(|e| {
        errors.extend(e);
        None
    });
    let owner = match body.owner_email.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(email) => {
            let email = crate::auth::normalize_email(email);
            match crate::auth::db::find_by_email(&state.pool, &email).await? {
                Some(u) => Some(u.id),
                None => {
                    errors.add_conflict("owner_email", format!("No user has the email {email}"));
                    None
                }
            }
        }
    };
    let input = AccountInput {
        external_id: body.external_id,
        name: body.name,
        domain: body.domain,
        arr,
        currency: body.currency,
        segment: body.segment,
        plan: body.plan,
        lifecycle: body.lifecycle,
    };
    let account = match input.validate() {
        Ok(a) if errors.is_empty() => a,
        Ok(_) => return Err(AppError::Validation(errors).into()),
        Err(mut e) => {
            e.extend(errors);
            return Err(AppError::Validation(e).into());
        }
    };
    let (id, created) = edit::upsert(&state.pool, &Actor::User(&user), &account, owner).await?;
    let row = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(row)))
}
