-- Grow the 10k demo database to ~1,000,000 feedback items and 300+ themes, tagged through
-- the normal triggers (which maintain the rollups row by row).
\timing on
insert into themes (name, description, keywords)
select 'Generated theme ' || g, 'Synthetic theme for load testing', array['keyword' || g, 'phrase ' || g]
from generate_series(1, 290) g;
insert into feedback (source, external_id, body, account_id, received_at, nps_score, arr_cents_snapshot)
select s.source, 'gen-' || g, 'Generated feedback ' || g || ' about ' || md5(g::text),
       a.id, now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second',
       case when s.source = 'nps' then (g % 11) end, a.arr_cents
from generate_series(1, 990000) g
cross join lateral (select (array['sales','success','support','support','support','nps','research','other'])[1 + g % 8] as source) s
left join accounts a on a.id = case when g % 7 <> 0 then 1 + (g * 31) % 300 end;
insert into feedback_themes (feedback_id, theme_id, origin, confidence, state)
select f.id, t.ids[1 + (f.id * 7919) % array_length(t.ids, 1)], 'auto', 0.5,
       case when f.id % 10 = 0 then 'confirmed' else 'suggested' end
from feedback f
cross join (select array_agg(id order by id) ids from themes where status = 'active') t
where f.external_id like 'gen-%';
vacuum analyze;
select (select count(*) from feedback) feedback, (select count(*) from themes where status='active') themes,
       (select count(*) from feedback_themes) tags, (select count(*) from theme_weekly) weekly_rows,
       (select count(*) from theme_account_weekly) account_weekly_rows;
