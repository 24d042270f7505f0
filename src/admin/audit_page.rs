//! The audit log page: who changed what and when, the changed fields before → after, filtered
//! by who, kind of thing and date (all in the URL), newest first with keyset pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

use super::web::admin;
use crate::app::AppState;
use crate::audit::{self, db::AuditFilter};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::validation::FieldErrors;
use crate::web::format::When;
use crate::web::{Layout, cursor};

/// Longest value shown in a change before it is cut (the whole value is in the title).
const VALUE_CHARS: usize = 160;
/// Changed fields listed per entry before "and N more".
const CHANGES_SHOWN: usize = 12;
const AUDIT_PAGE: i64 = 50;

pub struct ValueView {
    pub short: String,
    pub full: String,
}

impl ValueView {
    fn new(text: String) -> ValueView {
        ValueView {
            short: crate::web::format::excerpt(&text, VALUE_CHARS),
            full: text,
        }
    }
}

pub struct ChangeView {
    pub field: String,
    pub before: Option<ValueView>,
    pub after: Option<ValueView>,
}

pub struct AuditView {
    pub row: audit::db::AuditRow,
    pub at: When,
    /// Where the changed thing lives, when it has a page.
    pub href: Option<String>,
    pub changes: Vec<ChangeView>,
    pub more_changes: usize,
    /// True for an entry that records a new thing (no state before).
    pub created: bool,
}

impl AuditView {
    fn new(row: audit::db::AuditRow) -> AuditView {
        let all = audit::diff(&row.before, &row.after);
        let more_changes = all.len().saturating_sub(CHANGES_SHOWN);
        let changes = all
            .into_iter()
            .take(CHANGES_SHOWN)
            .map(|c| ChangeView {
                field: c.field,
                before: c.before.map(ValueView::new),
                after: c.after.map(ValueView::new),
            })
            .collect();
        AuditView {
            at: When::from(row.at),
            href: entity_href(&row.entity_type, row.entity_id.as_deref()),
            created: row.before.is_none(),
            changes,
            more_changes,
            row,
        }
    }
}

