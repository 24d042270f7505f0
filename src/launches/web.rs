//! Launch pages: the list with its timeline, a launch's page, create/edit; plus the small
//! pieces theme pages show (checklist and follow-up actions are in `actions.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sqlx::PgPool;

use super::guide::GuideState;
use super::tell::{self, TellLine};
use super::{EDIT_LAUNCHES, Launch, LaunchInput, REVIEW_GUIDES, STATUSES, db, edit};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, Team};
use crate::error::{AppError, AppResult};
use crate::insights::db::Scope;
use crate::insights::figures::{self, Period};
use crate::validation::FieldErrors;
use crate::web::Layout;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/launches", get(list).post(create))
        .route("/launches/new", get(new_form))
        .route("/launches/{id}", get(launch_page))
        .route("/launches/{id}/edit", get(edit_form).post(update))
        .route("/readiness", get(super::readiness::page))
        .merge(super::guide_web::router())
        .merge(super::actions::router())
}

// ---- for theme pages (they call these; launches never imports themes) ----

/// A launch that answers a theme, as the theme page lists it.
pub struct AnsweringLaunch {
    pub href: String,
    pub name: String,
    pub status: &'static str,
    pub date: String,
    pub guide: &'static str,
}

/// The launches that answer a theme, newest first.
pub async fn launches_answering(pool: &PgPool, theme_id: i64) -> AppResult<Vec<AnsweringLaunch>> {
    Ok(db::for_theme(pool, theme_id)
        .await?
        .into_iter()
        .map(|l| AnsweringLaunch {
            href: format!("/launches/{}", l.id),
            name: l.name,
            status: super::status_label(&l.status),
            date: match (l.shipped_date, l.target_date) {
                (Some(s), _) => format!("shipped {s}"),
                (None, Some(t)) => format!("target {t}"),
                _ => "no date yet".into(),
            },
            guide: if l.published {
                "guide published"
            } else {
                "no published guide yet"
            },
        })
        .collect())
}

/// The themes some (not retired) launch answers, for the overview's "no launch answers it yet".
pub async fn answered_theme_ids(pool: &PgPool) -> AppResult<std::collections::HashSet<i64>> {
    Ok(db::answered_theme_ids(pool).await?.into_iter().collect())
}

// ---- the list ----

pub struct StatusGroup {
    pub key: &'static str,
    pub label: &'static str,
    pub launches: Vec<Launch>,
}

#[derive(Template, WebTemplate)]
#[template(path = "launches/list.html")]
pub struct ListPage {
    layout: Layout,
    groups: Vec<StatusGroup>,
    timeline: super::timeline::Timeline,
    can_edit: bool,
    total: usize,
}

async fn list(State(state): State<AppState>, current: CurrentUser) -> AppResult<ListPage> {
    current.user.require(Permission::Read)?;
    let launches = db::list(&state.pool).await?;
    let today = crate::insights::today();
    let timeline = super::timeline::timeline(&launches, today);
    let total = launches.len();
    let groups = STATUSES
        .iter()
        .map(|(key, label)| StatusGroup {
            key,
            label,
            launches: launches
                .iter()
                .filter(|l| l.status == *key)
                .cloned()
                .collect(),
        })
        .collect();
    Ok(ListPage {
        layout: Layout::for_user(&current, "Launches", "launches").await?,
        groups,
        timeline,
        can_edit: current.user.can(EDIT_LAUNCHES),
        total,
    })
}

// ---- create / edit ----

#[derive(Template, WebTemplate)]
#[template(path = "launches/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    back: String,
    button: &'static str,
    form: LaunchInput,
    errors: FieldErrors,
    owners: Vec<db::Option2>,
    themes: Vec<ThemePick>,
    statuses: &'static [(&'static str, &'static str)],
}

pub struct ThemePick {
    pub id: i64,
    pub name: String,
    pub checked: bool,
}

