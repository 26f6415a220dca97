//! The emulator over real HTTP, with a minimal hand-written HTTP/1.1 client.

use std::io::{self, Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use codeartifact_emulator::{
    Config, EmulatorHandle, Fault, FaultKind, Operation, RefusedStatus, Repository, Stats,
    TokenStyle,
};
use serde_json::Value;
use tempfile::TempDir;

const WHEEL: &str = "acme_tools-1.2.0-py3-none-any.whl";
const WHEEL_BYTES: &[u8] = b"not really a zip, but the index does not care";
const SIGNED: (&str, &str) = (
    "Authorization",
    "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/codeartifact/aws4_request, SignedHeaders=host, Signature=0",
);

/// An emulator with repository `acme/pypi-store` serving one wheel, and
/// `other/private` serving another.
fn start(tweak: impl FnOnce(&mut Config)) -> (EmulatorHandle, TempDir, TempDir) {
    let packages = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(packages.path().join(WHEEL), WHEEL_BYTES).unwrap();
    std::fs::write(empty.path().join(OTHER_WHEEL), WHEEL_BYTES).unwrap();
    let mut config = Config {
        repositories: vec![
            Repository {
                domain: "acme".into(),
                name: "pypi-store".into(),
                packages_dir: packages.path().to_path_buf(),
            },
            Repository {
                domain: "other".into(),
                name: "private".into(),
                packages_dir: empty.path().to_path_buf(),
            },
        ],
        // The real-shaped defaults, whatever the environment says.
        refused_status: RefusedStatus::NotFound,
        session_remaining: Duration::from_secs(3_600),
        ..Config::default()
    };
    tweak(&mut config);
    (EmulatorHandle::spawn(config).unwrap(), packages, empty)
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

/// Sends one request with `Connection: close` and reads the whole answer.
fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> io::Result<Reply> {
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no response head"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(base, "GET", path, headers, "").unwrap()
}

fn post(base: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    send(base, "POST", path, headers, body).unwrap()
}

fn basic(token: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("aws:{token}")))
}

fn request_token(base: &str, domain: &str, query: &str) -> Reply {
    post(
        base,
        &format!("/v1/authorization-token?domain={domain}{query}"),
        &[SIGNED],
        "",
    )
}

