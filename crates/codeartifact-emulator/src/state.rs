//! The state one emulator shares between its requests: configuration, clock,
//! tokens, faults, counters and the request log; and the wrapper every
//! counted operation runs in.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::faults::{FaultKind, FaultQueue, Operation};
use crate::packages::PackageCache;
use crate::tls::Tls;
use crate::tokens::{Clock, TokenStore};
use crate::upstream::UpstreamState;

/// How many finished requests the log keeps (the oldest are dropped first).
const REQUEST_LOG_CAPACITY: usize = 10_000;

/// Request counters, as `GET /_emulator/stats` returns them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// GetAuthorizationToken requests received (faulted and refused ones included).
    pub get_authorization_token: u64,
    /// GetRepositoryEndpoint requests received (faulted and refused ones included).
    pub get_repository_endpoint: u64,
    /// Index requests received: project lists, project pages and files.
    pub index: u64,
    /// Requests to the S3 stand-in (downloads of redirected files).
    #[serde(default)]
    pub s3: u64,
    /// The most control-plane requests ever in progress at once.
    pub max_in_flight_control_plane: u64,
}

/// One finished request, as `GET /_emulator/requests` lists it. Never holds a token.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// The operation.
    pub operation: Operation,
    /// The URL path, without the query.
    pub path: String,
    /// The HTTP status answered; `None` when the connection was reset instead.
    pub status: Option<u16>,
    /// When the request arrived, in milliseconds since the Unix epoch (real time).
    pub started_ms: u64,
    /// When the answer was ready, in milliseconds since the Unix epoch (real time).
    pub finished_ms: u64,
}

/// Marks a response that must not be sent: the server closes the
/// connection with a reset instead.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResetConnection;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct State {
    pub config: Config,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    /// The S3 stand-in's `http://127.0.0.1:PORT`, without a trailing slash.
    pub s3_base_url: String,
    /// The key presigned URLs are signed with.
    pub s3_secret: [u8; 32],
    pub clock: Clock,
    pub tokens: TokenStore,
    pub faults: FaultQueue,
    pub packages: PackageCache,
    /// The TLS material, when [`Config::tls`] is set.
    pub tls: Option<Tls>,
    /// The upstream's state, when [`Config::upstream`] is set.
    pub upstream: Option<UpstreamState>,
    /// When set, the `expiration` every `GetAuthorizationToken` answer
    /// reports instead of the real one (tests of odd answers: milliseconds,
    /// negative, already past). The token itself still expires as issued.
    pub reported_expiration: Mutex<Option<serde_json::Number>>,
    counters: Counters,
    requests: Mutex<VecDeque<RequestRecord>>,
}

#[derive(Debug, Default)]
struct Counters {
    get_authorization_token: AtomicU64,
    get_repository_endpoint: AtomicU64,
    index: AtomicU64,
    s3: AtomicU64,
    in_flight_control_plane: AtomicU64,
    max_in_flight_control_plane: AtomicU64,
}

impl State {
    pub fn new(config: Config, base_url: String, s3_base_url: String, tls: Option<Tls>) -> Self {
        let clock = Clock::default();
        let upstream = config
            .upstream
            .clone()
            .map(|u| UpstreamState::new(u, clock.now()));
        State {
            config,
            base_url,
            s3_base_url,
            s3_secret: crate::tokens::random_bytes::<32>(),
            clock,
            tls,
            upstream,
            tokens: TokenStore::default(),
            faults: FaultQueue::default(),
            packages: PackageCache::default(),
            reported_expiration: Mutex::new(None),
            counters: Counters::default(),
            requests: Mutex::new(VecDeque::new()),
        }
    }

    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        Stats {
            get_authorization_token: c.get_authorization_token.load(Ordering::SeqCst),
            get_repository_endpoint: c.get_repository_endpoint.load(Ordering::SeqCst),
            index: c.index.load(Ordering::SeqCst),
            s3: c.s3.load(Ordering::SeqCst),
            max_in_flight_control_plane: c.max_in_flight_control_plane.load(Ordering::SeqCst),
        }
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.requests
            .lock()
            .expect("request log lock")
            .iter()
            .cloned()
            .collect()
    }

    fn count(&self, operation: Operation) {
        let c = &self.counters;
        let counter = match operation {
            Operation::GetAuthorizationToken => &c.get_authorization_token,
            Operation::GetRepositoryEndpoint => &c.get_repository_endpoint,
            Operation::Index => &c.index,
            Operation::S3 => &c.s3,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }

    fn record(&self, record: RequestRecord) {
        let mut log = self.requests.lock().expect("request log lock");
        if log.len() == REQUEST_LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }

    /// Runs one request for `operation`: counts it, applies the injected
    /// faults (delays first; `on_fault` renders any other fault but a
    /// connection reset), runs `handler` when no fault decided the answer,
    /// adds the configured latency to control-plane answers, then logs and
    /// records the result.
    pub async fn run<H, Fut>(
        self: &Arc<Self>,
        operation: Operation,
        path: &str,
        on_fault: impl FnOnce(FaultKind) -> Response,
        handler: H,
    ) -> Response
    where
        H: FnOnce() -> Fut,
        Fut: Future<Output = Response>,
    {
        let started_ms = unix_millis();
        let started = Instant::now();
        self.count(operation);
        let control_plane = !matches!(operation, Operation::Index | Operation::S3);
        let _in_flight = control_plane.then(|| InFlight::enter(&self.counters));

        let plan = self.faults.take(operation);
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        let mut response = match plan.outcome {
            Some(FaultKind::ConnectionReset) => {
                let mut response = Response::default();
                response.extensions_mut().insert(ResetConnection);
                response
            }
            Some(kind) => on_fault(kind),
            None => handler().await,
        };
        if control_plane && !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }

        let reset = response.extensions().get::<ResetConnection>().is_some();
        let status = (!reset).then(|| response.status().as_u16());
        if control_plane && !reset {
            let request_id = request_id();
            if let Ok(value) = request_id.parse() {
                response.headers_mut().insert("x-amzn-RequestId", value);
            }
        }
        let elapsed_ms = started.elapsed().as_millis();
        match status {
            Some(status) => tracing::info!(%operation, path, status, elapsed_ms, "request"),
            None => tracing::info!(%operation, path, elapsed_ms, "request: connection reset"),
        }
        self.record(RequestRecord {
            operation,
            path: path.to_owned(),
            status,
            started_ms,
            finished_ms: unix_millis(),
        });
        response
    }
}

/// Counts a control-plane request as in progress while it lives.
struct InFlight<'a>(&'a Counters);

impl<'a> InFlight<'a> {
    fn enter(counters: &'a Counters) -> Self {
        let now = counters
            .in_flight_control_plane
            .fetch_add(1, Ordering::SeqCst)
            + 1;
        counters
            .max_in_flight_control_plane
            .fetch_max(now, Ordering::SeqCst);
        InFlight(counters)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight_control_plane
            .fetch_sub(1, Ordering::SeqCst);
    }
}

fn unix_millis() -> u64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// A random request id shaped like AWS's (a UUID).
fn request_id() -> String {
    let b = crate::tokens::random_bytes::<16>();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
