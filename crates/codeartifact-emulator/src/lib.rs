//! A local stand-in for AWS CodeArtifact, for tests and the demo only.
//!
//! It answers, on one loopback port:
//!
//! - the two control-plane operations the project calls,
//!   **GetAuthorizationToken** and **GetRepositoryEndpoint**, over REST-JSON
//!   as the official SDKs (the AWS SDK for Rust, boto3) send them (see
//!   *Control plane* below);
//! - the **pip index** behind each repository endpoint (PEP 503 HTML and
//!   PEP 691 JSON), serving the wheels and sdists of a local directory and
//!   checking HTTP Basic auth against the tokens it issued (see *Index*);
//! - on a **second port**, a stand-in for the S3 bucket the index
//!   redirects file downloads to (307 to a presigned URL; see *Downloads*);
//! - a **test-control API** under `/_emulator/`: advance the clock, inject
//!   faults, read counters and a request log (see *Admin*).
//!
//! Point the AWS SDK for Rust at it with `AWS_ENDPOINT_URL_CODEARTIFACT`
//! (or `AWS_ENDPOINT_URL`) set to [`EmulatorHandle::base_url`]; any
//! credentials do, since signatures are not verified.
//!
//! # Control plane
//!
//! `POST /v1/authorization-token?domain=D&domain-owner=O&duration=S` and
//! `GET /v1/repository/endpoint?domain=D&domain-owner=O&repository=R&format=F&endpointType=T`.
//! `duration` must be `0` or `900..=43200`; absent means 43200 (12 h) and
//! `0` ("as long as the caller's credentials") means
//! [`Config::session_remaining`] (one hour unless configured). Tokens are
//! JWE-shaped, about 1,200 characters. A `domain-owner` other than the
//! emulator's account is `AccessDeniedException`. Errors
//! carry `x-amzn-ErrorType` and a JSON body with `message`. An unsigned
//! request (no `Authorization` header) gets 403
//! `MissingAuthenticationTokenException`.
//!
//! # Index
//!
//! The endpoint for repository `R` of domain `D` is
//! `http://127.0.0.1:PORT/D-ACCOUNT/pypi/R/` (AWS puts `D-ACCOUNT` in the
//! host name instead); pip's index URL is that plus `simple/`, with user
//! `aws` and a token as password. Tokens expire on the emulator's clock
//! (real time plus [`EmulatorHandle::advance_clock`]).
//!
//! # Downloads
//!
//! A file link `simple/{project}/{version}/{filename}` answers 307 with a
//! presigned URL on the S3 stand-in ([`EmulatorHandle::s3_base_url`]),
//! which serves the file only without an `Authorization` header and only
//! with a valid, unexpired signature, answering S3's XML errors otherwise.
//!
//! # Admin
//!
//! `GET /_emulator/health`, `POST /_emulator/clock {"advance_seconds": N}`,
//! `POST|GET|DELETE /_emulator/faults` ([`Fault`] as JSON, e.g.
//! `{"operation":"GetAuthorizationToken","kind":"throttle","count":2}`),
//! `GET /_emulator/stats` ([`Stats`]) and `GET /_emulator/requests`
//! ([`RequestRecord`]s).
//!
//! # Example
//!
//! ```no_run
//! use codeartifact_emulator::{Config, EmulatorHandle, Repository};
//!
//! let emulator = EmulatorHandle::spawn(Config {
//!     repositories: vec![Repository {
//!         domain: "acme".into(),
//!         name: "pypi-store".into(),
//!         packages_dir: "/tmp/wheels".into(),
//!     }],
//!     ..Config::default()
//! })?;
//! println!("AWS_ENDPOINT_URL_CODEARTIFACT={}", emulator.base_url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod admin;
mod config;
mod control_plane;
mod errors;
mod faults;
mod index;
mod packages;
mod s3;
mod server;
mod state;
mod tls;
mod tokens;
mod upstream;

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use config::{
    Config, RefusedStatus, Repository, TokenStyle, UPSTREAM_CACHE_LIFETIME, Upstream,
};
pub use faults::{Fault, FaultKind, Operation};
pub use state::{RequestRecord, Stats};

use state::State;

/// Serves an emulator for `config` on `listener`, and its S3 stand-in (the
/// host file downloads are redirected to) on `s3_listener`, until
/// `shutdown` completes; then lets requests in progress finish (for at most
/// two seconds). `announce` is told where it listens (and, with TLS, the
/// CA file) once it is ready; an error from it stops the emulator.
///
/// The repository endpoints it hands out use `listener`'s local address.
/// Fails at once if the configuration is invalid ([`Config::validate`]).
pub async fn serve(
    config: Config,
    listener: TcpListener,
    s3_listener: TcpListener,
    announce: impl FnOnce(&Listening) -> io::Result<()>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let state = Arc::new(new_state(
        config,
        listener.local_addr()?,
        s3_listener.local_addr()?,
    )?);
    announce(&Listening {
        url: state.base_url.clone(),
        s3_url: state.s3_base_url.clone(),
        ca_file: state.tls.as_ref().map(|t| t.ca_file().to_path_buf()),
    })?;
    run_both(state, listener, s3_listener, shutdown).await
}

