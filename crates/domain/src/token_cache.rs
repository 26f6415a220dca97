//! The warm cache of a long-lived process: repository endpoints and tokens
//! kept between invocations of one Lambda execution environment.
//!
//! Pure logic: no I/O, and the time is always passed in (`now`), so the
//! rules can be tested at any instant.
//!
//! # The rule
//!
//! A run's token must outlive the run's start-up and its pip installs (and
//! any Glue retry, which reuses the same arguments). That is the **minimum
//! life** ([`MinTokenLife::min_life`]), set by the deployment. On top of it
//! comes a **safety margin** ([`MinTokenLife::margin`],
//! [`DEFAULT_SAFETY_MARGIN`] by default) for the clock skew between this
//! process and CodeArtifact and for the time between this decision and
//! `StartJobRun`. A token is served only while
//!
//! ```text
//! expiration - now >= min_life + margin
//! ```
//!
//! and is dropped from the cache as soon as that no longer holds. The rule
//! applies to a freshly minted token too: one that does not meet it (a
//! duration of `0` on short-lived credentials, or a skewed clock) is
//! refused ([`TokenLifeError::TokenLifeTooShort`]) instead of being sent to a
//! run that would fail half-way through its installs.
//!
//! Repository endpoints do not expire: they are kept for the life of the
//! process.
//!
//! # Names
//!
//! Two things, two names, in code, flags, settings, the template, errors
//! and logs alike:
//!
//! - the **duration** is the lifetime asked of `GetAuthorizationToken` (its
//!   `durationSeconds`, the AWS CLI's `--duration-seconds`):
//!   [`TokenDuration`], `--duration`, `GLUE_CODEARTIFACT_DURATION`, the
//!   event field and log field `duration`, the template's `TokenDuration`;
//! - the **token life** is the time a token has left before it expires,
//!   with a minimum a served token must have: [`MinTokenLife`] (this rule),
//!   [`MIN_TOKEN_LIFE_AT_START`], [`TokenLifeError`], the error class and
//!   Lambda `errorType` `TokenLifeTooShort`, doctor's check `token-life`,
//!   `GLUE_CODEARTIFACT_MIN_TOKEN_LIFE`, the template's `MinTokenLife`, and
//!   the log fields `token_life_seconds` and `min_token_life_seconds`.
//!
//! # Keys
//!
//! A token is scoped to a domain (and its owner) and minted for a duration,
//! so tokens are keyed by [`TokenKey`] `(domain, owner, duration)`: an
//! event asking for a 12 h token is never served a cached 1 h one. An
//! endpoint is keyed by [`EndpointKey`] `(domain, owner, repository, format)`.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use glue_codeartifact_domain::{
//!     duration::TokenDuration,
//!     secret::AuthToken,
//!     timestamp::TokenExpiration,
//!     token_cache::{IssuedToken, MinTokenLife, TokenCache, TokenKey},
//! };
//!
//! let min_token_life = MinTokenLife::new(Duration::from_secs(30 * 60), Duration::from_secs(60));
//! let mut cache = TokenCache::new(min_token_life);
//! let key = TokenKey::new("acme", None, TokenDuration::from_secs(3600)?);
//! let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let minted = IssuedToken {
//!     token: AuthToken::new("tok"),
//!     expiration: TokenExpiration::checked(t0 + Duration::from_secs(3600), t0)?,
//! };
//! cache.store_token(key.clone(), minted, t0)?;
//! // 20 minutes later: 40 minutes left, more than 31 required.
//! assert!(cache.token(&key, t0 + Duration::from_secs(20 * 60)).is_some());
//! // 30 minutes later: 30 minutes left, less than 31: dropped.
//! assert!(cache.token(&key, t0 + Duration::from_secs(30 * 60)).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::duration::TokenDuration;
use crate::index_url::PackageFormat;
use crate::secret::AuthToken;
use crate::timestamp::TokenExpiration;

/// The default safety margin: one minute, for clock skew and the time
/// between the cache decision and `StartJobRun`.
pub const DEFAULT_SAFETY_MARGIN: Duration = Duration::from_secs(60);

