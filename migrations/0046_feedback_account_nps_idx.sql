-- #14: an account's page shows its NPS answers by month. It read them through
-- feedback_nps_day_idx, every answer of every account in time order filtered by account (45 ms at
-- 1M items, 110k answers); this index holds one account's answers together, read index-only.
-- At 1M items it builds in about a second and takes a few MB (answers only).
create index feedback_account_nps_idx on feedback (account_id, received_at)
    include (nps_score)
    where nps_score is not null and archived_at is null;
