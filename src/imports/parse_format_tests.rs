//! Tests of each vendor format, slashed dates, reporters, and our export's round trip.

use super::*;
use crate::feedback::export;

fn item(source: Source, body: &str) -> NewFeedback {
    NewFeedback {
        source,
        body: body.to_string(),
        external_id: None,
        title: None,
        account_external_id: None,
        contact_email: None,
        received_at: None,
        nps_score: None,
        metadata: serde_json::json!({}),
    }
}

#[test]
fn productboard_headers() {
    let csv = "Note ID,Note title,Note text,User email,Company domain,Source origin,Source record ID,Created at,Tags,Display URL\n\
               n1,Slow export,Export takes ages,bo@globex.com,globex.com,zendesk,Z-9,2024-04-01T08:00:00Z,\"perf, export\",https://x.test/1\n\
               n2,,Wants SAML,,,sales,S-5,,,\n";
    let p = ok(csv, Some(Source::Support));
    assert_eq!(p.mapping.format, CsvFormat::Productboard);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let a = &p.rows[0].1;
    assert_eq!(a.source, Source::Support); // zendesk is not ours → default
    assert_eq!(a.title.as_deref(), Some("Slow export"));
    assert_eq!(a.body, "Export takes ages");
    assert_eq!(a.contact_email.as_deref(), Some("bo@globex.com"));
    assert_eq!(a.account_external_id, None);
    assert_eq!(a.external_id.as_deref(), Some("Z-9"));
    assert_eq!(a.received_at, Some(datetime!(2024-04-01 8:00 UTC)));
    assert_eq!(
        a.metadata,
        serde_json::json!({
            "company_domain": "globex.com",
            "source_origin": "zendesk",
            "tags": "perf, export",
            "Note ID": "n1",
            "Display URL": "https://x.test/1"
        })
    );
    assert_eq!(p.rows[1].1.source, Source::Sales);
    assert_eq!(p.mapping.target_of("Note text"), Some("body"));
    assert_eq!(
        p.mapping.target_of("Company domain"),
        Some("metadata.company_domain")
    );

    // snake_case variant without a default source → other
    let p = ok(
        "note_title,content,customer_email,source_origin\nT,Body text,,intercom\n",
        None,
    );
    assert_eq!(p.mapping.format, CsvFormat::Productboard);
    assert_eq!(p.rows[0].1.source, Source::Other);
    assert_eq!(p.rows[0].1.body, "Body text");
}

#[test]
fn quackback_headers() {
    let csv = "id,title,body,author_email,author_name,board,status,tags,vote_count,created_at\n\
               p1,Dark mode,Please add dark mode,cy@initech.com,Cy,features,planned,ui,12,2024-02-01T10:00:00Z\n\
               p2,Bad,,,,features,open,,,\n";
    let p = ok(csv, None);
    assert_eq!(p.mapping.format, CsvFormat::Quackback);
    assert_eq!(p.rows.len(), 1);
    let a = &p.rows[0].1;
    assert_eq!(a.source, Source::Other);
    assert_eq!(a.external_id.as_deref(), Some("p1"));
    assert_eq!(a.title.as_deref(), Some("Dark mode"));
    assert_eq!(a.body, "Please add dark mode");
    assert_eq!(a.contact_email.as_deref(), Some("cy@initech.com"));
    assert_eq!(a.received_at, Some(datetime!(2024-02-01 10:00 UTC)));
    assert_eq!(
        a.metadata,
        serde_json::json!({"author_name": "Cy", "board": "features", "status": "planned", "tags": "ui", "vote_count": "12"})
    );
    assert_eq!(err_lines(&p), vec![(3, Some("body"))]);
    let p = ok(csv, Some(Source::Research));
    assert_eq!(p.rows[0].1.source, Source::Research);
}

#[test]
fn nps_survey_file() {
    let csv = "Response ID,Submitted At,Email,Company,How likely are you to recommend us to a friend?,What is the main reason for your score?\n\
               r1,2024-05-01 09:00:00,ann@acme.io,acme,10,Great support\n\
               r2,2024-05-01,,globex,3,\n\
               r3,2024-05-02,,,,No score given\n\
               r4,2024-05-02,,,8,Fine\n\
               r5,2024-05-02,,,12,Too high\n";
    let p = ok(csv, Some(Source::Sales));
    assert_eq!(p.mapping.format, CsvFormat::NpsSurvey);
    assert_eq!(p.total_rows, 5);
    let scores: Vec<_> = p
        .rows
        .iter()
        .map(|(_, r)| (r.nps_score, r.nps_band()))
        .collect();
    assert_eq!(
        scores,
        vec![
            (Some(10), Some(crate::feedback::NpsBand::Promoter)),
            (Some(3), Some(crate::feedback::NpsBand::Detractor)),
            (Some(8), Some(crate::feedback::NpsBand::Passive)),
        ]
    );
    assert!(p.rows.iter().all(|(_, r)| r.source == Source::Nps));
    let a = &p.rows[0].1;
    assert_eq!(a.external_id.as_deref(), Some("r1"));
    assert_eq!(a.account_external_id.as_deref(), Some("acme"));
    assert_eq!(a.contact_email.as_deref(), Some("ann@acme.io"));
    assert_eq!(a.body, "Great support");
    assert_eq!(a.received_at, Some(datetime!(2024-05-01 9:00 UTC)));
    assert_eq!(p.rows[1].1.body, "NPS 3 (no comment)");
    assert_eq!(
        err_lines(&p),
        vec![(4, Some("nps_score")), (6, Some("nps_score"))]
    );
    assert_eq!(
        p.errors[0].message,
        "An NPS response needs a score from 0 to 10"
    );

    let p = ok("nps_score,comment\n7,ok\n", None);
    assert_eq!(p.mapping.format, CsvFormat::NpsSurvey);
    assert_eq!(p.rows[0].1.nps_score, Some(7));
}

