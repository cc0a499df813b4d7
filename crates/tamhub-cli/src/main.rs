//! The `tamhub` binary: one program for the server, migrations, users, tokens and demo data.
#![forbid(unsafe_code)]

mod config;

use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use tamhub_app::users::UserInput;
use tamhub_app::{App, AppConfig, AppError, SystemClock};
use tamhub_domain::ids::AccountId;

use crate::config::Config;

/// Many small short-lived allocations (SLA replays, request handling): mimalloc serves them in
/// about half the time of the system allocator (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "tamhub", version, about = "Technical Account Management: web UI, JSON API and CLI in one binary")]
struct Cli {
    /// A TOML file with settings (listen, database_url, secure_cookies, session_hours, log_format).
    #[arg(long, global = true)]
    config: Option<std::path::PathBuf>,
    /// Database URL: sqlite://PATH (default sqlite://tamhub-data/tamhub.db) or postgres://…  [env: TAMHUB_DATABASE_URL]
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and the API.
    Serve(ServeArgs),
    /// Apply database migrations and exit (serve also does this at start).
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Load the demo data set into the database.
    Demo,
    /// SLA tools.
    Sla {
        #[command(subcommand)]
        command: SlaCommand,
    },
    /// Health-score tools.
    Health {
        #[command(subcommand)]
        command: HealthCommand,
    },
    /// Copy the SQLite database to a new file while the server runs (PostgreSQL: use pg_dump).
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080)  [env: TAMHUB_LISTEN]
    #[arg(long)]
    listen: Option<String>,
    /// Load the demo data set first if the database is empty.
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure (serve over HTTPS or behind a TLS proxy)  [env: TAMHUB_SECURE_COOKIES]
    #[arg(long)]
    secure_cookies: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input and the new id printed.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// tam, psm, pam, support, leadership, admin or customer
        #[arg(long)]
        role: String,
        /// The account of a customer user.
        #[arg(long)]
        account: Option<String>,
    },
    /// Set a user's password, read from standard input; ends their sessions.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum SlaCommand {
    /// Evaluate SLA scenarios: JSON lines on standard input, one result line each on standard
    /// output (SLA-SPEC section 3). A bad line answers an error line and the run goes on.
    Eval,
}

#[derive(Subcommand)]
enum HealthCommand {
    /// Re-score the daily health snapshots of a tier's accounts with its scorecard in force.
    Rescore {
        /// enterprise, enterprise_on_ramp or business.
        #[arg(long)]
        tier: String,
        /// Days of history, today included.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; the token is printed once on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), cli.database_url.clone()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err:#}");
            return std::process::ExitCode::from(2);
        }
    };
    config::init_tracing(&config);
    match run(cli, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn open_app(config: &Config) -> Result<App> {
    let store = tamhub_store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database at {}", config::redact(&config.database_url)))?;
    let app_config = AppConfig {
        session_hours: config.session_hours,
        incident_cadence: config.incident_cadence(),
        review_required_through: tamhub_domain::incidents::Severity::parse(&config.incident_review_required_through)
            .unwrap_or(tamhub_domain::incidents::Severity::P1),
        repeat_window_days: config.incident_repeat_window_days,
        ..AppConfig::default()
    };
    let app = App::new(store, Arc::new(SystemClock), app_config);
    app.ensure_sla_defaults().await.map_err(explain)?;
    Ok(app)
}

/// Reads a password from standard input (one line; a trailing newline is not part of it).
fn read_password() -> Result<String> {
    let mut stdin = std::io::stdin();
    let mut text = String::new();
    if stdin.is_terminal() {
        eprint!("Password: ");
        std::io::stderr().flush().ok();
        stdin.read_line(&mut text)?;
    } else {
        stdin.read_to_string(&mut text)?;
    }
    let password = text.strip_suffix('\n').unwrap_or(&text);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_string())
}

