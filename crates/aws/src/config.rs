//! The SDK configuration, from the default AWS chain.

use std::time::Duration;

use glue_codeartifact_domain::duration::parse_duration;

use aws_config::{BehaviorVersion, Region, SdkConfig, timeout::TimeoutConfig};

/// What the user may set on top of the default chain.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    /// A named profile; overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// A region; overrides `AWS_REGION` and the profile's region.
    pub region: Option<String>,
    /// How long a connection, an attempt and a whole call may take.
    pub timeouts: Timeouts,
}

/// How long AWS calls may take. Attempts are the SDK's: `AWS_MAX_ATTEMPTS`
/// (default 3) and `AWS_RETRY_MODE` (`standard` or `adaptive`).
///
/// The defaults fit a Lambda function with a 30-second timeout: the two
/// sequential rounds of calls `start` makes (the reads, then `StartJobRun`)
/// each end within [`DEFAULT_OPERATION_TIMEOUT`], 24 seconds together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a TCP (and TLS) connection
    /// (`GLUE_CODEARTIFACT_CONNECT_TIMEOUT`, `--connect-timeout`).
    pub connect: Duration,
    /// One attempt of a call, from sending to the whole answer
    /// (`GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT`, `--attempt-timeout`).
    pub attempt: Duration,
    /// A whole call, all its attempts and back-offs included
    /// (`GLUE_CODEARTIFACT_OPERATION_TIMEOUT`, `--operation-timeout`).
    pub operation: Duration,
}

/// Default [`Timeouts::connect`]: 3 s (the SDK's own default is 3.1 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default [`Timeouts::attempt`]: 8 s. Glue and CodeArtifact answer these
/// calls in well under a second; a slower attempt is more likely stuck than
/// about to answer.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);
/// Default [`Timeouts::operation`]: 12 s, so a stuck first attempt leaves
/// time for a second one, and two rounds fit in a 30 s Lambda.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(12);

/// `--connect-timeout`'s environment variable.
pub const CONNECT_TIMEOUT_ENV: &str = "GLUE_CODEARTIFACT_CONNECT_TIMEOUT";
/// `--attempt-timeout`'s environment variable.
pub const ATTEMPT_TIMEOUT_ENV: &str = "GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT";
/// `--operation-timeout`'s environment variable.
pub const OPERATION_TIMEOUT_ENV: &str = "GLUE_CODEARTIFACT_OPERATION_TIMEOUT";

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: DEFAULT_CONNECT_TIMEOUT,
            attempt: DEFAULT_ATTEMPT_TIMEOUT,
            operation: DEFAULT_OPERATION_TIMEOUT,
        }
    }
}

impl Timeouts {
    /// The defaults, with any of the three `GLUE_CODEARTIFACT_*_TIMEOUT`
    /// variables that `lookup` finds (the Lambda reads them this way).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Timeouts, String> {
        let mut timeouts = Timeouts::default();
        for (name, slot) in [
            (CONNECT_TIMEOUT_ENV, &mut timeouts.connect),
            (ATTEMPT_TIMEOUT_ENV, &mut timeouts.attempt),
            (OPERATION_TIMEOUT_ENV, &mut timeouts.operation),
        ] {
            if let Some(text) = lookup(name).filter(|t| !t.trim().is_empty()) {
                *slot = parse_timeout(&text).map_err(|e| format!("{name}: {e}"))?;
            }
        }
        Ok(timeouts)
    }

    fn sdk(self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// The longest timeout accepted: a call that may take longer is stuck.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Parses a timeout: seconds (`5`, `2.5`) or a human form (`500ms`, `3s`,
/// `1m`), by the one duration rule (`domain::duration::parse_duration`);
/// more than zero and at most 15 minutes.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Ok(d) if !d.is_zero() && d <= MAX_TIMEOUT => Ok(d),
        _ => Err(format!(
            "{:?} is not a timeout; give seconds (5, 2.5) or a duration (500ms, 3s, 1m), more than 0 and at most 15m",
            text.trim()
        )),
    }
}

/// Why no usable configuration could be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No region anywhere in the chain.
    #[error("no AWS region is configured; set AWS_REGION, or a region in your AWS profile")]
    NoRegion,
}

/// Loads the SDK configuration from the default chain: environment
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_GLUE`,
/// `AWS_ENDPOINT_URL_CODEARTIFACT`, …), the shared config files, SSO, and
/// container or instance credentials.
pub async fn load_sdk_config(settings: &AwsSettings) -> Result<SdkConfig, ConfigError> {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(settings.timeouts.sdk());
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    let config = loader.load().await;
    if config.region().is_none_or(|r| r.as_ref().trim().is_empty()) {
        return Err(ConfigError::NoRegion);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_seconds_and_human_forms() {
        assert_eq!(parse_timeout("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_timeout("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_timeout(" 500ms "), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("15m"), Ok(MAX_TIMEOUT));
        for bad in ["", "0", "0s", "-1", "16m", "NaN", "inf", "soon", "1e9"] {
            let err = parse_timeout(bad).unwrap_err();
            assert!(err.contains("not a timeout"), "{bad}: {err}");
        }
    }

    #[test]
    fn timeouts_from_the_environment() {
        let t = Timeouts::from_lookup(|_| None).unwrap();
        assert_eq!(t, Timeouts::default());
        let t =
            Timeouts::from_lookup(|name| (name == ATTEMPT_TIMEOUT_ENV).then(|| "2s".to_owned()))
                .unwrap();
        assert_eq!(t.attempt, Duration::from_secs(2));
        assert_eq!(t.connect, DEFAULT_CONNECT_TIMEOUT);
        let err = Timeouts::from_lookup(|name| {
            (name == OPERATION_TIMEOUT_ENV).then(|| "never".to_owned())
        })
        .unwrap_err();
        assert!(err.starts_with(OPERATION_TIMEOUT_ENV), "{err}");
        let sdk = Timeouts::default().sdk();
        assert_eq!(sdk.connect_timeout(), Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(
            sdk.operation_attempt_timeout(),
            Some(DEFAULT_ATTEMPT_TIMEOUT)
        );
        assert_eq!(sdk.operation_timeout(), Some(DEFAULT_OPERATION_TIMEOUT));
    }
}
