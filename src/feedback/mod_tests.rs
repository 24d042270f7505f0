//! Tests of `feedback::mod`.

use super::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2024-06-01 12:00 UTC);

fn input(source: &str, body: &str) -> FeedbackInput {
    FeedbackInput {
        source: Some(source.into()),
        body: Some(body.into()),
        ..Default::default()
    }
}

#[test]
fn source_parsing_and_labels() {
    assert_eq!(" Sales ".parse::<Source>(), Ok(Source::Sales));
    assert_eq!("NPS".parse::<Source>(), Ok(Source::Nps));
    assert_eq!("customer success".parse::<Source>(), Ok(Source::Success));
    assert!("email".parse::<Source>().is_err());
    assert_eq!(Source::Success.label(), "Customer success");
    assert_eq!(Source::ALL.len(), 6);
    for s in Source::ALL {
        assert_eq!(s.as_str().parse::<Source>(), Ok(s));
    }
    assert_eq!(
        serde_json::to_string(&Source::Research).ok().as_deref(),
        Some("\"research\"")
    );
    let back: Source = serde_json::from_str("\"support\"").unwrap_or(Source::Other);
    assert_eq!(back, Source::Support);
}

#[test]
fn nps_bands() {
    assert_eq!(NpsBand::from_score(0), NpsBand::Detractor);
    assert_eq!(NpsBand::from_score(6), NpsBand::Detractor);
    assert_eq!(NpsBand::from_score(7), NpsBand::Passive);
    assert_eq!(NpsBand::from_score(8), NpsBand::Passive);
    assert_eq!(NpsBand::from_score(9), NpsBand::Promoter);
    assert_eq!(NpsBand::from_score(10), NpsBand::Promoter);
    assert_eq!(NpsBand::from_score(-3), NpsBand::Detractor);
    assert_eq!(NpsBand::Promoter.label(), "Promoter");
    assert_eq!(NpsBand::Passive.as_str(), "passive");
}

#[test]
fn valid_input_is_trimmed_and_cleaned() {
    let i = FeedbackInput {
        source: Some(" Support ".into()),
        body: Some("  Export is slow  ".into()),
        external_id: Some("".into()),
        title: Some("   ".into()),
        account_external_id: Some(" acme ".into()),
        contact_email: Some(" ann@acme.io ".into()),
        received_at: Some("2024-05-01".into()),
        nps_score: None,
        metadata: Some(serde_json::json!({"plan": "pro"})),
    };
    let v = i.validate_at(NOW).expect("valid");
    assert_eq!(v.source, Source::Support);
    assert_eq!(v.body, "Export is slow");
    assert_eq!(v.external_id, None);
    assert_eq!(v.title, None);
    assert_eq!(v.account_external_id.as_deref(), Some("acme"));
    assert_eq!(v.contact_email.as_deref(), Some("ann@acme.io"));
    assert_eq!(v.received_at, Some(datetime!(2024-05-01 0:00 UTC)));
    assert_eq!(v.metadata, serde_json::json!({"plan": "pro"}));
}

#[test]
fn required_fields_and_lengths() {
    let e = FeedbackInput::default().validate_at(NOW).unwrap_err();
    assert!(e.get("source").is_some_and(|m| m.contains("required")));
    assert!(e.get("body").is_some_and(|m| m.contains("required")));

    let e = input("sales", "   ").validate_at(NOW).unwrap_err();
    assert!(e.has("body"));

    let e = input("bogus", "x").validate_at(NOW).unwrap_err();
    assert!(e.get("source").is_some_and(|m| m.contains("\"bogus\"")));

    // 20,000 multi-byte chars is fine (bytes > 20,000), 20,001 is not.
    let ok = "é".repeat(MAX_BODY_CHARS);
    assert!(input("sales", &ok).validate_at(NOW).is_ok());
    let long = "é".repeat(MAX_BODY_CHARS + 1);
    let e = input("sales", &long).validate_at(NOW).unwrap_err();
    assert!(e.get("body").is_some_and(|m| m.contains("20,000")));

    let mut i = input("sales", "x");
    i.title = Some("t".repeat(301));
    i.external_id = Some("x".repeat(201));
    let e = i.validate_at(NOW).unwrap_err();
    assert!(e.has("title"));
    assert!(e.has("external_id"));
    i.title = Some("t".repeat(300));
    i.external_id = Some("x".repeat(200));
    assert!(i.validate_at(NOW).is_ok());
}

