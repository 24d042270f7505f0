//! Tests of reading feedback files in every format.

use super::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2024-06-01 12:00 UTC);

fn parse(text: &str, default: Option<Source>) -> Result<ParsedImport, ImportRefusal> {
    parse_with(
        text.as_bytes(),
        default,
        &mut |_| {},
        NOW,
        Limits::default(),
    )
}

fn ok(text: &str, default: Option<Source>) -> ParsedImport {
    match parse(text, default) {
        Ok(p) => p,
        Err(e) => panic!("refused: {e}"),
    }
}

fn err_lines(p: &ParsedImport) -> Vec<(u64, Option<&str>)> {
    p.errors
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect()
}

#[test]
fn good_goldthread_file() {
    let csv = "source,external_id,body,title,account_external_id,contact_email,received_at,nps_score,plan\n\
               sales,S-1,Needs SSO,SSO,acme,ann@acme.io,2024-05-01,,pro\n\
               nps,N-1,Love it,,globex,,2024-05-02 10:30,9,\n\
               support,,\"Export, please\",,,,,,\n";
    let p = ok(csv, None);
    assert_eq!(p.mapping.format, CsvFormat::Goldthread);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.total_rows, 3);
    assert_eq!(p.rows.len(), 3);
    let (line, a) = &p.rows[0];
    assert_eq!(*line, 2);
    assert_eq!(a.source, Source::Sales);
    assert_eq!(a.external_id.as_deref(), Some("S-1"));
    assert_eq!(a.body, "Needs SSO");
    assert_eq!(a.title.as_deref(), Some("SSO"));
    assert_eq!(a.account_external_id.as_deref(), Some("acme"));
    assert_eq!(a.contact_email.as_deref(), Some("ann@acme.io"));
    assert_eq!(a.received_at, Some(datetime!(2024-05-01 0:00 UTC)));
    assert_eq!(a.metadata, serde_json::json!({"plan": "pro"}));
    let (_, b) = &p.rows[1];
    assert_eq!(b.nps_score, Some(9));
    assert_eq!(b.received_at, Some(datetime!(2024-05-02 10:30 UTC)));
    assert_eq!(b.metadata, serde_json::json!({}));
    assert_eq!(p.rows[2].1.body, "Export, please");
    assert_eq!(p.mapping.target_of("plan"), Some("metadata.*"));
    assert_eq!(p.mapping.header_for("body"), Some("body"));
}

#[test]
fn bad_rows_are_each_named() {
    let csv = "source,body,contact_email,nps_score,received_at\n\
               sales,ok,,,\n\
               ,no source,,,\n\
               sales,,,,\n\
               bogus,x,,,\n\
               sales,x,not-an-email,,\n\
               nps,x,,,\n\
               sales,x,,5,\n\
               nps,x,,11,\n\
               sales,x,,,2999-01-01\n\
               sales,x,,,someday\n\
               sales,x,too,many,cells,here\n";
    let p = ok(csv, None);
    assert_eq!(p.total_rows, 11);
    assert_eq!(p.rows.len(), 1);
    assert_eq!(
        err_lines(&p),
        vec![
            (3, Some("source")),
            (4, Some("body")),
            (5, Some("source")),
            (6, Some("contact_email")),
            (7, Some("nps_score")),
            (8, Some("nps_score")),
            (9, Some("nps_score")),
            (10, Some("received_at")),
            (11, Some("received_at")),
            (12, None),
        ]
    );
    assert_eq!(
        p.errors[4].message,
        "An NPS response needs a score from 0 to 10"
    );
    assert_eq!(p.errors[5].message, "Only NPS responses carry a score");
    assert!(p.errors[9].message.contains("6 values"));
}

#[test]
fn default_source_fills_missing() {
    let p = ok(
        "body,source\nhello,\nworld,research\n",
        Some(Source::Support),
    );
    assert!(p.errors.is_empty());
    assert_eq!(p.rows[0].1.source, Source::Support);
    assert_eq!(p.rows[1].1.source, Source::Research);
    let p = ok("Body\nhello\n", None);
    assert_eq!(err_lines(&p), vec![(2, Some("source"))]);
}

