//! The SDK configuration, from the default AWS chain.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// What the user may set on top of the default chain.
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    /// A named profile; overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// A region; overrides `AWS_REGION` and the profile's region.
    pub region: Option<String>,
}

/// Why no usable configuration could be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No region anywhere in the chain.
    #[error(
        "no AWS region is configured; set AWS_REGION (or --region), or a region in your AWS profile"
    )]
    NoRegion,
}

/// Loads the SDK configuration from the default chain: environment
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_GLUE`,
/// `AWS_ENDPOINT_URL_CODEARTIFACT`, …), the shared config files, SSO, and
/// container or instance credentials.
pub async fn load_sdk_config(settings: &AwsSettings) -> Result<SdkConfig, ConfigError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
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
