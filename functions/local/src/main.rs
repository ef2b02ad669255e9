//! `cargo run -p local`: the whole API on 127.0.0.1 with an embedded store, an outbox folder
//! and development sign-in. See `--help`.

use std::{io::IsTerminal, net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use domain::{
    clock::{Clock, ShiftedClock},
    store::SendSlots,
    store::Store,
};
use local::{
    config::{Backends, DataDir, app},
    identity::DevIdentity,
    sender::drain,
    server::{Hosts, Local, check_listen_addr, serve},
    store::EmbeddedStore,
};
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "Workgroup agent invitations, running locally", version)]
struct Cli {
    /// Folder of the embedded database, the secret key and the outbox.
    #[arg(long, global = true, env = "LOCAL_DATA_DIR", default_value = ".data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    backends: Backends,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free one); a loopback address unless
    /// --allow-remote.
    #[arg(long, env = "LOCAL_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// Allow an --addr other machines can reach. DANGEROUS: anyone who reaches the server can
    /// mint a development token for any address and act as that person.
    #[arg(long)]
    allow_remote: bool,
    /// Run on a shifted clock that starts at this RFC 3339 time.
    #[arg(long, value_parser = parse_time)]
    now: Option<DateTime<Utc>>,
    /// Base URL of accept links (default: http://<addr>).
    #[arg(long, env = "APP_BASE_URL")]
    base_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Print a development sign-in token for an address.
    Token {
        #[arg(long)]
        email: String,
        /// The `name` claim (used as display name when creating a workgroup).
        #[arg(long)]
        name: Option<String>,
    },
    /// Run the sweeps once over the data folder, as if it were `--at`: delivery retries, the
    /// record of expiries, reminders.
    Remind {
        #[arg(long, value_parser = parse_time)]
        at: Option<DateTime<Utc>>,
        /// Base URL of accept links.
        #[arg(long, env = "APP_BASE_URL", default_value = "http://127.0.0.1:3000")]
        base_url: String,
    },
    /// Print the newest accept link emailed to an address (read from the outbox).
    Link {
        #[arg(long)]
        to: String,
    },
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2026-12-20T09:00:00Z: {e}"))
}

/// glibc's allocator took 18% of a page's CPU under load, much of it consolidating the many
/// small allocations of JSON and SQLite rows (bench/RESULTS.md §12).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let data = match DataDir::open(&cli.data_dir) {
        Ok(data) => data,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        None => run_server(data, &cli.backends, cli.serve).await,
        Some(Command::Serve(args)) => run_server(data, &cli.backends, args).await,
        Some(Command::Token { email, name }) => {
            match DevIdentity::new(data.key()).mint(&email, name.as_deref()) {
                Ok(token) => {
                    println!("{token}");
                    Ok(())
                }
                Err(error) => Err(error.to_string()),
            }
        }
        Some(Command::Remind { at, base_url }) => remind(data, &cli.backends, at, &base_url).await,
        Some(Command::Link { to }) => {
            // Emails are sent a moment after the request that made them due: wait for the
            // queue to empty first, so the newest link is the newest email's.
            wait_for_the_queue(&data).await;
            match data.latest_link(&to) {
                Ok(Some(link)) => {
                    println!("{link}");
                    Ok(())
                }
                Ok(None) => Err(format!("no email to {to} in the outbox")),
                Err(error) => Err(error.to_string()),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Serves on the chosen store: one branch per backend. Only the embedded store publishes its
/// events to the events file here; with DynamoDB, the deployment's stream publisher does.
async fn run_server(data: DataDir, backends: &Backends, args: ServeArgs) -> Result<(), String> {
    if backends.on_dynamodb() {
        let store = backends.dynamodb_store().await?;
        serve_on(store, data, backends, args).await
    } else {
        let store = backends.embedded_store(&data)?;
        local::events::spawn_publisher(store.clone(), data.events_file());
        serve_on(store, data, backends, args).await
    }
}

async fn serve_on<S: Store + SendSlots + Clone + 'static>(
    store: S,
    data: DataDir,
    backends: &Backends,
    args: ServeArgs,
) -> Result<(), String> {
    check_listen_addr(args.addr, args.allow_remote)?;
    let listener = TcpListener::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base_url = args.base_url.unwrap_or_else(|| format!("http://{addr}"));
    let clock = ShiftedClock::starting_at(args.now.unwrap_or_else(Utc::now));
    let (app, mailer) = app(&data, backends, store, clock, &base_url).await?;
    let identity = DevIdentity::new(data.key());
    let admin_token = identity
        .mint("admin@example.com", Some("Ada Admin"))
        .map_err(|e| e.to_string())?;
    println!("listening on http://{addr}");
    println!("web console: http://{addr}/ (sign in as any address)");
    println!(
        "data folder: {}  (outbox: {}, events: {}, metrics: {})",
        data.path().display(),
        data.outbox_dir().display(),
        data.events_file().display(),
        data.metrics_file().display()
    );
    println!("metrics: http://{addr}/metrics");
    if args.now.is_some() {
        println!(
            "clock: shifted, it reads {} now",
            app.clock.now().to_rfc3339()
        );
    }
    println!(
        "\nA token for a first administrator (admin@example.com):\n\n  export TOKEN={admin_token}\n"
    );
    println!(
        "Create a workgroup:\n\n  curl -s -X POST http://{addr}/workgroups -H \"Authorization: Bearer $TOKEN\" -H 'content-type: application/json' -d '{{\"name\": \"Acme IT\"}}'\n"
    );
    println!("Tokens for other addresses: cargo run -q -p local -- token --email ann@example.com");
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {addr}, which other machines may reach (--allow-remote): \
             anyone who reaches it can sign in as any address"
        );
    }
    let hosts = Hosts::new(&base_url);
    local::metrics::spawn_flusher(data.metrics_file());
    let local = Arc::new(Local {
        app,
        identity,
        hosts,
        metrics: data.metrics_file(),
    });
    let sender = local.clone();
    tokio::spawn(async move {
        // Runs for good: it returns only on a failure it cannot outlive.
        if let Err(error) = drain(&sender.app, &mailer, false).await {
            tracing::error!(error = %domain::app::error_chain(&error), "the sender stopped");
        }
    });
    serve(listener, local, shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))
}

