//! Demo data: sign-ins for every role (later features add their data here).

pub mod content;
// `db` already names `crate::auth::db` in this module.
#[path = "db.rs"]
pub mod demo_db;
pub mod notes;

use sqlx::PgPool;

use crate::admin::{self, UserInput};
use crate::audit::Actor;
use crate::auth::{Role, Team, db};

pub const DEMO_PASSWORD: &str = "goldthread-demo";

pub struct DemoUser {
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
    pub team: Team,
}

/// The first four are offered as one-click sign-ins, in this order.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        email: "pm@example.com",
        name: "Priya Patel",
        role: Role::Pm,
        team: Team::Product,
    },
    DemoUser {
        email: "sales@example.com",
        name: "Riley Chen",
        role: Role::Revenue,
        team: Team::Sales,
    },
    DemoUser {
        email: "ops@example.com",
        name: "Olivia Okafor",
        role: Role::ProductOps,
        team: Team::ProductOps,
    },
    DemoUser {
        email: "admin@example.com",
        name: "Sam Admin",
        role: Role::Admin,
        team: Team::Other,
    },
    DemoUser {
        email: "success@example.com",
        name: "Jordan Diaz",
        role: Role::Revenue,
        team: Team::Success,
    },
    DemoUser {
        email: "support@example.com",
        name: "Mei Tanaka",
        role: Role::Revenue,
        team: Team::Support,
    },
    DemoUser {
        email: "viewer@example.com",
        name: "Victor Viewer",
        role: Role::Viewer,
        team: Team::Marketing,
    },
];

/// Load the demo: users, accounts and feedback, then themes and tags. Refuses a database that
/// holds anyone who is not a demo user; safe to run twice.
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    load_users(pool).await?;
    load_content(pool).await?;
    crate::themes::demo::load(pool)
        .await
        .map_err(|e| anyhow::anyhow!("demo themes: {e:#}"))?;
    crate::launches::demo::load(pool)
        .await
        .map_err(|e| anyhow::anyhow!("demo launches: {e:#}"))?;
    crate::questions::demo::load(pool)
        .await
        .map_err(|e| anyhow::anyhow!("demo questions: {e:#}"))?;
    crate::digests::demo::load(pool)
        .await
        .map_err(|e| anyhow::anyhow!("demo digests: {e:#}"))?;
    // A fresh database grew from nothing: the planner learns its sizes now.
    crate::db::analyze_after_bulk(
        pool,
        &[
            "feedback",
            "feedback_themes",
            "theme_weekly",
            "theme_account_weekly",
            "account_nps_weekly",
            "nps_daily",
            "accounts",
            "account_arr_history",
        ],
        u64::MAX,
    )
    .await?;
    Ok(())
}

/// Only the demo sign-ins (what tests of sign-in need). Same refusal as [`load`].
pub async fn load_users(pool: &PgPool) -> anyhow::Result<()> {
    let real = db::count_real_users(pool).await?;
    if real > 0 {
        anyhow::bail!(
            "this database already holds {real} real user(s); the demo only loads into an empty or demo database"
        );
    }
    let actor = Actor::System("goldthread demo");
    for demo in DEMO_USERS {
        if db::find_by_email(pool, demo.email).await?.is_some() {
            continue;
        }
        let valid = UserInput {
            email: demo.email.into(),
            name: demo.name.into(),
            role: demo.role.as_str().into(),
            team: demo.team.as_str().into(),
            password: DEMO_PASSWORD.into(),
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("demo user invalid: {e:?}"))?;
        admin::create_user(pool, &actor, valid, true)
            .await
            .map_err(|e| anyhow::anyhow!("creating demo user {}: {e}", demo.email))?;
    }
    Ok(())
}

/// Accounts and feedback of the demo, in one transaction; running it again updates in place.
pub async fn load_content(pool: &PgPool) -> anyhow::Result<()> {
    use anyhow::Context;
    let accounts = content::accounts();
    let items = content::feedback(&accounts, time::OffsetDateTime::now_utc());
    let mut tx = pool.begin().await?;
    let plain: Vec<_> = accounts.iter().map(|a| a.account.clone()).collect();
    crate::accounts::db::upsert_many(&mut tx, &plain)
        .await
        .context("saving demo accounts")?;
    let (ids, emails): (Vec<String>, Vec<String>) = accounts
        .iter()
        .filter_map(|a| Some((a.account.external_id.clone(), a.owner_email?.to_string())))
        .unzip();
    demo_db::set_owners(&mut tx, &ids, &emails)
        .await
        .context("setting demo account owners")?;
    let all_ids: Vec<String> = plain.iter().map(|a| a.external_id.clone()).collect();
    let now = time::OffsetDateTime::now_utc();
    let year_before = time::Date::from_calendar_date(now.year() - 1, time::Month::January, 1)
        .context("demo dates")?;
    demo_db::backdate_arr_history(&mut tx, &all_ids, year_before.midnight().assume_utc())
        .await
        .context("starting the demo ARR history")?;
    crate::admin::rates::db::upsert_rates(&mut *tx, "USD", &demo_rates(now.year())?, None)
        .await
        .context("saving demo exchange rates")?;
    let (inserted, updated) = demo_db::upsert_feedback(&mut tx, &items)
        .await
        .context("saving demo feedback")?;
    crate::audit::record_batch(
        &mut *tx,
        &Actor::System("goldthread demo"),
        crate::audit::Batch {
            action: "demo",
            entity_type: "feedback",
            summary: format!("Loaded the demo feedback: {inserted} new, {updated} refreshed"),
            inserted: inserted as i64,
            updated: updated as i64,
            unchanged: 0,
            detail: serde_json::json!({"via": "demo"}),
        },
    )
    .await
    .context("auditing the demo feedback")?;
    tx.commit().await?;
    Ok(())
}

/// Rates to USD for the demo's EUR and GBP accounts: one from January last year (before the
/// oldest demo feedback) and a newer one from January this year. Fixed days, so loading twice
/// writes the same rows.
fn demo_rates(year: i32) -> anyhow::Result<Vec<crate::admin::rates::db::NewRate>> {
    let jan = |y| time::Date::from_calendar_date(y, time::Month::January, 1);
    Ok([
        ("EUR", "1.08", jan(year - 1)?),
        ("GBP", "1.27", jan(year - 1)?),
        ("EUR", "1.10", jan(year)?),
        ("GBP", "1.25", jan(year)?),
    ]
    .into_iter()
    .map(
        |(currency, rate, valid_from)| crate::admin::rates::db::NewRate {
            currency: currency.into(),
            rate: rate.into(),
            valid_from,
        },
    )
    .collect())
}

/// The sign-ins to print after loading the demo.
pub fn sign_in_table() -> String {
    let mut out = String::from("Demo sign-ins (password for all: goldthread-demo):\n");
    for u in DEMO_USERS {
        out.push_str(&format!("  {:<22} {}\n", u.email, u.role.label()));
    }
    out
}
