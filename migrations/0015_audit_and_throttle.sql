-- Sign-in throttling state shared by every `serve` process: failures in a row per account
-- (email) and per client address, and until when each must wait. Growing delays are computed
-- by the app (src/auth/throttle.rs); an admin can clear an account's row (unlock).
create table sign_in_throttle (
    scope           text not null check (scope in ('account', 'address')),
    key             text not null,
    failures        integer not null default 0 check (failures >= 0),
    last_failure_at timestamptz not null default now(),
    locked_until    timestamptz,
    primary key (scope, key)
);
create index sign_in_throttle_last_failure_idx on sign_in_throttle (last_failure_at);

-- The audit log page filters by who and pages newest first within a kind of thing.
create index audit_log_actor_at_idx on audit_log (actor_label, at desc, id desc);
create index audit_log_entity_at_idx on audit_log (entity_type, at desc, id desc);
