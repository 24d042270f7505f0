-- The weekly support/product triage: every decision taken on a support item (a support-sourced
-- feedback item or a question from the support team), with who took it and when. An item is
-- reviewed once it has a decision; the week is the Monday (UTC) of the call that took it.
create table triage_decisions (
    id           bigint generated always as identity primary key,
    item_type    text not null check (item_type in ('feedback', 'question')),
    item_id      bigint not null,
    week         date not null,
    action       text not null check (action in ('reviewed', 'confirm_theme', 'change_theme', 'link_launch', 'escalate')),
    theme_id     bigint references themes (id) on delete set null,
    launch_id    bigint references launches (id) on delete set null,
    escalated_to bigint references users (id) on delete set null,
    decided_by   bigint references users (id) on delete set null,
    decided_at   timestamptz not null default now()
);
create index triage_decisions_item_idx on triage_decisions (item_type, item_id);
create index triage_decisions_week_idx on triage_decisions (week, decided_at);
-- Questions that a PM was asked to answer from the triage.
alter table questions add column escalated_to bigint references users (id) on delete set null;
