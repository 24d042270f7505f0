-- Several `goldthread serve` processes may share a database (#14). A batch is 'committing' while
-- one of them runs its transaction; that transaction holds an advisory lock on the batch and the
-- process writes `heartbeat_at` with every chunk's progress. A batch is taken as interrupted
-- only when nobody holds its lock and its heartbeat is old, so a process starting (or sweeping)
-- never fails another process's import.
alter table import_batches add column heartbeat_at timestamptz;

-- NPS answers per UTC day and the answering account's segment and plan ('' for none), so the NPS
-- page reads a few thousand rollup rows instead of every answer of the year (#14). Kept by
-- statement triggers on feedback (its answers) and accounts (a segment or plan change moves the
-- account's answers; a deleted account's answers move to '' before its feedback loses it).
create table nps_daily (
    day        date not null,
    segment    text not null default '',
    plan       text not null default '',
    promoters  integer not null default 0,
    passives   integer not null default 0,
    detractors integer not null default 0,
    primary key (day, segment, plan)
);

create or replace function nps_daily_apply(p_day date[], p_segment text[], p_plan text[], p_nps smallint[], p_sign integer[])
returns void as $$
begin
    insert into nps_daily as t (day, segment, plan, promoters, passives, detractors)
    select * from (
        select u.day, u.segment, u.plan,
               sum(case when u.nps >= 9 then u.sign else 0 end)::int as promoters,
               sum(case when u.nps between 7 and 8 then u.sign else 0 end)::int as passives,
               sum(case when u.nps <= 6 then u.sign else 0 end)::int as detractors
        from unnest(p_day, p_segment, p_plan, p_nps, p_sign) as u(day, segment, plan, nps, sign)
        group by 1, 2, 3
    ) g
    where promoters <> 0 or passives <> 0 or detractors <> 0
    order by 1, 2, 3
    on conflict (day, segment, plan) do update set
        promoters = t.promoters + excluded.promoters,
        passives = t.passives + excluded.passives,
        detractors = t.detractors + excluded.detractors;
end;
$$ language plpgsql;

create or replace function feedback_nps_daily_ins() returns trigger as $$
begin
    perform nps_daily_apply(array_agg((n.received_at at time zone 'UTC')::date), array_agg(coalesce(a.segment, '')),
                            array_agg(coalesce(a.plan, '')), array_agg(n.nps_score), array_agg(1))
    from new_feedback n left join accounts a on a.id = n.account_id
    where n.nps_score is not null and n.archived_at is null
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function feedback_nps_daily_del() returns trigger as $$
begin
    perform nps_daily_apply(array_agg((o.received_at at time zone 'UTC')::date), array_agg(coalesce(a.segment, '')),
                            array_agg(coalesce(a.plan, '')), array_agg(o.nps_score), array_agg(-1))
    from old_feedback o left join accounts a on a.id = o.account_id
    where o.nps_score is not null and o.archived_at is null
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function feedback_nps_daily_upd() returns trigger as $$
begin
    perform nps_daily_apply(array_agg(d.day), array_agg(d.segment), array_agg(d.plan), array_agg(d.nps), array_agg(d.sign))
    from (
        select (o.received_at at time zone 'UTC')::date as day, coalesce(a.segment, '') as segment,
               coalesce(a.plan, '') as plan, o.nps_score as nps, -1 as sign
        from old_feedback o join new_feedback n on n.id = o.id left join accounts a on a.id = o.account_id
        where o.nps_score is not null and o.archived_at is null
          and (o.nps_score, o.account_id, o.received_at, o.archived_at)
              is distinct from (n.nps_score, n.account_id, n.received_at, n.archived_at)
        union all
        select (n.received_at at time zone 'UTC')::date, coalesce(a.segment, ''), coalesce(a.plan, ''), n.nps_score, 1
        from old_feedback o join new_feedback n on n.id = o.id left join accounts a on a.id = n.account_id
        where n.nps_score is not null and n.archived_at is null
          and (o.nps_score, o.account_id, o.received_at, o.archived_at)
              is distinct from (n.nps_score, n.account_id, n.received_at, n.archived_at)
    ) d
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create trigger feedback_nps_daily_ins after insert on feedback
    referencing new table as new_feedback for each statement execute function feedback_nps_daily_ins();
create trigger feedback_nps_daily_del after delete on feedback
    referencing old table as old_feedback for each statement execute function feedback_nps_daily_del();
create trigger feedback_nps_daily_upd after update on feedback
    referencing old table as old_feedback new table as new_feedback
    for each statement execute function feedback_nps_daily_upd();

-- An account's segment or plan changed: its live answers move to the new key.
create or replace function accounts_nps_daily_upd() returns trigger as $$
begin
    perform nps_daily_apply(array_agg(d.day), array_agg(d.segment), array_agg(d.plan), array_agg(d.nps), array_agg(d.sign))
    from (
        select (f.received_at at time zone 'UTC')::date as day, s.seg as segment, s.pl as plan,
               f.nps_score as nps, s.sign
        from old_accounts o join new_accounts n on n.id = o.id
        cross join lateral (values (-1, coalesce(o.segment, ''), coalesce(o.plan, '')),
                                   (1, coalesce(n.segment, ''), coalesce(n.plan, ''))) as s(sign, seg, pl)
        join feedback f on f.account_id = o.id and f.nps_score is not null and f.archived_at is null
        where (o.segment, o.plan) is distinct from (n.segment, n.plan)
    ) d
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create trigger accounts_nps_daily_upd after update on accounts
    referencing old table as old_accounts new table as new_accounts
    for each statement execute function accounts_nps_daily_upd();

-- Before an account is deleted (its feedback then loses it, which the feedback trigger sees as
-- no change: the account is gone by then, so both sides read ''), its answers move to ''.
create or replace function accounts_nps_daily_del() returns trigger as $$
begin
    perform nps_daily_apply(array_agg(d.day), array_agg(d.segment), array_agg(d.plan), array_agg(d.nps), array_agg(d.sign))
    from (
        select (f.received_at at time zone 'UTC')::date as day, s.seg as segment, s.pl as plan,
               f.nps_score as nps, s.sign
        from feedback f
        cross join lateral (values (-1, coalesce(old.segment, ''), coalesce(old.plan, '')), (1, '', '')) as s(sign, seg, pl)
        where f.account_id = old.id and f.nps_score is not null and f.archived_at is null
    ) d
    having count(*) > 0;
    return old;
end;
$$ language plpgsql;

create trigger accounts_nps_daily_del before delete on accounts
    for each row execute function accounts_nps_daily_del();

-- The answers already there.
insert into nps_daily (day, segment, plan, promoters, passives, detractors)
select (f.received_at at time zone 'UTC')::date, coalesce(a.segment, ''), coalesce(a.plan, ''),
       count(*) filter (where f.nps_score >= 9), count(*) filter (where f.nps_score between 7 and 8),
       count(*) filter (where f.nps_score <= 6)
from feedback f left join accounts a on a.id = f.account_id
where f.nps_score is not null and f.archived_at is null
group by 1, 2, 3;
