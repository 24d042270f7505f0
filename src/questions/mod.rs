//! Inbound questions: what revenue teams ask product, and whether they move from "tell us what
//! this does" (awareness) to "how do we get our customers ready" (readiness).

pub mod classify;
pub mod launch_guess;

use serde::{Deserialize, Serialize};

/// What a question is about, the product's health signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// "What does this do", "when does it ship": the information should have reached them.
    Awareness,
    /// "How do we get our customers ready": the good signal.
    Readiness,
    /// Escalations, deal desk, pricing exceptions, bugs, feature requests.
    Other,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Awareness, Kind::Readiness, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Awareness => "awareness",
            Kind::Readiness => "readiness",
            Kind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Awareness => "Awareness",
            Kind::Readiness => "Readiness",
            Kind::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "awareness" => Some(Kind::Awareness),
            "readiness" => Some(Kind::Readiness),
            "other" => Some(Kind::Other),
            _ => None,
        }
    }

    fn id(self) -> i64 {
        match self {
            Kind::Awareness => 0,
            Kind::Readiness => 1,
            Kind::Other => 2,
        }
    }

    fn from_id(id: i64) -> Kind {
        match id {
            0 => Kind::Awareness,
            1 => Kind::Readiness,
            _ => Kind::Other,
        }
    }
}

pub mod api;
pub mod chat;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod repeated;
pub mod triage;
pub mod web;

use std::sync::{Arc, Mutex};

use crate::validation::{FieldErrors, clean};

/// Teams that ask (a question's team).
pub const TEAMS: [(&str, &str); 5] = [
    ("sales", "Sales"),
    ("success", "Customer success"),
    ("support", "Support"),
    ("marketing", "Marketing"),
    ("other", "Other"),
];

/// Where a question came in.
pub const CHANNELS: [(&str, &str); 5] = [
    ("chat", "Chat"),
    ("email", "Email"),
    ("meeting", "Meeting"),
    ("form", "Form"),
    ("other", "Other"),
];

fn known(list: &[(&'static str, &'static str)], value: &str) -> Option<&'static str> {
    list.iter().find(|(k, _)| *k == value).map(|(k, _)| *k)
}

/// A question as typed in the quick form or sent to the API; everything but the text optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct QuestionInput {
    #[serde(default)]
    #[schema(required = true, max_length = 4000)]
    pub text: String,
    /// `sales`, `success`, `support`, `marketing` or `other`; the asker's team when empty.
    #[serde(default)]
    pub team: String,
    /// `chat`, `email`, `meeting`, `form` or `other`.
    #[serde(default)]
    pub channel: String,
    /// Who asked, when it was not the signed-in person (a name).
    #[serde(default)]
    pub asked_by_name: String,
    #[serde(default, deserialize_with = "id_text")]
    #[schema(value_type = Option<String>)]
    pub theme_id: String,
    /// The launch it is about (its id); guessed from the text and offered when empty.
    #[serde(default, deserialize_with = "id_text")]
    #[schema(value_type = Option<String>)]
    pub launch_id: String,
}

/// An id field sent as text (forms) or as a number or null (JSON).
fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IdText {
        Text(String),
        Number(i64),
        Null(()),
    }
    Ok(match Option::<IdText>::deserialize(d)? {
        Some(IdText::Text(s)) => s,
        Some(IdText::Number(n)) => n.to_string(),
        Some(IdText::Null(())) | None => String::new(),
    })
}

/// A validated question.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQuestion {
    pub text: String,
    pub team: &'static str,
    pub channel: &'static str,
    pub asked_by_name: Option<String>,
    pub theme_id: Option<i64>,
    pub launch_id: Option<i64>,
}

