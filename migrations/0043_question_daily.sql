-- The questions dashboard reads a daily rollup instead of every question (#11: the page at
-- 50,000 questions answers about as fast as at 500). One row per day (UTC), team, channel,
-- launch (0: none) and answering person (0: none): counts by kind and PM minutes. Kept by
-- statement-level triggers over transition tables, the way migration 0041 keeps the theme
-- rollups: the changed rows become one signed delta per key, applied in key order.

create table question_daily (
    day            date not null,
    team           text not null,
    channel        text not null,
    launch_id      bigint not null default 0,
    answered_by_id bigint not null default 0,
    awareness      integer not null default 0,
    readiness      integer not null default 0,
    other          integer not null default 0,
    minutes        bigint not null default 0,
    primary key (day, team, channel, launch_id, answered_by_id)
);
create index question_daily_launch_idx on question_daily (launch_id, day) where launch_id <> 0;

create or replace function question_daily_apply(p_asked timestamptz[], p_team text[], p_channel text[],
    p_launch bigint[], p_answerer bigint[], p_kind text[], p_minutes integer[], p_sign integer[])
returns void as $$
begin
    insert into question_daily as t (day, team, channel, launch_id, answered_by_id,
                                     awareness, readiness, other, minutes)
    select * from (
        select (u.asked at time zone 'UTC')::date as day, u.team, u.channel,
               coalesce(u.launch, 0) as launch_id, coalesce(u.answerer, 0) as answered_by_id,
               sum(case when u.kind = 'awareness' then u.sign else 0 end)::int as awareness,
               sum(case when u.kind = 'readiness' then u.sign else 0 end)::int as readiness,
               sum(case when u.kind = 'other' then u.sign else 0 end)::int as other,
               sum(coalesce(u.minutes, 0) * u.sign)::bigint as minutes
        from unnest(p_asked, p_team, p_channel, p_launch, p_answerer, p_kind, p_minutes, p_sign)
             as u(asked, team, channel, launch, answerer, kind, minutes, sign)
        group by 1, 2, 3, 4, 5
    ) g
    where awareness <> 0 or readiness <> 0 or other <> 0 or minutes <> 0
    order by 1, 2, 3, 4, 5
    on conflict (day, team, channel, launch_id, answered_by_id) do update set
        awareness = t.awareness + excluded.awareness,
        readiness = t.readiness + excluded.readiness,
        other = t.other + excluded.other,
        minutes = t.minutes + excluded.minutes;
end;
$$ language plpgsql;

create or replace function questions_daily_ins() returns trigger as $$
begin
    perform question_daily_apply(array_agg(n.asked_at), array_agg(n.team), array_agg(n.channel),
                                 array_agg(n.launch_id), array_agg(n.answered_by_id), array_agg(n.kind),
                                 array_agg(n.minutes), array_agg(1))
    from new_questions n
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function questions_daily_del() returns trigger as $$
begin
    perform question_daily_apply(array_agg(o.asked_at), array_agg(o.team), array_agg(o.channel),
                                 array_agg(o.launch_id), array_agg(o.answered_by_id), array_agg(o.kind),
                                 array_agg(o.minutes), array_agg(-1))
    from old_questions o
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create or replace function questions_daily_upd() returns trigger as $$
begin
    perform question_daily_apply(array_agg(d.asked_at), array_agg(d.team), array_agg(d.channel),
                                 array_agg(d.launch_id), array_agg(d.answered_by_id), array_agg(d.kind),
                                 array_agg(d.minutes), array_agg(d.sign))
    from (
        select o.asked_at, o.team, o.channel, o.launch_id, o.answered_by_id, o.kind, o.minutes, -1 as sign
        from old_questions o join new_questions n on n.id = o.id
        where (o.asked_at, o.team, o.channel, o.launch_id, o.answered_by_id, o.kind, o.minutes)
              is distinct from (n.asked_at, n.team, n.channel, n.launch_id, n.answered_by_id, n.kind, n.minutes)
        union all
        select n.asked_at, n.team, n.channel, n.launch_id, n.answered_by_id, n.kind, n.minutes, 1
        from old_questions o join new_questions n on n.id = o.id
        where (o.asked_at, o.team, o.channel, o.launch_id, o.answered_by_id, o.kind, o.minutes)
              is distinct from (n.asked_at, n.team, n.channel, n.launch_id, n.answered_by_id, n.kind, n.minutes)
    ) d
    having count(*) > 0;
    return null;
end;
$$ language plpgsql;

create trigger questions_daily_ins after insert on questions
    referencing new table as new_questions for each statement execute function questions_daily_ins();
create trigger questions_daily_del after delete on questions
    referencing old table as old_questions for each statement execute function questions_daily_del();
create trigger questions_daily_upd after update on questions
    referencing old table as old_questions new table as new_questions
    for each statement execute function questions_daily_upd();

-- What is already there.
insert into question_daily (day, team, channel, launch_id, answered_by_id, awareness, readiness, other, minutes)
select (asked_at at time zone 'UTC')::date, team, channel, coalesce(launch_id, 0), coalesce(answered_by_id, 0),
       count(*) filter (where kind = 'awareness'), count(*) filter (where kind = 'readiness'),
       count(*) filter (where kind = 'other'), coalesce(sum(minutes), 0)
from questions
group by 1, 2, 3, 4, 5;
