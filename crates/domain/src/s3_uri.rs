//! `s3://bucket/key` locations: one parser for every S3 path the tool reads
//! or writes (a wheelhouse prefix, an object, an item of
//! `--additional-python-modules`).
//!
//! A bucket name follows the rules of general purpose buckets (S3 User
//! Guide, "General purpose bucket naming rules"): 3 to 63 characters of
//! lowercase letters, digits, dots and hyphens, beginning and ending with a
//! letter or a digit, no two adjacent dots, not an IP address. A key is any
//! text of at most 1,024 bytes without control characters.
//!
//! ```
//! use glue_codeartifact_domain::s3_uri::S3Uri;
//!
//! let prefix = S3Uri::parse_prefix("s3://acme-glue/wheels")?;
//! assert_eq!(prefix.to_string(), "s3://acme-glue/wheels/");
//! let object = prefix.join("sha256/ab/acme_tools-1.2.0-py3-none-any.whl");
//! assert_eq!(object.bucket(), "acme-glue");
//! assert_eq!(object.key(), "wheels/sha256/ab/acme_tools-1.2.0-py3-none-any.whl");
//! assert_eq!(S3Uri::parse(&object.to_string())?, object);
//! # Ok::<(), glue_codeartifact_domain::s3_uri::S3UriError>(())
//! ```

use std::fmt;

/// The scheme, as S3 URIs write it.
pub const SCHEME: &str = "s3://";

/// The longest key S3 accepts, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// A location in S3: a bucket and a key (possibly empty, or a prefix that
/// ends with `/`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct S3Uri {
    bucket: String,
    key: String,
}

