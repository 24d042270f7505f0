//! Accounts (customers and prospects): lifecycle, segment, ARR parsing and
//! formatting, and validation (which the CSV import in `crate::imports` uses row by row).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::validation::FieldErrors;
use crate::validation::clean;

pub mod api;
mod chart;
pub mod db;
pub mod edit;
mod money;
pub mod web;

pub use money::parse_arr;

/// Longest accepted account name, in characters.
pub const MAX_NAME_CHARS: usize = 300;
/// Longest accepted account external id, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 200;
/// Longest accepted plan name, in characters.
pub const MAX_PLAN_CHARS: usize = 100;

/// Where an account is in its life with us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    Prospect,
    Customer,
    Churned,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 3] = [Lifecycle::Prospect, Lifecycle::Customer, Lifecycle::Churned];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Prospect => "prospect",
            Lifecycle::Customer => "customer",
            Lifecycle::Churned => "churned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Lifecycle::Prospect => "Prospect",
            Lifecycle::Customer => "Customer",
            Lifecycle::Churned => "Churned",
        }
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle or segment string that is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownValue(pub String);

impl FromStr for Lifecycle {
    type Err = UnknownValue;
    /// Case-insensitive, trimmed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Lifecycle::ALL
            .into_iter()
            .find(|l| t.eq_ignore_ascii_case(l.as_str()))
            .ok_or_else(|| {
                UnknownValue(format!(
                    "\"{t}\" is not a lifecycle stage; use prospect, customer or churned"
                ))
            })
    }
}

/// Company size segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Smb,
    MidMarket,
    Enterprise,
}

impl Segment {
    pub const ALL: [Segment; 3] = [Segment::Smb, Segment::MidMarket, Segment::Enterprise];

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Smb => "smb",
            Segment::MidMarket => "mid_market",
            Segment::Enterprise => "enterprise",
        }
    }

    pub fn label(self) -> &'static str {
        crate::web::labels::segment_label(Some(self.as_str())).unwrap_or("Other")
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Segment {
    type Err = UnknownValue;
    /// Case-insensitive; spaces, `_` and `-` ignored: "mid_market",
    /// "Mid-market", "mid market", "MidMarket" are all mid-market. Also
    /// accepts "small business" and "ent".
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "smb" | "smallbusiness" | "small" => Ok(Segment::Smb),
            "midmarket" | "mid" | "mm" => Ok(Segment::MidMarket),
            "enterprise" | "ent" => Ok(Segment::Enterprise),
            _ => Err(UnknownValue(format!(
                "\"{}\" is not a segment; use SMB, Mid-market or Enterprise",
                s.trim()
            ))),
        }
    }
}

/// Raw account as typed in a form / JSON / CSV row.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct AccountInput {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub domain: Option<String>,
    /// "1200000", "$1,200,000.50", "1.2M", "950k", "EUR 12,000".
    pub arr: Option<String>,
    /// ISO 4217 code; USD when absent (or taken from a €/£/¥ sign in `arr`).
    pub currency: Option<String>,
    pub segment: Option<String>,
    pub plan: Option<String>,
    /// prospect / customer / churned; customer when absent.
    pub lifecycle: Option<String>,
}

/// A validated account, ready to insert or upsert by `external_id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewAccount {
    pub external_id: String,
    pub name: String,
    /// Lowercase host without scheme, `www.` or path.
    pub domain: Option<String>,
    /// `None` when no ARR was given (not the same as 0).
    pub arr_cents: Option<i64>,
    /// Uppercase ISO 4217 code.
    pub currency: String,
    pub segment: Option<Segment>,
    pub plan: Option<String>,
    pub lifecycle: Lifecycle,
}

/// Borrowed raw fields: the allocation-free path shared by forms and CSV rows.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawAccount<'a> {
    pub external_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub arr: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub segment: Option<&'a str>,
    pub plan: Option<&'a str>,
    pub lifecycle: Option<&'a str>,
}

impl AccountInput {
    /// Checks every rule and returns the clean account, or all problems.
    pub fn validate(&self) -> Result<NewAccount, FieldErrors> {
        let raw = RawAccount {
            external_id: self.external_id.as_deref(),
            name: self.name.as_deref(),
            domain: self.domain.as_deref(),
            arr: self.arr.as_deref(),
            currency: self.currency.as_deref(),
            segment: self.segment.as_deref(),
            plan: self.plan.as_deref(),
            lifecycle: self.lifecycle.as_deref(),
        };
        let mut errors = FieldErrors::default();
        match validate_raw(&raw, &mut errors) {
            Some(a) if errors.is_empty() => Ok(a),
            _ => Err(errors),
        }
    }
}

