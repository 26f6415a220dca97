//! The two CodeArtifact control-plane operations, over REST-JSON as the API
//! model (`codeartifact/2018-09-22`) binds them:
//!
//! - `POST /v1/authorization-token?domain=D[&domain-owner=O][&duration=S]`
//!   → `{"authorizationToken": "...", "expiration": <epoch seconds>}`;
//! - `GET /v1/repository/endpoint?domain=D[&domain-owner=O]&repository=R&format=F[&endpointType=ipv4|dualstack]`
//!   → `{"repositoryEndpoint": "http://127.0.0.1:PORT/D-O/F/R/"}`.
//!
//! Requests must carry an `Authorization` header (any value: SigV4
//! signatures are not checked). Parameters are validated against the model's
//! constraints (400 `ValidationException`) before domains and repositories
//! are looked up (404 `ResourceNotFoundException`). On AWS the endpoint is
//! `https://D-O.d.codeartifact.REGION.amazonaws.com/F/R/`; on loopback the
//! `D-O` host label becomes the first path segment. `endpointType=dualstack`
//! returns the same URL with the host name `localhost` (which resolves over
//! IPv4 and IPv6) instead of `127.0.0.1`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State as AxumState};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::json;

use crate::config::{is_account_id, is_domain_name, is_repository_name};
use crate::errors::AwsError;
use crate::faults::{FaultKind, Operation};
use crate::state::State;
use crate::tokens::{DurationError, MAX_DURATION_SECS, MIN_DURATION_SECS, effective_duration};

/// The package formats the API knows (`PackageFormat`).
const FORMATS: &[&str] = &[
    "npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo",
];
/// The endpoint types the API knows (`EndpointType`).
const ENDPOINT_TYPES: &[&str] = &["dualstack", "ipv4"];

type Params = HashMap<String, String>;

/// The control-plane routes.
pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/v1/authorization-token", post(get_authorization_token))
        .route("/v1/repository/endpoint", get(get_repository_endpoint))
        .route("/v1/{*rest}", any(unknown_operation))
}

async fn unknown_operation() -> Response {
    AwsError::unknown_operation().into_response()
}

async fn get_authorization_token(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let op = Operation::GetAuthorizationToken;
    let on_fault = |kind| fault_response(&state, op, &params, kind);
    let handler =
        || async { issue_token(&state, &params, &headers).unwrap_or_else(|e| e.into_response()) };
    state.run(op, uri.path(), on_fault, handler).await
}

async fn get_repository_endpoint(
    AxumState(state): AxumState<Arc<State>>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let op = Operation::GetRepositoryEndpoint;
    let on_fault = |kind| fault_response(&state, op, &params, kind);
    let handler = || async {
        repository_endpoint(&state, &params, &headers).unwrap_or_else(|e| e.into_response())
    };
    state.run(op, uri.path(), on_fault, handler).await
}

fn issue_token(state: &State, params: &Params, headers: &HeaderMap) -> Result<Response, AwsError> {
    require_signature(headers)?;
    let mut errors = Validation::default();
    let domain = errors.domain(params);
    let owner = errors.owner(params, &state.config.account);
    let lifetime = match effective_duration(
        params.get("duration").map(String::as_str),
        state.config.session_remaining,
    ) {
        Ok(lifetime) => Some(lifetime),
        Err(DurationError::NotANumber(raw)) => {
            errors.push(format!(
                "Value '{raw}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
            ));
            None
        }
        Err(DurationError::OutOfRange(secs)) => {
            errors.push(format!(
                "Value '{secs}' at 'durationSeconds' failed to satisfy constraint: Member must be 0 or between {MIN_DURATION_SECS} and {MAX_DURATION_SECS}"
            ));
            None
        }
    };
    errors.finish()?;
    let (Some(domain), Some(owner), Some(lifetime)) = (domain, owner, lifetime) else {
        unreachable!("validation passed");
    };
    check_domain(state, Operation::GetAuthorizationToken, domain, owner, None)?;
    let (token, expiration) = state.tokens.issue(
        state.config.token_style,
        domain,
        owner,
        lifetime,
        state.clock.now(),
    );
    let reported = state
        .reported_expiration
        .lock()
        .expect("expiration lock")
        .clone();
    let expiration = reported.map_or_else(|| json!(expiration), serde_json::Value::Number);
    Ok(Json(json!({ "authorizationToken": token, "expiration": expiration })).into_response())
}

