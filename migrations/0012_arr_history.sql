-- ARR at the time: every value an account's ARR has had, dated when it was recorded, so a feedback
-- item's ARR snapshot is the ARR valid at its received_at, also when it is imported back-dated.
-- ARR may now be none (an empty ARR field), which is not the same as 0.
-- Cost at a million feedback rows: the backfill touches accounts only; the snapshot trigger adds
-- one indexed lookup per inserted or re-dated feedback row.

alter table accounts alter column arr_cents drop not null, alter column arr_cents drop default;

create table account_arr_history (
    id          bigint generated always as identity primary key,
    account_id  bigint not null references accounts (id) on delete cascade,
    arr_cents   bigint check (arr_cents >= 0),
    currency    text not null check (currency ~ '^[A-Z]{3}$'),
    valid_from  timestamptz not null default now(),
    recorded_at timestamptz not null default now()
);
create index account_arr_history_account_idx on account_arr_history (account_id, valid_from desc, id desc);

-- What is known today: the history of every existing account starts now.
insert into account_arr_history (account_id, arr_cents, currency)
select id, arr_cents, currency from accounts order by id;

-- Every way an account is written (form, API, CSV import, demo) records the new value.
create or replace function accounts_arr_history() returns trigger as $$
begin
    if tg_op = 'INSERT' or old.arr_cents is distinct from new.arr_cents
       or old.currency is distinct from new.currency then
        insert into account_arr_history (account_id, arr_cents, currency)
        values (new.id, new.arr_cents, new.currency);
    end if;
    return null;
end;
$$ language plpgsql;

create trigger accounts_arr_history after insert or update of arr_cents, currency on accounts
    for each row execute function accounts_arr_history();

-- Every way feedback is written takes its snapshot from the history at received_at; an item older
-- than the history gets the earliest value known (pages say so). Items stored before this
-- migration keep the snapshot taken when they arrived. Runs before the rollup triggers see the row.
create or replace function feedback_arr_snapshot() returns trigger as $$
declare
    h record;
begin
    if new.account_id is null then
        return new;
    end if;
    if tg_op = 'UPDATE' and old.account_id is not distinct from new.account_id
       and old.received_at = new.received_at then
        return new;
    end if;
    select arr_cents, currency into h from account_arr_history
    where account_id = new.account_id and valid_from <= new.received_at
    order by valid_from desc, id desc limit 1;
    if not found then
        select arr_cents, currency into h from account_arr_history
        where account_id = new.account_id order by valid_from, id limit 1;
    end if;
    if found then
        new.arr_cents_snapshot := h.arr_cents;
        new.currency_snapshot := h.currency;
    end if;
    return new;
end;
$$ language plpgsql;

create trigger feedback_arr_snapshot before insert or update of account_id, received_at on feedback
    for each row execute function feedback_arr_snapshot();
