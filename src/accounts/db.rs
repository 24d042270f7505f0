//! Every SQL statement about accounts.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{PgExecutor, Postgres, Transaction};
use time::{Date, OffsetDateTime};

use super::{Lifecycle, NewAccount, Segment};
use crate::web::cursor;

/// Rows per multi-row statement in [`upsert_many`].
const UPSERT_CHUNK: usize = 1000;

/// An account as lists, the detail page and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountRow {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub domain: Option<String>,
    /// ARR in cents of `currency`; `null` when none was given.
    pub arr_cents: Option<i64>,
    pub currency: String,
    /// ARR converted to `reporting_currency` at today's rate; `null` when there is no ARR or
    /// no rate converts `currency`.
    pub arr_reporting_cents: Option<i64>,
    pub reporting_currency: String,
    pub segment: Option<String>,
    pub plan: Option<String>,
    pub lifecycle: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// How a list is ordered; each has a matching keyset cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// By ARR in the reporting currency; accounts without ARR or without a rate come last.
    #[default]
    ArrDesc,
    ArrAsc,
    NameAsc,
    NameDesc,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::ArrDesc, Sort::ArrAsc, Sort::NameAsc, Sort::NameDesc];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::ArrDesc => "arr",
            Sort::ArrAsc => "arr_asc",
            Sort::NameAsc => "name",
            Sort::NameDesc => "name_desc",
        }
    }

    /// Unknown values fall back to the default (largest ARR first).
    pub fn parse(s: Option<&str>) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|x| Some(x.as_str()) == s.map(str::trim))
            .unwrap_or_default()
    }
}

/// Where the previous page ended: the sort key and the id of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// `arr_cents` is the sort key: converted ARR, or the "last" key when there is none.
    Arr {
        arr_cents: i64,
        id: i64,
    },
    Name {
        name: String,
        id: i64,
    },
}

/// Sort keys of accounts with no converted ARR, so they come last both ways.
const NO_ARR_DESC: i64 = -1;
const NO_ARR_ASC: i64 = i64::MAX;

impl Cursor {
    /// The cursor after `row` under `sort`.
    pub fn after(row: &AccountRow, sort: Sort) -> Cursor {
        match sort {
            Sort::ArrDesc | Sort::ArrAsc => Cursor::Arr {
                arr_cents: row.arr_reporting_cents.unwrap_or(if sort == Sort::ArrDesc {
                    NO_ARR_DESC
                } else {
                    NO_ARR_ASC
                }),
                id: row.id,
            },
            Sort::NameAsc | Sort::NameDesc => Cursor::Name {
                name: row.name.clone(),
                id: row.id,
            },
        }
    }

    /// An opaque, URL-safe token.
    pub fn encode(&self) -> String {
        match self {
            Cursor::Arr { arr_cents, id } => cursor::encode("a", *id, &arr_cents.to_string()),
            Cursor::Name { name, id } => cursor::encode("n", *id, name),
        }
    }

    /// `None` for anything [`Cursor::encode`] did not make.
    pub fn decode(token: &str) -> Option<Cursor> {
        let (kind, id, value) = cursor::decode(token)?;
        match kind.as_str() {
            "a" => Some(Cursor::Arr {
                arr_cents: value.parse().ok()?,
                id,
            }),
            "n" => Some(Cursor::Name { name: value, id }),
            _ => None,
        }
    }
}

