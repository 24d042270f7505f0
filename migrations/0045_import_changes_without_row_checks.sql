-- An import stages one `import_rows` row per line and its commit records one `import_changes`
-- row per item it writes (for undo and the "items of this import" list). At a million rows the
-- foreign keys of those two tables cost as much as writing the rows: each inserted row ran a
-- referential-integrity check (an index probe and a row lock) per key. Measured on 500,000
-- staged rows: the COPY into staging took 10.2 s with its key, 5.0 s without; in a commit, the
-- two keys of import_changes took 0.22 s per 10,000 rows, as long as inserting the rows (#14).
-- These rows are only ever written by staging and committing, from the batch just created (or
-- held locked) and the ids the commit's own insert returns, so the checks can never fail; what
-- the keys still did is the cascade, which statement triggers now do, once per statement.
-- A commit also reads the staged feedback in time order (its inserts into the time indexes of
-- feedback then stay local): an index for that order.
-- Cost: drops three constraints, adds two triggers and an index on the (usually empty) staging
-- table; nothing is rewritten.
alter table import_changes
    drop constraint import_changes_feedback_id_fkey,
    drop constraint import_changes_batch_id_fkey;
alter table import_rows drop constraint import_rows_batch_id_fkey;
create index import_rows_batch_time_idx
    on import_rows (batch_id, coalesce(received_at, 'infinity'::timestamptz), line);

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
    delete from import_rows r using old_batches o where r.batch_id = o.id;
    return null;
end;
$$ language plpgsql;

create trigger import_batches_changes_del after delete on import_batches
    referencing old table as old_batches for each statement
    execute function import_changes_forget_batch();
