//! Check a job before it runs (`glue-codeartifact doctor`, and
//! `start --preflight`, which runs these checks on what the start reads:
//! [`crate::start::start_preflighted`]).
//!
//! `GetJob` and `GetRepositoryEndpoint` run concurrently: the first round.
//! A job bound to a wheelhouse (every module a content-addressed S3 wheel,
//! `--no-index`) needs no token, so none is minted (its runs need no
//! CodeArtifact, and neither does checking it): its objects are read back
//! from S3 (`HeadObject`, and `GetObject` where S3 stored no
//! SHA-256), at most [`INDEX_CONCURRENCY`] at a time, and the rules of
//! [`glue_codeartifact_domain::preflight::bound`] judge options and tags.
//! For any other job the rules of [`glue_codeartifact_domain::preflight`]
//! run on the job, a token is minted ([`crate::mint`]; the second round),
//! and the project page of every requirement in
//! `--additional-python-modules` is read from the repository's index with
//! it, at most [`INDEX_CONCURRENCY`] at a time. (A preflighted start, which
//! needs the token anyway, mints it in the first round.)
//!
//! Doctor never starts a run. It mints a token of the shortest duration AWS
//! allows (15 minutes) for its own index reads, whatever `--duration` says:
//! the duration asked for is only judged, against the job's timeout and
//! retries. (A preflighted start reads the index with the start's own
//! token, which its run then gets.) What the user can fix comes back as findings, access denials
//! included; only failures that leave nothing to check (no credentials,
//! region or network, throttling, a job that does not exist) are errors.

use std::collections::BTreeMap;

use futures_util::{StreamExt, stream};
use glue_codeartifact_aws::{AwsError, AwsErrorKind, Operation, S3};
use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::IndexUrl,
    input::InputName,
    installer_option::IndexMode,
    job::JobDefinition,
    preflight::{
        CheckId, Finding, Report,
        bound::{
            ObjectCheck, Verification, bound_objects, bound_summary, check_bound_options,
            check_wheel_tags, object_finding, rebind_command,
        },
        job_rules::{
            check_index_options, check_overridable, check_token_life, job_environment,
            modules_value,
        },
        modules::{ModuleItem, parse_modules, requirement_line},
        requirements_file::{
            FileRead, MAX_REQUIREMENTS_BYTES, read_requirements, requirements_file,
        },
        resolve::{check_markers, check_requirement},
    },
    run_plan::RunArgument,
    s3_uri::S3Uri,
    secret::AuthToken,
    wheelhouse::BoundObject,
};
use sha2::{Digest, Sha256};
use url::Url;

use crate::{
    Error, RepositoryRef, Services,
    error::Context,
    mint::{Answers, IssuedIndexUrl, Mint},
    package_index::{IndexError, PackageIndex, retrying},
    start::StartRequest,
    wheelhouse::{MAX_WHEEL_BYTES, to_hex},
};

/// How many project pages are read at once.
pub const INDEX_CONCURRENCY: usize = 8;

/// What to check.
#[derive(Clone, Debug)]
pub struct DoctorRequest {
    /// The Glue job.
    pub job: String,
    /// The CodeArtifact repository.
    pub repository: RepositoryRef,
    /// The token duration a run would get (judged, not used).
    pub duration: TokenDuration,
    /// `--index-url` or `--extra-index-url`.
    pub mode: IndexMode,
    /// The run arguments a run would add (`start --arg`).
    pub arguments: Vec<RunArgument>,
    /// Whether to resolve the whole dependency tree, by uv.
    pub whole_tree: WholeTree,
    /// How the findings name the inputs to fix: the shell's words (the
    /// CLI's flags, the Lambda function's event fields and settings).
    pub names: InputName,
}

/// Whether doctor resolves the whole dependency tree (as `lock` does).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum WholeTree {
    /// Top-level requirements only (`start --preflight`, the Lambda: no uv
    /// in the start path).
    #[default]
    NotAsked,
    /// Resolve with uv: this binary, or `uv` on PATH.
    Uv(Option<std::path::PathBuf>),
}

