//! Theme forms: create, edit, archive/restore, merge (and undo), split.

use super::tagging::db as tags;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{Theme, ThemeInput, db, edit};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::form::{field, ids, pairs};
use crate::web::{ConfirmPage, Layout};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/themes/new", get(new_form))
        .route("/themes/{id}/edit", get(edit_form).post(update))
        .route("/themes/{id}/archive", get(confirm_archive).post(archive))
        .route("/themes/{id}/restore", post(restore))
        .route("/themes/{id}/merge", get(merge_form).post(merge))
        .route("/themes/merges/{id}/undo", post(undo_merge))
        .route("/themes/{id}/split", get(split_form).post(split))
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    button: &'static str,
    back: String,
    form: ThemeInput,
    errors: FieldErrors,
    parents: Vec<Theme>,
    owners: Vec<db::OwnerOption>,
    /// Feedback ids the new theme starts with (from an emerging cluster), comma-separated.
    items: String,
    item_count: usize,
    confirm_items: bool,
}

/// The new-theme form: the theme's fields, and the items of the cluster it comes from.
#[derive(Debug, Default, Deserialize)]
pub struct NewThemeForm {
    #[serde(flatten)]
    pub theme: ThemeInput,
    #[serde(default)]
    pub items: String,
    #[serde(default)]
    pub confirm_items: String,
}

/// At most this many cluster items start a theme.
const MAX_START_ITEMS: usize = 5_000;

fn item_ids(items: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = items
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|id| *id > 0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.truncate(MAX_START_ITEMS);
    ids
}

async fn render_form(
    state: &AppState,
    current: &CurrentUser,
    editing: Option<&Theme>,
    form: ThemeInput,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    render_new(state, current, editing, form, errors, "", false).await
}

async fn render_new(
    state: &AppState,
    current: &CurrentUser,
    editing: Option<&Theme>,
    form: ThemeInput,
    errors: FieldErrors,
    items: &str,
    confirm_items: bool,
) -> AppResult<FormPage> {
    let ids = item_ids(items);
    let parents = db::list(&state.pool, Some("active"))
        .await?
        .into_iter()
        .filter(|t| Some(t.id) != editing.map(|e| e.id))
        .collect();
    let (heading, action, button, back) = match editing {
        Some(t) => (
            format!("Edit {}", t.name),
            format!("/themes/{}/edit", t.id),
            "Save changes",
            format!("/themes/{}", t.id),
        ),
        None => (
            "New theme".to_owned(),
            "/themes".to_owned(),
            "Create theme",
            "/themes".to_owned(),
        ),
    };
    Ok(FormPage {
        layout: Layout::for_user(current, heading.clone(), "themes").await?,
        heading,
        action,
        button,
        back,
        form,
        errors,
        parents,
        owners: db::owner_options(&state.pool).await?,
        item_count: ids.len(),
        items: ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        confirm_items,
    })
}

