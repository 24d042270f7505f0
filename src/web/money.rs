//! Money as pages show it: short in tables ("$1.2M"), exact on hover ("$1,200,000.00").

fn currency_prefix(currency: &str) -> String {
    match currency.trim().to_ascii_uppercase().as_str() {
        "USD" => "$".to_string(),
        "EUR" => "€".to_string(),
        "GBP" => "£".to_string(),
        "JPY" => "¥".to_string(),
        "INR" => "₹".to_string(),
        "" => "$".to_string(),
        other => format!("{other} "),
    }
}

/// Compact amount for tables and badges: "$1.2M", "$950K", "€12K", "$0".
/// One decimal below 100 of a unit (".0" dropped), whole numbers above.
pub fn format_arr_short(cents: i64, currency: &str) -> String {
    const UNITS: [(u128, &str); 4] = [
        (100_000_000_000, "B"),
        (100_000_000, "M"),
        (100_000, "K"),
        (100, ""),
    ];
    let sign = if cents < 0 { "-" } else { "" };
    let c = u128::from(cents.unsigned_abs());
    let mut idx = UNITS
        .iter()
        .position(|(u, _)| c >= *u)
        .unwrap_or(UNITS.len() - 1);
    let text = loop {
        let (unit, suffix) = UNITS[idx];
        let whole = (c + unit / 2) / unit;
        if whole >= 1000 && idx > 0 {
            idx -= 1;
            continue;
        }
        if suffix.is_empty() {
            break whole.to_string();
        }
        let tenths = (c * 10 + unit / 2) / unit;
        if tenths < 1000 {
            break if tenths % 10 == 0 {
                format!("{}{suffix}", tenths / 10)
            } else {
                format!("{}.{}{suffix}", tenths / 10, tenths % 10)
            };
        }
        break format!("{whole}{suffix}");
    };
    let sign = if text == "0" { "" } else { sign };
    format!("{sign}{}{text}", currency_prefix(currency))
}

