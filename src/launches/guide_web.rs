//! Guide pages: reading view, editor with preview and conflict handling, history with
//! compare and restore (the review workflow and acknowledgements are in `workflow.rs`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sqlx::PgPool;

use super::diff::{self, SectionDiff};
use super::edit::{self, Saved};
use super::guide::{self, GuideContent, GuideState, RenderedGuide, Revision};
use super::{Launch, REVIEW_GUIDES, WRITE_GUIDES, db};
use crate::app::AppState;
use crate::audit::Actor;
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, User};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::Layout;
use crate::web::format::When;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/launches/{id}/guide", get(read))
        .route("/launches/{id}/guide/edit", get(editor).post(save))
        .route("/launches/{id}/guide/history", get(history))
        .route("/launches/{id}/guide/restore", post(restore))
        .merge(super::workflow::router())
}

/// Where a reader stands with the published guide.
pub struct AckState {
    pub may_acknowledge: bool,
    pub published: Option<i32>,
    pub acknowledged: Option<i32>,
    /// The reader must (re)acknowledge the published revision.
    pub asked: bool,
    /// What changed since the revision they acknowledged (empty when they never did).
    pub changes: Vec<SectionDiff>,
}

pub async fn ack_state(pool: &PgPool, user: &User, guide: &GuideState) -> AppResult<AckState> {
    let acknowledged = db::acknowledged(pool, guide.launch_id, user.id).await?;
    let may_acknowledge = user.can(Permission::Acknowledge);
    let Some(published) = guide.published_number else {
        return Ok(AckState {
            may_acknowledge,
            published: None,
            acknowledged,
            asked: false,
            changes: Vec::new(),
        });
    };
    let facts = db::revision_facts(pool, guide.launch_id).await?;
    let asked = guide::asks_again(&facts, acknowledged, published);
    let changes = match acknowledged {
        Some(a) if asked && a < published => {
            let old = db::revision(pool, guide.launch_id, a).await?;
            let new = db::revision(pool, guide.launch_id, published).await?;
            match (old, new) {
                (Some(o), Some(n)) => diff::guide(&o.content, &n.content),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    Ok(AckState {
        may_acknowledge,
        published: Some(published),
        acknowledged,
        asked,
        changes,
    })
}

pub(super) async fn load(pool: &PgPool, id: i64) -> AppResult<(Launch, GuideState)> {
    let launch = db::get(pool, id).await?.ok_or(AppError::NotFound)?;
    db::ensure_guide(pool, id).await?;
    let guide = db::guide_state(pool, id).await?.ok_or(AppError::NotFound)?;
    Ok((launch, guide))
}

// ---- reading view ----

#[derive(Debug, Default, Deserialize)]
pub struct RevisionQuery {
    pub revision: Option<i32>,
}

#[derive(Template, WebTemplate)]
#[template(path = "launches/guide.html")]
pub struct ReadPage {
    layout: Layout,
    launch: Launch,
    guide: GuideState,
    revision: Option<Revision>,
    rendered: Option<RenderedGuide>,
    /// The reader's own section key, shown first.
    own: Option<&'static str>,
    ack: AckState,
    is_published_view: bool,
    can_write: bool,
    can_review: bool,
    reviewers: Vec<db::Option2>,
    mine: Vec<super::tell::TellLine>,
}

/// Which revision a person may read: writers any; everyone else only published ones.
pub async fn readable_revision(
    pool: &PgPool,
    user: &User,
    guide: &GuideState,
    wanted: Option<i32>,
) -> AppResult<Option<Revision>> {
    let writer = user.can(WRITE_GUIDES);
    let number = match wanted {
        Some(n) => Some(n),
        None if writer => guide.head_number,
        None => guide.published_number,
    };
    let Some(number) = number else {
        return Ok(None);
    };
    let rev = db::revision(pool, guide.launch_id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    if !writer && rev.published_at.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(Some(rev))
}

async fn read(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<RevisionQuery>,
) -> AppResult<ReadPage> {
    let user = &current.user;
    user.require(Permission::Read)?;
    let (launch, guide) = load(&state.pool, id).await?;
    let revision = readable_revision(&state.pool, user, &guide, q.revision).await?;
    let ack = ack_state(&state.pool, user, &guide).await?;
    let tasks = db::tasks(&state.pool, id).await?;
    let mine = super::tell::lines(user, db::who_to_tell(&state.pool, id).await?, &tasks)
        .into_iter()
        .filter(|l| l.mine)
        .collect();
    Ok(ReadPage {
        layout: Layout::for_user(
            &current,
            format!("{} · readiness guide", launch.name),
            "launches",
        )
        .await?,
        rendered: revision.as_ref().map(|r| r.content.render()),
        is_published_view: revision.as_ref().map(|r| Some(r.number))
            == Some(guide.published_number),
        revision,
        own: guide::section_for_team(user.team),
        ack,
        can_write: user.can(WRITE_GUIDES),
        can_review: user.can(REVIEW_GUIDES),
        reviewers: db::reviewer_options(&state.pool).await?,
        mine,
        launch,
        guide,
    })
}

impl ReadPage {
    /// The reader's own team section, shown right under the value.
    fn own_section(&self) -> Option<&guide::RenderedSection> {
        let key = self.own?;
        self.rendered.as_ref()?.get(key)
    }

    /// A team section other than the reader's, folded below.
    fn is_other_team(&self, key: &str) -> bool {
        matches!(key, "sales" | "success" | "support" | "marketing") && self.own != Some(key)
    }
}

// ---- editor ----

#[derive(Template, WebTemplate)]
#[template(path = "launches/editor.html")]
pub struct EditorPage {
    layout: Layout,
    launch: Launch,
    guide: GuideState,
    content: GuideContent,
    /// FAQ rows to show: the content's, plus empty ones to add.
    faq_rows: Vec<(usize, String, String)>,
    sections: &'static [(&'static str, &'static str, &'static str)],
    base: String,
    note: String,
    minor: bool,
    errors: FieldErrors,
    preview: Option<RenderedGuide>,
    /// The other person's change, when a save was refused.
    conflict: Option<(i32, Vec<SectionDiff>)>,
}

pub struct FaqRow {
    pub n: usize,
    pub q_name: String,
    pub a_name: String,
    pub q: String,
    pub a: String,
    pub q_error: Option<String>,
    pub a_error: Option<String>,
}

impl EditorPage {
    fn faq_view(&self) -> Vec<FaqRow> {
        self.faq_rows
            .iter()
            .map(|(i, q, a)| {
                let (q_name, a_name) = (format!("faq_q_{i}"), format!("faq_a_{i}"));
                FaqRow {
                    n: i + 1,
                    q_error: self.errors.get(&q_name).map(str::to_owned),
                    a_error: self.errors.get(&a_name).map(str::to_owned),
                    q_name,
                    a_name,
                    q: q.clone(),
                    a: a.clone(),
                }
            })
            .collect()
    }
}

fn faq_rows(content: &GuideContent, extra: usize) -> Vec<(usize, String, String)> {
    let mut rows: Vec<(usize, String, String)> = content
        .faq
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.q.clone(), f.a.clone()))
        .collect();
    for _ in 0..extra {
        rows.push((rows.len(), String::new(), String::new()));
    }
    rows
}

