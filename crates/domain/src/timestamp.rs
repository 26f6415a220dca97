//! Times read from AWS answers: checked where they enter, formatted totally.
//!
//! A token's `expiration` comes from CodeArtifact (or whatever answers at
//! its endpoint). A value in milliseconds instead of seconds, or a negative
//! one, used to reach `humantime`'s RFC 3339 formatter, which panics before
//! 1970 and after 9999 — after `StartJobRun` had started a run, so the
//! caller saw no output and could start a second run. So:
//!
//! - [`TokenExpiration::checked`] refuses, where the answer is read, an
//!   expiration before 1970 or further ahead than the longest token
//!   CodeArtifact issues ([`MAX_TOKEN_LIFE`], 12 h) plus a generous clock-skew
//!   allowance ([`CLOCK_SKEW_ALLOWANCE`]);
//! - [`rfc3339`] formats any [`SystemTime`] without panicking.

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// The longest life CodeArtifact gives a token: "up to a maximum of 12
/// hours, with the durationSeconds parameter" (API reference,
/// `GetAuthorizationToken`).
pub const MAX_TOKEN_LIFE: Duration = Duration::from_secs(43_200);

/// How far this machine's clock may be behind CodeArtifact's before an
/// honest expiration looks implausible. Far larger than any real skew, far
/// smaller than the factor of 1000 of an expiration in milliseconds.
pub const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(24 * 3600);

/// The first second RFC 3339 cannot write (year 10000).
const RFC3339_END_SECS: u64 = 253_402_300_800;

/// RFC 3339, seconds precision, UTC (`2026-01-31T12:00:00Z`). Total: a time
/// before 1970 or after 9999 is written as seconds from the Unix epoch
/// (`-5 s from the Unix epoch`) instead of panicking.
pub fn rfc3339(t: SystemTime) -> String {
    match t.duration_since(UNIX_EPOCH) {
        Ok(since) if since.as_secs() < RFC3339_END_SECS => {
            humantime::format_rfc3339_seconds(t).to_string()
        }
        Ok(since) => format!("{} s from the Unix epoch", since.as_secs()),
        Err(before) => format!("-{} s from the Unix epoch", before.duration().as_secs()),
    }
}

/// When a token expires, as CodeArtifact said, checked to be a time a token
/// can expire at. `Display` writes RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenExpiration(SystemTime);

/// Why an expiration from an answer is not believable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpirationError {
    /// Before 1970: a negative epoch time.
    #[error(
        "the token's expiration is {} seconds before 1970, which no token has; the answer did not come from CodeArtifact as documented (check AWS_ENDPOINT_URL_CODEARTIFACT)",
        seconds_before_epoch
    )]
    BeforeEpoch {
        /// How far before 1970.
        seconds_before_epoch: u64,
    },
    /// Further ahead than any token lives.
    #[error(
        "the token's expiration ({shown}) is {} ahead, more than the 12 h a CodeArtifact token can live (plus {} for clock skew); the value is not in seconds (milliseconds?) or this machine's clock is far behind. Check the clock and AWS_ENDPOINT_URL_CODEARTIFACT",
        humantime::format_duration(Duration::from_secs(*ahead_seconds)),
        humantime::format_duration(CLOCK_SKEW_ALLOWANCE)
    )]
    TooFarAhead {
        /// The expiration, written totally.
        shown: String,
        /// How far ahead of `now` it is.
        ahead_seconds: u64,
    },
}

impl TokenExpiration {
    /// Checks an expiration read at `now`. A time in the past is a valid
    /// expiration (of an expired token): whether a token lives long enough
    /// is [`crate::token_cache::MinTokenLife`]'s rule, not this one.
    pub fn checked(expiration: SystemTime, now: SystemTime) -> Result<Self, ExpirationError> {
        if let Err(before) = expiration.duration_since(UNIX_EPOCH) {
            return Err(ExpirationError::BeforeEpoch {
                seconds_before_epoch: before.duration().as_secs().max(1),
            });
        }
        let ahead = expiration.duration_since(now).unwrap_or(Duration::ZERO);
        if ahead > MAX_TOKEN_LIFE.saturating_add(CLOCK_SKEW_ALLOWANCE) {
            return Err(ExpirationError::TooFarAhead {
                shown: rfc3339(expiration),
                ahead_seconds: ahead.as_secs(),
            });
        }
        Ok(Self(expiration))
    }

    /// The expiration as a [`SystemTime`].
    pub fn as_system_time(self) -> SystemTime {
        self.0
    }

    /// RFC 3339, seconds precision, UTC.
    pub fn rfc3339(self) -> String {
        rfc3339(self.0)
    }
}

impl fmt::Display for TokenExpiration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&rfc3339(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    const NOW: i64 = 1_767_268_800; // 2026-01-01T12:00:00Z

    #[test]
    fn formats_every_time() {
        assert_eq!(rfc3339(at(NOW)), "2026-01-01T12:00:00Z");
        assert_eq!(rfc3339(at(-5)), "-5 s from the Unix epoch");
        assert_eq!(
            rfc3339(at(NOW * 1000)),
            "1767268800000 s from the Unix epoch"
        );
        assert_eq!(rfc3339(at(253_402_300_799)), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn milliseconds_and_negative_values_are_refused() {
        let now = at(NOW);
        let err = TokenExpiration::checked(at((NOW + 3600) * 1000), now).unwrap_err();
        assert!(matches!(err, ExpirationError::TooFarAhead { .. }));
        assert!(err.to_string().contains("milliseconds"), "{err}");
        let err = TokenExpiration::checked(at(-1), now).unwrap_err();
        assert!(err.to_string().contains("before 1970"), "{err}");
        // 12 h ahead, and up to a day of skew on top, is fine.
        for secs in [NOW - 3600, NOW, NOW + 43_200, NOW + 43_200 + 86_400] {
            let ok = TokenExpiration::checked(at(secs), now).unwrap();
            assert_eq!(ok.as_system_time(), at(secs));
        }
        assert!(TokenExpiration::checked(at(NOW + 43_200 + 86_401), now).is_err());
    }

    proptest! {
        #[test]
        fn formatting_is_total(secs in any::<i64>().prop_map(|s| s / 2), now in 0i64..4_000_000_000) {
            let t = at(secs);
            let _ = rfc3339(t);
            if let Ok(e) = TokenExpiration::checked(t, at(now)) {
                prop_assert!(!e.to_string().is_empty());
                prop_assert!(!e.rfc3339().contains("Unix epoch"));
            }
        }
    }
}