impl DoctorRequest {
    /// What `start --preflight` checks: the run it is about to start,
    /// with the findings' inputs named by `names`.
    pub fn for_start(request: &StartRequest, names: InputName) -> Self {
        Self {
            job: request.job.clone(),
            repository: request.repository.clone(),
            duration: request.duration,
            mode: request.mode,
            arguments: request.arguments.clone(),
            whole_tree: WholeTree::NotAsked,
            names,
        }
    }
}

/// Checks `request.job` against the repository; never starts a run.
///
/// `GetJob` and `GetRepositoryEndpoint` run concurrently; a job bound to a
/// wheelhouse is then checked against S3 without a token, and any other
/// job gets a 15-minute token (the second round) for its index pages. The
/// extra round is the price of never minting a token that is not used.
pub async fn doctor(services: &Services, request: &DoctorRequest) -> Result<Report, Error> {
    let mint = Mint::new(services, &request.repository, TokenDuration::MIN).for_job(&request.job);
    let (job, endpoint) = tokio::join!(services.glue.get_job(&request.job), mint.endpoint());
    if let Ok(bound_job) = &job
        && let Some(objects) = bound(bound_job, request)
    {
        let cx = request.context(services);
        let mut findings = Vec::new();
        let endpoint = reachable_endpoint(endpoint, &mint, &mut findings, cx, request.names)?;
        return bound_report(services, request, bound_job, objects, endpoint, findings).await;
    }
    let answers = Answers {
        endpoint,
        token: mint.token().await,
    };
    Ok(check(services, request, job, &mint, answers).await?.report)
}

/// The wheelhouse objects of a job bound to one; `None` for any other job.
fn bound(job: &JobDefinition, request: &DoctorRequest) -> Option<Vec<BoundObject>> {
    modules_value(job, &request.arguments)
        .ok()
        .and_then(bound_objects)
}

/// The endpoint as pip must reach it; a denied or missing repository is a
/// finding (`None`).
fn reachable_endpoint(
    endpoint: Result<String, AwsError>,
    mint: &Mint<'_>,
    findings: &mut Vec<Finding>,
    cx: Context<'_>,
    name: InputName,
) -> Result<Option<String>, Error> {
    aws_outcome(endpoint, findings, cx, name)?
        .map(|endpoint| mint.reachable(endpoint))
        .transpose()
}

impl DoctorRequest {
    fn context<'a>(&'a self, services: &'a Services) -> Context<'a> {
        Context {
            job: Some(&self.job),
            repository: &self.repository,
            region: &services.region,
        }
    }
}

/// doctor's report, and what it read: the job and the index URL (with the
/// token it was checked with) that a preflighted start then uses.
pub(crate) struct Checked {
    /// The report.
    pub report: Report,
    /// The job, or why it could not be read (then a finding says so).
    pub job: Result<JobDefinition, Error>,
    /// The index URL, or why there is none (a finding says so, except for
    /// a job bound to a wheelhouse, which needs none).
    pub index: Result<IssuedIndexUrl, Error>,
}