async fn new_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(prefill): Query<NewThemeForm>,
) -> AppResult<FormPage> {
    current.user.require(Permission::EditThemes)?;
    let theme = prefill.theme;
    let form = ThemeInput {
        owner_id: if theme.owner_id.is_empty() {
            current.user.id.to_string()
        } else {
            theme.owner_id.clone()
        },
        ..theme
    };
    render_new(
        &state,
        &current,
        None,
        form,
        FieldErrors::default(),
        &prefill.items,
        false,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<NewThemeForm>,
) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let actor = Actor::User(&current.user);
    let ids = item_ids(&form.items);
    let confirm = form.confirm_items == "on";
    let result = match form.theme.validate() {
        Ok(fields) => edit::create_with_items(&state.pool, &actor, &fields, &ids, confirm).await,
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok((theme, started)) => {
            let message = match (started, confirm) {
                (0, _) => format!(
                    "Created the theme \"{}\". Re-tag to find its items.",
                    theme.name
                ),
                (n, true) => format!(
                    "Created the theme \"{}\" with {n} confirmed item{}.",
                    theme.name,
                    if n == 1 { "" } else { "s" }
                ),
                (n, false) => format!(
                    "Created the theme \"{}\" with {n} suggested item{}; confirm them in the review queue.",
                    theme.name,
                    if n == 1 { "" } else { "s" }
                ),
            };
            let link = if started > 0 && !confirm {
                (
                    format!("/themes/review?theme={}", theme.id),
                    "Review its items".into(),
                )
            } else {
                (format!("/themes/{}", theme.id), "View theme".into())
            };
            set_flash(&current.session, FlashKind::Success, message, Some(link)).await?;
            Ok(Redirect::to(&format!("/themes/{}", theme.id)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_new(
                &state,
                &current,
                None,
                form.theme,
                errors,
                &form.items,
                confirm,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn load(state: &AppState, id: i64) -> AppResult<Theme> {
    db::get(&state.pool, id).await?.ok_or(AppError::NotFound)
}

async fn edit_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<FormPage> {
    current.user.require(Permission::EditThemes)?;
    let theme = load(&state, id).await?;
    let form = ThemeInput::from_theme(&theme);
    render_form(&state, &current, Some(&theme), form, FieldErrors::default()).await
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<ThemeInput>,
) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let theme = load(&state, id).await?;
    let result = match form.validate() {
        Ok(fields) => edit::update(&state.pool, &Actor::User(&current.user), id, &fields).await,
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(()) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                "Saved the theme.",
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/themes/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_form(&state, &current, Some(&theme), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn confirm_archive(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ConfirmPage> {
    current.user.require(Permission::EditThemes)?;
    let theme = load(&state, id).await?;
    Ok(ConfirmPage {
        layout: Layout::for_user(&current, "Archive theme", "themes").await?,
        heading: format!("Archive \"{}\"?", theme.name),
        explanation: "It leaves the overview and stops receiving suggestions. Its tags and history stay, and you can restore it from its page.".into(),
        action: format!("/themes/{id}/archive"),
        button: "Archive theme",
        back: format!("/themes/{id}"),
    })
}

async fn archive(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let theme = edit::set_archived(&state.pool, &Actor::User(&current.user), id, true).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("Archived \"{}\".", theme.name),
        Some((format!("/themes/{id}"), "View or restore it".into())),
    )
    .await?;
    Ok(Redirect::to("/themes").into_response())
}

async fn restore(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let theme = edit::set_archived(&state.pool, &Actor::User(&current.user), id, false).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("Restored \"{}\".", theme.name),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/themes/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/merge.html")]
pub struct MergePage {
    layout: Layout,
    theme: Theme,
    targets: Vec<Theme>,
    target_id: String,
    errors: FieldErrors,
}

async fn render_merge(
    state: &AppState,
    current: &CurrentUser,
    theme: Theme,
    target_id: String,
    errors: FieldErrors,
) -> AppResult<MergePage> {
    let targets = db::list(&state.pool, Some("active"))
        .await?
        .into_iter()
        .filter(|t| t.id != theme.id)
        .collect();
    Ok(MergePage {
        layout: Layout::for_user(current, format!("Merge {}", theme.name), "themes").await?,
        theme,
        targets,
        target_id,
        errors,
    })
}

async fn merge_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<MergePage> {
    current.user.require(Permission::EditThemes)?;
    let theme = load(&state, id).await?;
    render_merge(
        &state,
        &current,
        theme,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    target_id: String,
}

async fn merge(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<MergeForm>,
) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let theme = load(&state, id).await?;
    let result = match form.target_id.trim().parse::<i64>() {
        Ok(target) => edit::merge(&state.pool, &Actor::User(&current.user), id, target).await,
        Err(_) => Err(AppError::Validation(FieldErrors::single(
            "target_id",
            "Choose the theme to merge into",
        ))),
    };
    match result {
        Ok(merge_id) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!(
                    "Merged \"{}\". Its page offers an undo (merge #{merge_id}).",
                    theme.name
                ),
                Some((format!("/themes/{id}"), "Undo from its page".into())),
            )
            .await?;
            Ok(Redirect::to(&format!("/themes/{}", form.target_id.trim())).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_merge(&state, &current, theme, form.target_id, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn undo_merge(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(merge_id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let theme = edit::undo_merge(&state.pool, &Actor::User(&current.user), merge_id).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!(
            "Undid the merge: \"{}\" is a theme of its own again.",
            theme.name
        ),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/themes/{}", theme.id)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "themes/split.html")]
pub struct SplitPage {
    layout: Layout,
    theme: Theme,
    tags: Vec<tags::TagRow>,
    chosen: Vec<i64>,
    form: ThemeInput,
    errors: FieldErrors,
}

async fn render_split(
    state: &AppState,
    current: &CurrentUser,
    theme: Theme,
    chosen: Vec<i64>,
    form: ThemeInput,
    errors: FieldErrors,
) -> AppResult<SplitPage> {
    let tags = tags::theme_tags(&state.pool, theme.id, 200).await?;
    Ok(SplitPage {
        layout: Layout::for_user(current, format!("Split {}", theme.name), "themes").await?,
        theme,
        tags,
        chosen,
        form,
        errors,
    })
}

async fn split_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<SplitPage> {
    current.user.require(Permission::EditThemes)?;
    let theme = load(&state, id).await?;
    let form = ThemeInput {
        parent_id: id.to_string(),
        owner_id: current.user.id.to_string(),
        ..ThemeInput::default()
    };
    render_split(
        &state,
        &current,
        theme,
        Vec::new(),
        form,
        FieldErrors::default(),
    )
    .await
}

async fn split(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    current.user.require(Permission::EditThemes)?;
    let theme = load(&state, id).await?;
    let p = pairs(&body);
    let chosen = ids(&p, "tag");
    let form = ThemeInput {
        name: field(&p, "name"),
        description: field(&p, "description"),
        keywords: field(&p, "keywords"),
        parent_id: field(&p, "parent_id"),
        owner_id: field(&p, "owner_id"),
    };
    let result = match form.validate() {
        Ok(fields) => {
            edit::split(
                &state.pool,
                &Actor::User(&current.user),
                id,
                &fields,
                &chosen,
            )
            .await
        }
        Err(mut errors) => {
            if chosen.is_empty() {
                errors.add("tags", "Choose at least one item to move to the new theme");
            }
            Err(AppError::Validation(errors))
        }
    };
    match result {
        Ok((new_theme, moved)) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!(
                    "Moved {moved} items from \"{}\" to the new theme.",
                    theme.name
                ),
                Some((format!("/themes/{}", new_theme.id), new_theme.name.clone())),
            )
            .await?;
            Ok(Redirect::to(&format!("/themes/{}", new_theme.id)).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let page = render_split(&state, &current, theme, chosen, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
