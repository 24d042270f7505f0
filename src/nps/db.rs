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

/// Answers received in `[from, to)`, per day, segment and plan: one scan of the answers
/// (`feedback_nps_day_idx`) from which the page sums its period, months and breakdowns.
#[tracing::instrument(skip_all)]
pub async fn daily(
    db: impl PgExecutor<'_>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Vec<DayRow>> {
    sqlx::query_as!(
        DayRow,
        r#"select (f.received_at at time zone 'UTC')::date as "day!", a.segment, a.plan,
                  count(*) filter (where f.nps_score >= 9) as "promoters!",
                  count(*) filter (where f.nps_score between 7 and 8) as "passives!",
                  count(*) filter (where f.nps_score <= 6) as "detractors!"
           from feedback f left join accounts a on a.id = f.account_id
           where f.nps_score is not null and f.archived_at is null
             and f.received_at >= $1 and f.received_at < $2
           group by 1, 2, 3"#,
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