/// The rule for a token minted for one start or refresh without a warm
/// cache (the CLI's `start` and `refresh`): ten minutes for the run's
/// start-up and pip installs, plus [`DEFAULT_SAFETY_MARGIN`]. Shorter than
/// the Lambda's default minimum life, so that the shortest token
/// CodeArtifact issues (15 minutes) still passes when it is fresh.
pub const MIN_TOKEN_LIFE_AT_START: MinTokenLife =
    MinTokenLife::new(Duration::from_secs(10 * 60), DEFAULT_SAFETY_MARGIN);

/// How much life a served token must have left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinTokenLife {
    min_life: Duration,
    margin: Duration,
}

/// Why a duration or a token does not give a run enough time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenLifeError {
    /// Tokens of this duration would never have the required life.
    #[error(
        "a token duration of {duration} leaves no room for the minimum token life of {} plus the {} safety margin; make the duration longer than {} or the minimum life shorter",
        human(*min_life), human(*margin), human(*min_life + *margin)
    )]
    DurationTooShort {
        /// The duration asked for.
        duration: TokenDuration,
        /// The minimum life a run needs.
        min_life: Duration,
        /// The safety margin.
        margin: Duration,
    },
    /// A refresh asked for `0`: a token that lives as long as the caller's
    /// credentials, which no schedule can plan on.
    #[error(
        "a refresh needs a token of known life: a duration of 0 (as long as the caller's credentials) cannot be planned on; use 15m to 12h, longer than the refresh schedule's interval plus a run's start-up"
    )]
    RefreshOfUnknownLife,
    /// A token just minted expires too soon.
    #[error(
        "the token CodeArtifact issued {}, less than the {} a run needs (the minimum token life plus a {} safety margin), so nothing was started or changed; ask for a longer duration or a shorter minimum life, with a duration of 0 check how long the caller's credentials last (renew them, e.g. `aws sso login`), and check this machine's clock",
        expires_in(*remaining), human(*min_life + *margin), human(*margin)
    )]
    TokenLifeTooShort {
        /// The token's remaining life when it was checked.
        remaining: Duration,
        /// The minimum life a run needs.
        min_life: Duration,
        /// The safety margin.
        margin: Duration,
    },
}

fn expires_in(remaining: Duration) -> String {
    if remaining.as_secs() == 0 {
        "has already expired".to_owned()
    } else {
        format!("expires in {}", human(remaining))
    }
}

fn human(d: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_secs(d.as_secs()))
}

impl MinTokenLife {
    /// A rule requiring `min_life` plus `margin` of remaining life.
    pub const fn new(min_life: Duration, margin: Duration) -> Self {
        Self { min_life, margin }
    }

    /// The life a run needs for its start-up and installs.
    pub fn min_life(&self) -> Duration {
        self.min_life
    }

    /// The safety margin on top of [`MinTokenLife::min_life`].
    pub fn margin(&self) -> Duration {
        self.margin
    }

    /// `min_life + margin`: the remaining life a served token must have.
    pub fn required(&self) -> Duration {
        self.min_life.saturating_add(self.margin)
    }

    /// How long a token expiring at `expiration` still lives at `now`
    /// (zero once expired).
    pub fn remaining(expiration: SystemTime, now: SystemTime) -> Duration {
        expiration.duration_since(now).unwrap_or(Duration::ZERO)
    }

    /// Whether a token expiring at `expiration` may be served at `now`.
    pub fn is_servable(&self, expiration: SystemTime, now: SystemTime) -> bool {
        Self::remaining(expiration, now) >= self.required()
    }

    /// Checks that tokens of `duration` can meet the rule at all, so that a
    /// misconfiguration fails before any AWS call. A duration of `0` (as
    /// long as the caller's credentials) cannot be judged in advance: its
    /// tokens are checked when minted ([`MinTokenLife::check_issued`]).
    pub fn check_duration(&self, duration: TokenDuration) -> Result<(), TokenLifeError> {
        if duration.is_caller_credentials()
            || Duration::from_secs(duration.as_secs()) > self.required()
        {
            Ok(())
        } else {
            Err(TokenLifeError::DurationTooShort {
                duration,
                min_life: self.min_life,
                margin: self.margin,
            })
        }
    }

