-- The themes overview keeps what it computed from the rollups in memory. This sequence moves
-- whenever a rollup changes, or an account (whose segment the overview filters by), so a
-- figure computed earlier is used again only while nothing it was computed from has changed.
-- A sequence, not a counter row: bumping it never waits for another transaction.
create sequence rollup_changes;

create or replace function rollup_changed() returns trigger as $$
begin
    perform nextval('rollup_changes');
    return null;
end;
$$ language plpgsql;

create trigger theme_weekly_changed after insert or update or delete or truncate on theme_weekly
    for each statement execute function rollup_changed();
create trigger theme_account_weekly_changed after insert or update or delete or truncate on theme_account_weekly
    for each statement execute function rollup_changed();
create trigger account_nps_weekly_changed after insert or update or delete or truncate on account_nps_weekly
    for each statement execute function rollup_changed();
create trigger accounts_changed after insert or update or delete or truncate on accounts
    for each statement execute function rollup_changed();
