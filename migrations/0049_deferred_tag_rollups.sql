-- A full retag rewrites the automatic suggestions of every item, and each of its writes paid for
-- the rollups at once: at 1M items the tag triggers' upserts were the largest part of a retag's
-- writes (171-206 ms of a 2,000-item write of 3,410 tags, against 68-138 ms for the insert), and
-- batching did not help, because 1.69M tags fall on 464,742 theme_account_weekly keys: a write
-- upserts about one key per tag (#14).
-- A transaction that sets `goldthread.rollup_deferred` to 'on' (the retag's writes) now appends
-- each tag's contribution, exactly the arguments theme_rollup_apply_many would have been given,
-- to rollup_pending; rollup_apply_pending() moves everything pending into the rollups in one
-- aggregated call (the retag calls it when it ends, and the worker's minute sweep calls it for
-- whatever a stopped retag left). Contributions are additive, so changes made meanwhile through
-- the ordinary triggers (a confirmed tag, an archived item) stay right in any order; until the
-- retag ends, its own changes are not yet in the counts.
-- Cost: one empty table; the three trigger functions go through one more function.

create table rollup_pending (
    theme_id    bigint not null,
    received_at timestamptz not null,
    source      text not null,
    account_id  bigint,
    nps_score   smallint,
    arr_cents   bigint,
    confirmed   boolean not null,
    sign        integer not null
);

create or replace function rollup_deferred() returns boolean as $$
    select coalesce(current_setting('goldthread.rollup_deferred', true), '') = 'on'
$$ language sql stable;

-- Where a tag statement's contributions go: into the rollups now, or, in a deferred
-- transaction, into rollup_pending (the same arguments, one row per contribution).
create or replace function rollup_contribute(
    p_theme bigint[], p_received timestamptz[], p_source text[], p_account bigint[],
    p_nps smallint[], p_arr bigint[], p_confirmed boolean[], p_sign integer[]
) returns void as $$
begin
    if rollup_deferred() then
        insert into rollup_pending (theme_id, received_at, source, account_id, nps_score, arr_cents, confirmed, sign)
        select * from unnest(p_theme, p_received, p_source, p_account, p_nps, p_arr, p_confirmed, p_sign);
    else
        perform theme_rollup_apply_many(p_theme, p_received, p_source, p_account, p_nps, p_arr, p_confirmed, p_sign);
    end if;
end;
$$ language plpgsql;

-- 0041's three tag triggers, through rollup_contribute.
create or replace function feedback_themes_rollup_ins() returns trigger as $$
begin
    perform rollup_contribute(array_agg(n.theme_id), array_agg(f.received_at), array_agg(f.source),
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
    perform rollup_contribute(array_agg(o.theme_id), array_agg(f.received_at), array_agg(f.source),
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
    perform rollup_contribute(array_agg(d.theme_id), array_agg(f.received_at), array_agg(f.source),
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

-- Move every committed pending contribution into the rollups, once: the rows are deleted by the
-- same statement that reads them, so two callers at once never apply one row twice.
-- Returns how many contributions were applied.
create or replace function rollup_apply_pending() returns bigint as $$
declare
    t bigint[]; r timestamptz[]; s text[]; a bigint[]; np smallint[]; arr bigint[];
    c boolean[]; sg integer[];
begin
    with m as (delete from rollup_pending returning *)
    select array_agg(theme_id), array_agg(received_at), array_agg(source), array_agg(account_id),
           array_agg(nps_score), array_agg(arr_cents), array_agg(confirmed), array_agg(sign)
    into t, r, s, a, np, arr, c, sg
    from m;
    if t is null then
        return 0;
    end if;
    perform theme_rollup_apply_many(t, r, s, a, np, arr, c, sg);
    return cardinality(t);
end;
$$ language plpgsql
-- A retag's 1.7M contributions group into ~465k keys: in memory, not spilled in 4 MB pieces.
set work_mem = '256MB';
