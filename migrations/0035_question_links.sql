-- A question's launch guessed from its text, offered to the person until they confirm it (it
-- becomes `launch_id`) or decline it (it is cleared). Also the channel in the weekly index, so
-- the dashboard filtered by channel stays index-only.
alter table questions add column launch_guess_id bigint references launches (id) on delete set null;
create index questions_week_channel_idx on questions (asked_at, team, kind) include (minutes, launch_id, channel);
drop index questions_week_idx;
-- A feature request logged as feedback from its question ("log as feedback"), linked back.
alter table questions add column feedback_id bigint references feedback (id) on delete set null;
