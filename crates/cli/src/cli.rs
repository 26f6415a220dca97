//! The command line: clap definitions, whose doc comments are `--help`.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use glue_codeartifact_domain::{
    duration::{TokenDuration, parse_duration},
    installer_option::IndexMode,
    repository_endpoint::EndpointType,
};

/// `refresh --duration`'s variable, the same as the Lambda function's
/// refresh setting.
pub const REFRESH_DURATION_ENV: &str = "GLUE_CODEARTIFACT_REFRESH_DURATION";
/// `start`'s, `doctor`'s and `index-url`'s `--duration` (and the Lambda
/// function's start setting). Before `refresh --duration` read
/// [`REFRESH_DURATION_ENV`], it read this one, which still sets it as a
/// deprecated fallback ([`crate::config::refresh_duration_fallback`]).
pub const DURATION_ENV: &str = "GLUE_CODEARTIFACT_DURATION";

/// `--help`'s headings, after the command's own options (as cargo and
/// ripgrep group theirs): which repository, how AWS is reached, and what is
/// printed and read.
pub const REPOSITORY_HEADING: &str = "Repository options";
/// See [`REPOSITORY_HEADING`].
pub const AWS_HEADING: &str = "AWS options";
/// See [`REPOSITORY_HEADING`].
pub const OUTPUT_HEADING: &str = "Output, config and logging options";

/// `--version`: the crate version and the git commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("GLUE_CODEARTIFACT_GIT_COMMIT"),
    ")"
);

/// Start AWS Glue jobs with a fresh AWS CodeArtifact pip index URL.
///
/// Fetches the repository endpoint and a short-lived token, builds the
/// authenticated pip index URL, merges `--index-url=…` into the job's
/// `--python-modules-installer-option` (keeping the options already there),
/// and starts the run. AWS settings come from the default chain
/// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_GLUE,
/// AWS_ENDPOINT_URL_CODEARTIFACT, …).
#[derive(Debug, Parser)]
#[command(name = "glue-codeartifact", version = VERSION, propagate_version = true)]
pub struct Cli {
    /// AWS profile to use (default: AWS_PROFILE, else the default profile).
    #[arg(help_heading = AWS_HEADING, long, global = true)]
    pub profile: Option<String>,

    /// AWS region to use (default: AWS_REGION, else the profile's region).
    #[arg(help_heading = AWS_HEADING, long, global = true)]
    pub region: Option<String>,

    /// How long connecting to AWS may take: seconds (`3`) or a duration
    /// (`500ms`, `3s`).
    #[arg(help_heading = AWS_HEADING, long, global = true, value_name = "DURATION", env = "GLUE_CODEARTIFACT_CONNECT_TIMEOUT", default_value = "3s", value_parser = glue_codeartifact_aws::config::parse_timeout)]
    pub connect_timeout: std::time::Duration,

    /// How long one attempt of an AWS call may take before it is abandoned
    /// (and, for reads, retried; attempts: AWS_MAX_ATTEMPTS, default 3).
    #[arg(help_heading = AWS_HEADING, long, global = true, value_name = "DURATION", env = "GLUE_CODEARTIFACT_ATTEMPT_TIMEOUT", default_value = "8s", value_parser = glue_codeartifact_aws::config::parse_timeout)]
    pub attempt_timeout: std::time::Duration,

    /// How long one AWS call may take, all attempts and back-offs included.
    #[arg(help_heading = AWS_HEADING, long, global = true, value_name = "DURATION", env = "GLUE_CODEARTIFACT_OPERATION_TIMEOUT", default_value = "12s", value_parser = glue_codeartifact_aws::config::parse_timeout)]
    pub operation_timeout: std::time::Duration,

    /// Output format.
    #[arg(help_heading = OUTPUT_HEADING, long, global = true, value_enum, default_value_t = Output::Text, env = "GLUE_CODEARTIFACT_OUTPUT")]
    pub output: Output,