impl QuestionInput {
    /// `default_team` is the asker's own team when it is one that asks.
    pub fn validate(&self, default_team: Option<&str>) -> Result<NewQuestion, FieldErrors> {
        let mut errors = FieldErrors::default();
        for (field, value) in [
            ("team", &self.team),
            ("channel", &self.channel),
            ("asked_by_name", &self.asked_by_name),
            ("theme_id", &self.theme_id),
            ("launch_id", &self.launch_id),
        ] {
            if errors.check_text(field, Some(value), false) {
                return Err(errors);
            }
        }
        let text = self.text.trim();
        if text.is_empty() {
            errors.add("text", "Type the question");
        } else if text.chars().count() > 4000 {
            errors.add("text", "Keep the question under 4,000 characters");
        } else if let Some(message) = crate::validation::control_character(text, true) {
            errors.add("text", message);
        }
        let team = match clean(Some(&self.team)).or(default_team) {
            None => "other",
            Some(t) => known(&TEAMS, t).unwrap_or_else(|| {
                errors.add("team", "Choose sales, success, support, marketing or other");
                "other"
            }),
        };
        let channel = match clean(Some(&self.channel)) {
            None => "form",
            Some(c) => known(&CHANNELS, c).unwrap_or_else(|| {
                errors.add("channel", "Choose chat, email, meeting, form or other");
                "other"
            }),
        };
        let asked_by_name = clean(Some(&self.asked_by_name)).map(str::to_owned);
        if asked_by_name
            .as_deref()
            .is_some_and(|n| n.chars().count() > 200)
        {
            errors.add("asked_by_name", "Keep the name under 200 characters");
        }
        let theme_id = match clean(Some(&self.theme_id)) {
            None => None,
            Some(t) => match t.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.add("theme_id", "Choose a theme from the list");
                    None
                }
            },
        };
        let launch_id = match clean(Some(&self.launch_id)) {
            None => None,
            Some(t) => match t.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.add("launch_id", "Choose a launch from the list");
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(NewQuestion {
                text: text.to_owned(),
                team,
                channel,
                asked_by_name,
                theme_id,
                launch_id,
            })
        } else {
            Err(errors)
        }
    }
}

/// Log a question: check it, classify it, store it, audit it. Returns its id and kind.
pub async fn ask(
    pool: &sqlx::PgPool,
    classifier: &ClassifierCache,
    asker: &crate::auth::User,
    input: &QuestionInput,
    default_team: Option<&str>,
) -> crate::error::AppResult<(i64, Kind)> {
    let (id, kind, _) = ask_with(
        pool,
        classifier,
        &crate::audit::Actor::User(asker),
        Some(asker.id),
        input,
        default_team,
    )
    .await?;
    Ok((id, kind))
}

