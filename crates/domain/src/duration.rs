//! Durations as users write them, and how long a CodeArtifact token lives.
//!
//! [`parse_duration`] is the one parser for every flag, environment
//! variable, config key and Lambda setting that takes a duration, with one
//! rule: a bare number is seconds (`900`, `2.5`), anything else is a human
//! form (`15m`, `1h 30m`, `500ms`, by humantime). Each caller then checks its
//! own bounds.
//!
//! `GetAuthorizationToken` takes `durationSeconds`: `0` (the token lives as
//! long as the caller's credentials) or 900 to 43200 seconds (15 minutes to
//! 12 hours). Anything else is rejected here, before any AWS call.

use std::{fmt, str::FromStr, time::Duration};

/// The shortest token AWS issues, in seconds (15 minutes).
pub const MIN_SECONDS: u64 = 900;
/// The longest token AWS issues, in seconds (12 hours).
pub const MAX_SECONDS: u64 = 43_200;

/// A valid token duration: `0` or 900 to 43200 whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenDuration(u64);

/// Why a duration was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The text is not a duration at all.
    #[error(
        "invalid duration {input:?}: {reason}; write seconds (`900`, `2.5`) or a human form (`15m`, `1h 30m`, `500ms`)"
    )]
    Unparsable {
        /// What the user wrote.
        input: String,
        /// What the parser said.
        reason: String,
    },
    /// The duration has a fraction of a second.
    #[error("invalid duration {input:?}: CodeArtifact takes whole seconds")]
    Fractional {
        /// What the user wrote.
        input: String,
    },
    /// The duration is outside what CodeArtifact accepts.
    #[error(
        "invalid duration {input:?} ({seconds} s): CodeArtifact accepts 0 (as long as the caller's credentials) or 900 to 43200 seconds (15m to 12h)"
    )]
    OutOfRange {
        /// What the user wrote.
        input: String,
        /// The duration in seconds.
        seconds: u64,
    },
}

impl TokenDuration {
    /// `0`: the token lives as long as the caller's credentials.
    pub const CALLER_CREDENTIALS: TokenDuration = TokenDuration(0);
    /// The shortest duration AWS accepts (15 minutes).
    pub const MIN: TokenDuration = TokenDuration(MIN_SECONDS);
    /// The longest duration AWS accepts (12 hours).
    pub const MAX: TokenDuration = TokenDuration(MAX_SECONDS);

    /// A duration from whole seconds, if AWS accepts it.
    pub fn from_secs(seconds: u64) -> Result<Self, DurationError> {
        Self::check(seconds, &seconds.to_string())
    }

    fn check(seconds: u64, input: &str) -> Result<Self, DurationError> {
        if seconds == 0 || (MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            Ok(Self(seconds))
        } else {
            Err(DurationError::OutOfRange {
                input: input.to_owned(),
                seconds,
            })
        }
    }

    /// The value sent as `durationSeconds`.
    pub fn as_secs(self) -> u64 {
        self.0
    }

    /// `true` for `0`, "as long as the caller's credentials".
    pub fn is_caller_credentials(self) -> bool {
        self.0 == 0
    }
}

impl FromStr for TokenDuration {
    type Err = DurationError;

    /// Parses `0`, plain seconds (`3600`) or a human form (`15m`, `1h`,
    /// `1h 30m`, `900s`), by [`parse_duration`].
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let parsed = parse_duration(input)?;
        if parsed.subsec_nanos() != 0 {
            return Err(DurationError::Fractional {
                input: input.to_owned(),
            });
        }
        Self::check(parsed.as_secs(), input)
    }
}

/// Parses a duration: a bare number is seconds (`900`, `2.5`, `0`), anything
/// else a human form (`15m`, `1h 30m`, `500ms`, `2h`). Negative, infinite or
/// overflowing values are refused. The one rule for every duration a user
/// writes; callers check their own bounds.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let text = input.trim();
    let unparsable = |reason: String| DurationError::Unparsable {
        input: input.to_owned(),
        reason,
    };
    if let Some((whole, fraction)) = bare_number(text) {
        let seconds = whole
            .parse::<u64>()
            .map_err(|e| unparsable(e.to_string()))?;
        if fraction.len() > 9 {
            return Err(unparsable("more than 9 decimals".to_owned()));
        }
        let nanos = format!("{fraction:0<9}")
            .parse::<u32>()
            .map_err(|e| unparsable(e.to_string()))?;
        return Ok(Duration::new(seconds, nanos));
    }
    humantime::parse_duration(text).map_err(|e| unparsable(e.to_string()))
}

