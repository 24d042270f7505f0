//! The tagging workflow: suggestions from the tagger, decisions kept on retag, emerging themes.

use axum::http::StatusCode;
use goldthread::auth::Role;
use sqlx::PgPool;

use crate::helpers::{TestApp, assert_rollups_match, feedback, tag, theme};

#[sqlx::test]
async fn the_tagger_suggests_themes_from_their_keywords_and_abstains_otherwise(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let cards = theme(
        &app.pool,
        "Card declined",
        "card declined, payment refused, card not working",
    )
    .await;
    let fx = theme(
        &app.pool,
        "Exchange rates",
        "exchange rate, currency conversion, fx rate",
    )
    .await;
    let f1 = feedback(
        &app.pool,
        "support",
        "My card declined at the supermarket again",
        None,
        None,
        1,
    )
    .await;
    let f2 = feedback(
        &app.pool,
        "sales",
        "The exchange rate on currency conversion is poor",
        None,
        None,
        2,
    )
    .await;
    let f3 = feedback(&app.pool, "other", "zzz qqq", None, None, 3).await;
    let run = goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    assert_eq!(run.items, 3);
    let tags: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "select feedback_id, theme_id, origin, state from feedback_themes order by feedback_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        tags.contains(&(f1, cards, "auto".into(), "suggested".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&(f2, fx, "auto".into(), "suggested".into())),
        "{tags:?}"
    );
    assert!(
        !tags.iter().any(|t| t.0 == f3),
        "gibberish stays untagged: {tags:?}"
    );

    // New feedback is tagged in the background through a job.
    let f4 = feedback(
        &app.pool,
        "support",
        "card not working in the shop",
        None,
        None,
        0,
    )
    .await;
    goldthread::feedback::announce_arrival(&app.pool, vec![f4])
        .await
        .unwrap();
    assert_eq!(
        goldthread::worker::run_pending(&app.pool, &app.config)
            .await
            .unwrap(),
        1
    );
    let t4: Option<i64> =
        sqlx::query_scalar("select theme_id from feedback_themes where feedback_id = $1")
            .bind(f4)
            .fetch_optional(&app.pool)
            .await
            .unwrap();
    assert_eq!(t4, Some(cards));
    assert_rollups_match(&app.pool).await;
}

#[sqlx::test]
async fn a_rejection_is_kept_on_retag_and_the_overview_counts_what_people_see(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let cards = theme(&app.pool, "Card declined", "card declined").await;
    let f1 = feedback(
        &app.pool,
        "support",
        "card declined at the till",
        None,
        None,
        1,
    )
    .await;
    goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let page = pm.get("/themes/review").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("card declined at the till"),
        "{}",
        page.body
    );
    let tag_id: i64 = sqlx::query_scalar("select id from feedback_themes where feedback_id = $1")
        .bind(f1)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = pm
        .post_form("/themes/review", &[("one", &format!("reject:{tag_id}"))])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let after = pm.get("/themes/review").await;
    assert!(after.body.contains("Rejected 1 tag."), "flash after POST");
    assert!(after.body.contains("Nothing to review"));
    goldthread::themes::retag_all(&app.pool, None)
        .await
        .unwrap();
    let state: String = sqlx::query_scalar("select state from feedback_themes where id = $1")
        .bind(tag_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(state, "rejected", "a retag never overrides a person");
    let audit: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'tag.reject'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
    let overview = pm.get("/themes").await;
    assert!(
        overview
            .body
            .contains(&format!("href=\"/themes/{cards}\">Card declined"))
    );
}

#[sqlx::test]
async fn emerging_themes_follow_the_untagged_feedback(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    let empty = pm.get("/themes/emerging").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No emerging themes"), "{}", empty.body);

    let crypto = [
        "Crypto wallet withdrawal to my crypto exchange is stuck",
        "Why can't I withdraw crypto to an external crypto wallet",
        "My crypto wallet withdrawal failed twice today",
        "Crypto withdrawal to wallet pending for hours",
        "Please enable crypto wallet withdrawals to other exchanges",
    ];
    let passport = [
        "Passport photo rejected during identity verification",
        "Identity verification keeps failing on my passport scan",
        "How long does passport identity verification take",
        "Verification of my identity with a passport did not work",
        "Passport identity check stuck on verification screen",
    ];
    let mut crypto_ids = Vec::new();
    for body in crypto {
        crypto_ids.push(feedback(&app.pool, "support", body, None, None, 1).await);
    }
    for body in passport {
        feedback(&app.pool, "support", body, None, None, 2).await;
    }
    let page = pm.get("/themes/emerging").await;
    assert!(
        page.body.contains("from the 10 most recent untagged items"),
        "{}",
        page.body
    );
    let crypto_quotes = |body: &str| crypto.iter().filter(|t| body.contains(*t)).count();
    let passport_quotes = |body: &str| passport.iter().filter(|t| body.contains(*t)).count();
    assert!(crypto_quotes(&page.body) > 0, "{}", page.body);
    assert!(passport_quotes(&page.body) > 0, "{}", page.body);
    assert!(page.body.contains("Create theme from this"));

    // Once a theme covers the crypto items, the next visit no longer offers them.
    let wallets = theme(&app.pool, "Crypto wallets", "crypto").await;
    for id in crypto_ids {
        tag(&app.pool, id, wallets, "confirmed").await;
    }
    let page = pm.get("/themes/emerging").await;
    assert!(
        page.body.contains("from the 5 most recent untagged items"),
        "{}",
        page.body
    );
    assert_eq!(crypto_quotes(&page.body), 0, "{}", page.body);
    assert!(passport_quotes(&page.body) > 0, "{}", page.body);
    assert!(
        !page.body.contains("BANKING77"),
        "no attribution without the data set"
    );

    // With the demo's BANKING77 tickets loaded, pages quoting feedback attribute the data set.
    sqlx::query("insert into feedback (source, external_id, body) values ('support', 'banking77-1', 'I am still waiting on my card?')")
        .execute(&app.pool)
        .await
        .unwrap();
    for path in [
        "/themes/emerging",
        "/themes/review",
        &format!("/themes/{wallets}"),
    ] {
        let page = pm.get(path).await;
        assert!(page.body.contains("BANKING77"), "{path}: {}", page.body);
    }
}

