//! Account pages: the searchable list, an account's page, create and edit forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::chart::{self, NpsRow};
use super::db::{self, AccountRow, Cursor, ListFilter, Sort};
use super::edit::{self, AccountForm};
use super::{Lifecycle, Segment};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::Layout;
use crate::web::charts::ScoreLine;
use crate::web::format::When;
use crate::web::labels::segment_label;
use crate::web::money::{Arr, format_arr_exact, missing_rates_note};

/// Accounts per list page.
const PAGE_SIZE: i64 = 50;
/// Feedback items shown on an account's page.
const RECENT_FEEDBACK: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list))
        .route("/accounts/new", get(new_form).post(create))
        .route("/accounts/{id}", get(detail))
        .route("/accounts/{id}/edit", get(edit_form).post(update))
}

/// An account's ARR as pages show it: in the reporting currency, the recorded amount kept.
fn arr_of(row: &AccountRow) -> Option<Arr> {
    Arr::new(
        row.arr_cents,
        &row.currency,
        row.arr_reporting_cents,
        &row.reporting_currency,
    )
}

fn lifecycle_label(s: &str) -> &'static str {
    s.parse::<Lifecycle>().map(Lifecycle::label).unwrap_or("—")
}

pub struct ListRow {
    pub row: AccountRow,
    pub arr: Option<Arr>,
    pub segment: &'static str,
    pub lifecycle: &'static str,
}

impl From<AccountRow> for ListRow {
    fn from(row: AccountRow) -> Self {
        ListRow {
            arr: arr_of(&row),
            segment: segment_label(row.segment.as_deref()).unwrap_or("—"),
            lifecycle: lifecycle_label(&row.lifecycle),
            row,
        }
    }
}

/// The list's URL query: filters, sort, and where the page starts.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ListQuery {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub segment: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lifecycle: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sort: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub after: String,
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        ListFilter {
            q: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            segment: self.segment.parse().ok(),
            lifecycle: self.lifecycle.parse().ok(),
            sort: Sort::parse(Some(&self.sort)),
            cursor: Cursor::decode(&self.after),
        }
    }

    fn url(&self) -> String {
        match serde_urlencoded::to_string(self) {
            Ok(qs) if !qs.is_empty() => format!("/accounts?{qs}"),
            _ => "/accounts".to_string(),
        }
    }

    /// This view sorted by `sort`, from the first page.
    fn sorted(&self, sort: Sort) -> String {
        ListQuery {
            sort: sort.as_str().to_string(),
            after: String::new(),
            ..self.clone()
        }
        .url()
    }
}

/// A sortable column header: its link and `aria-sort`.
pub struct SortLink {
    pub href: String,
    pub aria: &'static str,
    pub class: &'static str,
}

