-- Themes, tags on feedback, the rollups dashboards read, merges (for undo) and background jobs.

create table themes (
    id             bigint generated always as identity primary key,
    name           text not null check (length(name) between 1 and 120),
    description    text not null default '' check (length(description) <= 2000),
    keywords       text[] not null default '{}',
    parent_id      bigint references themes (id) on delete set null check (parent_id <> id),
    owner_id       bigint references users (id) on delete set null,
    status         text not null default 'active' check (status in ('active', 'archived', 'merged')),
    merged_into_id bigint references themes (id) on delete set null,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint themes_merged_has_target check ((status = 'merged') = (merged_into_id is not null))
);
-- Two active themes may not share a name; archived and merged ones keep theirs as history.
create unique index themes_active_name_key on themes (lower(name)) where status = 'active';
create index themes_parent_idx on themes (parent_id);
create index themes_merged_into_idx on themes (merged_into_id) where merged_into_id is not null;
create trigger themes_updated_at before update on themes for each row execute function set_updated_at();

create table feedback_themes (
    id          bigint generated always as identity primary key,
    feedback_id bigint not null references feedback (id) on delete cascade,
    theme_id    bigint not null references themes (id) on delete cascade,
    origin      text not null check (origin in ('auto', 'rule', 'manual')),
    confidence  real check (confidence between 0 and 1),
    state       text not null default 'suggested' check (state in ('suggested', 'confirmed', 'rejected')),
    decided_by  bigint references users (id) on delete set null,
    decided_at  timestamptz,
    created_at  timestamptz not null default now()
);
create unique index feedback_themes_feedback_theme_key on feedback_themes (feedback_id, theme_id);
create index feedback_themes_theme_state_idx on feedback_themes (theme_id, state, feedback_id);
-- The review queue: most confident suggestions first.
create index feedback_themes_suggested_idx on feedback_themes (confidence desc nulls last, id) where state = 'suggested';

-- Rollups, kept current by the triggers below in the same transaction as every change to a tag
-- or to the tagged feedback. A tag counts while it is suggested or confirmed and its feedback is
-- not archived. Weeks start on Monday (UTC).
create table theme_weekly (
    theme_id   bigint not null references themes (id) on delete cascade,
    week       date not null,
    source     text not null,
    items      integer not null default 0,
    confirmed  integer not null default 0,
    -- NPS answers among the tagged items (source = 'nps').
    promoters  integer not null default 0,
    passives   integer not null default 0,
    detractors integer not null default 0,
    primary key (theme_id, week, source)
);
create index theme_weekly_week_idx on theme_weekly (week, theme_id);

create table theme_account_weekly (
    theme_id   bigint not null references themes (id) on delete cascade,
    week       date not null,
    account_id bigint not null references accounts (id) on delete cascade,
    source     text not null,
    items      integer not null default 0,
    -- Sum and count of ARR snapshots, so the account's snapshot is their ratio and stays exact
    -- when tags are removed.
    arr_sum    bigint not null default 0,
    arr_items  integer not null default 0,
    promoters  integer not null default 0,
    passives   integer not null default 0,
    detractors integer not null default 0,
    primary key (theme_id, week, account_id, source)
);
create index theme_account_weekly_week_idx on theme_account_weekly (week, theme_id);

create or replace function theme_rollup_apply(
    p_theme bigint, p_received timestamptz, p_source text, p_account bigint,
    p_nps smallint, p_arr bigint, p_confirmed boolean, p_sign integer
) returns void as $$
declare
    w date := date_trunc('week', p_received at time zone 'UTC')::date;
