//! schemathesis (pinned, from PyPI into `.tmp/venv` by `scripts/ensure-checkers.sh`) over the
//! whole API as served: every operation of `/api/openapi.json`, every check and phase, a fixed
//! number of examples per operation and a fixed seed. As the admin (every permission, so every
//! validation path) with the most examples; as a revenue user and a viewer with fewer (what
//! their roles refuse). `tests/schemathesis.toml` says what it cannot know (opaque cursors,
//! rules against the clock). 0 failures, or the test fails with schemathesis's report.

use std::process::Command;

use goldthread::auth::Role;
use sqlx::PgPool;

use crate::browser::serve;
use crate::checkers::checker;
use crate::helpers::TestApp;

/// Examples per operation for each role; with the seed this keeps every run the same.
const ROLES: [(Role, &str); 3] = [
    (Role::Admin, "10"),
    (Role::Revenue, "3"),
    (Role::Viewer, "3"),
];
const SEED: &str = "20261201";

#[sqlx::test]
async fn the_whole_api_passes_schemathesis_for_every_role(pool: PgPool) {
    let test = "the_whole_api_passes_schemathesis_for_every_role";
    let Some(schemathesis) = checker(".tmp/venv/bin/schemathesis", test) else {
        return;
    };
    let app = TestApp::new(pool.clone()).await;
    // Something for the reads and the tag decisions to find.
    let account = crate::helpers::account(&app.pool, "schema-co", "enterprise", 5_000_000).await;
    let theme = crate::helpers::theme(&app.pool, "Card fees", "fee, fees").await;
    for n in 0..5 {
        let item = crate::helpers::feedback(
            &app.pool,
            "sales",
            &format!("The card fee confused them ({n})"),
            Some(account),
            None,
            n,
        )
        .await;
        crate::helpers::tag(&app.pool, item, theme, "suggested").await;
    }
    crate::launches::launch(&app.pool, "Schema launch", &[theme]).await;
    let addr = serve(pool, false).await;
    let report_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tmp/schemathesis");
    let mut failures = Vec::new();
    let config =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    for (role, examples) in ROLES {
        let (token, _) = app.token(role).await;
        // A run that fails only by an error inside the tool itself, with no check failing
        // against our API, is run once more; anything else counts at once.
        let mut attempt = 0;
        let out = loop {
            attempt += 1;
            let out = tokio::task::spawn_blocking({
                let schemathesis = schemathesis.clone();
                let config = config.clone();
                let report_dir = report_dir.join(role.as_str());
                let token = token.clone();
                move || {
                    Command::new(&schemathesis)
                        .arg("--config-file")
                        .arg(&config)
                        .arg("run")
                        .arg(format!("http://{addr}/api/openapi.json"))
                        .args(["--checks", "all"])
                        .args(["--max-examples", examples, "--seed", SEED])
                        .args(["--generation-database", "none", "--no-shrink"])
                        // One worker: with two, schemathesis's threads share CPython 3.11's
                        // AST state, and hypothesis describing a filter in both at once
                        // fails inside the tool ("AST constructor recursion depth mismatch").
                        .args(["--workers", "1", "--no-color", "--request-timeout", "30"])
                        .arg("--header")
                        .arg(format!("Authorization: Bearer {token}"))
                        .args(["--report", "junit", "--report-dir"])
                        .arg(&report_dir)
                        .env("SCHEMATHESIS_HOOKS", "")
                        .output()
                        .expect("run schemathesis")
                }
            })
            .await
            .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            // Check failures are counted on the phase lines ("✅ 37 passed  ❌ 1 failed").
            let checks_failed = stdout.lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words
                    .windows(2)
                    .any(|w| w[0].parse::<u32>().is_ok() && w[1].starts_with("failed"))
            });
            let tool_error_only = stdout.contains("Runtime Error") && !checks_failed;
            if out.status.success() || !tool_error_only || attempt == 2 {
                break out;
            }
            eprintln!("schemathesis as {role}: an error inside the tool, running it again");
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let summary: Vec<&str> = stdout
            .lines()
            .filter(|l| l.contains("passed") || l.contains("failed") || l.contains("error"))
            .collect();
        eprintln!("schemathesis as {role}: {}", summary.join(" | "));
        if !out.status.success() {
            failures.push(format!(
                "schemathesis as {role} failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
