//! The wheelhouse (`glue-codeartifact wheelhouse`): mirror a job's locked
//! wheels from CodeArtifact to S3, and bind the job to them so that it
//! installs offline, with no token and no CodeArtifact at run time.
//!
//! The steps, each finished before the next starts:
//!
//! 0. [`prepare`], in one round of concurrent calls: check the prefix's
//!    bucket (`ListObjectsV2`, one key), so that a typo or a missing bucket
//!    fails before uv runs or a token is minted; read the job; read the
//!    repository endpoint unless the lock is made first (the lock mints
//!    with it). The job read is handed to
//!    [`lock_with_job`](crate::lock::lock_with_job) and the lock's index URL
//!    to [`mirror`], so a wheelhouse that locks first reads the job once and
//!    mints once (again only if the token has less than
//!    [`DOWNLOAD_TOKEN_MARGIN`] left when the downloads start);
//! 1. check the lock was made for the job's runtime (Glue version, job
//!    type, Python, platform);
//! 2. `HeadObject` each wheel's content-addressed key
//!    (`<prefix>sha256/<hex>/<file>.whl`): one already there with the same
//!    size and SHA-256 is kept, so a second run uploads nothing and, with
//!    nothing to download, does not even mint a token;
//! 3. download the missing ones from CodeArtifact (the token is never
//!    forwarded across the redirect to S3) and check each one's SHA-256 and
//!    size against the lock: one mismatch and nothing is uploaded;
//! 4. upload them (`PutObject` with the SHA-256, which S3 checks);
//! 5. `HeadObject` every object again: each must be there with its size and
//!    SHA-256;
//! 6. only then, with `bind`, rewrite the job (`UpdateJob`, lossless, the
//!    refresh machinery) and read it back to confirm.
//!
//! So a failed run never leaves a job pointing at missing objects.
//! Downloads, uploads and checks run `concurrency` at a time.

use futures_util::{StreamExt, TryStreamExt, stream};
use glue_codeartifact_aws::{AwsError, AwsErrorKind, JobSnapshot, ObjectHead};
use glue_codeartifact_domain::{
    duration::TokenDuration,
    index_url::IndexUrl,
    s3_uri::S3Uri,
    token_cache::MinTokenLife,
    wheelhouse::{BindError, BindPlan, object_uri, plan_bind},
};
use glue_codeartifact_python_env::{
    lock::{Lock, LockedPackage},
    runtime::{self, GlueVersion, JobType, Runtime},
};
use url::Url;

use crate::{
    Error, RepositoryRef, Services,
    error::Context,
    mint::{IssuedIndexUrl, Mint, mint},
    package_index::{IndexError, PackageIndex},
};

/// The content type of the objects (a wheel is a zip archive).
pub const WHEEL_CONTENT_TYPE: &str = "application/zip";
/// The largest wheel downloaded: 2 GiB.
pub const MAX_WHEEL_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// The first Glue version with the service-built virtual environment
/// (`--python-virtual-env-storage-prefix`).
pub const FIRST_WITH_VENV_STORAGE: GlueVersion = GlueVersion::new(6, 0);
/// The life the lock step's token must have left for the downloads to use
/// it (else a new one is minted): each download presents it when it starts
/// (CodeArtifact then redirects to S3), a retried one again, and the later
/// downloads of a large wheelhouse start minutes after the first. Ten of a
/// fresh token's 15 minutes: a lock that took less than five leaves its
/// token to the downloads.
pub const DOWNLOAD_TOKEN_MARGIN: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// What to mirror, and whether to bind.
#[derive(Clone, Debug)]
pub struct WheelhouseRequest {
    /// The Glue job to check the lock against and (with `bind`) rewrite;
    /// without one, the arguments are planned for the lock's runtime, for
    /// a job managed by CloudFormation, Terraform or CDK.
    pub job: Option<String>,
    /// The CodeArtifact repository the lock was resolved against.
    pub repository: RepositoryRef,
    /// Where the wheels go (`s3://bucket/prefix/`).
    pub prefix: S3Uri,
    /// Rewrite the job's `DefaultArguments` once every object is verified.
    pub bind: bool,
    /// Read and plan only: no token, no download, no upload, no update.
    pub dry_run: bool,
    /// How many downloads, uploads or checks run at once.
    pub concurrency: usize,
    /// Glue 6.0+: have Glue build a virtual environment from the wheels once
    /// and cache it under this prefix.
    pub venv_storage_prefix: Option<S3Uri>,
}