    /// Checks the duration of a token a refresh writes into jobs: a known
    /// one (not `0`), which [`MinTokenLife::check_duration`] accepts. The
    /// one rule for the CLI's `refresh` and the Lambda's refresh.
    pub fn check_refresh_duration(&self, duration: TokenDuration) -> Result<(), TokenLifeError> {
        if duration.is_caller_credentials() {
            return Err(TokenLifeError::RefreshOfUnknownLife);
        }
        self.check_duration(duration)
    }

    /// Checks a token just minted: it must meet the rule too.
    pub fn check_issued(
        &self,
        expiration: SystemTime,
        now: SystemTime,
    ) -> Result<(), TokenLifeError> {
        if self.is_servable(expiration, now) {
            Ok(())
        } else {
            Err(TokenLifeError::TokenLifeTooShort {
                remaining: Self::remaining(expiration, now),
                min_life: self.min_life,
                margin: self.margin,
            })
        }
    }
}

/// What a token is cached under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey {
    /// The domain the token is for.
    pub domain: String,
    /// The domain's owner; `None` means the caller's account.
    pub domain_owner: Option<String>,
    /// The duration the token was minted for.
    pub duration: TokenDuration,
}

impl TokenKey {
    /// A key for tokens of `domain` minted for `duration`.
    pub fn new(domain: &str, domain_owner: Option<&str>, duration: TokenDuration) -> Self {
        Self {
            domain: domain.to_owned(),
            domain_owner: domain_owner.map(str::to_owned),
            duration,
        }
    }
}

/// What a repository endpoint is cached under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointKey {
    /// The domain.
    pub domain: String,
    /// The domain's owner; `None` means the caller's account.
    pub domain_owner: Option<String>,
    /// The repository.
    pub repository: String,
    /// The package format of the endpoint.
    pub format: PackageFormat,
}

impl EndpointKey {
    /// A key for the `format` endpoint of `repository` in `domain`.
    pub fn new(
        domain: &str,
        domain_owner: Option<&str>,
        repository: &str,
        format: PackageFormat,
    ) -> Self {
        Self {
            domain: domain.to_owned(),
            domain_owner: domain_owner.map(str::to_owned),
            repository: repository.to_owned(),
            format,
        }
    }
}

/// A token and when it expires: what CodeArtifact's
/// `GetAuthorizationToken` answered (the AWS adapter's answer), and what
/// the cache keeps. `Debug` redacts the token.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The token.
    pub token: AuthToken,
    /// When it expires.
    pub expiration: TokenExpiration,
}

/// Endpoints kept for the life of the process, tokens while they meet the
/// [`MinTokenLife`] rule.
///
/// A handful of entries at most (one deployment serves one repository, and
/// a few durations at most), so plain vectors with linear look-ups.
pub struct TokenCache {
    min_token_life: MinTokenLife,
    tokens: Vec<(TokenKey, IssuedToken)>,
    endpoints: Vec<(EndpointKey, String)>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("min_token_life", &self.min_token_life)
            .field("tokens", &self.tokens.len())
            .field("endpoints", &self.endpoints.len())
            .finish()
    }
}

impl TokenCache {
    /// An empty cache applying `min_token_life`.
    pub fn new(min_token_life: MinTokenLife) -> Self {
        Self {
            min_token_life,
            tokens: Vec::new(),
            endpoints: Vec::new(),
        }
    }

    /// The rule this cache applies.
    pub fn min_token_life(&self) -> MinTokenLife {
        self.min_token_life
    }

