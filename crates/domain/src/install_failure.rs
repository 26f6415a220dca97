//! Why a run failed at install: where Glue writes a run's logs, which lines
//! of them tell why pip failed, and what we know on top of pip's words.
//!
//! # Where the lines are
//!
//! The Glue developer guide, "Logging for AWS Glue jobs"
//! (<https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html>):
//! system logs, Spark daemon logs and the Glue logger go to the log group
//! `/aws-glue/jobs/error`, the job's stdout and stderr to
//! `/aws-glue/jobs/output`; `--custom-logGroup-prefix P` makes them `P/error`
//! and `P/output`, and `--custom-logStream-prefix S` names the streams
//! `S-driver` and `S-executorNum` instead of `jobrunid-driver` and
//! `jobrunid-executorNum`. For Glue 4.0 and earlier, "Enabling continuous
//! logging for AWS Glue 4.0 and earlier jobs"
//! (<https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging-enable.html>)
//! puts a "log stream prefix before the AWS Glue job run ID driver/executor
//! ID" into the group `/aws-glue/jobs/logs-v2` (or `--continuous-log-logGroup`,
//! with `--continuous-log-logStreamPrefix`). `GetJobRun`'s `LogGroupName` is
//! the base of the standard groups when a security configuration changes it
//! (`/aws-glue/jobs-ROLE-CONFIG/`).
//!
//! **Assumed** (not documented): which of these streams the Python module
//! installer writes pip's output to, and the installer's own wording (the
//! console says only "Python Module Installer indicates modules that failed
//! to install, check logs from the PythonModuleInstaller"). So we look in
//! every candidate group for every stream named after the run (the run ID or
//! the custom prefix, alone or followed by `-` or `_`), say which streams
//! were read, and pick lines by pip's own messages, which pip prints the same
//! wherever it runs. Being wrong about the layout costs a few more reads.
//!
//! # What is never shown
//!
//! Every line passes [`redact_line`] before it is kept: the password of any
//! URL (a CodeArtifact token in `https://aws:TOKEN@…`, another index's
//! password) is replaced by `****`, and so is each secret the run's own
//! arguments hold ([`secrets_in_arguments`]), wherever it appears in the
//! line, even outside a URL.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::installer_option::has_no_index;
use crate::secret::{REDACTED, redact_known};
use crate::timestamp::rfc3339;

/// How many lines a triage shows at most: a screenful with its header.
pub const SCREENFUL: usize = 20;

/// The argument that moves the standard groups (Glue 5.0+).
pub const CUSTOM_LOG_GROUP_PREFIX: &str = "--custom-logGroup-prefix";
/// The argument that replaces the run ID in stream names (Glue 5.0+).
pub const CUSTOM_LOG_STREAM_PREFIX: &str = "--custom-logStream-prefix";
/// Continuous logging's own log group (Glue 4.0 and earlier).
pub const CONTINUOUS_LOG_GROUP: &str = "--continuous-log-logGroup";
/// Continuous logging's stream prefix (Glue 4.0 and earlier).
pub const CONTINUOUS_LOG_STREAM_PREFIX: &str = "--continuous-log-logStreamPrefix";
/// Where continuous logging writes by default.
pub const DEFAULT_CONTINUOUS_GROUP: &str = "/aws-glue/jobs/logs-v2";
/// The standard groups' base when `GetJobRun` names none.
pub const DEFAULT_GROUP_BASE: &str = "/aws-glue/jobs";

/// A log group to look in, and the stream-name prefixes that belong to the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The log group.
    pub group: String,
    /// Stream names that start with one of these (then end, or go on with
    /// `-` or `_`) are the run's.
    pub stream_prefixes: Vec<String>,
}

