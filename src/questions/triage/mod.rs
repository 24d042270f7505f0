//! The weekly support/product triage: support-sourced feedback and questions from the support
//! team that nobody has reviewed yet, each decided once (confirm or change its theme, link it to
//! a launch, mark it reviewed, escalate it to a PM), every decision recorded with who and when,
//! and the week's decisions as a summary to paste into the call notes.

pub mod db;
pub mod web;

use time::{Date, Duration};

use crate::audit::{Actor, Entry};
use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::validation::FieldErrors;

/// Items that arrived in this week or the one before wait for the triage: the call reviews what
/// came in since the previous call, and an item missed last week is still shown.
pub fn window_start(today: Date) -> Date {
    crate::insights::week_start(today) - Duration::weeks(1)
}

/// What a triage decision does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Reviewed,
    ConfirmTheme,
    ChangeTheme,
    LinkLaunch,
    Escalate,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "reviewed" => Action::Reviewed,
            "confirm_theme" => Action::ConfirmTheme,
            "change_theme" => Action::ChangeTheme,
            "link_launch" => Action::LinkLaunch,
            "escalate" => Action::Escalate,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reviewed => "reviewed",
            Action::ConfirmTheme => "confirm_theme",
            Action::ChangeTheme => "change_theme",
            Action::LinkLaunch => "link_launch",
            Action::Escalate => "escalate",
        }
    }
}

/// How the summary words a decision.
pub fn describe(
    action: &str,
    theme: Option<&str>,
    launch: Option<&str>,
    escalated_to: Option<&str>,
) -> String {
    match action {
        "confirm_theme" => format!("theme confirmed: {}", theme.unwrap_or("(removed theme)")),
        "change_theme" => format!("theme set to {}", theme.unwrap_or("(removed theme)")),
        "link_launch" => format!("linked to {}", launch.unwrap_or("(removed launch)")),
        "escalate" => format!("escalated to {}", escalated_to.unwrap_or("(removed user)")),
        _ => "reviewed".to_owned(),
    }
}

/// A decision as posted by the page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    pub item_type: String,
    pub item_id: String,
    pub action: String,
    pub theme_id: String,
    pub launch_id: String,
    pub pm_id: String,
}

fn id_of(value: &str, field: &str, message: &str, errors: &mut FieldErrors) -> Option<i64> {
    match value.trim().parse::<i64>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            errors.add(field, message);
            None
        }
    }
}

