//! Every SQL statement of the NPS page: answers are feedback items with source `nps`.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

/// Promoters, passives and detractors of one group.
pub struct BandRow {
    pub label: Option<String>,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl BandRow {
    pub fn counts(&self) -> super::NpsCounts {
        super::NpsCounts {
            promoters: self.promoters,
            passives: self.passives,
            detractors: self.detractors,
        }
    }
}

/// Answers received in `[from, to)`.
#[tracing::instrument(skip_all)]
pub async fn totals(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<BandRow> {
    sqlx::query_as!(
        BandRow,
        r#"select null::text as label,
                  count(*) filter (where nps_score >= 9) as "promoters!",
                  count(*) filter (where nps_score between 7 and 8) as "passives!",
                  count(*) filter (where nps_score <= 6) as "detractors!"
           from feedback where nps_score is not null and archived_at is null
             and received_at >= $1 and received_at < $2"#,
        from,
        to
    )
    .fetch_one(db)
    .await
}

/// Per calendar month (label `YYYY-MM`), oldest first.
#[tracing::instrument(skip_all)]
pub async fn monthly(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<BandRow>> {
    sqlx::query_as!(
        BandRow,
        r#"select to_char(date_trunc('month', received_at at time zone 'UTC'), 'YYYY-MM') as label,
                  count(*) filter (where nps_score >= 9) as "promoters!",
                  count(*) filter (where nps_score between 7 and 8) as "passives!",
                  count(*) filter (where nps_score <= 6) as "detractors!"
           from feedback where nps_score is not null and archived_at is null
             and received_at >= $1 and received_at < $2
           group by 1 order by 1"#,
        from,
        to
    )
    .fetch_all(db)
    .await
}

/// Per account segment (`None` = no account or no segment).
pub async fn by_segment(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<BandRow>> {
    sqlx::query_as!(
        BandRow,
        r#"select a.segment as label,
                  count(*) filter (where f.nps_score >= 9) as "promoters!",
                  count(*) filter (where f.nps_score between 7 and 8) as "passives!",
                  count(*) filter (where f.nps_score <= 6) as "detractors!"
           from feedback f left join accounts a on a.id = f.account_id
           where f.nps_score is not null and f.archived_at is null
             and f.received_at >= $1 and f.received_at < $2
           group by 1 order by 1 nulls last"#,
        from,
        to
    )
    .fetch_all(db)
    .await
}

/// Per account plan (`None` = no account or no plan).
pub async fn by_plan(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<BandRow>> {
    sqlx::query_as!(
        BandRow,
        r#"select a.plan as label,
                  count(*) filter (where f.nps_score >= 9) as "promoters!",
                  count(*) filter (where f.nps_score between 7 and 8) as "passives!",
                  count(*) filter (where f.nps_score <= 6) as "detractors!"
           from feedback f left join accounts a on a.id = f.account_id
           where f.nps_score is not null and f.archived_at is null
             and f.received_at >= $1 and f.received_at < $2
           group by 1 order by 1 nulls last"#,
        from,
        to
    )
    .fetch_all(db)
    .await
}

/// Midnight UTC of a date.
pub fn start_of(d: Date) -> OffsetDateTime {
    d.midnight().assume_utc()
}
