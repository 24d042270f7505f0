//! JSON routes for digests: the list, one digest as an audience reads it, its email HTML.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::compose::{self, Composed, Snapshot};
use super::email::{self, EmailView};
use super::{Audience, Digest, EDIT_DIGESTS, db};
use crate::app::AppState;
use crate::auth::{ApiUser, Permission, User};
use crate::error::extract::{ApiPath, ApiQuery};
use crate::error::{ApiResult, AppError};
use crate::insights::Caches;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_digests))
        .routes(routes!(get_digest))
        .routes(routes!(digest_email))
}

/// A digest in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DigestSummary {
    pub id: i64,
    pub title: String,
    #[schema(format = Date)]
    pub period_start: String,
    #[schema(format = Date)]
    pub period_end: String,
    pub audience: Audience,
    /// `draft` or `published`.
    pub state: String,
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl From<&Digest> for DigestSummary {
    fn from(d: &Digest) -> Self {
        DigestSummary {
            id: d.id,
            title: d.title.clone(),
            period_start: d.period_start.to_string(),
            period_end: d.period_end.to_string(),
            audience: d.audience,
            state: d.state.clone(),
            published_at: d.published_at.map(rfc3339),
        }
    }
}

/// One role section of a guide, as Markdown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SectionJson {
    /// value, sales, success, support, marketing or prepare.
    pub key: String,
    pub heading: String,
    pub markdown: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FaqJson {
    pub q: String,
    pub a: String,
}

/// A launch of a digest, its sections in the reader's order (their own role first).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DigestLaunch {
    pub launch_id: i64,
    pub name: String,
    pub status: String,
    /// The guide revision quoted (frozen when the digest was published); null without a guide.
    pub revision: Option<i32>,
    pub sections: Vec<SectionJson>,
    pub faq: Vec<FaqJson>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DigestJson {
    #[serde(flatten)]
    pub summary: DigestSummary,
    /// Markdown.
    pub intro: String,
    /// Whose role sections come first.
    pub read_as: Option<crate::auth::Team>,
    pub launches: Vec<DigestLaunch>,
    /// What customers are telling us and the questions still open (frozen once published).
    pub news: Snapshot,
}

impl From<Composed> for DigestJson {
    fn from(c: Composed) -> Self {
        let launches = c
            .launches
            .iter()
            .map(|l| {
                let mut sections = vec![&l.value];
                sections.extend(l.own.as_ref());
                sections.push(&l.prepare);
                sections.extend(l.others.iter());
                DigestLaunch {
                    launch_id: l.launch_id,
                    name: l.name.clone(),
                    status: l.status_label.to_owned(),
                    revision: l.revision,
                    sections: sections
                        .into_iter()
                        .map(|s| SectionJson {
                            key: s.key.to_owned(),
                            heading: s.heading.to_owned(),
                            markdown: s.markdown.clone(),
                        })
                        .collect(),
                    faq: l
                        .faq
                        .iter()
                        .map(|f| FaqJson {
                            q: f.q.clone(),
                            a: f.a_markdown.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        DigestJson {
            summary: DigestSummary::from(&c.digest),
            intro: c.digest.intro.clone(),
            read_as: c.reader_team,
            launches,
            news: c.snapshot,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadAs {
    /// Read as this audience: its role sections first (default: the token owner's team).
    #[serde(default, rename = "as")]
    #[param(rename = "as")]
    pub read_as: Option<Audience>,
}

async fn readable(state: &AppState, user: &User, id: i64) -> Result<Digest, AppError> {
    user.require(Permission::Read)?;
    let d = db::get(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    if !d.is_published() && !user.can(EDIT_DIGESTS) {
        return Err(AppError::NotFound);
    }
    Ok(d)
}

/// Digests, newest period first (drafts only for product ops and admins).
#[utoipa::path(get, path = "/api/v1/digests", tag = "digests", security(("bearer" = [])),
    responses((status = 200, description = "Digests", body = Vec<DigestSummary>)))]
pub async fn list_digests(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<Vec<DigestSummary>>> {
    user.require(Permission::Read)?;
    let drafts = user.can(EDIT_DIGESTS);
    Ok(Json(
        db::list(&state.pool)
            .await?
            .iter()
            .filter(|d| drafts || d.is_published())
            .map(DigestSummary::from)
            .collect(),
    ))
}

/// One digest as an audience reads it.
#[utoipa::path(get, path = "/api/v1/digests/{id}", tag = "digests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Digest id"), ReadAs),
    responses(
        (status = 200, description = "The digest", body = DigestJson),
        (status = 404, description = "No such digest (or a draft the token may not see)", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_digest(
    State(state): State<AppState>,
    Extension(caches): Extension<Caches>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ReadAs>,
) -> ApiResult<Json<DigestJson>> {
    let d = readable(&state, &user, id).await?;
    let team = q.read_as.map(Audience::team).unwrap_or(Some(user.team));
    let c = compose::compose(&state.pool, &caches, d, team).await?;
    Ok(Json(DigestJson::from(c)))
}

/// The digest's email HTML (inline styles, absolute links), as a reader of `as` gets it.
#[utoipa::path(get, path = "/api/v1/digests/{id}/email.html", tag = "digests", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Digest id"), ReadAs),
    responses(
        (status = 200, description = "The email's HTML part", content_type = "text/html", body = String),
        (status = 404, description = "No such digest", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn digest_email(
    State(state): State<AppState>,
    Extension(caches): Extension<Caches>,
    ApiUser(user): ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ReadAs>,
) -> ApiResult<Response> {
    let d = readable(&state, &user, id).await?;
    let team = q.read_as.map(Audience::team).unwrap_or(Some(user.team));
    let c = compose::compose(&state.pool, &caches, d, team).await?;
    let html = email::html(&EmailView::new(&c, &state.config.base_url(), None))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response())
}
