-- Set-based rollup maintenance (#14). The rollups of migration 0003 were kept by row triggers: a
-- retag writing 500 suggestions ran 500 × 2 upserts plus 500 feedback lookups. The same rules now
-- run once per statement over its transition tables: the changed rows are aggregated into one
-- delta per rollup key (net-zero keys skipped, e.g. a confidence-only update), and each rollup
-- takes one upsert in key order (concurrent writers lock rollup rows in the same order).
-- What a tag contributes is unchanged: a tag counts while it is suggested or confirmed and its
-- feedback is not archived; weeks start on Monday (UTC).

-- Add a set of signed contributions to theme_weekly and theme_account_weekly.
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
    )
    insert into theme_account_weekly as t (theme_id, week, account_id, source, items, arr_sum, arr_items,
                                           promoters, passives, detractors)
    select * from (
        select theme_id, week, account_id, source, sum(sign)::int as items,
               sum(coalesce(arr, 0) * sign)::bigint as arr_sum,
               sum(case when arr is null then 0 else sign end)::int as arr_items,
               sum(promoters)::int as promoters, sum(passives)::int as passives, sum(detractors)::int as detractors
        from d
        where account_id is not null and exists (select 1 from accounts a where a.id = d.account_id)
        group by theme_id, week, account_id, source
    ) g
    where items <> 0 or arr_sum <> 0 or arr_items <> 0 or promoters <> 0 or passives <> 0 or detractors <> 0
    order by theme_id, week, account_id, source
    on conflict (theme_id, week, account_id, source) do update set
        items = t.items + excluded.items,
        arr_sum = t.arr_sum + excluded.arr_sum,
        arr_items = t.arr_items + excluded.arr_items,
        promoters = t.promoters + excluded.promoters,
        passives = t.passives + excluded.passives,
        detractors = t.detractors + excluded.detractors;
    -- The data-modifying CTE runs even though nothing reads it.
end;
$$ language plpgsql;

-- Tags inserted, deleted or updated: each old row takes its contribution out, each new row puts
-- its own in (rejected tags and archived or deleted feedback contribute nothing).
-- Transition tables need one trigger per event; the functions differ only in which tables exist.
create or replace function feedback_themes_rollup_ins() returns trigger as $$
begin
    perform theme_rollup_apply_many(array_agg(n.theme_id), array_agg(f.received_at), array_agg(f.source),
                                    array_agg(f.account_id), array_agg(f.nps_score),
                                    array_agg(f.arr_cents_snapshot), array_agg(n.state = 'confirmed'),
                                    array_agg(1))
    from new_tags n join feedback f on f.id = n.feedback_id and f.archived_at is null
    where n.state <> 'rejected'
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function feedback_themes_rollup_del() returns trigger as $$
begin
    perform theme_rollup_apply_many(array_agg(o.theme_id), array_agg(f.received_at), array_agg(f.source),
                                    array_agg(f.account_id), array_agg(f.nps_score),
                                    array_agg(f.arr_cents_snapshot), array_agg(o.state = 'confirmed'),
                                    array_agg(-1))
    from old_tags o join feedback f on f.id = o.feedback_id and f.archived_at is null
    where o.state <> 'rejected'
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function feedback_themes_rollup_upd() returns trigger as $$
begin
    perform theme_rollup_apply_many(array_agg(d.theme_id), array_agg(f.received_at), array_agg(f.source),
                                    array_agg(f.account_id), array_agg(f.nps_score),
                                    array_agg(f.arr_cents_snapshot), array_agg(d.confirmed), array_agg(d.sign))
    from (
        select o.feedback_id, o.theme_id, o.state = 'confirmed' as confirmed, -1 as sign
        from old_tags o join new_tags n on n.id = o.id
        where o.state <> 'rejected'
          and (o.theme_id, o.feedback_id, o.state) is distinct from (n.theme_id, n.feedback_id, n.state)
        union all
        select n.feedback_id, n.theme_id, n.state = 'confirmed', 1
        from old_tags o join new_tags n on n.id = o.id
        where n.state <> 'rejected'
          and (o.theme_id, o.feedback_id, o.state) is distinct from (n.theme_id, n.feedback_id, n.state)
    ) d
    join feedback f on f.id = d.feedback_id and f.archived_at is null
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

drop trigger feedback_themes_rollup on feedback_themes;
create trigger feedback_themes_rollup_ins after insert on feedback_themes
    referencing new table as new_tags for each statement execute function feedback_themes_rollup_ins();
create trigger feedback_themes_rollup_del after delete on feedback_themes
    referencing old table as old_tags for each statement execute function feedback_themes_rollup_del();
create trigger feedback_themes_rollup_upd after update on feedback_themes
    referencing old table as old_tags new table as new_tags for each statement execute function feedback_themes_rollup_upd();

