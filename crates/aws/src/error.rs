//! SDK errors, sorted into what a user can act on.
//!
//! Only an error's code and message are kept. The SDK error itself is never
//! formatted: a response that failed to parse could hold a token.

use std::{error::Error as StdError, fmt};

use aws_sdk_glue::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::result::{ConnectorError, DispatchFailure};
use glue_codeartifact_domain::secret::redact_text;

/// The AWS operations this tool calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `glue:GetJob`.
    GetJob,
    /// `glue:StartJobRun`.
    StartJobRun,
    /// `glue:UpdateJob`.
    UpdateJob,
    /// `glue:GetJobRun`.
    GetJobRun,
    /// `glue:BatchStopJobRun`.
    BatchStopJobRun,
    /// `glue:ListJobs`.
    ListJobs,
    /// `glue:GetJobRuns` (looking up a run whose `StartJobRun` answer was lost).
    GetJobRuns,
    /// `codeartifact:GetAuthorizationToken`.
    GetAuthorizationToken,
    /// `codeartifact:GetRepositoryEndpoint`.
    GetRepositoryEndpoint,
    /// `s3:HeadObject` (allowed by `s3:GetObject`).
    HeadObject,
    /// `s3:GetObject`.
    GetObject,
    /// `s3:PutObject`.
    PutObject,
    /// `s3:ListObjectsV2` (allowed by `s3:ListBucket`).
    ListObjectsV2,
    /// `logs:DescribeLogStreams` (a run's log streams, for `why`).
    DescribeLogStreams,
    /// `logs:GetLogEvents` (a run's log lines, for `why`).
    GetLogEvents,
}