#[test]
fn bom_crlf_and_header_variants() {
    let csv =
        "\u{feff}Source , External ID,BODY\r\nsales,a-1,first\r\nsupport,a-2,second\r\n\r\n\r\n";
    let p = ok(csv, None);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.total_rows, 2);
    assert_eq!(p.rows[0].1.external_id.as_deref(), Some("a-1"));
    assert_eq!(p.rows[1].0, 3);
    assert_eq!(p.rows[1].1.body, "second");
    assert_eq!(
        p.mapping.columns[0],
        ("Source ".to_string(), Some("source"))
    );
}

#[test]
fn quoted_newlines_keep_line_numbers() {
    let csv = "source,body\r\n\
               sales,\"line one\r\nline two\nline three\"\r\n\
               bogus,after multi-line\r\n\
               support,\"a \"\"quoted\"\" word\"\r\n";
    let p = ok(csv, None);
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].0, 2);
    assert_eq!(p.rows[0].1.body, "line one\r\nline two\nline three");
    assert_eq!(err_lines(&p), vec![(5, Some("source"))]);
    assert_eq!(p.rows[1].0, 6);
    assert_eq!(p.rows[1].1.body, "a \"quoted\" word");
}

#[test]
fn refuses_non_csv() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    match parse_with(png, None, &mut |_| {}, NOW, Limits::default()) {
        Err(ImportRefusal::NotCsv(m)) => assert!(m.contains("PNG"), "{m}"),
        other => panic!("{other:?}"),
    }
    let nul = b"source,body\nsales,a\0b\n";
    match parse_with(nul, None, &mut |_| {}, NOW, Limits::default()) {
        Err(ImportRefusal::NotCsv(m)) => assert!(m.contains("line 2"), "{m}"),
        other => panic!("{other:?}"),
    }
    let latin1 = b"source,body\nsales,caf\xe9\n";
    match parse_with(latin1, None, &mut |_| {}, NOW, Limits::default()) {
        Err(ImportRefusal::NotCsv(m)) => assert!(m.contains("UTF-8"), "{m}"),
        other => panic!("{other:?}"),
    }
    for zip in [&b"PK\x03\x04rest"[..], b"%PDF-1.7", b"\xFF\xFEs\0"] {
        assert!(matches!(
            parse_with(zip, None, &mut |_| {}, NOW, Limits::default()),
            Err(ImportRefusal::NotCsv(_))
        ));
    }
    assert!(matches!(preview(png, 5), Err(ImportRefusal::NotCsv(_))));
}

#[test]
fn missing_columns_and_empty() {
    let e = parse("source,title\nsales,x\n", None).unwrap_err();
    assert_eq!(e, ImportRefusal::MissingColumns(vec!["body".into()]));
    assert!(e.to_string().contains("missing the required column body"));
    assert_eq!(parse("", None).unwrap_err(), ImportRefusal::Empty);
    assert_eq!(
        parse("\u{feff}\r\n\n", None).unwrap_err(),
        ImportRefusal::Empty
    );
    assert_eq!(
        parse("source,body\n", None).unwrap_err(),
        ImportRefusal::Empty
    );
    assert_eq!(
        parse("source,body\n,\n , \n", None).unwrap_err(),
        ImportRefusal::Empty
    );
}

#[test]
fn limits() {
    let small = Limits {
        max_bytes: 20,
        max_rows: 2,
    };
    let e = parse_with(
        b"source,body\nsales,aaaaaaaaaaaa\n",
        None,
        &mut |_| {},
        NOW,
        small,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        ImportRefusal::TooLarge {
            size: 31,
            limit: 20
        }
    ));
    let small = Limits {
        max_bytes: 1000,
        max_rows: 2,
    };
    let e = parse_with(b"body\na\nb\nc\n", None, &mut |_| {}, NOW, small).unwrap_err();
    assert_eq!(e, ImportRefusal::TooManyRows { limit: 2 });
    assert!(e.to_string().contains("more than 2 rows"));
}