/// doctor's checks on what was read: the job, and the endpoint and token
/// of `mint` (which builds the index URL and, for a start, keeps the token
/// in its cache). The index pages are read with that token.
pub(crate) async fn check(
    services: &Services,
    request: &DoctorRequest,
    job: Result<JobDefinition, AwsError>,
    mint: &Mint<'_>,
    answers: Answers,
) -> Result<Checked, Error> {
    let cx = request.context(services);
    let mut findings = Vec::new();
    let job = match job {
        Ok(job) => Ok(job),
        Err(err) => {
            let error = Error::from_aws(err.clone(), cx);
            aws_outcome::<JobDefinition>(Err(err), &mut findings, cx, request.names)?;
            Err(error)
        }
    };
    // Settled once (for a start, this keeps a minted token in the cache).
    let built = answers.endpoint.is_ok() && answers.token.is_ok();
    let index = match (&answers.endpoint, &answers.token) {
        (Ok(endpoint), Ok(token)) => mint.settle(endpoint.clone(), token.clone()),
        (Err(err), _) | (_, Err(err)) => Err(Error::from_aws(err.clone(), cx)),
    };
    let endpoint = reachable_endpoint(
        answers.endpoint.clone(),
        mint,
        &mut findings,
        cx,
        request.names,
    )?;
    if let Ok(bound_job) = &job
        && let Some(objects) = bound(bound_job, request)
    {
        // Bound (a preflighted start of a bound job): the token is not
        // used, and its failure is no finding.
        let report =
            bound_report(services, request, bound_job, objects, endpoint, findings).await?;
        return Ok(Checked { report, job, index });
    }
    aws_outcome(answers.token.clone(), &mut findings, cx, request.names)?;
    dedup_not_found(&mut findings);
    // An index URL that cannot be built from the answers (a VPC endpoint
    // host that does not fit, a token too short for a start) ends the
    // check.
    let index = if built { Ok(index?) } else { index };
    let report = match &job {
        Ok(job) => {
            unbound_findings(services, request, job, index.as_ref().ok(), &mut findings).await?;
            Report::new(&job.name, findings)
        }
        Err(_) => Report::new(&request.job, findings),
    };
    Ok(Checked { report, job, index })
}

