//! `codeartifact-emulator`: runs the CodeArtifact stand-in on loopback.
//!
//! Prints one JSON line, `{"url":"http://127.0.0.1:PORT","s3_url":"http://127.0.0.1:PORT2"}`
//! (the index and control plane; the S3 stand-in downloads are redirected to; with `--tls`,
//! `https://` URLs and `"ca_file"`, the CA certificate to trust), to stdout once
//! it is listening, then serves until SIGTERM or SIGINT (or, with
//! `--exit-with-parent`, until its parent process goes away). Logs go to
//! stderr (filter with `RUST_LOG`) and never contain tokens.

#![expect(
    clippy::print_stderr,
    reason = "the stand-in's start-up errors, for the tests and the demo that run it"
)]

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use codeartifact_emulator::{
    Config, Listening, RefusedStatus, Repository, TokenStyle, Upstream, serve,
};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

/// A local stand-in for AWS CodeArtifact (control plane and pip index), for tests and demos.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Address to listen on; must be a loopback address. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// The AWS account that owns every domain.
    #[arg(long, default_value = "123456789012")]
    account: String,

    /// The region named in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,

    /// A repository and the directory of wheels and sdists it serves. Repeatable.
    #[arg(long = "repository", value_name = "DOMAIN/REPO=DIR", required = true)]
    repositories: Vec<Repository>,

    /// Milliseconds added to every control-plane response.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,

    /// How tokens look: `plain` (like AWS's) or `awkward` (needs URL encoding).
    #[arg(long, value_name = "STYLE", default_value_t = TokenStyle::Plain)]
    token_style: TokenStyle,

    /// How the index answers refused credentials: 404 (as uv's maintainers
    /// report CodeArtifact does) or 401. Defaults to
    /// $CODEARTIFACT_EMULATOR_REFUSED_STATUS, else 404.
    #[arg(long, value_name = "401|404")]
    refused_status: Option<RefusedStatus>,

    /// Serve the `simple/` project list (CodeArtifact does not).
    #[arg(long)]
    project_list: bool,

    /// A directory that plays PyPI behind an external connection of every
    /// repository: projects a repository has no file of come from it, with
    /// CodeArtifact's regional cache (a version published after the
    /// emulator started is listed from the project's second request on).
    #[arg(long, value_name = "DIR")]
    upstream: Option<PathBuf>,

    /// Answer the first request for each project fetched from the upstream
    /// with 500, once (as astral-sh/uv#8957 reports). Needs --upstream.
    #[arg(long, requires = "upstream")]
    upstream_fail_first_fetch: bool,

    /// Milliseconds added to requests for a project until it has been
    /// fetched from the upstream once. Needs --upstream.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "upstream")]
    upstream_latency_ms: u64,

    /// Serve HTTPS (the index, the control plane and the S3 stand-in) with
    /// a certificate from a CA made at start; the CA's PEM file is printed
    /// as "ca_file" (removed at exit). Point clients at it, e.g. SSL_CERT_FILE.
    #[arg(long)]
    tls: bool,

    /// Exit when the parent process exits (checked every 500 ms).
    #[arg(long)]
    exit_with_parent: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    if !cli.listen.ip().is_loopback() {
        eprintln!(
            "codeartifact-emulator: refusing to listen on {}: only loopback addresses (127.0.0.1, ::1) are allowed",
            cli.listen
        );
        return ExitCode::from(2);
    }
    let config = Config {
        account: cli.account,
        region: cli.region,
        repositories: cli.repositories,
        latency: Duration::from_millis(cli.latency_ms),
        token_style: cli.token_style,
        project_list: cli.project_list,
        tls: cli.tls,
        upstream: cli.upstream.map(|dir| Upstream {
            fail_first_fetch: cli.upstream_fail_first_fetch,
            first_fetch_latency: Duration::from_millis(cli.upstream_latency_ms),
            ..Upstream::new(dir)
        }),
        ..Config::default()
    };
    let config = Config {
        refused_status: cli.refused_status.unwrap_or(config.refused_status),
        ..config
    };
    if let Err(e) = config.validate() {
        eprintln!("codeartifact-emulator: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("codeartifact-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.listen, config, cli.exit_with_parent)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codeartifact-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(listen: SocketAddr, config: Config, exit_with_parent: bool) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let s3_listener = TcpListener::bind((listen.ip(), 0)).await?;
    let dirs: Vec<PathBuf> = config
        .repositories
        .iter()
        .map(|r| r.packages_dir.clone())
        .collect();
    let repositories = config.repositories.len();
    let announce = |listening: &Listening| {
        tracing::info!(url = %listening.url, s3_url = %listening.s3_url, ca_file = ?listening.ca_file, repositories, ?dirs, "listening");
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", serde_json::to_string(listening)?)?;
        stdout.flush()
    };
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
            _ = interrupt.recv() => tracing::info!("SIGINT: shutting down"),
            () = parent_exited(exit_with_parent) => tracing::info!("parent process exited: shutting down"),
        }
    };
    serve(config, listener, s3_listener, announce, shutdown).await
}

/// Completes when the parent process changes (it exited and this process
/// was re-parented); never completes when `enabled` is false.
async fn parent_exited(enabled: bool) {
    if !enabled {
        return std::future::pending().await;
    }
    let parent = std::os::unix::process::parent_id();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        if std::os::unix::process::parent_id() != parent {
            return;
        }
    }
}
