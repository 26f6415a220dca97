//! The AWS Lambda function of glue-codeartifact: one function starts many
//! Glue jobs, each run with a CodeArtifact index URL merged into its pip
//! options, and warm invocations skip CodeArtifact entirely.
//!
//! The binary (`bootstrap`, see `src/main.rs`) reads its [`Settings`] from
//! the environment once at cold start, builds the AWS clients once, and
//! passes references to every invocation of [`invoke`], which hands a start
//! event to [`handler()`] and a refresh event (`{"refresh": …}`) to
//! [`refresh_handler`]. They are plain `async fn`s, so tests call them
//! directly with a `LambdaEvent`.
//!
//! - [`settings`]: the environment variables, validated at cold start;
//! - [`event`]: the events and their validation (allowlist, overrides);
//! - [`handler()`]: one invocation, and the responses for Step Functions;
//! - [`error`]: `errorType`s that tell bad input from transient failures;
//! - [`logging`]: JSON logs through `tracing`, never a token;
//! - [`metrics`]: one CloudWatch Embedded Metric Format line per invocation.
//!
//! A warm invocation whose cached token still has
//! `GLUE_CODEARTIFACT_MIN_TOKEN_LIFE` plus a one-minute margin left makes
//! two calls, `GetJob` then `StartJobRun`, and none to CodeArtifact; a cold
//! one makes `GetJob` ∥ `GetRepositoryEndpoint` ∥ `GetAuthorizationToken`,
//! then `StartJobRun`.
#![deny(missing_docs)]

pub mod error;
pub mod event;
pub mod handler;
pub mod logging;
pub mod metrics;
pub mod settings;

use glue_codeartifact_app::Services;
use glue_codeartifact_aws::AwsSettings;

pub use error::HandlerError;
pub use event::{RefreshEvent, StartEvent};
pub use handler::{
    RefreshResponse, Response, StartResponse, State, handler, invoke, refresh_handler,
};
pub use settings::Settings;

/// Why the cold start failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The environment holds invalid settings.
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    /// The AWS configuration could not be loaded (no region).
    #[error(transparent)]
    Aws(#[from] glue_codeartifact_app::Error),
}

impl InitError {
    /// The `errorType` reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            InitError::Settings(_) => "InvalidSettings",
            InitError::Aws(_) => "Configuration",
        }
    }
}

/// The cold start: settings from the environment, then the AWS clients from
/// the default chain (the function's role, `AWS_REGION`, and any
/// `AWS_ENDPOINT_URL_*`).
pub async fn cold_start() -> Result<State, InitError> {
    let settings = Settings::from_env()?;
    let services = Services::load(&AwsSettings {
        timeouts: settings.timeouts,
        ..AwsSettings::default()
    })
    .await?;
    for (old, new) in &settings.deprecated {
        tracing::warn!(
            setting = new,
            deprecated = old,
            "{old} is deprecated: rename it {new} (deploy/template.yaml sets the new name); the old name will stop working in a future release"
        );
    }
    if settings.allowed_jobs.allows_everything() {
        tracing::warn!(
            allowed_jobs = %settings.allowed_jobs,
            "{} allows every job: any caller that may invoke this function can start any Glue job the role may start",
            settings::ALLOWED_JOBS
        );
    }
    let glue_parameters: Vec<&str> = settings.event_arguments.glue_parameters().collect();
    if !glue_parameters.is_empty() {
        tracing::warn!(
            glue_parameters = %glue_parameters.join(","),
            "{} lets events set some of Glue's own job parameters: any caller that may invoke this function can choose them for the runs of the allowed jobs (see docs/security.md)",
            settings::ALLOWED_EVENT_OVERRIDES
        );
    }
    tracing::info!(
        domain = %settings.repository.domain,
        repository = %settings.repository.repository,
        duration = %settings.duration,
        min_token_life_seconds = settings.min_token_life.min_life().as_secs(),
        mode = settings.mode.as_str(),
        allowed_jobs = %settings.allowed_jobs,
        event_arguments = %settings.event_arguments,
        start_enabled = settings.start_enabled,
        refresh_enabled = settings.refresh_enabled,
        refresh_duration = %settings.refresh_duration,
        metrics = settings.metrics,
        "cold start"
    );
    Ok(State::new(settings, services))
}

/// Reports a failed cold start to the Runtime API's `/runtime/init/error`,
/// so that the invocation that started the environment fails with this
/// message. Best effort: a failure to report is logged.
pub async fn report_init_error(err: &InitError) {
    let body = serde_json::json!({
        "errorType": err.error_type(),
        "errorMessage": err.to_string(),
    });
    let sent = async {
        let client = lambda_runtime_api_client::Client::builder().build()?;
        let request = lambda_runtime_api_client::build_request()
            .method("POST")
            .uri("/2018-06-01/runtime/init/error")
            .header("lambda-runtime-function-error-type", err.error_type())
            .body(lambda_runtime_api_client::body::Body::from(
                body.to_string(),
            ))?;
        client.call(request).await?;
        Ok::<(), lambda_runtime_api_client::BoxError>(())
    };
    if let Err(report) = sent.await {
        tracing::error!(error = %report, "could not report the init error to the Runtime API");
    }
}