#[test]
fn our_export_reimports_into_the_same_values() {
    let mut a = item(Source::Sales, "Needs SSO, \"soon\"\nsecond line");
    a.external_id = Some("S-1".into());
    a.title = Some("=HYPERLINK(\"x\")".into());
    a.account_external_id = Some("acme".into());
    a.contact_email = Some("ann@acme.io".into());
    a.received_at = Some(datetime!(2024-05-01 13:45:10.25 UTC));
    a.metadata = serde_json::json!({"plan": "pro", "seats": 40, "tags": ["a", "b"]});
    let mut b = item(Source::Nps, "-10 points for speed");
    b.nps_score = Some(4);
    b.external_id = Some("S-1".into()); // same id, other source: allowed
    let c = item(Source::Research, "  é unicode ✓");
    let c = NewFeedback {
        body: c.body.trim().to_string(),
        ..c
    };
    let originals = vec![a, b, c];

    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(export::csv_header()).expect("header");
    for (i, f) in originals.iter().enumerate() {
        let mut row = export::ExportRow::from_new((i + 1).to_string(), f);
        row.account_name = Some("Acme Inc".into());
        row.reporter_email = Some("pm@goldthread.test".into());
        row.arr_cents_snapshot = Some(120_000_000);
        row.currency_snapshot = Some("EUR".into());
        row.themes = vec!["Fees and pricing".into(), "Cards (suggested)".into()];
        export::write_csv_row(&mut w, &row).expect("row");
    }
    let bytes = w.into_inner().expect("flush");
    let text = String::from_utf8(bytes.clone()).expect("utf8");
    assert!(text.starts_with("id,source,external_id,title,body,"));
    assert!(text.contains("\"'=HYPERLINK(\"\"x\"\")\""));

    let parsed = parse_feedback_csv(&bytes, None, &mut |_| {}).expect("re-import");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.mapping.target_of("id"), None);
    assert_eq!(parsed.mapping.target_of("arr_cents_snapshot"), None);
    assert_eq!(parsed.mapping.target_of("currency_snapshot"), None);
    assert_eq!(parsed.mapping.target_of("themes"), None);
    let back: Vec<NewFeedback> = parsed.rows.into_iter().map(|(_, f)| f).collect();
    assert_eq!(back, originals);
}

#[test]
fn slashed_dates_follow_the_file_and_reporters_are_read() {
    use crate::imports::dates::DateOrder;
    let csv = "score,comment,date,owner\n\
               7,a,11/25/2023,Pm@Example.com\n\
               8,b,03/04/2024 10:00,\n\
               9,c,25/11/2023,\n\
               6,d,2024-05-01,not an email\n";
    let p = ok(csv, None);
    assert_eq!(
        p.dates,
        Some(DateReading {
            order: DateOrder::MonthFirst,
            ambiguous: false
        })
    );
    assert_eq!(
        p.rows[0].1.received_at,
        Some(datetime!(2023-11-25 0:00 UTC))
    );
    assert_eq!(
        p.rows[1].1.received_at,
        Some(datetime!(2024-03-04 10:00 UTC))
    );
    assert_eq!(
        p.extras[1].received_at_alt, None,
        "the file decided the order"
    );
    assert_eq!(
        p.extras[0].reporter_email.as_deref(),
        Some("pm@example.com")
    );
    assert_eq!(p.mapping.target_of("owner"), Some("reporter_email"));
    assert_eq!(
        err_lines(&p),
        vec![(4, Some("received_at")), (5, Some("reporter_email"))]
    );
    assert!(
        p.errors[0].message.contains("only reads as day/month/year"),
        "{}",
        p.errors[0].message
    );

    let p = ok("score,date\n7,03/04/2024\n8,05/05/2024\n", None);
    assert_eq!(
        p.dates,
        Some(DateReading {
            order: DateOrder::MonthFirst,
            ambiguous: true
        })
    );
    assert_eq!(
        p.extras[0].received_at_alt,
        Some(datetime!(2024-04-03 0:00 UTC))
    );
    assert_eq!(
        p.extras[1].received_at_alt, None,
        "05/05 reads the same both ways"
    );
}

#[test]
fn an_nps_row_reports_all_its_problems() {
    let p = ok(
        "score,comment,email,date\n11,x,not-an-email,13/13/2024\n",
        None,
    );
    assert_eq!(
        err_lines(&p),
        vec![
            (2, Some("received_at")),
            (2, Some("contact_email")),
            (2, Some("nps_score"))
        ]
    );
}
