//! The feedback list's query-string filters (pages, API, exports) on any query string: never a
//! panic; the filters read back from the query string they produce are the same filters; a
//! cursor round-trips.
#![no_main]

use goldthread::feedback::query::{Cursor, ListParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = serde_urlencoded::from_bytes::<ListParams>(data) else {
        return;
    };
    let (filter, cursor, limit, _errors) = params.parse();
    assert!((1..=goldthread::feedback::query::MAX_LIMIT).contains(&limit), "limit {limit}");
    let again: ListParams =
        serde_urlencoded::from_str(&params.to_query()).expect("to_query reads back");
    let (filter_again, _, _, _) = again.parse();
    assert_eq!(filter, filter_again, "to_query changed the filters");
    for field in ["q", "source", "theme", "status"] {
        let _ = params.without(field);
    }
    if let Some(c) = cursor {
        assert_eq!(Cursor::decode(&c.encode()), Some(c), "cursor round trip");
    }
    if let Some(q) = params.cursor.as_deref() {
        let _ = Cursor::decode(q);
    }
});
