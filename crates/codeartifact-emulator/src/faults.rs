//! Injected faults: errors, delays and dropped connections on demand.
//!
//! Faults wait in a queue, in the order they were injected. When a request
//! for an operation arrives, every matching [`FaultKind::Delay`] is applied
//! (their delays add up), then the first matching fault of any other kind
//! decides the answer; each fault applied uses up one of its `count`.
//!
//! JSON form (the admin API's `POST /_emulator/faults`):
//!
//! ```json
//! {"operation": "GetAuthorizationToken", "kind": "throttle", "count": 2}
//! {"operation": "GetAuthorizationToken", "kind": "access_denied", "action": "sts:GetServiceBearerToken"}
//! {"operation": "Index", "kind": "delay", "delay_ms": 3000}
//! ```
//!
//! `operation` is `GetAuthorizationToken`, `GetRepositoryEndpoint`,
//! `Index` or `S3`; `kind` is `throttle`, `internal_error`, `unavailable`,
//! `access_denied` (optional `action`), `refuse_token`, `connection_reset` or `delay`
//! (required `delay_ms`); `count` is optional (absent or `null`: until cleared).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The operations a fault can target, and that the emulator counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operation {
    /// `POST /v1/authorization-token`.
    GetAuthorizationToken,
    /// `GET /v1/repository/endpoint`.
    GetRepositoryEndpoint,
    /// Every request to a repository's pip index: project list, project page, file.
    Index,
    /// A download from the S3 stand-in the index redirects files to.
    S3,
}

impl Operation {
    /// The IAM action a request for this operation needs.
    pub fn iam_action(self) -> &'static str {
        match self {
            Operation::GetAuthorizationToken => "codeartifact:GetAuthorizationToken",
            Operation::GetRepositoryEndpoint => "codeartifact:GetRepositoryEndpoint",
            Operation::Index => "codeartifact:ReadFromRepository",
            Operation::S3 => "s3:GetObject",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What an injected fault does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FaultKindJson", into = "FaultKindJson")]
pub enum FaultKind {
    /// 429 `ThrottlingException` with `Retry-After: 1` (on the index: a plain 429).
    Throttle,
    /// 500 `InternalServerException`.
    InternalError,
    /// 503 `ServiceUnavailableException`.
    Unavailable,
    /// 403 `AccessDeniedException` with an IAM-style message naming `action`;
    /// an empty `action` means the operation's own action
    /// (e.g. `codeartifact:GetAuthorizationToken`).
    AccessDenied {
        /// The IAM action the message says is not allowed.
        action: String,
    },
    /// Index only: answer as to a token the index refuses (as when the
    /// identity that minted it lacks `codeartifact:ReadFromRepository`),
    /// with the configured [`crate::RefusedStatus`]. Elsewhere: like
    /// `AccessDenied` with the operation's own action.
    RefuseToken,
    /// Close the TCP connection (with a reset) without any response.
    ConnectionReset,
    /// Wait this long, then answer normally (or as the next fault says).
    Delay(Duration),
}

/// The JSON shape of [`FaultKind`], internally tagged by `kind`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FaultKindJson {
    Throttle,
    InternalError,
    Unavailable,
    AccessDenied {
        #[serde(default, skip_serializing_if = "String::is_empty")]
        action: String,
    },
    RefuseToken,
    ConnectionReset,
    Delay {
        delay_ms: u64,
    },
}

impl From<FaultKindJson> for FaultKind {
    fn from(json: FaultKindJson) -> Self {
        match json {
            FaultKindJson::Throttle => FaultKind::Throttle,
            FaultKindJson::InternalError => FaultKind::InternalError,
            FaultKindJson::Unavailable => FaultKind::Unavailable,
            FaultKindJson::AccessDenied { action } => FaultKind::AccessDenied { action },
            FaultKindJson::RefuseToken => FaultKind::RefuseToken,
            FaultKindJson::ConnectionReset => FaultKind::ConnectionReset,
            FaultKindJson::Delay { delay_ms } => FaultKind::Delay(Duration::from_millis(delay_ms)),
        }
    }
}

impl From<FaultKind> for FaultKindJson {
    fn from(kind: FaultKind) -> Self {
        match kind {
            FaultKind::Throttle => FaultKindJson::Throttle,
            FaultKind::InternalError => FaultKindJson::InternalError,
            FaultKind::Unavailable => FaultKindJson::Unavailable,
            FaultKind::AccessDenied { action } => FaultKindJson::AccessDenied { action },
            FaultKind::RefuseToken => FaultKindJson::RefuseToken,
            FaultKind::ConnectionReset => FaultKindJson::ConnectionReset,
            FaultKind::Delay(d) => FaultKindJson::Delay {
                delay_ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            },
        }
    }
}

/// A fault to inject: what it does, to which operation, how many times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The operation whose requests it hits.
    pub operation: Operation,
    /// What it does.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it hits; `None` means every request until cleared.
    #[serde(default)]
    pub count: Option<u32>,
}

/// What to do with one request, as the fault queue decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Total time to wait first.
    pub delay: Duration,
    /// The fault that decides the answer, if any; never [`FaultKind::Delay`].
    pub outcome: Option<FaultKind>,
}

/// The faults waiting to hit requests, in injection order.
#[derive(Debug, Default)]
pub struct FaultQueue {
    faults: Mutex<Vec<Fault>>,
}

