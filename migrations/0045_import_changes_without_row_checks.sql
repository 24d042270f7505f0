-- A feedback import records one `import_changes` row per item it writes (for undo and the
-- "items of this import" list). At a million rows the two foreign keys of that table cost as
-- much as writing the rows themselves: each inserted row ran two referential-integrity checks
-- (an index probe and a row lock on feedback and on the batch), about 45 µs a row together
-- under load, 20 % of a commit (#14). The rows are only ever written by the commit itself, from
-- the ids its own insert returns and the batch it holds locked, so the checks can never fail;
-- what the keys still did is the cascade, which statement triggers now do, once per statement.
-- Cost: drops two constraints and adds two triggers; nothing is rewritten.
alter table import_changes
    drop constraint import_changes_feedback_id_fkey,
    drop constraint import_changes_batch_id_fkey;

create or replace function import_changes_forget_feedback() returns trigger as $$
begin
    delete from import_changes c using old_feedback o where c.feedback_id = o.id;
    return null;
end;
$$ language plpgsql;

create trigger feedback_import_changes_del after delete on feedback
    referencing old table as old_feedback for each statement
    execute function import_changes_forget_feedback();

create or replace function import_changes_forget_batch() returns trigger as $$
begin
    delete from import_changes c using old_batches o where c.batch_id = o.id;
    return null;
end;
$$ language plpgsql;

create trigger import_batches_changes_del after delete on import_batches
    referencing old table as old_batches for each statement
    execute function import_changes_forget_batch();
