# Goldthread: `make run` to try it, `make test` to check it. Both set up what they need.
SHELL := /bin/bash
export DATABASE_URL ?= postgres:///goldthread?host=/var/run/postgresql
# Tests get a database of their own, rebuilt from the migrations on every run, so whatever a
# developer's database holds (demo data, a branch's migrations) cannot change the outcome.
TEST_DATABASE_URL ?= postgres:///goldthread_test?host=/var/run/postgresql
BIN := target/release/goldthread

.PHONY: run test db tools apitools build check fmt lint prepare bench checktools fuzz load

## Start a demo hub on http://127.0.0.1:8080 (installs and starts PostgreSQL if needed).
run: db
	SQLX_OFFLINE=true cargo build --release --locked
	$(BIN) migrate
	@if $(BIN) demo; then demo=--demo; else echo "Not loading demo data (see above); serving without demo sign-ins."; demo=; fi; \
	echo "Serving on http://127.0.0.1:8080 (Ctrl-C to stop)"; \
	exec $(BIN) serve $$demo

## Everything CI checks: formatting, lints, the query cache, the whole test suite.
test: db tools apitools checktools
	cargo fmt --check
	SQLX_OFFLINE=true cargo clippy --all-targets --locked -- -D warnings
	DATABASE_URL=$(TEST_DATABASE_URL) sqlx database reset -y
	DATABASE_URL=$(TEST_DATABASE_URL) SQLX_OFFLINE=false cargo sqlx prepare --check -- --all-targets
	@# Panic messages say where a test failed; a backtrace would push them out of a CI log's tail.
	DATABASE_URL=$(TEST_DATABASE_URL) SQLX_OFFLINE=true RUST_BACKTRACE=0 cargo test --locked
	@# The suite wrote the OpenAPI document (tests/it/openapi.rs); an outside validator checks it.
	.tmp/venv/bin/openapi-spec-validator .tmp/openapi.json

db:
	@scripts/ensure-postgres.sh

tools:
	@scripts/ensure-test-tools.sh
	@scripts/ensure-model.sh >/dev/null

## openapi-spec-validator (pinned, from PyPI) in the ignored virtualenv .tmp/venv.
apitools:
	@scripts/ensure-openapi-validator.sh

## The outside checkers the suite runs (tests/it/checkers.rs, schemathesis.rs), pinned, into
## .tmp/: the Nu Html Checker and axe-core from npm, schemathesis from PyPI into .tmp/venv.
checktools: apitools
	@scripts/ensure-checkers.sh

## Regenerate .sqlx/ after changing a query (commit the result). Against the freshly migrated
## test database, as `make test` checks it: a query's inferred nullability can follow the plan,
## and a plan follows the data.
prepare: db
	DATABASE_URL=$(TEST_DATABASE_URL) sqlx database reset -y
	DATABASE_URL=$(TEST_DATABASE_URL) SQLX_OFFLINE=false cargo sqlx prepare -- --all-targets

fmt:
	cargo fmt

lint:
	SQLX_OFFLINE=true cargo clippy --all-targets -- -D warnings

bench:
	cargo bench

## cargo-fuzz targets, one after another (fuzz/README.md); FUZZ_SECONDS each (default 600).
fuzz:
	scripts/fuzz.sh

## Load test against a demo hub; RESTART=1 restarts PostgreSQL mid-run (scripts/load_test.sh).
load: db
	scripts/load_test.sh
