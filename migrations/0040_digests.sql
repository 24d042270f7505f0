-- Digests (the readiness news of a period, per audience), their email sends and reads, feed
-- tokens for Atom readers, one-click unsubscribes, and outgoing chat webhooks with their
-- deliveries. Jobs gain a "not before" time so retries can wait (backoff).

-- Job kinds are types in the code (`JobKind`); the worker refuses a kind it does not know, so the
-- list of kinds no longer lives in a check constraint that every new kind would have to widen.
alter table jobs drop constraint if exists jobs_kind_check;
alter table jobs add column run_after timestamptz not null default now();

create table digests (
    id           bigint generated always as identity primary key,
    title        text not null check (length(title) between 1 and 200),
    period_start date not null,
    period_end   date not null,
    audience     text not null default 'everyone'
                 check (audience in ('everyone', 'sales', 'success', 'support', 'marketing')),
    intro        text not null default '' check (length(intro) <= 20000),
    state        text not null default 'draft' check (state in ('draft', 'published')),
    -- What a published digest quoted beyond the guides (rising themes with a quote each, the
    -- FAQ and the questions still open), frozen when it was published.
    snapshot     jsonb,
    created_by   bigint references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    published_at timestamptz,
    published_by bigint references users (id) on delete set null,
    check (period_end >= period_start),
    check ((state = 'published') = (published_at is not null and snapshot is not null))
);
create index digests_audience_idx on digests (audience, published_at desc);
create trigger digests_updated_at before update on digests for each row execute function set_updated_at();

-- The launches of a digest in display order; `revision_number` is the guide revision a
-- published digest quotes (revisions are never edited, so the number freezes the text).
create table digest_launches (
    digest_id       bigint not null references digests (id) on delete cascade,
    launch_id       bigint not null references launches (id) on delete restrict,
    position        integer not null,
    revision_number integer,
    primary key (digest_id, launch_id)
);
create index digest_launches_launch_idx on digest_launches (launch_id);

-- Who opened a digest, first and last time.
create table digest_reads (
    digest_id     bigint not null references digests (id) on delete cascade,
    user_id       bigint not null references users (id) on delete cascade,
    first_read_at timestamptz not null default now(),
    last_read_at  timestamptz not null default now(),
    reads         integer not null default 1,
    primary key (digest_id, user_id)
);

-- One row per digest and recipient: a resend mails only those not yet sent.
create table digest_emails (
    digest_id  bigint not null references digests (id) on delete cascade,
    user_id    bigint not null references users (id) on delete cascade,
    email      text not null,
    state      text not null check (state in ('sent', 'failed')),
    attempts   integer not null default 1,
    last_error text,
    sent_at    timestamptz,
    updated_at timestamptz not null default now(),
    primary key (digest_id, user_id)
);

-- Digest email subscription per user (a row means unsubscribed).
create table digest_unsubscribes (
    user_id         bigint primary key references users (id) on delete cascade,
    unsubscribed_at timestamptz not null default now()
);

-- Secrets the server generates once and keeps (e.g. the key that signs unsubscribe links).
create table server_secrets (
    name       text primary key,
    secret     bytea not null check (length(secret) >= 32),
    created_at timestamptz not null default now()
);

-- Per-user tokens that open the Atom feeds without a session; stored as SHA-256 hex.
create table feed_tokens (
    id           bigint generated always as identity primary key,
    user_id      bigint not null references users (id) on delete cascade,
    token_hash   text not null unique,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create index feed_tokens_user_idx on feed_tokens (user_id);

-- Outgoing chat webhooks (Slack-compatible incoming-webhook URLs) and the events each wants.
create table webhooks (
    id         bigint generated always as identity primary key,
    name       text not null check (length(name) between 1 and 100),
    url        text not null check (length(url) between 8 and 2000),
    events     text[] not null default '{}'
               check (events <@ array['guide_published', 'digest_published', 'theme_spiking']::text[]),
    enabled    boolean not null default true,
    created_by bigint references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger webhooks_updated_at before update on webhooks for each row execute function set_updated_at();

create table webhook_deliveries (
    id           bigint generated always as identity primary key,
    webhook_id   bigint not null references webhooks (id) on delete cascade,
    event        text not null,
    payload      jsonb not null,
    state        text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
    attempts     integer not null default 0,
    last_status  integer,
    last_error   text,
    created_at   timestamptz not null default now(),
    last_try_at  timestamptz,
    delivered_at timestamptz
);
create index webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, id desc);

-- A theme spike is announced once per theme and week.
create table theme_spike_notices (
    theme_id   bigint not null references themes (id) on delete cascade,
    week       date not null,
    items      bigint not null,
    average    double precision not null,
    created_at timestamptz not null default now(),
    primary key (theme_id, week)
);