begin
    insert into theme_weekly as t (theme_id, week, source, items, confirmed, promoters, passives, detractors)
    values (p_theme, w, p_source, p_sign, case when p_confirmed then p_sign else 0 end,
            case when p_nps >= 9 then p_sign else 0 end,
            case when p_nps between 7 and 8 then p_sign else 0 end,
            case when p_nps <= 6 then p_sign else 0 end)
    on conflict (theme_id, week, source) do update set
        items = t.items + excluded.items,
        confirmed = t.confirmed + excluded.confirmed,
        promoters = t.promoters + excluded.promoters,
        passives = t.passives + excluded.passives,
        detractors = t.detractors + excluded.detractors;
    if p_account is not null then
        insert into theme_account_weekly as t (theme_id, week, account_id, source, items, arr_sum, arr_items,
                                               promoters, passives, detractors)
        values (p_theme, w, p_account, p_source, p_sign, coalesce(p_arr, 0) * p_sign,
                case when p_arr is null then 0 else p_sign end,
                case when p_nps >= 9 then p_sign else 0 end,
                case when p_nps between 7 and 8 then p_sign else 0 end,
                case when p_nps <= 6 then p_sign else 0 end)
        on conflict (theme_id, week, account_id, source) do update set
            items = t.items + excluded.items,
            arr_sum = t.arr_sum + excluded.arr_sum,
            arr_items = t.arr_items + excluded.arr_items,
            promoters = t.promoters + excluded.promoters,
            passives = t.passives + excluded.passives,
            detractors = t.detractors + excluded.detractors;
    end if;
end;
$$ language plpgsql;

-- A tag was added, changed or removed: take its old contribution out and put the new one in.
create or replace function feedback_themes_rollup() returns trigger as $$
declare
    f record;
begin
    if tg_op in ('UPDATE', 'DELETE') and old.state <> 'rejected' then
        select source, received_at, account_id, nps_score, arr_cents_snapshot into f
        from feedback where id = old.feedback_id and archived_at is null;
        if found then
            perform theme_rollup_apply(old.theme_id, f.received_at, f.source, f.account_id,
                                       f.nps_score, f.arr_cents_snapshot, old.state = 'confirmed', -1);
        end if;
    end if;
    if tg_op in ('UPDATE', 'INSERT') and new.state <> 'rejected' then
        select source, received_at, account_id, nps_score, arr_cents_snapshot into f
        from feedback where id = new.feedback_id and archived_at is null;
        if found then
            perform theme_rollup_apply(new.theme_id, f.received_at, f.source, f.account_id,
                                       f.nps_score, f.arr_cents_snapshot, new.state = 'confirmed', 1);
        end if;
    end if;
    return null;
end;
$$ language plpgsql;

create trigger feedback_themes_rollup after insert or delete or update of theme_id, feedback_id, state
    on feedback_themes for each row execute function feedback_themes_rollup();

-- The tagged feedback changed in a way the rollups see (archived, re-dated, moved account…).
create or replace function feedback_rollup() returns trigger as $$
declare
    tag record;
begin
    for tag in select theme_id, state from feedback_themes
               where feedback_id = old.id and state <> 'rejected' loop
        if old.archived_at is null then
            perform theme_rollup_apply(tag.theme_id, old.received_at, old.source, old.account_id,
                                       old.nps_score, old.arr_cents_snapshot, tag.state = 'confirmed', -1);
        end if;
        if tg_op = 'UPDATE' and new.archived_at is null then
            perform theme_rollup_apply(tag.theme_id, new.received_at, new.source, new.account_id,
                                       new.nps_score, new.arr_cents_snapshot, tag.state = 'confirmed', 1);
        end if;
    end loop;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end;
$$ language plpgsql;

create trigger feedback_rollup_update after update of archived_at, received_at, source, account_id, nps_score, arr_cents_snapshot
    on feedback for each row
    when (old.archived_at is distinct from new.archived_at
          or old.received_at is distinct from new.received_at
          or old.source is distinct from new.source
          or old.account_id is distinct from new.account_id
          or old.nps_score is distinct from new.nps_score
          or old.arr_cents_snapshot is distinct from new.arr_cents_snapshot)
    execute function feedback_rollup();