/// Where a [`serve`]d emulator listens, given to its `announce` callback
/// before the first connection is accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Listening {
    /// The index and control plane, e.g. `http://127.0.0.1:PORT`.
    pub url: String,
    /// The S3 stand-in downloads are redirected to.
    pub s3_url: String,
    /// With [`Config::tls`], the CA certificate (PEM) to trust.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// Validates `config`, makes the TLS material if it asks for TLS, and the
/// state for listeners on `addr` (index) and `s3_addr`.
fn new_state(config: Config, addr: SocketAddr, s3_addr: SocketAddr) -> io::Result<State> {
    config.validate()?;
    let tls = if config.tls {
        Some(tls::Tls::generate()?)
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    Ok(State::new(
        config,
        format!("{scheme}://{addr}"),
        format!("{scheme}://{s3_addr}"),
        tls,
    ))
}

/// Runs the index and control plane on `listener` and S3 on `s3_listener`;
/// both stop when `shutdown` completes.
async fn run_both(
    state: Arc<State>,
    listener: TcpListener,
    s3_listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (stop_s3, s3_stopped) = oneshot::channel::<()>();
    let acceptor = state.tls.as_ref().map(|t| t.acceptor.clone());
    let s3 = tokio::spawn(server::run(
        s3::routes().with_state(Arc::clone(&state)),
        s3_listener,
        acceptor.clone(),
        async {
            let _ = s3_stopped.await;
        },
    ));
    let result = server::run(router(state), listener, acceptor, shutdown).await;
    let _ = stop_s3.send(());
    let s3_result = s3.await.map_err(io::Error::other)?;
    result.and(s3_result)
}

fn router(state: Arc<State>) -> Router {
    Router::new()
        .merge(control_plane::routes())
        .merge(index::routes())
        .merge(admin::routes())
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found\n") })
        .with_state(state)
}

/// A running emulator on its own thread and tokio runtime, bound to
/// `127.0.0.1` on a free port. Dropping it shuts the server down.
#[derive(Debug)]
pub struct EmulatorHandle {
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EmulatorHandle {
    /// Validates `config`, binds `127.0.0.1:0` and starts serving.
    pub fn spawn(config: Config) -> io::Result<EmulatorHandle> {
        config.validate()?;
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let s3_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        s3_listener.set_nonblocking(true)?;
        let state = Arc::new(new_state(
            config,
            listener.local_addr()?,
            s3_listener.local_addr()?,
        )?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("codeartifact-emulator-worker")
            .enable_all()
            .build()?;
        let (listener, s3_listener) = {
            let _context = runtime.enter();
            (
                TcpListener::from_std(listener)?,
                TcpListener::from_std(s3_listener)?,
            )
        };
        let (shutdown, stop) = oneshot::channel::<()>();
        let served = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("codeartifact-emulator".to_owned())
            .spawn(move || {
                let stopped = async {
                    // A dropped sender means the handle is gone: stop too.
                    let _ = stop.await;
                };
                if let Err(e) = runtime.block_on(run_both(served, listener, s3_listener, stopped)) {
                    tracing::error!(error = %e, "the emulator stopped with an error");
                }
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(EmulatorHandle {
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with [`Config::tls`]), without a trailing slash.
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// The S3 stand-in's `http://127.0.0.1:PORT`, without a trailing slash:
    /// where the index redirects file downloads.
    pub fn s3_base_url(&self) -> String {
        self.state.s3_base_url.clone()
    }

    /// With [`Config::tls`], the file (PEM) holding the CA certificate that
    /// issued the emulator's server certificate: what clients must trust
    /// (e.g. `SSL_CERT_FILE`). Removed when the emulator stops.
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.state.tls.as_ref().map(|t| t.ca_file().to_path_buf())
    }

    /// With [`Config::tls`], the CA certificate, PEM.
    pub fn ca_pem(&self) -> Option<String> {
        self.state.tls.as_ref().map(|t| t.ca_pem().to_owned())
    }

    /// Moves the emulator's clock forward, so tokens expire sooner.
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Makes every later `GetAuthorizationToken` answer report `expiration`
    /// (epoch seconds as CodeArtifact writes them, or any odd number: in
    /// milliseconds, negative, past) instead of the real one; `None` goes
    /// back to the real one. The token still expires as issued.
    pub fn report_expiration(&self, expiration: Option<serde_json::Number>) {
        *self
            .state
            .reported_expiration
            .lock()
            .expect("expiration lock") = expiration;
    }

    /// Adds a fault at the end of the fault queue.
    pub fn inject_fault(&self, fault: Fault) {
        self.state.faults.inject(fault);
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// The request counters so far.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Every token issued so far, oldest first (tests grep output for them).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.tokens.issued()
    }

    /// The finished requests so far, oldest first (at most the last 10 000).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
