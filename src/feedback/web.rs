//! Feedback pages: the filtered list, an item's page, archive, and exports.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::db::{self, FeedbackDetail, ListedFeedback};
use super::query::{Filter, ListParams};
use super::{NpsBand, Source};
use crate::accounts::{Lifecycle, Segment};
use crate::app::AppState;
use crate::audit::{self, Actor, Entry};
use crate::auth::session::{FlashKind, set_flash};
use crate::auth::{CurrentUser, Permission, User};
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;
use crate::web::format::When;
use crate::web::money::{format_arr_exact, format_arr_short};
use crate::web::{ConfirmPage, Layout};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback", get(list).post(super::form::create))
        .route("/feedback/new", get(super::form::new))
        .route("/feedback/export.csv", get(super::export::export_csv))
        .route("/feedback/export.json", get(super::export::export_json))
        .route("/feedback/{id}", get(detail))
        .route(
            "/feedback/{id}/edit",
            get(super::form::edit).post(super::form::update),
        )
        .route("/feedback/{id}/archive", get(confirm_archive).post(archive))
        .route("/feedback/{id}/restore", post(restore))
}

/// Money for people: abbreviated, exact on hover.
pub struct Money {
    pub short: String,
    pub exact: String,
}

impl Money {
    pub fn new(cents: i64, currency: &str) -> Money {
        Money {
            short: format_arr_short(cents, currency),
            exact: format_arr_exact(cents, currency),
        }
    }
}

/// A piece of an excerpt; `marked` pieces matched the search.
pub struct Piece {
    pub text: String,
    pub marked: bool,
}

