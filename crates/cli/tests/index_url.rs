//! `index-url`: the one command that prints the token.

use crate::util::{ACCOUNT, DOMAIN, REPOSITORY, Stack};

#[test]
fn prints_an_authenticated_index_url() {
    let stack = Stack::new();
    let run = stack.cli(&["index-url", "--domain", DOMAIN, "--repository", REPOSITORY]);
    run.assert_code(0);
    let url = url::Url::parse(run.stdout.trim()).unwrap();
    assert_eq!(url.username(), "aws");
    assert_eq!(
        url.path(),
        format!("/{DOMAIN}-{ACCOUNT}/pypi/{REPOSITORY}/simple/")
    );
    let tokens = stack.emulator.issued_tokens();
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        url.password().unwrap(),
        tokens[0],
        "plain tokens need no encoding"
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn json_has_the_expiration() {
    let stack = Stack::new();
    let run = stack.cli(&[
        "index-url",
        "--domain",
        DOMAIN,
        "--repository",
        REPOSITORY,
        "--duration",
        "1h",
        "--output",
        "json",
    ]);
    run.assert_code(0);
    let body = run.json();
    assert!(
        body["index_url"]
            .as_str()
            .unwrap()
            .starts_with("http://aws:")
    );
    let expiration = humantime::parse_rfc3339(body["expiration"].as_str().unwrap()).unwrap();
    let left = expiration
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((3500..=3600).contains(&left), "{left}");
}
