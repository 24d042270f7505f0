//! Every SQL statement about stored sentence vectors (`feedback_embeddings`, migration 0032).

use sqlx::PgExecutor;

/// An item's text as the engine reads it (`title. body`) and its md5.
pub struct TextToEmbed {
    pub id: i64,
    pub text: String,
    pub hash: String,
}

/// Live items after `after_id` (ascending, at most `limit`) with no vector from `model` for
/// their current text; `only` narrows to those ids.
#[tracing::instrument(skip_all)]
pub async fn stale(
    db: impl PgExecutor<'_>,
    model: &str,
    only: Option<&[i64]>,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<TextToEmbed>> {
    sqlx::query_as!(
        TextToEmbed,
        r#"select f.id, t.text as "text!", md5(t.text) as "hash!"
           from feedback f
           cross join lateral (select coalesce(f.title || '. ', '') || f.body as text) t
           left join feedback_embeddings e on e.feedback_id = f.id
           where f.archived_at is null and f.id > $2
             and ($3::bigint[] is null or f.id = any($3))
             and (e.feedback_id is null or e.model <> $1 or e.text_hash <> md5(t.text))
           order by f.id
           limit $4"#,
        model,
        after_id,
        only,
        limit
    )
    .fetch_all(db)
    .await
}

/// How many live items lack a current vector from `model`.
#[tracing::instrument(skip_all)]
pub async fn stale_count(db: impl PgExecutor<'_>, model: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!"
           from feedback f
           left join feedback_embeddings e on e.feedback_id = f.id
           where f.archived_at is null
             and (e.feedback_id is null or e.model <> $1
                  or e.text_hash <> md5(coalesce(f.title || '. ', '') || f.body))"#,
        model
    )
    .fetch_one(db)
    .await
}

/// Store (or replace) vectors: parallel arrays of ids, text hashes and encoded vectors.
#[tracing::instrument(skip_all)]
pub async fn store(
    db: impl PgExecutor<'_>,
    model: &str,
    ids: &[i64],
    hashes: &[String],
    vectors: &[Vec<u8>],
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "insert into feedback_embeddings (feedback_id, model, text_hash, vector)
         select n.id, $1, n.h, n.v from unnest($2::bigint[], $3::text[], $4::bytea[]) as n(id, h, v)
         join feedback f on f.id = n.id
         on conflict (feedback_id) do update
           set model = excluded.model, text_hash = excluded.text_hash,
               vector = excluded.vector, embedded_at = now()",
        model,
        ids,
        hashes,
        vectors
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The stored vectors from `model` of these items (those that have one).
#[tracing::instrument(skip_all)]
pub async fn vectors(
    db: impl PgExecutor<'_>,
    model: &str,
    ids: &[i64],
) -> sqlx::Result<Vec<(i64, Vec<u8>)>> {
    let rows = sqlx::query!(
        "select feedback_id, vector from feedback_embeddings where feedback_id = any($1) and model = $2",
        ids,
        model
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.feedback_id, r.vector))
        .collect())
}

/// A candidate for similarity: its id, account and vector.
pub struct Candidate {
    pub id: i64,
    pub account_id: Option<i64>,
    pub vector: Vec<u8>,
}

/// The newest `limit` live items with a vector from `model` (the bounded candidate set that
/// similar-feedback and search rank), optionally of one account only.
#[tracing::instrument(skip_all)]
pub async fn recent(
    db: impl PgExecutor<'_>,
    model: &str,
    account_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Candidate>> {
    sqlx::query_as!(
        Candidate,
        r#"select f.id, f.account_id, e.vector
           from feedback f
           join feedback_embeddings e on e.feedback_id = f.id and e.model = $1
           where f.archived_at is null and ($2::bigint is null or f.account_id = $2)
           order by f.id desc
           limit $3"#,
        model,
        account_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// How many items have a vector from `model`.
#[tracing::instrument(skip_all)]
pub async fn embedded_count(db: impl PgExecutor<'_>, model: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from feedback_embeddings where model = $1"#,
        model
    )
    .fetch_one(db)
    .await
}

/// What a list of similar items shows of each.
pub struct Summary {
    pub id: i64,
    pub title: Option<String>,
    pub body: String,
    pub account_name: Option<String>,
    pub received_at: time::OffsetDateTime,
}

/// Live items by id (any order).
#[tracing::instrument(skip_all)]
pub async fn summaries(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<Summary>> {
    sqlx::query_as!(
        Summary,
        r#"select f.id, f.title, f.body, a.name as "account_name?", f.received_at
           from feedback f left join accounts a on a.id = f.account_id
           where f.id = any($1) and f.archived_at is null"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// The id of the account with this external id.
#[tracing::instrument(skip_all)]
pub async fn account_id(db: impl PgExecutor<'_>, external_id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "select id from accounts where external_id = $1",
        external_id
    )
    .fetch_optional(db)
    .await
}
