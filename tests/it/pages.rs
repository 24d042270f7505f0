//! Every page of the hub, as a list the outside checkers walk (tests/it/checkers.rs), and a test
//! that the list covers every GET route the code declares: a page added later without a row here
//! fails this test, so the Nu Html Checker and axe-core see it once it is listed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each GET page route, and the addresses the checkers open for it. `{name}` stands for an id the
/// seeded data provides ([`crate::checkers`] fills them in); a route may list several addresses
/// (filters, searches, a refused input) so those states get checked too.
pub const PAGES: &[(&str, &[&str])] = &[
    ("/", &["/"]),
    ("/signin", &["/signin"]),
    ("/admin", &["/admin"]),
    ("/admin/users", &["/admin/users"]),
    ("/admin/users/{id}", &["/admin/users/{user}"]),
    (
        "/admin/users/{id}/disable",
        &["/admin/users/{user}/disable"],
    ),
    ("/admin/tokens", &["/admin/tokens"]),
    (
        "/admin/tokens/{id}/revoke",
        &["/admin/tokens/{token}/revoke"],
    ),
    (
        "/admin/audit",
        &[
            "/admin/audit",
            "/admin/audit?from=not-a-day&entity=feedback",
            "/admin/audit?actor=%00&to=2026-13-01",
        ],
    ),
    ("/admin/money", &["/admin/money"]),
    (
        "/admin/money/rates/{id}/delete",
        &["/admin/money/rates/{rate}/delete"],
    ),
    ("/nps", &["/nps"]),
    (
        "/feedback",
        &[
            "/feedback",
            "/feedback?q=card+fee&source=support",
            "/feedback?theme={theme}",
            "/feedback?q=%00&account=x%01",
            "/feedback?import={import_committed}",
        ],
    ),
    ("/feedback/new", &["/feedback/new"]),
    (
        "/feedback/{id}",
        &["/feedback/{feedback}", "/feedback/{nps_item}"],
    ),
    ("/feedback/{id}/edit", &["/feedback/{feedback}/edit"]),
    ("/feedback/{id}/archive", &["/feedback/{feedback}/archive"]),
    ("/themes", &["/themes", "/themes?launch=none&sort=name"]),
    ("/themes/new", &["/themes/new"]),
    ("/themes/{id}", &["/themes/{theme}"]),
    ("/themes/{id}/edit", &["/themes/{theme}/edit"]),
    ("/themes/{id}/archive", &["/themes/{theme}/archive"]),
    ("/themes/{id}/merge", &["/themes/{theme}/merge"]),
    ("/themes/{id}/split", &["/themes/{theme}/split"]),
    ("/themes/jobs/{id}", &["/themes/jobs/{job}"]),
    ("/themes/emerging", &["/themes/emerging"]),
    ("/themes/review", &["/themes/review"]),
    ("/imports", &["/imports"]),
    (
        "/imports/{id}",
        &["/imports/{import_staged}", "/imports/{import_committed}"],
    ),
    ("/imports/{id}/undo", &["/imports/{import_committed}/undo"]),
    ("/launches", &["/launches"]),
    ("/launches/new", &["/launches/new"]),
    ("/launches/{id}", &["/launches/{launch}"]),
    ("/launches/{id}/edit", &["/launches/{launch}/edit"]),
    (
        "/launches/{id}/checklist/{item}/remove",
        &["/launches/{launch}/checklist/{item}/remove"],
    ),
    ("/launches/{id}/guide", &["/launches/{launch}/guide"]),
    (
        "/launches/{id}/guide/edit",
        &["/launches/{launch}/guide/edit"],
    ),
    (
        "/launches/{id}/guide/history",
        &[
            "/launches/{launch}/guide/history",
            "/launches/{launch}/guide/history?from=1&to=2",
        ],
    ),
    ("/readiness", &["/readiness"]),
    ("/questions", &["/questions", "/questions?team=sales"]),
    ("/questions/new", &["/questions/new"]),
    ("/questions/{id}", &["/questions/{question}"]),
    ("/questions/repeated", &["/questions/repeated"]),
    ("/questions/triage", &["/questions/triage"]),
    ("/digests", &["/digests"]),
    ("/digests/new", &["/digests/new"]),
    (
        "/digests/{key}",
        &[
            "/digests/{digest}",
            "/digests/{digest}?as=support",
            "/digests/{draft_digest}",
        ],
    ),
    ("/digests/{id}/edit", &["/digests/{draft_digest}/edit"]),
    ("/digests/{id}/email", &["/digests/{digest}/email"]),
    ("/digests/{id}/delete", &["/digests/{draft_digest}/delete"]),
    ("/profile", &["/profile"]),
    ("/unsubscribe", &["{unsubscribe}"]),
    ("/admin/webhooks", &["/admin/webhooks"]),
    ("/admin/webhooks/{id}", &["/admin/webhooks/{webhook}"]),
    (
        "/admin/webhooks/{id}/delete",
        &["/admin/webhooks/{webhook}/delete"],
    ),
    (
        "/accounts",
        &[
            "/accounts",
            "/accounts?q=%01&sort=arr",
            "/accounts?segment=enterprise",
        ],
    ),
    ("/accounts/new", &["/accounts/new"]),
    ("/accounts/{id}", &["/accounts/{account}"]),
    ("/accounts/{id}/edit", &["/accounts/{account}/edit"]),
];

