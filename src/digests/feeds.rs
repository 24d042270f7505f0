//! Atom 1.0 feeds: `/digests/{audience}.atom` (one entry per published digest) and
//! `/launches.atom` (launches as they ship). A feed reader has no session, so each person has
//! feed tokens (made and revoked on the profile page) that go in the feed's address.

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;

use super::compose;
use super::email::EmailView;
use super::{Audience, db};
use crate::app::AppState;
use crate::auth::{CurrentUser, Team, User};
use crate::error::{AppError, AppResult};
use crate::insights::Caches;

/// Entries in a feed.
const ENTRIES: i64 = 30;

#[derive(Debug, Default, Deserialize)]
pub struct FeedQuery {
    /// A feed token from the profile page.
    #[serde(default)]
    pub token: Option<String>,
}

/// The person a feed is read as: the feed token's owner, else the signed-in user.
async fn reader(pool: &PgPool, current: Option<CurrentUser>, q: &FeedQuery) -> AppResult<User> {
    if let Some(token) = q.token.as_deref().filter(|t| !t.is_empty()) {
        let hash = crate::auth::tokens::hash(token.trim());
        let id = db::feed_token_user(pool, &hash)
            .await?
            .ok_or(AppError::Unauthorized)?;
        return crate::auth::db::find_active(pool, id)
            .await?
            .ok_or(AppError::Unauthorized);
    }
    current.map(|c| c.user).ok_or(AppError::Unauthorized)
}

fn when(at: OffsetDateTime) -> FixedDateTime {
    let s = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    FixedDateTime::parse_from_rfc3339(&s).unwrap_or_default()
}

fn link(href: String, rel: &str) -> Link {
    let mut l = Link::default();
    l.set_href(href);
    l.set_rel(rel);
    l
}

fn atom(feed: Feed) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/atom+xml; charset=utf-8"),
        )],
        feed.to_string(),
    )
        .into_response()
}

fn author() -> Person {
    let mut p = Person::default();
    p.set_name("Goldthread");
    p
}

pub async fn digests_feed(
    state: &AppState,
    caches: &Caches,
    current: Option<CurrentUser>,
    audience: &str,
    q: FeedQuery,
) -> AppResult<Response> {
    let audience = Audience::parse(audience).ok_or(AppError::NotFound)?;
    let user = reader(&state.pool, current, &q).await?;
    user.require(crate::auth::Permission::Read)?;
    let base = state.config.base_url();
    let digests = db::published_for(&state.pool, audience, ENTRIES).await?;
    let mut entries = Vec::with_capacity(digests.len());
    let mut updated = OffsetDateTime::UNIX_EPOCH;
    // A team's feed puts the team's sections first; everyone's feed the reader's.
    let team: Option<Team> = audience.team().or(Some(user.team));
    for d in digests {
        let published = d.published_at.unwrap_or(d.updated_at);
        updated = updated.max(published);
        let url = format!("{base}/digests/{}", d.id);
        let c = compose::compose(&state.pool, caches, d, team).await?;
        let html = super::email::html(&EmailView::new(&c, &base, None))?;
        let mut content = Content::default();
        content.set_content_type(Some("html".to_owned()));
        content.set_value(Some(html));
        let mut e = Entry::default();
        e.set_id(format!("{base}/digests/{}", c.digest.id));
        e.set_title(Text::plain(c.digest.title.clone()));
        e.set_updated(when(published));
        e.set_published(Some(when(published)));
        e.set_links(vec![link(url, "alternate")]);
        e.set_summary(Some(Text::plain(format!(
            "{} · for {}",
            c.digest.period_text(),
            c.digest.audience.label()
        ))));
        e.set_content(Some(content));
        e.set_authors(vec![author()]);
        entries.push(e);
    }
    let mut feed = Feed::default();
    feed.set_id(format!("{base}/digests/{}.atom", audience.as_str()));
    feed.set_title(Text::plain(format!(
        "Goldthread digests for {}",
        audience.label().to_lowercase()
    )));
    feed.set_updated(when(updated));
    feed.set_links(vec![
        link(format!("{base}/digests"), "alternate"),
        link(format!("{base}/digests/{}.atom", audience.as_str()), "self"),
    ]);
    feed.set_authors(vec![author()]);
    feed.set_entries(entries);
    Ok(atom(feed))
}

pub async fn launches_feed(
    State(state): State<AppState>,
    current: Result<CurrentUser, AppError>,
    Query(q): Query<FeedQuery>,
) -> AppResult<Response> {
    let user = reader(&state.pool, current.ok(), &q).await?;
    user.require(crate::auth::Permission::Read)?;
    let base = state.config.base_url();
    let launches = db::shipped_launches(&state.pool, ENTRIES).await?;
    let mut updated = OffsetDateTime::UNIX_EPOCH;
    let mut entries = Vec::with_capacity(launches.len());
    for l in launches {
        let shipped = l.shipped_date.midnight().assume_utc();
        updated = updated.max(shipped);
        let url = format!("{base}/launches/{}", l.id);
        let mut e = Entry::default();
        e.set_id(url.clone());
        e.set_title(Text::plain(format!("Shipped: {}", l.name)));
        e.set_updated(when(shipped.max(l.updated_at)));
        e.set_published(Some(when(shipped)));
        let mut links = vec![link(url, "alternate")];
        if l.published_number.is_some() {
            links.push(link(format!("{base}/launches/{}/guide", l.id), "related"));
        }
        e.set_links(links);
        e.set_summary(Some(Text::plain(format!(
            "{} · {}{}",
            crate::launches::status_label(&l.status),
            l.summary,
            if l.published_number.is_some() {
                " · its readiness guide is published"
            } else {
                ""
            }
        ))));
        e.set_authors(vec![author()]);
        entries.push(e);
    }
    let mut feed = Feed::default();
    feed.set_id(format!("{base}/launches.atom"));
    feed.set_title(Text::plain("Goldthread launches as they ship"));
    feed.set_updated(when(updated));
    feed.set_links(vec![
        link(format!("{base}/launches"), "alternate"),
        link(format!("{base}/launches.atom"), "self"),
    ]);
    feed.set_authors(vec![author()]);
    feed.set_entries(entries);
    Ok(atom(feed))
}