fn issue(base: &str) -> String {
    let reply = request_token(base, "acme", "&duration=900");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["authorizationToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

const INDEX: &str = "/acme-123456789012/pypi/pypi-store/simple/";
/// A project page of `acme/pypi-store`, for requests that only check auth.
const PAGE: &str = "/acme-123456789012/pypi/pypi-store/simple/acme-tools/";
const OTHER_WHEEL: &str = "other_pkg-1.0-py3-none-any.whl";
const OTHER_PAGE: &str = "/other-123456789012/pypi/private/simple/other-pkg/";

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn issues_a_token_that_opens_the_index() {
    let (emulator, packages, _empty) = start(|_| {});
    let base = emulator.base_url();

    let reply = request_token(&base, "acme", "&domain-owner=123456789012&duration=900");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(reply.header("x-amzn-requestid").is_some());
    let body = reply.json();
    let token = body["authorizationToken"].as_str().unwrap().to_owned();
    let expiration = body["expiration"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        (now + 890..=now + 901).contains(&expiration),
        "{expiration} vs {now}"
    );
    assert!(token.len() > 150);
    assert_eq!(emulator.issued_tokens(), vec![token.clone()]);

    let auth = basic(&token);
    // CodeArtifact has no project list (guide, "Python compatibility").
    let list = get(&base, INDEX, &[("Authorization", &auth)]);
    assert_eq!(list.status, 404, "{}", list.text());

    let page = get(
        &base,
        &format!("{INDEX}acme-tools/"),
        &[("Authorization", &auth)],
    );
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    // Versioned links, as CodeArtifact's (astral-sh/uv#1860, #2444).
    let link = format!("href=\"1.2.0/{WHEEL}#sha256={}\"", sha256_hex(WHEEL_BYTES));
    assert!(page.text().contains(&link), "{}", page.text());

    let json = get(
        &base,
        &format!("{INDEX}acme-tools/"),
        &[
            ("Authorization", &auth),
            ("Accept", "application/vnd.pypi.simple.v1+json"),
        ],
    );
    assert_eq!(
        json.header("content-type"),
        Some("application/vnd.pypi.simple.v1+json")
    );
    let json = json.json();
    assert_eq!(json["name"], "acme-tools");
    assert_eq!(json["files"][0]["filename"], WHEEL);
    assert_eq!(
        json["files"][0]["hashes"]["sha256"],
        sha256_hex(WHEEL_BYTES)
    );

    assert_eq!(json["files"][0]["url"], format!("1.2.0/{WHEEL}"));
    // API 1.1 (PEP 700) with versions, size and upload-time; sha256 and md5;
    // "yanked": false.
    assert_eq!(json["meta"]["api-version"], "1.1");
    assert_eq!(json["versions"], serde_json::json!(["1.2.0"]));
    assert_eq!(json["files"][0]["size"], WHEEL_BYTES.len());
    assert_eq!(json["files"][0]["yanked"], false);
    assert_eq!(
        json["files"][0]["hashes"]["md5"].as_str().unwrap().len(),
        32
    );
    let uploaded = json["files"][0]["upload-time"].as_str().unwrap();
    assert!(
        uploaded.len() == 27 && uploaded.ends_with('Z'),
        "{uploaded}"
    );
    // A 406 for an Accept the index cannot serve.
    let refused = get(
        &base,
        &format!("{INDEX}acme-tools/"),
        &[("Authorization", &auth), ("Accept", "application/xml")],
    );
    assert_eq!(refused.status, 406);
    // Yanked files: a `FILENAME.yanked` marker holds the reason.
    std::fs::write(
        packages.path().join(format!("{WHEEL}.yanked")),
        "broken build\n",
    )
    .unwrap();
    let yanked = get(
        &base,
        &format!("{INDEX}acme-tools/"),
        &[
            ("Authorization", &auth),
            ("Accept", "application/vnd.pypi.simple.v1+json"),
        ],
    )
    .json();
    assert_eq!(yanked["files"][0]["yanked"], "broken build");
    let page = get(
        &base,
        &format!("{INDEX}acme-tools/"),
        &[("Authorization", &auth)],
    );
    assert!(
        page.text().contains(r#"data-yanked="broken build""#),
        "{}",
        page.text()
    );
    std::fs::remove_file(packages.path().join(format!("{WHEEL}.yanked"))).unwrap();

    let file = get(
        &base,
        &format!("{INDEX}acme-tools/1.2.0/{WHEEL}"),
        &[("Authorization", &auth)],
    );
    assert_eq!(file.status, 307);
    let location = file.header("location").unwrap();
    assert!(location.starts_with(&emulator.s3_base_url()), "{location}");
    let (s3_base, s3_path) = location.split_at(emulator.s3_base_url().len());
    let file = get(s3_base, s3_path, &[]);
    assert_eq!(file.status, 200);
    assert_eq!(file.body, WHEEL_BYTES);
    // The unversioned path is not a file.
    let file = get(
        &base,
        &format!("{INDEX}acme-tools/{WHEEL}"),
        &[("Authorization", &auth)],
    );
    assert_eq!(file.status, 404);

    // Non-normalized names redirect; unknown projects are 404.
    let redirect = get(
        &base,
        &format!("{INDEX}Acme_Tools/"),
        &[("Authorization", &auth)],
    );
    assert_eq!(redirect.status, 301);
    assert_eq!(
        redirect.header("location"),
        Some(&*format!("{INDEX}acme-tools/"))
    );
    let missing = get(&base, &format!("{INDEX}nope/"), &[("Authorization", &auth)]);
    assert_eq!(missing.status, 404);

    // Files added after start are served.
    std::fs::write(packages.path().join("acme-extra-0.1.tar.gz"), b"sdist").unwrap();
    let extra = get(
        &base,
        &format!("{INDEX}acme-extra/"),
        &[("Authorization", &auth)],
    );
    assert!(extra.text().contains("0.1/acme-extra-0.1.tar.gz"));

    assert_eq!(
        emulator.stats(),
        Stats {
            get_authorization_token: 1,
            get_repository_endpoint: 0,
            index: 10,
            s3: 1,
            max_in_flight_control_plane: 1,
        }
    );
}

/// Files come from S3 by a 307 to a presigned URL, and S3 takes only one
/// auth mechanism (ansible-collections/community.general#1171).
#[test]
fn downloads_redirect_to_a_presigned_s3_url_that_refuses_a_second_credential() {
    let (emulator, _packages, _empty) = start(|_| {});
    let base = emulator.base_url();
    let auth = basic(&issue(&base));
    let path = format!("{INDEX}acme-tools/1.2.0/{WHEEL}");
    // The index wants the token before it redirects.
    assert_ne!(get(&base, &path, &[]).status, 307);
    let reply = get(&base, &path, &[("Authorization", &auth)]);
    assert_eq!(reply.status, 307);
    let location = reply.header("location").unwrap().to_owned();
    let s3 = emulator.s3_base_url();
    let presigned = location.strip_prefix(&s3).unwrap();
    for param in [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Credential=",
        "X-Amz-Date=",
        "X-Amz-Expires=",
        "X-Amz-SignedHeaders=host",
        "&X-Amz-Signature=",
    ] {
        assert!(presigned.contains(param), "{presigned}");
    }
    assert!(presigned.starts_with("/assets-123456789012-us-east-1/"));

    // The token forwarded: 400 InvalidArgument, S3's wording.
    let forwarded = get(&s3, presigned, &[("Authorization", &auth)]);
    assert_eq!(forwarded.status, 400);
    assert_eq!(forwarded.header("content-type"), Some("application/xml"));
    let text = forwarded.text();
    assert!(text.contains("<Code>InvalidArgument</Code>"), "{text}");
    assert!(
        text.contains("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"),
        "{text}"
    );
    assert!(text.contains("<ArgumentName>Authorization</ArgumentName>"));

    // No signature: 403 AccessDenied; a wrong one: 403 SignatureDoesNotMatch.
    let (unsigned, _) = presigned.rsplit_once("&X-Amz-Signature=").unwrap();
    let reply = get(&s3, unsigned, &[]);
    assert_eq!(reply.status, 403);
    assert!(reply.text().contains("<Code>AccessDenied</Code>"));
    let bare = presigned.split_once('?').unwrap().0;
    assert_eq!(get(&s3, bare, &[]).status, 403);
    let tampered = format!("{unsigned}&X-Amz-Signature={}", "0".repeat(64));
    let reply = get(&s3, &tampered, &[]);
    assert_eq!(reply.status, 403);
    assert!(reply.text().contains("<Code>SignatureDoesNotMatch</Code>"));

    // The presigned URL works without credentials, until it expires.
    let reply = get(&s3, presigned, &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, WHEEL_BYTES);
    emulator.advance_clock(Duration::from_secs(901));
    let reply = get(&s3, presigned, &[]);
    assert_eq!(reply.status, 403);
    assert!(
        reply.text().contains("Request has expired"),
        "{}",
        reply.text()
    );

    // Unknown versions or files are not redirected.
    let auth = basic(&issue(&base));
    for missing in [
        format!("{INDEX}acme-tools/9.9/{WHEEL}"),
        format!("{INDEX}acme-tools/1.2.0/other.whl"),
    ] {
        assert_eq!(
            get(&base, &missing, &[("Authorization", &auth)]).status,
            404
        );
    }
    // The request log never holds the presigned query or the token.
    for record in emulator.requests() {
        assert!(!record.path.contains("X-Amz-Signature"), "{record:?}");
    }
}

/// No credentials: 401 with a Bearer challenge (pex-tool/pex#1803). Refused
/// credentials: 404 by default (astral-sh/uv#11899), 401 as an option.
#[test]
fn the_index_refuses_bad_missing_foreign_and_expired_tokens() {
    for refused in [RefusedStatus::NotFound, RefusedStatus::Unauthorized] {
        let (emulator, _packages, _empty) = start(|c| c.refused_status = refused);
        let base = emulator.base_url();
        let token = issue(&base);

        let reply = get(&base, PAGE, &[]);
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="codeartifact""#)
        );
        for auth in [
            basic("not-a-token"),
            "Bearer not-a-token".to_owned(),
            format!("Basic {}", STANDARD.encode(format!("someone:{token}"))),
            "Digest x".to_owned(),
        ] {
            let reply = get(&base, PAGE, &[("Authorization", &auth)]);
            assert_eq!(reply.status, refused.code(), "{auth:?}");
            let challenge = reply.header("www-authenticate");
            match refused {
                RefusedStatus::Unauthorized => {
                    assert_eq!(challenge, Some(r#"Bearer realm="codeartifact""#));
                }
                RefusedStatus::NotFound => assert_eq!(challenge, None),
            }
        }
        // A Bearer token is accepted (guide, "Python compatibility").
        let bearer = format!("Bearer {token}");
        assert_eq!(get(&base, PAGE, &[("Authorization", &bearer)]).status, 200);

        // A token for one domain does not open another's repositories.
        let other = request_token(&base, "other", "").json()["authorizationToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let reply = get(&base, PAGE, &[("Authorization", &basic(&other))]);
        assert_eq!(reply.status, refused.code());
        let reply = get(&base, OTHER_PAGE, &[("Authorization", &basic(&other))]);
        assert_eq!(reply.status, 200);

        // Expiry follows the emulator's clock: 900 s tokens die after 900 s.
        let auth = basic(&token);
        assert_eq!(get(&base, PAGE, &[("Authorization", &auth)]).status, 200);
        emulator.advance_clock(Duration::from_secs(880));
        assert_eq!(get(&base, PAGE, &[("Authorization", &auth)]).status, 200);
        emulator.advance_clock(Duration::from_secs(20));
        assert_eq!(
            get(&base, PAGE, &[("Authorization", &auth)]).status,
            refused.code()
        );
        // ...while the 12-hour default token is still good.
        assert_eq!(
            get(&base, OTHER_PAGE, &[("Authorization", &basic(&other))]).status,
            200
        );

        // The refuse_token fault answers the same way.
        emulator.inject_fault(Fault {
            operation: Operation::Index,
            kind: FaultKind::RefuseToken,
            count: Some(1),
        });
        let auth = basic(&issue(&base));
        assert_eq!(
            get(&base, PAGE, &[("Authorization", &auth)]).status,
            refused.code()
        );
        assert_eq!(get(&base, PAGE, &[("Authorization", &auth)]).status, 200);
    }
}

#[test]
fn the_project_list_is_an_option() {
    let (emulator, _packages, _empty) = start(|c| c.project_list = true);
    let base = emulator.base_url();
    let auth = basic(&issue(&base));
    let list = get(&base, INDEX, &[("Authorization", &auth)]);
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(
        list.text()
            .contains(r#"<a href="acme-tools/">acme-tools</a>"#)
    );
}

#[test]
fn get_authorization_token_validates_like_aws() {
    let (emulator, _packages, _empty) = start(|_| {});
    let base = emulator.base_url();

    for duration in ["899", "1", "43201", "-1", "abc"] {
        let reply = request_token(&base, "acme", &format!("&duration={duration}"));
        assert_eq!(reply.status, 400, "{duration}");
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("ValidationException")
        );
        assert!(
            reply.json()["message"]
                .as_str()
                .unwrap()
                .contains("durationSeconds")
        );
    }
    for duration in ["0", "900", "43200"] {
        assert_eq!(
            request_token(&base, "acme", &format!("&duration={duration}")).status,
            200
        );
    }
    // Absent duration: 12 hours; 0: one hour (documented stand-in).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let default = request_token(&base, "acme", "").json()["expiration"]
        .as_u64()
        .unwrap();
    assert!((now + 43_190..=now + 43_201).contains(&default));
    let zero = request_token(&base, "acme", "&duration=0").json()["expiration"]
        .as_u64()
        .unwrap();
    assert!((now + 3_590..=now + 3_601).contains(&zero));
    // duration=0 follows the caller's session remainder (configurable).
    drop(emulator);
    let (emulator, _p, _e) = start(|c| c.session_remaining = Duration::from_secs(1_000));
    let base = emulator.base_url();
    let zero = request_token(&base, "acme", "&duration=0").json()["expiration"]
        .as_u64()
        .unwrap();
    assert!((now + 990..=now + 1_001).contains(&zero), "{zero}");
    // ...while a fixed duration is independent of the session.
    let fixed = request_token(&base, "acme", "&duration=7200").json()["expiration"]
        .as_u64()
        .unwrap();
    assert!((now + 7_190..=now + 7_201).contains(&fixed), "{fixed}");

    let reply = request_token(&base, "nope", "");
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    assert_eq!(reply.json()["resourceType"], "domain");
    assert_eq!(reply.json()["resourceId"], "nope");
    // Another account's domain: AccessDenied (probable; unconfirmed).
    let reply = request_token(&base, "acme", "&domain-owner=210987654321");
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("AccessDeniedException")
    );
    assert!(
        reply.json()["message"]
            .as_str()
            .unwrap()
            .contains("on resource: arn:aws:codeartifact:us-east-1:210987654321:domain/acme"),
        "{}",
        reply.text()
    );
    let reply = request_token(&base, "acme", "&domain-owner=12");
    assert_eq!(reply.status, 400);

    let reply = post(&base, "/v1/authorization-token", &[SIGNED], "");
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("Value null at 'domain'"));

    let reply = post(&base, "/v1/authorization-token?domain=acme", &[], "");
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
}

#[test]
fn get_repository_endpoint_points_at_the_index() {
    let (emulator, _packages, _empty) = start(|c| c.account = "111122223333".into());
    let base = emulator.base_url();
    let endpoint = |query: &str| {
        get(
            &base,
            &format!("/v1/repository/endpoint?{query}"),
            &[SIGNED],
        )
    };

    let reply = endpoint("domain=acme&repository=pypi-store&format=pypi");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.json()["repositoryEndpoint"],
        format!("{base}/acme-111122223333/pypi/pypi-store/")
    );
    let reply = endpoint(
        "domain=acme&domain-owner=111122223333&repository=pypi-store&format=pypi&endpointType=dualstack",
    );
    assert_eq!(reply.status, 200);

    let reply = endpoint("domain=acme&repository=nope&format=pypi");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["resourceType"], "repository");
    let reply = endpoint("domain=nope&repository=pypi-store&format=pypi");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["resourceType"], "domain");
    let reply = endpoint("domain=acme&repository=pypi-store&format=wheel");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("ValidationException")
    );
    let reply = endpoint("domain=acme&repository=pypi-store");
    assert_eq!(reply.status, 400);
    let reply = endpoint("domain=acme&repository=pypi-store&format=pypi&endpointType=ipv6");
    assert_eq!(reply.status, 400);
    assert_eq!(emulator.stats().get_repository_endpoint, 7);
}