/// Filters of the accounts list; all optional.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Part of the name, or an exact domain or account ID.
    pub q: Option<String>,
    pub segment: Option<Segment>,
    pub lifecycle: Option<Lifecycle>,
    pub sort: Sort,
    pub cursor: Option<Cursor>,
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// One page of accounts (at most `limit`) and whether more follow. ARR sorts compare amounts
/// converted to the reporting currency at today's rates.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &ListFilter,
    limit: i64,
) -> sqlx::Result<(Vec<AccountRow>, bool)> {
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let pattern = q.map(like_pattern);
    let exact = q.map(str::to_string);
    let domain = q.map(str::to_ascii_lowercase);
    let segment = filter.segment.map(Segment::as_str);
    let lifecycle = filter.lifecycle.map(Lifecycle::as_str);
    // A cursor of the other kind (the sort changed) starts from the top.
    let (after_arr, after_name, after_id) = match (&filter.cursor, filter.sort) {
        (Some(Cursor::Arr { arr_cents, id }), Sort::ArrDesc | Sort::ArrAsc) => {
            (Some(*arr_cents), None, Some(*id))
        }
        (Some(Cursor::Name { name, id }), Sort::NameAsc | Sort::NameDesc) => {
            (None, Some(name.clone()), Some(*id))
        }
        _ => (None, None, None),
    };
    let fetch = limit + 1;
    let on = today();
    // Each ordering has its own statement; all four take the same parameters (an unused cursor
    // column is mentioned as `$n is null or true` only so its type is known). Converted ARR has
    // no index: the sort reads every account that matches the filters.
    macro_rules! page {
        ($sql:literal) => {
            sqlx::query_as!(
                AccountRow, $sql, pattern, exact, domain, segment, lifecycle, after_arr,
                after_name, after_id, fetch, on
            )
            .fetch_all(db)
            .await?
        };
    }
    let mut rows = match filter.sort {
        Sort::ArrDesc => page!(
            r#"with fx as (select currency, rate from fx_rates_on($10))
               select a.id, a.external_id, a.name, a.domain, a.arr_cents, a.currency,
                      round(a.arr_cents * fx.rate)::bigint as arr_reporting_cents,
                      reporting_currency() as "reporting_currency!", a.segment,
                      a.plan, a.lifecycle, a.owner_id, u.name as "owner_name?", a.created_at, a.updated_at
               from accounts a left join users u on u.id = a.owner_id left join fx on fx.currency = a.currency
               where ($1::text is null or a.name ilike $1 or a.external_id = $2 or a.domain = $3)
                 and ($4::text is null or a.segment = $4)
                 and ($5::text is null or a.lifecycle = $5)
                 and ($8::bigint is null or (coalesce(round(a.arr_cents * fx.rate)::bigint, -1), a.id) < ($6, $8))
                 and ($7::text is null or true)
               order by coalesce(round(a.arr_cents * fx.rate)::bigint, -1) desc, a.id desc
               limit $9"#
        ),
        Sort::ArrAsc => page!(
            r#"with fx as (select currency, rate from fx_rates_on($10))
               select a.id, a.external_id, a.name, a.domain, a.arr_cents, a.currency,
                      round(a.arr_cents * fx.rate)::bigint as arr_reporting_cents,
                      reporting_currency() as "reporting_currency!", a.segment,
                      a.plan, a.lifecycle, a.owner_id, u.name as "owner_name?", a.created_at, a.updated_at
               from accounts a left join users u on u.id = a.owner_id left join fx on fx.currency = a.currency
               where ($1::text is null or a.name ilike $1 or a.external_id = $2 or a.domain = $3)
                 and ($4::text is null or a.segment = $4)
                 and ($5::text is null or a.lifecycle = $5)
                 and ($8::bigint is null
                      or (coalesce(round(a.arr_cents * fx.rate)::bigint, 9223372036854775807), a.id) > ($6, $8))
                 and ($7::text is null or true)
               order by coalesce(round(a.arr_cents * fx.rate)::bigint, 9223372036854775807), a.id
               limit $9"#
        ),
        Sort::NameAsc => page!(
            r#"with fx as (select currency, rate from fx_rates_on($10))
               select a.id, a.external_id, a.name, a.domain, a.arr_cents, a.currency,
                      round(a.arr_cents * fx.rate)::bigint as arr_reporting_cents,
                      reporting_currency() as "reporting_currency!", a.segment,
                      a.plan, a.lifecycle, a.owner_id, u.name as "owner_name?", a.created_at, a.updated_at
               from accounts a left join users u on u.id = a.owner_id left join fx on fx.currency = a.currency
               where ($1::text is null or a.name ilike $1 or a.external_id = $2 or a.domain = $3)
                 and ($4::text is null or a.segment = $4)
                 and ($5::text is null or a.lifecycle = $5)
                 and ($8::bigint is null or (a.name, a.id) > ($7, $8))
                 and ($6::bigint is null or true)
               order by a.name, a.id
               limit $9"#
        ),
        Sort::NameDesc => page!(
            r#"with fx as (select currency, rate from fx_rates_on($10))
               select a.id, a.external_id, a.name, a.domain, a.arr_cents, a.currency,
                      round(a.arr_cents * fx.rate)::bigint as arr_reporting_cents,
                      reporting_currency() as "reporting_currency!", a.segment,
                      a.plan, a.lifecycle, a.owner_id, u.name as "owner_name?", a.created_at, a.updated_at
               from accounts a left join users u on u.id = a.owner_id left join fx on fx.currency = a.currency
               where ($1::text is null or a.name ilike $1 or a.external_id = $2 or a.domain = $3)
                 and ($4::text is null or a.segment = $4)
                 and ($5::text is null or a.lifecycle = $5)
                 and ($8::bigint is null or (a.name, a.id) < ($7, $8))
                 and ($6::bigint is null or true)
               order by a.name desc, a.id desc
               limit $9"#
        ),
    };
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((rows, more))
}