/// The form's fields, and the `theme` checkboxes (repeated keys).
fn read_form(pairs: &[(String, String)]) -> (LaunchInput, Vec<i64>) {
    let mut input = LaunchInput::default();
    let mut themes = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => input.name = v.clone(),
            "summary" => input.summary = v.clone(),
            "status" => input.status = v.clone(),
            "target_date" => input.target_date = v.clone(),
            "shipped_date" => input.shipped_date = v.clone(),
            "owner_id" => input.owner_id = v.clone(),
            "area" => input.area = v.clone(),
            "tracker_links" => input.tracker_links = v.clone(),
            "theme" => themes.extend(v.parse::<i64>().ok()),
            _ => {}
        }
    }
    (input, themes)
}

async fn render_form(
    state: &AppState,
    current: &CurrentUser,
    editing: Option<&Launch>,
    form: LaunchInput,
    theme_ids: Vec<i64>,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let (heading, action, back, button) = match editing {
        Some(l) => (
            format!("Edit {}", l.name),
            format!("/launches/{}/edit", l.id),
            format!("/launches/{}", l.id),
            "Save changes",
        ),
        None => (
            "New launch".to_owned(),
            "/launches".to_owned(),
            "/launches".to_owned(),
            "Create launch",
        ),
    };
    Ok(FormPage {
        layout: Layout::for_user(current, heading.clone(), "launches").await?,
        heading,
        action,
        back,
        button,
        form,
        errors,
        owners: db::owner_options(&state.pool).await?,
        themes: db::theme_options(&state.pool)
            .await?
            .into_iter()
            .map(|t| ThemePick {
                checked: theme_ids.contains(&t.id),
                id: t.id,
                name: t.name,
            })
            .collect(),
        statuses: STATUSES,
    })
}