/// A feedback item's own page shows every tag with its state, how it came and who decided, and
/// a PM tags it by hand, confirms, rejects and removes there; viewers see the tags only.
#[sqlx::test]
async fn an_items_page_shows_its_themes_and_a_pm_tags_it_by_hand(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let fees = theme(&app.pool, "Fees and pricing", "fees").await;
    let cards = theme(&app.pool, "Cards", "card").await;
    let item = feedback(&app.pool, "nps", "FX fees are unclear", None, Some(6), 1).await;
    let suggested = tag(&app.pool, item, fees, "suggested").await;
    let (mut pm, pm_user) = app.signed_in(Role::Pm).await;

    let page = pm.get(&format!("/feedback/{item}")).await;
    assert!(page.body.contains("Fees and pricing"), "{}", page.body);
    assert!(page.body.contains("Suggested by the tagger"));
    assert!(page.body.contains("80 %"), "the tagger's confidence");
    assert!(page.body.contains("Add a theme by hand"));

    // Tag by hand: a confirmed, manual tag credited to the PM.
    let res = pm
        .post_form(
            &format!("/feedback/{item}/themes"),
            &[("theme_id", &cards.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = pm.get(&format!("/feedback/{item}")).await;
    assert!(page.body.contains("Theme added."));
    assert!(page.body.contains("Tagged by hand"));
    assert!(page.body.contains(&pm_user.name), "who decided");
    let state: String = sqlx::query_scalar(
        "select state from feedback_themes where feedback_id = $1 and theme_id = $2 and origin = 'manual'",
    )
    .bind(item)
    .bind(cards)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(state, "confirmed");

    // Reject the suggestion from the item page; it comes back to the item.
    let res = pm
        .post_form(
            "/themes/review",
            &[
                ("one", &format!("reject:{suggested}")),
                ("back", &format!("/feedback/{item}#themes")),
            ],
        )
        .await;
    assert_eq!(
        res.location(),
        Some(format!("/feedback/{item}#themes").as_str())
    );
    let page = pm.get(&format!("/feedback/{item}")).await;
    assert!(page.body.contains("Rejected"));

    // Remove it altogether.
    let res = pm
        .post_form(&format!("/tags/{suggested}/remove"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let left: i64 =
        sqlx::query_scalar("select count(*) from feedback_themes where feedback_id = $1")
            .bind(item)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(left, 1, "only the manual tag is left");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action in ('tag.manual', 'tag.reject', 'tag.remove')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);

    // A viewer sees the tags but no actions, and cannot post them.
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;
    let page = viewer.get(&format!("/feedback/{item}")).await;
    assert!(page.body.contains("Cards"));
    assert!(!page.body.contains("Add a theme by hand"));
    let res = viewer
        .post_form(
            &format!("/feedback/{item}/themes"),
            &[("theme_id", &fees.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

/// The value of the first `<input name="{name}" value="…">` on a page.
fn input_value(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\""))?;
    let rest = &body[at..];
    let v = rest.find("value=\"")? + 7;
    let end = rest[v..].find('"')?;
    Some(
        rest[v..v + end]
            .replace("&amp;", "&")
            .replace("&#x2c;", ","),
    )
}

/// "Create theme from this" on an emerging cluster makes a theme that starts with the
/// cluster's items (as suggestions, or confirmed when the PM ticks it) and clean keywords.
#[sqlx::test]
async fn a_theme_made_from_a_cluster_starts_with_its_items(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let (mut pm, _) = app.signed_in(Role::Pm).await;
    for body in [
        "Crypto wallet withdrawal to my crypto exchange is stuck",
        "Why can't I withdraw crypto to an external crypto wallet",
        "My crypto wallet withdrawal failed twice today",
        "Crypto withdrawal to wallet pending for hours",
        "Please enable crypto wallet withdrawals to other exchanges",
        "Passport photo rejected during identity verification",
        "Identity verification keeps failing on my passport scan",
        "How long does passport identity verification take",
        "Verification of my identity with a passport did not work",
        "Passport identity check stuck on verification screen",
    ] {
        feedback(&app.pool, "support", body, None, None, 1).await;
    }
    let page = pm.get("/themes/emerging").await;
    let marker = "\">Create theme from this</a>";
    let end = page.body.find(marker).expect("a cluster to create from");
    let start = page.body[..end].rfind("href=\"").unwrap() + 6;
    let href = page.body[start..end]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let form = pm.get(&href).await;
    assert_eq!(form.status, StatusCode::OK);
    let items = input_value(&form.body, "items")
        .unwrap_or_else(|| panic!("the cluster items ride along: {href} {}", form.body));
    let n = items.split(',').count();
    assert!(n >= 3, "{items}");
    assert!(form.body.contains(&format!("The cluster's {n} items")));
    let name = input_value(&form.body, "name").unwrap();
    let keywords_at = form.body.find("name=\"keywords\"").unwrap();
    let keywords_area = &form.body[keywords_at..];
    let keywords = &keywords_area
        [keywords_area.find('>').unwrap() + 1..keywords_area.find("</textarea>").unwrap()];
    assert!(
        !keywords.contains(",,") && !keywords.contains('\''),
        "{keywords}"
    );

    let res = pm
        .post_form(
            "/themes",
            &[("name", &name), ("keywords", keywords), ("items", &items)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let theme_id: i64 = sqlx::query_scalar("select id from themes where name = $1")
        .bind(&name)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let suggested: i64 = sqlx::query_scalar(
        "select count(*) from feedback_themes where theme_id = $1 and state = 'suggested'",
    )
    .bind(theme_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        suggested as usize, n,
        "the new theme starts with every item of the cluster"
    );
    let page = pm.get(&format!("/themes/{theme_id}")).await;
    assert!(
        page.body.contains(&format!("with {n} suggested items")),
        "{}",
        page.body
    );

    // Ticking "confirm all" confirms them at once.
    let res = pm
        .post_form(
            "/themes",
            &[
                ("name", "Crypto, confirmed"),
                ("keywords", "crypto wallet"),
                ("items", &items),
                ("confirm_items", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let confirmed: i64 = sqlx::query_scalar(
        "select count(*) from feedback_themes ft join themes t on t.id = ft.theme_id
         where t.name = 'Crypto, confirmed' and ft.state = 'confirmed' and ft.decided_by is not null",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(confirmed as usize, n);
    assert_rollups_match(&app.pool).await;
}

/// `/feedback` filters by theme (suggested or confirmed, not rejected) and by "no theme yet";
/// the theme page links to its items there.
#[sqlx::test]
async fn the_feedback_list_filters_by_theme_and_untagged(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let fees = theme(&app.pool, "Fees and pricing", "fees").await;
    let tagged = feedback(
        &app.pool,
        "support",
        "Why is the transfer fee so high",
        None,
        None,
        1,
    )
    .await;
    let suggested = feedback(
        &app.pool,
        "sales",
        "Pricing questions from the CFO",
        None,
        None,
        2,
    )
    .await;
    let rejected = feedback(
        &app.pool,
        "support",
        "Fee on the card looked odd",
        None,
        None,
        3,
    )
    .await;
    feedback(
        &app.pool,
        "support",
        "The app logs me out every hour",
        None,
        None,
        4,
    )
    .await;
    tag(&app.pool, tagged, fees, "confirmed").await;
    tag(&app.pool, suggested, fees, "suggested").await;
    tag(&app.pool, rejected, fees, "rejected").await;
    let (mut viewer, _) = app.signed_in(Role::Viewer).await;

    let page = viewer.get(&format!("/feedback?theme={fees}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Theme: Fees and pricing"),
        "the filter chip"
    );
    assert!(page.body.contains("transfer fee so high"));
    assert!(page.body.contains("Pricing questions"));
    assert!(
        !page.body.contains("looked odd"),
        "a rejected tag does not count"
    );
    assert!(!page.body.contains("logs me out"));

    let page = viewer.get("/feedback?theme=untagged").await;
    assert!(page.body.contains("logs me out"));
    assert!(
        page.body.contains("looked odd"),
        "only a rejected tag: still untagged"
    );
    assert!(!page.body.contains("transfer fee so high"));

    let page = viewer.get("/feedback?theme=everything").await;
    assert!(
        page.body
            .contains("Choose a theme from the list, or untagged")
    );

    let theme_page = viewer.get(&format!("/themes/{fees}")).await;
    assert!(theme_page.body.contains(&format!("/feedback?theme={fees}")));
}
