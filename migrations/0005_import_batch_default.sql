-- Staged rows take their batch from the transaction (`set local goldthread.import_batch = …`),
-- so a file's rows can be streamed with COPY without rewriting them.
alter table import_rows
    alter column batch_id set default nullif(current_setting('goldthread.import_batch', true), '')::bigint;
