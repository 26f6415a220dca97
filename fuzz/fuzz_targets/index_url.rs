//! The index URL builder, on any endpoint and any token.
//!
//! Properties: no panic; when the endpoint is accepted, the URL parses back,
//! its user is `aws`, its password percent-decodes to the token (the token
//! survives the round trip), it is printable ASCII without a comma (safe in
//! a comma-separated Glue argument), its path ends in exactly one
//! `/simple/` after exactly one slash, it splits as one shell word, its redacted form does not depend on the
//! token, and it points
//! at the same index as its credential-free form.
#![no_main]

use arbitrary::Arbitrary;
use glue_codeartifact_domain::{
    index_url::{IndexUrl, PackageFormat, same_index},
    secret::AuthToken,
};
use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use url::Url;

#[derive(Debug, Arbitrary)]
enum Endpoint {
    /// Any text.
    Raw(String),
    /// `http(s)://HOST[:PORT]/PATH`, closer to what CodeArtifact returns.
    Shaped {
        https: bool,
        host: String,
        port: Option<u16>,
        path: String,
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    endpoint: Endpoint,
    token: String,
}

fuzz_target!(|input: Input| {
    let endpoint = match &input.endpoint {
        Endpoint::Raw(text) => text.clone(),
        Endpoint::Shaped {
            https,
            host,
            port,
            path,
        } => format!(
            "{}://{host}{}/{path}",
            if *https { "https" } else { "http" },
            port.map(|p| format!(":{p}")).unwrap_or_default()
        ),
    };
    let token = AuthToken::new(input.token.clone());
    let Ok(url) = IndexUrl::build(&endpoint, &token, PackageFormat::Pypi) else {
        return;
    };
    let exposed = url.expose_secret();
    let parsed = Url::parse(exposed).expect("the index URL parses");
    assert_eq!(parsed.username(), "aws");
    let password = parsed.password().unwrap_or("");
    let decoded = percent_decode_str(password)
        .decode_utf8()
        .expect("UTF-8 password");
    assert_eq!(
        decoded, input.token,
        "the token does not survive the round trip"
    );
    assert!(exposed.chars().all(|c| c.is_ascii_graphic()), "{exposed:?}");
    assert!(!exposed.contains(','), "{exposed:?}");
    assert_eq!(
        shlex::split(exposed),
        Some(vec![exposed.to_owned()]),
        "not one shell word"
    );
    // The path is the endpoint's, with `simple/` added after exactly one
    // slash unless it is already there.
    let base = Url::parse(endpoint.trim()).expect("the endpoint was accepted");
    let path = base.path().trim_end_matches('/');
    let expected = if path.ends_with("/simple") || path == "simple" {
        format!("{path}/")
    } else {
        format!("{path}/simple/")
    };
    assert_eq!(parsed.path(), expected, "{exposed:?}");
    assert!(same_index(url.without_credentials(), exposed));
    let other = IndexUrl::build(&endpoint, &AuthToken::new("other"), PackageFormat::Pypi)
        .expect("the endpoint was accepted once");
    assert_eq!(url.redacted(), other.redacted());
    assert_eq!(url.to_string(), url.redacted());
    assert!(url.redacted().contains("aws:****@"));
    // Parsing the exposed URL again gives the same text.
    assert_eq!(parsed.as_str(), exposed);
});
