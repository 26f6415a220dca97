//! The package-index client against the emulator's HTTPS listener, whose
//! certificate comes from a CA the emulator made at start: not trusted
//! (nothing points `SSL_CERT_FILE` at it in this process), so the client
//! refuses it before sending anything, once, with an error that says how
//! to trust a private CA and holds no token. The trusted path is the CLI's
//! (`crates/cli/tests/tls.rs`, with `SSL_CERT_FILE`).

use codeartifact_emulator::{Config, EmulatorHandle, Repository};
use glue_codeartifact_app::package_index::{IndexError, PackageIndex, retrying};
use glue_codeartifact_domain::{
    index_url::{IndexUrl, PackageFormat},
    secret::AuthToken,
};

#[tokio::test]
async fn an_untrusted_certificate_is_refused_once_without_sending_the_token() {
    let dir = test_stack::scratch::scratch(&test_stack::unique_name("tls-packages"));
    let emulator = EmulatorHandle::spawn(Config {
        repositories: vec![Repository {
            domain: "acme".into(),
            name: "py-internal".into(),
            packages_dir: dir.to_path_buf(),
        }],
        tls: true,
        ..Config::default()
    })
    .unwrap();
    let ca = std::fs::read_to_string(emulator.ca_file().unwrap()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    let token = AuthToken::new("a-token-that-must-not-leak");
    let index = IndexUrl::build(
        &format!(
            "{}/acme-123456789012/pypi/py-internal/",
            emulator.base_url()
        ),
        &token,
        PackageFormat::Pypi,
    )
    .unwrap();
    let client = PackageIndex::new().unwrap();
    let err = retrying(|| client.project_page(&index, &token, "acme-tools"))
        .await
        .unwrap_err();
    let IndexError::Certificate(cause) = &err else {
        panic!("a certificate error: {err:?}");
    };
    assert!(cause.contains("certificate"), "{cause}");
    assert!(!err.is_transient(), "a refused certificate is not retried");
    let text = err.to_string();
    assert!(text.contains("SSL_CERT_FILE"), "{text}");
    for text in [text, format!("{err:?}")] {
        assert!(!text.contains(token.expose_secret()), "{text}");
    }
    // The handshake failed: no request reached the index.
    assert_eq!(emulator.stats().index, 0);
}
