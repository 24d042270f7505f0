//! JSON routes for themes (same validation and db functions as the pages).

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Theme, ThemeInput, db, edit};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::{ApiUser, Permission};
use crate::error::extract::{ApiJson, ApiPath, ApiQuery};
use crate::error::{ApiResult, AppError};
use crate::insights::db::Scope;
use crate::insights::figures::{self, Period, ThemeFigures};
use crate::validation::FieldErrors;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_themes, create_theme))
        .routes(routes!(get_theme))
}

/// A theme's figures over a period (volumes and trend are relative to its end).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub from: String,
    pub to: String,
    pub items_in_period: i64,
    pub confirmed_in_period: i64,
    pub items_30_days: i64,
    pub items_90_days: i64,
    pub last_4_weeks: i64,
    pub previous_4_weeks: i64,
    /// e.g. "+18 %" (last 4 weeks against the 4 before), "new" or "0 %".
    pub trend: String,
    pub accounts: i64,
    pub arr_at_stake_cents: i64,
    /// The reporting currency `arr_at_stake_cents` is in (converted at the rates of `to`);
    /// accounts in a currency without a rate are left out.
    pub arr_currency: String,
    /// NPS of the accounts that mention the theme (all their NPS answers in the period);
    /// null when they gave none.
    pub nps: Option<f64>,
    pub nps_answers: i64,
    /// NPS of the NPS comments tagged with the theme; null when none.
    pub mention_nps: Option<f64>,
    pub mention_answers: i64,
    /// Items per source in the period.
    #[schema(value_type = Object)]
    pub sources: serde_json::Map<String, serde_json::Value>,
    /// Items per week, oldest first, the 12 weeks up to `to`.
    pub weekly: Vec<i64>,
}

impl Figures {
    fn new(f: &ThemeFigures, period: Period) -> Self {
        Figures {
            from: period.from.to_string(),
            to: period.to.to_string(),
            items_in_period: f.period_items,
            confirmed_in_period: f.confirmed,
            items_30_days: f.items_30,
            items_90_days: f.items_90,
            last_4_weeks: f.last4,
            previous_4_weeks: f.prev4,
            trend: f.trend().text,
            accounts: f.accounts,
            arr_at_stake_cents: f.arr_cents,
            arr_currency: f.arr_currency.clone(),
            nps: f.account_nps.score(),
            nps_answers: f.account_nps.responses(),
            mention_nps: f.nps.score(),
            mention_answers: f.nps.responses(),
            sources: f
                .sources
                .iter()
                .map(|(s, n)| ((*s).to_owned(), serde_json::json!(n)))
                .collect(),
            weekly: f.spark.clone(),
        }
    }
}

/// The period of the figures.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// YYYY-MM-DD; default 89 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// YYYY-MM-DD; default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

/// Filters of the theme list (as on the overview page).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ThemeListParams {
    #[param(schema_with = segment_schema)]
    pub segment: Option<String>,
    #[param(schema_with = crate::feedback::query::source_schema)]
    pub source: Option<String>,
    /// YYYY-MM-DD; default 89 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// YYYY-MM-DD; default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

fn segment_schema() -> utoipa::openapi::Object {
    crate::feedback::query::enum_schema(crate::web::labels::SEGMENTS.iter().map(|(k, _)| *k))
}

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The period, or what is wrong with its dates.
fn period(from: &Option<String>, to: &Option<String>, errors: &mut FieldErrors) -> Period {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    for (field, value) in [("from", from), ("to", to)] {
        if let Some(v) = present(value)
            && time::Date::parse(v, &fmt).is_err()
        {
            errors.add(field, "Enter the date as YYYY-MM-DD");
        }
    }
    Period::parse(present(from), present(to))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThemeWithFigures {
    #[serde(flatten)]
    pub theme: Theme,
    pub figures: Figures,
}

/// Active themes with their figures (filters as on the overview page).
#[utoipa::path(
    get,
    path = "/api/v1/themes",
    operation_id = "list_themes",
    tag = "themes",
    security(("bearer" = [])),
    params(ThemeListParams),
    responses(
        (status = 200, description = "Active themes", body = Vec<ThemeWithFigures>),
        (status = 401, description = "Missing or wrong token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_themes(
    State(state): State<AppState>,
    Extension(caches): Extension<crate::insights::Caches>,
    ApiUser(user): ApiUser,
    ApiQuery(q): ApiQuery<ThemeListParams>,
) -> ApiResult<Json<Vec<ThemeWithFigures>>> {
    user.require(Permission::Read)?;
    let mut errors = FieldErrors::default();
    let period = period(&q.from, &q.to, &mut errors);
    let source = present(&q.source).map(str::to_owned);
    if let Some(s) = &source
        && !crate::web::labels::SOURCES.contains(&s.as_str())
    {
        errors.add(
            "source",
            format!("There is no source called \"{}\"", s.escape_debug()),
        );
    }
    let segment = present(&q.segment).map(str::to_owned);
    if let Some(s) = &segment
        && !crate::web::labels::SEGMENTS.iter().any(|(k, _)| k == s)
    {
        errors.add(
            "segment",
            format!("There is no segment called \"{}\"", s.escape_debug()),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let scope = Scope {
        theme_id: None,
        source,
        segment,
    };
    let figs = figures::all_themes(&state.pool, &caches.figures, &scope, period).await?;
    let themes = db::list(&state.pool, Some("active")).await?;
    Ok(Json(
        themes
            .into_iter()
            .map(|theme| {
                let f = figs.get(&theme.id).cloned().unwrap_or_default();
                ThemeWithFigures {
                    figures: Figures::new(&f, period),
                    theme,
                }
            })
            .collect(),
    ))
}

/// One theme (any status) with its figures.
#[utoipa::path(
    get,
    path = "/api/v1/themes/{id}",
    tag = "themes",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Theme id"), PeriodParams),
    responses(
        (status = 200, description = "The theme", body = ThemeWithFigures),
        (status = 404, description = "No such theme", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_theme(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PeriodParams>,
) -> ApiResult<Json<ThemeWithFigures>> {
    user.require(Permission::Read)?;
    let mut errors = FieldErrors::default();
    let period = period(&q.from, &q.to, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors).into());
    }
    let theme = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let scope = Scope {
        theme_id: Some(id),
        ..Scope::default()
    };
    let f = figures::compute(&state.pool, &scope, period)
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(Json(ThemeWithFigures {
        figures: Figures::new(&f, period),
        theme,
    }))
}

/// Create a theme (pm, product_ops, admin). `keywords` is a comma-separated string.
#[utoipa::path(
    post,
    path = "/api/v1/themes",
    tag = "themes",
    security(("bearer" = [])),
    request_body = ThemeInput,
    responses(
        (status = 201, description = "Created", body = Theme),
        (status = 403, description = "The token's role may not edit themes", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_theme(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(input): ApiJson<ThemeInput>,
) -> ApiResult<(StatusCode, Json<Theme>)> {
    user.require(Permission::EditThemes)?;
    let fields = input.validate().map_err(AppError::Validation)?;
    let theme = edit::create(&state.pool, &Actor::User(&user), &fields).await?;
    Ok((StatusCode::CREATED, Json(theme)))
}