/// Accounts matching the list's filters whose ARR no rate converts today: (currency, accounts).
#[tracing::instrument(skip_all)]
pub async fn missing_rates(
    db: impl PgExecutor<'_>,
    filter: &ListFilter,
) -> sqlx::Result<Vec<(String, i64)>> {
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let rows = sqlx::query!(
        r#"with fx as materialized (select currency from fx_rates_on($6))
           select a.currency, count(*) as "n!" from accounts a
           where a.arr_cents is not null and a.currency not in (select currency from fx where currency is not null)
             and ($1::text is null or a.name ilike $1 or a.external_id = $2 or a.domain = $3)
             and ($4::text is null or a.segment = $4)
             and ($5::text is null or a.lifecycle = $5)
           group by a.currency order by a.currency"#,
        q.map(like_pattern),
        q.map(str::to_string),
        q.map(str::to_ascii_lowercase),
        filter.segment.map(Segment::as_str),
        filter.lifecycle.map(Lifecycle::as_str),
        today()
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.currency, r.n)).collect())
}

/// One account, or `None`.
#[tracing::instrument(skip_all)]
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"select a.id, a.external_id, a.name, a.domain, a.arr_cents, a.currency,
                  round(a.arr_cents * fx.rate)::bigint as arr_reporting_cents,
                  reporting_currency() as "reporting_currency!", a.segment,
                  a.plan, a.lifecycle, a.owner_id, u.name as "owner_name?", a.created_at, a.updated_at
           from accounts a left join users u on u.id = a.owner_id
           left join fx_rates_on($2) fx on fx.currency = a.currency
           where a.id = $1"#,
        id,
        today()
    )
    .fetch_optional(db)
    .await
}

/// One account by its external (CRM) id, or `None`.
#[tracing::instrument(skip_all)]
pub async fn get_by_external_id(
    db: impl PgExecutor<'_>,
    external_id: &str,
) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"select a.id, a.external_id, a.name, a.domain, a.arr_cents, a.currency,
                  round(a.arr_cents * fx.rate)::bigint as arr_reporting_cents,
                  reporting_currency() as "reporting_currency!", a.segment,
                  a.plan, a.lifecycle, a.owner_id, u.name as "owner_name?", a.created_at, a.updated_at
           from accounts a left join users u on u.id = a.owner_id
           left join fx_rates_on($2) fx on fx.currency = a.currency
           where a.external_id = $1"#,
        external_id,
        today()
    )
    .fetch_optional(db)
    .await
}

/// One recorded value of an account's ARR.
#[derive(Debug, Clone, Serialize)]
pub struct ArrChange {
    pub arr_cents: Option<i64>,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_from: OffsetDateTime,
}

