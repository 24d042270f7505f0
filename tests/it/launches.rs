//! Launches and readiness guides: revisions and diffs, the review workflow per role, concurrent
//! edits, Markdown safety, acknowledgements, who to tell and follow-up tasks.

use axum::http::{Method, StatusCode};
use goldthread::audit::Actor;
use goldthread::auth::{Role, User};
use goldthread::launches::edit::{self, Saved};
use goldthread::launches::guide::GuideContent;
use goldthread::launches::{LaunchInput, db};
use sqlx::PgPool;

use crate::helpers::{TestApp, account, feedback, tag, theme};

pub async fn launch(pool: &PgPool, name: &str, theme_ids: &[i64]) -> i64 {
    let fields = LaunchInput {
        name: name.into(),
        summary: "Customers can do a new thing".into(),
        status: "beta".into(),
        target_date: (time::OffsetDateTime::now_utc().date() + time::Duration::days(20))
            .to_string(),
        tracker_links: "https://linear.app/acme/issue/PAY-1".into(),
        ..Default::default()
    }
    .validate()
    .unwrap();
    edit::create_launch(pool, &Actor::System("test"), &fields, theme_ids)
        .await
        .unwrap()
}

fn content(value: &str, sales: &str) -> GuideContent {
    GuideContent {
        value: value.into(),
        sales: sales.into(),
        support: "Support answers the usual questions.".into(),
        ..Default::default()
    }
}

/// Save a revision on top of the current head, as `user`.
async fn save(pool: &PgPool, user: &User, id: i64, c: &GuideContent, minor: bool) -> i32 {
    let head = db::guide_state(pool, id)
        .await
        .unwrap()
        .unwrap()
        .head_number;
    match edit::save_guide(pool, &Actor::User(user), id, head, c, "note", minor)
        .await
        .unwrap()
    {
        Saved::Revision(n) => n,
        Saved::Stale { .. } => panic!("stale"),
    }
}

async fn publish(pool: &PgPool, writer: &User, reviewer: &User, id: i64) {
    edit::submit(pool, &Actor::User(writer), id, Some(reviewer.id))
        .await
        .unwrap();
    edit::approve(pool, &Actor::User(reviewer), id)
        .await
        .unwrap();
}

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let s = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"));
    let rest = &body[s..];
    let e = rest.find(end).unwrap_or(rest.len());
    &rest[..e]
}