fn explain(err: AppError) -> anyhow::Error {
    match err {
        AppError::Invalid { fields, .. } if !fields.is_empty() => {
            let lines: Vec<String> = fields.iter().map(|(f, m)| format!("  {f}: {m}")).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn run(cli: Cli, mut config: Config) -> Result<()> {
    match cli.command {
        Command::Serve(args) => {
            if let Some(listen) = args.listen {
                config.listen = listen;
            }
            config.secure_cookies |= args.secure_cookies;
            serve(config, args.demo).await
        }
        Command::Migrate => {
            open_app(&config).await?;
            eprintln!("migrations applied to {}", config::redact(&config.database_url));
            Ok(())
        }
        Command::User { command: UserCommand::Create { email, name, role, account } } => {
            let app = open_app(&config).await?;
            let account_id = match account {
                Some(text) => {
                    Some(text.parse::<AccountId>().map_err(|_| anyhow::anyhow!("--account must be an account id"))?)
                }
                None => None,
            };
            let password = read_password()?;
            let user =
                app.create_user(None, UserInput { email, name, role, account_id, password }).await.map_err(explain)?;
            eprintln!("created {} ({}) as {}", user.name, user.email, user.role.as_str());
            println!("{}", user.id);
            Ok(())
        }
        Command::User { command: UserCommand::SetPassword { email } } => {
            let app = open_app(&config).await?;
            let user =
                app.find_user_by_email(&email).await.map_err(|_| anyhow::anyhow!("no user with email {email}"))?;
            let password = read_password()?;
            app.set_password(None, user.id, password).await.map_err(explain)?;
            eprintln!("password set for {}", user.email);
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { email, name } } => {
            let app = open_app(&config).await?;
            let user =
                app.find_user_by_email(&email).await.map_err(|_| anyhow::anyhow!("no user with email {email}"))?;
            if !user.active {
                bail!("{email} is deactivated");
            }
            let (token, secret) = app.create_api_token(&tamhub_app::Actor::new(user), &name).await.map_err(explain)?;
            eprintln!("created token {} ({}); it is shown once", token.name, token.id);
            println!("{secret}");
            Ok(())
        }
        Command::Demo => {
            let app = open_app(&config).await?;
            load_demo(&app).await
        }
        Command::Sla { command: SlaCommand::Eval } => sla_eval(),
        Command::Health { command: HealthCommand::Rescore { tier, days } } => {
            let tier = tamhub_domain::accounts::Tier::parse(&tier)
                .with_context(|| format!("--tier must be enterprise, enterprise_on_ramp or business, not {tier:?}"))?;
            if !(1..=tamhub_app::health::MAX_RESCORE_DAYS).contains(&days) {
                bail!("--days must be from 1 to {}", tamhub_app::health::MAX_RESCORE_DAYS);
            }
            let app = open_app(&config).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} accounts ({eta} left)")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(format!("re-scoring {days} days of {}", tier.label()));
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let started = std::time::Instant::now();
            let total = app.rescore_history(tier, days, &progress).await?;
            bar.finish_and_clear();
            println!("re-scored {total} accounts × {days} days in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Backup { to } => {
            if to.exists() {
                bail!("{} already exists; choose a new file", to.display());
            }
            if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            let app = open_app(&config).await?;
            app.store.backup(&to).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("backed up {} to {}", config::redact(&config.database_url), to.display());
            Ok(())
        }
    }
}

/// Streams scenarios through the engine; needs no database. Lines are read in chunks into one
/// buffer and evaluated on every core; each worker appends its answers to its own reused buffer,
/// written out in input order.
fn sla_eval() -> Result<()> {
    use std::io::BufRead;
    const CHUNK: usize = 4096;
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut input = Vec::new();
    let mut line_ends = Vec::with_capacity(CHUNK);
    let mut outputs: Vec<Vec<u8>> = vec![Vec::new(); workers];
    loop {
        input.clear();
        line_ends.clear();
        while line_ends.len() < CHUNK && stdin.read_until(b'\n', &mut input)? > 0 {
            line_ends.push(input.len());
        }
        if line_ends.is_empty() {
            break;
        }
        let lines: Vec<&[u8]> = line_ends
            .iter()
            .scan(0, |start, &end| {
                let line = &input[*start..end];
                *start = end;
                Some(line)
            })
            .collect();
        outputs.iter_mut().for_each(Vec::clear);
        std::thread::scope(|scope| {
            for (part, out) in lines.chunks(lines.len().div_ceil(workers)).zip(outputs.iter_mut()) {
                scope.spawn(move || part.iter().for_each(|line| answer(line, out)));
            }
        });
        for out in &outputs {
            stdout.write_all(out)?;
        }
    }
    stdout.flush()?;
    Ok(())
}

/// Appends one input line's answer to `out`; a line that is not UTF-8 is a bad scenario like any
/// other (section 3: a bad line never stops the run). Blank lines are skipped.
fn answer(line: &[u8], out: &mut Vec<u8>) {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match std::str::from_utf8(line) {
        Ok(text) if text.trim().is_empty() => {}
        Ok(text) => {
            // An engine fault on one scenario answers that line with an error and the run goes on.
            let answered = out.len();
            let evaluated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                tamhub_domain::sla::scenario::write_answer_line(text, out)
            }));
            if evaluated.is_err() {
                out.truncate(answered);
                let id = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|v| v.get("id").cloned());
                let error = serde_json::json!({"id": id, "error": "scenario: internal error evaluating it"});
                out.extend_from_slice(format!("{error}\n").as_bytes());
            }
        }
        Err(_) => out.extend_from_slice(b"{\"id\":null,\"error\":\"scenario: the line is not UTF-8 text\"}\n"),
    }
}