#[test]
fn injected_faults_answer_like_aws() {
    let (emulator, _packages, _empty) = start(|_| {});
    let base = emulator.base_url();
    let op = Operation::GetAuthorizationToken;

    emulator.inject_fault(Fault {
        operation: op,
        kind: FaultKind::Throttle,
        count: Some(1),
    });
    let reply = request_token(&base, "acme", "");
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("ThrottlingException")
    );
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(request_token(&base, "acme", "").status, 200);

    emulator.inject_fault(Fault {
        operation: op,
        kind: FaultKind::InternalError,
        count: None,
    });
    assert_eq!(request_token(&base, "acme", "").status, 500);
    assert_eq!(
        request_token(&base, "acme", "").header("x-amzn-errortype"),
        Some("InternalServerException")
    );
    emulator.clear_faults();
    assert_eq!(request_token(&base, "acme", "").status, 200);

    emulator.inject_fault(Fault {
        operation: op,
        kind: FaultKind::Unavailable,
        count: Some(1),
    });
    assert_eq!(request_token(&base, "acme", "").status, 503);

    emulator.inject_fault(Fault {
        operation: op,
        kind: FaultKind::AccessDenied {
            action: String::new(),
        },
        count: Some(1),
    });
    let reply = request_token(&base, "acme", "");
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("AccessDeniedException")
    );
    assert_eq!(
        reply.json()["message"],
        "User: arn:aws:sts::123456789012:assumed-role/glue-codeartifact-test/session is not authorized to perform: codeartifact:GetAuthorizationToken on resource: arn:aws:codeartifact:us-east-1:123456789012:domain/acme because no identity-based policy allows the codeartifact:GetAuthorizationToken action"
    );
    emulator.inject_fault(Fault {
        operation: Operation::GetRepositoryEndpoint,
        kind: FaultKind::AccessDenied {
            action: "sts:GetServiceBearerToken".into(),
        },
        count: Some(1),
    });
    let reply = get(
        &base,
        "/v1/repository/endpoint?domain=acme&repository=pypi-store&format=pypi",
        &[SIGNED],
    );
    assert_eq!(reply.status, 403);
    let message = reply.json()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("perform: sts:GetServiceBearerToken on resource: arn:aws:codeartifact:us-east-1:123456789012:repository/acme/pypi-store"), "{message}");

    emulator.inject_fault(Fault {
        operation: op,
        kind: FaultKind::ConnectionReset,
        count: Some(1),
    });
    match send(
        &base,
        "POST",
        "/v1/authorization-token?domain=acme",
        &[SIGNED],
        "",
    ) {
        Err(e) => assert!(
            matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof
            ),
            "{e:?}"
        ),
        Ok(reply) => panic!("expected a reset, got {reply:?}"),
    }
    assert_eq!(request_token(&base, "acme", "").status, 200);

    emulator.inject_fault(Fault {
        operation: op,
        kind: FaultKind::Delay(Duration::from_millis(300)),
        count: Some(1),
    });
    let started = Instant::now();
    assert_eq!(request_token(&base, "acme", "").status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Index faults are plain HTTP errors.
    let auth = basic(&issue(&base));
    emulator.inject_fault(Fault {
        operation: Operation::Index,
        kind: FaultKind::Unavailable,
        count: Some(1),
    });
    assert_eq!(get(&base, PAGE, &[("Authorization", &auth)]).status, 503);
    assert_eq!(get(&base, PAGE, &[("Authorization", &auth)]).status, 200);

    let records = emulator.requests();
    assert!(records.iter().any(|r| r.status.is_none()));
    assert!(records.iter().all(|r| r.finished_ms >= r.started_ms));
}

