-- Sentence vectors of feedback (#12): computed once by the worker when an item arrives, read by
-- tagging, retagging, similar feedback, near-duplicate offers and hybrid search.
-- `vector` is the model's unit vector as little-endian f32 (384 × 4 = 1,536 bytes for
-- all-MiniLM-L6-v2; pgvector is not in the Debian packages here). `model` names the weights
-- that made it and `text_hash` is md5 of the text embedded (title. body), so a model change or
-- an edit re-embeds and nothing else does. About 1.6 GB at a million items (TOAST keeps the
-- vectors out of line; no index but the key is needed: vectors are read by id).
create table feedback_embeddings (
    feedback_id bigint primary key references feedback (id) on delete cascade,
    model text not null,
    text_hash text not null,
    vector bytea not null,
    embedded_at timestamptz not null default now()
);

-- The backfill / re-embed job (`embed_all`). Job kinds are types in the code and the worker
-- refuses a kind it does not know, so the list of kinds is no longer a check constraint
-- (0040 drops it too, for databases that applied that one first).
alter table jobs drop constraint if exists jobs_kind_check;
