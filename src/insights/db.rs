//! Every SQL read of the dashboard read model: the theme rollups (`theme_weekly`,
//! `theme_account_weekly`, `theme_account_weekly_all`), and what an account page shows of its
//! feedback and NPS. With a segment filter every figure comes from a per-account rollup
//! (segments live on accounts); without one, volumes come from the smaller per-source rollup.
//! Per-account figures read the source-free `theme_account_weekly_all` (one row per theme,
//! account and week) unless a source filter needs the per-source `theme_account_weekly`.

use sqlx::PgExecutor;
use time::Date;

/// Filters shared by every figure query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    pub theme_id: Option<i64>,
    pub source: Option<String>,
    pub segment: Option<String>,
}

/// One theme's counts for one week.
#[derive(Debug, Clone)]
pub struct WeekRow {
    pub theme_id: i64,
    pub week: Date,
    pub items: i64,
    pub confirmed: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

#[tracing::instrument(skip_all)]
pub async fn weekly(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    from_week: Date,
    to_week: Date,
) -> sqlx::Result<Vec<WeekRow>> {
    if scope.segment.is_some() && scope.source.is_none() {
        sqlx::query_as!(
            WeekRow,
            r#"select r.theme_id, r.week, sum(r.items)::bigint as "items!", 0::bigint as "confirmed!",
                      sum(r.promoters)::bigint as "promoters!", sum(r.passives)::bigint as "passives!",
                      sum(r.detractors)::bigint as "detractors!"
               from theme_account_weekly_all r join accounts a on a.id = r.account_id
               where r.week between $1 and $2 and a.segment = $3 and ($4::bigint is null or r.theme_id = $4)
               group by r.theme_id, r.week"#,
            from_week,
            to_week,
            scope.segment,
            scope.theme_id
        )
        .fetch_all(db)
        .await
    } else if scope.segment.is_some() {
        sqlx::query_as!(
            WeekRow,
            r#"select r.theme_id, r.week, sum(r.items)::bigint as "items!", 0::bigint as "confirmed!",
                      sum(r.promoters)::bigint as "promoters!", sum(r.passives)::bigint as "passives!",
                      sum(r.detractors)::bigint as "detractors!"
               from theme_account_weekly r join accounts a on a.id = r.account_id
               where r.week between $1 and $2 and a.segment = $3
                 and ($4::text is null or r.source = $4) and ($5::bigint is null or r.theme_id = $5)
               group by r.theme_id, r.week"#,
            from_week,
            to_week,
            scope.segment,
            scope.source,
            scope.theme_id
        )
        .fetch_all(db)
        .await
    } else {
        sqlx::query_as!(
            WeekRow,
            r#"select theme_id, week, sum(items)::bigint as "items!", sum(confirmed)::bigint as "confirmed!",
                      sum(promoters)::bigint as "promoters!", sum(passives)::bigint as "passives!",
                      sum(detractors)::bigint as "detractors!"
               from theme_weekly
               where week between $1 and $2
                 and ($3::text is null or source = $3) and ($4::bigint is null or theme_id = $4)
               group by theme_id, week"#,
            from_week,
            to_week,
            scope.source,
            scope.theme_id
        )
        .fetch_all(db)
        .await
    }
}

/// Items per theme and source over a period.
pub struct SourceRow {
    pub theme_id: i64,
    pub source: String,
    pub items: i64,
}

#[tracing::instrument(skip_all)]
pub async fn sources(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    from_week: Date,
    to_week: Date,
) -> sqlx::Result<Vec<SourceRow>> {
    sqlx::query_as!(
        SourceRow,
        r#"select theme_id as "theme_id!", source as "source!", sum(items)::bigint as "items!" from theme_weekly
           where week between $1 and $2 and $3::text is null
             and ($4::text is null or source = $4) and ($5::bigint is null or theme_id = $5)
           group by theme_id, source
           union all
           select r.theme_id, r.source, sum(r.items)::bigint from theme_account_weekly r join accounts a on a.id = r.account_id
           where r.week between $1 and $2 and a.segment = $3
             and ($4::text is null or r.source = $4) and ($5::bigint is null or r.theme_id = $5)
           group by r.theme_id, r.source"#,
        from_week,
        to_week,
        scope.segment,
        scope.source,
        scope.theme_id
    )
    .fetch_all(db)
    .await
}

/// Distinct accounts, ARR at stake (sum over distinct accounts of their ARR snapshot, converted
/// to the reporting currency at the rates valid on `rates_on`) and the NPS answers those accounts
/// gave in the period, in one pass over the per-account rollup. A snapshot is in its account's
/// currency; one that no rate converts is left out of `arr_cents` and named in `no_rate`.
pub struct AccountTotals {
    pub theme_id: i64,
    pub accounts: i64,
    pub arr_cents: i64,
    /// The currency of every account whose ARR no rate converts (one entry per account).
    pub no_rate: Vec<String>,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

#[tracing::instrument(skip_all)]
pub async fn account_totals(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    from_week: Date,
    to_week: Date,
    rates_on: Date,
) -> sqlx::Result<Vec<AccountTotals>> {
    if scope.source.is_some() {
        return account_totals_of_source(db, scope, from_week, to_week, rates_on).await;
    }
    // Without a source filter: the source-free rollup, one row per (theme, account, week),
    // aggregated per (theme, account) before anything is joined to it.
    sqlx::query_as!(
        AccountTotals,
        r#"with per_account as (
               select r.theme_id, r.account_id, max(r.arr_sum / nullif(r.arr_items, 0)) as arr
               from theme_account_weekly_all r
               where r.week between $1 and $2 and r.items > 0
                 and ($4::bigint is null or r.theme_id = $4)
               group by r.theme_id, r.account_id),
           fx as (select currency, rate from fx_rates_on($5)),
           answers as (
               select account_id, sum(promoters) as p, sum(passives) as pa, sum(detractors) as d
               from account_nps_weekly where week between $1 and $2
               group by account_id)
           select m.theme_id as "theme_id!", count(*)::bigint as "accounts!",
                  coalesce(sum(round(m.arr * fx.rate)), 0)::bigint as "arr_cents!",
                  array_remove(array_agg(case when m.arr is not null and fx.rate is null then a.currency end), null)
                      as "no_rate!",
                  coalesce(sum(n.p), 0)::bigint as "promoters!",
                  coalesce(sum(n.pa), 0)::bigint as "passives!",
                  coalesce(sum(n.d), 0)::bigint as "detractors!"
           from per_account m join accounts a on a.id = m.account_id
           left join answers n on n.account_id = m.account_id
           left join fx on fx.currency = a.currency
           where ($3::text is null or a.segment = $3)
           group by m.theme_id"#,
        from_week,
        to_week,
        scope.segment,
        scope.theme_id,
        rates_on
    )
    .fetch_all(db)
    .await
}

/// [`account_totals`] of the items of one source: the per-source rollup.
async fn account_totals_of_source(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    from_week: Date,
    to_week: Date,
    rates_on: Date,
) -> sqlx::Result<Vec<AccountTotals>> {
    sqlx::query_as!(
        AccountTotals,
        r#"with per_account as (
               select r.theme_id, r.account_id, a.currency, max(r.arr_sum / nullif(r.arr_items, 0)) as arr
               from theme_account_weekly r
               join accounts a on a.id = r.account_id
               where r.week between $1 and $2 and r.items > 0
                 and ($3::text is null or a.segment = $3)
                 and r.source = $4 and ($5::bigint is null or r.theme_id = $5)
               group by r.theme_id, r.account_id, a.currency),
           fx as (select currency, rate from fx_rates_on($6)),
           answers as (
               select account_id, sum(promoters) as p, sum(passives) as pa, sum(detractors) as d
               from account_nps_weekly where week between $1 and $2
               group by account_id)
           select m.theme_id as "theme_id!", count(*)::bigint as "accounts!",
                  coalesce(sum(round(m.arr * fx.rate)), 0)::bigint as "arr_cents!",
                  array_remove(array_agg(case when m.arr is not null and fx.rate is null then m.currency end), null)
                      as "no_rate!",
                  coalesce(sum(n.p), 0)::bigint as "promoters!",
                  coalesce(sum(n.pa), 0)::bigint as "passives!",
                  coalesce(sum(n.d), 0)::bigint as "detractors!"
           from per_account m left join answers n on n.account_id = m.account_id
           left join fx on fx.currency = m.currency
           group by m.theme_id"#,
        from_week,
        to_week,
        scope.segment,
        scope.source,
        scope.theme_id,
        rates_on
    )
    .fetch_all(db)
    .await
}