/// Every value an account's ARR has had, newest first (at most `limit`).
#[tracing::instrument(skip_all)]
pub async fn arr_history(
    db: impl PgExecutor<'_>,
    account_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ArrChange>> {
    sqlx::query_as!(
        ArrChange,
        "select arr_cents, currency, valid_from from account_arr_history
         where account_id = $1 order by valid_from desc, id desc limit $2",
        account_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// When an account's ARR history starts; feedback received earlier carries the earliest value
/// known instead of the ARR at the time. `None` for an account without history.
#[tracing::instrument(skip_all)]
pub async fn arr_history_start(
    db: impl PgExecutor<'_>,
    account_id: i64,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!(
        "select min(valid_from) from account_arr_history where account_id = $1",
        account_id
    )
    .fetch_one(db)
    .await
}

/// Amounts in the reporting currency: each (cents, currency, day) converted at the rate valid
/// that day, `None` where no rate converts it. Returns the reporting currency too.
#[tracing::instrument(skip_all, fields(n = amounts.len()))]
pub async fn convert_amounts(
    db: impl PgExecutor<'_>,
    amounts: &[(i64, String, Date)],
) -> sqlx::Result<(String, Vec<Option<i64>>)> {
    let cents: Vec<i64> = amounts.iter().map(|a| a.0).collect();
    let currency: Vec<String> = amounts.iter().map(|a| a.1.clone()).collect();
    let day: Vec<Date> = amounts.iter().map(|a| a.2).collect();
    let row = sqlx::query!(
        r#"select reporting_currency() as "reporting!",
                  array(select round(t.cents * (select fx.rate from fx_rates_on(t.day) fx
                                                where fx.currency = t.currency))::bigint
                        from unnest($1::bigint[], $2::text[], $3::date[]) with ordinality
                             as t(cents, currency, day, ord)
                        order by t.ord) as "converted!: Vec<Option<i64>>""#,
        &cents,
        &currency,
        &day
    )
    .fetch_one(db)
    .await?;
    Ok((row.reporting, row.converted))
}

/// Inserts an account and returns its id.
#[tracing::instrument(skip_all)]
pub async fn insert(
    db: impl PgExecutor<'_>,
    a: &NewAccount,
    owner_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into accounts (external_id, name, domain, arr_cents, currency, segment, plan, lifecycle, owner_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         returning id",
        a.external_id,
        a.name,
        a.domain,
        a.arr_cents,
        a.currency,
        a.segment.map(Segment::as_str),
        a.plan,
        a.lifecycle.as_str(),
        owner_id
    )
    .fetch_one(db)
    .await
}

/// Replaces every editable field of an account.
#[tracing::instrument(skip_all)]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    a: &NewAccount,
    owner_id: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update accounts set external_id = $2, name = $3, domain = $4, arr_cents = $5, currency = $6,
                segment = $7, plan = $8, lifecycle = $9, owner_id = $10
         where id = $1",
        id,
        a.external_id,
        a.name,
        a.domain,
        a.arr_cents,
        a.currency,
        a.segment.map(Segment::as_str),
        a.plan,
        a.lifecycle.as_str(),
        owner_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Inserts or updates one account by external id (the owner is kept when none is given).
/// Returns the id and whether it was new.
#[tracing::instrument(skip_all)]
pub async fn upsert(
    db: impl PgExecutor<'_>,
    a: &NewAccount,
    owner_id: Option<i64>,
) -> sqlx::Result<(i64, bool)> {
    let row = sqlx::query!(
        r#"insert into accounts (external_id, name, domain, arr_cents, currency, segment, plan, lifecycle, owner_id)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           on conflict (external_id) do update set
               name = excluded.name, domain = excluded.domain, arr_cents = excluded.arr_cents,
               currency = excluded.currency, segment = excluded.segment, plan = excluded.plan,
               lifecycle = excluded.lifecycle, owner_id = coalesce(excluded.owner_id, accounts.owner_id)
           returning id, (xmax = 0) as "inserted!""#,
        a.external_id,
        a.name,
        a.domain,
        a.arr_cents,
        a.currency,
        a.segment.map(Segment::as_str),
        a.plan,
        a.lifecycle.as_str(),
        owner_id
    )
    .fetch_one(db)
    .await?;
    Ok((row.id, row.inserted))
}

/// Bulk upsert by external id, ~1,000 rows per statement. A repeated external id keeps its
/// last occurrence. Owners are left as they are. Returns (inserted, updated).
#[tracing::instrument(skip_all, fields(rows = accounts.len()))]
pub async fn upsert_many(
    tx: &mut Transaction<'_, Postgres>,
    accounts: &[NewAccount],
) -> sqlx::Result<(u64, u64)> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(accounts.len());
    for (i, a) in accounts.iter().enumerate() {
        last.insert(a.external_id.as_str(), i);
    }
    let unique: Vec<&NewAccount> = accounts
        .iter()
        .enumerate()
        .filter(|(i, a)| last.get(a.external_id.as_str()) == Some(i))
        .map(|(_, a)| a)
        .collect();
    let (mut inserted, mut updated) = (0u64, 0u64);
    for chunk in unique.chunks(UPSERT_CHUNK) {
        let ext: Vec<String> = chunk.iter().map(|a| a.external_id.clone()).collect();
        let names: Vec<String> = chunk.iter().map(|a| a.name.clone()).collect();
        let domains: Vec<Option<String>> = chunk.iter().map(|a| a.domain.clone()).collect();
        let arr: Vec<Option<i64>> = chunk.iter().map(|a| a.arr_cents).collect();
        let cur: Vec<String> = chunk.iter().map(|a| a.currency.clone()).collect();
        let seg: Vec<Option<String>> = chunk
            .iter()
            .map(|a| a.segment.map(|s| s.as_str().to_string()))
            .collect();
        let plans: Vec<Option<String>> = chunk.iter().map(|a| a.plan.clone()).collect();
        let life: Vec<String> = chunk
            .iter()
            .map(|a| a.lifecycle.as_str().to_string())
            .collect();
        let flags = sqlx::query_scalar!(
            r#"insert into accounts (external_id, name, domain, arr_cents, currency, segment, plan, lifecycle)
               select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                                    $6::text[], $7::text[], $8::text[])
               on conflict (external_id) do update set
                   name = excluded.name, domain = excluded.domain, arr_cents = excluded.arr_cents,
                   currency = excluded.currency, segment = excluded.segment, plan = excluded.plan,
                   lifecycle = excluded.lifecycle
               returning (xmax = 0) as "inserted!""#,
            &ext,
            &names,
            &domains as &[Option<String>],
            &arr as &[Option<i64>],
            &cur,
            &seg as &[Option<String>],
            &plans as &[Option<String>],
            &life
        )
        .fetch_all(&mut **tx)
        .await?;
        let new = flags.iter().filter(|f| **f).count() as u64;
        inserted += new;
        updated += flags.len() as u64 - new;
    }
    Ok((inserted, updated))
}

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
    let domains: Vec<Option<String>> = texts.iter().map(|t| super::normalize_domain(t)).collect();
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
