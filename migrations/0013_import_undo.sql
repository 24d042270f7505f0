-- Imports people can trust and undo.
-- Staged rows keep what the file said about the account (to warn when nothing matches), the
-- reporter's email, and the other reading of a date both day/month orders can read (so the
-- preview can switch). A committed feedback import records each item it wrote, with the item
-- as it was before when the import updated it, so it can be undone; the batch says who undid it.
-- Cost: new nullable columns and a new table; nothing is rewritten.

alter table import_rows
    add column account_text    text,
    add column reporter_email  text,
    add column received_at_alt timestamptz;

alter table import_batches
    add column date_order      text check (date_order in ('month_first', 'day_first')),
    add column dates_ambiguous boolean not null default false,
    add column undone_at       timestamptz,
    add column undone_by       bigint references users (id) on delete set null;

-- One row per feedback item a committed import wrote: `before` holds the item's fields as they
-- were when the import updated it, and is null when the import created the item.
create table import_changes (
    batch_id    bigint not null references import_batches (id) on delete cascade,
    feedback_id bigint not null references feedback (id) on delete cascade,
    before      jsonb,
    primary key (batch_id, feedback_id)
);
create index import_changes_feedback_idx on import_changes (feedback_id);
