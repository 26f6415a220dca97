//! The optional TLS listener ([`crate::Config::tls`]): real CodeArtifact
//! and S3 speak only HTTPS, so clients must verify a certificate; a test
//! over plain HTTP never exercises how they are told whom to trust.
//!
//! At start the emulator makes a CA of its own (rcgen) and a server
//! certificate it issues for `127.0.0.1`, `::1` and `localhost`, serves
//! both listeners with rustls, and writes the CA certificate (PEM) to a
//! file of a fresh temporary directory ([`Tls::ca_file`]) that clients are
//! pointed at, e.g. `SSL_CERT_FILE` (the AWS SDK for Rust's default client,
//! the product's index client, uv), boto3's `verify=`, pip's `--cert`. The
//! directory is removed when the emulator stops. The CA key never leaves
//! the process.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The emulator's TLS material: the acceptor both listeners use, and the CA
/// certificate clients must trust.
pub(crate) struct Tls {
    pub acceptor: TlsAcceptor,
    ca_pem: String,
    ca_file: PathBuf,
    /// Holds `ca_file`; removed on drop.
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Makes a CA and a server certificate, and writes the CA certificate
    /// to `ca.pem` in a new temporary directory.
    pub fn generate() -> io::Result<Tls> {
        let (ca_pem, chain, key) = issue().map_err(io::Error::other)?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(io::Error::other)?;
        let dir = tempfile::Builder::new()
            .prefix("codeartifact-emulator-ca-")
            .tempdir()?;
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &ca_pem)?;
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem,
            ca_file,
            _dir: dir,
        })
    }

    /// The CA certificate file (PEM) clients must trust.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

/// The CA certificate (PEM), the server's chain (leaf, then CA) and its key.
fn issue() -> Result<
    (
        String,
        Vec<rustls::pki_types::CertificateDer<'static>>,
        PrivateKeyDer<'static>,
    ),
    rcgen::Error,
> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "codeartifact-emulator test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec![
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "localhost".to_owned(),
    ])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "codeartifact-emulator");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&key, &issuer)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((
        ca_cert.pem(),
        vec![leaf_cert.der().clone(), ca_cert.der().clone()],
        key,
    ))
}
