//! Authorization tokens: the duration rule, issuing, verifying, and the
//! emulator's controllable clock.
//!
//! A token is an opaque random string remembered with the domain, the domain
//! owner and the expiry it was issued for. The expiry is computed from the
//! emulator's clock, which is real time plus an offset that only grows
//! ([`Clock::advance`]), so tests can expire tokens without waiting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::config::TokenStyle;

/// Token lifetime when the request names no duration: 12 hours, the
/// lifetime the CodeArtifact user guide gives for tokens by default.
pub const DEFAULT_DURATION_SECS: u64 = 43_200;
/// Shortest non-zero lifetime the API accepts (15 minutes).
pub const MIN_DURATION_SECS: i64 = 900;
/// Longest lifetime the API accepts (12 hours).
pub const MAX_DURATION_SECS: i64 = 43_200;
/// What `duration=0` becomes by default: the API reference says "A value of
/// 0 will set the expiration of the authorization token to the same
/// expiration of the user's role's temporary credentials"; the emulator has
/// no credentials to follow, so it takes the session's remaining lifetime
/// from [`crate::Config::session_remaining`] (env
/// `CODEARTIFACT_EMULATOR_SESSION_REMAINING_SECS`), one hour (an assumed
/// role's default session) unless set.
pub const CREDENTIALS_LIFETIME_SECS: u64 = 3_600;

/// Why a requested duration is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DurationError {
    /// Not an integer.
    NotANumber(String),
    /// An integer outside `0` and `900..=43200`.
    OutOfRange(i64),
}

/// Applies the API's rule to the `duration` query parameter: absent means
/// [`DEFAULT_DURATION_SECS`], `0` means the caller's session remainder
/// `session`, `900..=43200` is taken as is (whatever the session's
/// remainder: "the token lifetime is independent of the maximum session
/// duration of the role", API reference), anything else is refused.
pub fn effective_duration(
    requested: Option<&str>,
    session: Duration,
) -> Result<Duration, DurationError> {
    let Some(raw) = requested else {
        return Ok(Duration::from_secs(DEFAULT_DURATION_SECS));
    };
    let secs: i64 = raw
        .trim()
        .parse()
        .map_err(|_| DurationError::NotANumber(raw.to_owned()))?;
    match secs {
        0 => Ok(session),
        MIN_DURATION_SECS..=MAX_DURATION_SECS => Ok(Duration::from_secs(secs.unsigned_abs())),
        other => Err(DurationError::OutOfRange(other)),
    }
}

/// The emulator's clock: real time plus an offset that [`Clock::advance`] grows.
#[derive(Debug, Default)]
pub struct Clock {
    offset: Mutex<Duration>,
}

impl Clock {
    /// The emulator's current time.
    pub fn now(&self) -> SystemTime {
        SystemTime::now() + *self.offset.lock().expect("clock lock")
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().expect("clock lock");
        *offset = offset.saturating_add(by);
    }

    /// How far the clock has been moved forward in total.
    pub fn offset(&self) -> Duration {
        *self.offset.lock().expect("clock lock")
    }
}

/// Why a token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Never issued by this emulator.
    Unknown,
    /// Issued, but its expiry has passed on the emulator's clock.
    Expired,
    /// Issued for another domain or domain owner.
    WrongDomain,
}

/// What a token was issued for.
#[derive(Clone, Debug)]
struct Grant {
    domain: String,
    owner: String,
    /// Expiry in whole seconds since the Unix epoch, as reported to the client.
    expires_at: u64,
}

/// Every token issued so far, with what it grants.
#[derive(Debug, Default)]
pub struct TokenStore {
    inner: Mutex<StoreInner>,
}

#[derive(Debug, Default)]
struct StoreInner {
    grants: HashMap<String, Grant>,
    issued: Vec<String>,
}

