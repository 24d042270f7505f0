//! Every SQL statement of the money settings: the reporting currency and the exchange rates.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

/// The currency every ARR total, sort and chart is shown in (USD until an admin changes it).
#[tracing::instrument(skip_all)]
pub async fn reporting_currency(db: impl PgExecutor<'_>) -> sqlx::Result<String> {
    sqlx::query_scalar!(r#"select reporting_currency() as "c!""#)
        .fetch_one(db)
        .await
}

#[tracing::instrument(skip_all)]
pub async fn set_reporting_currency(db: impl PgExecutor<'_>, currency: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update app_settings set reporting_currency = $1 where id",
        currency
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A rate as an admin entered it: 1 `currency` = `rate` `quote` from `valid_from`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RateRow {
    pub id: i64,
    pub currency: String,
    pub quote: String,
    /// As stored, without trailing zeros ("1.08").
    pub rate: String,
    pub valid_from: Date,
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Every rate entered, by pair, newest first.
#[tracing::instrument(skip_all)]
pub async fn list_rates(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<RateRow>> {
    sqlx::query_as!(
        RateRow,
        r#"select x.id, x.currency, x.quote, trim_scale(x.rate)::text as "rate!", x.valid_from,
                  u.name as "created_by?", x.created_at
           from exchange_rates x left join users u on u.id = x.created_by
           order by x.currency, x.quote, x.valid_from desc"#
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip_all)]
pub async fn get_rate(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<RateRow>> {
    sqlx::query_as!(
        RateRow,
        r#"select x.id, x.currency, x.quote, trim_scale(x.rate)::text as "rate!", x.valid_from,
                  u.name as "created_by?", x.created_at
           from exchange_rates x left join users u on u.id = x.created_by
           where x.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// The rate each currency converts to the reporting currency at on `on`: (currency, rate).
#[tracing::instrument(skip_all)]
pub async fn rates_in_use(
    db: impl PgExecutor<'_>,
    on: Date,
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"select currency as "currency!", trim_scale(round(rate, 12))::text as "rate!"
           from fx_rates_on($1) where currency <> reporting_currency() order by currency"#,
        on
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.currency, r.rate)).collect())
}

/// A validated rate, its `rate` a plain positive decimal ("1.08").
#[derive(Debug, Clone, PartialEq)]
pub struct NewRate {
    pub currency: String,
    pub rate: String,
    pub valid_from: Date,
}

/// Saves rates against `quote` (the reporting currency); a rate for a pair and day that exists
/// is replaced. Returns how many rows were written.
#[tracing::instrument(skip_all, fields(n = rates.len()))]
pub async fn upsert_rates(
    db: impl PgExecutor<'_>,
    quote: &str,
    rates: &[NewRate],
    user_id: Option<i64>,
) -> sqlx::Result<u64> {
    let currency: Vec<String> = rates.iter().map(|r| r.currency.clone()).collect();
    let rate: Vec<String> = rates.iter().map(|r| r.rate.clone()).collect();
    let valid_from: Vec<Date> = rates.iter().map(|r| r.valid_from).collect();
    let done = sqlx::query!(
        "insert into exchange_rates (currency, quote, rate, valid_from, created_by)
         select t.currency, $4, t.rate::numeric, t.valid_from, $5
         from unnest($1::text[], $2::text[], $3::date[]) as t(currency, rate, valid_from)
         on conflict (currency, quote, valid_from) do update set
             rate = excluded.rate, created_by = excluded.created_by, created_at = now()",
        &currency,
        &rate,
        &valid_from,
        quote,
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

#[tracing::instrument(skip_all)]
pub async fn delete_rate(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!("delete from exchange_rates where id = $1", id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