fn repository_endpoint(
    state: &State,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Response, AwsError> {
    require_signature(headers)?;
    let mut errors = Validation::default();
    let domain = errors.domain(params);
    let owner = errors.owner(params, &state.config.account);
    let repository = errors.required(
        params,
        "repository",
        "repository",
        is_repository_name,
        r"satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9._\-]{1,99}",
    );
    let format = errors.required(
        params,
        "format",
        "format",
        |f| FORMATS.contains(&f),
        &format!("satisfy enum value set: [{}]", FORMATS.join(", ")),
    );
    if let Some(endpoint_type) = params.get("endpointType")
        && !ENDPOINT_TYPES.contains(&endpoint_type.as_str())
    {
        errors.push(format!(
            "Value '{endpoint_type}' at 'endpointType' failed to satisfy constraint: Member must satisfy enum value set: [dualstack, ipv4]"
        ));
    }
    errors.finish()?;
    let (Some(domain), Some(owner), Some(repository), Some(format)) =
        (domain, owner, repository, format)
    else {
        unreachable!("validation passed");
    };
    check_domain(
        state,
        Operation::GetRepositoryEndpoint,
        domain,
        owner,
        Some(repository),
    )?;
    if state.config.repository(domain, repository).is_none() {
        return Err(AwsError::not_found("repository", repository));
    }
    // A dual-stack endpoint has a host name that resolves over IPv4 and
    // IPv6; on loopback that is `localhost` (the server listens on IPv4).
    let base = if params.get("endpointType").map(String::as_str) == Some("dualstack") {
        state.base_url.replacen("127.0.0.1", "localhost", 1)
    } else {
        state.base_url.clone()
    };
    let slash = if state.config.endpoint_trailing_slash {
        "/"
    } else {
        ""
    };
    let endpoint = format!("{base}/{domain}-{owner}/{format}/{repository}{slash}");
    Ok(Json(json!({ "repositoryEndpoint": endpoint })).into_response())
}

/// AWS refuses unsigned requests before anything else.
fn require_signature(headers: &HeaderMap) -> Result<(), AwsError> {
    let signed = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| !v.as_bytes().iter().all(u8::is_ascii_whitespace));
    if signed {
        Ok(())
    } else {
        Err(AwsError::missing_authentication())
    }
}

/// The domain must exist and be owned by the emulator's account.
/// The domain must be the emulator's. A domain of another account is
/// AccessDenied, as AWS answers a cross-account resource that no
/// resource-based policy opens to the caller (probable for CodeArtifact,
/// unconfirmed: a domain policy decides); an unknown domain of the
/// emulator's own account is ResourceNotFound.
fn check_domain(
    state: &State,
    operation: Operation,
    domain: &str,
    owner: &str,
    repository: Option<&str>,
) -> Result<(), AwsError> {
    if owner != state.config.account {
        let resource = match repository {
            Some(repository) => format!(
                "arn:aws:codeartifact:{}:{owner}:repository/{domain}/{repository}",
                state.config.region
            ),
            None => format!(
                "arn:aws:codeartifact:{}:{owner}:domain/{domain}",
                state.config.region
            ),
        };
        let action = operation.iam_action();
        return Err(AwsError::access_denied(format!(
            "User: arn:aws:sts::{}:assumed-role/glue-codeartifact-test/session is not authorized to perform: {action} on resource: {resource} because no resource-based policy allows the {action} action",
            state.config.account
        )));
    }
    if state.config.has_domain(domain) {
        Ok(())
    } else {
        Err(AwsError::not_found("domain", domain))
    }
}

