//! The admin's money page: the reporting currency, the rates in use, every rate entered, adding
//! one, pasting many as CSV, and deleting one (after a confirmation page).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::rates::db::{self, RateRow};
use super::rates::{self, CsvProblem, RateForm};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::{ConfirmPage, Layout};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/money", get(page))
        .route("/admin/money/currency", post(set_currency))
        .route("/admin/money/rates", post(add_rate))
        .route("/admin/money/rates/import", post(import_rates))
        .route(
            "/admin/money/rates/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

/// The currencies offered for reporting (any 3-letter code can be typed too).
const COMMON: [&str; 8] = ["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CurrencyForm {
    pub reporting_currency: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CsvForm {
    pub csv: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/money.html")]
pub struct MoneyPage {
    layout: Layout,
    reporting: String,
    today: String,
    common: &'static [&'static str],
    in_use: Vec<(String, String)>,
    rates: Vec<RateRow>,
    currency_form: CurrencyForm,
    currency_errors: FieldErrors,
    rate_form: RateForm,
    rate_errors: FieldErrors,
    csv_form: CsvForm,
    csv_problems: Vec<CsvProblem>,
}

impl MoneyPage {
    async fn load(state: &AppState, current: &CurrentUser) -> AppResult<MoneyPage> {
        let reporting = db::reporting_currency(&state.pool).await?;
        let today = crate::insights::today();
        Ok(MoneyPage {
            layout: Layout::for_user(current, "Currency and exchange rates", "admin").await?,
            in_use: db::rates_in_use(&state.pool, today).await?,
            rates: db::list_rates(&state.pool).await?,
            currency_form: CurrencyForm {
                reporting_currency: reporting.clone(),
            },
            reporting,
            today: today.to_string(),
            common: &COMMON,
            currency_errors: FieldErrors::default(),
            rate_form: RateForm {
                valid_from: today.to_string(),
                ..RateForm::default()
            },
            rate_errors: FieldErrors::default(),
            csv_form: CsvForm::default(),
            csv_problems: Vec::new(),
        })
    }
}

fn admin(current: &CurrentUser) -> AppResult<()> {
    current.user.require(Permission::Administer)
}

async fn page(State(state): State<AppState>, current: CurrentUser) -> AppResult<MoneyPage> {
    admin(&current)?;
    MoneyPage::load(&state, &current).await
}

fn invalid(page: MoneyPage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn done(current: &CurrentUser, message: String) -> AppResult<Response> {
    set_flash(&current.session, FlashKind::Success, message, None).await?;
    Ok(Redirect::to("/admin/money").into_response())
}

async fn set_currency(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<CurrencyForm>,
) -> AppResult<Response> {
    admin(&current)?;
    match rates::parse_currency(&form.reporting_currency) {
        Ok(code) => {
            let changed =
                rates::set_reporting_currency(&state.pool, &Actor::User(&current.user), &code)
                    .await?;
            let message = if changed {
                format!("Every ARR figure is now shown in {code}.")
            } else {
                format!("The reporting currency stays {code}.")
            };
            done(&current, message).await
        }
        Err(msg) => {
            let mut page = MoneyPage::load(&state, &current).await?;
            page.currency_errors = FieldErrors::single("reporting_currency", msg);
            page.currency_form = form;
            Ok(invalid(page))
        }
    }
}

async fn add_rate(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<RateForm>,
) -> AppResult<Response> {
    admin(&current)?;
    let reporting = db::reporting_currency(&state.pool).await?;
    match form.validate(&reporting) {
        Ok(rate) => {
            rates::save_rates(
                &state.pool,
                &Actor::User(&current.user),
                std::slice::from_ref(&rate),
                "entered",
            )
            .await?;
            done(
                &current,
                format!(
                    "Saved: 1 {} = {} {reporting} from {}.",
                    rate.currency, rate.rate, rate.valid_from
                ),
            )
            .await
        }
        Err(errors) => {
            let mut page = MoneyPage::load(&state, &current).await?;
            page.rate_errors = errors;
            page.rate_form = form;
            Ok(invalid(page))
        }
    }
}

async fn import_rates(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<CsvForm>,
) -> AppResult<Response> {
    admin(&current)?;
    let reporting = db::reporting_currency(&state.pool).await?;
    match rates::parse_rates_csv(&form.csv, &reporting) {
        Ok(list) => {
            let n = rates::save_rates(
                &state.pool,
                &Actor::User(&current.user),
                &list,
                "imported from CSV",
            )
            .await?;
            done(
                &current,
                format!(
                    "Imported {n} exchange {} to {reporting}.",
                    if n == 1 { "rate" } else { "rates" }
                ),
            )
            .await
        }
        Err(problems) => {
            let mut page = MoneyPage::load(&state, &current).await?;
            page.csv_problems = problems;
            page.csv_form = form;
            Ok(invalid(page))
        }
    }
}

async fn confirm_delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ConfirmPage> {
    admin(&current)?;
    let rate = db::get_rate(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ConfirmPage {
        layout: Layout::for_user(&current, "Delete exchange rate", "admin").await?,
        heading: format!(
            "Delete the rate 1 {} = {} {} from {}?",
            rate.currency, rate.rate, rate.quote, rate.valid_from
        ),
        explanation: format!(
            "From {} on, {} amounts convert with the pair's previous rate, or are left out (and said so) where there is none.",
            rate.valid_from, rate.currency
        ),
        action: format!("/admin/money/rates/{id}/delete"),
        button: "Delete rate",
        back: "/admin/money".into(),
    })
}

async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    admin(&current)?;
    if !rates::delete_rate(&state.pool, &Actor::User(&current.user), id).await? {
        return Err(AppError::NotFound);
    }
    done(&current, "Deleted the exchange rate.".into()).await
}
