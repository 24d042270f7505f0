//! Taking feedback in from a form, the API or a webhook: one set of rules for all of them.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::PgPool;

use super::db::{self, Written};
use super::{FeedbackInput, NewFeedback};
use crate::audit::{self, Actor, Batch, Entry};
use crate::validation::FieldErrors;

/// The way in a batch of feedback came, as the audit log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Form,
    Api,
    Webhook,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Form => "form",
            Via::Api => "api",
            Via::Webhook => "webhook",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Via::Form => "with the form",
            Via::Api => "through the API",
            Via::Webhook => "from a support webhook delivery",
        }
    }

    /// What a caller that does not say means: a webhook delivery marks its metadata.
    fn guess(inputs: &[FeedbackInput]) -> Via {
        let webhook = inputs.iter().any(|i| {
            i.metadata
                .as_ref()
                .and_then(|m| m.get("via"))
                .and_then(Value::as_str)
                == Some("support_webhook")
        });
        if webhook { Via::Webhook } else { Via::Api }
    }
}

/// The most items one API call may carry.
pub const MAX_BATCH: usize = 1000;

/// Problems with a batch, by item index. Nothing was written.
#[derive(Debug, Default)]
pub struct BatchErrors(pub Vec<(usize, FieldErrors)>);

impl BatchErrors {
    /// Flatten to field errors named `items[i].field` (or plain `field` for a single item).
    pub fn into_field_errors(self, single: bool) -> FieldErrors {
        let mut out = FieldErrors::default();
        for (index, errors) in self.0 {
            for e in errors.0 {
                let field = if single {
                    e.field
                } else {
                    format!("items[{index}].{}", e.field)
                };
                out.add(&field, e.message);
            }
        }
        out
    }
}

/// Validate every item; refuse the whole batch if any item is wrong (all-or-nothing).
pub fn validate_batch(inputs: &[FeedbackInput]) -> Result<Vec<NewFeedback>, BatchErrors> {
    let mut errors = BatchErrors::default();
    let mut valid = Vec::with_capacity(inputs.len());
    let mut seen: HashMap<(super::Source, String), usize> = HashMap::new();
    for (index, input) in inputs.iter().enumerate() {
        match input.validate() {
            Ok(item) => {
                if let Some(ext) = &item.external_id
                    && let Some(first) = seen.insert((item.source, ext.clone()), index)
                {
                    errors.0.push((
                        index,
                        FieldErrors::single(
                            "external_id",
                            format!(
                                "Same source and external id as item {first}; send each record once"
                            ),
                        ),
                    ));
                }
                valid.push(item);
            }
            Err(e) => errors.0.push((index, e)),
        }
    }
    if errors.0.is_empty() {
        Ok(valid)
    } else {
        Err(errors)
    }
}

/// Validate, check accounts exist, and write the batch in one statement, audited (the way in is
/// the API, or a webhook when the items say so; see [`ingest_via`]).
pub async fn ingest(
    pool: &PgPool,
    inputs: &[FeedbackInput],
    reporter_id: Option<i64>,
) -> Result<Vec<Written>, IngestError> {
    ingest_via(pool, inputs, reporter_id, Via::guess(inputs)).await
}