async fn editor(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<EditorPage> {
    current.user.require(WRITE_GUIDES)?;
    let (launch, guide) = load(&state.pool, id).await?;
    let content = match guide.head_number {
        Some(n) => db::revision(&state.pool, id, n)
            .await?
            .map(|r| r.content)
            .unwrap_or_default(),
        None => GuideContent::default(),
    };
    Ok(EditorPage {
        layout: Layout::for_user(
            &current,
            format!("Edit the guide for {}", launch.name),
            "launches",
        )
        .await?,
        faq_rows: faq_rows(&content, if content.faq.is_empty() { 1 } else { 0 }),
        content,
        sections: guide::SECTIONS,
        base: guide.head_number.map(|n| n.to_string()).unwrap_or_default(),
        note: String::new(),
        minor: false,
        errors: FieldErrors::default(),
        preview: None,
        conflict: None,
        launch,
        guide,
    })
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

async fn save(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    current.user.require(WRITE_GUIDES)?;
    let (launch, guide) = load(&state.pool, id).await?;
    let content = GuideContent::from_form(&pairs);
    let note = field(&pairs, "note").to_owned();
    let minor = field(&pairs, "minor") == "on" || field(&pairs, "minor") == "true";
    let base_text = field(&pairs, "base").trim().to_owned();
    let base: Option<i32> = base_text.parse().ok();
    let action = field(&pairs, "action");
    let mut page = EditorPage {
        layout: Layout::for_user(
            &current,
            format!("Edit the guide for {}", launch.name),
            "launches",
        )
        .await?,
        faq_rows: faq_rows(&content, 0),
        content: content.clone(),
        sections: guide::SECTIONS,
        base: base_text,
        note: note.clone(),
        minor,
        errors: FieldErrors::default(),
        preview: None,
        conflict: None,
        launch,
        guide,
    };
    match action {
        "preview" => {
            page.preview = Some(content.render());
            return Ok(page.into_response());
        }
        "add_faq" => {
            page.faq_rows = faq_rows(&content, 1);
            return Ok(page.into_response());
        }
        _ => {}
    }
    match edit::save_guide(
        &state.pool,
        &Actor::User(&current.user),
        id,
        base,
        &content,
        &note,
        minor,
    )
    .await
    {
        Ok(Saved::Revision(n)) => {
            set_flash(
                &current.session,
                FlashKind::Success,
                format!("Saved revision {n} as a draft. Readers still see the published guide until a reviewer approves it."),
                None,
            )
            .await?;
            Ok(Redirect::to(&format!("/launches/{id}/guide")).into_response())
        }
        Ok(Saved::Stale { head }) => {
            // Show what the other person changed since the form was opened; keep the typed text.
            let theirs = db::revision(&state.pool, id, head)
                .await?
                .map(|r| r.content)
                .unwrap_or_default();
            let old = match base {
                Some(b) => db::revision(&state.pool, id, b)
                    .await?
                    .map(|r| r.content)
                    .unwrap_or_default(),
                None => GuideContent::default(),
            };
            page.conflict = Some((head, diff::guide(&old, &theirs)));
            page.base = head.to_string();
            page.errors.add(
                "conflict",
                format!("Someone saved revision {head} while you were editing, so your text was not saved. Their change is shown below; your text is still in the form. Save again to put yours on top."),
            );
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(AppError::Validation(errors)) => {
            page.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

// ---- history ----

#[derive(Debug, Default, Deserialize)]
pub struct CompareQuery {
    pub from: Option<i32>,
    pub to: Option<i32>,
}

pub struct HistoryRow {
    pub number: i32,
    pub author: String,
    pub when: When,
    pub note: String,
    pub minor: bool,
    pub state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "launches/history.html")]
pub struct HistoryPage {
    layout: Layout,
    launch: Launch,
    rows: Vec<HistoryRow>,
    from: i32,
    to: i32,
    compare: Vec<SectionDiff>,
    compared: bool,
    can_write: bool,
}

pub fn revision_state(r: &Revision, guide: &GuideState) -> &'static str {
    if Some(r.number) == guide.published_number {
        "Published (current)"
    } else if r.published_at.is_some() {
        "Published earlier"
    } else if Some(r.number) == guide.head_number {
        guide::state_label(if guide.state == "in_review" {
            "in_review"
        } else {
            "draft"
        })
    } else {
        "Draft"
    }
}

async fn history(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> AppResult<HistoryPage> {
    let user = &current.user;
    user.require(Permission::Read)?;
    let (launch, guide) = load(&state.pool, id).await?;
    let writer = user.can(WRITE_GUIDES);
    let revisions: Vec<Revision> = db::revisions(&state.pool, id)
        .await?
        .into_iter()
        .filter(|r| writer || r.published_at.is_some())
        .collect();
    let newest = revisions.first().map(|r| r.number).unwrap_or(0);
    let to = q.to.unwrap_or(newest);
    let from = q
        .from
        .unwrap_or_else(|| revisions.get(1).map(|r| r.number).unwrap_or(to));
    let find = |n: i32| revisions.iter().find(|r| r.number == n);
    let compare = match (find(from), find(to)) {
        (Some(a), Some(b)) => diff::guide(&a.content, &b.content),
        _ if q.from.is_some() || q.to.is_some() => return Err(AppError::NotFound),
        _ => Vec::new(),
    };
    Ok(HistoryPage {
        layout: Layout::for_user(
            &current,
            format!("{} · guide history", launch.name),
            "launches",
        )
        .await?,
        rows: revisions
            .iter()
            .map(|r| HistoryRow {
                number: r.number,
                author: r.author_name.clone().unwrap_or_else(|| "—".into()),
                when: When::from(r.created_at),
                note: r.note.clone(),
                minor: r.minor,
                state: revision_state(r, &guide),
            })
            .collect(),
        compared: find(from).is_some() && find(to).is_some() && from != to,
        from,
        to,
        compare,
        can_write: writer,
        launch,
    })
}

#[derive(Deserialize)]
pub struct RestoreForm {
    revision: i32,
}

async fn restore(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<RestoreForm>,
) -> AppResult<Response> {
    current.user.require(WRITE_GUIDES)?;
    load(&state.pool, id).await?;
    let n = edit::restore(&state.pool, &Actor::User(&current.user), id, form.revision).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        format!(
            "Restored revision {} as revision {n}, a draft.",
            form.revision
        ),
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/launches/{id}/guide/history")).into_response())
}