    /// More log output on stderr (-v info, -vv debug, -vvv trace). By
    /// default only our own warnings; -v adds the AWS SDK's warnings.
    /// RUST_LOG overrides. Tokens are never logged.
    #[arg(help_heading = OUTPUT_HEADING, short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The config file (default: ./glue-codeartifact.toml, else
    /// ~/.config/glue-codeartifact/config.toml). Flags and environment
    /// variables win over it.
    #[arg(
        help_heading = OUTPUT_HEADING,
        long,
        global = true,
        value_name = "FILE",
        env = "GLUE_CODEARTIFACT_CONFIG"
    )]
    pub config: Option<std::path::PathBuf>,

    /// The config file's profile to use.
    #[arg(
        help_heading = OUTPUT_HEADING,
        long,
        global = true,
        value_name = "NAME",
        env = "GLUE_CODEARTIFACT_CONFIG_PROFILE",
        default_value = "default"
    )]
    pub config_profile: String,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a Glue job run whose pip installs use the CodeArtifact repository.
    ///
    /// Sends only the arguments it changes: the merged
    /// --python-modules-installer-option (for Python shell jobs, the inline
    /// form in --additional-python-modules) and any --arg. Prints the
    /// JobRunId.
    Start(StartArgs),
    /// Print the authenticated pip index URL (it contains the token).
    ///
    /// For `pip install --index-url "$(glue-codeartifact index-url …)"`,
    /// `PIP_INDEX_URL` or `UV_INDEX_URL`. This is the one command that
    /// prints a token: that is its job.
    IndexUrl(IndexUrlArgs),
    /// Check a job against the repository before it runs; starts nothing.
    ///
    /// Reports findings, each an error, warning or info with a stable check
    /// id, a cause and a fix: the job type and Glue version (and so its
    /// Python), arguments a run cannot override, pip options that conflict
    /// with the index, the token life against the job's Timeout and
    /// MaxRetries, access to CodeArtifact, and whether each package in
    /// --additional-python-modules has a version and a file that installs on
    /// the job's Python. Exits 12 when it finds an error. Never prints the
    /// token.
    Doctor(DoctorArgs),
    /// Write a fresh index URL into jobs' DefaultArguments (refresh mode).
    ///
    /// For runs that Glue starts itself (triggers, workflows, schedules, the
    /// console's Run button), which use the job's DefaultArguments. Run it on
    /// a schedule shorter than the token's life (e.g. every 8 h with a 12 h
    /// token). The token then rests in the job definition, readable by
    /// anyone with glue:GetJob, for its whole life; prefer `start` where you
    /// start the runs yourself.
    Refresh(RefreshArgs),
    /// Say why a run failed at install, from its own logs; starts nothing.
    ///
    /// Reads the run (GetJobRun: its state and ErrorMessage) and its log
    /// streams in CloudWatch Logs (every group Glue may write to: the job
    /// log groups' error and output, continuous logging's logs-v2, or their
    /// custom names), prints the Python module installer's and pip's lines
    /// (at most a screenful), each stream's console link, and what that
    /// means: an expired or refused token, a requirement that `doctor` would
    /// have caught, a `--no-index` that was overridden. Every line is
    /// redacted: no token or URL password is printed. Exits 31 when the run
    /// has no log stream yet, 30 when there is no such run.
    Why(WhyArgs),
    /// Print the least-privilege IAM policy of whoever mints tokens and
    /// starts the jobs (the Lambda's start function, or a user running
    /// `start`); with --refresh, of whoever refreshes them instead.
    ///
    /// Both: codeartifact:GetAuthorizationToken on the domain,
    /// sts:GetServiceBearerToken for CodeArtifact only, and
    /// codeartifact:GetRepositoryEndpoint and ReadFromRepository on the
    /// repository (a token can only read what its minter may read). Then the
    /// start policy: glue:GetJob, glue:StartJobRun and glue:GetJobRuns (to find
    /// a run whose answer was lost) on the given jobs only. The refresh policy
    /// (--refresh): glue:GetJob and glue:UpdateJob on the jobs, glue:ListJobs,
    /// and iam:PassRole on the jobs' roles (--glue-job-role-arn) towards Glue
    /// only; nothing that starts a run. An identity that runs both `start` and
    /// `refresh` needs both documents: run this twice and attach them as two
    /// policies. A token carries its minter's permissions: give that identity
    /// no publish or write permission on the domain. deploy/template.yaml
    /// gives the same policies to the start function's and the refresh
    /// function's roles. Makes no AWS call.
    IamPolicy(IamPolicyArgs),
    /// Resolve a job's whole dependency tree for its Glue runtime into a
    /// PEP 751 lock file (pylock.<job>.toml), by uv; starts and changes
    /// nothing.
    ///
    /// The runtime (Python, x86_64 manylinux platform, the modules Glue
    /// already provides) comes from the job's Glue version and type, or
    /// from --glue-version/--job-type with --requirements. Wheels only
    /// (Glue cannot compile); the modules Glue provides are held at the
    /// image's versions and never locked (a requirement that would replace
    /// one is refused, naming both versions, unless
    /// --allow-upgrade-provided). The lock holds each wheel's URL without
    /// credentials, size and sha256, and never a token: the index URL
    /// reaches uv only through its environment. Needs uv (PATH, --uv or
    /// GLUE_CODEARTIFACT_UV). Exits 40 when the tree does not resolve, 41
    /// without a usable uv, 42 for an unsupported Glue version, 43 for
    /// modules that cannot be locked.
    Lock(LockArgs),
    /// Mirror a job's locked wheels to S3 and (with --bind) make the job
    /// install them offline: no token, no CodeArtifact at run time.
    ///
    /// Locks first, exactly as `lock` does (the job's modules, or
    /// --requirements with --glue-version), and writes that lock as `lock`
    /// would (pylock.<job>.toml, or -o FILE) before mirroring, so that a CI
    /// can commit it and a failed mirror can be retried with --lock without
    /// resolving again; or takes a lock from --lock FILE. Then downloads
    /// each locked wheel from CodeArtifact, checks its SHA-256 and size,
    /// uploads it under S3_PREFIX/sha256/HEX/FILE.whl (skipping what is
    /// already there), and checks every object in S3. With --bind, then sets
    /// the job's --additional-python-modules to the wheels (in dependency
    /// order) and --no-index in its --python-modules-installer-option,
    /// removing every index option. Without --bind it prints those values,
    /// for jobs managed by CloudFormation, Terraform or CDK. The lock step
    /// exits as `lock` does (40-43).
    Wheelhouse(WheelhouseArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// e.g. `glue-codeartifact completions bash > /etc/bash_completion.d/glue-codeartifact`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `glue-codeartifact man > glue-codeartifact.1`.
    Man,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Plain text for people and shell pipelines.
    Text,
    /// One JSON object.
    Json,
}

