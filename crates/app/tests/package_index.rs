//! The package-index client against the CodeArtifact emulator over HTTP:
//! both page formats parse to the same files, and each failure maps to its
//! error. The token comes from the emulator's control plane, through the
//! project's own AWS adapter.

use codeartifact_emulator::{
    Config, EmulatorHandle, Fault, FaultKind, Operation, RefusedStatus, Repository,
};
use glue_codeartifact_app::package_index::{
    IndexError, PackageIndex, PageFormat, RETRY_ATTEMPTS, file_url, project_url, retrying,
};
use glue_codeartifact_aws::{CodeArtifact, SdkConfig};
use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::{IndexUrl, PackageFormat},
    secret::AuthToken,
};

const DOMAIN: &str = "acme";
const REPOSITORY: &str = "py-internal";

struct Fixture {
    emulator: EmulatorHandle,
    index: IndexUrl,
    token: AuthToken,
    /// The emulator's packages, removed on drop.
    dir: tempfile::TempDir,
    refused_status: RefusedStatus,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    test_stack::make_wheel_with(
        dir.path(),
        "acme-tools",
        "1.2.0",
        &["--requires-python", ">=3.8"],
    );
    test_stack::make_wheel_with(dir.path(), "acme-tools", "1.1.0", &["--sdist"]);
    let config = Config {
        repositories: vec![Repository {
            domain: DOMAIN.into(),
            name: REPOSITORY.into(),
            packages_dir: dir.path().to_path_buf(),
        }],
        ..Config::default()
    };
    let refused_status = config.refused_status;
    let emulator = EmulatorHandle::spawn(config).unwrap();
    let config = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("testing", "testing", None, None, "test"),
            ),
        )
        .endpoint_url(emulator.base_url())
        .build();
    let codeartifact = CodeArtifact::new(&config);
    let endpoint = codeartifact
        .get_repository_endpoint(DOMAIN, None, REPOSITORY, PackageFormat::Pypi, None)
        .await
        .unwrap();
    let token = codeartifact
        .get_authorization_token(DOMAIN, None, TokenDuration::MIN)
        .await
        .unwrap()
        .token;
    let index = IndexUrl::build(&endpoint, &token, PackageFormat::Pypi).unwrap();
    Fixture {
        emulator,
        index,
        token,
        dir,
        refused_status,
    }
}

#[tokio::test]
async fn json_and_html_pages_agree() {
    let f = fixture().await;
    let json = PackageIndex::new()
        .unwrap()
        .project_page(&f.index, &f.token, "acme-tools")
        .await
        .unwrap();
    let html = PackageIndex::new()
        .unwrap()
        .with_format(PageFormat::Html)
        .project_page(&f.index, &f.token, "acme-tools")
        .await
        .unwrap();
    assert_eq!(json, html);
    let mut names: Vec<_> = json.files.iter().map(|f| f.filename.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "acme_tools-1.1.0.tar.gz",
            "acme_tools-1.2.0-py3-none-any.whl"
        ]
    );
    let wheel = json
        .files
        .iter()
        .find(|f| f.filename.ends_with(".whl"))
        .unwrap();
    assert_eq!(wheel.requires_python.as_deref(), Some(">=3.8"));
    assert!(f.emulator.stats().index >= 2);
}