/// What happened to one wheel's object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectState {
    /// It was already in S3 with the locked size and SHA-256.
    Present,
    /// It was uploaded by this run.
    Uploaded,
    /// Dry run: it would be uploaded.
    WouldUpload,
}

impl ObjectState {
    /// `present`, `uploaded`, `would-upload`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectState::Present => "present",
            ObjectState::Uploaded => "uploaded",
            ObjectState::WouldUpload => "would-upload",
        }
    }
}

/// One wheel of the wheelhouse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelObject {
    /// The package's normalized name.
    pub package: String,
    /// Its version.
    pub version: String,
    /// The wheel's file name.
    pub filename: String,
    /// Where it is in S3.
    pub uri: S3Uri,
    /// What this run did with it.
    pub state: ObjectState,
}

/// The outcome of a wheelhouse run.
#[derive(Clone, Debug)]
pub struct WheelhouseOutcome {
    /// The job, when one was given.
    pub job: Option<String>,
    /// The runtime the lock is for.
    pub runtime: String,
    /// Every wheel, in dependency order (the order Glue installs them).
    pub objects: Vec<WheelObject>,
    /// The Glue-provided packages the tree needs (never mirrored).
    pub provided: Vec<String>,
    /// The arguments that bind the job (written with `bind`, else only
    /// planned, for CloudFormation, Terraform or CDK).
    pub plan: BindPlan,
    /// Whether the job was rewritten.
    pub bound: bool,
}

impl WheelhouseOutcome {
    /// How many objects this run uploaded.
    pub fn uploaded(&self) -> usize {
        self.count(ObjectState::Uploaded)
    }

    /// How many were already there.
    pub fn present(&self) -> usize {
        self.count(ObjectState::Present)
    }

    fn count(&self, state: ObjectState) -> usize {
        self.objects.iter().filter(|o| o.state == state).count()
    }
}

/// Why a wheelhouse run failed, beyond the AWS calls.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WheelhouseError {
    /// The bucket of the prefix does not exist.
    #[error(
        "the S3 bucket {bucket:?} does not exist (or is in another partition); create it, or give another --s3-prefix"
    )]
    BucketNotFound {
        /// The bucket.
        bucket: String,
    },
    /// The lock was made for another runtime than the job's.
    #[error(
        "the lock was made for {lock}, but job {job:?} runs {runtime}; lock again for the job: run wheelhouse without --lock, or `glue-codeartifact lock --job {job}`"
    )]
    LockMismatch {
        /// The job.
        job: String,
        /// The lock's runtime.
        lock: String,
        /// The job's runtime.
        runtime: String,
    },
    /// The job cannot use a wheelhouse.
    #[error("{0}")]
    Unsupported(String),
    /// A downloaded file does not match the lock: nothing was uploaded,
    /// nothing bound.
    #[error(
        "{file} from CodeArtifact does not match the lock ({what}); nothing was uploaded and the job was not changed. The file in the repository changed since the lock was made, or the download was corrupted: lock again, and check who may publish to the repository"
    )]
    Corrupt {
        /// The wheel's file name.
        file: String,
        /// What differs, both values.
        what: String,
    },
    /// A download failed.
    #[error(
        "downloading {file} from repository {repository} failed: {reason}; nothing was uploaded and the job was not changed"
    )]
    Download {
        /// The wheel's file name.
        file: String,
        /// The repository.
        repository: String,
        /// What failed (never the token or a presigned URL).
        reason: String,
        /// The index refused the token.
        refused: bool,
    },
    /// An object is not in S3 as the lock says after the upload.
    #[error(
        "{uri} is not in S3 as locked after the upload ({what}); the job was not changed. Run wheelhouse again"
    )]
    NotVerified {
        /// The object.
        uri: String,
        /// What differs.
        what: String,
    },
    /// The job cannot be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
}

impl WheelhouseError {
    /// Its class (exit code, Lambda error type).
    pub fn class(&self) -> crate::error::ErrorClass {
        use crate::error::ErrorClass;
        match self {
            WheelhouseError::BucketNotFound { .. } => ErrorClass::BucketNotFound,
            WheelhouseError::LockMismatch { .. } => ErrorClass::LockMismatch,
            WheelhouseError::Unsupported(_) | WheelhouseError::Bind(_) => {
                ErrorClass::JobNotSupported
            }
            WheelhouseError::Corrupt { .. } => ErrorClass::DownloadCorrupt,
            WheelhouseError::Download { refused: true, .. } => ErrorClass::AccessDenied,
            WheelhouseError::Download { .. } => ErrorClass::Unreachable,
            WheelhouseError::NotVerified { .. } => ErrorClass::NotVerified,
        }
    }
}