/// Which CodeArtifact repository (a heading of its own in `--help`).
#[derive(Debug, Args)]
pub struct RepositoryArgs {
    /// CodeArtifact domain.
    #[arg(help_heading = REPOSITORY_HEADING, long, env = "GLUE_CODEARTIFACT_DOMAIN", value_parser = parse_domain)]
    pub domain: String,

    /// AWS account ID that owns the domain (default: the caller's account).
    #[arg(help_heading = REPOSITORY_HEADING, long, env = "GLUE_CODEARTIFACT_DOMAIN_OWNER", value_parser = parse_account_id)]
    pub domain_owner: Option<String>,

    /// CodeArtifact repository.
    #[arg(help_heading = REPOSITORY_HEADING, long, env = "GLUE_CODEARTIFACT_REPOSITORY", value_parser = parse_repository)]
    pub repository: String,

    /// Repository endpoint type: ipv4 or dualstack (default: the API's,
    /// ipv4).
    #[arg(help_heading = REPOSITORY_HEADING, long, value_enum, env = "GLUE_CODEARTIFACT_ENDPOINT_TYPE")]
    pub endpoint_type: Option<EndpointTypeArg>,

    /// The DNS name of a `codeartifact.repositories` VPC endpoint without
    /// private DNS, for jobs in private subnets: the index URL becomes
    /// https://HOST/pypi/d/DOMAIN-OWNER/REPO/simple/.
    #[arg(
        help_heading = REPOSITORY_HEADING,
        long,
        value_name = "HOST",
        env = "GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST"
    )]
    pub repository_endpoint_host: Option<String>,

    /// Accept a --repository-endpoint-host that is not a VPC endpoint's DNS
    /// name (vpce-ID-SUFFIX.d.codeartifact.REGION.vpce.amazonaws.com):
    /// every minted token is sent to that host. Only this flag or its
    /// environment variable can set it, never a config file.
    #[arg(help_heading = REPOSITORY_HEADING, long, env = "GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST")]
    pub allow_any_endpoint_host: bool,
}

