//! Digest pages: the list, composing and editing a draft, publishing, sending, the digest as each
//! audience reads it (with who opened it), the email preview.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use super::compose::{self, Composed};
use super::email::{self, EmailView};
use super::{Audience, Digest, DigestInput, EDIT_DIGESTS, db, edit, send};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, Team};
use crate::error::{AppError, AppResult};
use crate::insights::Caches;
use crate::web::format::When;
use crate::web::{ConfirmPage, Layout, form};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/digests", get(list).post(create))
        .route("/digests/new", get(new_form))
        .route("/digests/{key}", get(digest_or_feed))
        .route("/digests/{id}/edit", get(edit_form).post(update))
        .route("/digests/{id}/publish", post(publish))
        .route("/digests/{id}/send", post(send_email))
        .route("/digests/{id}/email", get(email_preview))
        .route("/digests/{id}/delete", get(confirm_delete).post(delete))
}

pub struct ListRow {
    pub d: Digest,
    pub launches: i64,
    pub readers: i64,
    pub sent: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "digests/list.html")]
pub struct ListPage {
    layout: Layout,
    drafts: Vec<ListRow>,
    published: Vec<ListRow>,
    can_edit: bool,
    feed_audience: &'static str,
}

async fn list(State(state): State<AppState>, current: CurrentUser) -> AppResult<ListPage> {
    current.user.require(Permission::Read)?;
    let can_edit = current.user.can(EDIT_DIGESTS);
    let counts: std::collections::HashMap<i64, db::Counts> = db::counts(&state.pool)
        .await?
        .into_iter()
        .map(|c| (c.digest_id, c))
        .collect();
    let mut drafts = Vec::new();
    let mut published = Vec::new();
    for d in db::list(&state.pool).await? {
        if !d.is_published() && !can_edit {
            continue;
        }
        let c = counts.get(&d.id);
        let row = ListRow {
            launches: c.map_or(0, |c| c.launches),
            readers: c.map_or(0, |c| c.readers),
            sent: c.map_or(0, |c| c.sent),
            d,
        };
        if row.d.is_published() {
            published.push(row);
        } else {
            drafts.push(row);
        }
    }
    Ok(ListPage {
        layout: Layout::for_user(&current, "Digests", "digests").await?,
        drafts,
        published,
        can_edit,
        feed_audience: Audience::of_team(current.user.team)
            .unwrap_or(Audience::Everyone)
            .as_str(),
    })
}

/// A launch offered on the compose form.
pub struct LaunchPick {
    pub id: i64,
    pub name: String,
    pub status_label: &'static str,
    pub date_text: String,
    pub has_guide: bool,
    pub checked: bool,
    pub order: String,
    /// The name of its position field, and the message for it.
    pub order_field: String,
    pub order_error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "digests/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    back: String,
    button: &'static str,
    form: DigestInput,
    errors: crate::validation::FieldErrors,
    launches: Vec<LaunchPick>,
    audiences: Vec<(&'static str, &'static str)>,
}

async fn render_form(
    state: &AppState,
    current: &CurrentUser,
    editing: Option<&Digest>,
    form: DigestInput,
    errors: crate::validation::FieldErrors,
) -> AppResult<FormPage> {
    let (heading, action, back, button) = match editing {
        Some(d) => (
            format!("Edit {}", d.title),
            format!("/digests/{}/edit", d.id),
            format!("/digests/{}", d.id),
            "Save the draft",
        ),
        None => (
            "New digest".to_owned(),
            "/digests".to_owned(),
            "/digests".to_owned(),
            "Create the draft",
        ),
    };
    let all = crate::launches::db::list(&state.pool).await?;
    let ids: Vec<i64> = all.iter().map(|l| l.id).collect();
    let published: std::collections::HashSet<i64> =
        crate::launches::db::published_numbers(&state.pool, &ids)
            .await?
            .into_iter()
            .filter(|p| p.published_number.is_some())
            .map(|p| p.launch_id)
            .collect();
    let launches = all
        .into_iter()
        .map(|l| {
            let chosen = form.launches.iter().position(|(id, _)| *id == l.id);
            LaunchPick {
                has_guide: published.contains(&l.id),
                checked: chosen.is_some(),
                order: chosen
                    .and_then(|i| form.launches.get(i))
                    .map(|(_, o)| o.clone())
                    .unwrap_or_default(),
                status_label: l.status_label(),
                date_text: l.date_text(),
                order_field: format!("order_{}", l.id),
                order_error: errors.get(&format!("order_{}", l.id)).map(str::to_owned),
                id: l.id,
                name: l.name,
            }
        })
        .collect();
    Ok(FormPage {
        layout: Layout::for_user(current, heading.clone(), "digests").await?,
        heading,
        action,
        back,
        button,
        form,
        errors,
        launches,
        audiences: Audience::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
    })
}

