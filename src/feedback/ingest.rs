//! Taking feedback in from a form, the API or a webhook: one set of rules for all of them.

use std::collections::HashMap;

use sqlx::PgPool;

use super::db::{self, Written};
use super::{FeedbackInput, NewFeedback};
use crate::validation::FieldErrors;

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

/// Validate, check accounts exist, and write the batch in one statement.
pub async fn ingest(
    pool: &PgPool,
    inputs: &[FeedbackInput],
    reporter_id: Option<i64>,
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
                        FieldErrors::single(
                            "account_external_id",
                            format!("No account has the external id \"{ext}\". Create or import the account first."),
                        ),
                    ));
                }
            }
            return Err(IngestError::Invalid(errors));
        }
    }
    let written = db::upsert_many(pool, &items, db::Reporters::Sender(reporter_id)).await?;
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
