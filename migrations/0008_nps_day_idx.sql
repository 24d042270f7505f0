-- The NPS page reads every answer of the last year once, grouped by day, segment and plan: this
-- index covers that scan (index-only), so it touches answers, not the whole feedback table.
create index feedback_nps_day_idx on feedback (received_at)
    include (nps_score, account_id)
    where nps_score is not null and archived_at is null;