impl Operation {
    /// The operation's API name.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetJob => "GetJob",
            Operation::StartJobRun => "StartJobRun",
            Operation::UpdateJob => "UpdateJob",
            Operation::GetJobRun => "GetJobRun",
            Operation::BatchStopJobRun => "BatchStopJobRun",
            Operation::ListJobs => "ListJobs",
            Operation::GetJobRuns => "GetJobRuns",
            Operation::GetAuthorizationToken => "GetAuthorizationToken",
            Operation::GetRepositoryEndpoint => "GetRepositoryEndpoint",
            Operation::HeadObject => "HeadObject",
            Operation::GetObject => "GetObject",
            Operation::PutObject => "PutObject",
            Operation::ListObjectsV2 => "ListObjectsV2",
            Operation::DescribeLogStreams => "DescribeLogStreams",
            Operation::GetLogEvents => "GetLogEvents",
        }
    }

    /// The IAM actions a caller needs for this operation.
    pub fn iam_actions(self) -> &'static [&'static str] {
        match self {
            Operation::GetJob => &["glue:GetJob"],
            Operation::StartJobRun => &["glue:StartJobRun"],
            Operation::UpdateJob => &["glue:UpdateJob"],
            Operation::GetJobRun => &["glue:GetJobRun"],
            Operation::BatchStopJobRun => &["glue:BatchStopJobRun"],
            Operation::ListJobs => &["glue:ListJobs"],
            Operation::GetJobRuns => &["glue:GetJobRuns"],
            Operation::GetAuthorizationToken => &[
                "codeartifact:GetAuthorizationToken",
                "sts:GetServiceBearerToken",
            ],
            Operation::GetRepositoryEndpoint => &["codeartifact:GetRepositoryEndpoint"],
            Operation::HeadObject | Operation::GetObject => &["s3:GetObject"],
            Operation::PutObject => &["s3:PutObject"],
            Operation::ListObjectsV2 => &["s3:ListBucket"],
            Operation::DescribeLogStreams => &["logs:DescribeLogStreams"],
            Operation::GetLogEvents => &["logs:GetLogEvents"],
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of failure an AWS call had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The named resource (job, domain, repository) does not exist.
    NotFound,
    /// The caller lacks a permission.
    AccessDenied,
    /// Throttled, and the SDK's retries did not get through.
    Throttled,
    /// The service rejected a parameter.
    Invalid,
    /// No credentials, or credentials AWS does not accept.
    Credentials,
    /// The job already runs its maximum number of concurrent runs.
    ConcurrentRunsExceeded,
    /// The call timed out.
    Timeout,
    /// The service could not be reached.
    Network,
    /// Any other service error.
    Service,
}

/// A failed AWS call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The operation that failed.
    pub operation: Operation,
    /// What kind of failure it was.
    pub kind: AwsErrorKind,
    /// The AWS error code, when the service answered.
    pub code: Option<String>,
    /// The service's message, or a description of the transport failure.
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl StdError for AwsError {}

impl AwsError {
    /// The IAM action named by an access-denied message
    /// (`… is not authorized to perform: ACTION on resource …`), else the
    /// actions the operation needs.
    pub fn missing_actions(&self) -> Vec<String> {
        if let Some(rest) = self.message.split("not authorized to perform: ").nth(1)
            && let Some(action) = rest.split_whitespace().next()
        {
            return vec![action.trim_end_matches([',', '.']).to_owned()];
        }
        self.operation
            .iam_actions()
            .iter()
            .map(|a| (*a).to_owned())
            .collect()
    }

    /// Sorts an SDK error.
    pub(crate) fn from_sdk<E, R>(operation: Operation, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: fmt::Debug,
    {
        // A service's message is AWS text we may print: every URL's
        // user-info in it is redacted here, where it enters.
        let make = |kind, code: Option<&str>, message: String| AwsError {
            operation,
            kind,
            code: code.map(str::to_owned),
            message: redact_text(&message),
        };
        match &err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let code = e.code();
                let message = e.message().unwrap_or_default().to_owned();
                make(kind_of_code(code.unwrap_or_default()), code, message)
            }
            SdkError::TimeoutError(_) => make(
                AwsErrorKind::Timeout,
                None,
                "the request timed out".to_owned(),
            ),
            SdkError::DispatchFailure(failure) => dispatch(operation, failure),
            SdkError::ConstructionFailure(_) if has_credentials_error(&err) => make(
                AwsErrorKind::Credentials,
                None,
                "no AWS credentials were found".to_owned(),
            ),
            SdkError::ConstructionFailure(_) => make(
                AwsErrorKind::Service,
                None,
                "the request could not be built".to_owned(),
            ),
            // The raw response may hold a token: describe it, never print it.
            SdkError::ResponseError(_) => make(
                AwsErrorKind::Service,
                None,
                "the response could not be read".to_owned(),
            ),
            _ if has_credentials_error(&err) => make(
                AwsErrorKind::Credentials,
                None,
                "no AWS credentials were found".to_owned(),
            ),
            _ => make(AwsErrorKind::Service, None, "unexpected failure".to_owned()),
        }
    }
}

/// What to do about a refused TLS certificate: the one hint, for the AWS
/// APIs and the package index alike. `SSL_CERT_FILE` is what the SDK's
/// default HTTPS client and the index client read (rustls-native-certs);
/// the SDK for Rust does not read `AWS_CA_BUNDLE` (awslabs/aws-sdk-rust#1362).
pub const PRIVATE_CA_HINT: &str = "if it is issued by a private CA (e.g. a TLS-inspecting proxy), set SSL_CERT_FILE to a PEM file that holds that CA (docs/configuration.md, \"A private CA\")";

/// Whether `err` or one of its sources is a server certificate that TLS
/// verification refused (unknown issuer, expired, wrong name, ...).
pub fn is_certificate_error(err: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if matches!(
            e.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(_))
        ) {
            return true;
        }
        // An `io::Error` hides the error it wraps (tokio-rustls's, itself
        // wrapped again by the connector) from `source()`.
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    false
}