#[test]
fn admin_api_drives_clock_faults_and_stats() {
    let (emulator, _packages, _empty) = start(|_| {});
    let base = emulator.base_url();
    assert_eq!(get(&base, "/_emulator/health", &[]).json()["status"], "ok");

    let json = [("Content-Type", "application/json")];
    let reply = post(
        &base,
        "/_emulator/faults",
        &json,
        r#"{"operation":"GetAuthorizationToken","kind":"throttle","count":2}"#,
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(request_token(&base, "acme", "").status, 429);
    let pending = get(&base, "/_emulator/faults", &[]).json();
    assert_eq!(pending[0]["count"], 1);
    assert_eq!(
        send(&base, "DELETE", "/_emulator/faults", &[], "")
            .unwrap()
            .status,
        204
    );
    let auth = basic(&issue(&base));

    let reply = post(
        &base,
        "/_emulator/faults",
        &json,
        r#"{"operation":"Index","kind":"nope"}"#,
    );
    assert_eq!(reply.status, 400);

    let reply = post(
        &base,
        "/_emulator/clock",
        &json,
        r#"{"advance_seconds": 901}"#,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["offset_seconds"], 901.0);
    assert_eq!(get(&base, PAGE, &[("Authorization", &auth)]).status, 404);
    let reply = post(
        &base,
        "/_emulator/clock",
        &json,
        r#"{"advance_seconds": -1}"#,
    );
    assert_eq!(reply.status, 400);

    let stats: Stats = serde_json::from_value(get(&base, "/_emulator/stats", &[]).json()).unwrap();
    assert_eq!(stats.get_authorization_token, 2);
    assert_eq!(stats.index, 1);

    let requests = get(&base, "/_emulator/requests", &[]).json();
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0]["operation"], "GetAuthorizationToken");
    assert_eq!(requests[0]["status"], 429);
    assert_eq!(requests[2]["operation"], "Index");
    assert_eq!(requests[2]["status"], 404);
    let text = serde_json::to_string(requests).unwrap();
    for token in emulator.issued_tokens() {
        assert!(!text.contains(&token));
    }
}