/// Why Python shell jobs get no wheelhouse.
fn python_shell_refused(what: &str) -> WheelhouseError {
    WheelhouseError::Unsupported(format!(
        "{what} is a Python shell job: Glue does not allow S3 paths in a Python shell job's --additional-python-modules, and does not document that --extra-py-files installs a wheel's dependencies with pip; nothing was changed. Install from the live index (`glue-codeartifact start`), or run the code as a Spark job (glueetl) to use a wheelhouse"
    ))
}

/// The runtime a lock was made for, from the table (no job given); Python
/// shell locks are refused.
fn lock_runtime(lock: &Lock) -> Result<&'static Runtime, WheelhouseError> {
    let recorded = &lock.runtime;
    if recorded.job_type == JobType::PythonShell {
        return Err(python_shell_refused("the lock"));
    }
    let version = recorded.glue_version.map(|v| v.to_string());
    let runtime = runtime::lookup(JobType::Spark, version.as_deref(), None, None)
        .map_err(|e| WheelhouseError::Unsupported(format!("the lock: {e}")))?;
    recorded
        .check_matches(runtime)
        .map_err(|e| WheelhouseError::Unsupported(format!("the lock: {e}; lock again")))?;
    Ok(runtime)
}

/// The runtime of `job` from the table; Python shell jobs are refused.
fn job_runtime(
    job: &glue_codeartifact_domain::job::JobDefinition,
) -> Result<&'static Runtime, WheelhouseError> {
    let command = job.command.as_ref().map(|c| c.name()).unwrap_or_default();
    match JobType::from_command_name(command) {
        Some(JobType::Spark) => {}
        Some(JobType::PythonShell) => {
            return Err(python_shell_refused(&format!("job {:?}", job.name)));
        }
        None => {
            return Err(WheelhouseError::Unsupported(format!(
                "job {:?} has command {command:?}; only glueetl and gluestreaming jobs install wheels from S3 with pip",
                job.name
            )));
        }
    }
    runtime::lookup(
        JobType::Spark,
        job.glue_version.as_deref(),
        job.python_version.as_deref(),
        None,
    )
    .map_err(|e| WheelhouseError::Unsupported(format!("job {:?}: {e}", job.name)))
}

/// What [`prepare`] read, for the lock and the mirror.
pub struct Prepared {
    snapshot: Option<JobSnapshot>,
    /// As CodeArtifact returned it (the mint makes it reachable).
    endpoint: Option<String>,
}

impl Prepared {
    /// The job, when the request names one: hand it to
    /// [`lock_with_job`](crate::lock::lock_with_job) so it is read once.
    pub fn job(&self) -> Option<&glue_codeartifact_domain::job::JobDefinition> {
        self.snapshot.as_ref().map(|s| &s.definition)
    }
}

/// The first step, one round of concurrent calls: checks that the prefix's
/// bucket exists and may be listed (a missing bucket or a typo fails here,
/// before uv runs or a token is minted), reads the job and, unless
/// `lock_first` (the lock step reads the endpoint with its token), the
/// repository endpoint.
pub async fn prepare(
    services: &Services,
    request: &WheelhouseRequest,
    lock_first: bool,
) -> Result<Prepared, Error> {
    let repository = &request.repository;
    let job_name = request.job.as_deref();
    let cx = Context {
        job: job_name,
        repository,
        region: &services.region,
    };
    if request.bind && job_name.is_none() {
        return Err(WheelhouseError::Unsupported(
            "--bind needs the job to bind (--job JOB)".to_owned(),
        )
        .into());
    }
    let read_job = async {
        match job_name {
            Some(name) => services.glue.get_job_snapshot(name).await.map(Some),
            None => Ok(None),
        }
    };
    let read_endpoint = async {
        if lock_first {
            return Ok(None);
        }
        Mint::new(services, repository, TokenDuration::MIN)
            .endpoint()
            .await
            .map(Some)
    };
    let (prefix, snapshot, endpoint) = tokio::join!(
        services.s3.check_prefix(&request.prefix),
        read_job,
        read_endpoint,
    );
    prefix.map_err(|e| s3_error(e, &request.prefix, cx))?;
    let snapshot = snapshot.map_err(|e| Error::from_aws(e, cx))?;
    let endpoint = endpoint.map_err(|e| Error::from_aws(e, cx))?;
    Ok(Prepared { snapshot, endpoint })
}