/// The log groups a run may have written to, most likely first, with the
/// stream prefixes of the run in each (see the module documentation for the
/// sources). `arguments` are the run's effective arguments.
pub fn candidates(
    log_group_name: Option<&str>,
    run_id: &str,
    arguments: &BTreeMap<String, String>,
) -> Vec<Candidate> {
    let arg = |key: &str| {
        arguments
            .get(key)
            .map(|v| v.trim().trim_end_matches('/'))
            .filter(|v| !v.is_empty())
    };
    // The bases of the standard groups: the custom prefix, GetJobRun's
    // LogGroupName, and the default (looked in as well: a wrong guess costs
    // one DescribeLogStreams).
    let mut bases: Vec<&str> = Vec::new();
    bases.extend(arg(CUSTOM_LOG_GROUP_PREFIX));
    bases.extend(
        log_group_name
            .map(|g| g.trim().trim_end_matches('/'))
            .filter(|g| !g.is_empty()),
    );
    bases.push(DEFAULT_GROUP_BASE);
    let mut standard = vec![run_id.to_owned()];
    standard.extend(arg(CUSTOM_LOG_STREAM_PREFIX).map(str::to_owned));
    let mut continuous = vec![run_id.to_owned()];
    if let Some(prefix) = arg(CONTINUOUS_LOG_STREAM_PREFIX) {
        continuous.push(prefix.to_owned());
        continuous.push(format!("{prefix}{run_id}"));
    }
    let mut out: Vec<Candidate> = Vec::new();
    for base in bases {
        for kind in ["error", "output"] {
            let group = format!("{base}/{kind}");
            if !out.iter().any(|c| c.group == group) {
                out.push(Candidate {
                    group,
                    stream_prefixes: standard.clone(),
                });
            }
        }
    }
    out.push(Candidate {
        group: arg(CONTINUOUS_LOG_GROUP)
            .unwrap_or(DEFAULT_CONTINUOUS_GROUP)
            .to_owned(),
        stream_prefixes: continuous,
    });
    out
}

impl Candidate {
    /// The one prefix to list streams by (their longest common prefix).
    pub fn list_prefix(&self) -> &str {
        self.stream_prefixes
            .iter()
            .min_by_key(|p| p.len())
            .map_or("", String::as_str)
    }

    /// Whether a stream named `stream` is the run's.
    pub fn owns(&self, stream: &str) -> bool {
        self.stream_prefixes.iter().any(|p| {
            stream
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '_']))
        })
    }
}

/// The order to read a group's streams in: the driver's first (the
/// installer runs there before the job's code), executors after.
pub fn stream_rank(stream: &str) -> u8 {
    if stream.ends_with("-driver") {
        0
    } else if !stream.contains("executor") {
        1
    } else {
        2
    }
}

/// The console page of one log stream (the CloudWatch console's
/// `#logsV2:log-groups/log-group/GROUP/log-events/STREAM` form; each name is
/// URL-encoded twice, the outer `%` written `$`, as the console writes it).
pub fn console_url(region: &str, group: &str, stream: &str) -> String {
    // JavaScript's encodeURIComponent: all but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    let enc = |s: &str| {
        let once = utf8_percent_encode(s, COMPONENT).to_string();
        utf8_percent_encode(&once, COMPONENT)
            .to_string()
            .replace('%', "$")
    };
    format!(
        "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{}/log-events/{}",
        enc(group),
        enc(stream)
    )
}

