-- The per-account rollup without the source (#14). The overview, the home page and a theme's
-- page count distinct accounts, ARR at stake and those accounts' NPS per theme; they read
-- theme_account_weekly, one row per (theme, week, account, source), and summed the sources away:
-- 121,992 rows over the default 90 days at 1M items, so the first view after a change cost 6-12
-- times the same view at 10k items. theme_account_weekly_all holds one row per (theme, account,
-- week) with the same counters summed over sources (43,709 rows over those 90 days); pages read
-- it whenever no source filter is set (a source filter still reads theme_account_weekly). It is
-- written by the same statement, in the same set-based upsert (theme_rollup_apply_many), from
-- the same deltas, so it always equals theme_account_weekly summed over sources.
-- Cost at 1M items: the backfill reads theme_account_weekly once (464,271 rows) and writes
-- 165,615 (17 MB); the migration took 15.6 s on a loaded 2-core machine. Each tag or feedback
-- statement does one more upsert over keys it already aggregates.

create table theme_account_weekly_all (
    theme_id   bigint not null references themes (id) on delete cascade,
    account_id bigint not null references accounts (id) on delete cascade,
    week       date not null,
    items      integer not null default 0,
    -- As in theme_account_weekly: the account's snapshot that week is arr_sum / arr_items.
    arr_sum    bigint not null default 0,
    arr_items  integer not null default 0,
    promoters  integer not null default 0,
    passives   integer not null default 0,
    detractors integer not null default 0,
    -- One theme's period (its page, its accounts) is one range of this key.
    primary key (theme_id, week, account_id)
) with (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000);
-- Every theme's period (the overview, the home page). A covering index (week, theme_id,
-- account_id) include (items, arr_sum, arr_items) read index-only measured no faster at 1M items
-- (44,000 rows either way, the table is small enough to stay in memory).
create index theme_account_weekly_all_week_idx on theme_account_weekly_all (week, theme_id);
-- An account's themes (its page), read index-only: its rows lie one per theme and week all
-- over the table (a thousand pages at 1M items when the cache is cold).
create index theme_account_weekly_all_account_idx on theme_account_weekly_all (account_id, theme_id)
    include (items);

create trigger theme_account_weekly_all_changed after insert or update or delete or truncate on theme_account_weekly_all
    for each statement execute function rollup_changed();

