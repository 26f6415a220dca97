//! Faults in the Glue stand-in, on a schedule a test chooses
//! (`crates/test-stack/python/faults.py`, Glue's rules, served by moto_server.py at
//! `/_stack/faults`).

use std::time::Duration;

use serde_json::{Value, json};

use crate::moto::Moto;

/// What a Glue fault does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlueFaultKind {
    /// HTTP 400 `ThrottlingException`.
    Throttle,
    /// HTTP 500 `InternalServiceException`.
    InternalError,
    /// HTTP 503 `ServiceUnavailableException`.
    Unavailable,
    /// HTTP 400 `AccessDeniedException` naming `glue:<Operation>`.
    AccessDenied,
    /// No answer: the TCP connection is reset.
    ConnectionReset,
    /// Answer this much later.
    Delay(Duration),
}

impl GlueFaultKind {
    fn name(self) -> &'static str {
        match self {
            GlueFaultKind::Throttle => "throttle",
            GlueFaultKind::InternalError => "internal_error",
            GlueFaultKind::Unavailable => "unavailable",
            GlueFaultKind::AccessDenied => "access_denied",
            GlueFaultKind::ConnectionReset => "connection_reset",
            GlueFaultKind::Delay(_) => "delay",
        }
    }
}

/// When a fault strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strike {
    /// Before moto handles the request: nothing happened.
    #[default]
    Before,
    /// After moto handled it (a run started): the answer is lost, replaced
    /// by an error, or late.
    After,
}

/// A fault for the next `count` Glue requests of `operation` about `job`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlueFault {
    /// The Glue operation, e.g. `"StartJobRun"`, `"GetJob"`, `"GetJobRuns"`.
    pub operation: String,
    /// Only requests whose `JobName` is this (tests share one moto).
    pub job: Option<String>,
    /// What it does.
    pub kind: GlueFaultKind,
    /// Before or after moto handles the request.
    pub when: Strike,
    /// How many requests it hits; `None`: until cleared.
    pub count: Option<u32>,
}

impl GlueFault {
    /// A fault that hits the next `count` requests of `operation` about `job`,
    /// before moto handles them.
    pub fn new(operation: &str, job: &str, kind: GlueFaultKind, count: u32) -> Self {
        GlueFault {
            operation: operation.to_owned(),
            job: Some(job.to_owned()),
            kind,
            when: Strike::Before,
            count: Some(count),
        }
    }

    /// The same fault, striking after moto handled the request.
    pub fn after(mut self) -> Self {
        self.when = Strike::After;
        self
    }

    fn to_json(&self) -> Value {
        let mut body = json!({
            "operation": self.operation,
            "job": self.job,
            "kind": self.kind.name(),
            "when": match self.when { Strike::Before => "before", Strike::After => "after" },
            "count": self.count,
        });
        if let GlueFaultKind::Delay(delay) = self.kind {
            body["delay_ms"] = json!(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        }
        body
    }
}

impl Moto {
    /// Queues a fault in the Glue stand-in.
    pub fn inject_glue_fault(&self, fault: &GlueFault) {
        let body = fault.to_json().to_string();
        let (status, answer) = request(&self.url, "POST", "/_stack/faults", Some(&body));
        assert_eq!(status, 204, "POST /_stack/faults {body}: {status} {answer}");
    }

    /// Forgets the pending Glue faults about `job`.
    pub fn clear_glue_faults(&self, job: &str) {
        let path = format!("/_stack/faults?job={}", query_escape(job));
        let (status, answer) = request(&self.url, "DELETE", &path, None);
        assert_eq!(status, 204, "DELETE {path}: {status} {answer}");
    }

    /// The Glue faults still pending (of every test using this server).
    pub fn pending_glue_faults(&self) -> Vec<Value> {
        let (status, answer) = request(&self.url, "GET", "/_stack/faults", None);
        assert_eq!(status, 200, "GET /_stack/faults: {status} {answer}");
        serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("GET /_stack/faults: not JSON ({e}): {answer}"))
    }
}

/// One request to the stand-in's `/_stack` endpoints.
fn request(base_url: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    crate::http::request(base_url, method, path, body, Duration::from_secs(30))
}

fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
