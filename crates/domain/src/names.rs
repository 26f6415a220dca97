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
    }
}