/// [`ingest`] with the way in named. One audit entry per item for a single item (none when a
/// repeated delivery changed nothing), one entry with counts for a batch.
pub async fn ingest_via(
    pool: &PgPool,
    inputs: &[FeedbackInput],
    reporter_id: Option<i64>,
    via: Via,
) -> Result<Vec<Written>, IngestError> {
    let items = validate_batch(inputs).map_err(IngestError::Invalid)?;
    let wanted: Vec<String> = items
        .iter()
        .filter_map(|i| i.account_external_id.clone())
        .collect();
    if !wanted.is_empty() {
        let unknown = db::unknown_account_ids(pool, &wanted).await?;
        if !unknown.is_empty() {
            let mut errors = BatchErrors::default();
            for (index, item) in items.iter().enumerate() {
                if let Some(ext) = &item.account_external_id
                    && unknown.contains(ext)
                {
                    errors.0.push((
                        index,
                        {
                            let mut e = FieldErrors::default();
                            e.add_conflict(
                                "account_external_id",
                                format!("No account has the external id \"{ext}\". Create or import the account first."),
                            );
                            e
                        },
                    ));
                }
            }
            return Err(IngestError::Invalid(errors));
        }
    }
    let mut tx = pool.begin().await?;
    let (sources, external_ids): (Vec<String>, Vec<String>) = items
        .iter()
        .filter_map(|i| Some((i.source.as_str().to_owned(), i.external_id.clone()?)))
        .unzip();
    let existing = if sources.is_empty() {
        Vec::new()
    } else {
        db::ids_by_external(&mut *tx, &sources, &external_ids).await?
    };
    let before: HashMap<i64, Value> = db::audit_snapshots(&mut *tx, &existing)
        .await?
        .into_iter()
        .collect();
    let written = db::upsert_many(&mut *tx, &items, db::Reporters::Sender(reporter_id)).await?;
    let ids: Vec<i64> = written.iter().map(|w| w.id).collect();
    let after: HashMap<i64, Value> = db::audit_snapshots(&mut *tx, &ids)
        .await?
        .into_iter()
        .collect();
    let label = match reporter_id {
        Some(id) => audit::db::user_label(&mut *tx, id).await?,
        None => None,
    };
    let actor = match (reporter_id, label) {
        (Some(id), Some(label)) => Actor::Person { id, label },
        _ => Actor::System("goldthread"),
    };
    if let [w] = written.as_slice() {
        let entry = Entry {
            action: if w.inserted { "create" } else { "update" },
            entity_type: "feedback",
            entity_id: Some(w.id.to_string()),
            summary: format!(
                "{} feedback #{} {}",
                if w.inserted { "Logged" } else { "Updated" },
                w.id,
                via.words()
            ),
            before: before.get(&w.id).cloned(),
            after: after.get(&w.id).cloned(),
        };
        audit::record(&mut *tx, &actor, entry).await?;
    } else {
        let created: Vec<i64> = written
            .iter()
            .filter(|w| w.inserted)
            .map(|w| w.id)
            .collect();
        let updated: Vec<i64> = written
            .iter()
            .filter(|w| !w.inserted && before.get(&w.id) != after.get(&w.id))
            .map(|w| w.id)
            .collect();
        let unchanged = written.len() - created.len() - updated.len();
        let batch = Batch {
            action: "batch",
            entity_type: "feedback",
            summary: format!(
                "A batch of {} feedback items {}: {} new, {} updated, {} unchanged",
                written.len(),
                via.words(),
                created.len(),
                updated.len(),
                unchanged
            ),
            inserted: created.len() as i64,
            updated: updated.len() as i64,
            unchanged: unchanged as i64,
            detail: json!({"via": via.as_str(), "created_ids": created, "updated_ids": updated}),
        };
        audit::record_batch(&mut *tx, &actor, batch).await?;
    }
    tx.commit().await?;
    Ok(written)
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("invalid feedback")]
    Invalid(BatchErrors),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(source: &str, body: &str, ext: Option<&str>) -> FeedbackInput {
        FeedbackInput {
            source: Some(source.into()),
            body: Some(body.into()),
            external_id: ext.map(Into::into),
            ..FeedbackInput::default()
        }
    }

    #[test]
    fn a_batch_is_refused_whole_with_errors_per_item() {
        let batch = [
            input("sales", "fine", Some("a")),
            input("sales", "", None),
            input("sales", "dup", Some("a")),
            input("support", "other source, same id is fine", Some("a")),
        ];
        let errors = validate_batch(&batch).unwrap_err();
        let flat = errors.into_field_errors(false);
        assert!(flat.get("items[1].body").is_some());
        assert!(flat.get("items[2].external_id").unwrap().contains("item 0"));
        assert!(flat.get("items[3].external_id").is_none());
        assert!(flat.get("items[0].body").is_none());
    }
}