-- Feedback updated in a way the rollups see (archived, re-dated, moved account, …): each of its
-- counted tags moves from the old values to the new ones.
create or replace function feedback_rollup_upd() returns trigger as $$
begin
    perform theme_rollup_apply_many(array_agg(d.theme_id), array_agg(d.received_at), array_agg(d.source),
                                    array_agg(d.account_id), array_agg(d.nps_score),
                                    array_agg(d.arr), array_agg(d.confirmed), array_agg(d.sign))
    from (
        select ft.theme_id, o.received_at, o.source, o.account_id, o.nps_score, o.arr_cents_snapshot as arr,
               ft.state = 'confirmed' as confirmed, -1 as sign
        from old_feedback o join new_feedback n on n.id = o.id
        join feedback_themes ft on ft.feedback_id = o.id and ft.state <> 'rejected'
        where o.archived_at is null
          and (o.archived_at, o.received_at, o.source, o.account_id, o.nps_score, o.arr_cents_snapshot)
              is distinct from (n.archived_at, n.received_at, n.source, n.account_id, n.nps_score, n.arr_cents_snapshot)
        union all
        select ft.theme_id, n.received_at, n.source, n.account_id, n.nps_score, n.arr_cents_snapshot,
               ft.state = 'confirmed', 1
        from old_feedback o join new_feedback n on n.id = o.id
        join feedback_themes ft on ft.feedback_id = n.id and ft.state <> 'rejected'
        where n.archived_at is null
          and (o.archived_at, o.received_at, o.source, o.account_id, o.nps_score, o.arr_cents_snapshot)
              is distinct from (n.archived_at, n.received_at, n.source, n.account_id, n.nps_score, n.arr_cents_snapshot)
    ) d
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

drop trigger feedback_rollup_update on feedback;
create trigger feedback_rollup_upd after update on feedback
    referencing old table as old_feedback new table as new_feedback
    for each statement execute function feedback_rollup_upd();
-- Deletes keep the row trigger of 0003 (before the delete, while the tags are still there).

-- NPS answers per account and week, the same way.
create or replace function account_nps_apply_many(p_account bigint[], p_received timestamptz[], p_nps smallint[], p_sign integer[])
returns void as $$
begin
    insert into account_nps_weekly as t (account_id, week, promoters, passives, detractors)
    select u.account, date_trunc('week', u.received at time zone 'UTC')::date,
           sum(case when u.nps >= 9 then u.sign else 0 end),
           sum(case when u.nps between 7 and 8 then u.sign else 0 end),
           sum(case when u.nps <= 6 then u.sign else 0 end)
    from unnest(p_account, p_received, p_nps, p_sign) as u(account, received, nps, sign)
    where exists (select 1 from accounts a where a.id = u.account)
    group by 1, 2
    having sum(case when u.nps >= 9 then u.sign else 0 end) <> 0
        or sum(case when u.nps between 7 and 8 then u.sign else 0 end) <> 0
        or sum(case when u.nps <= 6 then u.sign else 0 end) <> 0
    order by 1, 2
    on conflict (account_id, week) do update set
        promoters = t.promoters + excluded.promoters,
        passives = t.passives + excluded.passives,
        detractors = t.detractors + excluded.detractors;
end;
$$ language plpgsql;

create or replace function feedback_account_nps_ins() returns trigger as $$
begin
    perform account_nps_apply_many(array_agg(n.account_id), array_agg(n.received_at), array_agg(n.nps_score), array_agg(1))
    from new_feedback n
    where n.nps_score is not null and n.account_id is not null and n.archived_at is null
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function feedback_account_nps_del() returns trigger as $$
begin
    perform account_nps_apply_many(array_agg(o.account_id), array_agg(o.received_at), array_agg(o.nps_score), array_agg(-1))
    from old_feedback o
    where o.nps_score is not null and o.account_id is not null and o.archived_at is null
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function feedback_account_nps_upd() returns trigger as $$
begin
    perform account_nps_apply_many(array_agg(d.account_id), array_agg(d.received_at), array_agg(d.nps_score), array_agg(d.sign))
    from (
        select o.account_id, o.received_at, o.nps_score, -1 as sign
        from old_feedback o join new_feedback n on n.id = o.id
        where o.nps_score is not null and o.account_id is not null and o.archived_at is null
          and (o.nps_score, o.account_id, o.received_at, o.archived_at)
              is distinct from (n.nps_score, n.account_id, n.received_at, n.archived_at)
        union all
        select n.account_id, n.received_at, n.nps_score, 1
        from old_feedback o join new_feedback n on n.id = o.id
        where n.nps_score is not null and n.account_id is not null and n.archived_at is null
          and (o.nps_score, o.account_id, o.received_at, o.archived_at)
              is distinct from (n.nps_score, n.account_id, n.received_at, n.archived_at)
    ) d
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

drop trigger feedback_account_nps on feedback;
create trigger feedback_account_nps_ins after insert on feedback
    referencing new table as new_feedback for each statement execute function feedback_account_nps_ins();
create trigger feedback_account_nps_del after delete on feedback
    referencing old table as old_feedback for each statement execute function feedback_account_nps_del();
create trigger feedback_account_nps_upd after update on feedback
    referencing old table as old_feedback new table as new_feedback
    for each statement execute function feedback_account_nps_upd();

-- A theme's page lists its most confident tags per state: read in this order, it stops after a
-- page instead of sorting every tag of a large theme.
create index feedback_themes_theme_confidence_idx
    on feedback_themes (theme_id, state, confidence desc nulls last, id desc);

-- Bulk writers that take ARR snapshots themselves, set-based (feedback::db::upsert_many in an
-- import commit), set `goldthread.arr_snapshot = 'given'` for their transaction; the row trigger
-- (one plpgsql call and history lookup per row, a quarter of an insert's cost) then stands aside.
drop trigger feedback_arr_snapshot on feedback;
create trigger feedback_arr_snapshot before insert or update of account_id, received_at on feedback
    for each row when (current_setting('goldthread.arr_snapshot', true) is distinct from 'given')
    execute function feedback_arr_snapshot();