/// The accounts behind one theme, biggest converted ARR first (those no rate converts last).
pub struct AccountRow {
    pub account_id: i64,
    pub name: String,
    pub segment: Option<String>,
    pub items: i64,
    /// The ARR snapshot in `currency`; `None` when the account has no ARR.
    pub arr_cents: Option<i64>,
    pub currency: String,
    /// The same in the reporting currency at the rates valid on `rates_on`.
    pub arr_reporting_cents: Option<i64>,
}

#[tracing::instrument(skip_all)]
pub async fn theme_accounts(
    db: impl PgExecutor<'_>,
    theme_id: i64,
    from_week: Date,
    to_week: Date,
    rates_on: Date,
    limit: i64,
) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"with fx as (select currency, rate from fx_rates_on($4))
           select r.account_id, a.name, a.segment, a.currency, sum(r.items)::bigint as "items!",
                  max(r.arr_sum / nullif(r.arr_items, 0))::bigint as arr_cents,
                  round(max(r.arr_sum / nullif(r.arr_items, 0)) * max(fx.rate))::bigint as arr_reporting_cents
           from theme_account_weekly_all r join accounts a on a.id = r.account_id
           left join fx on fx.currency = a.currency
           where r.theme_id = $1 and r.week between $2 and $3 and r.items > 0
           group by r.account_id, a.name, a.segment, a.currency
           order by 7 desc nulls last, 5 desc, a.name
           limit $5"#,
        theme_id,
        from_week,
        to_week,
        rates_on,
        limit
    )
    .fetch_all(db)
    .await
}