#[test]
fn latency_applies_to_the_control_plane_and_concurrency_is_counted() {
    let (emulator, _packages, _empty) = start(|c| c.latency = Duration::from_millis(300));
    let base = emulator.base_url();
    let started = Instant::now();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let base = base.clone();
            std::thread::spawn(move || request_token(&base, "acme", "").status)
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    // Three concurrent calls take about one latency, not three.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_millis(850));
    assert_eq!(emulator.stats().max_in_flight_control_plane, 3);
}

#[test]
fn awkward_tokens_work_through_basic_auth() {
    let (emulator, _packages, _empty) = start(|c| c.token_style = TokenStyle::Awkward);
    let base = emulator.base_url();
    let token = issue(&base);
    assert!(
        token.contains([' ', '%', '@', ':', '#', '/', '+']),
        "{token}"
    );
    assert_eq!(
        get(&base, PAGE, &[("Authorization", &basic(&token))]).status,
        200
    );
}

#[test]
fn spawn_rejects_an_invalid_config() {
    let config = Config {
        account: "12".into(),
        ..Config::default()
    };
    assert_eq!(
        EmulatorHandle::spawn(config).unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
}

/// The files of `dir`, a stand-in PyPI: `pub_pkg` 1.0 published an hour
/// before the regional cache's last import, and `acme_tools` 9.9 (a
/// dependency-confusion attempt on the repository's own project).
fn upstream_dir() -> (TempDir, std::time::SystemTime) {
    let dir = tempfile::tempdir().unwrap();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3_600);
    for name in [
        "pub_pkg-1.0-py3-none-any.whl",
        "acme_tools-9.9-py3-none-any.whl",
    ] {
        let file = std::fs::File::create(dir.path().join(name)).unwrap();
        (&file).write_all(WHEEL_BYTES).unwrap();
        file.set_modified(hour_ago).unwrap();
    }
    (dir, hour_ago + Duration::from_secs(60))
}