/// Mirrors `lock` into the wheelhouse and, with `request.bind`, binds the
/// job to it: [`prepare`], then [`mirror`].
pub async fn wheelhouse(
    services: &Services,
    request: &WheelhouseRequest,
    lock: &Lock,
) -> Result<WheelhouseOutcome, Error> {
    let prepared = prepare(services, request, false).await?;
    mirror(services, request, lock, prepared, None).await
}

/// Where the downloads' token comes from.
enum Index {
    /// The lock step's index URL.
    Minted(IssuedIndexUrl),
    /// Minted for the downloads, with this endpoint (as CodeArtifact
    /// returned it).
    Endpoint(String),
}

/// Mirrors `lock` into the wheelhouse and, with `request.bind`, binds the
/// job to it, with what [`prepare`] read and, when the lock was made first,
/// the lock's index URL (`minted`, [`Locked::index`](crate::lock::Locked)):
/// the downloads use its token while it has [`DOWNLOAD_TOKEN_MARGIN`] left.
pub async fn mirror(
    services: &Services,
    request: &WheelhouseRequest,
    lock: &Lock,
    prepared: Prepared,
    minted: Option<IssuedIndexUrl>,
) -> Result<WheelhouseOutcome, Error> {
    let repository = &request.repository;
    let job_name = request.job.as_deref();
    let cx = Context {
        job: job_name,
        repository,
        region: &services.region,
    };
    let Prepared { snapshot, endpoint } = prepared;
    // The repository the job's index options name (removed when binding):
    // the lock's index, or the endpoint.
    let (repository_url, index) = match (minted, endpoint) {
        (Some(minted), _) => (
            minted.url.without_credentials().clone(),
            Index::Minted(minted),
        ),
        (None, endpoint) => {
            let endpoint = match endpoint {
                Some(endpoint) => endpoint,
                None => Mint::new(services, repository, TokenDuration::MIN)
                    .endpoint()
                    .await
                    .map_err(|e| Error::from_aws(e, cx))?,
            };
            let reachable = repository.reachable(endpoint.clone())?;
            let url = Url::parse(&reachable).map_err(|e| {
                Error::from(
                    glue_codeartifact_domain::index_url::IndexUrlError::InvalidEndpoint {
                        endpoint: reachable.clone(),
                        reason: e.to_string(),
                    },
                )
            })?;
            (url, Index::Endpoint(endpoint))
        }
    };
    let job = snapshot.as_ref().map(|s| &s.definition);
    let runtime = match job {
        Some(job) => job_runtime(job)?,
        None => lock_runtime(lock)?,
    };
    if lock.runtime.check_matches(runtime).is_err() {
        let job = job_name.unwrap_or_default().to_owned();
        return Err(WheelhouseError::LockMismatch {
            job,
            lock: lock.runtime.to_string(),
            runtime: glue_codeartifact_python_env::lock::LockRuntime::of(runtime).to_string(),
        }
        .into());
    }
    let for_what = match job_name {
        Some(name) => format!("job {name:?}"),
        None => "the lock".to_owned(),
    };
    if request.venv_storage_prefix.is_some()
        && runtime
            .glue_version
            .is_none_or(|v| v < FIRST_WITH_VENV_STORAGE)
    {
        return Err(WheelhouseError::Unsupported(format!(
            "--venv-storage-prefix needs Glue {FIRST_WITH_VENV_STORAGE} or later (the service-built virtual environment); {for_what} runs {}",
            runtime.describe()
        ))
        .into());
    }
    let ordered = lock.dependency_order();
    let uris: Vec<S3Uri> = ordered
        .iter()
        .map(|p| object_uri(&request.prefix, &p.wheel.sha256, &p.wheel.filename))
        .collect();
    // Plan the binding first: a job that cannot be bound fails before any
    // download or upload.
    let none = std::collections::BTreeMap::new();
    let plan = plan_bind(
        job_name.unwrap_or_default(),
        job.map_or(&none, |j| &j.default_arguments),
        job.map_or(&none, |j| &j.non_overridable_arguments),
        &uris,
        &repository_url,
        request.venv_storage_prefix.as_ref(),
    )
    .map_err(WheelhouseError::from)?;

    // 2. What is already there.
    let concurrency = request.concurrency.max(1);
    let heads: Vec<Option<ObjectHead>> = stream::iter(uris.iter())
        .map(|uri| async move { services.s3.head_object(uri).await })
        .buffered(concurrency)
        .try_collect()
        .await
        .map_err(|e| s3_error(e, &request.prefix, cx))?;
    let missing: Vec<usize> = (0..ordered.len())
        .filter(|&i| !matches_lock(heads[i].as_ref(), ordered[i]))
        .collect();
    tracing::info!(
        wheels = ordered.len(),
        missing = missing.len(),
        "wheelhouse checked"
    );
    let state_of = |i: usize| {
        if !missing.contains(&i) {
            ObjectState::Present
        } else if request.dry_run {
            ObjectState::WouldUpload
        } else {
            ObjectState::Uploaded
        }
    };
    let objects: Vec<WheelObject> = ordered
        .iter()
        .enumerate()
        .map(|(i, p)| WheelObject {
            package: p.name.to_string(),
            version: p.version.to_string(),
            filename: p.wheel.filename.clone(),
            uri: uris[i].clone(),
            state: state_of(i),
        })
        .collect();
    let outcome = |bound| WheelhouseOutcome {
        job: request.job.clone(),
        runtime: runtime.describe(),
        objects: objects.clone(),
        provided: lock
            .provided
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect(),
        plan: plan.clone(),
        bound,
    };
    if request.dry_run {
        return Ok(outcome(false));
    }

    // 3. Download and check every missing wheel before uploading any.
    if !missing.is_empty() {
        let issued = match index {
            Index::Minted(minted)
                if MinTokenLife::remaining(
                    minted.expiration().as_system_time(),
                    std::time::SystemTime::now(),
                ) >= DOWNLOAD_TOKEN_MARGIN =>
            {
                tracing::debug!("the downloads use the lock's token");
                minted
            }
            Index::Minted(_) => mint(services, repository, TokenDuration::MIN).await?,
            Index::Endpoint(endpoint) => {
                Mint::new(services, repository, TokenDuration::MIN)
                    .with_endpoint(endpoint)
                    .run()
                    .await?
            }
        };
        let index = issued.url.clone();
        let issued = issued.token;
        let client = PackageIndex::new().map_err(|e| WheelhouseError::Download {
            file: String::new(),
            repository: repository.repository.clone(),
            reason: e.to_string(),
            refused: false,
        })?;
        let downloads: Vec<(usize, Vec<u8>)> = stream::iter(missing.iter().copied())
            .map(|i| {
                let (client, index, token) = (&client, &index, &issued.token);
                let package = ordered[i];
                async move {
                    let url = file_url(index, &package.wheel.url);
                    let bytes = crate::package_index::retrying(|| {
                        client.download(index, token, &url, MAX_WHEEL_BYTES)
                    })
                    .await
                    .map_err(|e| download_error(package, &repository.repository, &e))?;
                    check_download(package, &bytes)?;
                    Ok::<_, WheelhouseError>((i, bytes.to_vec()))
                }
            })
            .buffer_unordered(concurrency)
            .try_collect()
            .await?;
        tracing::info!(files = downloads.len(), "wheels downloaded and checked");

        // 4. Upload.
        stream::iter(downloads)
            .map(|(i, bytes)| {
                let sha = hex_digest(&ordered[i].wheel.sha256);
                let uri = &uris[i];
                async move {
                    services
                        .s3
                        .put_object(uri, bytes, &sha, WHEEL_CONTENT_TYPE)
                        .await
                }
            })
            .buffer_unordered(concurrency)
            .try_collect::<Vec<()>>()
            .await
            .map_err(|e| s3_error(e, &request.prefix, cx))?;
        tracing::info!(files = missing.len(), "wheels uploaded");
    }

    // 5. Every object, as locked.
    let verified: Vec<Option<ObjectHead>> = stream::iter(uris.iter())
        .map(|uri| async move { services.s3.head_object(uri).await })
        .buffered(concurrency)
        .try_collect()
        .await
        .map_err(|e| s3_error(e, &request.prefix, cx))?;
    // Zipped, not indexed: after PutObject nothing may panic.
    for ((head, package), uri) in verified.iter().zip(&ordered).zip(&uris) {
        if !matches_lock(head.as_ref(), package) {
            return Err(WheelhouseError::NotVerified {
                uri: uri.to_string(),
                what: describe_head(head.as_ref(), package),
            }
            .into());
        }
    }
    let (Some(name), Some(snapshot), true) = (job_name, &snapshot, request.bind) else {
        return Ok(outcome(false));
    };
    let job = &snapshot.definition;

    // 6. Bind, as refresh does: one lossless UpdateJob, then read back.
    let defaults = plan.apply(&job.default_arguments);
    if defaults != job.default_arguments {
        services
            .glue
            .update_job(snapshot, defaults.clone())
            .await
            .map_err(|e| Error::from_update(e, cx))?;
        let after =
            services
                .glue
                .get_job_snapshot(name)
                .await
                .map_err(|e| Error::UpdateNotVerified {
                    job: name.to_owned(),
                    done: "bound",
                    command: "wheelhouse",
                    source: Box::new(Error::from_aws(e, cx)),
                })?;
        let changed: Vec<String> = plan
            .arguments
            .iter()
            .filter(|(k, v)| after.definition.default_arguments.get(*k) != Some(*v))
            .map(|(k, _)| format!("DefaultArguments.{k}"))
            .collect();
        if !changed.is_empty() {
            return Err(Error::ConcurrentEdit {
                job: name.to_owned(),
                changed,
            });
        }
        tracing::info!(job = %name, "job bound to the wheelhouse");
    }
    Ok(outcome(true))
}

