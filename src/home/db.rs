//! The few reads of the home pages that no feature offers: counts across features that only a
//! home page needs (a revenue person's accounts asking for what now ships, the admin's health
//! numbers, guides waiting for a reviewer).

use sqlx::PgExecutor;

/// A launch named on a home page.
#[derive(Debug, Clone)]
pub struct LaunchName {
    pub id: i64,
    pub name: String,
}

/// Guides submitted for review to this person.
#[tracing::instrument(skip_all)]
pub async fn guides_to_review(
    db: impl PgExecutor<'_>,
    reviewer_id: i64,
) -> sqlx::Result<Vec<LaunchName>> {
    sqlx::query_as!(
        LaunchName,
        "select l.id, l.name from guides g join launches l on l.id = g.launch_id
         where g.state = 'in_review' and g.reviewer_id = $1
         order by g.submitted_at nulls last, l.id",
        reviewer_id
    )
    .fetch_all(db)
    .await
}

/// Launches whose guide has a published revision, newest first.
#[tracing::instrument(skip_all)]
pub async fn published_guides(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<LaunchName>> {
    sqlx::query_as!(
        LaunchName,
        "select l.id, l.name from guides g join launches l on l.id = g.launch_id
         where g.published_number is not null and l.status <> 'retired'
         order by coalesce(l.shipped_date, l.target_date) desc nulls last, l.id desc
         limit 50"
    )
    .fetch_all(db)
    .await
}

/// One of a person's accounts whose feedback names a theme a shipping launch answers.
#[derive(Debug, Clone)]
pub struct AskedShipping {
    pub account_id: i64,
    pub account_name: String,
    pub launch_id: i64,
    pub launch_name: String,
    pub status: String,
    pub items: i64,
}

/// Accounts owned by `owner_id` whose feedback is tagged (suggested or confirmed) with a theme
/// that a launch in beta or generally available (shipped in the last 90 days, or not dated)
/// answers.
#[tracing::instrument(skip_all)]
pub async fn asked_shipping(
    db: impl PgExecutor<'_>,
    owner_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<AskedShipping>> {
    sqlx::query_as!(
        AskedShipping,
        r#"select a.id as account_id, a.name as account_name, l.id as launch_id, l.name as launch_name,
                  l.status, count(distinct f.id) as "items!"
           from accounts a
           join feedback f on f.account_id = a.id and f.archived_at is null
           join feedback_themes ft on ft.feedback_id = f.id and ft.state <> 'rejected'
           join launch_themes lt on lt.theme_id = ft.theme_id
           join launches l on l.id = lt.launch_id
           where a.owner_id = $1 and l.status in ('beta', 'generally_available')
             and (l.shipped_date is null or l.shipped_date >= current_date - 90)
           group by a.id, a.name, l.id, l.name, l.status
           order by max(l.shipped_date) desc nulls last, count(distinct f.id) desc, a.name
           limit $2"#,
        owner_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// The admin's health numbers.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub users_active: i64,
    pub users_disabled: i64,
    pub tokens_active: i64,
    pub tokens_expiring: i64,
    pub tokens_unused: i64,
    pub jobs_waiting: i64,
    pub jobs_failed_week: i64,
    pub imports_staged: i64,
    pub imports_failed_week: i64,
    pub imports_committed_week: i64,
}

#[tracing::instrument(skip_all)]
pub async fn health(db: impl PgExecutor<'_>) -> sqlx::Result<Health> {
    sqlx::query_as!(
        Health,
        r#"select
             (select count(*) from users where disabled_at is null) as "users_active!",
             (select count(*) from users where disabled_at is not null) as "users_disabled!",
             (select count(*) from api_tokens where revoked_at is null and (expires_at is null or expires_at > now())) as "tokens_active!",
             (select count(*) from api_tokens where revoked_at is null and expires_at > now() and expires_at < now() + interval '14 days') as "tokens_expiring!",
             (select count(*) from api_tokens where revoked_at is null and (expires_at is null or expires_at > now())
                and (last_used_at is null or last_used_at < now() - interval '30 days')) as "tokens_unused!",
             (select count(*) from jobs where state in ('queued', 'running')) as "jobs_waiting!",
             (select count(*) from jobs where state = 'failed' and coalesce(finished_at, updated_at) > now() - interval '7 days') as "jobs_failed_week!",
             (select count(*) from import_batches where state = 'staged') as "imports_staged!",
             (select count(*) from import_batches where state = 'failed' and created_at > now() - interval '7 days') as "imports_failed_week!",
             (select count(*) from import_batches where state = 'committed' and coalesce(finished_at, created_at) > now() - interval '7 days') as "imports_committed_week!""#
    )
    .fetch_one(db)
    .await
}