/// The currency ARR figures are shown in (kept by the admin settings).
#[tracing::instrument(skip_all)]
pub async fn reporting_currency(db: impl PgExecutor<'_>) -> sqlx::Result<String> {
    sqlx::query_scalar!(r#"select reporting_currency() as "c!""#)
        .fetch_one(db)
        .await
}

/// Weekly items of one theme by source.
pub struct WeekSourceRow {
    pub week: Date,
    pub source: String,
    pub items: i64,
}

#[tracing::instrument(skip_all)]
pub async fn theme_weeks_by_source(
    db: impl PgExecutor<'_>,
    theme_id: i64,
    from_week: Date,
    to_week: Date,
) -> sqlx::Result<Vec<WeekSourceRow>> {
    sqlx::query_as!(
        WeekSourceRow,
        r#"select week, source, sum(items)::bigint as "items!" from theme_weekly
           where theme_id = $1 and week between $2 and $3 group by week, source order by week, source"#,
        theme_id,
        from_week,
        to_week
    )
    .fetch_all(db)
    .await
}

/// Direct counts from the tags themselves (what the rollups must agree with).
pub struct DirectCount {
    pub theme_id: i64,
    pub items: i64,
    pub confirmed: i64,
}

#[tracing::instrument(skip_all)]
pub async fn direct_counts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<DirectCount>> {
    sqlx::query_as!(
        DirectCount,
        r#"select ft.theme_id, count(*)::bigint as "items!",
                  count(*) filter (where ft.state = 'confirmed')::bigint as "confirmed!"
           from feedback_themes ft join feedback f on f.id = ft.feedback_id and f.archived_at is null
           where ft.state <> 'rejected' group by ft.theme_id order by ft.theme_id"#
    )
    .fetch_all(db)
    .await
}

/// Rollup totals per theme over all time, for comparing with [`direct_counts`].
#[tracing::instrument(skip_all)]
pub async fn rollup_counts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<DirectCount>> {
    sqlx::query_as!(
        DirectCount,
        r#"select theme_id, sum(items)::bigint as "items!", sum(confirmed)::bigint as "confirmed!"
           from theme_weekly group by theme_id having sum(items) <> 0 or sum(confirmed) <> 0 order by theme_id"#
    )
    .fetch_all(db)
    .await
}

/// Theme mentions among NPS answers in a period: (theme id, name, promoters, passives, detractors).
pub struct NpsMentionRow {
    pub theme_id: i64,
    pub name: String,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

#[tracing::instrument(skip_all)]
pub async fn nps_mentions(
    db: impl PgExecutor<'_>,
    from_week: Date,
    to_week: Date,
) -> sqlx::Result<Vec<NpsMentionRow>> {
    sqlx::query_as!(
        NpsMentionRow,
        r#"select r.theme_id, t.name, sum(r.promoters)::bigint as "promoters!",
                  sum(r.passives)::bigint as "passives!", sum(r.detractors)::bigint as "detractors!"
           from theme_weekly r join themes t on t.id = r.theme_id and t.status = 'active'
           where r.week between $1 and $2 and r.source = 'nps'
           group by r.theme_id, t.name"#,
        from_week,
        to_week
    )
    .fetch_all(db)
    .await
}

/// Suggested (not yet decided) tags on active themes, from the rollup: items − confirmed.
#[tracing::instrument(skip_all)]
pub async fn suggested_count(db: impl PgExecutor<'_>, theme_id: Option<i64>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select coalesce(sum(r.items - r.confirmed), 0)::bigint as "n!"
           from theme_weekly r join themes t on t.id = r.theme_id and t.status = 'active'
           where ($1::bigint is null or r.theme_id = $1)"#,
        theme_id
    )
    .fetch_one(db)
    .await
}

/// Where the data behind the cached pages stands: statement triggers move it whenever feedback,
/// tags, rollups or accounts change (see `themes::cache`).
#[tracing::instrument(skip_all)]
pub async fn rollup_version(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select coalesce(pg_sequence_last_value('rollup_changes'), 0) as "v!""#)
        .fetch_one(db)
        .await
}

/// The themes an account's feedback mentions most, with how many items.
#[tracing::instrument(skip_all)]
pub async fn themes_for_account(
    db: impl sqlx::PgExecutor<'_>,
    account_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<(i64, String, i64)>> {
    let rows = sqlx::query!(
        r#"select t.id, t.name, sum(r.items)::bigint as "items!"
           from theme_account_weekly_all r join themes t on t.id = r.theme_id
           where r.account_id = $1 and t.status = 'active'
           group by t.id, t.name
           having sum(r.items) > 0
           order by 3 desc, t.name
           limit $2"#,
        account_id,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name, r.items)).collect())
}