/// The secrets in a run's arguments: the password (or bare user name) of
/// every URL in them, percent-encoded and decoded. Used to redact them from
/// log lines wherever they appear, even outside a URL.
pub fn secrets_in_arguments(arguments: &BTreeMap<String, String>) -> Vec<String> {
    let mut secrets = Vec::new();
    for (_, raw) in credentialed_urls(arguments) {
        secrets.push(percent_decode(&raw));
        secrets.push(raw);
    }
    // Short ones would blank ordinary words; a token is ~1,200 characters.
    secrets.retain(|s| s.len() >= 8 && s != REDACTED);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

/// The hosts (with their port) of the URLs with credentials in a run's
/// arguments: our index, and any other private index the run names.
pub fn credentialed_hosts(arguments: &BTreeMap<String, String>) -> Vec<String> {
    let mut hosts: Vec<String> = credentialed_urls(arguments)
        .into_iter()
        .map(|(host, _)| host)
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// `(host[:port], secret)` of every URL with user-info in the values.
fn credentialed_urls(arguments: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for value in arguments.values() {
        for word in value.split([' ', ',', '"', '\'']) {
            let candidate = match word.split_once('=') {
                Some((opt, v)) if opt.starts_with('-') => v,
                _ => word,
            };
            let candidate = candidate.strip_prefix("-i").unwrap_or(candidate);
            let Ok(url) = Url::parse(candidate) else {
                continue;
            };
            let secret = match url.password() {
                Some(p) => p.to_owned(),
                None if !url.username().is_empty() => url.username().to_owned(),
                None => continue,
            };
            let Some(host) = url.host_str() else {
                continue;
            };
            let host = match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            };
            out.push((host, secret));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// One log line as shown: redacted, with where and when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The stream it came from.
    pub stream: String,
    /// When it was written (milliseconds since the Unix epoch).
    pub timestamp_ms: i64,
    /// The redacted text.
    pub text: String,
}

/// Replaces every one of `secrets` in `line`, then every URL's user-info
/// ([`crate::secret::redact_known`], the project's one text redactor), by `****`.
pub fn redact_line(line: &str, secrets: &[String]) -> String {
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    redact_known(line, &secrets)
}

/// What pip and the installer print that explains a failed install.
const MARKERS: [&str; 22] = [
    "Python Module Installer",
    "PythonModuleInstaller",
    "additional-python-modules",
    "python-modules-installer-option",
    "pip install",
    "pip3 install",
    "Looking in indexes:",
    "Looking in links:",
    "ERROR:",
    "No matching distribution found for",
    "Could not find a version that satisfies the requirement",
    "requires-python",
    "Requires-Python",
    "require a different python version",
    "HTTP error 40",
    "Credentials not correct",
    "Client Error",
    "Could not fetch URL",
    "ResolutionImpossible",
    "WARNING: Retrying",
    "subprocess-exited-with-error",
    "Failed building wheel",
];

/// Whether a line is one of pip's or the installer's that explain a failure.
pub fn is_install_line(text: &str) -> bool {
    MARKERS.iter().any(|m| text.contains(m)) || has_http_refusal(text)
}

/// Whether a line reports HTTP 401, 403 or 404 (pip: `HTTP error 401 while
/// getting …`, `401 Client Error: Unauthorized for url: …`, `WARNING: 401
/// Error, Credentials not correct for …`).
fn has_http_refusal(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| matches!(w, "401" | "403" | "404"))
        && (text.contains("://") || text.contains("Error") || text.contains("error"))
}

/// The lines chosen from a run's logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// At most [`SCREENFUL`] lines, oldest first (the last ones when there
    /// were more: pip's decisive error comes last).
    pub lines: Vec<LogLine>,
    /// How many more matching lines were left out.
    pub omitted: usize,
}

/// Picks the installer's and pip's lines out of `events` (already redacted),
/// without repeats, at most a screenful.
pub fn select(events: impl IntoIterator<Item = LogLine>) -> Selection {
    let mut lines: Vec<LogLine> = Vec::new();
    for event in events {
        for text in event.text.lines() {
            let text = text.trim_end();
            if is_install_line(text) && !lines.iter().any(|l| l.text == text) {
                lines.push(LogLine {
                    text: text.to_owned(),
                    ..event.clone()
                });
            }
        }
    }
    lines.sort_by_key(|l| l.timestamp_ms);
    let omitted = lines.len().saturating_sub(SCREENFUL);
    Selection {
        lines: lines.split_off(omitted),
        omitted,
    }
}

/// What we know on top of pip's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diagnosis {
    /// Our index refused the token after the token's expiry time.
    TokenExpired {
        /// When the token expired.
        expired_at: SystemTime,
        /// When the index refused it (the log line's time).
        refused_at: SystemTime,
    },
    /// Our index refused the token (401/403/404) while it was valid, or
    /// with an expiry time we do not know.
    TokenRefused {
        /// When the token expires, if known.
        expires_at: Option<SystemTime>,
    },
    /// pip found no distribution for a requirement: `doctor` checks that
    /// before a run.
    MissingDistribution {
        /// The requirements pip named.
        requirements: Vec<String>,
    },
    /// The job is bound to a wheelhouse (`--no-index`) yet pip asked an index.
    NoIndexOverridden,
}