#[test]
fn duplicate_external_ids() {
    let csv = "source,external_id,body\n\
               sales,X1,a\n\
               support,X1,same id other source is fine\n\
               sales,X2,b\n\
               sales,X1,dup\n\
               sales,,no id\n\
               sales,,no id again\n";
    let p = ok(csv, None);
    assert_eq!(p.rows.len(), 5);
    assert_eq!(err_lines(&p), vec![(5, Some("external_id"))]);
    assert!(
        p.errors[0].message.ends_with("duplicate of line 2"),
        "{}",
        p.errors[0].message
    );
}

#[test]
fn repeats_are_compared_exactly() {
    // Rows whose keys hash alike are compared as written: only a true repeat is one.
    let mut r = crate::imports::passes::Repeats::default();
    assert_eq!(r.check(Source::Sales, "A", 2), None);
    assert_eq!(r.check(Source::Sales, "B", 3), None);
    assert_eq!(r.check(Source::Sales, "B", 4), Some(3));
    assert_eq!(r.check(Source::Sales, "A", 5), Some(2));
    assert_eq!(r.check(Source::Support, "A", 6), None);
}

#[test]
fn a_repeat_far_down_a_long_file_names_the_first_line() {
    let mut csv = String::from("source,external_id,body\n");
    for i in 0..3_000 {
        csv.push_str(&format!("sales,E{i},row {i}\n"));
    }
    csv.push_str("sales,E17,again\n");
    let p = ok(&csv, None);
    assert_eq!(p.rows.len(), 3_000);
    assert_eq!(err_lines(&p), vec![(3_002, Some("external_id"))]);
    assert!(
        p.errors[0].message.ends_with("duplicate of line 19"),
        "{}",
        p.errors[0].message
    );
}

#[test]
fn metadata_json_column_and_formula_unescape() {
    let csv = "source,body,metadata,title\n\
               sales,\"'=SUM(A1)\",\"{\"\"plan\"\":\"\"pro\"\"}\",'-x\n\
               sales,b,[1],\n";
    let p = ok(csv, None);
    assert_eq!(p.rows[0].1.body, "=SUM(A1)");
    assert_eq!(p.rows[0].1.title.as_deref(), Some("-x"));
    assert_eq!(p.rows[0].1.metadata, serde_json::json!({"plan": "pro"}));
    assert_eq!(err_lines(&p), vec![(3, Some("metadata"))]);
}

#[test]
fn progress_and_preview() {
    let mut csv = String::from("source,body\n");
    for i in 0..25_000 {
        csv.push_str(&format!("sales,row {i}\n"));
    }
    let mut calls = Vec::new();
    let p = parse_with(
        csv.as_bytes(),
        None,
        &mut |n| calls.push(n),
        NOW,
        Limits::default(),
    )
    .expect("parses");
    assert_eq!(p.total_rows, 25_000);
    assert_eq!(calls, vec![10_000, 20_000, 25_000]);

    let (m, recs) = preview(csv.as_bytes(), 2).expect("preview");
    assert_eq!(m.format, CsvFormat::Goldthread);
    assert_eq!(recs, vec![vec!["sales", "row 0"], vec!["sales", "row 1"]]);
    assert!(matches!(
        preview(b"a,b\n1,2\n", 2),
        Err(ImportRefusal::MissingColumns(_))
    ));
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 6] = [
        b"\"",
        b"body\n\"unterminated",
        b",,,\n,,,",
        b"body\n\xef\xbb\xbf",
        b"\xef\xbb\xbf",
        b"source,body\r\r\r\nsales,\"a\"\"",
    ];
    for i in inputs {
        let _ = parse_with(i, None, &mut |_| {}, NOW, Limits::default());
        let _ = preview(i, 3);
    }
}

#[path = "parse_format_tests.rs"]
mod formats;