fn sort_link(q: &ListQuery, current: Sort, desc: Sort, asc: Sort, default_desc: bool) -> SortLink {
    let (aria, class, next) = if current == desc {
        ("descending", "sort desc", asc)
    } else if current == asc {
        ("ascending", "sort asc", desc)
    } else if default_desc {
        ("none", "sort", desc)
    } else {
        ("none", "sort", asc)
    };
    SortLink {
        href: q.sorted(next),
        aria,
        class,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/list.html")]
pub struct ListPage {
    layout: Layout,
    rows: Vec<ListRow>,
    query: ListQuery,
    filtered: bool,
    can_edit: bool,
    arr_sort: SortLink,
    name_sort: SortLink,
    next: Option<String>,
    first: Option<String>,
    clear: String,
    segments: &'static [Segment],
    lifecycles: &'static [Lifecycle],
    reporting: String,
    /// Accounts whose ARR no rate converts, said above the table.
    missing_note: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(mut query): Query<ListQuery>,
) -> AppResult<ListPage> {
    current.user.require(Permission::Read)?;
    if let Some(message) = crate::validation::control_character(&query.q, false) {
        let message = format!("The search was not run. {message}");
        set_flash(&current.session, FlashKind::Warning, message, None).await?;
        query.q.clear();
    }
    let filter = query.filter();
    let (rows, more) = db::list(&state.pool, &filter, PAGE_SIZE).await?;
    let reporting = crate::admin::reporting_currency(&state.pool).await?;
    let missing = db::missing_rates(&state.pool, &filter).await?;
    let missing_note = missing_rates_note(
        &missing,
        &reporting,
        "their ARR is shown as recorded and sorted last",
    );
    let next = match rows.last() {
        Some(last) if more => Some(
            ListQuery {
                after: Cursor::after(last, filter.sort).encode(),
                ..query.clone()
            }
            .url(),
        ),
        _ => None,
    };
    let first = filter.cursor.is_some().then(|| {
        ListQuery {
            after: String::new(),
            ..query.clone()
        }
        .url()
    });
    Ok(ListPage {
        layout: Layout::for_user(&current, "Accounts", "accounts").await?,
        rows: rows.into_iter().map(ListRow::from).collect(),
        filtered: filter.q.is_some() || filter.segment.is_some() || filter.lifecycle.is_some(),
        can_edit: current.user.can(Permission::ManageData),
        arr_sort: sort_link(&query, filter.sort, Sort::ArrDesc, Sort::ArrAsc, true),
        name_sort: sort_link(&query, filter.sort, Sort::NameDesc, Sort::NameAsc, false),
        next,
        first,
        clear: ListQuery {
            sort: query.sort.clone(),
            ..ListQuery::default()
        }
        .url(),
        query,
        segments: &Segment::ALL,
        lifecycles: &Lifecycle::ALL,
        reporting,
        missing_note,
    })
}

/// A feedback item on the account's page.
pub struct FeedbackLine {
    pub source_key: String,
    pub source_label: &'static str,
    pub title: Option<String>,
    pub excerpt: String,
    pub reporter: Option<String>,
    /// The NPS band class and the score, for NPS answers.
    pub nps: Option<(&'static str, i16)>,
    pub received: When,
}
#[derive(Template, WebTemplate)]
#[template(path = "accounts/detail.html")]
pub struct DetailPage {
    layout: Layout,
    account: AccountRow,
    arr: Option<Arr>,
    /// The recorded amount, exact: "€1,000,000.00".
    arr_recorded: Option<String>,
    arr_history: Vec<ArrLine>,
    segment: &'static str,
    lifecycle: &'static str,
    created: When,
    updated: When,
    can_edit: bool,
    feedback: Vec<FeedbackLine>,
    nps_rows: Vec<NpsRow>,
    chart: Option<ScoreLine>,
    themes: Vec<(i64, String, i64)>,
}

/// One recorded value of the account's ARR.
pub struct ArrLine {
    pub amount: String,
    pub since: When,
}

/// Values shown in the ARR history on an account's page.
const ARR_HISTORY: i64 = 12;

fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn detail(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<DetailPage> {
    current.user.require(Permission::Read)?;
    let id = parse_id(&id)?;
    let account = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let recent =
        crate::insights::db::recent_feedback_for_account(&state.pool, id, RECENT_FEEDBACK).await?;
    let months = crate::insights::db::nps_history_for_account(&state.pool, id).await?;
    let (nps_rows, chart) = chart::nps_history(&months);
    let themes = crate::insights::db::themes_for_account(&state.pool, id, 12).await?;
    let arr_history = db::arr_history(&state.pool, id, ARR_HISTORY)
        .await?
        .into_iter()
        .map(|h| ArrLine {
            amount: h
                .arr_cents
                .map_or_else(|| "None".to_string(), |c| format_arr_exact(c, &h.currency)),
            since: When::from(h.valid_from),
        })
        .collect();
    let feedback = recent
        .into_iter()
        .map(|f| FeedbackLine {
            source_label: crate::web::labels::source_label(&f.source),
            source_key: f.source,
            title: f.title,
            excerpt: crate::web::format::excerpt(&f.body, 240),
            reporter: f.reporter_name,
            nps: f.nps_score.map(|s| {
                let class = match crate::insights::NpsBand::from_score(s) {
                    crate::insights::NpsBand::Promoter => "nps-promoter",
                    crate::insights::NpsBand::Passive => "nps-passive",
                    crate::insights::NpsBand::Detractor => "nps-detractor",
                };
                (class, s)
            }),
            received: When::from(f.received_at),
        })
        .collect();
    Ok(DetailPage {
        themes,
        layout: Layout::for_user(&current, account.name.clone(), "accounts").await?,
        arr: arr_of(&account),
        arr_recorded: account
            .arr_cents
            .map(|c| format_arr_exact(c, &account.currency)),
        arr_history,
        segment: segment_label(account.segment.as_deref()).unwrap_or("—"),
        lifecycle: lifecycle_label(&account.lifecycle),
        created: When::from(account.created_at),
        updated: When::from(account.updated_at),
        can_edit: current.user.can(Permission::ManageData),
        feedback,
        nps_rows,
        chart,
        account,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/form.html")]
pub struct FormPage {
    layout: Layout,
    /// `None` when creating.
    account: Option<(i64, String)>,
    action: String,
    form: AccountForm,
    errors: FieldErrors,
    owners: Vec<(String, String)>,
    segments: &'static [Segment],
    lifecycles: &'static [Lifecycle],
}

/// Active users, as (id, name) strings for the owner select.
async fn owners(state: &AppState) -> AppResult<Vec<(i64, String)>> {
    Ok(crate::auth::db::list(&state.pool)
        .await?
        .into_iter()
        .filter(|l| l.disabled_at.is_none())
        .map(|l| (l.user.id, l.user.name))
        .collect())
}

async fn render_form(
    state: &AppState,
    current: &CurrentUser,
    account: Option<(i64, String)>,
    form: AccountForm,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let (title, action) = match &account {
        Some((id, name)) => (format!("Edit {name}"), format!("/accounts/{id}/edit")),
        None => ("New account".to_string(), "/accounts/new".to_string()),
    };
    Ok(FormPage {
        layout: Layout::for_user(current, title, "accounts").await?,
        account,
        action,
        form,
        errors,
        owners: owners(state)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        segments: &Segment::ALL,
        lifecycles: &Lifecycle::ALL,
    })
}

async fn new_form(State(state): State<AppState>, current: CurrentUser) -> AppResult<FormPage> {
    current.user.require(Permission::ManageData)?;
    let form = AccountForm {
        currency: "USD".into(),
        lifecycle: Lifecycle::Customer.as_str().into(),
        ..AccountForm::default()
    };
    render_form(&state, &current, None, form, FieldErrors::default()).await
}

async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<AccountForm>,
) -> AppResult<Response> {
    current.user.require(Permission::ManageData)?;
    let owner_ids: Vec<i64> = owners(&state).await?.into_iter().map(|o| o.0).collect();
    let result = match form.validate(&owner_ids) {
        Ok((account, owner)) => {
            edit::create(&state.pool, &Actor::User(&current.user), &account, owner)
                .await
                .map(|id| (id, account.name))
        }
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok((id, name)) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Created the account {name}."),
                Some((format!("/accounts/{id}"), "View it".into())),
            )
            .await?;
            Ok(Redirect::to(&format!("/accounts/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_form(&state, &current, None, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<FormPage> {
    current.user.require(Permission::ManageData)?;
    let id = parse_id(&id)?;
    let row = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let form = AccountForm::from_row(&row);
    render_form(
        &state,
        &current,
        Some((id, row.name)),
        form,
        FieldErrors::default(),
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<AccountForm>,
) -> AppResult<Response> {
    current.user.require(Permission::ManageData)?;
    let id = parse_id(&id)?;
    let row = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let mut owner_ids: Vec<i64> = owners(&state).await?.into_iter().map(|o| o.0).collect();
    // A disabled owner may stay the owner.
    owner_ids.extend(row.owner_id);
    let result = match form.validate(&owner_ids) {
        Ok((account, owner)) => edit::update(
            &state.pool,
            &Actor::User(&current.user),
            id,
            &account,
            owner,
        )
        .await
        .map(|()| account.name),
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(name) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Saved {name}."),
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/accounts/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_form(&state, &current, Some((id, row.name)), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