impl Diagnosis {
    /// One paragraph for the user: what happened and what to do.
    pub fn advice(&self, job: &str) -> String {
        match self {
            Diagnosis::TokenExpired {
                expired_at,
                refused_at,
            } => format!(
                "the token had expired: it expired at {}, and the index refused it at {}. Start the run closer to its install (`glue-codeartifact start`), or mint a longer token (--duration, up to 12h)",
                rfc3339(*expired_at),
                rfc3339(*refused_at)
            ),
            Diagnosis::TokenRefused {
                expires_at: Some(at),
            } => format!(
                "the index refused the token while it was valid (it expires at {}): the identity that minted it needs codeartifact:ReadFromRepository on the repository (see `glue-codeartifact iam-policy`)",
                rfc3339(*at)
            ),
            Diagnosis::TokenRefused { expires_at: None } => "the index refused the token (CodeArtifact answers a refused or expired token with 401, 403 or 404): either it had expired before pip ran (a token set by `refresh` lives as long as its --duration), or the identity that minted it lacks codeartifact:ReadFromRepository on the repository (see `glue-codeartifact iam-policy`). Start a fresh run with `glue-codeartifact start`".to_owned(),
            Diagnosis::MissingDistribution { requirements } => format!(
                "pip found no distribution for {} in the index, for the job's Python and platform: run `glue-codeartifact doctor --job {job}` to check every requirement against the repository before the next start",
                requirements.join(", ")
            ),
            Diagnosis::NoIndexOverridden => "the job is bound to a wheelhouse (--python-modules-installer-option holds --no-index), yet pip asked an index: --no-index was overridden (a run argument or the job's NonOverridableArguments replaced the installer option); start it without an index option, or bind it again".to_owned(),
        }
    }
}

/// What is known of the run besides its log lines.
#[derive(Clone, Debug, Default)]
pub struct RunFacts<'a> {
    /// The run's effective `--python-modules-installer-option`.
    pub installer_option: Option<&'a str>,
    /// When the token in the run's index URL expires, if we know it (we
    /// minted it: `start --wait`).
    pub token_expiration: Option<SystemTime>,
    /// The hosts of the URLs with credentials in the run's arguments (our
    /// index among them).
    pub index_hosts: &'a [String],
}

/// What the lines and the facts tell, most telling first.
pub fn diagnose(lines: &[LogLine], facts: &RunFacts<'_>) -> Vec<Diagnosis> {
    let mut out = Vec::new();
    let ours = |text: &str| {
        facts.index_hosts.iter().any(|h| text.contains(h.as_str()))
            || text.contains(".codeartifact.")
    };
    let refused = lines
        .iter()
        .find(|l| has_http_refusal(&l.text) && ours(&l.text));
    let asked_index = lines.iter().any(|l| {
        l.text.contains("Looking in indexes:")
            || (l.text.contains("://") && (ours(&l.text) || has_http_refusal(&l.text)))
    });
    if facts.installer_option.is_some_and(has_no_index) && asked_index {
        out.push(Diagnosis::NoIndexOverridden);
    }
    if let Some(line) = refused {
        let refused_at = time_of(line.timestamp_ms);
        out.push(match facts.token_expiration {
            Some(expired_at) if refused_at >= expired_at => Diagnosis::TokenExpired {
                expired_at,
                refused_at,
            },
            expires_at => Diagnosis::TokenRefused { expires_at },
        });
        return out;
    }
    let mut requirements: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            l.text
                .split_once("No matching distribution found for ")
                .or_else(|| {
                    l.text
                        .split_once("Could not find a version that satisfies the requirement ")
                })
                .map(|(_, rest)| rest.split(" (").next().unwrap_or(rest).trim().to_owned())
        })
        .filter(|r| !r.is_empty())
        .collect();
    requirements.sort();
    requirements.dedup();
    if !requirements.is_empty() {
        out.push(Diagnosis::MissingDistribution { requirements });
    }
    out
}

