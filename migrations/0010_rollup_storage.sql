-- Rollup rows are updated in place on every tag change: leave room on each page so updates stay
-- on it (HOT), and vacuum them as soon as a few thousand versions are dead rather than after a
-- fifth of the table, so a large retag does not leave the dashboards scanning dead rows.
alter table theme_weekly set (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
alter table theme_account_weekly set (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 5000);
alter table account_nps_weekly set (fillfactor = 70, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000);