/// Take one decision: check it, apply it to the item, record it, audit it.
pub async fn decide(pool: &sqlx::PgPool, by: &User, form: &DecisionForm) -> AppResult<()> {
    let mut errors = FieldErrors::default();
    let item_type = match form.item_type.as_str() {
        "feedback" => "feedback",
        "question" => "question",
        _ => {
            errors.add("item_type", "Choose a feedback item or a question");
            "feedback"
        }
    };
    let item_id = id_of(&form.item_id, "item_id", "Choose an item", &mut errors);
    let action = Action::parse(form.action.trim());
    if action.is_none() {
        errors.add(
            "action",
            "Choose confirm theme, change theme, link to a launch, reviewed or escalate",
        );
    }
    let (mut theme_id, mut launch_id, mut pm_id) = (None, None, None);
    match action {
        Some(Action::ChangeTheme) => {
            theme_id = id_of(&form.theme_id, "theme_id", "Choose a theme", &mut errors)
        }
        Some(Action::LinkLaunch) => {
            launch_id = id_of(&form.launch_id, "launch_id", "Choose a launch", &mut errors)
        }
        Some(Action::Escalate) => {
            pm_id = id_of(&form.pm_id, "pm_id", "Choose the PM to ask", &mut errors)
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (Some(item_id), Some(action)) = (item_id, action) else {
        return Err(AppError::NotFound);
    };
    let mut tx = pool.begin().await?;
    if !db::item_exists(&mut *tx, item_type, item_id).await? {
        return Err(AppError::NotFound);
    }
    if let Some(t) = theme_id
        && crate::themes::db::get(&mut *tx, t)
            .await?
            .is_none_or(|t| t.status != "active")
    {
        return Err(AppError::Validation(FieldErrors::single(
            "theme_id",
            "Choose an active theme",
        )));
    }
    if let Some(l) = launch_id
        && crate::launches::db::get(&mut *tx, l).await?.is_none()
    {
        return Err(AppError::Validation(FieldErrors::single(
            "launch_id",
            "Choose a launch from the list",
        )));
    }
    if let Some(p) = pm_id
        && !db::is_pm(&mut *tx, p).await?
    {
        return Err(AppError::Validation(FieldErrors::single(
            "pm_id",
            "Choose a PM from the list",
        )));
    }
    match (action, item_type) {
        (Action::ConfirmTheme, "feedback") => {
            let Some((tag, theme)) = db::top_tag(&mut *tx, item_id).await? else {
                return Err(AppError::Validation(FieldErrors::single(
                    "action",
                    "This item has no theme to confirm; choose one",
                )));
            };
            crate::themes::tagging::db::decide(&mut *tx, &[tag], "confirmed", Some(by.id)).await?;
            theme_id = Some(theme);
        }
        (Action::ConfirmTheme, _) => {
            let q = crate::questions::db::get(&mut *tx, item_id)
                .await?
                .ok_or(AppError::NotFound)?;
            if q.theme_id.is_none() {
                return Err(AppError::Validation(FieldErrors::single(
                    "action",
                    "This question has no theme to confirm; choose one",
                )));
            }
            theme_id = q.theme_id;
        }
        (Action::ChangeTheme, "feedback") => {
            let theme = theme_id.unwrap_or_default();
            if let Some((tag, old)) = db::top_tag(&mut *tx, item_id).await?
                && old != theme
            {
                crate::themes::tagging::db::decide(&mut *tx, &[tag], "rejected", Some(by.id))
                    .await?;
            }
            crate::themes::tagging::db::tag_manually(&mut *tx, item_id, theme, by.id).await?;
        }
        (Action::ChangeTheme, _) => {
            db::set_question_theme(&mut *tx, item_id, theme_id.unwrap_or_default()).await?
        }
        (Action::LinkLaunch, "question") => {
            db::set_question_launch(&mut *tx, item_id, launch_id.unwrap_or_default()).await?
        }
        (Action::Escalate, "question") => {
            db::escalate_question(&mut *tx, item_id, pm_id.unwrap_or_default()).await?
        }
        // A feedback item's launch and escalation live in the decision itself.
        _ => {}
    }
    let week = crate::insights::week_start(crate::insights::today());
    let decision = db::record(
        &mut *tx,
        &db::NewDecision {
            item_type,
            item_id,
            week,
            action: action.as_str(),
            theme_id,
            launch_id,
            escalated_to: pm_id,
            decided_by: by.id,
        },
    )
    .await?;
    crate::audit::db::record(
        &mut *tx,
        &Actor::User(by),
        Entry {
            action: "triage.decide",
            entity_type: item_type,
            entity_id: Some(item_id.to_string()),
            summary: format!(
                "Triage: {item_type} #{item_id} {}",
                action.as_str().replace('_', " ")
            ),
            before: None,
            after: Some(serde_json::json!({
                "decision": decision, "action": action.as_str(), "theme_id": theme_id,
                "launch_id": launch_id, "escalated_to": pm_id,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The week's decisions as plain text for the call notes.
pub fn summary(week: Date, rows: &[db::DecisionRow]) -> String {
    let mut out = format!("Support triage, week of {week}: {} decisions\n", rows.len());
    for r in rows {
        let text = crate::web::format::excerpt(&r.text, 90);
        let what = describe(
            &r.action,
            r.theme_name.as_deref(),
            r.launch_name.as_deref(),
            r.escalated_to.as_deref(),
        );
        let kind = if r.item_type == "feedback" {
            "Feedback"
        } else {
            "Question"
        };
        out.push_str(&format!(
            "- {kind} #{}: \"{text}\" — {what} ({})\n",
            r.item_id,
            r.decided_by.as_deref().unwrap_or("someone")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_this_week_and_the_last() {
        let wed = time::macros::date!(2026 - 12 - 02);
        assert_eq!(window_start(wed), time::macros::date!(2026 - 11 - 23));
    }

    #[test]
    fn the_summary_says_what_was_decided_and_by_whom() {
        let rows = vec![db::DecisionRow {
            item_type: "question".into(),
            item_id: 7,
            text: "Can we refund twice?".into(),
            action: "escalate".into(),
            theme_name: None,
            launch_name: None,
            escalated_to: Some("Pat PM".into()),
            decided_by: Some("Sam".into()),
            decided_at: time::OffsetDateTime::UNIX_EPOCH,
        }];
        let s = summary(time::macros::date!(2026 - 11 - 30), &rows);
        assert!(s.contains("week of 2026-11-30: 1 decisions"), "{s}");
        assert!(s.contains("Question #7: \"Can we refund twice?\" — escalated to Pat PM (Sam)"));
    }
}
