//! The chat slash command: `POST /api/v1/webhooks/chat`, form-encoded `text`, `user_name`,
//! `channel_name`, signed the way Slack signs requests: `v0=` + hex HMAC-SHA256 of
//! `v0:{timestamp}:{body}` with the shared secret (`GOLDTHREAD_CHAT_SIGNING_SECRET`), the
//! signature in `X-Slack-Signature` (or `X-Goldthread-Signature`) and the timestamp in
//! `X-Slack-Request-Timestamp` (or `X-Goldthread-Request-Timestamp`). A timestamp more than
//! five minutes away from now is refused (a replayed request). The question is logged and the
//! command answers with a short message, the matching FAQ entry of a published guide if one
//! matches, and a link.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{ClassifierCache, QuestionInput, db};
use crate::app::AppState;
use crate::audit::Actor;
use crate::error::{ApiResult, AppError};
use crate::launches::guide::Faq;
use crate::tagging::features::tokenize;
use crate::validation::FieldErrors;

/// How far a request's timestamp may be from now, in seconds.
pub const MAX_AGE_SECS: i64 = 300;

pub const SIGNATURE_HEADERS: [&str; 2] = ["x-slack-signature", "x-goldthread-signature"];
pub const TIMESTAMP_HEADERS: [&str; 2] = [
    "x-slack-request-timestamp",
    "x-goldthread-request-timestamp",
];

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Missing(&'static str),
    BadTimestamp,
    Stale,
    BadSignature,
}

impl Refusal {
    fn into_error(self) -> AppError {
        let (field, message) = match self {
            Refusal::Missing(h) => (h, format!("Send the {h} header")),
            Refusal::BadTimestamp => (
                TIMESTAMP_HEADERS[0],
                "The request timestamp is not a number of seconds since 1970".to_owned(),
            ),
            Refusal::Stale => (
                TIMESTAMP_HEADERS[0],
                "The request timestamp is more than 5 minutes from now; it may be a replay"
                    .to_owned(),
            ),
            Refusal::BadSignature => (
                SIGNATURE_HEADERS[0],
                "The signature does not match the body signed with the shared secret".to_owned(),
            ),
        };
        AppError::Rejected {
            status: StatusCode::UNAUTHORIZED,
            errors: FieldErrors::single(field, message),
        }
    }
}

/// `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

/// Check a request's signature and timestamp against the secret at `now` (Unix seconds).
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    let timestamp = timestamp.ok_or(Refusal::Missing(TIMESTAMP_HEADERS[0]))?;
    let signature = signature.ok_or(Refusal::Missing(SIGNATURE_HEADERS[0]))?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Refusal::BadTimestamp)?;
    if (now - ts).abs() > MAX_AGE_SECS {
        return Err(Refusal::Stale);
    }
    let given = signature
        .trim()
        .strip_prefix("v0=")
        .ok_or(Refusal::BadSignature)?;
    let given: Vec<u8> = (0..given.len())
        .step_by(2)
        .map(|i| {
            given
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or(Refusal::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&given).map_err(|_| Refusal::BadSignature)
}

/// Words that say nothing about which FAQ entry is meant.
const STOP: &[&str] = &[
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "is", "it", "do", "doe", "i",
    "we", "our", "my", "you", "your", "can", "how", "what", "when", "which", "will", "be", "are",
    "this", "that", "there", "they", "them", "if", "or", "so", "at", "by", "from", "us", "any",
];

fn stems(text: &str) -> HashSet<String> {
    tokenize(text, true)
        .into_iter()
        .map(|t| t.stem)
        .filter(|s| !STOP.contains(&s.as_str()))
        .collect()
}

/// A published FAQ entry and the launch whose guide holds it.
#[derive(Debug, Clone)]
pub struct FaqEntry {
    pub launch_id: i64,
    pub launch_name: String,
    pub faq: Faq,
}

/// The FAQ entry whose question is closest to `text` (Dice overlap of content-word stems, at
/// least one half; an entry of the launch the question names counts a little more).
pub fn best_faq<'a>(
    text: &str,
    entries: &'a [FaqEntry],
    launch: Option<i64>,
) -> Option<&'a FaqEntry> {
    let words = stems(text);
    if words.is_empty() {
        return None;
    }
    let mut best: Option<(f32, &FaqEntry)> = None;
    for e in entries {
        let q = stems(&e.faq.q);
        if q.is_empty() {
            continue;
        }
        let common = q.intersection(&words).count() as f32;
        let mut score = 2.0 * common / (q.len() + words.len()) as f32;
        if launch == Some(e.launch_id) {
            score += 0.15;
        }
        if score >= 0.5 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, e));
        }
    }
    best.map(|(_, e)| e)
}

/// The slash command's form fields (others that chat tools send are ignored).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChatCommand {
    /// The question.
    pub text: String,
    /// Who typed it (matched to a user by name or by the part of their email before the @).
    pub user_name: String,
    pub channel_name: String,
}

/// The answer chat shows (Slack's message format).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatReply {
    /// `ephemeral`: only the person who asked sees it.
    pub response_type: &'static str,
    pub text: String,
}

fn reply(text: String) -> Json<ChatReply> {
    Json(ChatReply {
        response_type: "ephemeral",
        text,
    })
}

fn base_url(state: &AppState) -> String {
    match state
        .config
        .public_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", state.config.bind),
    }
}

