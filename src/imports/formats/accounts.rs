//! Accounts CSV: `external_id, name, domain, arr, currency, segment, plan, lifecycle`.
//!
//! Headers are matched loosely; aliases such as `account id`, `company`,
//! `website`, `tier`, `stage` are accepted and other columns ignored. The
//! `external_id` and `name` columns are required. A repeated external id is an
//! error on the later line. Rows are checked by `crate::accounts`' own rules.

use std::collections::HashMap;

use crate::accounts::{NewAccount, RawAccount, validate_raw};
use crate::imports::csvfile::{ImportRefusal, Limits, RowError, open_csv, push_field_errors};
use crate::validation::FieldErrors;

/// Valid accounts with the line each starts on, and every row problem.
pub type ParsedAccounts = (Vec<(u64, NewAccount)>, Vec<RowError>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    ExternalId,
    Name,
    Domain,
    Arr,
    Currency,
    Segment,
    Plan,
    Lifecycle,
}

fn account_column(n: &str) -> Option<Col> {
    Some(match n {
        "externalid" | "accountexternalid" | "accountid" | "id" | "companyid" | "customerid" => {
            Col::ExternalId
        }
        "name" | "accountname" | "company" | "companyname" | "customername" => Col::Name,
        "domain" | "website" | "companydomain" | "url" => Col::Domain,
        "arr" | "annualrecurringrevenue" | "arrcents" => Col::Arr,
        "currency" | "arrcurrency" => Col::Currency,
        "segment" | "tier" => Col::Segment,
        "plan" | "planname" => Col::Plan,
        "lifecycle" | "lifecyclestage" | "stage" => Col::Lifecycle,
        _ => return None,
    })
}

/// Parses an accounts CSV. Returns the valid accounts with their line numbers and every row
/// problem, sorted by line.
pub fn parse_accounts_csv(bytes: &[u8]) -> Result<ParsedAccounts, ImportRefusal> {
    parse_accounts_with(bytes, Limits::default())
}

pub(crate) fn parse_accounts_with(
    bytes: &[u8],
    limits: Limits,
) -> Result<ParsedAccounts, ImportRefusal> {
    let mut file = open_csv(bytes, limits)?;
    let mut cols: [Option<usize>; 8] = [None; 8];
    for (i, n) in file.normalized.iter().enumerate() {
        if let Some(c) = account_column(n)
            && cols[c as usize].is_none()
        {
            cols[c as usize] = Some(i);
        }
    }
    let mut missing = Vec::new();
    if cols[Col::ExternalId as usize].is_none() {
        missing.push("external_id".to_string());
    }
    if cols[Col::Name as usize].is_none() {
        missing.push("name".to_string());
    }
    if !missing.is_empty() {
        return Err(ImportRefusal::MissingColumns(missing));
    }

    let mut rows: Vec<(u64, NewAccount)> = Vec::new();
    let mut errors = Vec::new();
    let mut row_errors = Vec::new();
    let mut fe = FieldErrors::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let total = file.for_each_row(limits, &mut errors, &mut |_| {}, |line, rec| {
        let get = |c: Col| cols[c as usize].and_then(|i| rec.get(i));
        let raw = RawAccount {
            external_id: get(Col::ExternalId),
            name: get(Col::Name),
            domain: get(Col::Domain),
            arr: get(Col::Arr),
            currency: get(Col::Currency),
            segment: get(Col::Segment),
            plan: get(Col::Plan),
            lifecycle: get(Col::Lifecycle),
        };
        match validate_raw(&raw, &mut fe) {
            Some(a) if fe.is_empty() => {
                if let Some(first) = seen.get(&a.external_id) {
                    row_errors.push(RowError {
                        line,
                        field: Some("external_id".to_string()),
                        message: format!(
                            "Account ID \"{}\" appears twice: duplicate of line {first}",
                            a.external_id
                        ),
                    });
                } else {
                    seen.insert(a.external_id.clone(), line);
                    rows.push((line, a));
                }
            }
            _ => push_field_errors(line, &mut fe, &mut row_errors),
        }
    })?;
    if total == 0 {
        return Err(ImportRefusal::Empty);
    }
    errors.append(&mut row_errors);
    errors.sort_by_key(|e| e.line);
    Ok((rows, errors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{Lifecycle, Segment};

    #[test]
    fn accounts_csv() {
        let csv = "\u{feff}External ID,Name,Domain,ARR,Currency,Segment,Plan,Lifecycle,Notes\r\n\
                   a1,Acme,acme.com,\"$1,200,000\",USD,enterprise,Pro,customer,vip\r\n\
                   a2,\"Globex\nHoldings\",globex.com,950k,,smb,,prospect,\r\n\
                   a3,,x.com,abc,,,,,\r\n\
                   a1,Acme again,,,,,,,\r\n";
        let (rows, errors) = parse_accounts_csv(csv.as_bytes()).expect("parses");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.arr_cents, Some(120_000_000));
        assert_eq!(rows[0].1.segment, Some(Segment::Enterprise));
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].1.name, "Globex\nHoldings");
        assert_eq!(rows[1].1.lifecycle, Lifecycle::Prospect);
        let lines: Vec<_> = errors
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (5, Some("name")),
                (5, Some("arr")),
                (6, Some("external_id"))
            ]
        );
        assert!(errors[2].message.ends_with("duplicate of line 2"));

        assert_eq!(
            parse_accounts_csv(b"domain,arr\nx.com,1\n").unwrap_err(),
            ImportRefusal::MissingColumns(vec!["external_id".into(), "name".into()])
        );
        assert!(matches!(
            parse_accounts_csv(b"\x89PNG\r\n"),
            Err(ImportRefusal::NotCsv(_))
        ));
        assert_eq!(
            parse_accounts_csv(b"id,name\n").unwrap_err(),
            ImportRefusal::Empty
        );
        let small = Limits {
            max_bytes: 1000,
            max_rows: 1,
        };
        assert_eq!(
            parse_accounts_with(b"id,name\n1,a\n2,b\n", small).unwrap_err(),
            ImportRefusal::TooManyRows { limit: 1 }
        );
    }
}