#[test]
fn nps_score_rules() {
    let e = input("nps", "meh").validate_at(NOW).unwrap_err();
    assert_eq!(
        e.get("nps_score"),
        Some("An NPS response needs a score from 0 to 10")
    );

    let mut i = input("sales", "x");
    i.nps_score = Some("7".into());
    let e = i.validate_at(NOW).unwrap_err();
    assert_eq!(e.get("nps_score"), Some("Only NPS responses carry a score"));

    for bad in ["abc", "11", "-1", "7.5"] {
        let mut i = input("nps", "x");
        i.nps_score = Some(bad.into());
        let e = i.validate_at(NOW).unwrap_err();
        assert!(
            e.get("nps_score").is_some_and(|m| m.contains("0 to 10")),
            "{bad}"
        );
    }
    for (good, n) in [("0", 0), (" 10 ", 10), ("9.0", 9)] {
        let mut i = input("nps", "x");
        i.nps_score = Some(good.into());
        assert_eq!(i.validate_at(NOW).map(|v| v.nps_score), Ok(Some(n)));
    }
    let mut i = input("nps", "x");
    i.nps_score = Some("".into());
    assert!(i.validate_at(NOW).unwrap_err().has("nps_score"));
}

#[test]
fn email_rule() {
    for good in ["a@b.co", "first.last+tag@sub.example.org"] {
        assert_eq!(check_email(good), Ok(()), "{good}");
    }
    for bad in [
        "plain",
        "@example.com",
        "a@b",
        "a@@b.com",
        "a@b@c.com",
        "a b@c.com",
        "a@.com",
        "a@com.",
        "a@b..com",
    ] {
        assert!(check_email(bad).is_err(), "{bad}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert!(check_email(&long).unwrap_err().contains("254"));
    let mut i = input("sales", "x");
    i.contact_email = Some("not an email".into());
    assert!(i.validate_at(NOW).unwrap_err().has("contact_email"));
}

#[test]
fn dates() {
    assert_eq!(
        parse_datetime("2024-03-05"),
        Some(datetime!(2024-03-05 0:00 UTC))
    );
    assert_eq!(
        parse_datetime("2024-03-05 14:22"),
        Some(datetime!(2024-03-05 14:22 UTC))
    );
    assert_eq!(
        parse_datetime("2024-03-05 14:22:10"),
        Some(datetime!(2024-03-05 14:22:10 UTC))
    );
    assert_eq!(
        parse_datetime("2024-03-05T14:22:10.5"),
        Some(datetime!(2024-03-05 14:22:10.5 UTC))
    );
    assert_eq!(
        parse_datetime("2024-03-05T14:22:10+02:00"),
        Some(datetime!(2024-03-05 12:22:10 UTC))
    );
    assert_eq!(
        parse_datetime("2024-03-05 14:22:10Z"),
        Some(datetime!(2024-03-05 14:22:10 UTC))
    );
    for bad in [
        "05/03/2024",
        "2024-13-01",
        "yesterday",
        "2024-03-05 25:00",
        "2024-03-05é",
        "",
    ] {
        assert_eq!(parse_datetime(bad), None, "{bad}");
    }
    let mut i = input("sales", "x");
    i.received_at = Some("2024-06-02 11:00".into()); // < 1 day ahead: fine
    assert!(i.validate_at(NOW).is_ok());
    i.received_at = Some("2024-06-03".into());
    assert!(
        i.validate_at(NOW)
            .unwrap_err()
            .get("received_at")
            .is_some_and(|m| m.contains("future"))
    );
    i.received_at = Some("soon".into());
    assert!(i.validate_at(NOW).unwrap_err().has("received_at"));
}

#[test]
fn metadata_must_be_object() {
    let mut i = input("sales", "x");
    i.metadata = Some(serde_json::json!([1, 2]));
    assert!(i.validate_at(NOW).unwrap_err().has("metadata"));
    i.metadata = Some(serde_json::Value::Null);
    assert_eq!(
        i.validate_at(NOW).map(|v| v.metadata),
        Ok(serde_json::json!({}))
    );
}

#[test]
fn deserializes_from_json() {
    let i: FeedbackInput =
        serde_json::from_str(r#"{"source":"nps","body":"ok","nps_score":"9"}"#).unwrap_or_default();
    let v = i.validate_at(NOW).expect("valid");
    assert_eq!(v.nps_band(), Some(NpsBand::Promoter));
    let json = serde_json::to_value(&v).unwrap_or_default();
    assert_eq!(json["source"], "nps");
}

#[test]
fn dates_past_year_9999_in_utc_are_refused_not_a_panic() {
    // 9999-12-31 23:59 at UTC-01:00 is in the year 10000 in UTC, past what `time` holds;
    // converting it used to panic (an importer's received_at, a form's date).
    for s in [
        "9999-12-31T23:59:59-01:00",
        "9999-12-31 23:30:00-23:59",
        "9999-12-31t23:59:59.999-00:01",
    ] {
        assert_eq!(parse_datetime(s), None, "{s}");
    }
    assert_eq!(
        parse_datetime("9999-12-31T22:00:00-01:00"),
        Some(datetime!(9999-12-31 23:00 UTC))
    );
    let mut i = input("sales", "x");
    i.received_at = Some("9999-12-31T23:59:59-01:00".into());
    assert!(
        i.validate_at(NOW)
            .unwrap_err()
            .get("received_at")
            .is_some_and(|m| m.contains("not a date we understand"))
    );
}
