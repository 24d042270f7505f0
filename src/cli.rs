//! The command line: serve, migrate, users, tokens, demo.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::admin::{self, UserInput};
use crate::audit::Actor;
use crate::auth::{db as auth_db, normalize_email};
use crate::config::{Config, DEFAULT_BIND, DEFAULT_DATABASE_URL};

#[derive(Debug, Parser)]
#[command(
    name = "goldthread",
    version,
    about = "A self-hosted product operations hub"
)]
pub struct Cli {
    /// PostgreSQL URL. Defaults to the `goldthread` database on the local server's Unix socket.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    pub database_url: String,
    /// SMTP server for digest email, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example.com.
    #[arg(
        long,
        env = "GOLDTHREAD_SMTP_URL",
        global = true,
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// Sender of digest email.
    #[arg(long, env = "GOLDTHREAD_MAIL_FROM", global = true, default_value = crate::config::DEFAULT_MAIL_FROM)]
    pub mail_from: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and API (runs migrations first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Load demo users and data (refuses a database with real users).
    Demo,
    /// Evaluate the tagging engine (`text,category` CSV) or the question classifier.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Re-tag every feedback item now (and run any other queued background jobs).
    Retag(RetagArgs),
    /// Import a CSV file (all rows or none; every bad line is named).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write synthetic accounts and feedback quickly, for load tests.
    Generate(GenerateArgs),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Feedback: our columns, Productboard notes, Quackback posts or an NPS survey export.
    Feedback {
        file: std::path::PathBuf,
        /// Source for rows that do not name one (sales, success, support, nps, research, other).
        #[arg(long)]
        source: Option<String>,
        /// The user recorded as having run the import (default: the first active admin).
        /// Each item's reporter comes from the file's reporter or owner column, or stays empty.
        #[arg(long)]
        as_user: Option<String>,
        /// How to read dates like 03/04/2026 when no date in the file decides:
        /// month-first (the default) or day-first.
        #[arg(long, value_parser = ["month-first", "day-first"])]
        dates: Option<String>,
    },
    /// Accounts, upserted by external id.
    Accounts {
        file: std::path::PathBuf,
        #[arg(long)]
        as_user: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Feedback rows to write.
    #[arg(long, default_value_t = 0)]
    pub feedback: u64,
    /// New accounts to write first; with 0 the rows attach to existing accounts.
    #[arg(long, default_value_t = 0)]
    pub accounts: usize,
    /// Seed of the generator: the same seed writes the same text.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Parallel COPY streams.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
}

#[derive(Debug, Args)]
pub struct RetagArgs {
    /// Read and score every item but write nothing (measures stream + score alone).
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GOLDTHREAD_BIND", default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// Offer one-click demo sign-ins on the sign-in page.
    #[arg(long, env = "GOLDTHREAD_DEMO")]
    pub demo: bool,
    /// Shared secret that chat slash commands (POST /api/v1/webhooks/chat) are signed with.
    #[arg(long, env = "GOLDTHREAD_CHAT_SIGNING_SECRET", hide_env_values = true)]
    pub chat_signing_secret: Option<String>,
    /// Where people reach the app, e.g. https://hub.example.com (turns on Secure cookies when https).
    #[arg(long, env = "GOLDTHREAD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Mark the session cookie Secure (default: on when the public URL is https).
    #[arg(
        long,
        env = "GOLDTHREAD_SECURE_COOKIES",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub secure_cookies: Option<bool>,
    /// Bearer token that /metrics requires (without it and without --metrics-bind, /metrics is off).
    #[arg(long, env = "GOLDTHREAD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Serve /metrics on this address only (e.g. 127.0.0.1:9090), not beside the pages.
    #[arg(long, env = "GOLDTHREAD_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Trust X-Forwarded-For for client addresses (only behind your own proxy).
    #[arg(long, env = "GOLDTHREAD_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Seconds before a request is answered with 408.
    #[arg(long, env = "GOLDTHREAD_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user. The password comes from GOLDTHREAD_PASSWORD or is asked for.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, product_ops, pm, revenue or viewer
        #[arg(long)]
        role: String,
        /// product, product_ops, sales, success, support, marketing or other
        #[arg(long)]
        team: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token for a user and print it once.
    Create {
        /// The user the token acts as.
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
    },
}

fn config(cli: &Cli, serve: Option<&ServeArgs>) -> Config {
    let mut config = Config::for_tests(&cli.database_url);
    config.session_idle = Duration::from_secs(12 * 3600);
    config.smtp_url = cli.smtp_url.clone().filter(|u| !u.trim().is_empty());
    config.mail_from = cli.mail_from.clone();
    // Background jobs run from the command line write links too.
    config.public_url = std::env::var("GOLDTHREAD_PUBLIC_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    if let Some(args) = serve {
        config.bind = args.bind;
        config.demo = args.demo;
        config.chat_signing_secret = args
            .chat_signing_secret
            .clone()
            .filter(|s| !s.trim().is_empty());
        config.public_url = args.public_url.clone();
        config.secure_cookies =
            crate::config::secure_cookies(args.secure_cookies, args.public_url.as_deref());
        config.metrics_token = args.metrics_token.clone().filter(|t| !t.trim().is_empty());
        config.metrics_bind = args.metrics_bind;
        config.trust_proxy = args.trust_proxy;
        config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    }
    config
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Serve(args) => {
            let config = config(&cli, Some(args));
            tracing::info!(?config, "starting");
            let pool = crate::db::connect(&config).await?;
            crate::db::migrate(&pool).await?;
            crate::server::serve(config, pool).await
        }
        Command::Migrate => {
            let pool = crate::db::connect(&config(&cli, None)).await?;
            crate::db::migrate(&pool).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Users(UsersCommand::Create {
            email,
            name,
            role,
            team,
        }) => {
            let pool = crate::db::connect(&config(&cli, None)).await?;
            crate::db::migrate(&pool).await?;
            let password = match std::env::var("GOLDTHREAD_PASSWORD") {
                Ok(p) => p,
                Err(_) => rpassword::prompt_password("Password for the new user: ")
                    .context("could not read a password (set GOLDTHREAD_PASSWORD)")?,
            };
            let input = UserInput {
                email: email.clone(),
                name: name.clone(),
                role: role.clone(),
                team: team.clone(),
                password,
            };
            let valid = input.validate().map_err(|errors| {
                anyhow::anyhow!(
                    "{}",
                    errors
                        .0
                        .iter()
                        .map(|e| format!("--{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })?;
            let user = admin::create_user(&pool, &Actor::System("command line"), valid, false)
                .await
                .map_err(|e| match e {
                    crate::error::AppError::Validation(errors) => anyhow::anyhow!(
                        "{}",
                        errors
                            .0
                            .iter()
                            .map(|e| e.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => anyhow::anyhow!(other),
                })?;
            println!(
                "Created user {} <{}> as {}.",
                user.name,
                user.email,
                user.role.label()
            );
            Ok(())
        }
        Command::Tokens(TokensCommand::Create { email, name }) => {
            let pool = crate::db::connect(&config(&cli, None)).await?;
            crate::db::migrate(&pool).await?;
            let user = auth_db::find_by_email(&pool, &normalize_email(email))
                .await?
                .with_context(|| format!("no user with the email {email}"))?;
            let (_, token) =
                admin::issue_token(&pool, &Actor::System("command line"), user.id, name)
                    .await
                    .map_err(|e| anyhow::anyhow!(e.public_message()))?;
            eprintln!("Token for {} (shown once; store it now):", user.email);
            println!("{token}");
            Ok(())
        }
        Command::Import(command) => {
            let pool = crate::db::connect(&config(&cli, None)).await?;
            crate::db::migrate(&pool).await?;
            run_import(&pool, command).await
        }
        Command::Eval(EvalCommand::Engine(eval)) => crate::tagging::eval_cli::eval(eval),
        Command::Eval(EvalCommand::Questions { test }) => {
            let pool = crate::db::connect(&config(&cli, None)).await?;
            crate::db::migrate(&pool).await?;
            eval_questions(&pool, test).await
        }
        Command::Retag(args) => {
            let config = config(&cli, None);
            let pool = crate::db::connect(&config).await?;
            crate::db::migrate(&pool).await?;
            retag(&pool, &config, args.dry_run).await
        }
        Command::Demo => {
            let pool = crate::db::connect(&config(&cli, None)).await?;
            crate::db::migrate(&pool).await?;
            crate::demo::load(&pool).await?;
            println!("Demo data loaded.\n{}", crate::demo::sign_in_table());
            Ok(())
        }
        Command::Generate(args) => {
            let pool = crate::db::connect(&config(&cli, None)).await?;
            crate::db::migrate(&pool).await?;
            let report = crate::generate::db::run(
                &pool,
                args.feedback,
                args.accounts,
                args.seed,
                args.jobs,
                true,
            )
            .await?;
            let secs = report.elapsed.as_secs_f64().max(0.001);
            println!(
                "Wrote {} accounts and {} feedback rows in {secs:.1} s ({:.0} rows/s).",
                report.accounts,
                report.feedback,
                report.feedback as f64 / secs
            );
            Ok(())
        }
    }
}

async fn run_import(pool: &sqlx::PgPool, command: &ImportCommand) -> anyhow::Result<()> {
    use crate::imports::{self, Kind, Staged};
    let (kind, file, source, as_user, dates) = match command {
        ImportCommand::Feedback {
            file,
            source,
            as_user,
            dates,
        } => (Kind::Feedback, file, source.as_deref(), as_user, dates),
        ImportCommand::Accounts { file, as_user } => (Kind::Accounts, file, None, as_user, &None),
    };
    let source = source
        .map(|s| {
            s.parse::<crate::feedback::Source>()
                .map_err(|_| anyhow::anyhow!("--source: there is no source called \"{s}\""))
        })
        .transpose()?;
    let user = match as_user {
        Some(email) => auth_db::find_by_email(pool, &normalize_email(email))
            .await?
            .with_context(|| format!("no user with the email {email}"))?,
        None => auth_db::first_active_admin(pool)
            .await?
            .context("no active admin to record as the importer; pass --as-user EMAIL")?,
    };
    // Read in passes from disk: a large file is never held whole.
    std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    let filename = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import.csv".into());
    let started = std::time::Instant::now();
    let staged = imports::stage(pool, kind, file.clone(), &filename, source, &user, |rows| {
        eprint!("\rchecked {rows} rows");
    })
    .await?;
    eprintln!();
    let batch_id = match staged {
        Staged::Ready {
            batch_id,
            total_rows,
        } => {
            eprintln!(
                "{total_rows} rows checked and staged in {:.1?}",
                started.elapsed()
            );
            if dates.as_deref() == Some("day-first") {
                imports::choose_date_order(pool, batch_id, imports::DateOrder::DayFirst).await?;
            }
            for warning in imports::warnings(pool, batch_id).await? {
                eprintln!("warning: {warning}");
            }
            batch_id
        }
        Staged::Refused(message) => anyhow::bail!("{}: {message}", file.display()),
        Staged::Invalid { errors, total_rows } => {
            for e in &errors {
                match &e.field {
                    Some(field) => eprintln!("line {}: {field}: {}", e.line, e.message),
                    None => eprintln!("line {}: {}", e.line, e.message),
                }
            }
            anyhow::bail!(
                "{}: {} of {total_rows} rows need fixing; nothing was imported",
                file.display(),
                errors.len()
            );
        }
    };
    let committing = std::time::Instant::now();
    let done = imports::commit(
        pool,
        batch_id,
        &Actor::System("command line import"),
        |done, total| {
            eprint!("\rcommitted {done} / {total} rows");
        },
    )
    .await?;
    eprintln!();
    println!(
        "Imported {} rows from {filename}: {} new, {} updated (commit {:.1?}, total {:.1?}).",
        done.inserted + done.updated,
        done.inserted,
        done.updated,
        committing.elapsed(),
        started.elapsed()
    );
    Ok(())
}

/// `goldthread retag`: re-tag everything now, then run whatever else is queued.
async fn retag(pool: &sqlx::PgPool, config: &Config, dry_run: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if dry_run {
        let run = crate::themes::tagging::retag::run(pool, None, true).await?;
        println!(
            "Read and scored {} items ({} would get a suggestion) in {:.1} s; wrote nothing.",
            run.items,
            run.tagged,
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let run = crate::themes::tagging::retag_all(pool, None).await?;
    let others = crate::worker::run_pending(pool, config).await?;
    println!(
        "Re-tagged {} items ({} with a suggestion) in {:.1} s; ran {others} queued job(s).",
        run.items,
        run.tagged,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    #[command(flatten)]
    Engine(crate::tagging::eval_cli::EvalCommand),
    /// The question classifier as shipped (seed set plus the overrides in this database) on a
    /// `text,kind` CSV; prints `{"accuracy":…,"per_kind":{…}}`.
    Questions {
        #[arg(long)]
        test: std::path::PathBuf,
    },
}

/// `goldthread eval questions --test FILE.csv`.
async fn eval_questions(pool: &sqlx::PgPool, test: &std::path::Path) -> anyhow::Result<()> {
    use crate::questions::classify::{Classifier, evaluate, read_csv};
    let data =
        std::fs::read_to_string(test).with_context(|| format!("cannot read {}", test.display()))?;
    let labelled = read_csv(&data).map_err(|e| anyhow::anyhow!("{}: {e}", test.display()))?;
    let overrides = crate::questions::db::overrides(pool).await?;
    let result =
        tokio::task::spawn_blocking(move || evaluate(&Classifier::shipped(&overrides), &labelled))
            .await?;
    println!(
        "{}",
        serde_json::json!({ "accuracy": result.accuracy, "per_kind": result.per_kind, "n": result.n })
    );
    Ok(())
}