/// `--endpoint-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EndpointTypeArg {
    /// IPv4 only.
    Ipv4,
    /// IPv4 and IPv6.
    Dualstack,
}

impl From<EndpointTypeArg> for EndpointType {
    fn from(arg: EndpointTypeArg) -> Self {
        match arg {
            EndpointTypeArg::Ipv4 => EndpointType::Ipv4,
            EndpointTypeArg::Dualstack => EndpointType::Dualstack,
        }
    }
}

/// The index a run gets: the repository, the token's duration and how pip
/// gets it. `start` builds it; `doctor` judges what `start` would build, so
/// both take the same flags, with the same defaults.
#[derive(Debug, Args)]
pub struct RunIndexArgs {
    #[command(flatten)]
    pub repository: RepositoryArgs,

    /// Token duration (how long a minted token lives): 0 (as long as the
    /// caller's credentials) or 15m to 12h (`900`, `15m`, `1h`, `12h`). It
    /// must outlast the run's start-up and any Glue retry, which reuse the
    /// same arguments.
    #[arg(long, env = DURATION_ENV, default_value = "1h")]
    pub duration: TokenDuration,

    /// How pip gets the repository: as the only index (index-url), or beside
    /// the job's primary index (extra-index-url).
    #[arg(long, value_enum, env = "GLUE_CODEARTIFACT_MODE", default_value_t = Mode::IndexUrl)]
    pub mode: Mode,
}

/// `start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Glue job to start (repeatable: several jobs share one token).
    #[arg(
        long = "job",
        value_name = "JOB",
        env = "GLUE_CODEARTIFACT_JOB",
        required_unless_present = "jobs_from",
        value_parser = parse_job_name
    )]
    pub jobs: Vec<String>,

    /// Read job names from FILE, one per line (`#` starts a comment; `-`
    /// reads standard input). Adds to --job.
    #[arg(long, value_name = "FILE")]
    pub jobs_from: Option<std::path::PathBuf>,

    /// With several jobs: how many jobs are read (GetJob), and how many
    /// runs are started (StartJobRun), at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    #[command(flatten)]
    pub index: RunIndexArgs,

    /// An extra run argument, KEY=VALUE with KEY starting with `--`
    /// (repeatable), e.g. --arg --day=2024-01-31.
    #[arg(long = "arg", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub args: Vec<String>,

    /// Print the run arguments that would be sent (token redacted) and start
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Run `doctor`'s checks first and start nothing if any finds an error
    /// (exit 12). Warnings are printed and the run starts.
    #[arg(long)]
    pub preflight: bool,

    /// Follow the run until it ends; the exit code follows its final state
    /// (0 SUCCEEDED, 20 FAILED, 21 ERROR, 22 TIMEOUT, 23 STOPPED, 24
    /// EXPIRED). A live line on a terminal, state-change lines otherwise,
    /// JSON lines with --output json. Ctrl-C stops waiting, not the run.
    #[arg(long, conflicts_with = "dry_run")]
    pub wait: bool,

    /// With --wait: time between two GetJobRun calls (at least 1s; a bare
    /// number is seconds).
    #[arg(long, requires = "wait", value_name = "DURATION", default_value = "15s", value_parser = parse_poll)]
    pub poll: Duration,

    /// With --wait: how long to follow the run before giving up (exit 25;
    /// the run goes on). A bare number is seconds. `--timeout` is an older
    /// spelling, still accepted.
    #[arg(long, alias = "timeout", requires = "wait", value_name = "DURATION", default_value = "2h", value_parser = parse_wait_timeout)]
    pub wait_timeout: Duration,

    /// With --wait: on Ctrl-C, stop the run (BatchStopJobRun) instead of only
    /// stopping to wait.
    #[arg(long, requires = "wait")]
    pub stop_on_interrupt: bool,
}