/// Whether an object is there with the locked size (when the lock has it)
/// and SHA-256.
fn matches_lock(head: Option<&ObjectHead>, package: &LockedPackage) -> bool {
    head.is_some_and(|h| {
        package.wheel.size.is_none_or(|s| s == h.size)
            && h.sha256 == Some(hex_digest(&package.wheel.sha256))
    })
}

fn describe_head(head: Option<&ObjectHead>, package: &LockedPackage) -> String {
    match head {
        None => "missing".to_owned(),
        Some(h) if package.wheel.size.is_some_and(|s| s != h.size) => format!(
            "{} bytes, the lock says {}",
            h.size,
            package.wheel.size.unwrap_or_default()
        ),
        Some(h) => match h.sha256 {
            None => "stored without a SHA-256 checksum".to_owned(),
            Some(sha) => format!(
                "sha256 {}, the lock says {}",
                to_hex(&sha),
                package.wheel.sha256
            ),
        },
    }
}

/// Checks a download against the lock: size (when the lock has it), then
/// SHA-256.
fn check_download(package: &LockedPackage, bytes: &[u8]) -> Result<(), WheelhouseError> {
    let corrupt = |what| WheelhouseError::Corrupt {
        file: package.wheel.filename.clone(),
        what,
    };
    if let Some(size) = package.wheel.size
        && size != bytes.len() as u64
    {
        return Err(corrupt(format!(
            "{} bytes, the lock says {size}",
            bytes.len()
        )));
    }
    let actual = to_hex(&sha256(bytes));
    if actual != package.wheel.sha256 {
        return Err(corrupt(format!(
            "sha256 {actual}, the lock says {}",
            package.wheel.sha256
        )));
    }
    Ok(())
}