fn time_of(ms: i64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "eyJ2ZXIiOjEsImlzdSI6MTcwMH0.c2VjcmV0LXRva2VuLXZhbHVl";

    fn line(ms: i64, text: &str) -> LogLine {
        LogLine {
            stream: "jr_1".into(),
            timestamp_ms: ms,
            text: text.into(),
        }
    }

    #[test]
    fn candidates_default_custom_and_continuous() {
        let none = BTreeMap::new();
        let c = candidates(None, "jr_1", &none);
        let groups: Vec<_> = c.iter().map(|c| c.group.as_str()).collect();
        assert_eq!(
            groups,
            [
                "/aws-glue/jobs/error",
                "/aws-glue/jobs/output",
                "/aws-glue/jobs/logs-v2"
            ]
        );
        assert!(c[0].owns("jr_1") && c[0].owns("jr_1-driver") && c[0].owns("jr_1_g-2"));
        assert!(!c[0].owns("jr_10") && !c[0].owns("jr_2"));
        let c = candidates(Some("/aws-glue/jobs-r-sc/"), "jr_1", &none);
        assert_eq!(c[0].group, "/aws-glue/jobs-r-sc/error");
        assert_eq!(c[2].group, "/aws-glue/jobs/error", "the default too");
        assert_eq!(c.len(), 5);
        let args: BTreeMap<_, _> = [
            (CUSTOM_LOG_GROUP_PREFIX.to_owned(), "/team/etl".to_owned()),
            (CUSTOM_LOG_STREAM_PREFIX.to_owned(), "nightly".to_owned()),
            (CONTINUOUS_LOG_GROUP.to_owned(), "/cl".to_owned()),
        ]
        .into();
        let c = candidates(Some("/aws-glue/jobs"), "jr_1", &args);
        assert_eq!(c[1].group, "/team/etl/output");
        assert!(c[1].owns("nightly-driver") && c[1].owns("jr_1"));
        assert_eq!(c[0].list_prefix(), "jr_1");
        assert_eq!(c[2].group, "/aws-glue/jobs/error");
        assert_eq!(c[4].group, "/cl");
    }

    #[test]
    fn console_url_encodes_twice() {
        assert_eq!(
            console_url("eu-west-1", "/aws-glue/jobs/error", "jr_1-driver"),
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws-glue$252Fjobs$252Ferror/log-events/jr_1-driver"
        );
    }

    #[test]
    fn redacts_urls_and_the_runs_own_secrets_anywhere() {
        let args: BTreeMap<_, _> = [(
            "--python-modules-installer-option".to_owned(),
            format!("--upgrade --index-url=https://aws:{TOKEN}@h.example/pypi/r/simple/"),
        )]
        .into();
        let secrets = secrets_in_arguments(&args);
        assert!(secrets.contains(&TOKEN.to_owned()));
        assert_eq!(credentialed_hosts(&args), ["h.example"]);
        for raw in [
            format!("ERROR: HTTP error 401 while getting https://aws:{TOKEN}@h.example/x"),
            format!("token={TOKEN};"),
            "Looking in indexes: https://bob:pw12@other.example/simple".to_owned(),
        ] {
            let shown = redact_line(&raw, &secrets);
            assert!(!shown.contains(TOKEN) && !shown.contains("pw12"), "{shown}");
        }
    }

    #[test]
    fn selects_pips_lines_and_diagnoses() {
        let sel = select([
            line(1, "INFO spark starting"),
            line(
                2,
                "Looking in indexes: https://aws:****@127.0.0.1:9/pypi/r/simple/",
            ),
            line(
                3,
                "ERROR: Could not find a version that satisfies the requirement acme-tools==9.9 (from versions: 1.0)",
            ),
            line(
                4,
                "ERROR: No matching distribution found for acme-tools==9.9",
            ),
            line(
                5,
                "ERROR: No matching distribution found for acme-tools==9.9",
            ),
        ]);
        assert_eq!(sel.lines.len(), 3);
        let hosts = ["127.0.0.1:9".to_owned()];
        let facts = RunFacts {
            index_hosts: &hosts,
            ..Default::default()
        };
        assert_eq!(
            diagnose(&sel.lines, &facts),
            [Diagnosis::MissingDistribution {
                requirements: vec!["acme-tools==9.9".into()]
            }]
        );
        let refused = [line(
            10_000,
            "ERROR: HTTP error 401 while getting https://aws:****@127.0.0.1:9/pypi/r/simple/acme-tools/",
        )];
        let expired = SystemTime::UNIX_EPOCH + Duration::from_secs(5);
        let d = diagnose(
            &refused,
            &RunFacts {
                token_expiration: Some(expired),
                ..facts.clone()
            },
        );
        assert!(matches!(d[..], [Diagnosis::TokenExpired { .. }]), "{d:?}");
        let d = diagnose(&refused, &facts);
        assert_eq!(d, [Diagnosis::TokenRefused { expires_at: None }]);
        let d = diagnose(
            &refused,
            &RunFacts {
                installer_option: Some("--no-index"),
                ..facts.clone()
            },
        );
        assert_eq!(d[0], Diagnosis::NoIndexOverridden);
    }

    #[test]
    fn keeps_the_last_screenful() {
        let sel = select((0..30).map(|i| line(i, &format!("ERROR: line {i}"))));
        assert_eq!(sel.lines.len(), SCREENFUL);
        assert_eq!(sel.omitted, 10);
        assert_eq!(sel.lines[SCREENFUL - 1].text, "ERROR: line 29");
    }
}