/// `123` or `1.5` as (whole, fraction): digits, with at most one `.`
/// between digits.
fn bare_number(text: &str) -> Option<(&str, &str)> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(whole) && digits(fraction)).then_some((whole, fraction))
}

impl fmt::Display for TokenDuration {
    /// Prints the human form, e.g. `1h`, `15m`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            humantime::format_duration(Duration::from_secs(self.0))
        )
    }
}

impl From<TokenDuration> for Duration {
    fn from(d: TokenDuration) -> Duration {
        Duration::from_secs(d.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_human_forms() {
        for (text, secs) in [
            ("0", 0),
            ("900", 900),
            ("15m", 900),
            ("1h", 3600),
            ("12h", 43_200),
            ("1h 30m", 5400),
            ("1h30m", 5400),
            ("900s", 900),
            (" 2h ", 7200),
        ] {
            assert_eq!(
                text.parse::<TokenDuration>().unwrap().as_secs(),
                secs,
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_the_rest_with_a_fix() {
        for text in [
            "", "abc", "1", "899", "14m", "43201", "13h", "-5", "900.5s", "500ms",
        ] {
            let err = text.parse::<TokenDuration>().unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("duration"), "{text}: {msg}");
        }
        let msg = "13h".parse::<TokenDuration>().unwrap_err().to_string();
        assert!(msg.contains("900 to 43200"), "{msg}");
    }

    #[test]
    fn one_rule_for_every_duration() {
        for (text, want) in [
            ("15", Duration::from_secs(15)),
            ("2.5", Duration::from_millis(2500)),
            (" 0 ", Duration::ZERO),
            ("15s", Duration::from_secs(15)),
            ("500ms", Duration::from_millis(500)),
            ("1h 30m", Duration::from_secs(5400)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
        for text in ["", "soon", "-1", "1.", ".5", "1e3", "inf", "NaN", "1.5.2"] {
            let msg = parse_duration(text).unwrap_err().to_string();
            assert!(msg.contains("write seconds"), "{text}: {msg}");
        }
    }

    #[test]
    fn displays_human_form() {
        assert_eq!(TokenDuration::from_secs(3600).unwrap().to_string(), "1h");
        assert_eq!(TokenDuration::from_secs(900).unwrap().to_string(), "15m");
    }

    proptest! {
        #[test]
        fn seconds_accepted_exactly_in_the_valid_set(secs in 0u64..100_000) {
            let valid = secs == 0 || (900..=43_200).contains(&secs);
            prop_assert_eq!(secs.to_string().parse::<TokenDuration>().is_ok(), valid);
            prop_assert_eq!(format!("{secs}s").parse::<TokenDuration>().is_ok(), valid);
            prop_assert_eq!(TokenDuration::from_secs(secs).is_ok(), valid);
        }

        #[test]
        fn minutes_accepted_exactly_in_the_valid_set(mins in 0u64..2000) {
            let secs = mins * 60;
            let valid = secs == 0 || (900..=43_200).contains(&secs);
            prop_assert_eq!(format!("{mins}m").parse::<TokenDuration>().is_ok(), valid);
        }

        #[test]
        fn display_round_trips(secs in prop_oneof![Just(0u64), 900u64..=43_200]) {
            let d = TokenDuration::from_secs(secs).unwrap();
            prop_assert_eq!(d.to_string().parse::<TokenDuration>().unwrap(), d);
        }

        #[test]
        fn never_panics(text in ".*") {
            let _ = text.parse::<TokenDuration>();
            let _ = parse_duration(&text);
        }

        #[test]
        fn bare_seconds_mean_seconds(secs in 0u64..10_000_000, millis in 0u64..1000) {
            prop_assert_eq!(parse_duration(&secs.to_string()), Ok(Duration::from_secs(secs)));
            prop_assert_eq!(parse_duration(&format!("{secs}.{millis:03}")), Ok(Duration::from_millis(secs * 1000 + millis)));
        }
    }
}