/// Why a text is not an S3 location.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum S3UriError {
    /// The text does not start with `s3://`.
    #[error("{text:?} is not an S3 URI: write it as s3://BUCKET/PREFIX/")]
    NotS3 {
        /// The text given.
        text: String,
    },
    /// The bucket name breaks S3's naming rules.
    #[error(
        "{bucket:?} is not an S3 bucket name ({reason}); bucket names are 3-63 lowercase letters, digits, dots and hyphens"
    )]
    Bucket {
        /// The bucket part.
        bucket: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    /// The key is too long or holds control characters.
    #[error("the S3 key in {text:?} is not usable ({reason})")]
    Key {
        /// The text given.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// An object was expected, but the URI names a bucket or a prefix.
    #[error("{text:?} names no S3 object (it is empty or ends with /)")]
    NotAnObject {
        /// The text given.
        text: String,
    },
}

impl S3Uri {
    /// Whether `text` is written as an S3 URI (`s3://…`, any case of the
    /// scheme), valid or not. Glue treats such items of
    /// `--additional-python-modules` as S3 paths.
    pub fn has_scheme(text: &str) -> bool {
        text.get(..SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
    }

    /// Parses `s3://bucket[/key]`. The scheme may be in any case (Glue and
    /// the AWS CLI accept `S3://`); the bucket and key are kept as written.
    pub fn parse(text: &str) -> Result<S3Uri, S3UriError> {
        if !S3Uri::has_scheme(text) {
            return Err(S3UriError::NotS3 {
                text: text.to_owned(),
            });
        }
        let rest = &text[SCHEME.len()..];
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        check_bucket(bucket)?;
        let key_error = |reason| S3UriError::Key {
            text: text.to_owned(),
            reason,
        };
        if key.len() > MAX_KEY_BYTES {
            return Err(key_error("longer than 1024 bytes"));
        }
        if key.chars().any(char::is_control) {
            return Err(key_error("it holds control characters"));
        }
        if key.starts_with('/') {
            return Err(key_error(
                "it starts with /, which makes an empty folder name",
            ));
        }
        Ok(S3Uri {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    /// Parses a prefix (`s3://bucket/wheels/`), adding the final `/` when it
    /// is missing, so that keys under it never run into a sibling
    /// (`wheels-old/`).
    pub fn parse_prefix(text: &str) -> Result<S3Uri, S3UriError> {
        let mut uri = S3Uri::parse(text)?;
        if !uri.key.is_empty() && !uri.key.ends_with('/') {
            uri.key.push('/');
        }
        if uri.key.len() > MAX_KEY_BYTES {
            return Err(S3UriError::Key {
                text: text.to_owned(),
                reason: "longer than 1024 bytes",
            });
        }
        Ok(uri)
    }

    /// Parses the location of one object (a non-empty key not ending in `/`).
    pub fn parse_object(text: &str) -> Result<S3Uri, S3UriError> {
        let uri = S3Uri::parse(text)?;
        if uri.key.is_empty() || uri.key.ends_with('/') {
            return Err(S3UriError::NotAnObject {
                text: text.to_owned(),
            });
        }
        Ok(uri)
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key (or prefix); empty for the bucket itself.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The location `relative` under this one: its key is this key followed
    /// by `relative`.
    pub fn join(&self, relative: &str) -> S3Uri {
        S3Uri {
            bucket: self.bucket.clone(),
            key: format!("{}{}", self.key, relative.trim_start_matches('/')),
        }
    }

    /// The bucket itself (an empty key).
    pub fn root(&self) -> S3Uri {
        S3Uri {
            bucket: self.bucket.clone(),
            key: String::new(),
        }
    }

    /// The last part of the key (an object's file name).
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/{}", self.bucket, self.key)
    }
}

fn check_bucket(bucket: &str) -> Result<(), S3UriError> {
    let fail = |reason| {
        Err(S3UriError::Bucket {
            bucket: bucket.to_owned(),
            reason,
        })
    };
    if bucket.is_empty() {
        return fail("it is empty");
    }
    if !(3..=63).contains(&bucket.len()) {
        return fail("it must be 3 to 63 characters long");
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return fail("only lowercase letters, digits, dots and hyphens are allowed");
    }
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !edge_ok(bucket.as_bytes()[0]) || !edge_ok(bucket.as_bytes()[bucket.len() - 1]) {
        return fail("it must begin and end with a letter or a digit");
    }
    if bucket.contains("..") {
        return fail("two adjacent dots are not allowed");
    }
    if bucket.parse::<std::net::Ipv4Addr>().is_ok() {
        return fail("it must not be an IP address");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_buckets_keys_and_prefixes() {
        let uri = S3Uri::parse("s3://acme-glue/wheels/a.whl").unwrap();
        assert_eq!((uri.bucket(), uri.key()), ("acme-glue", "wheels/a.whl"));
        assert_eq!(uri.file_name(), "a.whl");
        let uri = S3Uri::parse("S3://acme-glue").unwrap();
        assert_eq!((uri.bucket(), uri.key()), ("acme-glue", ""));
        assert_eq!(uri.to_string(), "s3://acme-glue/");
        let prefix = S3Uri::parse_prefix("s3://acme-glue/wheels").unwrap();
        assert_eq!(prefix.key(), "wheels/");
        assert_eq!(
            S3Uri::parse_prefix("s3://acme-glue/").unwrap().key(),
            "",
            "the bucket's root stays the root"
        );
        assert_eq!(prefix.join("/x/y.whl").key(), "wheels/x/y.whl");
        assert!(S3Uri::has_scheme("S3://b/x"));
        assert!(!S3Uri::has_scheme("s3:/b"));
        assert!(!S3Uri::has_scheme("s"));
    }

    #[test]
    fn refuses_what_s3_would_refuse() {
        for (text, what) in [
            ("https://acme/wheels/", "not an S3 URI"),
            ("acme-glue/wheels/", "not an S3 URI"),
            ("s3://", "it is empty"),
            ("s3:///wheels/", "it is empty"),
            ("s3://ab/", "3 to 63"),
            ("s3://Acme-Glue/", "lowercase"),
            ("s3://acme_glue/", "lowercase"),
            ("s3://-acme/", "begin and end"),
            ("s3://acme./", "begin and end"),
            ("s3://ac..me/", "adjacent dots"),
            ("s3://192.168.1.1/", "IP address"),
            ("s3://acme-glue//x", "starts with /"),
            ("s3://acme-glue/a\nb", "control characters"),
        ] {
            let err = S3Uri::parse_prefix(text).unwrap_err().to_string();
            assert!(err.contains(what), "{text}: {err}");
        }
        let long = format!("s3://acme-glue/{}", "k".repeat(1025));
        assert!(
            S3Uri::parse(&long)
                .unwrap_err()
                .to_string()
                .contains("1024")
        );
        let err = S3Uri::parse_object("s3://acme-glue/wheels/").unwrap_err();
        assert!(matches!(err, S3UriError::NotAnObject { .. }), "{err}");
    }

    // The fuzz target `fuzz/fuzz_targets/s3_uri.rs`'s property, as a
    // proptest that CI runs on stable: no panic in any form, and a parsed
    // URI prints as one that parses to the same bucket and key.
    proptest::proptest! {
        #[test]
        fn any_text_parses_without_panicking_and_round_trips(
            text in proptest::prop_oneof![
                ".{0,80}",
                "s3://[a-z0-9.-]{0,70}(/[ -~]{0,40}){0,3}",
                "[sS]3://.{0,40}",
            ]
        ) {
            let _ = S3Uri::parse_prefix(&text);
            let _ = S3Uri::parse_object(&text);
            if let Ok(uri) = S3Uri::parse(&text) {
                let _ = uri.file_name();
                let _ = uri.root().join(&text);
                let again = S3Uri::parse(&uri.to_string());
                proptest::prop_assert!(
                    again.as_ref().is_ok_and(|a| a.bucket() == uri.bucket() && a.key() == uri.key()),
                    "{} does not parse back: {:?}", uri, again
                );
            }
        }
    }
}
