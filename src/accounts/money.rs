//! Money: parsing ARR as people type it (formatting is `crate::web::money`).

/// Parses an ARR amount into cents, plus the currency implied by a sign or
/// code in the text (`€` → EUR, `£` → GBP, `¥` → JPY, `$` → USD, or a
/// leading/trailing ISO code like `EUR 12,000`).
///
/// Accepts thousands separators (`,`, spaces, `_`), decimals, and the
/// suffixes `K`, `M`/`MM`, `B` (any case). Rounds to the nearest cent.
pub fn parse_arr(s: &str) -> Result<(i64, Option<&'static str>), String> {
    let hint = "Enter ARR as a number like 1200000, $1,200,000.50 or 1.2M";
    let mut t = s.trim();
    if t.starts_with('-') || (t.starts_with('(') && t.ends_with(')')) {
        return Err("ARR can't be negative".to_string());
    }
    let mut implied: Option<&'static str> = None;
    // ISO code before or after the amount.
    if t.len() > 3 && t.is_char_boundary(3) {
        let (code, rest) = t.split_at(3);
        if code.bytes().all(|b| b.is_ascii_alphabetic())
            && !rest.starts_with(|c: char| c.is_ascii_alphabetic())
        {
            implied = known_code(code);
            if implied.is_none() {
                return Err(format!(
                    "\"{code}\" is not a currency we know; put the code in the currency column"
                ));
            }
            t = rest.trim_start();
        }
    }
    if t.len() > 3 && t.is_char_boundary(t.len() - 3) {
        let (rest, code) = t.split_at(t.len() - 3);
        if code.bytes().all(|b| b.is_ascii_alphabetic())
            && rest.ends_with(|c: char| c.is_ascii_digit() || c == ' ')
            && let Some(c) = known_code(code)
        {
            implied = Some(c);
            t = rest.trim_end();
        }
    }
    for (sym, code) in [
        ("US$", "USD"),
        ("$", "USD"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("¥", "JPY"),
    ] {
        if let Some(rest) = t.strip_prefix(sym).or_else(|| t.strip_suffix(sym)) {
            if implied.is_some_and(|c| c != code) {
                return Err(format!(
                    "ARR mixes two currencies ({sym} and {})",
                    implied.unwrap_or_default()
                ));
            }
            implied = Some(code);
            t = rest.trim();
            break;
        }
    }
    if t.starts_with('-') {
        return Err("ARR can't be negative".to_string());
    }
    let mut digits = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            ',' | ' ' | '_' | '\u{a0}' | '\u{202f}' => {}
            _ => digits.push(c),
        }
    }
    let lower = digits.to_ascii_lowercase();
    let (num, mult): (&str, i128) = if let Some(n) = lower.strip_suffix("mm") {
        (n, 1_000_000)
    } else if let Some(n) = lower.strip_suffix('k') {
        (n, 1_000)
    } else if let Some(n) = lower.strip_suffix('m') {
        (n, 1_000_000)
    } else if let Some(n) = lower.strip_suffix('b') {
        (n, 1_000_000_000)
    } else {
        (lower.as_str(), 1)
    };
    let (int_part, frac_part) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || int_part.len() > 20
        || frac_part.len() > 12
    {
        return Err(hint.to_string());
    }
    let int_val: i128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| hint.to_string())?
    };
    let frac_val: i128 = if frac_part.is_empty() {
        0
    } else {
        frac_part.parse().map_err(|_| hint.to_string())?
    };
    let scale = 10i128.pow(frac_part.len() as u32);
    let too_big = || "ARR is too large; check the number".to_string();
    let numerator = int_val
        .checked_mul(scale)
        .and_then(|v| v.checked_add(frac_val))
        .and_then(|v| v.checked_mul(mult))
        .and_then(|v| v.checked_mul(100))
        .ok_or_else(too_big)?;
    let cents = numerator.checked_add(scale / 2).ok_or_else(too_big)? / scale;
    let cents = i64::try_from(cents).map_err(|_| too_big())?;
    // A trillion a year is no account's ARR: a slipped suffix or extra zeros.
    if cents > 100_000_000_000_000 {
        return Err(too_big());
    }
    Ok((cents, implied))
}

fn known_code(code: &str) -> Option<&'static str> {
    const CODES: [&str; 16] = [
        "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "INR", "BRL",
        "SGD", "HKD", "MXN",
    ];
    CODES.into_iter().find(|c| c.eq_ignore_ascii_case(code))
}