/// GET routes that answer something other than an HTML page, and what they answer.
pub const NOT_PAGES: &[(&str, &str)] = &[
    ("/feedback/export.csv", "CSV"),
    ("/feedback/export.json", "JSON"),
    ("/launches/{id}/tell.csv", "CSV"),
    ("/questions/weekly.csv", "CSV"),
    (
        "/questions/triage/summary.txt",
        "plain text to paste into call notes",
    ),
    (
        "/launches.atom",
        "an Atom feed (tests/it/digests.rs checks it)",
    ),
    (
        "triage_js_path()",
        "the triage page's script (src/web/assets.rs)",
    ),
    (
        "/api/openapi.json",
        "the OpenAPI document (schemathesis reads it)",
    ),
    ("/healthz", "plain text"),
    ("/metrics", "Prometheus text"),
    ("css_path()", "the stylesheet (src/web/assets.rs)"),
    (
        "review_js_path()",
        "the review queue's script (src/web/assets.rs)",
    ),
];

/// Every `.route("PATH", …get(…)…)` in `src/`, with the file that declares it.
pub fn get_routes_in_source() -> BTreeMap<String, String> {
    let mut routes = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            for (route, args) in route_calls(&text) {
                if takes_get(&args) {
                    let file = path.strip_prefix(&root).unwrap().display().to_string();
                    routes.insert(route, file);
                }
            }
        }
    }
    routes
}

/// The path (a string literal, or the call that computes it) and the whole argument text of
/// each `.route(` call.
fn route_calls(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(".route(") {
        let after = &rest[at + ".route(".len()..];
        let mut depth = 1;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let args = &after[..end];
        let first = args.trim_start();
        if let Some(literal) = first.strip_prefix('"')
            && let Some(close) = literal.find('"')
        {
            out.push((literal[..close].to_owned(), args.to_owned()));
        } else if let Some(comma) = first.find(',') {
            // A path computed by a function (the fingerprinted assets): named by that call.
            out.push((first[..comma].trim().to_owned(), args.to_owned()));
        }
        rest = &after[end.min(after.len())..];
    }
    out
}

/// Whether a method router's text includes `get(`, as a whole word.
fn takes_get(args: &str) -> bool {
    args.match_indices("get(").any(|(i, _)| {
        i == 0 || {
            let before = args.as_bytes()[i - 1];
            !(before.is_ascii_alphanumeric() || before == b'_')
        }
    })
}

#[test]
fn every_get_route_is_a_listed_page_or_said_not_to_be_one() {
    let routes = get_routes_in_source();
    assert!(
        routes.contains_key("/feedback/{id}") && routes.len() > 40,
        "the route scan found too little: {routes:?}"
    );
    let listed: BTreeSet<&str> = PAGES
        .iter()
        .map(|(r, _)| *r)
        .chain(NOT_PAGES.iter().map(|(r, _)| *r))
        .collect();
    let missing: Vec<String> = routes
        .iter()
        .filter(|(route, _)| !listed.contains(route.as_str()))
        .map(|(route, file)| format!("{route} (src/{file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "GET routes missing from tests/it/pages.rs (add each to PAGES with the addresses to \
         check, or to NOT_PAGES if it answers no HTML):\n{}",
        missing.join("\n")
    );
    let stale: Vec<&&str> = listed
        .iter()
        .filter(|route| !routes.contains_key(**route))
        .collect();
    assert!(
        stale.is_empty(),
        "listed in tests/it/pages.rs but no longer routed: {stale:?}"
    );
}

#[test]
fn the_route_scan_reads_multi_line_routes() {
    let text = r#"Router::new()
        .route("/a", get(a).post(b))
        .route(
            "/b/{id}/disable",
            get(confirm_disable).post(disable_user),
        )
        .route("/c", post(c))
        .route("/d", axum::routing::get(d))
        .route("/e", post(target_get(e)))
        .route(css_path(), get(|| async { "x" }))"#;
    let found: Vec<String> = route_calls(text)
        .into_iter()
        .filter(|(_, args)| takes_get(args))
        .map(|(r, _)| r)
        .collect();
    assert_eq!(found, ["/a", "/b/{id}/disable", "/d", "css_path()"]);
}