fn parse_poll(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text).map_err(|e| e.to_string())?;
    if d < Duration::from_secs(1) {
        return Err("poll at most once a second (e.g. 15s)".to_owned());
    }
    Ok(d)
}

fn parse_wait_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("the wait timeout must be longer than zero (e.g. 2h)".to_owned());
    }
    Ok(d)
}

/// `index-url`.
#[derive(Debug, Args)]
pub struct IndexUrlArgs {
    #[command(flatten)]
    pub repository: RepositoryArgs,

    /// Token duration (how long a minted token lives): 0 or 15m to 12h.
    #[arg(long, env = DURATION_ENV, default_value = "15m")]
    pub duration: TokenDuration,

    /// Package format of the index.
    #[arg(long, value_enum, default_value_t = Format::Pypi)]
    pub format: Format,
}

/// `refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// A Glue job to refresh (repeatable).
    #[arg(
        long = "job",
        value_name = "JOB",
        required_unless_present = "tags",
        conflicts_with = "tags",
        value_parser = parse_job_name
    )]
    pub jobs: Vec<String>,

    /// Refresh every job that carries this tag, KEY=VALUE (repeatable: a job
    /// must carry all of them).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,

    #[command(flatten)]
    pub repository: RepositoryArgs,

    /// Duration of the token written into the jobs (how long it lives): 0 or
    /// 15m to 12h. It must outlast the time until the next refresh plus a run's
    /// start-up. Read from GLUE_CODEARTIFACT_REFRESH_DURATION, as the Lambda
    /// function's refresh does (GLUE_CODEARTIFACT_DURATION, the duration of
    /// `start`'s token, is read here only as a deprecated fallback).
    #[arg(long, env = REFRESH_DURATION_ENV, default_value = "12h")]
    pub duration: TokenDuration,

    /// How pip gets the repository.
    #[arg(long, value_enum, env = "GLUE_CODEARTIFACT_MODE", default_value_t = Mode::IndexUrl)]
    pub mode: Mode,

    /// How many jobs are read and updated at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub concurrency: u16,

    /// Print what would be written (token redacted) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `wheelhouse`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).multiple(true).args(["job", "requirements", "lock"])))]
pub struct WheelhouseArgs {
    /// The Glue job (Spark: glueetl or gluestreaming): without --lock or
    /// --requirements its --additional-python-modules are locked first (with
    /// --requirements, that file is locked for the job's runtime: the way
    /// to lock a job already bound, whose modules are S3 objects); its
    /// runtime must be the lock's; --bind rewrites it.
    #[arg(long, env = "GLUE_CODEARTIFACT_JOB", value_parser = parse_job_name, conflicts_with_all = ["glue_version", "job_type", "library_set"])]
    pub job: Option<String>,

    #[command(flatten)]
    pub requirements: RequirementsArgs,

    #[command(flatten)]
    pub repository: RepositoryArgs,

    /// Where the wheels go: s3://BUCKET/PREFIX/ (a missing final / is added).
    #[arg(long, value_name = "S3_URI", env = "GLUE_CODEARTIFACT_S3_PREFIX", value_parser = parse_s3_prefix)]
    pub s3_prefix: glue_codeartifact_domain::s3_uri::S3Uri,

    /// Mirror this lock (a pylock.toml written by `lock` or an earlier
    /// `wheelhouse`) instead of locking first.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["requirements", "output_file", "allow_upgrade_provided", "uv"])]
    pub lock: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    /// Rewrite the job's DefaultArguments once every wheel is verified in S3.
    #[arg(long)]
    pub bind: bool,

    /// Glue 6.0+: also set --python-virtual-env-storage-prefix, so that Glue
    /// builds a virtual environment from the wheels once and caches it in S3.
    #[arg(long, value_name = "S3_URI", value_parser = parse_s3_prefix)]
    pub venv_storage_prefix: Option<glue_codeartifact_domain::s3_uri::S3Uri>,

