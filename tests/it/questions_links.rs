//! Questions and launches: the launch picked or guessed (and confirmed), the dashboard's period,
//! team, launch and channel filters (and the API's), readiness share per launch before and after
//! its guide, repeated questions into a DRAFT FAQ revision, and "log as feedback".

use axum::http::{Method, StatusCode};
use goldthread::auth::Role;
use goldthread::launches::guide::{Faq, GuideContent};
use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::home::publish_guide;
use crate::launches::launch;

async fn asked(
    pool: &PgPool,
    text: &str,
    kind: &str,
    team: &str,
    channel: &str,
    launch: Option<i64>,
    days_ago: i32,
) -> i64 {
    sqlx::query_scalar(
        "insert into questions (text, team, channel, kind, launch_id, asked_at)
         values ($1, $2, $3, $4, $5, now() - make_interval(days => $6)) returning id",
    )
    .bind(text)
    .bind(team)
    .bind(channel)
    .bind(kind)
    .bind(launch)
    .bind(days_ago)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn the_launch_is_picked_or_guessed_and_the_person_confirms_the_guess(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let rules = launch(&app.pool, "Approval rules", &[]).await;
    let wallets = launch(&app.pool, "Multi-currency wallets", &[]).await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let form = sales.get("/questions/new").await;
    assert!(
        form.body.contains("Multi-currency wallets"),
        "the launch list"
    );

    // Picked on the form.
    let res = sales
        .post_form(
            "/questions",
            &[
                ("text", "Can we get early access?"),
                ("launch_id", &wallets.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let picked: (Option<i64>, Option<i64>) =
        sqlx::query_as("select launch_id, launch_guess_id from questions order by id desc limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(picked, (Some(wallets), None));
    // A launch that does not exist is a field message, not a 500.
    let res = sales
        .post_form("/questions", &[("text", "Hm?"), ("launch_id", "999999")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose a launch from the list"));

    // Guessed from the text, offered, confirmed.
    let res = sales
        .post_form(
            "/questions",
            &[("text", "Which customers get the new approval rule first?")],
        )
        .await;
    let id: i64 = app.count("select max(id) from questions").await;
    let page = sales.get(res.location().unwrap()).await;
    assert!(
        page.body.contains("This looks like a question about"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Yes, link it to Approval rules"));
    let res = sales
        .post_form(&format!("/questions/{id}/launch"), &[("choice", "confirm")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let linked: Option<i64> = sqlx::query_scalar("select launch_id from questions where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(linked, Some(rules));
    let page = sales.get(&format!("/questions/{id}")).await;
    assert!(!page.body.contains("This looks like a question about"));
    assert!(page.body.contains("Launch: <a href=\"/launches/"));

    // Declined: no launch, and the offer is gone.
    sales
        .post_form("/questions", &[("text", "Do approval rules cost extra?")])
        .await;
    let id: i64 = app.count("select max(id) from questions").await;
    sales
        .post_form(&format!("/questions/{id}/launch"), &[("choice", "decline")])
        .await;
    let row: (Option<i64>, Option<i64>) =
        sqlx::query_as("select launch_id, launch_guess_id from questions where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(row, (None, None));
    // Nothing to settle any more: 404, not 500.
    let res = sales
        .post_form(&format!("/questions/{id}/launch"), &[("choice", "confirm")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn readiness_share_per_launch_before_and_after_its_guide(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let l = launch(&app.pool, "Approval rules", &[]).await;
    publish_guide(
        &app,
        l,
        GuideContent {
            value: "Rules.".into(),
            ..Default::default()
        },
    )
    .await;
    // The guide was published 30 days ago; 3 awareness + 1 readiness before, 1 + 3 after.
    sqlx::query(
        "update guide_revisions set published_at = now() - interval '30 days' where launch_id = $1",
    )
    .bind(l)
    .execute(&app.pool)
    .await
    .unwrap();
    for (kind, days) in [
        ("awareness", 60),
        ("awareness", 50),
        ("awareness", 40),
        ("readiness", 45),
    ] {
        asked(&app.pool, "q", kind, "sales", "chat", Some(l), days).await;
    }
    for (kind, days) in [
        ("awareness", 20),
        ("readiness", 10),
        ("readiness", 5),
        ("readiness", 3),
        ("other", 2),
    ] {
        asked(&app.pool, "q", kind, "success", "email", Some(l), days).await;
    }
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let page = pm.get("/questions").await;
    let by_launch = &page.body[page.body.find("id=\"by-launch\"").unwrap()..];
    let by_launch = &by_launch[..by_launch.find("</section>").unwrap()];
    assert!(by_launch.contains("Approval rules"), "{by_launch}");
    assert!(
        by_launch.contains("25 % <span class=\"muted\">of 4</span>"),
        "{by_launch}"
    );
    assert!(by_launch.contains("75 % <span class=\"muted\">of 4</span>"));
    assert!(by_launch.contains("+50 points"));

    // Filters: team, channel, launch, period narrow every figure.
    let page = pm.get("/questions?team=sales").await;
    assert!(page.body.contains("25 % <span class=\"muted\">of 4</span>"));
    assert!(
        page.body.contains("– <span class=\"muted\">of 0</span>"),
        "no sales questions after"
    );
    let page = pm
        .get(&format!("/questions?channel=email&launch={l}"))
        .await;
    assert!(page.body.contains("75 % <span class=\"muted\">of 4</span>"));
    let other = launch(&app.pool, "Wallets", &[]).await;
    let page = pm.get(&format!("/questions?launch={other}")).await;
    assert!(
        page.body
            .contains("No question in this period names a launch")
    );
    let page = pm.get("/questions?from=2000-01-01&to=2000-01-31").await;
    assert!(
        page.body
            .contains("No question in this period names a launch")
    );
    // Bad filter values are ignored, never a 500.
    let page = pm
        .get("/questions?from=yesterday&launch=x&channel=fax&team=%00")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csv = pm.get("/questions/weekly.csv?team=success").await;
    assert!(
        csv.body.lines().skip(1).all(|l| l.contains(",success,")),
        "{}",
        csv.body
    );

    // The API takes the same filters.
    let (token, _) = app.token(Role::Viewer).await;
    let mut c = app.client();
    let res = c
        .api(
            Method::GET,
            &format!("/api/v1/questions?launch={l}&channel=email"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["items"].as_array().unwrap().len(), 5);
    assert_eq!(res.json()["items"][0]["launch_id"], l);
    let from = (time::OffsetDateTime::now_utc().date() - time::Duration::days(12)).to_string();
    let res = c
        .api(
            Method::GET,
            &format!("/api/v1/questions?from={from}&team=success"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.json()["items"].as_array().unwrap().len(), 4);
    let res = c
        .api(
            Method::GET,
            "/api/v1/questions?from=soon&channel=fax",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("\"from\"") && res.body.contains("\"channel\""),
        "{}",
        res.body
    );
}

#[sqlx::test]
async fn adding_a_repeated_question_to_the_faq_makes_a_draft_and_leaves_the_published_guide(
    pool: PgPool,
) {
    let app = TestApp::new(pool).await;
    let l = launch(&app.pool, "Approval rules", &[]).await;
    let published = GuideContent {
        value: "Rules for spending.".into(),
        faq: vec![Faq {
            q: "Is it free?".into(),
            a: "Yes.".into(),
        }],
        ..Default::default()
    };
    publish_guide(&app, l, published.clone()).await;
    let mut ids = Vec::new();
    for text in [
        "Can an admin turn off approval rules for one team?",
        "can admins turn off the approval rules for a single team",
        "How do admins turn approval rules off for one team?",
        "Can admin switch off approval rules for just one team?",
    ] {
        ids.push(asked(&app.pool, text, "awareness", "sales", "chat", Some(l), 5).await);
    }
    sqlx::query("update questions set answer = 'Yes: Settings → Approvals → Teams.', status = 'answered' where id = $1")
        .bind(ids[1])
        .execute(&app.pool)
        .await
        .unwrap();
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let page = pm.get("/questions/repeated").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("asked 4 times"), "{}", page.body);
    assert!(
        page.body
            .contains("Add to the FAQ of the Approval rules guide")
    );
    let res = pm
        .post_form(
            "/questions/repeated/faq",
            &[
                ("question_id", &ids[1].to_string()),
                ("launch_id", &l.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    let g = goldthread::launches::db::guide_state(&app.pool, l)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        g.published_number,
        Some(1),
        "the published revision is still the first"
    );
    assert_eq!(g.head_number, Some(2), "a new revision on top");
    assert_eq!(g.state, "draft");
    let head = goldthread::launches::db::revision(&app.pool, l, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.content.faq.len(), 2);
    assert_eq!(
        head.content.faq[1].q,
        "can admins turn off the approval rules for a single team"
    );
    assert_eq!(head.content.faq[1].a, "Yes: Settings → Approvals → Teams.");
    let first = goldthread::launches::db::revision(&app.pool, l, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.content, published, "the published text is untouched");
    // Readers still read the published revision.
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let guide = sales.get(&format!("/launches/{l}/guide")).await;
    assert!(!guide.body.contains("single team"));
    // Twice is refused with a message.
    let res = pm
        .post_form(
            "/questions/repeated/faq",
            &[
                ("question_id", &ids[1].to_string()),
                ("launch_id", &l.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // An unanswered question cannot go in.
    let res = pm
        .post_form(
            "/questions/repeated/faq",
            &[
                ("question_id", &ids[0].to_string()),
                ("launch_id", &l.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Revenue may not.
    let res = sales
        .post_form(
            "/questions/repeated/faq",
            &[
                ("question_id", &ids[1].to_string()),
                ("launch_id", &l.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[sqlx::test]
async fn a_feature_request_is_logged_as_feedback_linked_both_ways(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let id = asked(
        &app.pool,
        "Please add a Xero export for approvals",
        "other",
        "sales",
        "chat",
        None,
        1,
    )
    .await;
    let page = sales.get(&format!("/questions/{id}")).await;
    assert!(page.body.contains("Log as feedback"));
    let res = sales
        .post_form(&format!("/questions/{id}/feedback"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (fid, source, meta): (i64, String, serde_json::Value) = sqlx::query_as(
        "select f.id, f.source, f.metadata from feedback f join questions q on q.feedback_id = f.id where q.id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(source, "sales");
    assert_eq!(meta["question_id"], id);
    let page = sales.get(&format!("/questions/{id}")).await;
    assert!(page.body.contains(&format!("href=\"/feedback/{fid}\"")));
    let item = sales.get(&format!("/feedback/{fid}")).await;
    assert!(
        item.body.contains(&format!("/questions/{id}")),
        "the item names its question"
    );
    // Again: the same item, not a second one.
    sales
        .post_form(&format!("/questions/{id}/feedback"), &[])
        .await;
    assert_eq!(app.count("select count(*) from feedback").await, 1);
    // Awareness questions are not feature requests.
    let a = asked(
        &app.pool,
        "When does it ship?",
        "awareness",
        "sales",
        "chat",
        None,
        1,
    )
    .await;
    let res = sales
        .post_form(&format!("/questions/{a}/feedback"), &[])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Every key of the daily rollup against a direct count of the questions.
async fn assert_question_daily_matches(pool: &PgPool) {
    let wrong: i64 = sqlx::query_scalar(
        "select count(*) from (
           select (asked_at at time zone 'UTC')::date as day, team, channel,
                  coalesce(launch_id, 0) as l, coalesce(answered_by_id, 0) as a,
                  count(*) filter (where kind = 'awareness') as aw,
                  count(*) filter (where kind = 'readiness') as r,
                  count(*) filter (where kind = 'other') as o, coalesce(sum(minutes), 0) as m
           from questions group by 1, 2, 3, 4, 5
         ) q full join (
           select * from question_daily
           where awareness <> 0 or readiness <> 0 or other <> 0 or minutes <> 0
         ) d on (d.day, d.team, d.channel, d.launch_id, d.answered_by_id) = (q.day, q.team, q.channel, q.l, q.a)
         where q.aw is distinct from d.awareness or q.r is distinct from d.readiness
            or q.o is distinct from d.other or q.m is distinct from d.minutes",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(wrong, 0, "question_daily differs from the questions");
}

#[sqlx::test]
async fn the_dashboard_rollup_follows_every_change_and_splits_the_publishing_day(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let l = launch(&app.pool, "Approval rules", &[]).await;
    publish_guide(
        &app,
        l,
        GuideContent {
            value: "Rules.".into(),
            ..Default::default()
        },
    )
    .await;
    // Published at noon (UTC) ten days ago; one awareness question that morning, one readiness
    // question that evening: the day is split at the moment of publication.
    sqlx::query(
        "update guide_revisions set published_at = date_trunc('day', now() - interval '10 days') + interval '12 hours'
         where launch_id = $1",
    )
    .bind(l)
    .execute(&app.pool)
    .await
    .unwrap();
    for (kind, hour) in [("awareness", 6), ("readiness", 18)] {
        sqlx::query(
            "insert into questions (text, team, channel, kind, launch_id, asked_at)
             values ('q', 'sales', 'chat', $1, $2, date_trunc('day', now() - interval '10 days') + make_interval(hours => $3))",
        )
        .bind(kind)
        .bind(l)
        .bind(hour)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let (mut pm, pm_user) = app.signed_in(Role::Pm).await;
    let page = pm.get("/questions").await;
    let by_launch = &page.body[page.body.find("id=\"by-launch\"").unwrap()..];
    let by_launch = &by_launch[..by_launch.find("</section>").unwrap()];
    assert!(
        by_launch.contains("0 % <span class=\"muted\">of 1</span>"),
        "{by_launch}"
    );
    assert!(by_launch.contains("100 % <span class=\"muted\">of 1</span>"));
    assert_question_daily_matches(&app.pool).await;

    // Answers (minutes, who), a kind overridden, a launch unlinked, a question deleted: the
    // rollup follows each statement, several rows at once too.
    for days in 0..6 {
        asked(
            &app.pool,
            "q",
            "awareness",
            "support",
            "form",
            Some(l),
            days,
        )
        .await;
    }
    sqlx::query("update questions set status = 'answered', answered_by_id = $1, answered_at = now(), minutes = 15 where team = 'support'")
        .bind(pm_user.id)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update questions set kind = 'readiness' where team = 'support' and asked_at > now() - interval '2 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update questions set launch_id = null where id = (select min(id) from questions where team = 'support')")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("delete from questions where id = (select max(id) from questions)")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_question_daily_matches(&app.pool).await;
    // PM minutes: 5 support questions answered at 15 minutes each.
    let page = pm.get("/questions").await;
    let by_pm = &page.body[page.body.find("id=\"by-pm\"").unwrap()..];
    assert!(
        by_pm.contains(&format!(
            "<th scope=\"row\">{}</th><td class=\"num\">5</td><td class=\"num\">75</td>",
            pm_user.name
        )),
        "{}",
        &by_pm[..by_pm.find("</section>").unwrap()]
    );
}