async fn new_form(State(state): State<AppState>, current: CurrentUser) -> AppResult<FormPage> {
    current.user.require(EDIT_LAUNCHES)?;
    let form = LaunchInput {
        owner_id: current.user.id.to_string(),
        status: "planned".into(),
        ..Default::default()
    };
    render_form(
        &state,
        &current,
        None,
        form,
        Vec::new(),
        FieldErrors::default(),
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    current.user.require(EDIT_LAUNCHES)?;
    let (input, themes) = read_form(&pairs);
    let result = match input.validate() {
        Ok(f) => edit::create_launch(&state.pool, &Actor::User(&current.user), &f, &themes).await,
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(id) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Created the launch \"{}\".", input.name.trim()),
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/launches/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_form(&state, &current, None, input, themes, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<FormPage> {
    current.user.require(EDIT_LAUNCHES)?;
    let launch = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let themes = launch.theme_ids.clone();
    render_form(
        &state,
        &current,
        Some(&launch),
        LaunchInput::from(&launch),
        themes,
        FieldErrors::default(),
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    current.user.require(EDIT_LAUNCHES)?;
    let launch = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let (input, themes) = read_form(&pairs);
    let result = match input.validate() {
        Ok(f) => {
            edit::update_launch(&state.pool, &Actor::User(&current.user), id, &f, &themes).await
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(()) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                "Saved the launch.",
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/launches/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_form(&state, &current, Some(&launch), input, themes, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

// ---- the launch page ----

pub struct ThemeLine {
    pub id: i64,
    pub name: String,
    pub items_90: i64,
    pub accounts: i64,
    pub arr_short: String,
    pub arr_exact: String,
}

impl db::ChecklistItem {
    /// When it was ticked, for a `<time>` element.
    pub fn done_when(&self) -> Option<crate::web::format::When> {
        self.done_at.map(crate::web::format::When::from)
    }
}

pub struct ChecklistTeam {
    pub team: Team,
    pub items: Vec<db::ChecklistItem>,
    pub may_tick: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "launches/launch.html")]
pub struct LaunchPage {
    layout: Layout,
    launch: Launch,
    guide: GuideState,
    ack: super::guide_web::AckState,
    themes: Vec<ThemeLine>,
    coverage: Vec<super::readiness::Cell>,
    checklist: Vec<ChecklistTeam>,
    teams: Vec<(&'static str, &'static str)>,
    mine: Vec<TellLine>,
    others: Vec<TellLine>,
    /// Accounts left out of the page's list (all are in the CSV).
    others_more: usize,
    asked_total: usize,
    reporters: Vec<db::Reporter>,
    /// The published digests that carry it, and who opened them.
    digests: Vec<db::DigestReach>,
    told: usize,
    tasks_total: usize,
    can_edit: bool,
    can_edit_checklist: bool,
    can_write: bool,
    can_make_tasks: bool,
}

/// The linked themes with their figures, read through the insights read model.
pub async fn theme_lines(
    pool: &PgPool,
    caches: &crate::insights::Caches,
    theme_ids: &[i64],
) -> AppResult<Vec<ThemeLine>> {
    let names = db::theme_names(pool, theme_ids).await?;
    let figs = figures::all_themes(
        pool,
        &caches.figures,
        &Scope::default(),
        Period::parse(None, None),
    )
    .await?;
    let mut lines: Vec<ThemeLine> = names
        .into_iter()
        .map(|t| {
            let f = figs.get(&t.id).cloned().unwrap_or_default();
            ThemeLine {
                id: t.id,
                name: t.name,
                items_90: f.items_90,
                accounts: f.accounts,
                arr_short: crate::web::money::format_arr_short(f.arr_cents, &f.arr_currency),
                arr_exact: crate::web::money::format_arr_exact(f.arr_cents, &f.arr_currency),
            }
        })
        .collect();
    lines.sort_by_key(|l| std::cmp::Reverse(l.items_90));
    Ok(lines)
}

/// Accounts listed on the launch page beyond the viewer's own; the CSV has them all.
const TELL_ROWS: usize = 25;

async fn launch_page(
    State(state): State<AppState>,
    Extension(caches): Extension<crate::insights::Caches>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<LaunchPage> {
    let user = &current.user;
    user.require(Permission::Read)?;
    let launch = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    db::ensure_guide(&state.pool, id).await?;
    let guide = db::guide_state(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ack = super::guide_web::ack_state(&state.pool, user, &guide).await?;
    let themes = theme_lines(&state.pool, &caches, &launch.theme_ids).await?;
    let coverage = super::readiness::coverage(&state.pool, &[id]).await?;
    let coverage = super::readiness::cells(coverage.get(&id).map(Vec::as_slice).unwrap_or(&[]));
    let items = db::checklist(&state.pool, &[id]).await?;
    let mut checklist: Vec<ChecklistTeam> = Vec::new();
    for team in Team::ALL {
        let mine: Vec<db::ChecklistItem> = items
            .iter()
            .filter(|i| i.team == team.as_str())
            .cloned()
            .collect();
        if !mine.is_empty() {
            checklist.push(ChecklistTeam {
                team,
                items: mine,
                may_tick: super::may_tick(user, team),
            });
        }
    }
    let tasks = db::tasks(&state.pool, id).await?;
    let lines = tell::lines(user, db::who_to_tell(&state.pool, id).await?, &tasks);
    let asked_total = lines.len();
    let (mine, mut others): (Vec<TellLine>, Vec<TellLine>) =
        lines.into_iter().partition(|l| l.mine);
    let others_more = others.len().saturating_sub(TELL_ROWS);
    others.truncate(TELL_ROWS);
    Ok(LaunchPage {
        layout: Layout::for_user(&current, launch.name.clone(), "launches").await?,
        guide,
        ack,
        themes,
        coverage,
        checklist,
        teams: Team::ALL.iter().map(|t| (t.as_str(), t.label())).collect(),
        mine,
        others,
        others_more,
        asked_total,
        reporters: db::reporters(&state.pool, id).await?,
        digests: db::digest_reach(&state.pool, id).await?,
        told: tasks.iter().filter(|t| t.done_at.is_some()).count(),
        tasks_total: tasks.len(),
        can_edit: user.can(EDIT_LAUNCHES),
        can_edit_checklist: user.can(REVIEW_GUIDES),
        can_write: user.can(super::WRITE_GUIDES),
        can_make_tasks: user.can(REVIEW_GUIDES) || user.can(EDIT_LAUNCHES),
        launch,
    })
}