-- 0041's function, with the third upsert.
create or replace function theme_rollup_apply_many(
    p_theme bigint[], p_received timestamptz[], p_source text[], p_account bigint[],
    p_nps smallint[], p_arr bigint[], p_confirmed boolean[], p_sign integer[]
) returns void as $$
begin
    with d as materialized (
        select u.theme as theme_id, date_trunc('week', u.received at time zone 'UTC')::date as week,
               u.source, u.account as account_id, u.arr, u.sign,
               case when u.confirmed then u.sign else 0 end as confirmed,
               case when u.nps >= 9 then u.sign else 0 end as promoters,
               case when u.nps between 7 and 8 then u.sign else 0 end as passives,
               case when u.nps <= 6 then u.sign else 0 end as detractors
        from unnest(p_theme, p_received, p_source, p_account, p_nps, p_arr, p_confirmed, p_sign)
             as u(theme, received, source, account, nps, arr, confirmed, sign)
        -- A theme deleted in the same statement takes its rollup rows with it (cascade).
        where exists (select 1 from themes t where t.id = u.theme)
    ), weekly as (
        insert into theme_weekly as t (theme_id, week, source, items, confirmed, promoters, passives, detractors)
        select * from (
            select theme_id, week, source, sum(sign)::int as items, sum(confirmed)::int as confirmed,
                   sum(promoters)::int as promoters, sum(passives)::int as passives, sum(detractors)::int as detractors
            from d group by theme_id, week, source
        ) g
        where items <> 0 or confirmed <> 0 or promoters <> 0 or passives <> 0 or detractors <> 0
        order by theme_id, week, source
        on conflict (theme_id, week, source) do update set
            items = t.items + excluded.items,
            confirmed = t.confirmed + excluded.confirmed,
            promoters = t.promoters + excluded.promoters,
            passives = t.passives + excluded.passives,
            detractors = t.detractors + excluded.detractors
        returning 1
    ), by_account as materialized (
        select theme_id, week, account_id, source, sum(sign)::int as items,
               sum(coalesce(arr, 0) * sign)::bigint as arr_sum,
               sum(case when arr is null then 0 else sign end)::int as arr_items,
               sum(promoters)::int as promoters, sum(passives)::int as passives, sum(detractors)::int as detractors
        from d
        where account_id is not null and exists (select 1 from accounts a where a.id = d.account_id)
        group by theme_id, week, account_id, source
    ), account_weekly as (
        insert into theme_account_weekly as t (theme_id, week, account_id, source, items, arr_sum, arr_items,
                                               promoters, passives, detractors)
        select * from by_account g
        where items <> 0 or arr_sum <> 0 or arr_items <> 0 or promoters <> 0 or passives <> 0 or detractors <> 0
        order by theme_id, week, account_id, source
        on conflict (theme_id, week, account_id, source) do update set
            items = t.items + excluded.items,
            arr_sum = t.arr_sum + excluded.arr_sum,
            arr_items = t.arr_items + excluded.arr_items,
            promoters = t.promoters + excluded.promoters,
            passives = t.passives + excluded.passives,
            detractors = t.detractors + excluded.detractors
        returning 1
    )
    insert into theme_account_weekly_all as t (theme_id, account_id, week, items, arr_sum, arr_items,
                                               promoters, passives, detractors)
    select * from (
        select theme_id, account_id, week, sum(items)::int as items, sum(arr_sum)::bigint as arr_sum,
               sum(arr_items)::int as arr_items, sum(promoters)::int as promoters,
               sum(passives)::int as passives, sum(detractors)::int as detractors
        from by_account group by theme_id, week, account_id
    ) g
    where items <> 0 or arr_sum <> 0 or arr_items <> 0 or promoters <> 0 or passives <> 0 or detractors <> 0
    order by theme_id, week, account_id
    on conflict (theme_id, week, account_id) do update set
        items = t.items + excluded.items,
        arr_sum = t.arr_sum + excluded.arr_sum,
        arr_items = t.arr_items + excluded.arr_items,
        promoters = t.promoters + excluded.promoters,
        passives = t.passives + excluded.passives,
        detractors = t.detractors + excluded.detractors;
    -- The data-modifying CTEs run even though nothing reads them.
end;
$$ language plpgsql;

-- 0003's one-row form, still called by the row trigger that runs before feedback is deleted:
-- the same rules through the set-based function, so no rollup is written two ways.
create or replace function theme_rollup_apply(
    p_theme bigint, p_received timestamptz, p_source text, p_account bigint,
    p_nps smallint, p_arr bigint, p_confirmed boolean, p_sign integer
) returns void as $$
begin
    perform theme_rollup_apply_many(array[p_theme], array[p_received], array[p_source], array[p_account],
                                    array[p_nps], array[p_arr], array[p_confirmed], array[p_sign]);
end;
$$ language plpgsql;

-- What theme_account_weekly holds already, week by week (a period's rows then share pages, as
-- they do when imports and tagging write them in time order).
insert into theme_account_weekly_all (theme_id, account_id, week, items, arr_sum, arr_items,
                                      promoters, passives, detractors)
select theme_id, account_id, week, sum(items), sum(arr_sum), sum(arr_items),
       sum(promoters), sum(passives), sum(detractors)
from theme_account_weekly
group by theme_id, week, account_id
having sum(items) <> 0 or sum(arr_sum) <> 0 or sum(arr_items) <> 0
    or sum(promoters) <> 0 or sum(passives) <> 0 or sum(detractors) <> 0
order by week, theme_id, account_id;
analyze theme_account_weekly_all;