/// A feedback item as an account's page lists it.
pub struct AccountFeedback {
    pub id: i64,
    pub source: String,
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub body: String,
    pub reporter_name: Option<String>,
    pub received_at: time::OffsetDateTime,
    pub nps_score: Option<i16>,
}

/// The newest feedback about one account.
#[tracing::instrument(skip_all)]
pub async fn recent_feedback_for_account(
    db: impl PgExecutor<'_>,
    account_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<AccountFeedback>> {
    sqlx::query_as!(
        AccountFeedback,
        r#"select f.id, f.source, f.external_id, f.title, f.body,
                  u.name as "reporter_name?", f.received_at, f.nps_score
           from feedback f
           left join users u on u.id = f.reporter_id
           where f.account_id = $1 and f.archived_at is null
           order by f.received_at desc, f.id desc
           limit $2"#,
        account_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// One month of an account's NPS answers.
#[derive(Debug, Clone)]
pub struct NpsMonth {
    pub month: time::Date,
    pub counts: super::NpsCounts,
}

/// An account's NPS by month, oldest first.
#[tracing::instrument(skip_all)]
pub async fn nps_history_for_account(
    db: impl PgExecutor<'_>,
    account_id: i64,
) -> sqlx::Result<Vec<NpsMonth>> {
    let rows = sqlx::query!(
        r#"select date_trunc('month', received_at at time zone 'UTC')::date as "month!",
                  count(*) filter (where nps_score >= 9) as "promoters!",
                  count(*) filter (where nps_score between 7 and 8) as "passives!",
                  count(*) filter (where nps_score <= 6) as "detractors!"
           from feedback
           where account_id = $1 and nps_score is not null and archived_at is null
           group by 1 order by 1"#,
        account_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| NpsMonth {
            month: r.month,
            counts: super::NpsCounts {
                promoters: r.promoters,
                passives: r.passives,
                detractors: r.detractors,
            },
        })
        .collect())
}
