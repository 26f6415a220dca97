//! The forms in which a token could leak, for the leak audits of the CLI
//! (`crates/cli/tests/token_leak.rs`) and the Lambda
//! (`crates/lambda/tests/reliability.rs`): built once, here, from the
//! product's own encoder, so that the audit looks for exactly what the
//! product would write.

use glue_codeartifact_domain::{
    index_url::{IndexUrl, PackageFormat},
    secret::AuthToken,
};

/// How many of a token's bytes the `Debug`-bytes form shows: enough to be
/// unique, short enough to match a prefix of a longer dump.
const DEBUG_BYTES: usize = 24;

/// Every form of `token` that could leak into output:
///
/// - the token as CodeArtifact issued it;
/// - the password of the index URL the product builds
///   (`glue_codeartifact_domain::index_url::IndexUrl::build`, whatever
///   characters it leaves unencoded: `~ . _ -` today);
/// - every non-alphanumeric character percent-encoded (how a query string
///   or another encoder would write it);
/// - the first bytes as `Debug` prints a byte slice (`[123, 34, …]`), as
///   the SDK's signing logs dump request bodies.
///
/// Forms equal to another are listed once.
pub fn token_forms(token: &str) -> Vec<String> {
    let mut forms = vec![token.to_owned()];
    let mut push = |form: String| {
        if !form.is_empty() && !forms.contains(&form) {
            forms.push(form);
        }
    };
    push(product_encoded(token));
    push(
        percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC).collect(),
    );
    let bytes: Vec<String> = token
        .bytes()
        .take(DEBUG_BYTES)
        .map(|b| b.to_string())
        .collect();
    push(bytes.join(", "));
    forms
}

/// The token as the password of the index URL the product builds.
pub fn product_encoded(token: &str) -> String {
    let index = IndexUrl::build(
        "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/",
        &AuthToken::new(token),
        PackageFormat::Pypi,
    )
    .expect("the product builds an index URL for any token");
    let url = url::Url::parse(index.expose_secret()).expect("the index URL parses");
    url.password()
        .expect("the index URL carries the token as its password")
        .to_owned()
}

/// The forms of every token in `tokens`.
pub fn all_token_forms(tokens: &[String]) -> Vec<String> {
    tokens.iter().flat_map(|t| token_forms(t)).collect()
}

/// Panics, naming `context`, if any form of any of `tokens` is in `text`.
#[track_caller]
pub fn assert_no_token(tokens: &[String], text: &str, context: &str) {
    for form in all_token_forms(tokens) {
        assert!(
            !text.contains(&form),
            "a token leaked into {context} (as {form:?}):\n{text}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_s_own_encoding_is_a_form() {
        // `~ . _ -` are left as they are by the product, and encoded by a
        // NON_ALPHANUMERIC encoder: an audit with only the latter could not
        // find a leaked index URL.
        let token = "ab~c.d_e-f+g/h=";
        let forms = token_forms(token);
        assert!(
            forms.contains(&"ab~c.d_e-f%2Bg%2Fh%3D".to_owned()),
            "{forms:?}"
        );
        assert!(
            forms.contains(&"ab%7Ec%2Ed%5Fe%2Df%2Bg%2Fh%3D".to_owned()),
            "{forms:?}"
        );
        assert!(
            forms.contains(
                &"97, 98, 126, 99, 46, 100, 95, 101, 45, 102, 43, 103, 47, 104, 61".to_owned()
            ),
            "{forms:?}"
        );
        // What the product writes is caught.
        let index = IndexUrl::build(
            "https://acme-111122223333.d.codeartifact.us-east-1.amazonaws.com/pypi/r/",
            &AuthToken::new(token),
            PackageFormat::Pypi,
        )
        .unwrap();
        let leaked = format!("--index-url={}", index.expose_secret());
        let caught = std::panic::catch_unwind(|| {
            assert_no_token(&[token.to_owned()], &leaked, "a test");
        });
        assert!(caught.is_err(), "the audit missed {leaked}");
        assert_no_token(&[token.to_owned()], &index.to_string(), "the redacted URL");
    }

    #[test]
    fn a_plain_token_has_no_duplicate_forms() {
        let forms = token_forms("abc");
        assert_eq!(forms, ["abc", "97, 98, 99"]);
    }
}
