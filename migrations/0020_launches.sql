-- Launches ("what product builds"), the themes each answers ("what revenue hears"), readiness
-- guides with their revisions and review workflow, per-team checklists, acknowledgements and
-- the follow-up tasks that track telling the accounts who asked. All new tables: no rewrite.

create table launches (
    id            bigint generated always as identity primary key,
    name          text not null check (length(name) between 1 and 200),
    summary       text not null default '' check (length(summary) <= 500),
    status        text not null default 'planned'
                  check (status in ('planned', 'building', 'beta', 'generally_available', 'retired')),
    target_date   date,
    shipped_date  date,
    owner_id      bigint references users (id) on delete set null,
    area          text not null default '' check (length(area) <= 100),
    tracker_links text[] not null default '{}',
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create unique index launches_name_key on launches (lower(name));
create index launches_target_idx on launches (target_date);
create trigger launches_updated_at before update on launches for each row execute function set_updated_at();

create table launch_themes (
    launch_id bigint not null references launches (id) on delete cascade,
    theme_id  bigint not null references themes (id) on delete cascade,
    primary key (launch_id, theme_id)
);
create index launch_themes_theme_idx on launch_themes (theme_id, launch_id);

-- One guide per launch: where its review workflow stands and which revision readers see.
create table guides (
    launch_id        bigint primary key references launches (id) on delete cascade,
    state            text not null default 'draft' check (state in ('draft', 'in_review', 'published')),
    published_number integer,
    reviewer_id      bigint references users (id) on delete set null,
    submitted_by     bigint references users (id) on delete set null,
    submitted_at     timestamptz,
    review_comment   text not null default '',
    updated_at       timestamptz not null default now()
);

-- Every save is a revision, numbered from 1 per guide; never updated except when published.
create table guide_revisions (
    id           bigint generated always as identity primary key,
    launch_id    bigint not null references guides (launch_id) on delete cascade,
    number       integer not null check (number > 0),
    value        text not null default '',
    sales        text not null default '',
    success      text not null default '',
    support      text not null default '',
    marketing    text not null default '',
    prepare      text not null default '',
    links        text not null default '',
    faq          jsonb not null default '[]'::jsonb check (jsonb_typeof(faq) = 'array'),
    note         text not null default '' check (length(note) <= 500),
    minor        boolean not null default false,
    author_id    bigint references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    published_at timestamptz,
    published_by bigint references users (id) on delete set null,
    unique (launch_id, number)
);

create table guide_acknowledgements (
    launch_id       bigint not null references guides (launch_id) on delete cascade,
    user_id         bigint not null references users (id) on delete cascade,
    revision_number integer not null,
    acknowledged_at timestamptz not null default now(),
    primary key (launch_id, user_id, revision_number)
);

create table checklist_items (
    id         bigint generated always as identity primary key,
    launch_id  bigint not null references launches (id) on delete cascade,
    team       text not null check (team in ('product', 'product_ops', 'sales', 'success', 'support', 'marketing', 'other')),
    text       text not null check (length(text) between 1 and 300),
    done_at    timestamptz,
    done_by    bigint references users (id) on delete set null,
    created_at timestamptz not null default now()
);
create index checklist_items_launch_idx on checklist_items (launch_id, team);

-- One follow-up per launch and account: "tell the customers who asked", tracked.
create table followup_tasks (
    id          bigint generated always as identity primary key,
    launch_id   bigint not null references launches (id) on delete cascade,
    account_id  bigint not null references accounts (id) on delete cascade,
    assignee_id bigint references users (id) on delete set null,
    done_at     timestamptz,
    done_by     bigint references users (id) on delete set null,
    created_at  timestamptz not null default now(),
    constraint followup_tasks_launch_account_key unique (launch_id, account_id)
);
create index followup_tasks_assignee_idx on followup_tasks (assignee_id) where done_at is null;
