-- Foundation: people, API tokens, sign-in attempts and the audit log.
-- Sessions live in the `tower_sessions` schema, created by the session store itself.

create or replace function set_updated_at() returns trigger as $$
begin
    new.updated_at = now();
    return new;
end;
$$ language plpgsql;

create table users (
    id            bigint generated always as identity primary key,
    email         text not null check (email = lower(email) and length(email) between 3 and 254),
    name          text not null check (length(name) between 1 and 200),
    role          text not null check (role in ('admin', 'product_ops', 'pm', 'revenue', 'viewer')),
    team          text not null check (team in ('product', 'product_ops', 'sales', 'success', 'support', 'marketing', 'other')),
    password_hash text not null,
    is_demo       boolean not null default false,
    disabled_at   timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create unique index users_email_key on users (email);
create trigger users_updated_at before update on users for each row execute function set_updated_at();

create table api_tokens (
    id           bigint generated always as identity primary key,
    user_id      bigint not null references users (id) on delete cascade,
    label        text not null check (length(label) between 1 and 100),
    -- SHA-256 of the token, hex. The token itself is shown once and never stored.
    token_hash   text not null,
    -- The first characters of the token, so people can tell their tokens apart.
    prefix       text not null,
    created_by   bigint references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create unique index api_tokens_token_hash_key on api_tokens (token_hash);
create index api_tokens_user_id_idx on api_tokens (user_id);

create table sign_in_attempts (
    id           bigint generated always as identity primary key,
    email        text not null,
    address      text not null,
    succeeded    boolean not null,
    attempted_at timestamptz not null default now()
);
create index sign_in_attempts_email_idx on sign_in_attempts (email, attempted_at);
create index sign_in_attempts_address_idx on sign_in_attempts (address, attempted_at);

create table audit_log (
    id          bigint generated always as identity primary key,
    actor_id    bigint references users (id) on delete set null,
    -- Who it was, as shown at the time (kept when the user is later renamed or removed).
    actor_label text not null,
    action      text not null,
    entity_type text not null,
    entity_id   text,
    summary     text not null,
    before      jsonb,
    after       jsonb,
    at          timestamptz not null default now()
);
create index audit_log_at_idx on audit_log (at desc, id desc);
create index audit_log_entity_idx on audit_log (entity_type, entity_id);
