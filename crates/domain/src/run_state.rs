//! A Glue job run's state, and what a waiting client makes of it.

use std::fmt;

/// `JobRunState`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// `STARTING`.
    Starting,
    /// `RUNNING`.
    Running,
    /// `STOPPING`.
    Stopping,
    /// `WAITING` (queued).
    Waiting,
    /// `SUCCEEDED`.
    Succeeded,
    /// `FAILED`.
    Failed,
    /// `ERROR`.
    Error,
    /// `TIMEOUT`.
    Timeout,
    /// `STOPPED`.
    Stopped,
    /// `EXPIRED`.
    Expired,
    /// A state this version does not know.
    Other(String),
}

impl RunState {
    /// Maps the API value.
    pub fn parse(text: &str) -> Self {
        match text {
            "STARTING" => RunState::Starting,
            "RUNNING" => RunState::Running,
            "STOPPING" => RunState::Stopping,
            "WAITING" => RunState::Waiting,
            "SUCCEEDED" => RunState::Succeeded,
            "FAILED" => RunState::Failed,
            "ERROR" => RunState::Error,
            "TIMEOUT" => RunState::Timeout,
            "STOPPED" => RunState::Stopped,
            "EXPIRED" => RunState::Expired,
            other => RunState::Other(other.to_owned()),
        }
    }

    /// The API value.
    pub fn as_str(&self) -> &str {
        match self {
            RunState::Starting => "STARTING",
            RunState::Running => "RUNNING",
            RunState::Stopping => "STOPPING",
            RunState::Waiting => "WAITING",
            RunState::Succeeded => "SUCCEEDED",
            RunState::Failed => "FAILED",
            RunState::Error => "ERROR",
            RunState::Timeout => "TIMEOUT",
            RunState::Stopped => "STOPPED",
            RunState::Expired => "EXPIRED",
            RunState::Other(other) => other,
        }
    }

    /// The run has ended and will not change again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            RunState::Succeeded
                | RunState::Failed
                | RunState::Error
                | RunState::Timeout
                | RunState::Stopped
                | RunState::Expired
        )
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a run's CloudWatch logs are: Glue writes them to
/// `LOG_GROUP/error` (driver stderr, where pip failures show) and
/// `LOG_GROUP/output`, in a stream named after the run ID; the log group is
/// `/aws-glue/jobs` unless the run names another (a security
/// configuration's), and continuous logging writes to
/// `/aws-glue/jobs/logs-v2`.
pub fn log_locations(log_group_name: Option<&str>, run_id: &str) -> String {
    let group = log_group_name
        .map(|g| g.trim_end_matches('/'))
        .filter(|g| !g.is_empty())
        .unwrap_or("/aws-glue/jobs");
    format!(
        "CloudWatch log groups {group}/error (pip's output is there) and {group}/output, stream {run_id}; with continuous logging, /aws-glue/jobs/logs-v2, stream {run_id}-driver"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_finality() {
        for text in [
            "STARTING",
            "RUNNING",
            "STOPPING",
            "WAITING",
            "SUCCEEDED",
            "FAILED",
            "ERROR",
            "TIMEOUT",
            "STOPPED",
            "EXPIRED",
            "NEW",
        ] {
            assert_eq!(RunState::parse(text).as_str(), text);
        }
        assert!(RunState::Failed.is_final());
        assert!(!RunState::Waiting.is_final());
        assert!(!RunState::Other("NEW".into()).is_final());
    }

    #[test]
    fn log_locations_default_and_custom() {
        assert!(
            log_locations(None, "jr_1").starts_with("CloudWatch log groups /aws-glue/jobs/error")
        );
        assert!(log_locations(Some("/secure/x/"), "jr_1").contains("/secure/x/error"));
    }
}
