//! Creating and changing accounts, audited, shared by the pages and the API.

use serde::Deserialize;
use sqlx::PgPool;

use super::db::{self, AccountRow};
use super::{AccountInput, NewAccount};
use crate::audit::{self, Actor, Entry};
use crate::error::{AppError, AppResult, ResultExt};
use crate::validation::FieldErrors;

/// The account form exactly as typed (every field a string, so nothing typed is lost).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    pub external_id: String,
    pub name: String,
    pub domain: String,
    pub arr: String,
    pub currency: String,
    pub segment: String,
    pub plan: String,
    pub lifecycle: String,
    pub owner_id: String,
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

impl AccountForm {
    /// The form filled with a stored account, for editing.
    pub fn from_row(row: &AccountRow) -> Self {
        AccountForm {
            external_id: row.external_id.clone(),
            name: row.name.clone(),
            domain: row.domain.clone().unwrap_or_default(),
            arr: row.arr_cents.map(plain_amount).unwrap_or_default(),
            currency: row.currency.clone(),
            segment: row.segment.clone().unwrap_or_default(),
            plan: row.plan.clone().unwrap_or_default(),
            lifecycle: row.lifecycle.clone(),
            owner_id: row.owner_id.map(|i| i.to_string()).unwrap_or_default(),
        }
    }

    /// Validates every field; `owners` are the ids a owner may be chosen from.
    pub fn validate(&self, owners: &[i64]) -> Result<(NewAccount, Option<i64>), FieldErrors> {
        let input = AccountInput {
            external_id: some(&self.external_id),
            name: some(&self.name),
            domain: some(&self.domain),
            arr: some(&self.arr),
            currency: some(&self.currency),
            segment: some(&self.segment),
            plan: some(&self.plan),
            lifecycle: some(&self.lifecycle),
        };
        let mut errors = FieldErrors::default();
        let owner = match self.owner_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(id) if owners.contains(&id) => Some(id),
                _ => {
                    errors.add(
                        "owner_id",
                        "Choose the owner from the list of people who can sign in",
                    );
                    None
                }
            },
        };
        match input.validate() {
            Ok(account) if errors.is_empty() => Ok((account, owner)),
            Ok(_) => Err(errors),
            Err(mut e) => {
                e.extend(errors);
                Err(e)
            }
        }
    }
}

/// Cents as a plain number people can edit: "1200000" or "1200000.50".
pub fn plain_amount(cents: i64) -> String {
    if cents % 100 == 0 {
        (cents / 100).to_string()
    } else {
        format!("{}.{:02}", cents / 100, (cents % 100).abs())
    }
}

const EXTERNAL_ID_KEY: &str = "accounts_external_id_key";

fn taken(account: &NewAccount) -> String {
    format!(
        "Another account already has the ID \"{}\"; each account needs its own",
        account.external_id
    )
}

fn to_json(row: &AccountRow) -> Option<serde_json::Value> {
    serde_json::to_value(row).ok()
}

/// Creates an account, audited. A taken external id is a field error.
pub async fn create(
    pool: &PgPool,
    actor: &Actor<'_>,
    account: &NewAccount,
    owner_id: Option<i64>,
) -> AppResult<i64> {
    let mut tx = pool.begin().await?;
    let id = db::insert(&mut *tx, account, owner_id)
        .await
        .on_constraint(EXTERNAL_ID_KEY, "external_id", || taken(account))?;
    let after = db::get(&mut *tx, id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "create",
            entity_type: "account",
            entity_id: Some(id.to_string()),
            summary: format!("Created account {} ({})", account.name, account.external_id),
            before: None,
            after: after.as_ref().and_then(to_json),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces an account's fields, audited with before and after.
pub async fn update(
    pool: &PgPool,
    actor: &Actor<'_>,
    id: i64,
    account: &NewAccount,
    owner_id: Option<i64>,
) -> AppResult<()> {
    let mut tx = pool.begin().await?;
    let before = db::get(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    db::update(&mut *tx, id, account, owner_id)
        .await
        .on_constraint(EXTERNAL_ID_KEY, "external_id", || taken(account))?;
    let after = db::get(&mut *tx, id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "update",
            entity_type: "account",
            entity_id: Some(id.to_string()),
            summary: format!("Edited account {} ({})", account.name, account.external_id),
            before: to_json(&before),
            after: after.as_ref().and_then(to_json),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn unchanged(row: &AccountRow, a: &NewAccount, owner_id: Option<i64>) -> bool {
    row.name == a.name
        && row.domain == a.domain
        && row.arr_cents == a.arr_cents
        && row.currency == a.currency
        && row.segment.as_deref() == a.segment.map(|s| s.as_str())
        && row.plan == a.plan
        && row.lifecycle == a.lifecycle.as_str()
        && (owner_id.is_none() || owner_id == row.owner_id)
}

/// Creates or updates the account with this external id, audited. Sending the same account
/// twice changes nothing the second time. Returns the id and whether it was created.
pub async fn upsert(
    pool: &PgPool,
    actor: &Actor<'_>,
    account: &NewAccount,
    owner_id: Option<i64>,
) -> AppResult<(i64, bool)> {
    let mut tx = pool.begin().await?;
    let before = db::get_by_external_id(&mut *tx, &account.external_id).await?;
    if let Some(row) = &before
        && unchanged(row, account, owner_id)
    {
        return Ok((row.id, false));
    }
    let (id, created) = db::upsert(&mut *tx, account, owner_id).await?;
    let after = db::get(&mut *tx, id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: if created { "create" } else { "update" },
            entity_type: "account",
            entity_id: Some(id.to_string()),
            summary: format!(
                "{} account {} ({}) through the API",
                if created { "Created" } else { "Updated" },
                account.name,
                account.external_id
            ),
            before: before.as_ref().and_then(to_json),
            after: after.as_ref().and_then(to_json),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, created))
}
