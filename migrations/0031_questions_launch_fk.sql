-- Questions name the launch they concern (launches landed beside questions in 0020).
alter table questions
    add constraint questions_launch_id_fkey foreign key (launch_id) references launches (id) on delete set null;
create index questions_launch_idx on questions (launch_id, asked_at) where launch_id is not null;
