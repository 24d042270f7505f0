//! Digests: composing and freezing, the audience's own sections first, email through a real
//! SMTP server on loopback (both parts, resends, unsubscribe), Atom feeds with feed tokens,
//! chat webhooks delivered to a real HTTP server with retries, and who may do what.

use std::str::FromStr;

use axum::http::{Method, StatusCode};
use goldthread::audit::Actor;
use goldthread::auth::{Role, User};
use goldthread::launches::edit::{self, Saved};
use goldthread::launches::guide::GuideContent;
use mail_parser::{MessageParser, MimeHeaders};
use sqlx::PgPool;

use crate::helpers::{TestApp, feedback, tag, theme};
use crate::peers::{SmtpSink, WebhookReceiver};

const BASE: &str = "https://hub.example.com";

fn guide(value: &str) -> GuideContent {
    GuideContent {
        value: value.into(),
        sales: "SALES-SECTION: lead with the tracking link.".into(),
        success: "SUCCESS-SECTION: check the Starter accounts first.".into(),
        support: "SUPPORT-SECTION: new macro for transfer status.".into(),
        marketing: "MARKETING-SECTION: launch post on Tuesday.".into(),
        prepare: "1. PREPARE-STEP: turn it on in settings. See [the guide](/launches/1/guide)."
            .into(),
        faq: vec![goldthread::launches::guide::Faq {
            q: "Does it cost extra?".into(),
            a: "No, it is in every plan.".into(),
        }],
        ..Default::default()
    }
}

/// Save `content` as a new revision and publish it; returns its number.
async fn publish_revision(
    pool: &PgPool,
    ops: &User,
    launch_id: i64,
    content: &GuideContent,
) -> i32 {
    let actor = Actor::User(ops);
    let head = goldthread::launches::db::guide_state(pool, launch_id)
        .await
        .unwrap()
        .and_then(|s| s.head_number);
    let Saved::Revision(n) =
        edit::save_guide(pool, &actor, launch_id, head, content, "note", false)
            .await
            .unwrap()
    else {
        panic!("stale")
    };
    edit::submit(pool, &actor, launch_id, Some(ops.id))
        .await
        .unwrap();
    edit::approve(pool, &actor, launch_id).await.unwrap();
    n
}

async fn user_in(app: &TestApp, role: Role, team: &str, email: &str) -> User {
    let input = goldthread::admin::UserInput {
        email: email.into(),
        name: format!("{team} person"),
        role: role.as_str().into(),
        team: team.into(),
        password: crate::helpers::PASSWORD.into(),
    };
    goldthread::admin::create_user(
        &app.pool,
        &Actor::System("test"),
        input.validate().unwrap(),
        false,
    )
    .await
    .unwrap()
}

