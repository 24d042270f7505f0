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
}