/// Log a question from a chat slash command and answer it.
#[utoipa::path(
    post, path = "/api/v1/webhooks/chat", operation_id = "chat_command", tag = "questions",
    request_body(content = ChatCommand, content_type = "application/x-www-form-urlencoded"),
    params(
        ("X-Slack-Signature" = Option<String>, Header, description = "`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the shared secret (or send it as X-Goldthread-Signature)"),
        ("X-Slack-Request-Timestamp" = Option<String>, Header, description = "Unix seconds; refused when more than 5 minutes from now (or send it as X-Goldthread-Request-Timestamp)"),
    ),
    responses(
        (status = 200, description = "Logged (or why not, in words); the message to show in chat", body = ChatReply),
        (status = 401, description = "Missing or wrong signature, or a stale timestamp", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Chat commands are off: GOLDTHREAD_CHAT_SIGNING_SECRET is not set", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn chat_command(
    State(state): State<AppState>,
    Extension(classifier): Extension<ClassifierCache>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ChatReply>> {
    let Some(secret) = state.config.chat_signing_secret.as_deref() else {
        return Err(AppError::Rejected {
            status: StatusCode::NOT_FOUND,
            errors: FieldErrors::single(
                "GOLDTHREAD_CHAT_SIGNING_SECRET",
                "Chat commands are off: set GOLDTHREAD_CHAT_SIGNING_SECRET to the signing secret of your chat app",
            ),
        }
        .into());
    };
    let header = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
    };
    verify(
        secret,
        header(TIMESTAMP_HEADERS),
        header(SIGNATURE_HEADERS),
        &body,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
    .map_err(Refusal::into_error)?;
    let command: ChatCommand =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors: FieldErrors::single(
                "body",
                "Send the command form-encoded: text, user_name, channel_name",
            ),
        })?;
    let text = command.text.trim();
    if text.is_empty() {
        return Ok(reply(
            "Type your question after the command, e.g. `/ask how do we move customers to the new approval rules?`".into(),
        ));
    }
    let user_name = command.user_name.trim();
    let user = db::user_by_chat_name(&state.pool, user_name).await?;
    let team = user
        .as_ref()
        .and_then(|u| super::TEAMS.iter().find(|(k, _)| *k == u.team.as_str()))
        .map(|(k, _)| *k);
    let input = QuestionInput {
        text: text.to_owned(),
        channel: "chat".into(),
        asked_by_name: if user.is_some() {
            String::new()
        } else {
            user_name.chars().take(200).collect()
        },
        ..QuestionInput::default()
    };
    let label = format!(
        "chat: {}",
        if user_name.is_empty() {
            "someone"
        } else {
            user_name
        }
    );
    let actor = match &user {
        Some(u) => Actor::User(u),
        None => Actor::System(&label),
    };
    let (id, kind, launch) = match super::ask_with(
        &state.pool,
        &classifier,
        &actor,
        user.as_ref().map(|u| u.id),
        &input,
        team,
    )
    .await
    {
        Ok(logged) => logged,
        Err(AppError::Validation(errors)) => {
            let why = errors
                .0
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| "The question could not be logged".into());
            return Ok(reply(format!("Not logged: {why}.")));
        }
        Err(e) => return Err(e.into()),
    };
    let base = base_url(&state);
    let mut out = format!(
        "Logged as question #{id} ({}). A PM will answer it here: {base}/questions/{id}",
        kind.as_str()
    );
    let entries = db::published_faqs(&state.pool).await?;
    if let Some(e) = best_faq(text, &entries, launch) {
        out.push_str(&format!(
            "\n\nThe {} guide's FAQ may already answer it:\n*{}*\n{}\n{base}/launches/{}/guide",
            e.launch_name,
            e.faq.q.trim(),
            crate::web::format::excerpt(e.faq.a.trim(), 600),
            e.launch_id
        ));
    }
    Ok(reply(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_passes_and_any_change_fails() {
        let body = b"text=when+does+it+ship&user_name=ana";
        let sig = sign("s3cret", "1700000000", body);
        assert!(sig.starts_with("v0=") && sig.len() == 67);
        assert_eq!(
            verify(
                "s3cret",
                Some("1700000000"),
                Some(&sig),
                body,
                1_700_000_100
            ),
            Ok(())
        );
        assert_eq!(
            verify("other", Some("1700000000"), Some(&sig), body, 1_700_000_100),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify(
                "s3cret",
                Some("1700000000"),
                Some(&sig),
                b"text=x",
                1_700_000_100
            ),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify(
                "s3cret",
                Some("1700000000"),
                Some("v0=zz"),
                body,
                1_700_000_100
            ),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify(
                "s3cret",
                Some("1700000000"),
                Some(&sig),
                body,
                1_700_000_301
            ),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify("s3cret", Some("later"), Some(&sig), body, 1_700_000_000),
            Err(Refusal::BadTimestamp)
        );
        assert_eq!(
            verify("s3cret", None, Some(&sig), body, 1_700_000_000),
            Err(Refusal::Missing("x-slack-request-timestamp"))
        );
    }

    #[test]
    fn slacks_documented_example_verifies() {
        // From Slack's "Verifying requests from Slack" documentation.
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let ts = "1531420618";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            sign(secret, ts, body),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }

    #[test]
    fn the_closest_faq_entry_is_offered_only_when_close() {
        let e = |id, q: &str| FaqEntry {
            launch_id: id,
            launch_name: format!("L{id}"),
            faq: Faq {
                q: q.into(),
                a: "Yes.".into(),
            },
        };
        let entries = [
            e(1, "Can admins turn off approval rules for one team?"),
            e(2, "Which currencies do wallets support?"),
        ];
        assert_eq!(
            best_faq(
                "can an admin turn approval rules off for a team",
                &entries,
                None
            )
            .map(|e| e.launch_id),
            Some(1)
        );
        assert_eq!(
            best_faq("what currencies are supported in wallets?", &entries, None)
                .map(|e| e.launch_id),
            Some(2)
        );
        assert!(best_faq("is there a nonprofit discount", &entries, None).is_none());
    }
}
