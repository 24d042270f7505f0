//! Finding accounts the way files and forms name them: by external id, domain or name.

use std::collections::HashMap;

use sqlx::PgExecutor;

/// Account id, ARR in cents (`None`: none) and currency, for attaching feedback.
pub type AccountRef = (i64, Option<i64>, String);

/// Accounts by external id; ids not found are simply absent from the map.
#[tracing::instrument(skip_all, fields(n = external_ids.len()))]
pub async fn resolve_external_ids(
    db: impl PgExecutor<'_>,
    external_ids: &[String],
) -> sqlx::Result<HashMap<String, AccountRef>> {
    let rows = sqlx::query!(
        "select external_id, id, arr_cents, currency from accounts where external_id = any($1)",
        external_ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.external_id, (r.id, r.arr_cents, r.currency)))
        .collect())
}

/// Accounts by domain (matched lowercase; keys are the lowercase domains). When several
/// accounts share a domain the one with the largest ARR wins.
#[tracing::instrument(skip_all, fields(n = domains.len()))]
pub async fn resolve_domains(
    db: impl PgExecutor<'_>,
    domains: &[String],
) -> sqlx::Result<HashMap<String, AccountRef>> {
    let lower: Vec<String> = domains.iter().map(|d| d.trim().to_lowercase()).collect();
    let rows = sqlx::query!(
        r#"select distinct on (domain) domain as "domain!", id, arr_cents, currency
           from accounts where domain = any($1)
           order by domain, arr_cents desc nulls last, id"#,
        &lower
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.domain, (r.id, r.arr_cents, r.currency)))
        .collect())
}

/// Accounts as people write them in files: an external id, a name in any case, or a domain
/// (also as a URL). Keys are the texts as given, values the account's external id; texts that
/// match nothing are absent. An id match beats a name match beats a domain match, then the
/// largest ARR wins.
#[tracing::instrument(skip_all, fields(n = texts.len()))]
pub async fn match_by_text(
    db: impl PgExecutor<'_>,
    texts: &[String],
) -> sqlx::Result<HashMap<String, String>> {
    let domains: Vec<Option<String>> = texts
        .iter()
        .map(|t| crate::accounts::normalize_domain(t))
        .collect();
    let rows = sqlx::query!(
        r#"select distinct on (t.text) t.text as "text!", a.external_id
           from unnest($1::text[], $2::text[]) as t(text, domain)
           join accounts a on a.external_id = t.text or lower(a.name) = lower(t.text)
                           or (t.domain is not null and a.domain = t.domain)
           order by t.text, (a.external_id = t.text) desc, (lower(a.name) = lower(t.text)) desc,
                    a.arr_cents desc nulls last, a.id"#,
        texts,
        &domains as &[Option<String>]
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.text, r.external_id)).collect())
}