/// The checks of a job on the live index: its environment, options and
/// token life (pure rules), then every requirement's project page, read
/// with the token of `index` (none when it could not be minted: the
/// findings say why).
async fn unbound_findings(
    services: &Services,
    request: &DoctorRequest,
    job: &JobDefinition,
    index: Option<&IssuedIndexUrl>,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    let repository = &request.repository;
    let cx = Context {
        job: Some(&request.job),
        repository,
        region: &services.region,
    };
    let environment = job_environment(job);
    findings.extend(environment.findings);
    let Some(environment) = environment.environment else {
        return Ok(());
    };
    findings.extend(check_overridable(
        job,
        environment.placement,
        &request.arguments,
        request.names,
    ));
    findings.extend(check_index_options(
        job,
        environment.placement,
        &request.arguments,
        request.mode,
        index.map(|i| &i.url),
        request.names,
    ));
    findings.push(check_token_life(job, request.duration, request.names));

    let modules = match modules_value(job, &request.arguments) {
        Ok(modules) => modules,
        Err(missing) => {
            findings.push(missing);
            return Ok(());
        }
    };
    let mut items = parse_modules(modules, environment.placement);
    if let Some(uri) = requirements_file(job, &request.arguments) {
        let read = read_file(&services.s3, &uri)
            .await
            .map_err(|e| Error::from_aws(e, cx))?;
        let (lines, found) = read_requirements(&uri, read, &environment);
        findings.extend(found);
        items = lines.iter().map(|line| requirement_line(line)).collect();
    }
    let mut requirements = Vec::new();
    for item in items {
        match item {
            ModuleItem::Requirement { text, requirement } => {
                match check_markers(&text, &requirement, &environment.python) {
                    Some(skipped) => findings.push(skipped),
                    None => requirements.push((text, requirement)),
                }
            }
            ModuleItem::NotChecked { text, reason } => findings.push(
                Finding::info(
                    CheckId::ModuleNotChecked,
                    format!("{text}: not checked, {}", reason.describe()),
                )
                .about(text),
            ),
            ModuleItem::Invalid { text, reason, fix } => findings.push(
                Finding::error(CheckId::ModuleInvalid, format!("{text:?}: {reason}"), fix)
                    .about(text),
            ),
        }
    }
    let Some(IssuedIndexUrl {
        url: index, token, ..
    }) = index
    else {
        // The access findings above say why the index cannot be read.
        return Ok(());
    };
    if requirements.is_empty() {
        return Ok(());
    }

    let client = match PackageIndex::new() {
        Ok(client) => client,
        Err(err) => {
            findings.push(unreachable_finding(index, &err, &[]));
            return Ok(());
        }
    };
    let mut names: Vec<String> = requirements
        .iter()
        .map(|(_, r)| r.name.as_ref().to_owned())
        .collect();
    names.sort();
    names.dedup();
    let pages: BTreeMap<String, Result<_, IndexError>> =
        read_pages(&client, index, &token.token, names).await;

    // CodeArtifact answers a refused token with 404, like a missing
    // project (astral-sh/uv#11899). A page read with the same token proves
    // the token good, so its 404s mean missing projects; with none, a 404
    // may be either, and the finding says both.
    let token_proven = pages.values().any(Result::is_ok);
    let mut refused: Vec<(String, u16)> = Vec::new();
    let mut unreachable: Vec<(String, IndexError)> = Vec::new();
    let mut not_found_or_refused: Vec<String> = Vec::new();
    for (text, requirement) in &requirements {
        let name = requirement.name.as_ref();
        match &pages[name] {
            Ok(page) => findings.push(check_requirement(
                text,
                requirement,
                page,
                &environment.python,
            )),
            Err(IndexError::NotFound) if !token_proven => {
                if !not_found_or_refused.iter().any(|n| n == name) {
                    not_found_or_refused.push(name.to_owned());
                }
            }
            Err(IndexError::NotFound) => findings.push(
                Finding::error(
                    CheckId::PackageNotFound,
                    format!(
                        "{text}: repository {} has no project {name} (its index answered 404, and read other projects with the same token)",
                        repository.repository
                    ),
                    format!(
                        "check the name, or publish {name} to {}, or give the repository an upstream that has it",
                        repository.repository
                    ),
                )
                .about(text.clone()),
            ),
            Err(IndexError::Refused { status }) => {
                if !refused.iter().any(|(n, _)| n == name) {
                    refused.push((name.to_owned(), *status));
                }
            }
            Err(other) => {
                if !unreachable.iter().any(|(n, _)| n == name) {
                    unreachable.push((name.to_owned(), other.clone()));
                }
            }
        }
    }
    if let Some((_, status)) = refused.first() {
        let names: Vec<&str> = refused.iter().map(|(n, _)| n.as_str()).collect();
        findings.push(
            Finding::error(
                CheckId::IndexRefused,
                format!(
                    "the index of repository {} answered {status} to the new token (for {}): the identity that mints tokens cannot read the repository",
                    repository.repository,
                    names.join(", ")
                ),
                format!(
                    "grant codeartifact:ReadFromRepository on repository {}/{} to the role or user that mints the token, and no publish permission, so that a leaked token can only read",
                    repository.domain, repository.repository
                ),
            ),
        );
    }
    if !not_found_or_refused.is_empty() {
        let names = not_found_or_refused.join(", ");
        findings.push(Finding::error(
            CheckId::PackageNotFoundOrRefused,
            format!(
                "the index of repository {} answered 404 for {names}: either the repository has no such project, or the index refused the new token (CodeArtifact answers 404, not 401, to a token it refuses)",
                repository.repository
            ),
            format!(
                "check the names and that they are published to {} (or to an upstream it has); if they are, grant codeartifact:ReadFromRepository on repository {}/{} to the role or user that mints the token",
                repository.repository, repository.domain, repository.repository
            ),
        ));
    }
    if let Some((_, err)) = unreachable.first() {
        let names: Vec<&str> = unreachable.iter().map(|(n, _)| n.as_str()).collect();
        findings.push(unreachable_finding(index, err, &names));
    }
    if let WholeTree::Uv(uv) = &request.whole_tree {
        let roots: Vec<String> = requirements.iter().map(|(_, r)| r.to_string()).collect();
        findings.extend(
            crate::lock::whole_tree_findings(
                uv.as_deref(),
                job,
                &roots,
                index,
                &repository.repository,
            )
            .await,
        );
    }
    Ok(())
}

