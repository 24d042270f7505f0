-- The emerging-themes page keeps its clusters of untagged feedback in memory too: a new, edited
-- or deleted item (tagged or not) moves the same sequence, so the clusters are recomputed.
create trigger feedback_changed after insert or update or delete or truncate on feedback
    for each statement execute function rollup_changed();
create trigger feedback_themes_changed after insert or update or delete or truncate on feedback_themes
    for each statement execute function rollup_changed();
