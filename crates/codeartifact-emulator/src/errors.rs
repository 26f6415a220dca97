//! AWS error responses in CodeArtifact's REST-JSON (restJson1) shape.
//!
//! An error is its HTTP status, the header `x-amzn-ErrorType: <Code>` and a
//! JSON body with `message` plus the members the API model gives the error
//! shape (`resourceId`/`resourceType` for `ResourceNotFoundException`,
//! `reason` for `ValidationException`, the `Retry-After` header for
//! `ThrottlingException`). Both the AWS SDK for Rust and botocore read the
//! code from the header.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Seconds a throttled caller is told to wait (`Retry-After`).
pub const RETRY_AFTER_SECS: u32 = 1;

/// One AWS error response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code, e.g. `ResourceNotFoundException`.
    pub code: &'static str,
    /// The human-readable message.
    pub message: String,
    /// Extra members of the error shape, in order.
    pub fields: Vec<(&'static str, String)>,
    /// The `Retry-After` header, in seconds.
    pub retry_after: Option<u32>,
}

impl AwsError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AwsError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 `ValidationException` with reason `FIELD_VALIDATION_FAILED`.
    pub fn validation(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "ValidationException", message);
        e.fields
            .push(("reason", "FIELD_VALIDATION_FAILED".to_owned()));
        e
    }

    /// 404 `ResourceNotFoundException` naming the missing resource.
    pub fn not_found(resource_type: &'static str, resource_id: &str) -> Self {
        let what = match resource_type {
            "domain" => "Domain",
            "repository" => "Repository",
            _ => "Resource",
        };
        let mut e = Self::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("{what} not found: {resource_id}"),
        );
        e.fields.push(("resourceId", resource_id.to_owned()));
        e.fields.push(("resourceType", resource_type.to_owned()));
        e
    }

    /// 403 `AccessDeniedException`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDeniedException", message)
    }

    /// 429 `ThrottlingException` with `Retry-After`.
    pub fn throttling() -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Rate exceeded",
        );
        e.retry_after = Some(RETRY_AFTER_SECS);
        e
    }

    /// 500 `InternalServerException`.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "An internal error occurred. Please try again later.",
        )
    }

    /// 503 `ServiceUnavailableException` (not in CodeArtifact's model: what a
    /// front end answers when the service is down; SDKs retry on the status).
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "Service Unavailable",
        )
    }

    /// 403 `MissingAuthenticationTokenException`, AWS's answer to a request
    /// with no `Authorization` header (as AWS REST front ends answer it;
    /// CodeArtifact's exact wording is not documented).
    pub fn missing_authentication() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    }

    /// 404 `UnknownOperationException` for a CodeArtifact path the emulator does not serve.
    pub fn unknown_operation() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "The emulator does not implement this CodeArtifact operation",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("message".to_owned(), Value::from(self.message.clone()));
        for (name, value) in &self.fields {
            body.insert((*name).to_owned(), Value::from(value.clone()));
        }
        Value::Object(body)
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert("x-amzn-ErrorType", HeaderValue::from_static(self.code));
        if let Some(secs) = self.retry_after {
            headers.insert("Retry-After", HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_has_the_model_members() {
        let e = AwsError::not_found("repository", "pypi-store");
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        let body = e.body();
        assert_eq!(body["resourceId"], "pypi-store");
        assert_eq!(body["resourceType"], "repository");
        assert!(body["message"].as_str().unwrap().contains("pypi-store"));
    }

    #[test]
    fn throttling_sets_retry_after() {
        let response = AwsError::throttling().into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ThrottlingException"
        );
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}