/// Split a `ts_headline` result at its markers. The page escapes each piece.
pub fn pieces(headline: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut marked = false;
    let mut current = String::new();
    for c in headline.chars() {
        if c == db::MARK_START || c == db::MARK_END {
            if !current.is_empty() {
                out.push(Piece {
                    text: std::mem::take(&mut current),
                    marked,
                });
            }
            marked = c == db::MARK_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push(Piece {
            text: current,
            marked,
        });
    }
    out
}
/// A feedback item as a list row.
pub struct ItemView {
    pub id: i64,
    pub source: Source,
    pub title: Option<String>,
    pub excerpt: Vec<Piece>,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub arr: Option<crate::web::money::Arr>,
    pub reporter: Option<String>,
    pub received: When,
    pub nps_score: Option<i16>,
    pub nps_band: Option<NpsBand>,
}

impl ItemView {
    pub fn from_listed(row: &ListedFeedback) -> ItemView {
        let item = &row.item;
        let excerpt = match &row.headline {
            Some(h) => pieces(h),
            None => vec![Piece {
                text: crate::web::format::excerpt(&item.body, 240),
                marked: false,
            }],
        };
        ItemView {
            id: item.id,
            source: item.source.parse().unwrap_or(Source::Other),
            title: item.title.clone(),
            excerpt,
            account_id: item.account_id,
            account_name: item.account_name.clone(),
            arr: None,
            reporter: item.reporter_name.clone(),
            received: When::from(item.received_at),
            nps_score: item.nps_score,
            nps_band: item.nps_score.map(NpsBand::from_score),
        }
    }
}

/// List rows with each ARR snapshot in the reporting currency at the rate of the day it was
/// received, the recorded amount kept.
async fn with_arr(state: &AppState, rows: &[ListedFeedback]) -> AppResult<Vec<ItemView>> {
    let amounts: Vec<(i64, String, time::Date)> = rows
        .iter()
        .map(|r| {
            let currency = r.item.currency_snapshot.as_deref().unwrap_or("USD");
            let cents = r.item.arr_cents_snapshot.unwrap_or(0);
            (cents, currency.to_owned(), r.item.received_at.date())
        })
        .collect();
    let (reporting, converted) =
        crate::accounts::db::convert_amounts(&state.pool, &amounts).await?;
    Ok(rows
        .iter()
        .zip(amounts.iter().zip(converted))
        .map(|(row, ((_, currency, _), converted))| ItemView {
            arr: crate::web::money::Arr::new(
                row.item.arr_cents_snapshot,
                currency,
                converted,
                &reporting,
            ),
            ..ItemView::from_listed(row)
        })
        .collect())
}

pub struct Chip {
    pub label: String,
    pub remove: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/list.html")]
pub struct ListPage {
    layout: Layout,
    params: ListParams,
    items: Vec<ItemView>,
    errors: FieldErrors,
    chips: Vec<Chip>,
    next: Option<String>,
    is_later_page: bool,
    query: String,
    can_log: bool,
    can_import: bool,
    /// May act on a selection (archive, restore, tag).
    can_curate: bool,
    archived: bool,
    sources: &'static [Source],
    segments: &'static [Segment],
    lifecycles: &'static [Lifecycle],
    reporters: Vec<(i64, String)>,
    themes: Vec<(i64, String)>,
    searching: bool,
    /// The search matched more than `ranked_matches` items (best first among the newest of
    /// them, then the older ones newest first).
    ranked_newest: bool,
    ranked_matches: String,
}

fn chips(
    params: &ListParams,
    filter: &Filter,
    reporters: &[(i64, String)],
    themes: &[(i64, String)],
) -> Vec<Chip> {
    let mut chips = Vec::new();
    let mut push = |label: String, field: &str| {
        chips.push(Chip {
            label,
            remove: format!("/feedback?{}", params.without(field)),
        })
    };
    if let Some(q) = &filter.q {
        push(format!("Search: {q}"), "q");
    }
    if let Some(s) = filter.source {
        push(format!("Source: {}", s.label()), "source");
    }
    if let Some(account) = &filter.account_external_id {
        push(format!("Account: {account}"), "account");
    }
    if let Some(s) = filter.segment {
        push(format!("Segment: {}", s.label()), "segment");
    }
    if let Some(l) = filter.lifecycle {
        push(format!("Lifecycle: {}", l.label()), "lifecycle");
    }
    if let Some(f) = params.from.as_deref().filter(|_| filter.from.is_some()) {
        push(format!("From {f}"), "from");
    }
    if let Some(t) = params.to.as_deref().filter(|_| filter.until.is_some()) {
        push(format!("To {t}"), "to");
    }
    if let Some(b) = filter.nps {
        push(format!("NPS: {}", b.label()), "nps");
    }
    if let Some(id) = filter.import_id {
        push(format!("Import #{id}"), "import");
    }
    if filter.untagged {
        push("No theme".to_owned(), "theme");
    }
    if let Some(t) = filter.theme_id {
        let name = themes
            .iter()
            .find(|(id, _)| *id == t)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{t}"));
        push(format!("Theme: {name}"), "theme");
    }
    if let Some(r) = filter.reporter_id {
        let name = reporters
            .iter()
            .find(|(id, _)| *id == r)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{r}"));
        push(format!("Reporter: {name}"), "reporter");
    }
    chips
}

async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(params): Query<ListParams>,
) -> AppResult<ListPage> {
    current.user.require(Permission::Read)?;
    let (mut filter, cursor, limit, errors) = params.parse();
    filter.add_semantic(&state.pool).await?;
    let params = params.shown();
    let listing = db::list(&state.pool, &filter, cursor, limit).await?;
    let rows = listing.rows;
    let reporters = db::reporters(&state.pool).await?;
    let themes: Vec<(i64, String)> = crate::themes::db::list(&state.pool, Some("active"))
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let query = params.to_query();
    let next = listing.next.map(|c| {
        let sep = if query.is_empty() { "" } else { "&" };
        format!("/feedback?{query}{sep}cursor={}", c.encode())
    });
    Ok(ListPage {
        layout: Layout::for_user(&current, "Feedback", "feedback").await?,
        items: with_arr(&state, &rows).await?,
        chips: chips(&params, &filter, &reporters, &themes),
        errors,
        next,
        is_later_page: cursor.is_some(),
        query,
        can_log: current.user.can(Permission::LogFeedback),
        can_import: current.user.can(Permission::ManageData),
        can_curate: current.user.can(Permission::TagFeedback),
        archived: filter.archived,
        sources: &Source::ALL,
        segments: &Segment::ALL,
        lifecycles: &Lifecycle::ALL,
        reporters,
        themes,
        searching: filter.q.is_some(),
        ranked_newest: listing.ranked_newest,
        ranked_matches: crate::web::format::thousands(db::RANKED_MATCHES),
        params,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "feedback/detail.html")]
pub struct DetailPage {
    layout: Layout,
    item: FeedbackDetail,
    source: Source,
    received: When,
    created: When,
    arr_then: Option<crate::web::money::Arr>,
    arr_now: Option<crate::web::money::Arr>,
    /// Said when the item predates its account's ARR history.
    arr_note: Option<String>,
    nps_band: Option<NpsBand>,
    metadata: String,
    can_edit: bool,
    themes: crate::themes::tagging::item::ItemThemes,
    /// Items closest in meaning; `None` without the sentence-encoder model.
    similar: Option<Vec<crate::embeddings::similar::NearView>>,
}

/// Who may change an item: people who curate feedback, and whoever reported it.
pub fn can_edit(user: &User, reporter_id: Option<i64>) -> bool {
    user.can(Permission::TagFeedback)
        || (user.can(Permission::LogFeedback) && reporter_id == Some(user.id))
}

pub async fn load(state: &AppState, id: i64) -> AppResult<FeedbackDetail> {
    db::get(&state.pool, id).await?.ok_or(AppError::NotFound)
}

async fn detail(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<DetailPage> {
    current.user.require(Permission::Read)?;
    let item = load(&state, id).await?;
    let (arr, arr_note) = arr_then_and_now(&state, &item).await?;
    let title = item
        .item
        .title
        .clone()
        .unwrap_or_else(|| crate::web::format::excerpt(&item.item.body, 60));
    Ok(DetailPage {
        layout: Layout::for_user(&current, title, "feedback").await?,
        source: item.item.source.parse().unwrap_or(Source::Other),
        received: When::from(item.item.received_at),
        created: When::from(item.created_at),
        arr_then: arr.first().cloned().flatten(),
        arr_now: arr.get(1).cloned().flatten(),
        arr_note,
        nps_band: item.item.nps_score.map(NpsBand::from_score),
        metadata: serde_json::to_string_pretty(&item.metadata).unwrap_or_default(),
        can_edit: can_edit(&current.user, item.item.reporter_id),
        themes: crate::themes::tagging::item::for_item(&state.pool, &current.user, id).await?,
        similar: crate::embeddings::similar::for_item_page(&state.pool, id).await?,
        item,
    })
}

/// The ARR when the item was received and now, each in the reporting currency at the rate of
/// its day; and a note when the item is older than its account's ARR history.
async fn arr_then_and_now(
    state: &AppState,
    item: &FeedbackDetail,
) -> AppResult<(Vec<Option<crate::web::money::Arr>>, Option<String>)> {
    let then_currency = item.item.currency_snapshot.clone().unwrap_or("USD".into());
    let now_currency = item.account_currency_now.clone().unwrap_or("USD".into());
    let today = time::OffsetDateTime::now_utc().date();
    let amounts = [
        (
            item.item.arr_cents_snapshot.unwrap_or(0),
            then_currency.clone(),
            item.item.received_at.date(),
        ),
        (
            item.account_arr_cents_now.unwrap_or(0),
            now_currency.clone(),
            today,
        ),
    ];
    let (reporting, converted) =
        crate::accounts::db::convert_amounts(&state.pool, &amounts).await?;
    let arr = vec![
        crate::web::money::Arr::new(
            item.item.arr_cents_snapshot,
            &then_currency,
            converted.first().copied().flatten(),
            &reporting,
        ),
        crate::web::money::Arr::new(
            item.account_arr_cents_now,
            &now_currency,
            converted.get(1).copied().flatten(),
            &reporting,
        ),
    ];
    let starts = match item.item.account_id {
        Some(id) => crate::accounts::db::arr_history_start(&state.pool, id).await?,
        None => None,
    };
    let note = starts.filter(|s| *s > item.item.received_at).map(|s| {
        format!(
            "ARR at import: received before this account's ARR history starts ({}), so this is the earliest ARR known, not the ARR at the time",
            s.date()
        )
    });
    Ok((arr, note))
}

async fn confirm_archive(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<ConfirmPage> {
    let item = load(&state, id).await?;
    if !can_edit(&current.user, item.item.reporter_id) {
        return Err(AppError::Forbidden);
    }
    Ok(ConfirmPage {
        layout: Layout::for_user(&current, "Archive feedback", "feedback").await?,
        heading: "Archive this feedback?".into(),
        explanation: "It will leave lists, searches, exports and theme counts. Nothing is deleted: you can restore it from its page.".into(),
        action: format!("/feedback/{id}/archive"),
        button: "Archive",
        back: format!("/feedback/{id}"),
    })
}

async fn set_archived(
    state: &AppState,
    current: &CurrentUser,
    id: i64,
    archived: bool,
) -> AppResult<()> {
    let item = load(state, id).await?;
    if !can_edit(&current.user, item.item.reporter_id) {
        return Err(AppError::Forbidden);
    }
    let mut tx = state.pool.begin().await?;
    db::set_archived(&mut *tx, id, archived).await?;
    audit::db::record(
        &mut *tx,
        &Actor::User(&current.user),
        Entry {
            action: if archived { "archive" } else { "restore" },
            entity_type: "feedback",
            entity_id: Some(id.to_string()),
            summary: format!(
                "{} feedback #{id}",
                if archived { "Archived" } else { "Restored" }
            ),
            before: Some(json!({"archived": item.archived_at.is_some()})),
            after: Some(json!({"archived": archived})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn archive(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    set_archived(&state, &current, id, true).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        "Feedback archived.",
        Some((format!("/feedback/{id}"), "Open it to restore".into())),
    )
    .await?;
    Ok(Redirect::to("/feedback").into_response())
}

async fn restore(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    set_archived(&state, &current, id, false).await?;
    set_flash(
        &current.session,
        FlashKind::Success,
        "Feedback restored.",
        None,
    )
    .await?;
    Ok(Redirect::to(&format!("/feedback/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_markers_become_pieces() {
        let h = format!(
            "my {}card{} was {}charged{} twice",
            db::MARK_START,
            db::MARK_END,
            db::MARK_START,
            db::MARK_END
        );
        let p = pieces(&h);
        let marked: Vec<&str> = p
            .iter()
            .filter(|p| p.marked)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(marked, ["card", "charged"]);
        assert_eq!(
            p.iter().map(|p| p.text.as_str()).collect::<String>(),
            "my card was charged twice"
        );
    }
}