/// Runs the sweeps and drains the queue on the chosen store: one branch per backend.
async fn remind(
    data: DataDir,
    backends: &Backends,
    at: Option<DateTime<Utc>>,
    base_url: &str,
) -> Result<(), String> {
    if backends.on_dynamodb() {
        let store = backends.dynamodb_store().await?;
        remind_on(store, None, data, backends, at, base_url).await
    } else {
        let store = backends.embedded_store(&data)?;
        remind_on(store.clone(), Some(store), data, backends, at, base_url).await
    }
}

/// `events` is the embedded store, whose events are published to the events file after.
async fn remind_on<S: Store + SendSlots + Clone>(
    store: S,
    events: Option<EmbeddedStore>,
    data: DataDir,
    backends: &Backends,
    at: Option<DateTime<Utc>>,
    base_url: &str,
) -> Result<(), String> {
    let at = at.unwrap_or_else(Utc::now);
    let clock = ShiftedClock::starting_at(at);
    let (app, mailer) = app(&data, backends, store, clock, base_url).await?;
    let retried = app
        .retry_deliveries(app.clock.now(), || true)
        .await
        .map_err(|e| format!("the delivery sweep failed: {e}"))?;
    let expired = app
        .record_expiries(app.clock.now(), || true)
        .await
        .map_err(|e| format!("the expiry sweep failed: {e}"))?;
    let report = app
        .send_due_reminders(app.clock.now(), || true)
        .await
        .map_err(|e| format!("the reminder sweep failed: {e}"))?;
    // Everything due at `at` is handed over (at the configured rate) before this returns.
    let drained = drain(&app, &mailer, true)
        .await
        .map_err(|e| format!("the sender failed: {}", domain::app::error_chain(&e)))?;
    if let Some(store) = &events {
        local::events::publish(store, &data.events_file()).await?;
    }
    let metrics = data.metrics_file();
    local::metrics::flush(&metrics)
        .map_err(|e| format!("cannot append to {}: {e}", metrics.display()))?;
    println!(
        "delivery sweep at {}: {} candidates, {} queued again, {} failed, {} skipped",
        at.to_rfc3339(),
        retried.candidates,
        retried.sent,
        retried.failed,
        retried.skipped
    );
    println!(
        "expiry sweep at {}: {} expired unanswered, {} recorded",
        at.to_rfc3339(),
        expired.candidates,
        expired.sent
    );
    println!(
        "reminder sweep at {}: {} candidates, {} queued, {} failed, {} skipped",
        at.to_rfc3339(),
        report.candidates,
        report.sent,
        report.failed,
        report.skipped
    );
    println!(
        "sender: {} emails handed over, {} failed, {} no longer due",
        drained.sent, drained.failed, drained.skipped
    );
    Ok(())
}

/// Waits, up to half a minute, until the embedded queue holds nothing: a running server's sender
/// has handed over every email due so far.
async fn wait_for_the_queue(data: &DataDir) {
    let Ok(store) = EmbeddedStore::open(&data.store_path()) else {
        return;
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        match store.queued_emails().await {
            Ok((0, _)) | Err(_) => return,
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handlers can be installed");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