#[test]
fn an_upstream_serves_what_the_repository_lacks_with_the_regional_cache_delay() {
    let (upstream, imported_at) = upstream_dir();
    let dir = upstream.path().to_path_buf();
    let (emulator, _packages, _empty) = start(|c| {
        c.upstream = Some(codeartifact_emulator::Upstream {
            imported_at: Some(imported_at),
            ..codeartifact_emulator::Upstream::new(dir)
        });
    });
    let base = emulator.base_url();
    let auth = basic(&issue(&base));
    let json = ("Accept", "application/vnd.pypi.simple.v1+json");
    let page = format!("{INDEX}pub-pkg/");
    let versions = |reply: &Reply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    // 2.0 is published after the cache's last import (now).
    std::fs::write(
        upstream.path().join("pub_pkg-2.0-py3-none-any.whl"),
        WHEEL_BYTES,
    )
    .unwrap();
    // The first request sees the stale cache and makes it import; the second sees 2.0.
    assert_eq!(
        versions(&get(&base, &page, &[("Authorization", &auth), json])),
        ["1.0"]
    );
    assert_eq!(
        versions(&get(&base, &page, &[("Authorization", &auth), json])),
        ["1.0", "2.0"]
    );
    // The upstream needs the same token, and its files download through S3.
    assert_ne!(get(&base, &page, &[]).status, 200);
    let file = get(
        &base,
        &format!("{page}2.0/pub_pkg-2.0-py3-none-any.whl"),
        &[("Authorization", &auth)],
    );
    assert_eq!(file.status, 307);
    let location = file.header("location").unwrap();
    let s3 = emulator.s3_base_url();
    let object = get(&s3, location.strip_prefix(&s3).unwrap(), &[]);
    assert_eq!(object.status, 200, "{}", object.text());
    assert_eq!(object.body, WHEEL_BYTES);
    // A project published to the repository itself blocks the upstream's
    // versions of it (package origin controls).
    let own = get(&base, PAGE, &[("Authorization", &auth), json]);
    assert_eq!(versions(&own), ["1.2.0"]);
    // Unknown everywhere: 404.
    let missing = get(
        &base,
        &format!("{INDEX}nowhere/"),
        &[("Authorization", &auth)],
    );
    assert_eq!(missing.status, 404);
}

