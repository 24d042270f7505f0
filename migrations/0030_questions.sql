-- Inbound questions that revenue teams bring to product, classified awareness / readiness / other.
-- `launch_id` names the launch a question concerns; its foreign key is added by the migration
-- that links questions to launches (the launches table lands separately).
create table questions (
    id                 bigint generated always as identity primary key,
    text               text not null check (length(text) between 1 and 4000),
    asked_by_id        bigint references users (id) on delete set null,
    asked_by_name      text check (length(asked_by_name) <= 200),
    team               text not null check (team in ('sales', 'success', 'support', 'marketing', 'other')),
    channel            text not null default 'other' check (channel in ('chat', 'email', 'meeting', 'form', 'other')),
    asked_at           timestamptz not null default now(),
    launch_id          bigint,
    theme_id           bigint references themes (id) on delete set null,
    status             text not null default 'open' check (status in ('open', 'answered')),
    answer             text check (length(answer) <= 20000),
    answered_by_id     bigint references users (id) on delete set null,
    answered_at        timestamptz,
    minutes            integer check (minutes between 0 and 1440),
    kind               text not null check (kind in ('awareness', 'readiness', 'other')),
    kind_confidence    real,
    kind_overridden_by bigint references users (id) on delete set null,
    kind_overridden_at timestamptz,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);
create index questions_asked_idx on questions (asked_at desc, id desc);
-- The dashboard's weekly readiness share and PM minutes: index-only over the period.
create index questions_week_idx on questions (asked_at, team, kind) include (minutes, launch_id);
create index questions_open_idx on questions (asked_at, id) where status = 'open';
create index questions_overrides_idx on questions (kind_overridden_at) where kind_overridden_at is not null;
create trigger questions_updated_at before update on questions for each row execute function set_updated_at();