async fn load_demo(app: &App) -> Result<()> {
    eprintln!("loading the demo data set…");
    let today = tamhub_domain::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let summary = app.load_demo(today).await.map_err(explain)?;
    eprintln!(
        "loaded {} users, {} accounts, {} tickets and {} incidents. Sign in with any of these (password: {}):",
        summary.users.len(),
        summary.accounts,
        summary.tickets,
        summary.incidents,
        tamhub_app::demo::DEMO_PASSWORD
    );
    let mut shown = std::collections::HashSet::new();
    for user in &summary.users {
        if shown.insert(user.role) {
            eprintln!("  {:<12} {}", user.role.as_str(), user.email);
        }
    }
    Ok(())
}

async fn serve(config: Config, demo: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let app = open_app(&config).await?;
    if demo {
        if app.is_empty().await.map_err(explain)? {
            load_demo(&app).await?;
        } else {
            tracing::info!("database already has data; --demo left it as it is");
        }
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    let state = tamhub_web::AppState {
        app: app.clone(),
        metrics: tamhub_web::ops::metrics_handle(),
        secure_cookies: config.secure_cookies,
    };
    let sweeper = tokio::spawn(sweep_sessions(app.clone()));
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    // Each server names itself for the scanner lease; only the holder scans.
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple());
    let scanner =
        tokio::spawn(app.clone().run_sla_scanner(holder, Duration::from_secs(config.sla_scan_seconds), jobs_stopped));
    tracing::info!(%address, database = app.store.backend(), startup_ms = started.elapsed().as_millis() as u64, "tamhub is serving");
    eprintln!("tamhub is serving on http://{address} ({})", app.store.backend());
    tamhub_web::serve(listener, state, shutdown_signal()).await?;
    sweeper.abort();
    stop_jobs.send(true).ok();
    scanner.await.ok();
    tracing::info!("stopped");
    Ok(())
}

/// Expired sessions are useless but would pile up; remove them hourly.
async fn sweep_sessions(app: App) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match app.store.delete_expired_sessions(app.clock.now()).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "could not remove expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