    /// How many downloads, uploads or S3 checks run at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// Check S3 and print the plan: no download, no upload, no lock file
    /// written, no change to the job. With --lock no token is minted;
    /// without it the lock step still resolves (uv reads the index with a
    /// 15-minute token).
    #[arg(long)]
    pub dry_run: bool,
}

fn parse_s3_prefix(text: &str) -> Result<glue_codeartifact_domain::s3_uri::S3Uri, String> {
    glue_codeartifact_domain::s3_uri::S3Uri::parse_prefix(text).map_err(|e| e.to_string())
}

fn parse_tag(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("a tag is KEY=VALUE, e.g. --tag team=data".to_owned()),
    }
}

/// `doctor`. Its flags mean what they mean for `start`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Glue job to check.
    #[arg(long, env = "GLUE_CODEARTIFACT_JOB", value_parser = parse_job_name)]
    pub job: String,

    // The index `start` would build: doctor checks the duration against the
    // job's Timeout and MaxRetries, and the mode against the job's pip
    // options (its own token, for reading the index, lives 15 minutes).
    #[command(flatten)]
    pub index: RunIndexArgs,

    /// A run argument `start` would pass, KEY=VALUE with KEY starting with
    /// `--` (repeatable), e.g. --arg --additional-python-modules=acme==1.2.
    #[arg(long = "arg", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub args: Vec<String>,

    /// The uv binary for the whole-tree check (default: uv on PATH; without
    /// uv the check is reported as skipped).
    #[arg(long, value_name = "PATH", env = "GLUE_CODEARTIFACT_UV")]
    pub uv: Option<std::path::PathBuf>,

    /// Check the top-level requirements only, without resolving the whole
    /// dependency tree by uv (as `start --preflight` does).
    #[arg(long)]
    pub no_whole_tree: bool,
}

/// `lock`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["job", "requirements"])))]
pub struct LockArgs {
    /// Glue job to lock: its --additional-python-modules are the roots, its
    /// Glue version and job type give the runtime.
    #[arg(long, env = "GLUE_CODEARTIFACT_JOB", value_parser = parse_job_name, conflicts_with_all = ["requirements", "glue_version", "job_type", "library_set"])]
    pub job: Option<String>,

    #[command(flatten)]
    pub requirements: RequirementsArgs,

    #[command(flatten)]
    pub repository: RepositoryArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,
}

/// A requirements file to lock instead of a job's modules (`lock`,
/// `wheelhouse`).
#[derive(Debug, Args)]
pub struct RequirementsArgs {
    /// A requirements.txt to lock instead (one PEP 508 requirement a line;
    /// no pip options); give the runtime with --glue-version or
    /// --job-type pythonshell.
    #[arg(long, value_name = "FILE")]
    pub requirements: Option<std::path::PathBuf>,

    /// The Glue version to lock --requirements for: 4.0, 5.0, 5.1 or 6.0.
    #[arg(long, value_name = "VERSION", requires = "requirements")]
    pub glue_version: Option<String>,

    /// The job type to lock --requirements for.
    #[arg(long, value_enum, default_value_t = JobTypeArg::Spark)]
    pub job_type: JobTypeArg,

    /// Python shell: the job's --library-set (analytics or none; none
    /// when unset).
    #[arg(long, value_name = "SET", requires = "requirements")]
    pub library_set: Option<String>,
}

/// How a lock is resolved and where it is written (`lock`, `wheelhouse`).
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Where to write the lock: a PEP 751 name, pylock.toml or
    /// pylock.NAME.toml (default: pylock.<job>.toml, or pylock.toml for
    /// --requirements).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output_file: Option<std::path::PathBuf>,

    /// Let a requirement replace a module Glue provides (numpy>=2 on Glue
    /// 4.0): it is then locked from the repository and mirrored like any
    /// other, and replaces the image's copy when the job installs.
    #[arg(long)]
    pub allow_upgrade_provided: bool,

    /// The uv binary (default: uv on PATH).
    #[arg(long, value_name = "PATH", env = "GLUE_CODEARTIFACT_UV")]
    pub uv: Option<std::path::PathBuf>,
}

