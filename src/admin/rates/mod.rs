//! The reporting currency and exchange rates: validating what an admin types or pastes as CSV
//! (`currency,rate,valid_from`), and saving it audited. There is no `src/imports/formats/` yet,
//! so the small CSV parser lives here.

use serde_json::json;
use sqlx::PgPool;
use time::Date;

pub mod db;

use crate::audit::{self, Actor, Entry};
use crate::error::AppResult;
use crate::validation::FieldErrors;
use db::NewRate;

/// Most rates one paste may hold.
pub const MAX_CSV_ROWS: usize = 10_000;

/// A 3-letter ISO 4217 code, uppercased; the message names the field's words.
pub fn parse_currency(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("Enter a currency code such as EUR".into());
    }
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(format!(
            "\"{t}\" is not a currency code; use 3 letters such as EUR or GBP"
        ))
    }
}

/// A positive plain decimal like `1.08` or `0.0067` (at most 12 decimals), normalised.
pub fn parse_rate(s: &str) -> Result<String, String> {
    let t = s.trim();
    let hint = "Enter the rate as a positive number like 1.08 (a dot for decimals)";
    if t.is_empty() {
        return Err(hint.into());
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(hint.into());
    }
    if frac.len() > 12 || int.trim_start_matches('0').len() > 12 {
        return Err("The rate has too many digits; use at most 12 before and after the dot".into());
    }
    if int.bytes().chain(frac.bytes()).all(|b| b == b'0') {
        return Err("The rate must be more than 0".into());
    }
    let int = match int.trim_start_matches('0') {
        "" => "0",
        i => i,
    };
    let frac = frac.trim_end_matches('0');
    Ok(if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    })
}

/// A day written YYYY-MM-DD.
pub fn parse_day(s: &str) -> Result<Date, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).map_err(|_| {
        format!(
            "\"{}\" is not a date; write it as YYYY-MM-DD, like 2026-01-01",
            s.trim()
        )
    })
}

/// The add-a-rate form exactly as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RateForm {
    pub currency: String,
    pub rate: String,
    pub valid_from: String,
}

impl RateForm {
    /// `reporting` is the reporting currency, which needs no rate.
    pub fn validate(&self, reporting: &str) -> Result<NewRate, FieldErrors> {
        let mut errors = FieldErrors::default();
        let currency = parse_currency(&self.currency)
            .map_err(|e| errors.add("currency", e))
            .ok();
        if currency.as_deref() == Some(reporting) {
            errors.add(
                "currency",
                format!("{reporting} is the reporting currency: it needs no rate"),
            );
        }
        let rate = parse_rate(&self.rate)
            .map_err(|e| errors.add("rate", e))
            .ok();
        let valid_from = parse_day(&self.valid_from)
            .map_err(|e| errors.add("valid_from", e))
            .ok();
        match (currency, rate, valid_from) {
            (Some(currency), Some(rate), Some(valid_from)) if errors.is_empty() => Ok(NewRate {
                currency,
                rate,
                valid_from,
            }),
            _ => Err(errors),
        }
    }
}

/// One problem of a pasted CSV, on its line (1 is the first line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    pub line: u64,
    pub message: String,
}

/// Parses `currency,rate,valid_from` lines (a header line naming the columns is optional and may
/// put them in another order; other columns are ignored). Either every rate, or every problem.
pub fn parse_rates_csv(text: &str, reporting: &str) -> Result<Vec<NewRate>, Vec<CsvProblem>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut cols = (0usize, 1usize, 2usize);
    let mut rates = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 1, |p| p.line());
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(CsvProblem {
                    line,
                    message: format!("This line could not be read: {e}"),
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let lower: Vec<String> = record.iter().map(|f| f.to_ascii_lowercase()).collect();
        if i == 0 && lower.iter().any(|f| f == "currency") {
            let find = |name: &str| lower.iter().position(|f| f == name);
            match (find("currency"), find("rate"), find("valid_from")) {
                (Some(c), Some(r), Some(v)) => cols = (c, r, v),
                _ => {
                    return Err(vec![CsvProblem {
                        line,
                        message: "The header must name the columns currency, rate and valid_from"
                            .into(),
                    }]);
                }
            }
            continue;
        }
        if rates.len() + problems.len() >= MAX_CSV_ROWS {
            problems.push(CsvProblem {
                line,
                message: format!("At most {MAX_CSV_ROWS} rates at a time; split the file"),
            });
            break;
        }
        let get = |i: usize| record.get(i).unwrap_or("");
        let form = RateForm {
            currency: get(cols.0).to_string(),
            rate: get(cols.1).to_string(),
            valid_from: get(cols.2).to_string(),
        };
        match form.validate(reporting) {
            Ok(rate) => {
                let key = (rate.currency.clone(), rate.valid_from);
                if let Some(first) = seen.insert(key, line) {
                    problems.push(CsvProblem {
                        line,
                        message: format!(
                            "{} on {} is also on line {first}; keep one",
                            rate.currency, rate.valid_from
                        ),
                    });
                } else {
                    rates.push(rate);
                }
            }
            Err(errors) => problems.extend(errors.iter().map(|e| CsvProblem {
                line,
                message: e.message.clone(),
            })),
        }
    }
    if rates.is_empty() && problems.is_empty() {
        problems.push(CsvProblem {
            line: 1,
            message: "There are no rates in it: paste lines like EUR,1.08,2026-01-01".into(),
        });
    }
    if problems.is_empty() {
        Ok(rates)
    } else {
        Err(problems)
    }
}