-- Before the delete, while the tags are still there (their cascade then finds no feedback).
create trigger feedback_rollup_delete before delete on feedback for each row execute function feedback_rollup();

-- A merge, kept so it can be undone: which tags moved, and which duplicates were dropped.
create table theme_merges (
    id             bigint generated always as identity primary key,
    source_id      bigint not null references themes (id) on delete cascade,
    target_id      bigint not null references themes (id) on delete cascade,
    moved_tag_ids  bigint[] not null default '{}',
    dropped_tags   jsonb not null default '[]'::jsonb,
    merged_by      bigint references users (id) on delete set null,
    merged_at      timestamptz not null default now(),
    undone_at      timestamptz
);
create index theme_merges_source_idx on theme_merges (source_id, merged_at desc);

-- Background work, claimed with `for update skip locked` by any app process.
create table jobs (
    id             bigint generated always as identity primary key,
    kind           text not null check (kind in ('retag_all', 'tag_feedback')),
    payload        jsonb not null default '{}'::jsonb,
    state          text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
    progress_done  integer not null default 0,
    progress_total integer not null default 0,
    error          text,
    created_by     bigint references users (id) on delete set null,
    created_at     timestamptz not null default now(),
    started_at     timestamptz,
    finished_at    timestamptz,
    updated_at     timestamptz not null default now()
);
create index jobs_queued_idx on jobs (id) where state = 'queued';
create index jobs_kind_idx on jobs (kind, id desc);
create trigger jobs_updated_at before update on jobs for each row execute function set_updated_at();

-- NPS answers per account and week, so "NPS of the accounts that mention a theme" reads a
-- rollup instead of the answers themselves. Kept current by a trigger on feedback.
create table account_nps_weekly (
    account_id bigint not null references accounts (id) on delete cascade,
    week       date not null,
    promoters  integer not null default 0,
    passives   integer not null default 0,
    detractors integer not null default 0,
    primary key (account_id, week)
);
create index account_nps_weekly_week_idx on account_nps_weekly (week, account_id);

create or replace function account_nps_apply(p_account bigint, p_received timestamptz, p_nps smallint, p_sign integer)
returns void as $$
begin
    insert into account_nps_weekly as t (account_id, week, promoters, passives, detractors)
    values (p_account, date_trunc('week', p_received at time zone 'UTC')::date,
            case when p_nps >= 9 then p_sign else 0 end,
            case when p_nps between 7 and 8 then p_sign else 0 end,
            case when p_nps <= 6 then p_sign else 0 end)
    on conflict (account_id, week) do update set
        promoters = t.promoters + excluded.promoters,
        passives = t.passives + excluded.passives,
        detractors = t.detractors + excluded.detractors;
end;
$$ language plpgsql;

create or replace function feedback_account_nps() returns trigger as $$
begin
    if tg_op in ('UPDATE', 'DELETE') and old.nps_score is not null and old.account_id is not null
       and old.archived_at is null then
        perform account_nps_apply(old.account_id, old.received_at, old.nps_score, -1);
    end if;
    if tg_op in ('UPDATE', 'INSERT') and new.nps_score is not null and new.account_id is not null
       and new.archived_at is null then
        perform account_nps_apply(new.account_id, new.received_at, new.nps_score, 1);
    end if;
    return null;
end;
$$ language plpgsql;

create trigger feedback_account_nps after insert or delete or update of nps_score, account_id, received_at, archived_at
    on feedback for each row execute function feedback_account_nps();

-- Answers that arrived before this migration.
insert into account_nps_weekly (account_id, week, promoters, passives, detractors)
select account_id, date_trunc('week', received_at at time zone 'UTC')::date,
       count(*) filter (where nps_score >= 9), count(*) filter (where nps_score between 7 and 8),
       count(*) filter (where nps_score <= 6)
from feedback where nps_score is not null and account_id is not null and archived_at is null
group by 1, 2;