fn entity_href(entity_type: &str, id: Option<&str>) -> Option<String> {
    let id: i64 = id?.parse().ok()?;
    let base = match entity_type {
        "feedback" => "/feedback",
        "user" => "/admin/users",
        "theme" => "/themes",
        "account" => "/accounts",
        "launch" => "/launches",
        "digest" => "/digests",
        "webhook" => "/admin/webhooks",
        _ => return None,
    };
    Some(format!("{base}/{id}"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub entity: String,
    pub from: String,
    pub to: String,
    pub cursor: String,
}

impl AuditQuery {
    /// The query without the values holding control characters (refused by `parse`), for
    /// what the page echoes back into its form and links.
    fn shown(mut self) -> Self {
        for value in [
            &mut self.actor,
            &mut self.entity,
            &mut self.from,
            &mut self.to,
            &mut self.cursor,
        ] {
            if crate::validation::control_character(value, false).is_some() {
                value.clear();
            }
        }
        self
    }

    /// A day typed in a date field, as the field may show it: only a valid YYYY-MM-DD (a date
    /// input cannot hold anything else; the message above it quotes what was typed).
    pub fn shown_day<'a>(&self, text: &'a str) -> &'a str {
        let text = text.trim();
        match Date::parse(text, format_description!("[year]-[month]-[day]")) {
            Ok(_) => text,
            Err(_) => "",
        }
    }

    /// The filter, and a message per field that could not be read (that field is then ignored).
    fn parse(&self) -> (AuditFilter, FieldErrors) {
        let mut errors = FieldErrors::default();
        let mut text = |field: &str, value: &str| -> Option<String> {
            if errors.check_text(field, Some(value), false) {
                None
            } else {
                some(value)
            }
        };
        let actor = text("actor", &self.actor);
        let entity_type = text("entity", &self.entity);
        let cursor_text = text("cursor", &self.cursor);
        let mut day = |field: &str, text: &str| -> Option<Date> {
            let text = text.trim();
            if text.is_empty() || errors.check_text(field, Some(text), false) {
                return None;
            }
            match Date::parse(text, format_description!("[year]-[month]-[day]")) {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add(field, format!("\"{text}\" is not a date: use YYYY-MM-DD"));
                    None
                }
            }
        };
        let from = day("from", &self.from);
        let to = day("to", &self.to);
        let midnight = |d: Date| PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_utc();
        let mut filter = AuditFilter {
            actor,
            entity_type,
            since: from.map(midnight),
            until: to.and_then(Date::next_day).map(midnight),
            before: None,
        };
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            errors.add(
                "to",
                format!("The end date {t} is before the start date {f}: showing nothing until you swap them"),
            );
        }
        if let Some(c) = cursor_text {
            filter.before = cursor::decode(&c)
                .filter(|(kind, _, _)| kind == "a")
                .and_then(|(_, id, micros)| {
                    let micros: i128 = micros.parse().ok()?;
                    let at = OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).ok()?;
                    Some((at, id))
                });
        }
        (filter, errors)
    }

    /// The query string of this filter with another cursor (none for the first page).
    fn with_cursor(&self, cursor: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (k, v) in [
            ("actor", &self.actor),
            ("entity", &self.entity),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.trim().is_empty() {
                pairs.push((k, v.trim()));
            }
        }
        if let Some(c) = cursor {
            pairs.push(("cursor", c));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    layout: Layout,
    entries: Vec<AuditView>,
    entity_types: Vec<String>,
    actors: Vec<String>,
    query: AuditQuery,
    errors: FieldErrors,
    filtered: bool,
    first_page: Option<String>,
    next: Option<String>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> AppResult<AuditPage> {
    admin(&current)?;
    let (filter, errors) = query.parse();
    let query = query.shown();
    let rows = audit::db::page(&state.pool, &filter, AUDIT_PAGE + 1).await?;
    let has_more = rows.len() as i64 > AUDIT_PAGE;
    let entries: Vec<AuditView> = rows
        .into_iter()
        .take(AUDIT_PAGE as usize)
        .map(AuditView::new)
        .collect();
    let next = match (has_more, entries.last()) {
        (true, Some(last)) => {
            let micros = last.row.at.unix_timestamp_nanos() / 1000;
            let token = cursor::encode("a", last.row.id, &micros.to_string());
            Some(format!("/admin/audit?{}", query.with_cursor(Some(&token))))
        }
        _ => None,
    };
    let first_page = filter
        .before
        .is_some()
        .then(|| format!("/admin/audit?{}", query.with_cursor(None)));
    Ok(AuditPage {
        layout: Layout::for_user(&current, "Audit log", "admin").await?,
        entries,
        entity_types: audit::db::entity_types(&state.pool).await?,
        actors: audit::db::actors(&state.pool).await?,
        filtered: filter.actor.is_some()
            || filter.entity_type.is_some()
            || filter.since.is_some()
            || filter.until.is_some(),
        query,
        errors,
        first_page,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_not_sent_to_the_database_or_echoed() {
        let q = AuditQuery {
            actor: "\0".into(),
            entity: "feed\u{1}back".into(),
            from: "2026\0".into(),
            ..AuditQuery::default()
        };
        let (filter, errors) = q.parse();
        assert_eq!(
            (filter.actor, filter.entity_type, filter.since),
            (None, None, None)
        );
        assert!(errors.has("actor") && errors.has("entity") && errors.has("from"));
        assert!(!errors.0.iter().any(|e| e.message.contains('\0')));
        let shown = q.shown();
        assert_eq!((shown.actor.as_str(), shown.from.as_str()), ("", ""));
    }

    #[test]
    fn dates_are_checked_and_the_cursor_round_trips() {
        let q = AuditQuery {
            from: "2026-11-01".into(),
            to: "nope".into(),
            ..AuditQuery::default()
        };
        let (filter, errors) = q.parse();
        assert!(filter.since.is_some() && filter.until.is_none());
        assert!(errors.get("to").unwrap().contains("YYYY-MM-DD"));
        let at = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        let token = cursor::encode("a", 9, &(at.unix_timestamp_nanos() / 1000).to_string());
        let q = AuditQuery {
            cursor: token,
            ..AuditQuery::default()
        };
        assert_eq!(q.parse().0.before, Some((at, 9)));
    }
}