fn read_form(pairs: &[(String, String)]) -> DigestInput {
    let mut input = DigestInput {
        title: form::field(pairs, "title"),
        period_start: form::field(pairs, "period_start"),
        period_end: form::field(pairs, "period_end"),
        audience: form::field(pairs, "audience"),
        intro: form::field(pairs, "intro"),
        launches: Vec::new(),
    };
    for id in form::ids(pairs, "launch") {
        input
            .launches
            .push((id, form::field(pairs, &format!("order_{id}"))));
    }
    input
}

async fn new_form(State(state): State<AppState>, current: CurrentUser) -> AppResult<FormPage> {
    current.user.require(EDIT_DIGESTS)?;
    let today = crate::insights::today();
    let start = today.replace_day(1).unwrap_or(today);
    let form = DigestInput {
        period_start: start.to_string(),
        period_end: today.to_string(),
        audience: "everyone".into(),
        // Offer the launches that shipped or are due in the period.
        launches: crate::launches::db::list(&state.pool)
            .await?
            .into_iter()
            .filter(|l| {
                l.timeline_date().is_some_and(|d| {
                    d >= start - time::Duration::days(31) && d <= today + time::Duration::days(31)
                })
            })
            .map(|l| (l.id, String::new()))
            .collect(),
        ..Default::default()
    };
    render_form(&state, &current, None, form, Default::default()).await
}

