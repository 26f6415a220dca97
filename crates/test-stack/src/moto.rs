//! The Glue stand-in: a moto server, Glue job fixtures in it, and the requests it recorded.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use aws_sdk_glue::Client;
use aws_sdk_glue::error::DisplayErrorContext;
use aws_sdk_glue::types::{ExecutionProperty, Job, JobCommand};
use serde_json::Value;

use crate::env::{command_with_env, sdk_config};
use crate::python::{python, script};

/// How long moto may take to print its URL.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The role every fixture job gets (moto does not check it).
const FIXTURE_ROLE: &str = "arn:aws:iam::123456789012:role/test-stack-glue";

/// A moto server (the Glue stand-in) and an AWS SDK Glue client pointed at it.
///
/// Glue calls are made through a small tokio runtime owned by the `Moto`
/// (one worker thread), so the API is synchronous and may be used from
/// parallel tests.
pub struct Moto {
    /// Base URL, e.g. `http://127.0.0.1:40123`: what `AWS_ENDPOINT_URL_GLUE` is set to.
    pub url: String,
    /// The server process, if this `Moto` started it.
    child: Option<Child>,
    runtime: tokio::runtime::Runtime,
    glue: Client,
    pub(crate) s3: aws_sdk_s3::Client,
}

impl Moto {
    /// The moto server of this test process, started on first use and shared
    /// by all its tests (give jobs [`unique_name`](crate::unique_name)s).
    ///
    /// If `GLUE_CODEARTIFACT_TEST_GLUE_URL` is set, that server is used
    /// instead. A server started here exits with the test process
    /// (`--exit-with-parent`).
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(|| match std::env::var("GLUE_CODEARTIFACT_TEST_GLUE_URL") {
            Ok(url) if !url.is_empty() => Moto::connect(&url),
            _ => Moto::start(),
        })
    }

    /// A private moto server, killed when the `Moto` is dropped.
    pub fn start() -> Moto {
        Moto::start_with_args(&[])
    }

    /// [`Moto::start`] with more flags for `moto_server.py`, e.g.
    /// `["--latency-ms", "50"]` for benchmarks.
    pub fn start_with_args(args: &[&str]) -> Moto {
        let mut child = command_with_env(python(), &[])
            .arg(script("moto_server.py"))
            .args([
                "--exit-with-parent",
                "--parent-pid",
                &std::process::id().to_string(),
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server.py: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        match read_url(stdout) {
            Ok(url) => {
                let mut moto = Moto::connect(&url);
                moto.child = Some(child);
                moto
            }
            Err(problem) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                panic!("moto_server.py did not start ({problem}; {status}); did scripts/setup run?")
            }
        }
    }

    /// A `Moto` for a server that is already running at `url` (not stopped on drop).
    pub fn connect(url: &str) -> Moto {
        let url = url.trim_end_matches('/').to_owned();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("test-stack-moto")
            .enable_all()
            .build()
            .expect("cannot build a tokio runtime");
        let config = sdk_config(&url);
        Moto {
            glue: Client::new(&config),
            s3: crate::s3::client(&config),
            url,
            child: None,
            runtime,
        }
    }

    /// The Glue client (AWS SDK for Rust) pointed at this server; drive its
    /// futures with [`Moto::block_on`].
    pub fn glue(&self) -> &Client {
        &self.glue
    }

    /// Run a future (e.g. a call on [`Moto::glue`]) to completion.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Create the Glue job `spec` describes (CreateJob).
    pub fn create_job(&self, spec: &JobSpec) {
        let mut command = JobCommand::builder()
            .name(&spec.command)
            .script_location(format!("s3://test-stack/scripts/{}.py", spec.name));
        if let Some(version) = &spec.python_version {
            command = command.python_version(version);
        }
        let request = self
            .glue
            .create_job()
            .name(&spec.name)
            .role(FIXTURE_ROLE)
            .command(command.build())
            .set_glue_version(spec.glue_version.clone())
            .set_default_arguments(non_empty(&spec.default_arguments))
            .set_non_overridable_arguments(non_empty(&spec.non_overridable_arguments))
            .set_timeout(spec.timeout_minutes)
            .set_max_retries(spec.max_retries)
            .set_execution_property(
                spec.max_concurrent_runs
                    .map(|n| ExecutionProperty::builder().max_concurrent_runs(n).build()),
            )
            .set_tags(non_empty(&spec.tags));
        self.block_on(request.send()).unwrap_or_else(|e| {
            panic!(
                "CreateJob {} failed: {}",
                spec.name,
                DisplayErrorContext(&e)
            )
        });
    }

    /// The job's definition as GetJob returns it.
    pub fn job(&self, name: &str) -> Job {
        self.block_on(self.glue.get_job().job_name(name).send())
            .unwrap_or_else(|e| panic!("GetJob {name} failed: {}", DisplayErrorContext(&e)))
            .job
            .unwrap_or_else(|| panic!("GetJob {name} returned no job"))
    }

    /// The job's runs (GetJobRuns), as moto shows them. Note that moto's
    /// `arguments` are the merged ones (defaults, run, non-overridable); use
    /// [`Moto::sent_requests`] for what a run was started with.
    pub fn job_runs(&self, job: &str) -> Vec<JobRunSummary> {
        let mut runs = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .block_on(
                    self.glue
                        .get_job_runs()
                        .job_name(job)
                        .set_next_token(next_token)
                        .send(),
                )
                .unwrap_or_else(|e| panic!("GetJobRuns {job} failed: {}", DisplayErrorContext(&e)));
            runs.extend(page.job_runs().iter().map(|run| {
                JobRunSummary {
                    id: run.id().unwrap_or_default().to_owned(),
                    state: run
                        .job_run_state()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    arguments: run
                        .arguments()
                        .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                    started_on: run.started_on().and_then(|t| SystemTime::try_from(*t).ok()),
                }
            }));
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return runs,
            }
        }
    }

    /// The bodies of the Glue requests this server received for `operation`
    /// (e.g. `"StartJobRun"`, `"UpdateJob"`) about `job` (their `JobName`, or
    /// `Name` for CreateJob), oldest first. This is what a client *sent*.
    pub fn sent_requests(&self, operation: &str, job: &str) -> Vec<Value> {
        let path = format!(
            "/_stack/glue-requests?operation={}&job={}",
            query_escape(operation),
            query_escape(job)
        );
        let body = http(&self.url, "GET", &path);
        let records: Vec<Value> = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {path}: not a JSON list ({e}): {body}"));
        records
            .into_iter()
            .map(|mut record| record["body"].take())
            .collect()
    }

    /// Forget every recorded Glue request (of every test using this server).
    pub fn clear_sent_requests(&self) {
        http(&self.url, "DELETE", "/_stack/glue-requests");
    }

    /// Moves run `run_id` of `job` to `state`, with Glue's `ErrorMessage`
    /// and `DPUSeconds` where given, as Glue would (moto_server.py's
    /// `/_stack/job-run-state`; with [`Moto::start_manual_runs`], runs stay
    /// STARTING until a test moves them).
    pub fn set_job_run_state(
        &self,
        job: &str,
        run_id: &str,
        state: &str,
        error_message: Option<&str>,
        dpu_seconds: Option<f64>,
    ) {
        let body = serde_json::json!({
            "job": job,
            "run_id": run_id,
            "state": state,
            "error_message": error_message,
            "dpu_seconds": dpu_seconds,
        });
        let (status, answer) =
            crate::http::post_json(&self.url, "/_stack/job-run-state", &body.to_string());
        assert_eq!(status, 204, "POST /_stack/job-run-state {body}: {answer}");
    }

    /// A new moto server whose Glue job runs stay STARTING until a test
    /// moves them with [`Moto::set_job_run_state`] (moto's state manager,
    /// which is global to a server: the shared one is left alone).
    pub fn start_manual_runs() -> Moto {
        let moto = Moto::start();
        let (status, answer) = crate::http::post_json(
            &moto.url,
            "/moto-api/state-manager/set-transition",
            r#"{"model_name": "glue::job_run", "transition": {"progression": "manual", "times": 1000000}}"#,
        );
        assert_eq!(
            status, 201,
            "moto's state manager took the transition: {answer}"
        );
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A Glue job fixture for [`Moto::create_job`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// Job name (use [`unique_name`](crate::unique_name)).
    pub name: String,
    /// `Command.Name`: `glueetl`, `pythonshell`, `gluestreaming` or `glueray`.
    pub command: String,
    /// `GlueVersion` (none: Glue's default, 0.9).
    pub glue_version: Option<String>,
    /// `DefaultArguments`.
    pub default_arguments: BTreeMap<String, String>,
    /// `NonOverridableArguments`.
    pub non_overridable_arguments: BTreeMap<String, String>,
    /// `Command.PythonVersion`.
    pub python_version: Option<String>,
    /// `Timeout`, in minutes.
    pub timeout_minutes: Option<i32>,
    /// `MaxRetries`.
    pub max_retries: Option<i32>,
    /// `ExecutionProperty.MaxConcurrentRuns` (moto enforces it; default 1).
    pub max_concurrent_runs: Option<i32>,
    /// `Tags`.
    pub tags: BTreeMap<String, String>,
}

impl JobSpec {
    /// A Spark ETL job: `glueetl`, Glue 5.0, Python 3.
    pub fn spark(name: &str) -> Self {
        JobSpec {
            name: name.to_owned(),
            command: "glueetl".to_owned(),
            glue_version: Some("5.0".to_owned()),
            default_arguments: BTreeMap::new(),
            non_overridable_arguments: BTreeMap::new(),
            python_version: Some("3".to_owned()),
            timeout_minutes: None,
            max_retries: None,
            max_concurrent_runs: None,
            tags: BTreeMap::new(),
        }
    }

    /// A Python shell job: `pythonshell`, Python 3.9, Glue 3.0.
    pub fn python_shell(name: &str) -> Self {
        JobSpec {
            command: "pythonshell".to_owned(),
            glue_version: Some("3.0".to_owned()),
            python_version: Some("3.9".to_owned()),
            ..JobSpec::spark(name)
        }
    }

    /// Set `Command.Name`.
    pub fn command(mut self, command: &str) -> Self {
        command.clone_into(&mut self.command);
        self
    }

    /// Set (or, with `None`, leave out) `GlueVersion`.
    pub fn glue_version(mut self, version: Option<&str>) -> Self {
        self.glue_version = version.map(str::to_owned);
        self
    }

    /// Set (or, with `None`, leave out) `Command.PythonVersion`.
    pub fn python_version(mut self, version: Option<&str>) -> Self {
        self.python_version = version.map(str::to_owned);
        self
    }

    /// Add one of `DefaultArguments`.
    pub fn default_argument(mut self, key: &str, value: &str) -> Self {
        self.default_arguments
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// Add one of `NonOverridableArguments`.
    pub fn non_overridable_argument(mut self, key: &str, value: &str) -> Self {
        self.non_overridable_arguments
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// Set `Timeout` (minutes).
    pub fn timeout_minutes(mut self, minutes: i32) -> Self {
        self.timeout_minutes = Some(minutes);
        self
    }

    /// Set `MaxRetries`.
    pub fn max_retries(mut self, retries: i32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// Set `ExecutionProperty.MaxConcurrentRuns`.
    pub fn max_concurrent_runs(mut self, runs: i32) -> Self {
        self.max_concurrent_runs = Some(runs);
        self
    }

    /// Add a tag.
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.insert(key.to_owned(), value.to_owned());
        self
    }
}

/// One job run, as GetJobRuns shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRunSummary {
    /// The run id (`jr_...`).
    pub id: String,
    /// `JobRunState`, e.g. `SUCCEEDED` (moto's runs succeed at once unless its
    /// state manager says otherwise).
    pub state: String,
    /// The run's arguments; moto shows them merged with the job's.
    pub arguments: BTreeMap<String, String>,
    /// `StartedOn`: when Glue accepted the StartJobRun.
    pub started_on: Option<SystemTime>,
}

fn non_empty(map: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!map.is_empty()).then(|| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// Read the `{"url": ...}` line moto_server.py prints, then keep draining its
/// stdout in the background (so a later print cannot fail on a closed pipe).
fn read_url(stdout: impl Read + Send + 'static) -> Result<String, String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("moto-stdout".to_owned())
        .spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            let _ = sender.send(first);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        })
        .expect("cannot spawn a thread");
    let line = receiver
        .recv_timeout(STARTUP_TIMEOUT)
        .map_err(|_| format!("no URL within {STARTUP_TIMEOUT:?}"))?
        .map_err(|e| format!("reading its stdout: {e}"))?;
    let value: Value = serde_json::from_str(line.trim())
        .map_err(|_| format!("expected a JSON line with its URL, got {line:?}"))?;
    value["url"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no \"url\" in {line:?}"))
}

/// One request to the stand-in's `/_stack` endpoints; the body of its 2xx
/// answer.
fn http(base_url: &str, method: &str, path: &str) -> String {
    let (status, body) =
        crate::http::request(base_url, method, path, None, Duration::from_secs(30));
    assert!(
        (200..300).contains(&status),
        "{method} {base_url}{path} answered {status}:\n{body}"
    );
    body
}

/// Percent-encode a query value (everything but RFC 3986 unreserved characters).
fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("job-1_a.b~"), "job-1_a.b~");
        assert_eq!(query_escape("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn python_shell_spec_overrides_the_spark_defaults() {
        let spec = JobSpec::python_shell("j")
            .default_argument("--a", "1")
            .tag("k", "v");
        assert_eq!(spec.command, "pythonshell");
        assert_eq!(spec.python_version.as_deref(), Some("3.9"));
        assert_eq!(spec.default_arguments["--a"], "1");
        assert_eq!(spec.tags["k"], "v");
    }
}