/// [`ask`] for an asker who may have no account (a chat command): `user_id` is the asker's
/// account when known. Returns the id, the kind and the launch guessed from the text.
pub async fn ask_with(
    pool: &sqlx::PgPool,
    classifier: &ClassifierCache,
    actor: &crate::audit::Actor<'_>,
    user_id: Option<i64>,
    input: &QuestionInput,
    default_team: Option<&str>,
) -> crate::error::AppResult<(i64, Kind, Option<i64>)> {
    let question = input
        .validate(default_team)
        .map_err(crate::error::AppError::Validation)?;
    if let Some(l) = question.launch_id
        && crate::launches::db::get(pool, l).await?.is_none()
    {
        let mut errors = FieldErrors::default();
        errors.add_conflict("launch_id", "Choose a launch from the list");
        return Err(crate::error::AppError::Validation(errors));
    }
    if let Some(t) = question.theme_id
        && crate::themes::db::get(pool, t).await?.is_none()
    {
        let mut errors = FieldErrors::default();
        errors.add_conflict("theme_id", "Choose a theme from the list");
        return Err(crate::error::AppError::Validation(errors));
    }
    let classified = classifier.get(pool).await?.classify(&question.text);
    let launch_guess_id = match question.launch_id {
        Some(_) => None,
        None => guess_launch(pool, &question.text).await?,
    };
    let mut tx = pool.begin().await?;
    let id = db::insert(
        &mut *tx,
        &db::Asked {
            question: &question,
            asked_by_id: user_id.filter(|_| question.asked_by_name.is_none()),
            asked_at: None,
            kind: classified.kind,
            confidence: classified.confidence,
            launch_guess_id,
        },
    )
    .await?;
    crate::audit::db::record(
        &mut *tx,
        actor,
        crate::audit::Entry {
            action: "question.create",
            entity_type: "question",
            entity_id: Some(id.to_string()),
            summary: format!("Logged question #{id} ({})", classified.kind.as_str()),
            before: None,
            after: Some(serde_json::json!({ "text": question.text, "team": question.team, "kind": classified.kind })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, classified.kind, launch_guess_id.or(question.launch_id)))
}

/// The launch (not retired) that a question's text names, if any.
pub async fn guess_launch(pool: &sqlx::PgPool, text: &str) -> sqlx::Result<Option<i64>> {
    let candidates = launch_candidates(pool).await?;
    Ok(launch_guess::guess(text, &candidates).map(|(id, _)| id))
}

/// Every launch that is not retired, with the keywords of the themes it answers.
pub async fn launch_candidates(pool: &sqlx::PgPool) -> sqlx::Result<Vec<launch_guess::Candidate>> {
    let launches = crate::launches::db::list(pool).await?;
    let themes = crate::themes::db::list(pool, Some("active")).await?;
    Ok(launches
        .into_iter()
        .filter(|l| l.status != "retired")
        .map(|l| launch_guess::Candidate {
            keywords: themes
                .iter()
                .filter(|t| l.theme_ids.contains(&t.id))
                .flat_map(|t| t.keywords.iter().cloned())
                .collect(),
            id: l.id,
            name: l.name,
        })
        .collect())
}

/// Confirm the guessed launch (it becomes the question's launch) or decline it; audited.
pub async fn settle_guess(
    pool: &sqlx::PgPool,
    by: &crate::auth::User,
    id: i64,
    confirm: bool,
) -> crate::error::AppResult<()> {
    let mut tx = pool.begin().await?;
    let Some(guess) = db::settle_guess(&mut *tx, id, confirm).await? else {
        return Err(crate::error::AppError::NotFound);
    };
    crate::audit::db::record(
        &mut *tx,
        &crate::audit::Actor::User(by),
        crate::audit::Entry {
            action: "question.launch",
            entity_type: "question",
            entity_id: Some(id.to_string()),
            summary: if confirm {
                format!("Linked question #{id} to launch #{guess}")
            } else {
                format!("Question #{id} is not about launch #{guess}")
            },
            before: None,
            after: Some(serde_json::json!({ "launch_id": confirm.then_some(guess) })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Answer a question (Markdown text, minutes spent), audited.
pub async fn answer(
    pool: &sqlx::PgPool,
    by: &crate::auth::User,
    id: i64,
    form: &web::AnswerForm,
) -> crate::error::AppResult<()> {
    let mut errors = FieldErrors::default();
    let text = form.answer.trim();
    if text.is_empty() {
        errors.add("answer", "Write the answer");
    } else if text.chars().count() > 20_000 {
        errors.add("answer", "Keep the answer under 20,000 characters");
    } else if let Some(message) = crate::validation::control_character(text, true) {
        errors.add("answer", message);
    }
    let minutes = match clean(Some(&form.minutes)) {
        None => None,
        Some(m) => match m.parse::<i32>() {
            Ok(n) if (0..=1440).contains(&n) => Some(n),
            _ => {
                errors.add(
                    "minutes",
                    "Enter the minutes spent as a whole number from 0 to 1440",
                );
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(crate::error::AppError::Validation(errors));
    }
    let mut tx = pool.begin().await?;
    if !db::answer(&mut *tx, id, text, minutes, by.id).await? {
        return Err(crate::error::AppError::NotFound);
    }
    crate::audit::db::record(
        &mut *tx,
        &crate::audit::Actor::User(by),
        crate::audit::Entry {
            action: "question.answer",
            entity_type: "question",
            entity_id: Some(id.to_string()),
            summary: format!("Answered question #{id}"),
            before: None,
            after: Some(serde_json::json!({ "minutes": minutes })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person sets a question's kind; the classifier learns from it. Audited.
pub async fn override_kind(
    pool: &sqlx::PgPool,
    by: &crate::auth::User,
    id: i64,
    kind: Kind,
) -> crate::error::AppResult<()> {
    let mut tx = pool.begin().await?;
    let before = db::get(&mut *tx, id)
        .await?
        .ok_or(crate::error::AppError::NotFound)?;
    db::override_kind(&mut *tx, id, kind, by.id).await?;
    crate::audit::db::record(
        &mut *tx,
        &crate::audit::Actor::User(by),
        crate::audit::Entry {
            action: "question.kind",
            entity_type: "question",
            entity_id: Some(id.to_string()),
            summary: format!("Set question #{id} to {}", kind.as_str()),
            before: Some(serde_json::json!({ "kind": before.kind })),
            after: Some(serde_json::json!({ "kind": kind })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Readiness share = readiness ÷ (awareness + readiness), in percent; `None` when a period has
/// neither (no questions, or only "other").
pub fn readiness_share(awareness: i64, readiness: i64) -> Option<i64> {
    let asked = awareness + readiness;
    (asked > 0).then(|| (100 * readiness + asked / 2) / asked)
}

/// Awareness and readiness questions of one week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekTotal {
    pub week: time::Date,
    pub awareness: i64,
    pub readiness: i64,
}

/// The last `weeks` complete weeks (Monday, UTC), oldest first, every week present (zeros when
/// nothing was asked), all teams together.
pub async fn share_trend(pool: &sqlx::PgPool, weeks: i64) -> sqlx::Result<Vec<WeekTotal>> {
    let this_week = crate::insights::week_start(crate::insights::today());
    let first = this_week - time::Duration::weeks(weeks);
    let rows = db::weekly(
        pool,
        &db::WeekFilter {
            from: first.midnight().assume_utc(),
            to: this_week.midnight().assume_utc(),
            launch_id: None,
            channel: None,
        },
    )
    .await?;
    Ok((0..weeks)
        .map(|i| {
            let week = first + time::Duration::weeks(i);
            let (awareness, readiness) = rows
                .iter()
                .filter(|r| r.week == week)
                .fold((0, 0), |acc, r| (acc.0 + r.awareness, acc.1 + r.readiness));
            WeekTotal {
                week,
                awareness,
                readiness,
            }
        })
        .collect())
}

/// How many support items wait for the weekly triage.
pub async fn triage_backlog(pool: &sqlx::PgPool) -> sqlx::Result<i64> {
    triage::db::backlog_count(pool, triage::window_start(crate::insights::today())).await
}

/// The classifier as shipped plus the overrides in the database, retrained when an override
/// is added (the key is the number of overrides and the newest one's time).
#[derive(Clone, Default)]
pub struct ClassifierCache(Arc<Mutex<Option<Trained>>>);

/// A classifier and the overrides it was trained with.
type Trained = (db::OverrideKey, Arc<classify::Classifier>);

impl ClassifierCache {
    pub async fn get(&self, pool: &sqlx::PgPool) -> anyhow::Result<Arc<classify::Classifier>> {
        let key = db::override_key(pool).await?;
        if let Some((k, c)) = self.0.lock().expect("classifier cache").as_ref()
            && *k == key
        {
            return Ok(c.clone());
        }
        let overrides = db::overrides(pool).await?;
        let trained = tokio::task::spawn_blocking(move || {
            Arc::new(classify::Classifier::shipped(&overrides))
        })
        .await?;
        *self.0.lock().expect("classifier cache") = Some((key, trained.clone()));
        Ok(trained)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_share_skips_weeks_without_awareness_or_readiness() {
        assert_eq!(readiness_share(0, 0), None, "no questions, or only other");
        assert_eq!(readiness_share(3, 1), Some(25));
        assert_eq!(readiness_share(0, 2), Some(100));
        assert_eq!(readiness_share(2, 1), Some(33));
    }

    #[test]
    fn a_question_needs_only_its_text() {
        let q = QuestionInput {
            text: "  When does it ship? ".into(),
            ..QuestionInput::default()
        }
        .validate(Some("sales"))
        .unwrap();
        assert_eq!(
            (q.text.as_str(), q.team, q.channel),
            ("When does it ship?", "sales", "form")
        );
        let errors = QuestionInput {
            text: "bad\u{1}".into(),
            team: "finance".into(),
            ..QuestionInput::default()
        }
        .validate(None)
        .unwrap_err();
        assert!(errors.has("text") && errors.has("team"));
    }
}