/// The report on a job bound to a wheelhouse: its options and wheel tags
/// (pure rules), and every object read back from S3, at most
/// [`INDEX_CONCURRENCY`] at a time. No token, no index.
async fn bound_report(
    services: &Services,
    request: &DoctorRequest,
    job: &JobDefinition,
    objects: Vec<BoundObject>,
    endpoint: Option<String>,
    mut findings: Vec<Finding>,
) -> Result<Report, Error> {
    let cx = Context {
        job: Some(&request.job),
        repository: &request.repository,
        region: &services.region,
    };
    let environment = job_environment(job);
    findings.extend(environment.findings);
    let Some(environment) = environment.environment else {
        return Ok(Report::new(&job.name, findings));
    };
    let rebind = rebind_command(&job.name, &objects);
    findings.push(bound_summary(job, &environment, &objects));
    let repository = endpoint.as_deref().and_then(|e| Url::parse(e).ok());
    findings.extend(check_bound_options(
        job,
        &environment,
        &request.arguments,
        repository.as_ref(),
        &rebind,
    ));
    findings.extend(check_wheel_tags(&objects, &environment, &job.name));
    let checks: Vec<Result<ObjectCheck, AwsError>> = stream::iter(objects.iter())
        .map(|object| check_object(&services.s3, object))
        .buffered(INDEX_CONCURRENCY)
        .collect()
        .await;
    for (object, check) in objects.iter().zip(checks) {
        let check = check.map_err(|e| Error::from_aws(e, cx))?;
        findings.extend(object_finding(object, &check, &rebind));
    }
    Ok(Report::new(&job.name, findings))
}

/// Reads one object back: `HeadObject` (checksum mode) first. Where S3
/// stored a SHA-256 (every object `wheelhouse` uploads has one: it sends
/// `x-amz-checksum-sha256`, which S3 checks against the bytes before it
/// stores them), that checksum is the content's and decides, with no
/// download. Otherwise (an object put by another tool, a multipart upload's
/// composite checksum) the object is downloaded, streamed through SHA-256.
async fn check_object(s3: &S3, object: &BoundObject) -> Result<ObjectCheck, AwsError> {
    let decide = |actual: String, by| {
        if actual == object.sha256 {
            ObjectCheck::Verified(by)
        } else {
            ObjectCheck::Changed { actual, by }
        }
    };
    let head = match s3.head_object(&object.uri).await {
        Ok(Some(head)) => head,
        Ok(None) => return Ok(ObjectCheck::Missing),
        Err(err) if err.kind == AwsErrorKind::AccessDenied => return Ok(ObjectCheck::Forbidden),
        Err(err) => return Err(err),
    };
    if let Some(sha256) = head.sha256 {
        return Ok(decide(to_hex(&sha256), Verification::StoredChecksum));
    }
    if head.size > MAX_WHEEL_BYTES {
        return Ok(ObjectCheck::TooLarge { size: head.size });
    }
    let mut hasher = Sha256::new();
    match s3
        .read_object(&object.uri, |chunk| hasher.update(chunk))
        .await
    {
        Ok(_) => Ok(decide(to_hex(&hasher.finalize()), Verification::Download)),
        Err(err) if err.kind == AwsErrorKind::AccessDenied => Ok(ObjectCheck::Forbidden),
        Err(err) if err.kind == AwsErrorKind::NotFound => Ok(ObjectCheck::Missing),
        Err(err) => Err(err),
    }
}

/// `GetObject` of the S3 requirements file, streamed and bounded by
/// [`MAX_REQUIREMENTS_BYTES`]; a 404 or 403 is the user's to fix.
async fn read_file(s3: &S3, uri: &S3Uri) -> Result<FileRead, AwsError> {
    let mut bytes = Vec::new();
    let mut too_large = false;
    let read = s3
        .read_object(uri, |chunk| {
            if bytes.len() + chunk.len() > MAX_REQUIREMENTS_BYTES {
                too_large = true;
            } else {
                bytes.extend_from_slice(chunk);
            }
        })
        .await;
    match read {
        Ok(_) if too_large => Ok(FileRead::TooLarge),
        Ok(_) => Ok(FileRead::Bytes(bytes)),
        Err(err) if err.kind == AwsErrorKind::AccessDenied => Ok(FileRead::Forbidden),
        Err(err) if err.kind == AwsErrorKind::NotFound => Ok(FileRead::Missing),
        Err(err) => Err(err),
    }
}