#[sqlx::test]
async fn launches_revision_diff_between_non_adjacent_revisions(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let id = launch(&app.pool, "Virtual cards", &[]).await;
    save(
        &app.pool,
        &ops_user,
        id,
        &content("Cards arrive in minutes", "Lead with speed"),
        false,
    )
    .await;
    save(
        &app.pool,
        &ops_user,
        id,
        &content("Cards arrive in seconds", "Lead with speed"),
        false,
    )
    .await;
    save(
        &app.pool,
        &ops_user,
        id,
        &content("Cards arrive in seconds everywhere", "Lead with control"),
        false,
    )
    .await;
    let page = ops
        .get(&format!("/launches/{id}/guide/history?from=1&to=3"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let compare = between(
        &page.body,
        "What changed from revision 1 to 3",
        "</section>",
    );
    assert!(
        compare.contains("<del><span class=\"visually-hidden\">[removed: </span>minutes"),
        "{compare}"
    );
    assert!(
        compare.contains("<ins><span class=\"visually-hidden\">[added: </span>seconds everywhere"),
        "{compare}"
    );
    assert!(compare.contains("control"), "{compare}");
    assert!(compare.contains("The new value") && compare.contains("How sales changes"));
    assert!(
        !compare.contains("How support changes"),
        "unchanged sections are left out"
    );
    // 3 → 1 backwards works too, and restoring 1 makes revision 4 with its text.
    let back = ops
        .get(&format!("/launches/{id}/guide/history?from=3&to=1"))
        .await;
    assert!(
        back.body.contains("[added: </span>minutes"),
        "{}",
        back.body
    );
    let res = ops
        .post_form(
            &format!("/launches/{id}/guide/restore"),
            &[("revision", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let r4 = db::revision(&app.pool, id, 4).await.unwrap().unwrap();
    assert_eq!(r4.content.value, "Cards arrive in minutes");
    assert_eq!(r4.note, "Restored revision 1");
}

#[sqlx::test]
async fn launches_publish_workflow_per_role(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let id = launch(&app.pool, "Approval workflows", &[]).await;

    // Revenue and viewers may not write; a PM writes a draft.
    for c in [&mut sales, &mut viewer] {
        let res = c
            .post_form(
                &format!("/launches/{id}/guide/edit"),
                &[("base", ""), ("value", "x")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
    let res = pm
        .post_form(
            &format!("/launches/{id}/guide/edit"),
            &[
                ("base", ""),
                ("value", "Two approvers for big payments"),
                ("note", "first"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // Readers see nothing before it is published.
    let page = sales.get(&format!("/launches/{id}/guide")).await;
    assert!(!page.body.contains("Two approvers"));
    assert!(page.body.contains("has not been published yet"));
    assert_eq!(
        sales
            .get(&format!("/launches/{id}/guide?revision=1"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The PM submits to a named reviewer; a PM or revenue user cannot approve.
    let reviewer = ops_user.id.to_string();
    let res = pm
        .post_form(
            &format!("/launches/{id}/guide/submit"),
            &[("reviewer_id", &reviewer)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db::guide_state(&app.pool, id).await.unwrap().unwrap().state,
        "in_review"
    );
    for c in [&mut pm, &mut sales, &mut viewer] {
        assert_eq!(
            c.post_form(&format!("/launches/{id}/guide/approve"), &[])
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    // Sent back with a comment, resubmitted, approved.
    ops.post_form(
        &format!("/launches/{id}/guide/send-back"),
        &[("comment", "Add the FAQ")],
    )
    .await;
    let state = db::guide_state(&app.pool, id).await.unwrap().unwrap();
    assert_eq!(
        (state.state.as_str(), state.review_comment.as_str()),
        ("draft", "Add the FAQ")
    );
    assert!(
        pm.get(&format!("/launches/{id}/guide"))
            .await
            .body
            .contains("Add the FAQ")
    );
    pm.post_form(
        &format!("/launches/{id}/guide/submit"),
        &[("reviewer_id", &reviewer)],
    )
    .await;
    let res = ops
        .post_form(&format!("/launches/{id}/guide/approve"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let state = db::guide_state(&app.pool, id).await.unwrap().unwrap();
    assert_eq!(
        (state.state.as_str(), state.published_number),
        ("published", Some(1))
    );
    assert!(
        sales
            .get(&format!("/launches/{id}/guide"))
            .await
            .body
            .contains("Two approvers")
    );

    // A new draft on top of the published guide does not disturb readers.
    let c = GuideContent {
        value: "Three approvers now".into(),
        ..Default::default()
    };
    let head = state.head_number;
    edit::save_guide(
        &app.pool,
        &Actor::User(&ops_user),
        id,
        head,
        &c,
        "more",
        false,
    )
    .await
    .unwrap();
    let page = sales.get(&format!("/launches/{id}/guide")).await;
    assert!(page.body.contains("Two approvers") && !page.body.contains("Three approvers"));
    assert_eq!(
        viewer
            .get(&format!("/launches/{id}/guide?revision=2"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        pm.get(&format!("/launches/{id}/guide"))
            .await
            .body
            .contains("Three approvers"),
        "writers read the draft"
    );
    let (token, _) = app.token(Role::Viewer).await;
    let api = app
        .client()
        .api(
            Method::GET,
            &format!("/api/v1/launches/{id}/guide"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(api.json()["value"], "Two approvers for big payments");
    let api = app
        .client()
        .api(
            Method::GET,
            &format!("/api/v1/launches/{id}/guide?revision=2"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.content_type(), "application/problem+json");
    // Every step is audited.
    let audited = app.count(&format!("select count(*) from audit_log where entity_type = 'launch' and entity_id = '{id}' and action like 'guide.%'")).await;
    assert!(audited >= 6, "{audited}");
}

#[sqlx::test]
async fn launches_concurrent_edit_is_refused_with_the_text_kept(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut a, _) = app.signed_in(Role::ProductOps).await;
    let (mut b, _) = app.signed_in(Role::Pm).await;
    let id = launch(&app.pool, "FX breakdown", &[]).await;
    let path = format!("/launches/{id}/guide/edit");
    a.post_form(
        &path,
        &[
            ("base", ""),
            ("value", "Fees shown before you pay"),
            ("action", "save"),
        ],
    )
    .await;
    // Both open the editor on revision 1.
    assert!(
        a.get(&path)
            .await
            .body
            .contains("name=\"base\" value=\"1\"")
    );
    assert!(
        b.get(&path)
            .await
            .body
            .contains("name=\"base\" value=\"1\"")
    );
    let res = a
        .post_form(
            &path,
            &[
                ("base", "1"),
                ("value", "Fees and the exchange rate shown before you pay"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = b
        .post_form(
            &path,
            &[
                ("base", "1"),
                ("value", "My own careful wording"),
                ("sales", "Talk track B"),
                ("note", "B's note"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(
        res.body
            .contains("Someone saved revision 2 while you were editing")
    );
    assert!(
        res.body.contains("My own careful wording")
            && res.body.contains("Talk track B")
            && res.body.contains("B&#39;s note"),
        "{}",
        res.body
    );
    let conflict = between(&res.body, "Their change in revision 2", "</section>");
    assert!(
        conflict.contains("[added: </span>and the exchange rate"),
        "{conflict}"
    );
    assert_eq!(
        db::guide_state(&app.pool, id)
            .await
            .unwrap()
            .unwrap()
            .head_number,
        Some(2)
    );
    // Saving again deliberately (on the new base) puts B's text on top.
    assert!(res.body.contains("name=\"base\" value=\"2\""));
    let res = b
        .post_form(
            &path,
            &[
                ("base", "2"),
                ("value", "My own careful wording"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db::revision(&app.pool, id, 3)
            .await
            .unwrap()
            .unwrap()
            .content
            .value,
        "My own careful wording"
    );
}

#[sqlx::test]
async fn launches_markdown_xss_attempts_are_rendered_inert(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let admin = app.user(Role::Admin).await;
    let id = launch(&app.pool, "Risky", &[]).await;
    let evil = GuideContent {
        value: "Hello <script>alert('x')</script> **bold** [docs](https://docs.example.com)".into(),
        sales: "<img src=x onerror=alert(1)> and <a href=\"#\" onclick=\"alert(2)\">click</a>".into(),
        success: "[click me](javascript:alert(3)) and <a href=\"javascript:alert(4)\">raw</a>".into(),
        support: "<svg onload=alert(5)><circle r=\"5\"/></svg> and <iframe src=\"https://evil.example\"></iframe>".into(),
        marketing: "<div style=\"background:url(javascript:alert(6))\">styled</div>".into(),
        faq: vec![goldthread::launches::guide::Faq { q: "<b>Q</b>".into(), a: "<script>alert(7)</script>".into() }],
        ..Default::default()
    };
    save(&app.pool, &ops_user, id, &evil, false).await;
    publish(&app.pool, &ops_user, &admin, id).await;
    // The preview goes through the same renderer.
    let preview = ops
        .post_form(
            &format!("/launches/{id}/guide/edit"),
            &[
                ("base", "1"),
                ("value", &evil.value),
                ("support", &evil.support),
                ("action", "preview"),
            ],
        )
        .await;
    let page = sales.get(&format!("/launches/{id}/guide")).await;
    for (what, html) in [
        (
            "guide",
            between(&page.body, "<article class=\"guide prose\">", "</article>"),
        ),
        (
            "preview",
            between(&preview.body, "id=\"preview\"", "</section>"),
        ),
    ] {
        let lower = html.to_lowercase();
        assert!(lower.contains("<strong>bold</strong>"), "{what}: {html}");
        // Text never holds a raw `<` (it is escaped), so every `<…>` here is a real tag.
        for t in lower.split('<').skip(1) {
            let tag = t.split('>').next().unwrap_or("");
            let name = tag
                .trim_start_matches('/')
                .split([' ', '/'])
                .next()
                .unwrap_or("");
            assert!(
                !["script", "svg", "iframe", "img", "circle"].contains(&name),
                "{what} has a <{name}> tag: {html}"
            );
            for bad in [" on", "javascript:", "style="] {
                assert!(!tag.contains(bad), "{what} has {bad:?} in <{tag}>: {html}");
            }
        }
        // Raw HTML shows as text, escaped.
        assert!(lower.contains("&lt;script&gt;"), "{what}: {html}");
        assert!(
            html.contains("href=\"https://docs.example.com\" rel=\"noopener noreferrer\""),
            "{what}: {html}"
        );
    }
}

#[sqlx::test]
async fn launches_acknowledgement_is_asked_again_after_a_non_minor_revision_only(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let ops = app.user(Role::ProductOps).await;
    let admin = app.user(Role::Admin).await;
    let id = launch(&app.pool, "Tracking", &[]).await;
    let path = format!("/launches/{id}/guide");
    save(
        &app.pool,
        &ops,
        id,
        &content("Follow every transfer", "Lead with time saved"),
        false,
    )
    .await;
    publish(&app.pool, &ops, &admin, id).await;
    let page = sales.get(&path).await;
    assert!(page.body.contains("Have you read this guide?"));
    let res = sales
        .post_form(&format!("{path}/acknowledge"), &[("revision", "1")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = sales.get(&path).await;
    assert!(
        page.body.contains("You acknowledged this guide") && !page.body.contains("I've read this")
    );

    // A minor revision (a typo) does not ask again.
    save(
        &app.pool,
        &ops,
        id,
        &content("Follow every single transfer", "Lead with time saved"),
        true,
    )
    .await;
    publish(&app.pool, &ops, &admin, id).await;
    let page = sales.get(&path).await;
    assert!(
        page.body.contains("You acknowledged this guide"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("The guide changed since"));

    // A real change asks again, with only what changed since revision 1.
    save(
        &app.pool,
        &ops,
        id,
        &content(
            "Follow every single transfer",
            "Lead with the tracking link suppliers can open",
        ),
        false,
    )
    .await;
    publish(&app.pool, &ops, &admin, id).await;
    let page = sales.get(&path).await;
    let banner = between(
        &page.body,
        "The guide changed since you acknowledged revision 1",
        "</section>",
    );
    assert!(banner.contains("How sales changes"), "{banner}");
    assert!(
        banner.contains("[added: </span>the tracking link suppliers can open"),
        "{banner}"
    );
    assert!(banner.contains("[removed: </span>time saved"), "{banner}");
    assert!(
        banner.contains("[added: </span>single"),
        "the minor change is part of what changed since 1: {banner}"
    );
    assert!(
        !banner.contains("How support changes"),
        "unchanged sections are not repeated: {banner}"
    );
    assert!(banner.contains("I've read this and my team is ready"));
    // An out-of-date acknowledgement is refused; the current one clears the banner.
    let (token, _) = app.token(Role::Revenue).await;
    let api = app
        .client()
        .api(
            Method::POST,
            &format!("/api/v1/launches/{id}/acknowledgements"),
            Some(&token),
            Some(serde_json::json!({"revision": 1})),
        )
        .await;
    assert_eq!(api.status, StatusCode::CONFLICT);
    sales
        .post_form(&format!("{path}/acknowledge"), &[("revision", "3")])
        .await;
    let page = sales.get(&path).await;
    assert!(!page.body.contains("The guide changed since") && page.body.contains("(revision 3)"));
    let cov = goldthread::launches::readiness::coverage(&app.pool, &[id])
        .await
        .unwrap();
    let sales_team = cov[&id]
        .iter()
        .find(|c| c.team == goldthread::auth::Team::Sales)
        .unwrap();
    assert_eq!((sales_team.acknowledged, sales_team.members), (1, 2));
}

struct Asked {
    launch: i64,
    owner: User,
    reporter: User,
}

/// Two linked themes and one unlinked; accounts asking through each, a rejected tag, an archived item.
async fn asked(app: &TestApp) -> Asked {
    let pool = &app.pool;
    let owner = app.user(Role::Revenue).await;
    let reporter = app.user(Role::Revenue).await;
    let t1 = theme(pool, "Transfer status", "where is my transfer").await;
    let t2 = theme(pool, "Incoming payments", "incoming payment").await;
    let t3 = theme(pool, "Card limits", "card limit").await;
    let a1 = account(pool, "Northwind", "enterprise", 12_000_000).await;
    let a2 = account(pool, "Contoso", "smb", 900_000).await;
    let a3 = account(pool, "Fabrikam", "mid_market", 3_000_000).await;
    let a4 = account(pool, "Tailspin", "smb", 100_000).await;
    let a5 = account(pool, "Adatum", "smb", 100_000).await;
    sqlx::query("update accounts set owner_id = $1 where id = $2")
        .bind(owner.id)
        .bind(a1)
        .execute(pool)
        .await
        .unwrap();
    let f = |acc, t, state: &'static str| async move {
        let id = feedback(pool, "sales", "where is my transfer", Some(acc), None, 3).await;
        tag(pool, id, t, state).await;
        id
    };
    f(a1, t1, "confirmed").await;
    f(a1, t2, "suggested").await;
    let by_reporter = f(a2, t2, "confirmed").await;
    sqlx::query("update feedback set reporter_id = $1 where id = $2")
        .bind(reporter.id)
        .bind(by_reporter)
        .execute(pool)
        .await
        .unwrap();
    f(a3, t3, "confirmed").await; // not linked
    f(a4, t1, "rejected").await; // rejected
    let archived = f(a5, t1, "confirmed").await;
    sqlx::query("update feedback set archived_at = now() where id = $1")
        .bind(archived)
        .execute(pool)
        .await
        .unwrap();
    let launch = launch(pool, "Real-time tracking", &[t1, t2]).await;
    Asked {
        launch,
        owner,
        reporter,
    }
}

#[sqlx::test]
async fn launches_who_to_tell_equals_the_linked_themes_accounts(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let a = asked(&app).await;
    let tell = db::who_to_tell(&app.pool, a.launch).await.unwrap();
    let direct = app
        .count(&format!(
            "select count(distinct f.account_id) from launch_themes lt
             join feedback_themes ft on ft.theme_id = lt.theme_id and ft.state <> 'rejected'
             join feedback f on f.id = ft.feedback_id and f.archived_at is null
             where lt.launch_id = {} and f.account_id is not null",
            a.launch
        ))
        .await;
    assert_eq!(tell.len() as i64, direct);
    assert_eq!(
        tell.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["Northwind", "Contoso"]
    );
    assert_eq!(tell[0].items, 2);
    assert_eq!(tell[0].owner_id, Some(a.owner.id));
    // The owner sees their account first; the CSV lists every account.
    let mut owner = app.client();
    owner
        .sign_in(&a.owner.email, crate::helpers::PASSWORD)
        .await;
    let page = owner.get(&format!("/launches/{}", a.launch)).await;
    let mine = between(&page.body, "Your accounts that asked for this</h3>", "<h3>");
    assert!(
        mine.contains("Northwind") && !mine.contains("Contoso"),
        "{mine}"
    );
    let mut reporter = app.client();
    reporter
        .sign_in(&a.reporter.email, crate::helpers::PASSWORD)
        .await;
    let page = reporter.get(&format!("/launches/{}", a.launch)).await;
    let mine = between(&page.body, "Your accounts that asked for this</h3>", "<h3>");
    assert!(
        mine.contains("Contoso") && !mine.contains("Northwind"),
        "{mine}"
    );
    let csv = owner.get(&format!("/launches/{}/tell.csv", a.launch)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type().starts_with("text/csv"));
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);
    assert!(
        csv.body.contains("Northwind,120000.00,USD,enterprise"),
        "{}",
        csv.body
    );
}

#[sqlx::test]
async fn launches_follow_up_tasks_are_created_once_per_account(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let a = asked(&app).await;
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    let path = format!("/launches/{}/tasks", a.launch);
    assert_eq!(
        ops.post_form(&path, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ops.post_form(&path, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let (token, _) = app.token(Role::Admin).await;
    let api = app
        .client()
        .api(
            Method::POST,
            &path.replace("/launches", "/api/v1/launches"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(api.json()["created"], 0);
    let tasks = db::tasks(&app.pool, a.launch).await.unwrap();
    assert_eq!(tasks.len(), 2);
    let northwind = tasks
        .iter()
        .find(|t| t.account_name == "Northwind")
        .unwrap();
    let contoso = tasks.iter().find(|t| t.account_name == "Contoso").unwrap();
    assert_eq!(northwind.assignee_id, Some(a.owner.id), "the account owner");
    assert_eq!(
        contoso.assignee_id,
        Some(a.reporter.id),
        "no owner: the reporter"
    );
    // The assignee marks it done; someone else's revenue colleague may not.
    let mut reporter = app.client();
    reporter
        .sign_in(&a.reporter.email, crate::helpers::PASSWORD)
        .await;
    let res = reporter
        .post_form(&format!("{path}/{}", northwind.id), &[("done", "true")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = reporter
        .post_form(&format!("{path}/{}", contoso.id), &[("done", "true")])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = ops.get(&format!("/launches/{}", a.launch)).await;
    assert!(
        page.body.contains("<strong>1 of 2</strong> accounts told"),
        "{}",
        page.body
    );
    let audited = app
        .count("select count(*) from audit_log where action in ('task.create', 'task.done')")
        .await;
    assert_eq!(audited, 2);
}

#[sqlx::test]
async fn launches_pages_and_api_create_edit_and_link_themes(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let t = theme(&app.pool, "Currency exchange", "fx rate").await;
    let t_str = t.to_string();
    let soon = (time::OffsetDateTime::now_utc().date() + time::Duration::days(10)).to_string();
    let res = pm
        .post_form(
            "/launches",
            &[
                ("name", ""),
                ("tracker_links", "javascript:alert(1)"),
                ("summary", "kept text"),
                ("theme", &t_str),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("Enter a name for the launch")
            && res.body.contains("is not a web address")
            && res.body.contains("kept text")
    );
    assert!(res.body.contains(&format!("value=\"{t}\" checked")));
    let res = pm
        .post_form(
            "/launches",
            &[
                ("name", "FX breakdown"),
                ("status", "planned"),
                ("target_date", &soon),
                ("tracker_links", "https://github.com/acme/p/issues/1"),
                ("theme", &t_str),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id: i64 = res
        .location()
        .unwrap()
        .trim_start_matches("/launches/")
        .parse()
        .unwrap();
    let page = pm.get(&format!("/launches/{id}")).await;
    assert!(
        page.body
            .contains("href=\"https://github.com/acme/p/issues/1\" rel=\"noopener noreferrer\"")
    );
    assert!(page.body.contains("Currency exchange"));
    let theme_page = pm.get(&format!("/themes/{t}")).await;
    let section = between(&theme_page.body, "Launches that answer it", "</section>");
    assert!(section.contains("FX breakdown"), "{section}");
    let overview = pm.get("/themes?launch=none").await;
    assert!(!overview.body.contains(">Currency exchange<"));
    let list = pm.get("/launches").await;
    assert!(list.body.contains("FX breakdown") && list.body.contains("<svg class=\"timeline\""));
    assert_eq!(pm.get("/readiness").await.status, StatusCode::OK);
    // The same name twice is a field error, not a 500.
    let res = pm.post_form("/launches", &[("name", "fx BREAKDOWN")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("A launch is already called"));

    let (token, _) = app.token(Role::ProductOps).await;
    let mut api = app.client();
    let created = api
        .api(
            Method::POST,
            "/api/v1/launches",
            Some(&token),
            Some(serde_json::json!({"name": "API launch", "status": "beta", "theme_ids": [t]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let api_id = created.json()["id"].as_i64().unwrap();
    let linked = api
        .api(
            Method::PUT,
            &format!("/api/v1/launches/{api_id}/themes"),
            Some(&token),
            Some(serde_json::json!({"theme_ids": []})),
        )
        .await;
    assert_eq!(linked.json()["theme_ids"], serde_json::json!([]));
    let bad = api
        .api(
            Method::PUT,
            &format!("/api/v1/launches/{api_id}"),
            Some(&token),
            Some(serde_json::json!({"name": "API launch", "status": "shipped"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.content_type(), "application/problem+json");
    let list = api
        .api(Method::GET, "/api/v1/launches", Some(&token), None)
        .await;
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    let doc = api.get("/api/openapi.json").await.json();
    for p in [
        "/api/v1/launches",
        "/api/v1/launches/{id}/guide",
        "/api/v1/launches/{id}/guide/revisions",
        "/api/v1/launches/{id}/acknowledgements",
        "/api/v1/launches/{id}/tasks",
    ] {
        assert!(
            doc["paths"].get(p).is_some(),
            "{p} missing from the OpenAPI document"
        );
    }
    let audited = app
        .count("select count(*) from audit_log where action like 'launch.%'")
        .await;
    assert_eq!(audited, 3);
}

#[sqlx::test]
async fn launches_checklist_is_edited_by_product_ops_and_ticked_by_the_team(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await; // team sales
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let id = launch(&app.pool, "Cards", &[]).await;
    let path = format!("/launches/{id}/checklist");
    assert_eq!(
        pm.post_form(&path, &[("team", "sales"), ("text", "x")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    ops.post_form(&path, &[("team", "sales"), ("text", "Battlecard updated")])
        .await;
    ops.post_form(&path, &[("team", "support"), ("text", "Macro live")])
        .await;
    let items = db::checklist(&app.pool, &[id]).await.unwrap();
    let (s, p) = (
        items.iter().find(|i| i.team == "sales").unwrap(),
        items.iter().find(|i| i.team == "support").unwrap(),
    );
    assert_eq!(
        sales
            .post_form(&format!("{path}/{}", p.id), &[("done", "true")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sales
            .post_form(&format!("{path}/{}", s.id), &[("done", "true")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = sales.get(&format!("/launches/{id}")).await;
    assert!(page.body.contains("1 of 1 done"), "{}", page.body);
    let readiness = ops.get("/readiness").await;
    assert!(
        readiness.body.contains("Cards")
            && readiness.body.contains("Not started")
            && readiness.body.contains("At risk")
    );
}

#[sqlx::test]
async fn launches_demo_loads_five_launches_with_histories_and_readers(pool: PgPool) {
    let app = TestApp::new(pool).await;
    goldthread::demo::load_users(&app.pool).await.unwrap();
    goldthread::launches::demo::load(&app.pool).await.unwrap();
    goldthread::launches::demo::load(&app.pool).await.unwrap(); // safe to run twice
    let launches = db::list(&app.pool).await.unwrap();
    assert_eq!(launches.len(), 5);
    let tracking = launches
        .iter()
        .find(|l| l.name == "Real-time transfer tracking")
        .unwrap();
    let state = db::guide_state(&app.pool, tracking.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (state.published_number, state.head_number),
        (Some(4), Some(4))
    );
    assert_eq!(
        db::revisions(&app.pool, tracking.id).await.unwrap().len(),
        4
    );
    let fx = launches
        .iter()
        .find(|l| l.name == "Transparent FX and fee breakdown")
        .unwrap();
    let fx_state = db::guide_state(&app.pool, fx.id).await.unwrap().unwrap();
    assert_eq!(
        (fx_state.state.as_str(), fx_state.published_number),
        ("in_review", None)
    );
    // The demo sales lead read the first revision only, so is asked again with the changes.
    let sales = goldthread::auth::db::find_by_email(&app.pool, "sales@example.com")
        .await
        .unwrap()
        .unwrap();
    let ack = goldthread::launches::guide_web::ack_state(&app.pool, &sales, &state)
        .await
        .unwrap();
    assert!(ack.asked && ack.acknowledged == Some(1) && !ack.changes.is_empty());
    let items = db::checklist(&app.pool, &[tracking.id]).await.unwrap();
    assert!(items.iter().any(|i| i.done_at.is_some()) && items.iter().any(|i| i.done_at.is_none()));
}

/// Removing a checklist item asks first, says what will happen, then removes it (audited).
#[sqlx::test]
async fn removing_a_checklist_item_asks_first(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let id = launch(&app.pool, "Confirm launch", &[]).await;
    let item = edit::add_checklist_item(
        &app.pool,
        &Actor::System("test"),
        id,
        "sales",
        "Brief the team",
    )
    .await
    .unwrap();
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    let page = ops.get(&format!("/launches/{id}")).await;
    assert!(
        page.body
            .contains(&format!("/launches/{id}/checklist/{item}/remove\">Remove…")),
        "{}",
        page.body
    );
    let confirm = ops
        .get(&format!("/launches/{id}/checklist/{item}/remove"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("Remove this checklist item?"));
    assert!(confirm.body.contains("Brief the team"));
    let res = ops
        .post_form(&format!("/launches/{id}/checklist/{item}/remove"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(db::checklist(&app.pool, &[id]).await.unwrap().is_empty());
}
