//! Every SQL statement of the NPS page: answers are feedback items with source `nps`.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

/// Answers of one UTC day from accounts of one segment and plan (`None`: no account, or the
/// account has none).
pub struct DayRow {
    pub day: Date,
    pub segment: Option<String>,
    pub plan: Option<String>,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl DayRow {
    pub fn counts(&self) -> super::NpsCounts {
        super::NpsCounts {
            promoters: self.promoters,
            passives: self.passives,
            detractors: self.detractors,
        }
    }
}

/// Answers received on the UTC days `[from, to)`, per day, segment and plan, from the daily
/// rollup `nps_daily` (migration 0042; a few rows per day however many answers there are),
/// from which the page sums its period, months and breakdowns.
#[tracing::instrument(skip_all)]
pub async fn daily(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<DayRow>> {
    sqlx::query_as!(
        DayRow,
        r#"select day as "day!", nullif(segment, '') as segment, nullif(plan, '') as plan,
                  promoters::int8 as "promoters!", passives::int8 as "passives!", detractors::int8 as "detractors!"
           from nps_daily
           where day >= ($1::timestamptz at time zone 'UTC')::date and day < ($2::timestamptz at time zone 'UTC')::date
             and promoters + passives + detractors > 0"#,
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