/// Changes the reporting currency, audited. Nothing is written when it is the same.
pub async fn set_reporting_currency(
    pool: &PgPool,
    actor: &Actor<'_>,
    currency: &str,
) -> AppResult<bool> {
    let mut tx = pool.begin().await?;
    let before = db::reporting_currency(&mut *tx).await?;
    if before == currency {
        return Ok(false);
    }
    db::set_reporting_currency(&mut *tx, currency).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "update",
            entity_type: "setting",
            entity_id: Some("reporting_currency".into()),
            summary: format!("Changed the reporting currency from {before} to {currency}"),
            before: Some(json!({ "reporting_currency": before })),
            after: Some(json!({ "reporting_currency": currency })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Saves rates to the reporting currency (replacing a pair's rate on the same day), audited as
/// one entry. `how` says where they came from ("entered", "imported from CSV").
pub async fn save_rates(
    pool: &PgPool,
    actor: &Actor<'_>,
    rates: &[NewRate],
    how: &str,
) -> AppResult<u64> {
    let mut tx = pool.begin().await?;
    let quote = db::reporting_currency(&mut *tx).await?;
    let n = db::upsert_rates(&mut *tx, &quote, rates, actor.id()).await?;
    let summary = match rates {
        [one] => format!(
            "Exchange rate {}: 1 {} = {} {quote} from {} ({how})",
            one.currency, one.currency, one.rate, one.valid_from
        ),
        _ => format!("{} exchange rates to {quote} {how}", rates.len()),
    };
    let after: Vec<_> = rates
        .iter()
        .map(|r| json!({"currency": r.currency, "quote": quote, "rate": r.rate, "valid_from": r.valid_from.to_string()}))
        .collect();
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "create",
            entity_type: "exchange_rate",
            entity_id: None,
            summary,
            before: None,
            after: Some(json!(after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Deletes one rate, audited. `false` when it did not exist.
pub async fn delete_rate(pool: &PgPool, actor: &Actor<'_>, id: i64) -> AppResult<bool> {
    let mut tx = pool.begin().await?;
    let Some(rate) = db::get_rate(&mut *tx, id).await? else {
        return Ok(false);
    };
    db::delete_rate(&mut *tx, id).await?;
    audit::db::record(
        &mut *tx,
        actor,
        Entry {
            action: "delete",
            entity_type: "exchange_rate",
            entity_id: Some(id.to_string()),
            summary: format!(
                "Deleted the exchange rate 1 {} = {} {} from {}",
                rate.currency, rate.rate, rate.quote, rate.valid_from
            ),
            before: serde_json::to_value(&rate).ok(),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_people_write_them() {
        assert_eq!(parse_rate("1.08").as_deref(), Ok("1.08"));
        assert_eq!(parse_rate(" 001.2500 ").as_deref(), Ok("1.25"));
        assert_eq!(parse_rate(".0067").as_deref(), Ok("0.0067"));
        assert_eq!(parse_rate("2").as_deref(), Ok("2"));
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("1,08").is_err());
        assert!(parse_rate("abc").is_err());
        assert_eq!(parse_currency(" eur").as_deref(), Ok("EUR"));
        assert!(parse_currency("EURO").is_err());
        assert!(parse_day("2026-13-01").is_err());
    }

    #[test]
    fn csv_with_or_without_header_and_every_problem() {
        let ok = parse_rates_csv(
            "currency,rate,valid_from\nEUR,1.08,2026-01-01\ngbp, 1.27 ,2026-01-01\n",
            "USD",
        )
        .expect("parses");
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].currency, "GBP");
        assert_eq!(ok[1].rate, "1.27");
        let reordered = parse_rates_csv("valid_from,currency,rate\n2026-02-01,CHF,1.13", "USD")
            .expect("parses");
        assert_eq!(reordered[0].currency, "CHF");
        let bare = parse_rates_csv("EUR,1.1,2026-06-01", "USD").expect("no header");
        assert_eq!(bare[0].rate, "1.1");
        let bad = parse_rates_csv(
            "currency,rate,valid_from\nEUR,x,2026-01-01\nUSD,1,2026-01-01\nEUR,1.1,2026-01-32\nGBP,1.2,2026-01-01\nGBP,1.3,2026-01-01\n",
            "USD",
        )
        .unwrap_err();
        let lines: Vec<u64> = bad.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 6]);
        assert!(bad[1].message.contains("reporting currency"));
        assert!(parse_rates_csv("", "USD").is_err());
    }
}
