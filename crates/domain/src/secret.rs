//! Secrets: the CodeArtifact token and every value built from it.
//!
//! A token carries the permissions of the IAM identity that minted it, so it
//! must never reach a log, an error, a `Debug`/`Display` output or a panic.
//! The types here keep it in a [`SecretString`] and redact it whenever they
//! are formatted. The only way to see it is an explicit `expose_secret()`.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// What a redacted secret prints as.
pub const REDACTED: &str = "****";

/// A CodeArtifact authorization token.
///
/// `Debug` and `Display` print [`REDACTED`].
#[derive(Clone)]
pub struct AuthToken(SecretString);

impl AuthToken {
    /// Wraps a token as returned by `GetAuthorizationToken`.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The token itself. Call this only where the token must leave the
    /// process: in the index URL sent to Glue, or printed by `index-url`.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(")?;
        f.write_str(REDACTED)?;
        f.write_str(")")
    }
}

impl fmt::Display for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A text that contains a secret, kept in two renderings: the real one and
/// one with the secret replaced by [`REDACTED`].
///
/// `Debug` and `Display` print the redacted rendering.
#[derive(Clone)]
pub struct SecretText {
    exposed: SecretString,
    redacted: String,
}

impl SecretText {
    /// Pairs a text holding a secret with its redacted rendering.
    pub fn new(exposed: String, redacted: String) -> Self {
        Self {
            exposed: SecretString::from(exposed),
            redacted,
        }
    }

    /// A text that holds no secret: both renderings are the same.
    pub fn public(text: impl Into<String>) -> Self {
        let text = text.into();
        Self::new(text.clone(), text)
    }

    /// The real text, secret included.
    pub fn expose_secret(&self) -> &str {
        self.exposed.expose_secret()
    }

    /// The text with the secret replaced by [`REDACTED`]: safe to print.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.redacted, f)
    }
}

impl fmt::Display for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl PartialEq for SecretText {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret() && self.redacted == other.redacted
    }
}

impl Eq for SecretText {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_token_formats_redacted() {
        let token = AuthToken::new("s3cr3t-token");
        assert_eq!(format!("{token}"), REDACTED);
        assert_eq!(format!("{token:?}"), "AuthToken(****)");
        assert_eq!(format!("{token:#?}"), "AuthToken(****)");
        assert_eq!(token.expose_secret(), "s3cr3t-token");
    }

    #[test]
    fn secret_text_formats_redacted() {
        let text = SecretText::new("a s3cr3t b".into(), format!("a {REDACTED} b"));
        assert_eq!(format!("{text}"), "a **** b");
        assert_eq!(format!("{text:?}"), "\"a **** b\"");
        assert!(!format!("{text:#?}").contains("s3cr3t"));
        assert_eq!(text.expose_secret(), "a s3cr3t b");
    }
}