/// Collects constraint violations into one `ValidationException`, worded like AWS's.
#[derive(Default)]
struct Validation {
    errors: Vec<String>,
}

impl Validation {
    fn push(&mut self, error: String) {
        self.errors.push(error);
    }

    /// A required query parameter that must satisfy `valid`; `member` is the
    /// model's name for it, `constraint` the wording of the rule.
    fn required<'p>(
        &mut self,
        params: &'p Params,
        name: &str,
        member: &str,
        valid: impl Fn(&str) -> bool,
        constraint: &str,
    ) -> Option<&'p str> {
        match params.get(name) {
            None => {
                self.push(format!(
                    "Value null at '{member}' failed to satisfy constraint: Member must not be null"
                ));
                None
            }
            Some(value) if !valid(value) => {
                self.push(format!(
                    "Value '{value}' at '{member}' failed to satisfy constraint: Member must {constraint}"
                ));
                None
            }
            Some(value) => Some(value),
        }
    }

    fn domain<'p>(&mut self, params: &'p Params) -> Option<&'p str> {
        self.required(
            params,
            "domain",
            "domain",
            is_domain_name,
            r"satisfy regular expression pattern: [a-z][a-z0-9\-]{0,48}[a-z0-9]",
        )
    }

    /// `domain-owner`, defaulting to the caller's account.
    fn owner<'p>(&mut self, params: &'p Params, account: &'p str) -> Option<&'p str> {
        match params.get("domain-owner") {
            None => Some(account),
            Some(_) => self.required(
                params,
                "domain-owner",
                "domainOwner",
                is_account_id,
                "satisfy regular expression pattern: [0-9]{12}",
            ),
        }
    }

    fn finish(self) -> Result<(), AwsError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(AwsError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(AwsError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

/// An IAM-style denial: `User: ARN is not authorized to perform: ACTION on
/// resource: RESOURCE because no identity-based policy allows the ACTION action`.
/// An empty `action` means the operation's own IAM action.
pub(crate) fn access_denied_message(
    state: &State,
    operation: Operation,
    action: &str,
    resource: &str,
) -> String {
    let action = if action.is_empty() {
        operation.iam_action()
    } else {
        action
    };
    format!(
        "User: arn:aws:sts::{}:assumed-role/glue-codeartifact-test/session is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        state.config.account
    )
}

/// How the control plane answers an injected fault.
fn fault_response(
    state: &State,
    operation: Operation,
    params: &Params,
    kind: FaultKind,
) -> Response {
    let error = match kind {
        FaultKind::Throttle => AwsError::throttling(),
        FaultKind::InternalError => AwsError::internal(),
        FaultKind::Unavailable => AwsError::unavailable(),
        FaultKind::AccessDenied { .. } | FaultKind::RefuseToken => {
            let action = match kind {
                FaultKind::AccessDenied { action } => action,
                _ => String::new(),
            };
            let param = |name: &str| params.get(name).map_or("", String::as_str);
            let owner = params
                .get("domain-owner")
                .map_or(state.config.account.as_str(), String::as_str);
            let resource = match operation {
                Operation::GetRepositoryEndpoint => format!(
                    "arn:aws:codeartifact:{}:{owner}:repository/{}/{}",
                    state.config.region,
                    param("domain"),
                    param("repository")
                ),
                _ => format!(
                    "arn:aws:codeartifact:{}:{owner}:domain/{}",
                    state.config.region,
                    param("domain")
                ),
            };
            AwsError::access_denied(access_denied_message(state, operation, &action, &resource))
        }
        // Handled by `State::run`; never reaches here.
        FaultKind::ConnectionReset | FaultKind::Delay(_) => AwsError::internal(),
    };
    error.into_response()
}