#[tokio::test]
async fn failures_map_to_errors() {
    let f = fixture().await;
    let client = PackageIndex::new().unwrap();
    assert_eq!(
        client
            .project_page(&f.index, &f.token, "no-such-project")
            .await,
        Err(IndexError::NotFound)
    );
    // A refused token: 404 by default, as CodeArtifact is reported to
    // answer (astral-sh/uv#11899), or 401.
    let wrong = AuthToken::new("not-a-token-the-emulator-issued");
    let want = match f.refused_status {
        RefusedStatus::NotFound => IndexError::NotFound,
        RefusedStatus::Unauthorized => IndexError::Refused { status: 401 },
    };
    assert_eq!(
        client.project_page(&f.index, &wrong, "acme-tools").await,
        Err(want)
    );
    for (kind, want) in [
        (
            FaultKind::AccessDenied {
                action: String::new(),
            },
            IndexError::Refused { status: 403 },
        ),
        (FaultKind::Unavailable, IndexError::Status { status: 503 }),
    ] {
        f.emulator.inject_fault(Fault {
            operation: Operation::Index,
            kind,
            count: Some(1),
        });
        assert_eq!(
            client.project_page(&f.index, &f.token, "acme-tools").await,
            Err(want)
        );
    }
    f.emulator.inject_fault(Fault {
        operation: Operation::Index,
        kind: FaultKind::ConnectionReset,
        count: Some(1),
    });
    let err = client
        .project_page(&f.index, &f.token, "acme-tools")
        .await
        .unwrap_err();
    assert!(matches!(err, IndexError::Transport(_)), "{err:?}");
    // Nothing the client says carries the token.
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(f.token.expose_secret()), "{text}");
    }
    // And the index still answers afterwards.
    assert!(
        client
            .project_page(&f.index, &f.token, "acme-tools")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_unreachable_index_is_a_transport_error() {
    let token = AuthToken::new("t");
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let index = IndexUrl::build(
        &format!("http://127.0.0.1:{port}/acme-123456789012/pypi/r/"),
        &token,
        PackageFormat::Pypi,
    )
    .unwrap();
    let err = PackageIndex::new()
        .unwrap()
        .project_page(&index, &token, "a")
        .await
        .unwrap_err();
    assert!(matches!(err, IndexError::Transport(_)), "{err:?}");
}

const WHEEL: &str = "acme_tools-1.2.0-py3-none-any.whl";

/// The wheel's link as CodeArtifact writes it: `VERSION/FILE#sha256=…`.
fn wheel_url(f: &Fixture) -> url::Url {
    file_url(&f.index, "acme-tools", &format!("1.2.0/{WHEEL}#sha256=0")).unwrap()
}

#[tokio::test]
async fn downloads_follow_the_s3_redirect_without_the_token() {
    let f = fixture().await;
    let url = wheel_url(&f);
    assert_eq!(
        url.as_str(),
        project_url(&f.index, "acme-tools")
            .unwrap()
            .join(&format!("1.2.0/{WHEEL}"))
            .unwrap()
            .as_str()
    );
    let bytes = PackageIndex::new()
        .unwrap()
        .download(&f.index, &f.token, &url, 10 * 1024 * 1024)
        .await
        .unwrap();
    // The emulator's S3 answers 400 to a forwarded token, so bytes prove
    // the token stayed on the index.
    assert_eq!(
        &bytes[..],
        &std::fs::read(f.dir.path().join(WHEEL)).unwrap()[..]
    );
    let stats = f.emulator.stats();
    assert_eq!(stats.s3, 1, "{stats:?}");
    let s3 = f
        .emulator
        .requests()
        .into_iter()
        .find(|r| r.operation == Operation::S3)
        .unwrap();
    assert_eq!(s3.status, Some(200));
}

#[tokio::test]
async fn download_failures_map_to_errors() {
    let f = fixture().await;
    let client = PackageIndex::new().unwrap();
    let url = wheel_url(&f);

    // Too large: the limit is enforced on the body.
    let err = client.download(&f.index, &f.token, &url, 10).await;
    assert_eq!(err, Err(IndexError::FileTooLarge { limit: 10 }));

    // A file the index does not have.
    let missing = file_url(
        &f.index,
        "acme-tools",
        "9.9/acme_tools-9.9-py3-none-any.whl",
    )
    .unwrap();
    assert_eq!(
        client.download(&f.index, &f.token, &missing, 1 << 20).await,
        Err(IndexError::NotFound)
    );

    // S3 refusing: its code is kept, nothing else of its body.
    f.emulator.inject_fault(Fault {
        operation: Operation::S3,
        kind: FaultKind::AccessDenied {
            action: String::new(),
        },
        count: Some(1),
    });
    let err = client
        .download(&f.index, &f.token, &url, 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        IndexError::Storage {
            status: 403,
            code: Some("AccessDenied".into())
        }
    );
    for text in [format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(f.token.expose_secret()), "{text}");
        assert!(!text.contains("X-Amz"), "{text}");
    }

    // A link to another host is refused before the token is sent.
    let foreign = url::Url::parse("http://127.0.0.2:9/acme_tools-1.2.0-py3-none-any.whl").unwrap();
    assert!(matches!(
        client.download(&f.index, &f.token, &foreign, 1 << 20).await,
        Err(IndexError::BadFileUrl(_))
    ));
    assert_eq!(f.emulator.stats().s3, 2);
}

#[tokio::test]
async fn transient_failures_are_retried_a_bounded_number_of_times() {
    let f = fixture().await;
    let client = PackageIndex::new().unwrap();
    f.emulator.inject_fault(Fault {
        operation: Operation::Index,
        kind: FaultKind::Unavailable,
        count: Some(2),
    });
    let page = retrying(|| client.project_page(&f.index, &f.token, "acme-tools")).await;
    assert!(page.is_ok(), "{page:?}");
    f.emulator.inject_fault(Fault {
        operation: Operation::Index,
        kind: FaultKind::ConnectionReset,
        count: None,
    });
    let before = f.emulator.stats().index;
    let err = retrying(|| client.project_page(&f.index, &f.token, "acme-tools"))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(f.emulator.stats().index - before, u64::from(RETRY_ATTEMPTS));
    f.emulator.clear_faults();
    // A definite answer is not retried.
    let before = f.emulator.stats().index;
    let err = retrying(|| client.project_page(&f.index, &f.token, "no-such-project")).await;
    assert_eq!(err, Err(IndexError::NotFound));
    assert_eq!(f.emulator.stats().index - before, 1);
}