async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    current.user.require(EDIT_DIGESTS)?;
    let input = read_form(&pairs);
    let result = match input.validate() {
        Ok(f) => edit::create(&state.pool, &Actor::User(&current.user), &f).await,
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(id) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                "Draft saved. Read it as each audience will, then publish it.",
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/digests/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_form(&state, &current, None, input, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

async fn draft(state: &AppState, id: i64) -> AppResult<Digest> {
    let d = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    if d.is_published() {
        return Err(AppError::Conflict(
            "This digest is published and frozen: start a new digest to change what it says."
                .into(),
        ));
    }
    Ok(d)
}

async fn edit_form(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<FormPage> {
    current.user.require(EDIT_DIGESTS)?;
    let d = draft(&state, id).await?;
    let form = DigestInput {
        title: d.title.clone(),
        period_start: d.period_start.to_string(),
        period_end: d.period_end.to_string(),
        audience: d.audience.as_str().to_owned(),
        intro: d.intro.clone(),
        launches: db::launches(&state.pool, id)
            .await?
            .into_iter()
            .enumerate()
            .map(|(i, l)| (l.launch_id, (i + 1).to_string()))
            .collect(),
    };
    render_form(&state, &current, Some(&d), form, Default::default()).await
}

async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    current.user.require(EDIT_DIGESTS)?;
    let d = draft(&state, id).await?;
    let input = read_form(&pairs);
    let result = match input.validate() {
        Ok(f) => edit::update(&state.pool, &Actor::User(&current.user), id, &f).await,
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(()) => {
            set_flash(&current.session, FlashKind::Success, "Draft saved.", None).await?;
            Ok(Redirect::to(&format!("/digests/{id}")).into_response())
        }
        Err(AppError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_form(&state, &current, Some(&d), input, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ViewQuery {
    /// Read as this audience (`sales`, …); default: the reader's own team.
    #[serde(default, rename = "as")]
    pub view_as: Option<String>,
}

pub struct ReaderLine {
    pub name: String,
    pub team: &'static str,
    pub first: When,
    pub reads: i32,
}

pub struct SendState {
    pub state: String,
    pub done: i32,
    pub total: i32,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "digests/digest.html")]
pub struct DigestPage {
    layout: Layout,
    c: Composed,
    view_as: &'static str,
    views: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    readers: Vec<ReaderLine>,
    audience_size: i64,
    sends: db::SendCounts,
    send_job: Option<SendState>,
    smtp_ready: bool,
    published_at: Option<When>,
}

/// `/digests/{id}` is a digest; `/digests/{audience}.atom` its audience's feed.
async fn digest_or_feed(
    State(state): State<AppState>,
    Extension(caches): Extension<Caches>,
    current: Result<CurrentUser, AppError>,
    Path(key): Path<String>,
    Query(feed): Query<super::feeds::FeedQuery>,
    Query(view): Query<ViewQuery>,
) -> AppResult<Response> {
    if let Some(audience) = key.strip_suffix(".atom") {
        return super::feeds::digests_feed(&state, &caches, current.ok(), audience, feed).await;
    }
    let current = current?;
    let id: i64 = key.parse().map_err(|_| AppError::NotFound)?;
    Ok(page(&state, &caches, &current, id, view)
        .await?
        .into_response())
}

async fn page(
    state: &AppState,
    caches: &Caches,
    current: &CurrentUser,
    id: i64,
    view: ViewQuery,
) -> AppResult<DigestPage> {
    let user = &current.user;
    user.require(Permission::Read)?;
    let can_edit = user.can(EDIT_DIGESTS);
    let d = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    if !d.is_published() && !can_edit {
        return Err(AppError::NotFound);
    }
    // Read as: the chosen audience, else the digest's team, else the reader's own team.
    let chosen = view.view_as.as_deref().and_then(Audience::parse);
    let team: Option<Team> = match chosen {
        Some(a) => a.team(),
        None => Some(user.team),
    };
    if d.is_published() {
        db::record_read(&state.pool, id, user.id).await?;
    }
    let audience_size = db::audience_size(&state.pool, d.audience).await?;
    let sends = db::send_counts(&state.pool, id).await?;
    let send_job = db::latest_send_job(&state.pool, id)
        .await?
        .map(|j| SendState {
            state: j.state,
            done: j.progress_done,
            total: j.progress_total,
            error: j.error,
        });
    let readers = if can_edit {
        db::readers(&state.pool, id)
            .await?
            .into_iter()
            .map(|r| ReaderLine {
                name: r.name,
                team: r.team.parse::<Team>().map(Team::label).unwrap_or("Other"),
                first: When::from(r.first_read_at),
                reads: r.reads,
            })
            .collect()
    } else {
        Vec::new()
    };
    let published_at = d.published_at.map(When::from);
    let c = compose::compose(&state.pool, caches, d, team).await?;
    let view_as = c
        .reader_team
        .and_then(Audience::of_team)
        .unwrap_or(Audience::Everyone)
        .as_str();
    Ok(DigestPage {
        layout: Layout::for_user(current, c.digest.title.clone(), "digests").await?,
        view_as,
        views: if c.digest.audience == Audience::Everyone {
            Audience::ALL
                .iter()
                .map(|a| (a.as_str(), a.label()))
                .collect()
        } else {
            Vec::new()
        },
        can_edit,
        readers,
        audience_size,
        sends,
        send_job,
        smtp_ready: state.config.smtp_url.is_some(),
        published_at,
        c,
    })
}

async fn publish(
    State(state): State<AppState>,
    Extension(caches): Extension<Caches>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(EDIT_DIGESTS)?;
    let (kind, message) =
        match edit::publish(&state.pool, &caches, &Actor::User(&current.user), id, None).await {
            Ok(()) => (
                FlashKind::Success,
                "Published. The digest is frozen now: it quotes the guides as they read today."
                    .to_owned(),
            ),
            Err(AppError::Validation(e)) => (
                FlashKind::Error,
                e.iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Err(AppError::Conflict(m)) => (FlashKind::Error, m),
            Err(e) => return Err(e),
        };
    set_flash(&current.session, kind, message, None).await?;
    Ok(Redirect::to(&format!("/digests/{id}")).into_response())
}

async fn send_email(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(EDIT_DIGESTS)?;
    let (kind, message) =
        match send::start(&state.pool, &state.config, &Actor::User(&current.user), id).await {
            Ok(_) => (
                FlashKind::Success,
                "Sending in the background: everyone of the audience not yet sent it gets it once."
                    .to_owned(),
            ),
            Err(AppError::Conflict(m)) => (FlashKind::Error, m),
            Err(e) => return Err(e),
        };
    set_flash(&current.session, kind, message, None).await?;
    Ok(Redirect::to(&format!("/digests/{id}#email")).into_response())
}

/// The email's HTML as a recipient of `?as=` would get it. Its own CSP: the email's inline
/// styles apply, nothing can run.
async fn email_preview(
    State(state): State<AppState>,
    Extension(caches): Extension<Caches>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(view): Query<ViewQuery>,
) -> AppResult<Response> {
    current.user.require(Permission::Read)?;
    let d = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    if !d.is_published() && !current.user.can(EDIT_DIGESTS) {
        return Err(AppError::NotFound);
    }
    let team = view
        .view_as
        .as_deref()
        .and_then(Audience::parse)
        .and_then(Audience::team)
        .or(Some(current.user.team));
    let c = compose::compose(&state.pool, &caches, d, team).await?;
    let base = state.config.base_url();
    let unsubscribe = send::unsubscribe_url(&state.pool, &base, current.user.id).await?;
    let html = email::html(&EmailView::new(&c, &base, Some(unsubscribe)))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (
                header::HeaderName::from_static("content-security-policy"),
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                ),
            ),
        ],
        html,
    )
        .into_response())
}

async fn confirm_delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ConfirmPage> {
    current.user.require(EDIT_DIGESTS)?;
    let d = draft(&state, id).await?;
    Ok(ConfirmPage {
        layout: Layout::for_user(&current, "Delete the draft", "digests").await?,
        heading: format!("Delete the draft \"{}\"?", d.title),
        explanation: "The draft and its choice of launches are deleted. The launches and their guides stay as they are. This cannot be undone.".into(),
        action: format!("/digests/{id}/delete"),
        button: "Delete the draft",
        back: format!("/digests/{id}"),
    })
}

async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    current.user.require(EDIT_DIGESTS)?;
    let title = edit::delete(&state.pool, &Actor::User(&current.user), id).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!("Deleted the draft \"{title}\"."),
        None,
    )
    .await?;
    Ok(Redirect::to("/digests").into_response())
}