fn too_long(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().count() > max
}

/// Checks one account's fields; `None` when any problem was recorded in `errors`.
pub(crate) fn validate_raw(raw: &RawAccount<'_>, errors: &mut FieldErrors) -> Option<NewAccount> {
    let start = errors.len();
    // Names may keep the line breaks a CRM export puts in them; nothing else invisible.
    for (field, value, line_breaks) in [
        ("external_id", raw.external_id, false),
        ("name", raw.name, true),
        ("domain", raw.domain, false),
        ("arr", raw.arr, false),
        ("currency", raw.currency, false),
        ("segment", raw.segment, false),
        ("plan", raw.plan, false),
        ("lifecycle", raw.lifecycle, false),
    ] {
        errors.check_text(field, value, line_breaks);
    }
    let external_id = clean(raw.external_id);
    match external_id {
        None => errors.add(
            "external_id",
            "Account ID is required: use the ID from your CRM or billing system",
        ),
        Some(x) if too_long(x, MAX_EXTERNAL_ID_CHARS) => errors.add(
            "external_id",
            "Account ID is too long; use at most 200 characters",
        ),
        Some(_) => {}
    }
    let name = clean(raw.name);
    match name {
        None => errors.add("name", "Account name is required"),
        Some(n) if too_long(n, MAX_NAME_CHARS) => errors.add(
            "name",
            "Account name is too long; shorten it to at most 300 characters",
        ),
        Some(_) => {}
    }
    let domain = match clean(raw.domain) {
        None => None,
        Some(d) => match normalize_domain(d) {
            Some(d) => Some(d),
            None => {
                errors.add(
                    "domain",
                    format!("\"{d}\" doesn't look like a domain; enter it like example.com"),
                );
                None
            }
        },
    };
    let mut currency = match clean(raw.currency) {
        None => None,
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(c) => {
            errors.add(
                "currency",
                format!("\"{c}\" is not a currency code; use a 3-letter ISO 4217 code such as USD or EUR"),
            );
            None
        }
    };
    let arr_cents = match clean(raw.arr) {
        None => None,
        Some(a) => match parse_arr(a) {
            Ok((cents, implied)) => {
                if let Some(implied) = implied {
                    match &currency {
                        None => currency = Some(implied.to_string()),
                        Some(c) if c != implied && errors.get("currency").is_none() => errors.add(
                            "arr",
                            format!(
                                "ARR is written in {implied} but the currency is {c}; make them match"
                            ),
                        ),
                        Some(_) => {}
                    }
                }
                Some(cents)
            }
            Err(msg) => {
                errors.add("arr", msg);
                None
            }
        },
    };
    let segment = match clean(raw.segment) {
        None => None,
        Some(s) => match s.parse::<Segment>() {
            Ok(s) => Some(s),
            Err(e) => {
                errors.add("segment", e.0);
                None
            }
        },
    };
    let plan = clean(raw.plan);
    if let Some(p) = plan
        && too_long(p, MAX_PLAN_CHARS)
    {
        errors.add("plan", "Plan name is too long; use at most 100 characters");
    }
    let lifecycle = match clean(raw.lifecycle) {
        None => Lifecycle::Customer,
        Some(l) => match l.parse::<Lifecycle>() {
            Ok(l) => l,
            Err(e) => {
                errors.add("lifecycle", e.0);
                Lifecycle::Customer
            }
        },
    };
    if errors.len() > start {
        return None;
    }
    Some(NewAccount {
        external_id: external_id?.to_string(),
        name: name?.to_string(),
        domain,
        arr_cents,
        currency: currency.unwrap_or_else(|| "USD".to_string()),
        segment,
        plan: plan.map(str::to_string),
        lifecycle,
    })
}

/// Lowercases and strips scheme, `www.`, path and trailing dot. `None` when
/// the result doesn't look like a host name with a dot.
pub fn normalize_domain(d: &str) -> Option<String> {
    let mut s = d.trim().to_ascii_lowercase();
    for scheme in ["https://", "http://"] {
        if let Some(rest) = s.strip_prefix(scheme) {
            s = rest.to_string();
        }
    }
    if let Some(cut) = s.find(['/', '?', '#']) {
        s.truncate(cut);
    }
    if let Some(rest) = s.strip_prefix("www.") {
        s = rest.to_string();
    }
    let s = s.trim_end_matches('.').to_string();
    let ok = s.len() <= 253
        && s.contains('.')
        && !s.starts_with(['.', '-'])
        && !s.contains("..")
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    ok.then_some(s)
}

#[cfg(test)]
mod tests;
