//! The quick log form (few fields, keyboard only, one submit) and the edit form.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::ingest::{self, IngestError};
use super::web::{can_edit, load};
use super::{FeedbackInput, Source, db};
use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, Team, User};
use crate::error::{AppError, AppResult, ResultExt};
use crate::validation::FieldErrors;
use crate::web::Layout;

/// What the form posts. `account` is whatever the person typed: a name, an external id or a domain.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FeedbackForm {
    pub source: String,
    pub account: String,
    pub title: String,
    pub body: String,
    pub contact_email: String,
    pub received_on: String,
    pub nps_score: String,
    pub external_id: String,
    /// "1" once the person saw the near-duplicate offer and chose to log it anyway.
    pub duplicate_ok: String,
}

fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl FeedbackForm {
    fn for_user(user: &User) -> FeedbackForm {
        let source = match user.team {
            Team::Sales => Source::Sales,
            Team::Success => Source::Success,
            Team::Support => Source::Support,
            Team::Product | Team::ProductOps => Source::Research,
            Team::Marketing | Team::Other => Source::Other,
        };
        FeedbackForm {
            source: source.as_str().into(),
            ..FeedbackForm::default()
        }
    }

    /// Resolve the typed account, then hand over to the shared validation rules.
    async fn to_input(&self, state: &AppState) -> AppResult<(FeedbackInput, FieldErrors)> {
        let mut errors = FieldErrors::default();
        let account_external_id = match some(&self.account) {
            Some(text) => match db::find_account_by_text(&state.pool, &text).await? {
                Some(ext) => Some(ext),
                None => {
                    errors.add(
                        "account",
                        format!("No account matches \"{text}\". Pick one from the suggestions, or leave it empty."),
                    );
                    None
                }
            },
            None => None,
        };
        let input = FeedbackInput {
            source: some(&self.source),
            body: some(&self.body),
            external_id: some(&self.external_id),
            title: some(&self.title),
            account_external_id,
            contact_email: some(&self.contact_email),
            received_at: some(&self.received_on),
            nps_score: some(&self.nps_score),
            metadata: None,
        };
        Ok((input, errors))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/form.html")]
pub struct FormPage {
    layout: Layout,
    form: FeedbackForm,
    errors: FieldErrors,
    sources: &'static [Source],
    accounts: Vec<(String, String)>,
    /// None for the quick log; the item's id when editing.
    editing: Option<i64>,
    /// Items of the same account that say nearly the same (offered before logging).
    duplicates: Vec<crate::embeddings::similar::NearView>,
}

const ACCOUNT_CHOICES: i64 = 1000;

async fn render(
    state: &AppState,
    current: &CurrentUser,
    form: FeedbackForm,
    errors: FieldErrors,
    editing: Option<i64>,
) -> AppResult<FormPage> {
    let title = if editing.is_some() {
        "Edit feedback"
    } else {
        "Log feedback"
    };
    Ok(FormPage {
        layout: Layout::for_user(current, title, "feedback").await?,
        form,
        errors,
        sources: &Source::ALL,
        accounts: db::account_choices(&state.pool, ACCOUNT_CHOICES).await?,
        editing,
        duplicates: Vec::new(),
    })
}

pub async fn new(State(state): State<AppState>, current: CurrentUser) -> AppResult<FormPage> {
    current.user.require(Permission::LogFeedback)?;
    let form = FeedbackForm::for_user(&current.user);
    render(&state, &current, form, FieldErrors::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Form(form): Form<FeedbackForm>,
) -> AppResult<Response> {
    current.user.require(Permission::LogFeedback)?;
    let (input, mut errors) = form.to_input(&state).await?;
    if let Err(more) = input.validate() {
        errors.0.extend(more.0);
    }
    if !errors.is_empty() {
        let page = render(&state, &current, form, errors, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    // Offer, never silently drop: a near-duplicate of the same account is shown once, and
    // "Log it anyway" posts the same form again with `duplicate_ok`.
    if form.duplicate_ok != "1" {
        let duplicates = crate::embeddings::similar::offer_for_new(
            &state.pool,
            input.account_external_id.as_deref(),
            input.title.as_deref(),
            input.body.as_deref().unwrap_or(""),
        )
        .await?;
        if !duplicates.is_empty() {
            let mut page = render(&state, &current, form, FieldErrors::default(), None).await?;
            page.duplicates = duplicates;
            return Ok(page.into_response());
        }
    }
    match ingest::ingest_via(
        &state.pool,
        std::slice::from_ref(&input),
        Some(current.user.id),
        ingest::Via::Form,
    )
    .await
    {
        Ok(written) => {
            super::after_ingest(&state.pool, written.iter().map(|w| w.id).collect()).await;
            let id = written.first().map(|w| w.id).unwrap_or_default();
            set_flash(
                &current.session,
                FlashKind::Success,
                "Feedback logged. Log the next one below.",
                Some((format!("/feedback/{id}"), "View it".into())),
            )
            .await?;
            // Keep the source: people log several notes from the same call in a row.
            let source =
                serde_urlencoded::to_string([("source", form.source.as_str())]).unwrap_or_default();
            Ok(Redirect::to(&format!("/feedback/new?{source}")).into_response())
        }
        Err(IngestError::Invalid(batch)) => {
            let page = render(&state, &current, form, batch.into_field_errors(true), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(IngestError::Sqlx(e)) => Err(e.into()),
    }
}

/// The date the form shows for a moment: the form's own `YYYY-MM-DD`.
fn form_date(at: time::OffsetDateTime) -> String {
    let d = at.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub async fn edit(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<FormPage> {
    let item = load(&state, id).await?;
    if !can_edit(&current.user, item.item.reporter_id) {
        return Err(AppError::Forbidden);
    }
    // Show the account as the hint asks people to type it (its name), unless the name would
    // pick a different account on save.
    let account = match (&item.item.account_name, &item.item.account_external_id) {
        (Some(name), Some(ext))
            if db::find_account_by_text(&state.pool, name).await?.as_ref() == Some(ext) =>
        {
            name.clone()
        }
        (_, ext) => ext.clone().unwrap_or_default(),
    };
    let form = FeedbackForm {
        source: item.item.source.clone(),
        account,
        title: item.item.title.clone().unwrap_or_default(),
        body: item.item.body.clone(),
        contact_email: item.item.contact_email.clone().unwrap_or_default(),
        received_on: form_date(item.item.received_at),
        nps_score: item
            .item
            .nps_score
            .map(|s| s.to_string())
            .unwrap_or_default(),
        external_id: item.item.external_id.clone().unwrap_or_default(),
        duplicate_ok: String::new(),
    };
    render(&state, &current, form, FieldErrors::default(), Some(id)).await
}

pub async fn update(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
    Form(form): Form<FeedbackForm>,
) -> AppResult<Response> {
    let before = load(&state, id).await?;
    if !can_edit(&current.user, before.item.reporter_id) {
        return Err(AppError::Forbidden);
    }
    let (mut input, mut errors) = form.to_input(&state).await?;
    input.metadata = Some(before.metadata.clone());
    // The form shows the date only: an untouched date keeps the stored time of day.
    if form.received_on.trim() == form_date(before.item.received_at) {
        input.received_at = None;
    }
    let valid = match input.validate() {
        Ok(valid) if errors.is_empty() => valid,
        Ok(_) => {
            let page = render(&state, &current, form, errors, Some(id)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(more) => {
            errors.0.extend(more.0);
            let page = render(&state, &current, form, errors, Some(id)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut tx = state.pool.begin().await?;
    let snapshot_before = db::audit_snapshots(&mut *tx, &[id])
        .await?
        .pop()
        .map(|s| s.1);
    let updated = db::update(&mut *tx, id, &valid).await.on_constraint(
        "feedback_source_external_id_key",
        "external_id",
        || "Another item from this source already has this external id".into(),
    );
    match updated {
        Ok(()) => {}
        Err(AppError::Validation(errors)) => {
            let page = render(&state, &current, form, errors, Some(id)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(e) => return Err(e),
    }
    let snapshot_after = db::audit_snapshots(&mut *tx, &[id])
        .await?
        .pop()
        .map(|s| s.1);
    let changed = audit::record(
        &mut *tx,
        &Actor::User(&current.user),
        Entry {
            action: "update",
            entity_type: "feedback",
            entity_id: Some(id.to_string()),
            summary: format!("Edited feedback #{id} with the form"),
            before: snapshot_before,
            after: snapshot_after,
        },
    )
    .await?;
    tx.commit().await?;
    let message = if changed {
        "Saved."
    } else {
        "Nothing changed: the form matched what was stored."
    };
    set_flash(&current.session, FlashKind::Success, message, None).await?;
    Ok(Redirect::to(&format!("/feedback/{id}")).into_response())
}