/// Reads the pages of `names` concurrently, at most [`INDEX_CONCURRENCY`]
/// at a time.
async fn read_pages(
    client: &PackageIndex,
    index: &IndexUrl,
    token: &AuthToken,
    names: Vec<String>,
) -> BTreeMap<
    String,
    Result<glue_codeartifact_domain::preflight::index_page::ProjectPage, IndexError>,
> {
    stream::iter(names)
        .map(|name| async move {
            // Transient failures (5xx, resets) are retried with backoff;
            // the index is "unreachable" only after that.
            let page = retrying(|| client.project_page(index, token, &name)).await;
            (name, page)
        })
        .buffer_unordered(INDEX_CONCURRENCY)
        .collect()
        .await
}

fn unreachable_finding(index: &IndexUrl, err: &IndexError, names: &[&str]) -> Finding {
    let what = if names.is_empty() {
        String::new()
    } else {
        format!(" (for {})", names.join(", "))
    };
    Finding::error(
        CheckId::IndexUnreachable,
        format!(
            "the repository's index {} could not be read{what}: {err}",
            index.without_credentials()
        ),
        "check the network path to CodeArtifact (VPC endpoints com.amazonaws.REGION.codeartifact.repositories with private DNS, proxies), then run doctor again",
    )
}

/// An AWS call's result: the value, or a finding for what the user can fix
/// (a denied action, a missing domain or repository), or an error for the
/// rest.
fn aws_outcome<T>(
    result: Result<T, AwsError>,
    findings: &mut Vec<Finding>,
    cx: Context<'_>,
    name: InputName,
) -> Result<Option<T>, Error> {
    let err = match result {
        Ok(value) => return Ok(Some(value)),
        Err(err) => err,
    };
    let operation = err.operation;
    match err.kind {
        AwsErrorKind::AccessDenied => {
            let actions = err.missing_actions().join(" and ");
            findings.push(
                Finding::error(
                    CheckId::AccessDenied,
                    format!("{operation} was denied: the caller lacks {actions} ({})", err.message),
                    format!(
                        "grant {actions} to the role or user running glue-codeartifact (see `glue-codeartifact iam-policy`)"
                    ),
                )
                .about(operation.name()),
            );
            Ok(None)
        }
        AwsErrorKind::NotFound if operation != Operation::GetJob => {
            let what = match operation {
                Operation::GetRepositoryEndpoint => format!(
                    "repository {:?} in domain {:?}",
                    cx.repository.repository, cx.repository.domain
                ),
                _ => format!("domain {:?}", cx.repository.domain),
            };
            findings.push(
                Finding::error(
                    CheckId::RepositoryNotFound,
                    format!(
                        "CodeArtifact {what} was not found in region {} ({})",
                        cx.region, err.message
                    ),
                    format!("check {}", crate::error::repository_inputs(name)),
                )
                .about(operation.name()),
            );
            Ok(None)
        }
        _ => Err(Error::from_aws(err, cx)),
    }
}

/// A missing domain fails both CodeArtifact calls: say it once.
fn dedup_not_found(findings: &mut Vec<Finding>) {
    let domain_missing = findings.iter().any(|f| {
        f.check == CheckId::RepositoryNotFound
            && f.subject.as_deref() == Some(Operation::GetAuthorizationToken.name())
    });
    if domain_missing {
        findings.retain(|f| {
            !(f.check == CheckId::RepositoryNotFound
                && f.subject.as_deref() == Some(Operation::GetRepositoryEndpoint.name()))
        });
    }
}
