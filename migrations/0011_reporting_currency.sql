-- Money in one currency: the reporting currency every ARR total, sort and chart converts to, and
-- the dated exchange rates an admin keeps (there is no internet here to fetch them from).

create table app_settings (
    id                 boolean primary key default true check (id),
    reporting_currency text not null default 'USD' check (reporting_currency ~ '^[A-Z]{3}$'),
    updated_at         timestamptz not null default now()
);
insert into app_settings default values;
create trigger app_settings_updated_at before update on app_settings for each row execute function set_updated_at();

-- 1 `currency` = `rate` `quote` from `valid_from` until the pair's next rate. `quote` is the
-- reporting currency when the rate was entered; after the reporting currency changes, the old
-- rates still convert through it (see fx_rates_on).
create table exchange_rates (
    id         bigint generated always as identity primary key,
    currency   text not null check (currency ~ '^[A-Z]{3}$'),
    quote      text not null check (quote ~ '^[A-Z]{3}$'),
    rate       numeric(30, 12) not null check (rate > 0),
    valid_from date not null,
    created_by bigint references users (id) on delete set null,
    created_at timestamptz not null default now(),
    constraint exchange_rates_pair_differs check (currency <> quote)
);
create unique index exchange_rates_pair_date_key on exchange_rates (currency, quote, valid_from);

create or replace function reporting_currency() returns text language sql stable as $$
    select coalesce((select s.reporting_currency from app_settings s where s.id), 'USD')
$$;

-- Every currency that converts to the reporting currency on a day, with its rate: the reporting
-- currency itself (1), a rate entered against it, the inverse of a rate entered from it, or a
-- cross rate through a third currency that both have a rate to on that day. A currency with
-- none of these is absent: its amounts are left out and said so, never guessed.
create or replace function fx_rates_on(p_on date) returns table (currency text, rate numeric)
language sql stable as $$
    with latest as (
        select distinct on (x.currency, x.quote) x.currency, x.quote, x.rate
        from exchange_rates x where x.valid_from <= p_on
        order by x.currency, x.quote, x.valid_from desc),
    pairs as (
        select l.currency as c, l.quote as q, l.rate as r, 0 as inverted from latest l
        union all
        select l.quote, l.currency, 1 / l.rate, 1 from latest l),
    candidates as (
        select reporting_currency() as c, 1::numeric as r, 0 as pref, '' as via
        union all
        select p.c, p.r, 1 + p.inverted, '' from pairs p where p.q = reporting_currency()
        union all
        select a.c, a.r / b.r, 3, a.q from pairs a join pairs b on b.q = a.q
        where b.c = reporting_currency() and a.c <> reporting_currency())
    select distinct on (c) c, r from candidates order by c, pref, via
$$;

-- Cached figures (see 0007) were converted with the rates and currency of their time.
create trigger app_settings_changed after insert or update or delete or truncate on app_settings
    for each statement execute function rollup_changed();
create trigger exchange_rates_changed after insert or update or delete or truncate on exchange_rates
    for each statement execute function rollup_changed();