/// `lock --job-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JobTypeArg {
    /// Spark (glueetl, gluestreaming): the Python of --glue-version.
    Spark,
    /// Python shell 3.9.
    Pythonshell,
}

/// `iam-policy`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("job_updater").args(["refresh", "wheelhouse"]).multiple(false))]
pub struct IamPolicyArgs {
    /// A Glue job the identity may start (with --refresh: refresh): a name,
    /// or a pattern with `*` and `?` as IAM reads them (repeatable, or
    /// comma-separated; the Lambda's GLUE_CODEARTIFACT_ALLOWED_JOBS).
    #[arg(
        long = "job",
        env = "GLUE_CODEARTIFACT_ALLOWED_JOBS",
        value_delimiter = ',',
        required = true,
        value_name = "NAME|PATTERN"
    )]
    pub jobs: Vec<String>,

    #[command(flatten)]
    pub repository: RepositoryArgs,

    /// AWS account ID of the jobs (and of the domain, unless --domain-owner);
    /// `*` when not given.
    #[arg(long, value_parser = parse_account_id)]
    pub account: Option<String>,

    /// ARN partition (aws, aws-cn, aws-us-gov).
    #[arg(long, default_value = "aws")]
    pub partition: String,

    /// Print the refresh role's policy instead of the start role's (the
    /// Lambda's refresh function, or a user running `refresh`): the same
    /// CodeArtifact statements, glue:GetJob and glue:UpdateJob on the jobs,
    /// glue:ListJobs, and iam:PassRole on the jobs' roles towards Glue only;
    /// no glue:StartJobRun.
    #[arg(long, requires = "glue_job_role_arns")]
    pub refresh: bool,

    /// Add what `why` and `start --wait` need to read a run and its logs:
    /// glue:GetJob, GetJobRun and GetJobRuns on the jobs, and
    /// logs:DescribeLogStreams and logs:GetLogEvents on the job log groups
    /// (/aws-glue/jobs*; custom log group names are not covered).
    #[arg(long)]
    pub why: bool,

    /// With --refresh (or --wheelhouse, to bind): the IAM role of a Glue job
    /// to refresh or bind, as an ARN (repeatable, or comma-separated; `*` in
    /// the name as IAM reads it). UpdateJob passes each job's role to Glue.
    #[arg(
        long = "glue-job-role-arn",
        value_name = "ARN",
        value_delimiter = ',',
        requires = "job_updater"
    )]
    pub glue_job_role_arns: Vec<String>,

    /// The wheelhouse (or requirements-file) prefix, s3://BUCKET/PREFIX/.
    /// Adds what doctor needs to read it: s3:GetObject on the objects under
    /// it, and s3:ListBucket on its bucket for keys under it (without it S3
    /// answers 403, not 404, for a missing object).
    #[arg(long, value_name = "S3_URI", value_parser = parse_s3_prefix)]
    pub s3_prefix: Option<glue_codeartifact_domain::s3_uri::S3Uri>,

    /// Print the policy of whoever runs `wheelhouse` instead: CodeArtifact
    /// read (minting included), s3:PutObject and s3:GetObject under
    /// --s3-prefix, s3:ListBucket for it, glue:GetJob on the jobs; with
    /// --glue-job-role-arn (for --bind) glue:UpdateJob and iam:PassRole
    /// towards Glue.
    #[arg(long, requires = "s3_prefix", conflicts_with = "refresh")]
    pub wheelhouse: bool,

    /// Print the Glue job role's policy for a bound job instead:
    /// s3:GetObject under --s3-prefix (no CodeArtifact permission: a bound
    /// job needs no token).
    #[arg(long, requires = "s3_prefix", conflicts_with_all = ["refresh", "wheelhouse", "why"])]
    pub wheelhouse_job_role: bool,
}

/// `--mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// `--index-url`: the repository is pip's only index.
    IndexUrl,
    /// `--extra-index-url`: the repository is searched besides the primary
    /// index.
    ExtraIndexUrl,
}

