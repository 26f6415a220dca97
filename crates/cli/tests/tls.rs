//! The product over HTTPS, as against real CodeArtifact: the emulator's TLS
//! listener (`Config::tls`) serves the control plane, the index and the S3
//! stand-in with a certificate from a CA it made at start. The CLI trusts
//! a private CA the way each of its clients does by convention:
//! `SSL_CERT_FILE` (read by the AWS SDK's default HTTPS client and the
//! index client through rustls-native-certs, and by uv). Without it, the
//! self-signed chain is refused with a clear error and no token.

use test_stack::{make_wheel, make_wheel_requiring, unique_name};

use crate::util::{Stack, scratch};

fn tls_stack() -> (Stack, String) {
    let stack = Stack::with_config(|c| c.tls = true);
    let ca = stack
        .emulator
        .ca_file()
        .expect("a TLS emulator has a CA file")
        .to_string_lossy()
        .into_owned();
    assert!(stack.emulator.base_url().starts_with("https://127.0.0.1:"));
    make_wheel_requiring(&stack.packages, "acme-tools", "1.2.0", &["acme-core"]);
    make_wheel(&stack.packages, "acme-core", "2.0.0");
    (stack, ca)
}

#[test]
fn doctor_and_lock_trust_a_private_ca_from_ssl_cert_file() {
    let (stack, ca) = tls_stack();
    let job = stack.spark_job(|j| {
        j.glue_version(Some("5.0"))
            .default_argument("--additional-python-modules", "acme-tools")
    });
    let trust = [("SSL_CERT_FILE", ca.as_str())];

    let run = stack.doctor_json(&job, &[], &trust);
    run.assert_code(0);
    let findings = run.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings.iter().any(|f| f["check"] == "package-ok"),
        "{findings:?}"
    );
    assert!(
        stack.emulator.stats().index >= 1,
        "the index was read over HTTPS"
    );

    // uv reads SSL_CERT_FILE too (uv docs, "TLS certificates").
    let out = scratch(&unique_name("lock")).file("pylock.tls.toml");
    let run = stack.lock_json(&job, &out, &trust);
    run.assert_code(0);
    let names: Vec<String> = run.json()["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["acme-core", "acme-tools"], "{}", run.stdout);
    let lock = std::fs::read_to_string(&out).unwrap();
    assert!(lock.contains("https://127.0.0.1:"), "{lock}");
}

#[test]
fn an_untrusted_self_signed_certificate_is_refused_clearly() {
    let (stack, _ca) = tls_stack();
    let job = stack.spark_job(|j| {
        j.glue_version(Some("5.0"))
            .default_argument("--additional-python-modules", "acme-tools")
    });
    let run = stack.doctor_json(&job, &[], &[]);
    assert_ne!(run.code, 0, "{}", run.both());
    let text = run.both().to_lowercase();
    assert!(
        text.contains("certificate"),
        "the error names the certificate problem:\n{}",
        run.both()
    );
    assert!(
        text.contains("ssl_cert_file"),
        "the error says how to trust a private CA:\n{}",
        run.both()
    );
    assert!(
        stack.emulator.issued_tokens().is_empty(),
        "no token was minted over an untrusted connection"
    );
}
