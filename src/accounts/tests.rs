//! Unit tests of account validation and ARR parsing/formatting (CSV parsing is tested in `crate::imports`).

use super::*;

#[test]
fn lifecycle_and_segment() {
    assert_eq!(" Churned ".parse::<Lifecycle>(), Ok(Lifecycle::Churned));
    assert!("lead".parse::<Lifecycle>().is_err());
    assert_eq!(Lifecycle::Prospect.label(), "Prospect");
    for s in ["mid-market", "Mid market", "MID_MARKET", "midmarket"] {
        assert_eq!(s.parse::<Segment>(), Ok(Segment::MidMarket), "{s}");
    }
    assert_eq!("SMB".parse::<Segment>(), Ok(Segment::Smb));
    assert_eq!(" enterprise".parse::<Segment>(), Ok(Segment::Enterprise));
    assert!("huge".parse::<Segment>().is_err());
    assert_eq!(Segment::MidMarket.as_str(), "mid_market");
    assert_eq!(Segment::MidMarket.label(), "Mid-market");
    assert_eq!(
        serde_json::to_string(&Segment::MidMarket).ok().as_deref(),
        Some("\"mid_market\"")
    );
    assert_eq!(
        serde_json::to_string(&Lifecycle::Customer).ok().as_deref(),
        Some("\"customer\"")
    );
}

#[test]
fn arr_parsing_variants() {
    let cases: [(&str, i64, Option<&str>); 14] = [
        ("1200000", 120_000_000, None),
        ("$1,200,000.50", 120_000_050, Some("USD")),
        ("1.2M", 120_000_000, None),
        ("1.2m", 120_000_000, None),
        ("950k", 95_000_000, None),
        ("€12K", 1_200_000, Some("EUR")),
        ("£ 3,000", 300_000, Some("GBP")),
        ("EUR 12,000", 1_200_000, Some("EUR")),
        ("12000 usd", 1_200_000, Some("USD")),
        ("2.5B", 250_000_000_000, None),
        ("1 200 000", 120_000_000, None),
        ("0", 0, None),
        ("99.999", 10_000, None),
        ("3MM", 300_000_000, None),
    ];
    for (s, cents, cur) in cases {
        assert_eq!(parse_arr(s), Ok((cents, cur)), "{s}");
    }
    for bad in [
        "abc",
        "-5",
        "(100)",
        "1.2.3",
        "$",
        "12X",
        "1e6",
        "99999999999999999999999",
    ] {
        assert!(parse_arr(bad).is_err(), "{bad}");
    }
}

#[test]
fn validate_account() {
    let a = AccountInput {
        external_id: Some(" A-1 ".into()),
        name: Some("Acme".into()),
        domain: Some("https://www.Acme.com/about".into()),
        arr: Some("€1.5M".into()),
        currency: None,
        segment: Some("Mid market".into()),
        plan: Some("Pro".into()),
        lifecycle: None,
    }
    .validate()
    .expect("valid");
    assert_eq!(a.external_id, "A-1");
    assert_eq!(a.domain.as_deref(), Some("acme.com"));
    assert_eq!(a.arr_cents, Some(150_000_000));
    assert_eq!(a.currency, "EUR");
    assert_eq!(a.segment, Some(Segment::MidMarket));
    assert_eq!(a.lifecycle, Lifecycle::Customer);

    let e = AccountInput {
        arr: Some("€5".into()),
        currency: Some("usd".into()),
        domain: Some("not a domain".into()),
        segment: Some("huge".into()),
        lifecycle: Some("lead".into()),
        ..Default::default()
    }
    .validate()
    .unwrap_err();
    for f in [
        "external_id",
        "name",
        "arr",
        "domain",
        "segment",
        "lifecycle",
    ] {
        assert!(e.has(f), "{f}: {e}");
    }
    let e = AccountInput {
        external_id: Some("x".into()),
        name: Some("y".into()),
        currency: Some("dollars".into()),
        ..Default::default()
    }
    .validate()
    .unwrap_err();
    assert!(e.get("currency").is_some_and(|m| m.contains("ISO 4217")));
    let ok = AccountInput {
        external_id: Some("x".into()),
        name: Some("y".into()),
        ..Default::default()
    }
    .validate()
    .expect("minimal");
    assert_eq!((ok.arr_cents, ok.currency.as_str()), (None, "USD"));
}