impl TokenStore {
    /// Issues a new token for `domain`/`owner`, valid for `lifetime` from `now`.
    /// Returns the token and its expiry in whole seconds since the Unix epoch.
    pub fn issue(
        &self,
        style: TokenStyle,
        domain: &str,
        owner: &str,
        lifetime: Duration,
        now: SystemTime,
    ) -> (String, u64) {
        let issued_at = unix_secs(now);
        let expires_at = issued_at + lifetime.as_secs();
        let token = generate(style, issued_at, expires_at);
        let mut inner = self.inner.lock().expect("token store lock");
        inner.grants.insert(
            token.clone(),
            Grant {
                domain: domain.to_owned(),
                owner: owner.to_owned(),
                expires_at,
            },
        );
        inner.issued.push(token.clone());
        (token, expires_at)
    }

    /// Checks that `token` was issued for `domain`/`owner` and has not expired at `now`.
    pub fn verify(
        &self,
        token: &str,
        domain: &str,
        owner: &str,
        now: SystemTime,
    ) -> Result<(), TokenError> {
        let inner = self.inner.lock().expect("token store lock");
        let grant = inner.grants.get(token).ok_or(TokenError::Unknown)?;
        if grant.domain != domain || grant.owner != owner {
            return Err(TokenError::WrongDomain);
        }
        let now = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        if now >= Duration::from_secs(grant.expires_at) {
            return Err(TokenError::Expired);
        }
        Ok(())
    }

    /// Every token issued so far, oldest first.
    pub fn issued(&self) -> Vec<String> {
        self.inner.lock().expect("token store lock").issued.clone()
    }
}

/// Whole seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
}

/// Fills a buffer with bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the OS random source failed");
    buf
}

/// Picks `count` characters from `alphabet` uniformly at random.
fn random_chars(alphabet: &[u8], count: usize) -> Vec<u8> {
    // Rejection sampling keeps the choice uniform.
    let limit = 256 - 256 % alphabet.len();
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        for b in random_bytes::<64>() {
            if usize::from(b) < limit && out.len() < count {
                out.push(alphabet[usize::from(b) % alphabet.len()]);
            }
        }
    }
    out
}

/// A random index in `0..n` (`n` > 0, small).
fn random_index(n: usize) -> usize {
    let v = u64::from_le_bytes(random_bytes::<8>());
    // n is tiny next to 2^64, so the bias is negligible for a test token.
    (v % n as u64) as usize
}

/// Characters that need percent-encoding in URL userinfo, and the RFC 3986
/// unreserved `~ . _ -` that encoders disagree about, each of which an
/// awkward token contains at least once.
const AWKWARD_REQUIRED: &[u8] = b"+/=:@%?# &!$';,*~._-";

fn generate(style: TokenStyle, issued_at: u64, expires_at: u64) -> String {
    match style {
        TokenStyle::Plain => plain_token(issued_at, expires_at),
        TokenStyle::Awkward => awkward_token(),
    }
}

/// Shaped like a real token: a JWE in compact form, five base64url
/// segments joined by `.` (a JSON header with `exp`, an encrypted key, an
/// IV, the ciphertext, a tag), about 1,200 characters (the sizes reported
/// of real tokens; the gist in ansible-collections/community.general#1171
/// shows the shape).
fn plain_token(issued_at: u64, expires_at: u64) -> String {
    let header = format!(
        r#"{{"ver":1,"isu":{issued_at},"enc":"A128GCM","tag":"{}","exp":{expires_at},"alg":"A128GCMKW","iv":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(random_bytes::<16>()),
        URL_SAFE_NO_PAD.encode(random_bytes::<12>()),
    );
    [
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(random_bytes::<32>()),
        URL_SAFE_NO_PAD.encode(random_bytes::<12>()),
        URL_SAFE_NO_PAD.encode(random_bytes::<690>()),
        URL_SAFE_NO_PAD.encode(random_bytes::<16>()),
    ]
    .join(".")
}