/// Exact amount with thousands separators: "$1,200,000.00".
pub fn format_arr_exact(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let units = (c / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!(
        "{sign}{}{grouped}.{:02}",
        currency_prefix(currency),
        c % 100
    )
}

/// An ARR amount as a page shows it: in the reporting currency when it converts, with the amount
/// as recorded kept visible when that is another currency (or when no rate converts it).
#[derive(Debug, Clone, PartialEq)]
pub struct Arr {
    /// "$1.2M": converted, or as recorded when there is no rate.
    pub short: String,
    /// For the title: the exact amount, and the recorded one when converted ("$1,080,000.00 =
    /// €1,000,000.00").
    pub title: String,
    /// "€1M" when the amount was recorded in another currency than `short` is in.
    pub original: Option<String>,
    /// No rate converts the recorded currency: `short` is as recorded and left out of totals.
    pub no_rate: bool,
}

impl Arr {
    /// `cents` in `currency` as recorded, `converted` the same in `reporting` (`None` when no rate
    /// converts it). `None` when there is no ARR at all.
    pub fn new(
        cents: Option<i64>,
        currency: &str,
        converted: Option<i64>,
        reporting: &str,
    ) -> Option<Arr> {
        let cents = cents?;
        let same = currency.eq_ignore_ascii_case(reporting);
        Some(match converted {
            _ if same => Arr {
                short: format_arr_short(cents, currency),
                title: format_arr_exact(cents, currency),
                original: None,
                no_rate: false,
            },
            Some(c) => Arr {
                short: format_arr_short(c, reporting),
                title: format!(
                    "{} = {}",
                    format_arr_exact(c, reporting),
                    format_arr_exact(cents, currency)
                ),
                original: Some(format_arr_short(cents, currency)),
                no_rate: false,
            },
            None => Arr {
                short: format_arr_short(cents, currency),
                title: format!(
                    "{}: no exchange rate to {reporting}",
                    format_arr_exact(cents, currency)
                ),
                original: None,
                no_rate: true,
            },
        })
    }

    /// An amount already in the reporting currency (a converted total).
    pub fn total(cents: i64, reporting: &str) -> Arr {
        Arr {
            short: format_arr_short(cents, reporting),
            title: format_arr_exact(cents, reporting),
            original: None,
            no_rate: false,
        }
    }
}

/// "2 accounts in CHF and 1 in SEK have no exchange rate to USD; {consequence}", or `None` when
/// every amount converted. `missing` is (currency, accounts).
pub fn missing_rates_note(
    missing: &[(String, i64)],
    reporting: &str,
    consequence: &str,
) -> Option<String> {
    let total: i64 = missing.iter().map(|m| m.1).sum();
    if total == 0 {
        return None;
    }
    let parts: Vec<String> = missing
        .iter()
        .enumerate()
        .map(|(i, (currency, n))| {
            let noun = match (i, *n) {
                (0, 1) => "account ",
                (0, _) => "accounts ",
                _ => "",
            };
            format!("{n} {noun}in {currency}")
        })
        .collect();
    let list = match parts.as_slice() {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    let verb = if total == 1 { "has" } else { "have" };
    Some(format!(
        "{list} {verb} no exchange rate to {reporting}; {consequence}"
    ))
}

/// Counts per currency, sorted by currency, from one currency per account.
pub fn count_currencies(currencies: &[String]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    let mut sorted: Vec<&String> = currencies.iter().collect();
    sorted.sort();
    for c in sorted {
        match out.last_mut() {
            Some((last, n)) if last == c => *n += 1,
            _ => out.push((c.clone(), 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(format_arr_short(120_000_000, "USD"), "$1.2M");
        assert_eq!(format_arr_short(95_000_000, "USD"), "$950K");
        assert_eq!(format_arr_short(1_200_000, "EUR"), "€12K");
        assert_eq!(format_arr_short(0, "USD"), "$0");
        assert_eq!(format_arr_short(95_000, "usd"), "$950");
        assert_eq!(format_arr_short(99_995_000, "USD"), "$1M");
        assert_eq!(format_arr_short(99_940_000, "USD"), "$999K");
        assert_eq!(format_arr_short(1_234_500_000, "USD"), "$12.3M");
        assert_eq!(format_arr_short(250_000_000_000, "GBP"), "£2.5B");
        assert_eq!(format_arr_short(500_000, "CHF"), "CHF 5K");
        assert_eq!(format_arr_short(-120_000_000, "USD"), "-$1.2M");
        assert_eq!(format_arr_short(i64::MIN, "USD").chars().next(), Some('-'));
        assert_eq!(format_arr_exact(120_000_000, "USD"), "$1,200,000.00");
        assert_eq!(format_arr_exact(120_000_050, "EUR"), "€1,200,000.50");
        assert_eq!(format_arr_exact(5, "USD"), "$0.05");
        assert_eq!(format_arr_exact(99_900, "CHF"), "CHF 999.00");
        assert_eq!(format_arr_exact(-100_000, "USD"), "-$1,000.00");
        assert!(!format_arr_exact(i64::MIN, "USD").is_empty());
    }

    #[test]
    fn converted_amounts_keep_the_original_and_missing_rates_are_said() {
        let same = Arr::new(Some(120_000_000), "USD", Some(120_000_000), "USD").unwrap();
        assert_eq!(
            (same.short.as_str(), same.title.as_str()),
            ("$1.2M", "$1,200,000.00")
        );
        assert_eq!(same.original, None);
        let eur = Arr::new(Some(100_000_000), "EUR", Some(108_000_000), "USD").unwrap();
        assert_eq!(eur.short, "$1.1M");
        assert_eq!(eur.title, "$1,080,000.00 = €1,000,000.00");
        assert_eq!(eur.original.as_deref(), Some("€1M"));
        let chf = Arr::new(Some(50_000_000), "CHF", None, "USD").unwrap();
        assert!(chf.no_rate);
        assert_eq!(chf.short, "CHF 500K");
        assert_eq!(Arr::new(None, "USD", None, "USD"), None);
        let note = missing_rates_note(
            &[("CHF".into(), 2), ("SEK".into(), 1)],
            "USD",
            "their ARR is left out",
        );
        assert_eq!(
            note.as_deref(),
            Some(
                "2 accounts in CHF and 1 in SEK have no exchange rate to USD; their ARR is left out"
            )
        );
        assert_eq!(
            missing_rates_note(&[("CHF".into(), 1)], "USD", "x").as_deref(),
            Some("1 account in CHF has no exchange rate to USD; x")
        );
        assert_eq!(missing_rates_note(&[], "USD", "x"), None);
        assert_eq!(
            count_currencies(&["SEK".into(), "CHF".into(), "CHF".into()]),
            vec![("CHF".into(), 2), ("SEK".into(), 1)]
        );
    }
}
