//! AWS names and IDs, as the services define them: the one check of each.
//! (The CodeArtifact emulator keeps its own copy on purpose: a stand-in
//! should not depend on the code it tests.)

/// An AWS account ID: exactly 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// CodeArtifact `CreateDomain`: `[a-z][a-z0-9\-]{0,48}[a-z0-9]`.
pub fn is_domain_name(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=50).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// [`is_domain_name`]'s rule, in words.
pub const DOMAIN_NAME_RULE: &str = "a CodeArtifact domain name is 2 to 50 lower-case letters, digits and dashes, starting with a letter and not ending with a dash";

/// [`is_repository_name`]'s rule, in words.
pub const REPOSITORY_NAME_RULE: &str = "a CodeArtifact repository name is 2 to 100 letters, digits, dots, dashes and underscores, starting with a letter or digit";

/// Checks a domain name: `Err` holds what is wrong (empty, or the rule).
pub fn check_domain_name(s: &str) -> Result<(), String> {
    check(s, is_domain_name, DOMAIN_NAME_RULE)
}

/// Checks a repository name: `Err` holds what is wrong (empty, or the rule).
pub fn check_repository_name(s: &str) -> Result<(), String> {
    check(s, is_repository_name, REPOSITORY_NAME_RULE)
}

fn check(s: &str, is_valid: fn(&str) -> bool, rule: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err("it is empty; give the name".to_owned())
    } else if is_valid(s) {
        Ok(())
    } else {
        Err(format!("{s:?} is not valid: {rule}"))
    }
}

/// CodeArtifact `CreateRepository`: `[A-Za-z0-9][A-Za-z0-9._\-]{1,99}`.
pub fn is_repository_name(s: &str) -> bool {
    let b = s.as_bytes();
    (2..=100).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_and_names() {
        assert!(is_account_id("111122223333"));
        for bad in [
            "",
            "11112222333",
            "1111222233334",
            "11112222333x",
            "１11122223333",
        ] {
            assert!(!is_account_id(bad), "{bad}");
        }
        assert!(is_domain_name("acme-1") && !is_domain_name("Acme") && !is_domain_name("a-"));
        assert!(
            is_repository_name("py-internal")
                && !is_repository_name("-x")
                && !is_repository_name("a")
        );
        assert_eq!(check_domain_name("acme"), Ok(()));
        assert_eq!(check_repository_name("py-internal"), Ok(()));
        assert!(check_domain_name("  ").unwrap_err().contains("empty"));
        let err = check_domain_name("Acme").unwrap_err();
        assert!(
            err.contains("\"Acme\"") && err.contains("lower-case"),
            "{err}"
        );
        let err = check_repository_name("py internal").unwrap_err();
        assert!(err.contains("2 to 100"), "{err}");
    }
}