#[test]
fn an_upstreams_first_fetch_can_fail_once_and_be_slow() {
    let (upstream, imported_at) = upstream_dir();
    let dir = upstream.path().to_path_buf();
    let latency = Duration::from_millis(300);
    let (emulator, _packages, _empty) = start(|c| {
        c.upstream = Some(codeartifact_emulator::Upstream {
            fail_first_fetch: true,
            first_fetch_latency: latency,
            imported_at: Some(imported_at),
            ..codeartifact_emulator::Upstream::new(dir)
        });
    });
    let base = emulator.base_url();
    let auth = basic(&issue(&base));
    let page = format!("{INDEX}pub-pkg/");
    let timed = || {
        let started = Instant::now();
        let reply = get(&base, &page, &[("Authorization", &auth)]);
        (reply.status, started.elapsed())
    };
    let (status, took) = timed();
    assert_eq!(status, 500);
    assert!(took >= latency, "{took:?}");
    let (status, took) = timed();
    assert_eq!(status, 200);
    assert!(took >= latency, "still a first fetch: {took:?}");
    let (status, took) = timed();
    assert_eq!(status, 200);
    assert!(took < latency, "in the repository now: {took:?}");
    // The repository's own projects never wait for the upstream.
    assert_eq!(get(&base, PAGE, &[("Authorization", &auth)]).status, 200);
    let statuses: Vec<_> = emulator
        .requests()
        .iter()
        .filter(|r| r.operation == Operation::Index)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(500), Some(200), Some(200), Some(200)]);
}

#[test]
fn spawn_rejects_a_missing_upstream_directory() {
    let packages = tempfile::tempdir().unwrap();
    let config = Config {
        repositories: vec![Repository {
            domain: "acme".into(),
            name: "pypi-store".into(),
            packages_dir: packages.path().to_path_buf(),
        }],
        upstream: Some(codeartifact_emulator::Upstream::new(
            packages.path().join("missing"),
        )),
        ..Config::default()
    };
    let err = EmulatorHandle::spawn(config).unwrap_err();
    assert!(err.to_string().contains("upstream directory"), "{err}");
}
