-- The account page lists the themes an account's feedback falls into, from the rollup.
create index theme_account_weekly_account_idx on theme_account_weekly (account_id, theme_id);
