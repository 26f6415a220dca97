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

/// Redacts the user-info of every URL in one word: a shell word of pip
/// options (`--extra-index-url=https://bob:pw@host/…`, `-ihttps://…`), an
/// argument value, a requirement (`name @ https://tok@host/x.whl` split into
/// words). Inside one word, whitespace and quotes belong to the URL (a quoted
/// password may hold a space). See `redact_urls` (private) for the rule.
pub fn redact_word(word: &str) -> String {
    redact_urls(word, Scope::Word)
}

/// Redacts the user-info of every URL anywhere in free text: a message
/// from AWS (a run's `ErrorMessage`), a log line. A URL ends at whitespace,
/// or, when it follows a quote, at the closing quote (so a quoted password
/// with a space is redacted whole). See `redact_urls` (private) for the rule.
pub fn redact_text(text: &str) -> String {
    redact_urls(text, Scope::Text)
}

/// Replaces every one of `secrets` (a token as written in a URL, and as
/// decoded) in `text` by [`REDACTED`], then redacts every URL's user-info
/// by the one rule ([`redact_text`]). For text from a process that was given
/// the secrets (uv's stderr, a run's log lines), which may print a secret
/// outside a URL.
pub fn redact_known(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    redact_text(&out)
}

/// Where a URL may end, besides the end of its authority.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The text is one word: only `/ ? #` (and the next URL) end it.
    Word,
    /// Free text: whitespace or the closing quote ends it too.
    Text,
}

/// The one rule: every `SCHEME://USERINFO@HOST` in `text` becomes
/// `SCHEME://USER:****@HOST` when USERINFO holds a user and a non-empty
/// password, else `SCHEME://****@HOST`: a bare user name or one with an
/// empty password (`https://TOKEN@host/`, `https://TOKEN:@host/`) is the
/// credential itself. This is pip's rule (`pip._internal.utils.misc.
/// redact_netloc`) and uv's (`DisplaySafeUrl`), so what we print matches
/// what pip prints in the job's own logs; the user name beside a password
/// (`aws` for CodeArtifact, `__token__`) says which credential was used. The authority ends where pip's URL parser
/// (`urllib.parse`) ends it, at the first `/`, `?` or `#`, and USERINFO is
/// everything before its last `@`, so a password with an unencoded `@`,
/// `~`, `&` or space is covered whole. Any scheme counts (`git+https`,
/// `s3`), and so does a URL glued to an option (`-ihttps://…`,
/// `--index-url=https://…`, `'https://…'`).
fn redact_urls(text: &str, scope: Scope) -> String {
    let starts: Vec<(usize, usize)> = text
        .match_indices("://")
        .map(|(at, _)| (scheme_start(text, at), at + 3))
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (i, &(scheme, authority)) in starts.iter().enumerate() {
        if authority < copied {
            continue;
        }
        // A URL that follows a quote ends at the closing quote.
        let quote = text[..scheme]
            .chars()
            .next_back()
            .filter(|c| matches!(c, '\'' | '"'));
        let next_url = starts.get(i + 1).map_or(text.len(), |&(s, _)| s);
        let limit = next_url.max(authority);
        let end = text[authority..limit]
            .char_indices()
            .find(|&(_, c)| {
                matches!(c, '/' | '?' | '#')
                    || (scope == Scope::Text
                        && match quote {
                            Some(q) => c == q || c == '\n',
                            None => c.is_whitespace(),
                        })
            })
            .map_or(limit, |(pos, _)| authority + pos);
        let Some(at) = text[authority..end].rfind('@') else {
            continue;
        };
        let userinfo = &text[authority..authority + at];
        out.push_str(&text[copied..authority]);
        if let Some((user, password)) = userinfo.split_once(':')
            && !password.is_empty()
        {
            out.push_str(user);
            out.push(':');
        }
        out.push_str(REDACTED);
        copied = authority + at;
    }
    out.push_str(&text[copied..]);
    out
}

