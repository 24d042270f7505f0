-- Accounts (customer organisations) and the feedback collected about them.

create extension if not exists pg_trgm;

create table accounts (
    id          bigint generated always as identity primary key,
    external_id text not null check (length(external_id) between 1 and 200),
    name        text not null check (length(name) between 1 and 300),
    domain      text,
    arr_cents   bigint not null default 0 check (arr_cents >= 0),
    currency    text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
    segment     text check (segment in ('smb', 'mid_market', 'enterprise')),
    plan        text,
    lifecycle   text not null default 'customer' check (lifecycle in ('prospect', 'customer', 'churned')),
    owner_id    bigint references users (id) on delete set null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create unique index accounts_external_id_key on accounts (external_id);
create index accounts_domain_idx on accounts (domain);
create index accounts_arr_idx on accounts (arr_cents desc, id desc);
create index accounts_name_trgm_idx on accounts using gin (name gin_trgm_ops);
create trigger accounts_updated_at before update on accounts for each row execute function set_updated_at();

create table feedback (
    id                 bigint generated always as identity primary key,
    source             text not null check (source in ('sales', 'success', 'support', 'nps', 'research', 'other')),
    external_id        text check (length(external_id) between 1 and 200),
    title              text check (length(title) <= 300),
    body               text not null check (length(body) between 1 and 20000),
    account_id         bigint references accounts (id) on delete set null,
    contact_email      text,
    reporter_id        bigint references users (id) on delete set null,
    received_at        timestamptz not null default now(),
    nps_score          smallint check (nps_score between 0 and 10),
    -- The account's ARR when the feedback arrived, so revenue weighting stays true after churn or growth.
    arr_cents_snapshot bigint,
    currency_snapshot  text,
    metadata           jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
    archived_at        timestamptz,
    search             tsvector generated always as (
                           setweight(to_tsvector('english', coalesce(title, '')), 'A')
                           || setweight(to_tsvector('english', body), 'B')
                       ) stored,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    constraint feedback_nps_score_only_for_nps check ((source = 'nps') = (nps_score is not null))
);
-- Ingesting the same record twice updates it: (source, external_id) is the identity of outside records.
create unique index feedback_source_external_id_key on feedback (source, external_id);
create index feedback_received_idx on feedback (received_at desc, id desc);
create index feedback_source_received_idx on feedback (source, received_at desc, id desc);
create index feedback_account_received_idx on feedback (account_id, received_at desc, id desc);
create index feedback_reporter_received_idx on feedback (reporter_id, received_at desc, id desc);
create index feedback_nps_received_idx on feedback (nps_score, received_at desc, id desc) where nps_score is not null;
create index feedback_search_idx on feedback using gin (search);
create trigger feedback_updated_at before update on feedback for each row execute function set_updated_at();

-- CSV imports: a file is parsed and validated, its rows copied here, previewed, then committed
-- into `feedback` (or `accounts`) in one transaction.
create table import_batches (
    id            bigint generated always as identity primary key,
    kind          text not null check (kind in ('feedback', 'accounts')),
    filename      text not null,
    format        text not null,
    mapping       jsonb not null default '[]'::jsonb,
    user_id       bigint references users (id) on delete set null,
    total_rows    integer not null default 0,
    done_rows     integer not null default 0,
    state         text not null default 'staged' check (state in ('staged', 'committing', 'committed', 'failed', 'cancelled')),
    error         text,
    inserted_rows integer,
    updated_rows  integer,
    created_at    timestamptz not null default now(),
    finished_at   timestamptz
);

create unlogged table import_rows (
    batch_id            bigint not null references import_batches (id) on delete cascade,
    line                bigint not null,
    source              text,
    external_id         text,
    title               text,
    body                text,
    account_external_id text,
    company_domain      text,
    contact_email       text,
    received_at         timestamptz,
    nps_score           smallint,
    metadata            jsonb,
    -- accounts imports
    name                text,
    domain              text,
    arr_cents           bigint,
    currency            text,
    segment             text,
    plan                text,
    lifecycle           text
);
create index import_rows_batch_idx on import_rows (batch_id, line);