/// A draft digest for everyone with one launch; returns (digest id, launch id).
async fn draft_with_launch(
    app: &TestApp,
    ops: &mut crate::helpers::Client,
    ops_user: &User,
    audience: &str,
) -> (i64, i64) {
    let launch = crate::launches::launch(&app.pool, "Transfer tracking", &[]).await;
    publish_revision(
        &app.pool,
        ops_user,
        launch,
        &guide("VALUE-ONE: track every transfer."),
    )
    .await;
    let today = time::OffsetDateTime::now_utc().date();
    let id = launch.to_string();
    let res = ops
        .post_form(
            "/digests",
            &[
                ("title", "March readiness"),
                (
                    "period_start",
                    &(today - time::Duration::days(30)).to_string(),
                ),
                ("period_end", &today.to_string()),
                ("audience", audience),
                ("intro", "Hello **everyone**."),
                ("launch", &id),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let digest: i64 = res
        .location()
        .unwrap()
        .trim_start_matches("/digests/")
        .parse()
        .unwrap();
    (digest, launch)
}

async fn publish_digest(ops: &mut crate::helpers::Client, id: i64) {
    let res = ops.post_form(&format!("/digests/{id}/publish"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

#[sqlx::test]
async fn digests_quote_the_published_revision_even_after_the_guide_changes(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (digest, launch) = draft_with_launch(&app, &mut ops, &ops_user, "everyone").await;
    publish_digest(&mut ops, digest).await;
    publish_revision(
        &app.pool,
        &ops_user,
        launch,
        &guide("VALUE-TWO: a later text."),
    )
    .await;

    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let page = sales.get(&format!("/digests/{digest}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("VALUE-ONE"), "{}", page.body);
    assert!(!page.body.contains("VALUE-TWO"));
    assert!(page.body.contains("guide revision 1"));
    // The guide itself moved on.
    let g = sales.get(&format!("/launches/{launch}/guide")).await;
    assert!(g.body.contains("VALUE-TWO"));
    // The launch page shows who opened the digests that carry it.
    let launch_page = ops.get(&format!("/launches/{launch}")).await.body;
    assert!(
        launch_page.contains("opened by 1: Test Revenue team"),
        "{launch_page}"
    );
    // A published digest cannot be edited.
    let edit = ops.get(&format!("/digests/{digest}/edit")).await;
    assert_eq!(edit.status, StatusCode::CONFLICT);
    // The API quotes the same revision.
    let (token, _) = app.token(Role::Viewer).await;
    let json = app
        .client()
        .api(
            Method::GET,
            &format!("/api/v1/digests/{digest}"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(json["launches"][0]["revision"], 1);
    assert!(
        json["launches"][0]["sections"][0]["markdown"]
            .as_str()
            .unwrap()
            .contains("VALUE-ONE")
    );
}

#[sqlx::test]
async fn digests_put_the_audiences_own_section_first(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (everyone, _) = draft_with_launch(&app, &mut ops, &ops_user, "everyone").await;
    publish_digest(&mut ops, everyone).await;

    // A sales reader of an everyone digest reads the sales section right after the value.
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let body = sales.get(&format!("/digests/{everyone}")).await.body;
    let at = |s: &str| body.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("VALUE-ONE") < at("SALES-SECTION"));
    assert!(at("SALES-SECTION") < at("PREPARE-STEP"));
    assert!(at("PREPARE-STEP") < at("SUCCESS-SECTION"));
    // Read as support, support comes first.
    let body = sales
        .get(&format!("/digests/{everyone}?as=support"))
        .await
        .body;
    let at = |s: &str| body.find(s).unwrap();
    assert!(at("SUPPORT-SECTION") < at("PREPARE-STEP"));
    assert!(at("PREPARE-STEP") < at("SALES-SECTION"));
}

#[sqlx::test]
async fn a_success_digest_leads_with_success_for_every_reader(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let launch = crate::launches::launch(&app.pool, "Virtual cards", &[]).await;
    publish_revision(&app.pool, &ops_user, launch, &guide("VALUE-ONE")).await;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let res = ops
        .post_form(
            "/digests",
            &[
                ("title", "For success"),
                ("period_start", &today),
                ("period_end", &today),
                ("audience", "success"),
                ("launch", &launch.to_string()),
            ],
        )
        .await;
    let id = res.location().unwrap().to_owned();
    ops.post_form(&format!("{id}/publish"), &[]).await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let body = sales.get(&id).await.body;
    assert!(body.find("SUCCESS-SECTION").unwrap() < body.find("SALES-SECTION").unwrap());
}

#[sqlx::test]
async fn composing_keeps_what_was_typed_and_names_each_bad_field(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, _) = app.signed_in(Role::ProductOps).await;
    let res = ops
        .post_form(
            "/digests",
            &[
                ("title", "Kept title"),
                ("period_start", "2026-03-31"),
                ("period_end", "31/03/2026"),
                ("audience", "finance"),
                ("intro", "Kept intro\u{0}"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("value=\"Kept title\""));
    assert!(res.body.contains("is not a date"));
    assert!(res.body.contains("Choose who it is for"));
    assert!(res.body.contains("NUL"));
    assert_eq!(app.count("select count(*) from digests").await, 0);
    // Publishing a digest without launches says why.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let res = ops
        .post_form(
            "/digests",
            &[
                ("title", "Empty"),
                ("period_start", &today),
                ("period_end", &today),
                ("audience", "everyone"),
            ],
        )
        .await;
    let id = res.location().unwrap().to_owned();
    ops.post_form(&format!("{id}/publish"), &[]).await;
    let page = ops.get(&id).await;
    assert!(
        page.body.contains("Add at least one launch"),
        "{}",
        page.body
    );
    assert_eq!(
        app.count("select count(*) from digests where state = 'published'")
            .await,
        0
    );
}

#[sqlx::test]
async fn drafts_are_for_product_ops_only(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (digest, _) = draft_with_launch(&app, &mut ops, &ops_user, "everyone").await;
    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    assert_eq!(
        sales.get(&format!("/digests/{digest}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!sales.get("/digests").await.body.contains("March readiness"));
    let res = sales
        .post_form(&format!("/digests/{digest}/publish"), &[])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    assert_eq!(pm.get("/digests/new").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        ops.get(&format!("/digests/{digest}")).await.status,
        StatusCode::OK
    );
}

fn parse(mail: &crate::peers::Mail) -> mail_parser::Message<'_> {
    MessageParser::default()
        .parse(mail.data.as_bytes())
        .expect("a parsable message")
}

#[sqlx::test]
async fn the_email_arrives_with_both_parts_and_each_recipients_section(pool: PgPool) {
    let smtp = SmtpSink::start().await;
    let url = smtp.url();
    let app = TestApp::with_config(pool, |c| {
        c.smtp_url = Some(url);
        c.public_url = Some(BASE.into());
        c.mail_from = "Goldthread <hub@example.com>".into();
    })
    .await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let sales = user_in(&app, Role::Revenue, "sales", "seller@example.com").await;
    let success = user_in(&app, Role::Revenue, "success", "csm@example.com").await;
    let (digest, launch) = draft_with_launch(&app, &mut ops, &ops_user, "everyone").await;
    publish_digest(&mut ops, digest).await;
    let res = ops.post_form(&format!("/digests/{digest}/send"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();

    let mails = smtp.received();
    let to = |who: &str| {
        mails
            .iter()
            .find(|m| m.to.iter().any(|t| t == who))
            .unwrap_or_else(|| panic!("nothing for {who}: {mails:?}"))
    };
    // Everyone active got one: the ops lead, the seller and the CSM, from the configured sender.
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert!(
        mails.iter().all(|m| m.from.contains("hub@example.com")),
        "{mails:?}"
    );
    for (mail, own, other) in [
        (to(&sales.email), "SALES-SECTION", "SUCCESS-SECTION"),
        (to(&success.email), "SUCCESS-SECTION", "SALES-SECTION"),
    ] {
        let m = parse(mail);
        assert_eq!(
            m.content_type()
                .map(|c| (c.ctype().to_owned(), c.subtype().map(str::to_owned))),
            Some(("multipart".to_owned(), Some("alternative".to_owned())))
        );
        let text = m.body_text(0).expect("a text part");
        let html = m.body_html(0).expect("an html part");
        for part in [&text, &html] {
            assert!(part.contains(own), "{part}");
            assert!(!part.contains(other), "{part}");
            assert!(part.find("VALUE-ONE").unwrap() < part.find(own).unwrap());
        }
        // Links are absolute, including the relative one written in the guide.
        assert!(
            html.contains(&format!("href=\"{BASE}/launches/{launch}/guide\"")),
            "{html}"
        );
        assert!(
            html.contains(&format!("href=\"{BASE}/launches/1/guide\"")),
            "{html}"
        );
        assert!(text.contains(&format!("{BASE}/digests/{digest}")));
        assert!(!html.contains("<script") && !html.contains("<link"));
        let unsubscribe = m.header_raw("List-Unsubscribe").expect("List-Unsubscribe");
        assert!(
            unsubscribe.contains(&format!("{BASE}/unsubscribe?u=")),
            "{unsubscribe}"
        );
        assert_eq!(
            m.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(m.subject().unwrap().contains("March readiness"));
    }
    assert_eq!(
        app.count(&format!(
            "select count(*) from digest_emails where digest_id = {digest} and state = 'sent'"
        ))
        .await,
        3
    );

    // A resend mails only who was not sent it yet.
    user_in(&app, Role::Viewer, "marketing", "late@example.com").await;
    ops.post_form(&format!("/digests/{digest}/send"), &[]).await;
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    let mails = smtp.received();
    assert_eq!(mails.len(), 4);
    assert_eq!(mails[3].to, vec!["late@example.com".to_owned()]);
    let page = ops.get(&format!("/digests/{digest}")).await;
    assert!(
        page.body.contains("4 of 4 people of the audience emailed"),
        "{}",
        page.body
    );
}

#[sqlx::test]
async fn a_refused_recipient_is_recorded_and_tried_again_later(pool: PgPool) {
    let smtp = SmtpSink::start().await;
    smtp.refuse.lock().unwrap().push("gone@example.com".into());
    let url = smtp.url();
    let app = TestApp::with_config(pool, |c| c.smtp_url = Some(url)).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    user_in(&app, Role::Revenue, "sales", "gone@example.com").await;
    let (digest, _) = draft_with_launch(&app, &mut ops, &ops_user, "sales").await;
    publish_digest(&mut ops, digest).await;
    ops.post_form(&format!("/digests/{digest}/send"), &[]).await;
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    assert_eq!(
        app.count("select count(*) from digest_emails where state = 'failed' and last_error like '%refused%'").await,
        1
    );
    // The retry waits; once its time comes the mailbox exists again and it goes through.
    assert_eq!(
        app.count("select count(*) from jobs where kind = 'send_digest' and state = 'queued' and run_after > now()").await,
        1
    );
    smtp.refuse.lock().unwrap().clear();
    sqlx::query("update jobs set run_after = now() where state = 'queued'")
        .execute(&app.pool)
        .await
        .unwrap();
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(
        app.count("select count(*) from digest_emails where state = 'sent' and attempts = 2")
            .await,
        1
    );
}

#[sqlx::test]
async fn sending_without_smtp_says_how_to_set_it_up(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (digest, _) = draft_with_launch(&app, &mut ops, &ops_user, "everyone").await;
    publish_digest(&mut ops, digest).await;
    let page = ops.get(&format!("/digests/{digest}")).await;
    assert!(page.body.contains("GOLDTHREAD_SMTP_URL"));
    ops.post_form(&format!("/digests/{digest}/send"), &[]).await;
    let page = ops.get(&format!("/digests/{digest}")).await;
    assert!(page.body.contains("Email is not set up"), "{}", page.body);
    assert_eq!(
        app.count("select count(*) from jobs where kind = 'send_digest'")
            .await,
        0
    );
}

#[sqlx::test]
async fn the_unsubscribe_link_works_and_is_refused_when_tampered_with(pool: PgPool) {
    let smtp = SmtpSink::start().await;
    let url = smtp.url();
    let app = TestApp::with_config(pool, |c| {
        c.smtp_url = Some(url);
        c.public_url = Some(BASE.into());
    })
    .await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let seller = user_in(&app, Role::Revenue, "sales", "seller@example.com").await;
    let (digest, _) = draft_with_launch(&app, &mut ops, &ops_user, "sales").await;
    publish_digest(&mut ops, digest).await;
    ops.post_form(&format!("/digests/{digest}/send"), &[]).await;
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    let mails = smtp.received();
    let mail = mails.iter().find(|m| m.to[0] == seller.email).unwrap();
    let m = parse(mail);
    let link = m
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .replace(BASE, "");
    let sql = format!(
        "select count(*) from digest_unsubscribes where user_id = {}",
        seller.id
    );

    // Opening the link only asks; a tampered signature is refused and changes nothing.
    let mut anonymous = app.client();
    let page = anonymous.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Unsubscribe from digest email?"));
    assert_eq!(app.count(&sql).await, 0);
    let (head, sig) = link.split_once("&s=").unwrap();
    let mut forged: Vec<char> = sig.chars().collect();
    forged[0] = if forged[0] == 'A' { 'B' } else { 'A' };
    let forged = format!("{head}&s={}", forged.into_iter().collect::<String>());
    let other_user = link.replace(&format!("u={}", seller.id), &format!("u={}", ops_user.id));
    for bad in [forged.as_str(), other_user.as_str(), "/unsubscribe?u=1"] {
        let res = anonymous
            .post_form_raw(bad, &[("List-Unsubscribe", "One-Click")])
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(res.body.contains("not valid"));
    }
    assert_eq!(app.count(&sql).await, 0);

    // The mail client's one-click POST: no session, no CSRF token.
    let res = anonymous
        .post_form_raw(&link, &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("You are unsubscribed"));
    assert_eq!(app.count(&sql).await, 1);
    // The next send skips them; the profile shows email off and can turn it back on.
    assert!(
        goldthread::digests::db::unsent_recipients(
            &app.pool,
            digest,
            goldthread::digests::Audience::Sales
        )
        .await
        .unwrap()
        .iter()
        .all(|r| r.user_id != seller.id)
    );
    let mut me = app.client();
    me.sign_in(&seller.email, crate::helpers::PASSWORD).await;
    assert!(
        !me.get("/profile")
            .await
            .body
            .contains("name=\"subscribed\" value=\"on\" checked")
    );
    me.post_form("/profile/digest-email", &[("subscribed", "on")])
        .await;
    assert_eq!(app.count(&sql).await, 0);
}

#[sqlx::test]
async fn atom_feeds_parse_and_feed_tokens_can_be_revoked(pool: PgPool) {
    let app = TestApp::with_config(pool, |c| c.public_url = Some(BASE.into())).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (digest, launch) = draft_with_launch(&app, &mut ops, &ops_user, "everyone").await;
    publish_digest(&mut ops, digest).await;
    sqlx::query("update launches set shipped_date = current_date, status = 'generally_available' where id = $1")
        .bind(launch)
        .execute(&app.pool)
        .await
        .unwrap();

    let (mut sales, _) = app.signed_in(Role::Revenue).await;
    let res = sales.post_form("/profile/feed-tokens", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let profile = sales.get("/profile").await.body;
    let address = profile
        .split("id=\"feed-digests\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new feed address is shown once")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    assert!(
        !sales
            .get("/profile")
            .await
            .body
            .contains("id=\"feed-digests\"")
    );
    let path = address.replace(BASE, "");
    assert!(path.starts_with("/digests/sales.atom?token="), "{path}");

    // Without a session, the token opens the feed.
    let mut reader = app.client();
    let res = reader.get(&path).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.content_type().starts_with("application/atom+xml"));
    let feed = atom_syndication::Feed::from_str(&res.body).expect("valid Atom");
    assert_eq!(feed.entries().len(), 1);
    let entry = &feed.entries()[0];
    assert_eq!(entry.title().as_str(), "March readiness");
    assert_eq!(entry.id(), format!("{BASE}/digests/{digest}"));
    assert!(
        entry
            .links()
            .iter()
            .any(|l| l.href() == format!("{BASE}/digests/{digest}"))
    );
    let content = entry.content().and_then(|c| c.value()).unwrap();
    assert!(content.contains("VALUE-ONE") && content.contains("SALES-SECTION"));
    assert!(feed.links().iter().any(|l| l.rel() == "self"));

    let token = path.split("token=").nth(1).unwrap();
    let launches = reader.get(&format!("/launches.atom?token={token}")).await;
    let feed = atom_syndication::Feed::from_str(&launches.body).expect("valid Atom");
    assert_eq!(
        feed.entries()[0].title().as_str(),
        "Shipped: Transfer tracking"
    );

    // Wrong token or none: refused. Revoked: refused from then on.
    assert_eq!(
        reader
            .get("/digests/sales.atom?token=gt_wrong")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        reader.get("/digests/sales.atom").await.status,
        StatusCode::UNAUTHORIZED
    );
    let id = app.count("select max(id) from feed_tokens").await;
    sales
        .post_form(&format!("/profile/feed-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(reader.get(&path).await.status, StatusCode::UNAUTHORIZED);
    // Someone else's token cannot be revoked by another person.
    let (mut other, _) = app.signed_in(Role::Viewer).await;
    other.post_form("/profile/feed-tokens", &[]).await;
    let theirs = app.count("select max(id) from feed_tokens").await;
    let res = sales
        .post_form(&format!("/profile/feed-tokens/{theirs}/revoke"), &[])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn webhooks_are_delivered_and_retried_after_a_500(pool: PgPool) {
    let receiver = WebhookReceiver::start(&[500]).await;
    let app = TestApp::with_config(pool, |c| c.public_url = Some(BASE.into())).await;
    let (mut admin, _) = app.signed_in(Role::Admin).await;
    let res = admin
        .post_form(
            "/admin/webhooks",
            &[
                ("name", "#launches"),
                ("url", &receiver.url),
                ("events", "guide_published"),
                ("events", "digest_published"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = admin.get("/admin/webhooks").await.body;
    assert!(page.contains("#launches"));
    assert!(!page.contains("secretpart"), "the address is a credential");

    let (_, ops_user) = app.signed_in(Role::ProductOps).await;
    let launch = crate::launches::launch(&app.pool, "Virtual cards", &[]).await;
    publish_revision(&app.pool, &ops_user, launch, &guide("VALUE-ONE")).await;
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    // The receiver answered 500: the delivery waits for its retry.
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(
        app.count("select count(*) from webhook_deliveries where state = 'pending' and attempts = 1 and last_status = 500").await,
        1
    );
    assert!(
        admin
            .get("/admin/webhooks")
            .await
            .body
            .contains("Waiting to retry")
    );
    sqlx::query("update jobs set run_after = now() where state = 'queued'")
        .execute(&app.pool)
        .await
        .unwrap();
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    let bodies = receiver.received();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0], bodies[1], "a retry sends the same message");
    let text = bodies[1]["text"].as_str().unwrap();
    assert!(
        text.contains("Virtual cards") && text.contains(&format!("{BASE}/launches/{launch}/guide")),
        "{text}"
    );
    assert_eq!(bodies[1]["blocks"][0]["type"], "section");
    assert_eq!(
        app.count(
            "select count(*) from webhook_deliveries where state = 'delivered' and attempts = 2"
        )
        .await,
        1
    );
    assert!(
        admin
            .get("/admin/webhooks")
            .await
            .body
            .contains("Delivered")
    );
}

#[sqlx::test]
async fn a_spiking_theme_is_announced_once(pool: PgPool) {
    let receiver = WebhookReceiver::start(&[]).await;
    let app = TestApp::new(pool).await;
    let (token, _) = app.token(Role::Admin).await;
    let res = app
        .client()
        .api(
            Method::POST,
            "/api/v1/outgoing-webhooks",
            Some(&token),
            Some(serde_json::json!({ "name": "spikes", "url": receiver.url, "events": ["theme_spiking"] })),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert!(!res.body.contains("secretpart"));
    let t = theme(&app.pool, "Card delivery", "card").await;
    let week =
        goldthread::insights::Period::default_for(goldthread::insights::today()).last_full_week();
    for i in 0..8 {
        let at = (week + time::Duration::days(i % 5)).midnight().assume_utc()
            + time::Duration::hours(10);
        let f = feedback(
            &app.pool,
            "support",
            &format!("My card has not arrived yet, day {i}"),
            None,
            None,
            0,
        )
        .await;
        sqlx::query("update feedback set received_at = $2 where id = $1")
            .bind(f)
            .bind(at)
            .execute(&app.pool)
            .await
            .unwrap();
        tag(&app.pool, f, t, "confirmed").await;
    }
    assert_eq!(
        goldthread::notify::announce_spikes(&app.pool)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        goldthread::notify::announce_spikes(&app.pool)
            .await
            .unwrap(),
        0
    );
    goldthread::worker::run_pending(&app.pool, &app.config)
        .await
        .unwrap();
    let bodies = receiver.received();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0]["text"]
            .as_str()
            .unwrap()
            .contains("Card delivery")
    );
}

#[sqlx::test]
async fn every_digest_route_checks_the_role(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut ops, ops_user) = app.signed_in(Role::ProductOps).await;
    let (digest, _) = draft_with_launch(&app, &mut ops, &ops_user, "everyone").await;
    let d = digest.to_string();
    let pages: Vec<(String, [bool; 5])> = vec![
        // admin, product_ops, pm, revenue, viewer
        ("/digests".into(), [true, true, true, true, true]),
        ("/digests/new".into(), [true, true, false, false, false]),
        (
            format!("/digests/{d}/edit"),
            [true, true, false, false, false],
        ),
        (
            format!("/digests/{d}/delete"),
            [true, true, false, false, false],
        ),
        ("/profile".into(), [true, true, true, true, true]),
        ("/admin/webhooks".into(), [true, false, false, false, false]),
    ];
    for (i, role) in goldthread::auth::Role::ALL.into_iter().enumerate() {
        let (mut c, _) = app.signed_in(role).await;
        for (path, allowed) in &pages {
            let res = c.get(path).await;
            let ok = res.status == StatusCode::OK;
            assert_eq!(ok, allowed[i], "{role:?} GET {path}: {}", res.status);
            if !allowed[i] {
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{role:?} GET {path}");
            }
        }
        // Only the refusals: an allowed publish or delete would change the digest under test.
        if !matches!(role, Role::Admin | Role::ProductOps) {
            for path in [
                format!("/digests/{d}/publish"),
                format!("/digests/{d}/send"),
                format!("/digests/{d}/delete"),
                format!("/digests/{d}/edit"),
            ] {
                let res = c.post_form(&path, &[("title", "x")]).await;
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{role:?} POST {path}");
            }
            let res = c.post_form("/digests", &[("title", "x")]).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{role:?} POST /digests");
        }
        let res = c
            .post_form(
                "/admin/webhooks",
                &[
                    ("name", "x"),
                    ("url", "https://x.test/h"),
                    ("events", "guide_published"),
                ],
            )
            .await;
        assert_eq!(
            res.status == StatusCode::FORBIDDEN,
            role != Role::Admin,
            "{role:?} POST /admin/webhooks"
        );
        let (token, _) = app.token(role).await;
        let api = app
            .client()
            .api(Method::GET, "/api/v1/outgoing-webhooks", Some(&token), None)
            .await;
        assert_eq!(
            api.status == StatusCode::OK,
            role == Role::Admin,
            "{role:?} GET /api/v1/outgoing-webhooks"
        );
        let list = app
            .client()
            .api(Method::GET, "/api/v1/digests", Some(&token), None)
            .await;
        assert_eq!(list.status, StatusCode::OK);
        let drafts_visible = list.body.contains("March readiness");
        assert_eq!(
            drafts_visible,
            matches!(role, Role::Admin | Role::ProductOps),
            "{role:?}"
        );
        let one = app
            .client()
            .api(
                Method::GET,
                &format!("/api/v1/digests/{d}/email.html"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(
            one.status == StatusCode::OK,
            matches!(role, Role::Admin | Role::ProductOps),
            "{role:?}"
        );
    }
    // Nothing anonymous, except the feeds with a token and the signed unsubscribe link.
    let mut anonymous = app.client();
    for path in [
        "/digests",
        "/profile",
        "/admin/webhooks",
        &format!("/digests/{d}"),
    ] {
        assert_eq!(
            anonymous.get(path).await.status,
            StatusCode::SEE_OTHER,
            "{path}"
        );
    }
}