/// The lock's file URL, on the index's origin: the URL uv recorded, or the
/// same path on the host this run reaches the repository by (a VPC
/// endpoint host).
fn file_url(index: &IndexUrl, locked: &Url) -> Url {
    let base = index.without_credentials();
    if locked.origin() == base.origin() {
        return locked.clone();
    }
    let mut url = base.clone();
    url.set_path(locked.path());
    url.set_query(locked.query());
    url
}

fn download_error(package: &LockedPackage, repository: &str, err: &IndexError) -> WheelhouseError {
    WheelhouseError::Download {
        file: package.wheel.filename.clone(),
        repository: repository.to_owned(),
        reason: err.to_string(),
        refused: matches!(err, IndexError::Refused { .. }),
    }
}

/// An S3 failure: a missing bucket is named as such; the rest as AWS
/// failures.
fn s3_error(err: AwsError, prefix: &S3Uri, cx: Context<'_>) -> Error {
    if err.kind == AwsErrorKind::NotFound && err.code.as_deref() == Some("NoSuchBucket") {
        return WheelhouseError::BucketNotFound {
            bucket: prefix.bucket().to_owned(),
        }
        .into();
    }
    if err.kind == AwsErrorKind::NotFound {
        return Error::Service(err);
    }
    Error::from_aws(err, cx)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

/// 64 hex digits (validated by the lock reader) as bytes.
fn hex_digest(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = hex
            .get(2 * i..2 * i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or_default();
    }
    out
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let digest = sha256(b"abc");
        assert_eq!(
            to_hex(&digest),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex_digest(&to_hex(&digest)), digest);
    }
}
