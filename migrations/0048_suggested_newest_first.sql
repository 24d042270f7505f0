-- The review queue breaks confidence ties newest first, as a theme's tag list does, so that one
-- theme's suggestions are read in the order of `feedback_themes_theme_confidence_idx` (theme,
-- state, confidence desc nulls last, id desc) and stop at the page's limit. With the old order
-- (ties oldest first) the planner walked the all-themes index below and filtered out every
-- other theme's suggestions: 5,580 rows and 4,234 pages read from disk for one theme's first 10
-- at a million items.
drop index feedback_themes_suggested_idx;
create index feedback_themes_suggested_idx
    on feedback_themes (confidence desc nulls last, id desc) where state = 'suggested';