/// 200 printable ASCII characters, starting and ending with a letter or
/// digit, containing every character of [`AWKWARD_REQUIRED`].
fn awkward_token() -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:@%?# &!$';,*~._-";
    const LEN: usize = 200;
    let mut chars = random_chars(ALPHABET, LEN - 2 - AWKWARD_REQUIRED.len());
    for &c in AWKWARD_REQUIRED {
        let at = random_index(chars.len() + 1);
        chars.insert(at, c);
    }
    let mut token = random_chars(ALNUM, 1);
    token.extend(chars);
    token.extend(random_chars(ALNUM, 1));
    String::from_utf8(token).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_rule() {
        const H: Duration = Duration::from_secs(1_234);
        assert_eq!(effective_duration(None, H), Ok(Duration::from_secs(43_200)));
        assert_eq!(effective_duration(Some("0"), H), Ok(H));
        assert_eq!(
            effective_duration(Some("900"), H),
            Ok(Duration::from_secs(900))
        );
        assert_eq!(
            effective_duration(Some("43200"), H),
            Ok(Duration::from_secs(43_200))
        );
        assert_eq!(
            effective_duration(Some("899"), H),
            Err(DurationError::OutOfRange(899))
        );
        assert_eq!(
            effective_duration(Some("1"), H),
            Err(DurationError::OutOfRange(1))
        );
        assert_eq!(
            effective_duration(Some("43201"), H),
            Err(DurationError::OutOfRange(43_201))
        );
        assert_eq!(
            effective_duration(Some("-5"), H),
            Err(DurationError::OutOfRange(-5))
        );
        assert!(matches!(
            effective_duration(Some("12h"), H),
            Err(DurationError::NotANumber(_))
        ));
    }

    #[test]
    fn tokens_expire_on_the_emulator_clock() {
        let clock = Clock::default();
        let store = TokenStore::default();
        let (token, expires_at) = store.issue(
            TokenStyle::Plain,
            "acme",
            "123456789012",
            Duration::from_secs(900),
            clock.now(),
        );
        assert!(expires_at >= unix_secs(SystemTime::now()) + 899);
        assert_eq!(
            store.verify(&token, "acme", "123456789012", clock.now()),
            Ok(())
        );
        clock.advance(Duration::from_secs(898));
        assert_eq!(
            store.verify(&token, "acme", "123456789012", clock.now()),
            Ok(())
        );
        clock.advance(Duration::from_secs(2));
        assert_eq!(
            store.verify(&token, "acme", "123456789012", clock.now()),
            Err(TokenError::Expired)
        );
        assert_eq!(clock.offset(), Duration::from_secs(900));
    }

    #[test]
    fn tokens_are_bound_to_domain_and_owner() {
        let store = TokenStore::default();
        let now = SystemTime::now();
        let (token, _) = store.issue(
            TokenStyle::Plain,
            "acme",
            "123456789012",
            Duration::from_secs(900),
            now,
        );
        assert_eq!(
            store.verify(&token, "other", "123456789012", now),
            Err(TokenError::WrongDomain)
        );
        assert_eq!(
            store.verify(&token, "acme", "210987654321", now),
            Err(TokenError::WrongDomain)
        );
        assert_eq!(
            store.verify("not-a-token", "acme", "123456789012", now),
            Err(TokenError::Unknown)
        );
        assert_eq!(store.issued(), vec![token]);
    }

    #[test]
    fn plain_tokens_look_real() {
        let token = plain_token(1_700_000_000, 1_700_043_200);
        assert!((1_150..=1_250).contains(&token.len()), "{}", token.len());
        let header = URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header["exp"], 1_700_043_200);
        assert!(token.starts_with("eyJ2ZXIiOjEs"));
        assert_eq!(token.split('.').count(), 5);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        );
        assert_ne!(token, plain_token(1_700_000_000, 1_700_043_200));
    }

    #[test]
    fn awkward_tokens_need_encoding_but_stay_basic_auth_safe() {
        for _ in 0..20 {
            let token = awkward_token();
            assert_eq!(token.len(), 200);
            for c in AWKWARD_REQUIRED {
                assert!(
                    token.as_bytes().contains(c),
                    "{token:?} lacks {}",
                    *c as char
                );
            }
            assert!(token.bytes().all(|b| (0x20..0x7f).contains(&b)));
            assert!(!token.contains(['"', '\\']));
            assert!(token.as_bytes()[0].is_ascii_alphanumeric());
            assert!(token.as_bytes()[199].is_ascii_alphanumeric());
        }
    }
}