impl FaultQueue {
    /// Adds a fault at the end of the queue. A fault with `count: Some(0)` does nothing.
    pub fn inject(&self, fault: Fault) {
        if fault.count != Some(0) {
            self.faults.lock().expect("fault lock").push(fault);
        }
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.faults.lock().expect("fault lock").clear();
    }

    /// The faults still waiting.
    pub fn pending(&self) -> Vec<Fault> {
        self.faults.lock().expect("fault lock").clone()
    }

    /// Decides what happens to a request for `operation`, using up the faults applied.
    pub fn take(&self, operation: Operation) -> Plan {
        let mut faults = self.faults.lock().expect("fault lock");
        let mut plan = Plan::default();
        for fault in faults.iter_mut().filter(|f| f.operation == operation) {
            match &fault.kind {
                FaultKind::Delay(d) => plan.delay = plan.delay.saturating_add(*d),
                other if plan.outcome.is_none() => plan.outcome = Some(other.clone()),
                _ => continue,
            }
            if let Some(n) = fault.count.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        faults.retain(|f| f.count != Some(0));
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(operation: Operation, kind: FaultKind, count: Option<u32>) -> Fault {
        Fault {
            operation,
            kind,
            count,
        }
    }

    #[test]
    fn json_forms() {
        let f: Fault = serde_json::from_str(
            r#"{"operation":"GetAuthorizationToken","kind":"throttle","count":2}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            fault(
                Operation::GetAuthorizationToken,
                FaultKind::Throttle,
                Some(2)
            )
        );
        let f: Fault = serde_json::from_str(
            r#"{"operation":"GetRepositoryEndpoint","kind":"access_denied","action":"sts:GetServiceBearerToken"}"#,
        )
        .unwrap();
        assert_eq!(
            f.kind,
            FaultKind::AccessDenied {
                action: "sts:GetServiceBearerToken".into()
            }
        );
        assert_eq!(f.count, None);
        let f: Fault =
            serde_json::from_str(r#"{"operation":"Index","kind":"delay","delay_ms":3000}"#)
                .unwrap();
        assert_eq!(f.kind, FaultKind::Delay(Duration::from_secs(3)));
        let f: Fault =
            serde_json::from_str(r#"{"operation":"Index","kind":"access_denied"}"#).unwrap();
        assert_eq!(
            f.kind,
            FaultKind::AccessDenied {
                action: String::new()
            }
        );
        for kind in [
            "internal_error",
            "unavailable",
            "connection_reset",
            "throttle",
        ] {
            let json = format!(r#"{{"operation":"Index","kind":"{kind}","count":null}}"#);
            let f: Fault = serde_json::from_str(&json).unwrap();
            let back = serde_json::to_value(&f).unwrap();
            assert_eq!(back["kind"], kind);
        }
        let back = serde_json::to_value(fault(
            Operation::Index,
            FaultKind::Delay(Duration::from_millis(1500)),
            Some(1),
        ))
        .unwrap();
        assert_eq!(
            back,
            serde_json::json!({"operation":"Index","kind":"delay","delay_ms":1500,"count":1})
        );
        assert!(serde_json::from_str::<Fault>(r#"{"operation":"Index","kind":"nope"}"#).is_err());
        assert!(
            serde_json::from_str::<Fault>(r#"{"operation":"Nope","kind":"throttle"}"#).is_err()
        );
    }

    #[test]
    fn counted_faults_run_out() {
        let q = FaultQueue::default();
        q.inject(fault(
            Operation::GetAuthorizationToken,
            FaultKind::Throttle,
            Some(2),
        ));
        assert_eq!(q.take(Operation::Index), Plan::default());
        assert_eq!(
            q.take(Operation::GetAuthorizationToken).outcome,
            Some(FaultKind::Throttle)
        );
        assert_eq!(
            q.take(Operation::GetAuthorizationToken).outcome,
            Some(FaultKind::Throttle)
        );
        assert_eq!(q.take(Operation::GetAuthorizationToken), Plan::default());
        assert!(q.pending().is_empty());
    }

    #[test]
    fn delays_add_up_and_the_first_other_fault_decides() {
        let q = FaultQueue::default();
        q.inject(fault(
            Operation::Index,
            FaultKind::Delay(Duration::from_millis(10)),
            Some(1),
        ));
        q.inject(fault(Operation::Index, FaultKind::InternalError, None));
        q.inject(fault(Operation::Index, FaultKind::Unavailable, Some(1)));
        q.inject(fault(
            Operation::Index,
            FaultKind::Delay(Duration::from_millis(5)),
            None,
        ));
        let plan = q.take(Operation::Index);
        assert_eq!(plan.delay, Duration::from_millis(15));
        assert_eq!(plan.outcome, Some(FaultKind::InternalError));
        // The unavailable fault was not applied, so it keeps its count.
        assert_eq!(q.pending().len(), 3);
        let plan = q.take(Operation::Index);
        assert_eq!(plan.delay, Duration::from_millis(5));
        q.clear();
        assert_eq!(q.take(Operation::Index), Plan::default());
    }

    #[test]
    fn zero_count_does_nothing() {
        let q = FaultQueue::default();
        q.inject(fault(Operation::Index, FaultKind::Throttle, Some(0)));
        assert!(q.pending().is_empty());
    }
}
