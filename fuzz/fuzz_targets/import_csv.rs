//! The CSV importer on any bytes, in every format it recognises (Goldthread, Productboard,
//! Quackback, NPS survey exports are told apart by their header; accounts have their own parser):
//! never a panic; what it accepts is self-consistent.
#![no_main]

use goldthread::feedback::Source;
use goldthread::imports::formats::accounts::parse_accounts_csv;
use goldthread::imports::parse::{parse_feedback_csv, preview};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, bytes)) = data.split_first() else {
        return;
    };
    let default_source = match choice % 8 {
        n @ 0..=5 => Some(Source::ALL[n as usize]),
        _ => None,
    };
    let mut last = 0;
    if let Ok(parsed) = parse_feedback_csv(bytes, default_source, &mut |n| last = n) {
        assert_eq!(parsed.rows.len(), parsed.extras.len());
        assert!(parsed.rows.len() <= parsed.total_rows);
        assert!(parsed.rows.windows(2).all(|w| w[0].0 < w[1].0), "rows in file order");
        assert!(parsed.errors.windows(2).all(|w| w[0].line <= w[1].line), "errors by line");
        assert!(parsed.rows.iter().all(|(line, _)| *line >= 2), "the header is line 1");
    }
    let _ = preview(bytes, 5);
    if let Ok(accounts) = parse_accounts_csv(bytes) {
        let _ = format!("{accounts:?}");
    }
});
