-- API tokens can expire: the admin chooses a lifetime when creating one (null: never).
-- Adding a nullable column without a default rewrites nothing, whatever the table holds.
alter table api_tokens add column expires_at timestamptz;