    /// The cached token for `key` if it may be served at `now`. Tokens that
    /// may no longer be served (of any key) are dropped first.
    pub fn token(&mut self, key: &TokenKey, now: SystemTime) -> Option<IssuedToken> {
        self.evict(now);
        self.tokens
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| t.clone())
    }

    /// Keeps a token just minted, if it meets the rule at `now`; otherwise
    /// it is not kept and the error says why (the caller must not use it).
    pub fn store_token(
        &mut self,
        key: TokenKey,
        token: IssuedToken,
        now: SystemTime,
    ) -> Result<(), TokenLifeError> {
        self.min_token_life
            .check_issued(token.expiration.as_system_time(), now)?;
        self.tokens.retain(|(k, _)| *k != key);
        self.tokens.push((key, token));
        Ok(())
    }

    /// The cached endpoint for `key`.
    pub fn endpoint(&self, key: &EndpointKey) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, e)| e.as_str())
    }

    /// Keeps an endpoint for the life of the process.
    pub fn store_endpoint(&mut self, key: EndpointKey, endpoint: String) {
        self.endpoints.retain(|(k, _)| *k != key);
        self.endpoints.push((key, endpoint));
    }

    /// How many tokens are cached (servable or not yet evicted).
    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    fn evict(&mut self, now: SystemTime) {
        let min_token_life = self.min_token_life;
        self.tokens
            .retain(|(_, t)| min_token_life.is_servable(t.expiration.as_system_time(), now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: Duration = Duration::from_secs(30 * 60);
    const MARGIN: Duration = DEFAULT_SAFETY_MARGIN;

    fn t(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn key(duration: u64) -> TokenKey {
        TokenKey::new("acme", None, TokenDuration::from_secs(duration).unwrap())
    }

    fn token(name: &str, expires: SystemTime) -> IssuedToken {
        IssuedToken {
            token: AuthToken::new(name),
            expiration: TokenExpiration::checked(expires, expires).unwrap(),
        }
    }

    #[test]
    fn serves_until_min_life_plus_margin_then_drops() {
        let mut cache = TokenCache::new(MinTokenLife::new(MIN, MARGIN));
        cache
            .store_token(key(3600), token("a", t(3600)), t(0))
            .unwrap();
        // Exactly the required life left: served.
        let edge = 3600 - MIN.as_secs() - MARGIN.as_secs();
        assert!(cache.token(&key(3600), t(edge)).is_some());
        // One second less: not served, and dropped.
        assert!(cache.token(&key(3600), t(edge + 1)).is_none());
        assert_eq!(cache.token_count(), 0);
        assert!(cache.token(&key(3600), t(0)).is_none());
    }

    #[test]
    fn keys_separate_durations_domains_and_owners() {
        let mut cache = TokenCache::new(MinTokenLife::new(MIN, MARGIN));
        cache
            .store_token(key(3600), token("a", t(3600)), t(0))
            .unwrap();
        assert!(cache.token(&key(7200), t(1)).is_none());
        let other_domain = TokenKey::new("other", None, TokenDuration::from_secs(3600).unwrap());
        assert!(cache.token(&other_domain, t(1)).is_none());
        let owned = TokenKey::new(
            "acme",
            Some("111122223333"),
            TokenDuration::from_secs(3600).unwrap(),
        );
        assert!(cache.token(&owned, t(1)).is_none());
        assert_eq!(
            cache.token(&key(3600), t(1)).unwrap().token.expose_secret(),
            "a"
        );
    }

    #[test]
    fn a_new_token_replaces_the_old_one() {
        let mut cache = TokenCache::new(MinTokenLife::new(MIN, MARGIN));
        cache
            .store_token(key(3600), token("a", t(3600)), t(0))
            .unwrap();
        cache
            .store_token(key(3600), token("b", t(4000)), t(400))
            .unwrap();
        assert_eq!(cache.token_count(), 1);
        assert_eq!(
            cache
                .token(&key(3600), t(401))
                .unwrap()
                .token
                .expose_secret(),
            "b"
        );
    }

    #[test]
    fn refuses_to_keep_a_fresh_token_that_is_too_short() {
        let mut cache = TokenCache::new(MinTokenLife::new(MIN, MARGIN));
        let err = cache
            .store_token(key(3600), token("a", t(20 * 60)), t(0))
            .unwrap_err();
        assert!(matches!(err, TokenLifeError::TokenLifeTooShort { .. }));
        let msg = err.to_string();
        assert!(msg.contains("20m"), "{msg}");
        assert!(msg.contains("31m"), "{msg}");
        assert_eq!(cache.token_count(), 0);
    }

    #[test]
    fn a_refresh_needs_a_known_and_long_enough_duration() {
        let min_token_life = MinTokenLife::new(MIN, MARGIN);
        assert_eq!(
            min_token_life.check_refresh_duration(TokenDuration::CALLER_CREDENTIALS),
            Err(TokenLifeError::RefreshOfUnknownLife)
        );
        assert!(matches!(
            min_token_life.check_refresh_duration(TokenDuration::from_secs(1860).unwrap()),
            Err(TokenLifeError::DurationTooShort { .. })
        ));
        assert!(
            min_token_life
                .check_refresh_duration(TokenDuration::from_secs(43200).unwrap())
                .is_ok()
        );
    }

    #[test]
    fn durations_are_checked_before_any_call() {
        let min_token_life = MinTokenLife::new(MIN, MARGIN);
        assert!(
            min_token_life
                .check_duration(TokenDuration::from_secs(3600).unwrap())
                .is_ok()
        );
        assert!(
            min_token_life
                .check_duration(TokenDuration::CALLER_CREDENTIALS)
                .is_ok()
        );
        let err = min_token_life
            .check_duration(TokenDuration::from_secs(1860).unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("longer than 31m"), "{err}");
        assert!(
            min_token_life
                .check_duration(TokenDuration::from_secs(1861).unwrap())
                .is_ok()
        );
    }

    #[test]
    fn endpoints_are_kept() {
        let mut cache = TokenCache::new(MinTokenLife::new(MIN, MARGIN));
        let k = EndpointKey::new("acme", None, "py", PackageFormat::Pypi);
        assert_eq!(cache.endpoint(&k), None);
        cache.store_endpoint(k.clone(), "https://e/".into());
        assert_eq!(cache.endpoint(&k), Some("https://e/"));
        let other = EndpointKey::new("acme", None, "other", PackageFormat::Pypi);
        assert_eq!(cache.endpoint(&other), None);
    }

    #[test]
    fn debug_shows_no_token() {
        let mut cache = TokenCache::new(MinTokenLife::new(MIN, MARGIN));
        cache
            .store_token(key(3600), token("s3cr3t", t(3600)), t(0))
            .unwrap();
        assert!(!format!("{cache:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", cache.token(&key(3600), t(0))).contains("s3cr3t"));
    }

    proptest! {
        /// Whatever was stored and whenever it is asked: a served token has
        /// at least min_life + margin left.
        #[test]
        fn never_serves_a_token_with_less_than_the_required_life(
            min_life in 0u64..50_000,
            margin in 0u64..600,
            stores in proptest::collection::vec((0u64..100_000, 0u64..100_000), 1..8),
            asks in proptest::collection::vec(0u64..200_000, 1..16),
        ) {
            let min_token_life = MinTokenLife::new(Duration::from_secs(min_life), Duration::from_secs(margin));
            let mut cache = TokenCache::new(min_token_life);
            for (i, (at, life)) in stores.iter().enumerate() {
                let _ = cache.store_token(key(3600), token(&i.to_string(), t(at + life)), t(*at));
            }
            for ask in asks {
                if let Some(served) = cache.token(&key(3600), t(ask)) {
                    let left = MinTokenLife::remaining(served.expiration.as_system_time(), t(ask));
                    prop_assert!(left >= Duration::from_secs(min_life + margin));
                }
            }
        }

        /// A token stored at `at` with `life` left is served at `at` exactly
        /// when its life covers the requirement, and is served at every
        /// earlier-or-equal instant where it was still servable.
        #[test]
        fn storing_serves_exactly_when_servable(
            min_life in 0u64..50_000,
            margin in 0u64..600,
            at in 0u64..100_000,
            life in 0u64..100_000,
            later in 0u64..100_000,
        ) {
            let min_token_life = MinTokenLife::new(Duration::from_secs(min_life), Duration::from_secs(margin));
            let mut cache = TokenCache::new(min_token_life);
            let stored = cache.store_token(key(3600), token("x", t(at + life)), t(at)).is_ok();
            prop_assert_eq!(stored, life >= min_life + margin);
            let served_later = cache.token(&key(3600), t(at + later)).is_some();
            prop_assert_eq!(served_later, stored && life.saturating_sub(later) >= min_life + margin);
        }

        /// check_duration accepts exactly the durations whose fresh tokens
        /// can be served (besides 0, which is judged when minted).
        #[test]
        fn check_duration_matches_the_rule(
            min_life in 0u64..50_000,
            margin in 0u64..600,
            secs in prop_oneof![Just(0u64), 900u64..=43_200],
        ) {
            let min_token_life = MinTokenLife::new(Duration::from_secs(min_life), Duration::from_secs(margin));
            let ok = min_token_life.check_duration(TokenDuration::from_secs(secs).unwrap()).is_ok();
            prop_assert_eq!(ok, secs == 0 || secs > min_life + margin);
        }
    }
}