impl From<Mode> for IndexMode {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::IndexUrl => IndexMode::IndexUrl,
            Mode::ExtraIndexUrl => IndexMode::ExtraIndexUrl,
        }
    }
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A Python package index for pip or uv.
    Pypi,
}

/// A Glue job name, checked before any AWS call.
pub fn parse_job_name(text: &str) -> Result<String, String> {
    glue_codeartifact_domain::job_pattern::check_job_name(text)
        .map(|()| text.to_owned())
        .map_err(|e| e.to_string())
}

/// `why --run-id`: Glue's run IDs are single-line strings of 1 to 255
/// characters (GetJobRun's `RunId`, the Glue API reference); checked
/// before any AWS call, so an empty or pasted-with-a-newline ID is not
/// reported as a run that was not found.
fn parse_run_id(text: &str) -> Result<String, String> {
    let id = text.trim();
    if id.is_empty() {
        return Err(
            "the run ID is empty; give a JobRunId (jr_…), or leave --run-id out for the latest run"
                .to_owned(),
        );
    }
    if id.chars().count() > 255 || id.chars().any(char::is_control) {
        return Err("a Glue JobRunId is a single line of at most 255 characters (jr_…); copy it from `aws glue get-job-runs` or the console".to_owned());
    }
    Ok(id.to_owned())
}

/// `--domain`: CodeArtifact's domain name rule (from the flag, its
/// environment variable, or the config file alike), checked before any AWS
/// call.
fn parse_domain(text: &str) -> Result<String, String> {
    parse_name(text, glue_codeartifact_domain::names::check_domain_name)
}

/// `--repository`: CodeArtifact's repository name rule, like `--domain`.
fn parse_repository(text: &str) -> Result<String, String> {
    parse_name(text, glue_codeartifact_domain::names::check_repository_name)
}

fn parse_name(text: &str, check: fn(&str) -> Result<(), String>) -> Result<String, String> {
    check(text).map(|()| text.to_owned()).map_err(|e| {
        format!("{e} (from the flag, its GLUE_CODEARTIFACT_ environment variable, or the config file's profile)")
    })
}

fn parse_account_id(text: &str) -> Result<String, String> {
    if glue_codeartifact_domain::names::is_account_id(text) {
        Ok(text.to_owned())
    } else {
        Err("an AWS account ID is 12 digits, e.g. 111122223333".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    fn start_args(extra: &[&str]) -> StartArgs {
        let base = [
            "glue-codeartifact",
            "start",
            "--job",
            "j",
            "--domain",
            "acme",
        ];
        let cli = Cli::try_parse_from(
            base.iter()
                .chain(["--repository", "py"].iter())
                .chain(extra),
        )
        .unwrap_or_else(|e| panic!("{extra:?}: {e}"));
        match cli.command {
            Command::Start(args) => args,
            _ => unreachable!("parsed start"),
        }
    }

    #[test]
    fn durations_follow_one_rule_and_the_old_timeout_spelling_still_works() {
        let args = start_args(&["--wait", "--poll", "15", "--wait-timeout", "90"]);
        assert_eq!(args.poll, Duration::from_secs(15));
        assert_eq!(args.wait_timeout, Duration::from_secs(90));
        let args = start_args(&["--wait", "--poll", "1m", "--timeout", "2h"]);
        assert_eq!(args.poll, Duration::from_secs(60));
        assert_eq!(args.wait_timeout, Duration::from_secs(7200));
        let args = start_args(&["--wait"]);
        assert_eq!(
            (args.poll, args.wait_timeout),
            (Duration::from_secs(15), Duration::from_secs(7200))
        );
    }
}

/// `why`.
#[derive(Debug, Args)]
pub struct WhyArgs {
    /// Glue job whose run to explain.
    #[arg(long, env = "GLUE_CODEARTIFACT_JOB", value_parser = parse_job_name)]
    pub job: String,

    /// The run (a JobRunId, `jr_…`); the job's latest run if omitted.
    #[arg(long, value_name = "JOB_RUN_ID", value_parser = parse_run_id)]
    pub run_id: Option<String>,
}