fn dispatch(operation: Operation, failure: &DispatchFailure) -> AwsError {
    let connector = failure.as_connector_error();
    let (kind, message) = if connector.is_some_and(|e| is_certificate_error(e)) {
        (
            AwsErrorKind::Network,
            format!(
                "the service's TLS certificate was refused ({}); {PRIVATE_CA_HINT}",
                connector_cause(connector)
            ),
        )
    } else if failure.is_timeout() {
        (AwsErrorKind::Timeout, "the request timed out".to_owned())
    } else if failure.is_io() {
        (
            AwsErrorKind::Network,
            format!(
                "the service could not be reached ({})",
                connector_cause(failure.as_connector_error())
            ),
        )
    } else if chain_has_credentials_error(failure.as_connector_error().map(|e| e as _)) {
        (
            AwsErrorKind::Credentials,
            "no AWS credentials were found".to_owned(),
        )
    } else {
        (
            AwsErrorKind::Network,
            format!(
                "the request could not be sent ({})",
                connector_cause(failure.as_connector_error())
            ),
        )
    };
    AwsError {
        operation,
        kind,
        code: None,
        message,
    }
}

fn connector_cause(err: Option<&ConnectorError>) -> String {
    // Transport errors describe sockets and TLS, never bodies.
    let mut cause = String::new();
    let mut next: Option<&(dyn StdError + 'static)> = err.map(|e| e as _);
    while let Some(e) = next {
        cause = e.to_string();
        next = e.source();
    }
    if cause.is_empty() {
        "unknown cause".to_owned()
    } else {
        cause
    }
}

fn has_credentials_error<E, R>(err: &SdkError<E, R>) -> bool
where
    E: StdError + 'static,
    R: fmt::Debug,
{
    chain_has_credentials_error(err.source())
}

fn chain_has_credentials_error(mut next: Option<&(dyn StdError + 'static)>) -> bool {
    while let Some(e) = next {
        if e.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        next = e.source();
    }
    false
}

fn kind_of_code(code: &str) -> AwsErrorKind {
    match code {
        "EntityNotFoundException"
        | "ResourceNotFoundException"
        | "NoSuchBucket"
        | "NoSuchKey"
        | "NotFound" => AwsErrorKind::NotFound,
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" | "Forbidden" => {
            AwsErrorKind::AccessDenied
        }
        "ThrottlingException"
        | "Throttling"
        | "ThrottledException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "SlowDown" => AwsErrorKind::Throttled,
        "ValidationException" | "InvalidInputException" => AwsErrorKind::Invalid,
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidAccessKeyId"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "MissingAuthenticationTokenException" => AwsErrorKind::Credentials,
        "ConcurrentRunsExceededException" => AwsErrorKind::ConcurrentRunsExceeded,
        _ => AwsErrorKind::Service,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_action_from_the_message() {
        let err = AwsError {
            operation: Operation::GetAuthorizationToken,
            kind: AwsErrorKind::AccessDenied,
            code: Some("AccessDeniedException".into()),
            message: "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: sts:GetServiceBearerToken on resource: *".into(),
        };
        assert_eq!(err.missing_actions(), vec!["sts:GetServiceBearerToken"]);
        let err = AwsError {
            message: "denied".into(),
            ..err
        };
        assert_eq!(
            err.missing_actions(),
            vec![
                "codeartifact:GetAuthorizationToken",
                "sts:GetServiceBearerToken"
            ]
        );
    }

    #[test]
    fn sorts_codes() {
        assert_eq!(
            kind_of_code("EntityNotFoundException"),
            AwsErrorKind::NotFound
        );
        assert_eq!(kind_of_code("ThrottlingException"), AwsErrorKind::Throttled);
        assert_eq!(
            kind_of_code("UnrecognizedClientException"),
            AwsErrorKind::Credentials
        );
        assert_eq!(kind_of_code("Whatever"), AwsErrorKind::Service);
    }
}