/// Where the scheme before `://` at `at` begins (RFC 3986: letters, digits,
/// `+ - .`).
fn scheme_start(text: &str, at: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .last()
        .map_or(at, |(pos, _)| pos)
}

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

    #[test]
    fn redacts_every_url_user_info() {
        for (text, want) in [
            (
                "https://bob:pw@h.example/simple/",
                "https://bob:****@h.example/simple/",
            ),
            ("https://TOKEN@h.example/", "https://****@h.example/"),
            ("https://TOKEN:@h.example/", "https://****@h.example/"),
            ("-ihttps://u:p@h/", "-ihttps://u:****@h/"),
            (
                "--extra-index-url=https://u:p@h/~x/?a=1&b=2",
                "--extra-index-url=https://u:****@h/~x/?a=1&b=2",
            ),
            ("https://u:p w@h/", "https://u:****@h/"),
            ("https://u:a@b@h/", "https://u:****@h/"),
            (
                "git+https://tok@github.com/o/r.git",
                "git+https://****@github.com/o/r.git",
            ),
            (
                "https://a:1@h1,https://b:2@h2",
                "https://a:****@h1,https://b:****@h2",
            ),
            (
                "https://h.example/simple/ bob@example.com",
                "https://h.example/simple/ bob@example.com",
            ),
            ("no url here @ all", "no url here @ all"),
            ("https://h/p@q", "https://h/p@q"),
        ] {
            assert_eq!(redact_word(text), want, "{text}");
        }
        assert_eq!(
            redact_text("failed: pip --extra-index-url 'https://u:p w@h/' x and https://t@h2 y"),
            "failed: pip --extra-index-url 'https://u:****@h/' x and https://****@h2 y"
        );
        assert_eq!(
            redact_text("see https://h.example and mail bob@example.com/x"),
            "see https://h.example and mail bob@example.com/x"
        );
        assert_eq!(redact_text("é://ü:ß@h"), "é://ü:****@h");
    }

    #[test]
    fn known_secrets_are_redacted_outside_urls_too() {
        assert_eq!(
            redact_known(
                "token a+b/c= or a b/c= at https://aws:a+b/c=@h/",
                &["a+b/c=", "a b/c=", ""]
            ),
            "token **** or **** at https://aws:****@h/"
        );
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        /// A password: any printable text but the characters that end a URL's
        /// authority for pip (`/ ? #`), and, in free text, whitespace.
        fn password(free_text: bool) -> impl Strategy<Value = String> {
            let class = if free_text {
                "[A-Za-z0-9~&@:%=+!$()*;,._-]{1,24}"
            } else {
                "[A-Za-z0-9~&@:%=+!$'()*;, ._-]{1,24}"
            };
            class.prop_filter("distinct from the fixed text", |p| {
                p.len() >= 6
                    && !"https://user:@host.example/simple/ --index-url=".contains(p.as_str())
            })
        }

        proptest! {
            #[test]
            fn no_password_survives_in_a_word(pw in password(false), bare in any::<bool>(), prefix in prop_oneof![Just(""), Just("--index-url="), Just("-i"), Just("--extra-index-url="), Just("pkg @ ")]) {
                // A bare token has no `:` (else its first part is a user name, kept).
                let pw = if bare { pw.replace(':', "") } else { pw };
                prop_assume!(pw.len() >= 6);
                let url = if bare { format!("https://{pw}@host.example/simple/") } else { format!("https://user:{pw}@host.example/simple/") };
                let word = format!("{prefix}{url}");
                let shown = redact_word(&word);
                prop_assert!(!shown.contains(&pw), "{} -> {}", word, shown);
                prop_assert!(shown.ends_with("****@host.example/simple/"), "{}", shown);
                if let Ok(parsed) = url::Url::parse(&shown[prefix.len()..]) {
                    prop_assert!(parsed.password().is_none_or(|p| p == REDACTED));
                }
            }

            #[test]
            fn no_password_survives_in_free_text(pw in password(true), before in "[ -~]{0,20}", after in "[ -~]{0,20}") {
                let text = format!("{before} https://user:{pw}@host.example/simple/ {after}");
                let shown = redact_text(&text);
                prop_assert!(!shown.contains(&format!(":{pw}@")), "{} -> {}", text, shown);
                prop_assert!(shown.contains("****@host.example/simple/"), "{}", shown);
            }

            #[test]
            fn never_panics(text in ".*") {
                let _ = redact_word(&text);
                let _ = redact_text(&text);
            }
        }
    }
}
