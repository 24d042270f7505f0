//! Six months of demo questions (`data/demo/questions.json`): before a launch's guide most ask
//! what it does, after it most ask how to get customers ready, so the dashboard tells that story.
//! Each is classified by the shipped classifier, as a question logged through the app would be.

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime, Time};

use super::classify::Classifier;
use super::{NewQuestion, db};

const QUESTIONS_JSON: &str = include_str!("../../data/demo/questions.json");

#[derive(Debug, Deserialize)]
struct DemoQuestion {
    team: String,
    channel: String,
    text: String,
    answer: Option<String>,
    minutes: Option<i32>,
    phase: String,
}

/// Who asks for each team in the demo (people without a demo account are named).
fn asker(team: &str) -> (Option<&'static str>, Option<&'static str>) {
    match team {
        "sales" => (Some("sales@example.com"), None),
        "success" => (Some("success@example.com"), None),
        "support" => (Some("support@example.com"), None),
        "marketing" => (None, Some("Ana Ruiz (marketing)")),
        _ => (None, Some("Leo Park (partnerships)")),
    }
}

/// Load the demo questions once (skipped when any question exists).
pub async fn load(pool: &PgPool) -> anyhow::Result<()> {
    let existing: i64 = sqlx::query_scalar!(r#"select count(*) as "n!" from questions"#)
        .fetch_one(pool)
        .await?;
    if existing > 0 {
        return Ok(());
    }
    let questions: Vec<DemoQuestion> =
        serde_json::from_str(QUESTIONS_JSON).context("reading the demo questions")?;
    let classifier = tokio::task::spawn_blocking(|| Classifier::shipped(&[])).await?;
    let user = |email: &'static str| async move {
        crate::auth::db::find_by_email(pool, email)
            .await
            .map(|u| u.map(|u| u.id))
    };
    let pm = user("pm@example.com").await?;
    // The three demo askers with accounts, looked up once rather than per question.
    let mut askers = std::collections::HashMap::new();
    for email in [
        "sales@example.com",
        "success@example.com",
        "support@example.com",
    ] {
        askers.insert(email, user(email).await?);
    }
    let today = OffsetDateTime::now_utc().replace_time(Time::MIDNIGHT);
    let (before, after): (Vec<&DemoQuestion>, Vec<&DemoQuestion>) =
        questions.iter().partition(|q| q.phase == "before_guide");
    // Demo questions name their launch the way people do; link them as a person confirming the
    // guess would.
    let candidates = super::launch_candidates(pool).await?;
    let mut tx = pool.begin().await?;
    for (group, from_days, span) in [(&before, 180i64, 90i64), (&after, 89, 88)] {
        let n = group.len().max(1) as i64;
        for (i, q) in group.iter().enumerate() {
            let i = i as i64;
            let asked_at = today - Duration::days(from_days - span * i / n)
                + Duration::hours(9 + (i * 5) % 8)
                + Duration::minutes((i * 17) % 60);
            let (email, name) = asker(&q.team);
            let asked_by_id = email.and_then(|e| askers.get(e).copied().flatten());
            let question = NewQuestion {
                text: q.text.clone(),
                team: super::TEAMS
                    .iter()
                    .find(|(k, _)| *k == q.team)
                    .map(|(k, _)| *k)
                    .unwrap_or("other"),
                channel: super::CHANNELS
                    .iter()
                    .find(|(k, _)| *k == q.channel)
                    .map(|(k, _)| *k)
                    .unwrap_or("other"),
                asked_by_name: name.map(str::to_owned),
                theme_id: None,
                launch_id: super::launch_guess::guess(&q.text, &candidates).map(|(id, _)| id),
            };
            let c = classifier.classify(&q.text);
            let id = db::insert(
                &mut *tx,
                &db::Asked {
                    question: &question,
                    asked_by_id,
                    asked_at: Some(asked_at),
                    kind: c.kind,
                    confidence: c.confidence,
                    launch_guess_id: None,
                },
            )
            .await?;
            if let (Some(answer), Some(pm)) = (&q.answer, pm) {
                db::answer(&mut *tx, id, answer, q.minutes, pm).await?;
                sqlx::query!(
                    "update questions set answered_at = asked_at + make_interval(hours => 2 + ($2::bigint % 30)::int) where id = $1",
                    id,
                    i
                )
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
