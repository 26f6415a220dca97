//! The least-privilege IAM policies of the identities that mint tokens: the
//! one that starts runs ([`start_policy`]: the Lambda's start function, or
//! a CI user running `start`) and the one that writes index URLs into jobs
//! ([`refresh_policy`]: the Lambda's refresh function, or whoever runs
//! `refresh`). They are two documents because they are two roles in the
//! SAM template: whoever may invoke the start function must not be able to
//! rewrite job definitions through it.
//!
//! Both grant the same minting statements:
//!
//! - `codeartifact:GetAuthorizationToken` on the domain ARN;
//! - `sts:GetServiceBearerToken` on `*` (the action has no resource type),
//!   only when `sts:AWSServiceName` is `codeartifact.amazonaws.com`:
//!   GetAuthorizationToken needs both;
//! - `codeartifact:GetRepositoryEndpoint` and `codeartifact:ReadFromRepository`
//!   on the repository ARN. A token carries the permissions of the identity
//!   that minted it, so without `ReadFromRepository` pip gets 401/403 with
//!   a perfectly valid token (a refreshed job's token as much as a run's).
//!
//! Then the start policy grants `glue:GetJob`, `glue:StartJobRun` and
//! `glue:GetJobRuns` on the allowed jobs' ARNs only. `GetJobRuns` finds the
//! run a `StartJobRun` started when its answer was lost, instead of
//! starting a second one.
//!
//! The refresh policy grants, instead:
//!
//! - `glue:GetJob` and `glue:UpdateJob` on the same jobs' ARNs;
//! - `glue:ListJobs` on `*`, for selecting jobs by tags: the Service
//!   Authorization Reference lists no resource type for it (and the tags are
//!   a filter of `ListJobs` itself, so `glue:GetTags` is not needed);
//! - `iam:PassRole` on the jobs' roles, only when `iam:PassedToService` is
//!   `glue.amazonaws.com`: `UpdateJob` sends the job's role back, and
//!   editing a job needs `iam:PassRole` on its role (Glue developer guide,
//!   "IAM permissions for auto upgrade": "the same rights as to edit a job:
//!   glue:UpdateJob … and iam:PassRole on the job role").
//!
//! and nothing that starts a run. An identity that does both (a CLI user
//! running `start` and `refresh`) gets both documents, as two policies: the
//! statement IDs of the minting statements repeat, and IAM wants them
//! unique within one policy.
//!
//! Because the token carries the minter's permissions, each identity should
//! hold **no** publish or write permission on the domain
//! ([`MINTER_WARNING`]): a token that leaks from a job's arguments can then
//! only read. The Glue job's own role needs no CodeArtifact permission: the
//! token travels in the run's (or the job's) arguments.
//!
//! ARN formats (CodeArtifact permissions reference; Glue "Specifying AWS
//! Glue resource ARNs"): `arn:PARTITION:codeartifact:REGION:OWNER:domain/DOMAIN`,
//! `arn:PARTITION:codeartifact:REGION:OWNER:repository/DOMAIN/REPOSITORY`,
//! `arn:PARTITION:glue:REGION:ACCOUNT:job/NAME`. The domain and repository
//! belong to the domain owner's account, the jobs to the caller's.
//!
//! ```
//! use glue_codeartifact_domain::iam_policy::{PolicyScope, refresh_policy, start_policy};
//!
//! let scope = PolicyScope {
//!     partition: "aws".into(),
//!     region: "us-east-1".into(),
//!     account: "123456789012".into(),
//!     domain: "acme".into(),
//!     domain_owner: None,
//!     repository: "py-internal".into(),
//!     jobs: "nightly-*".parse()?,
//! };
//! let start = start_policy(&scope)?;
//! assert_eq!(start.statement.len(), 4);
//! assert_eq!(
//!     start.statement[3].resource,
//!     vec!["arn:aws:glue:us-east-1:123456789012:job/nightly-*"]
//! );
//! let refresh = refresh_policy(&scope, &["arn:aws:iam::123456789012:role/etl".into()])?;
//! assert_eq!(refresh.statement[..3], start.statement[..3]);
//! assert_eq!(refresh.statement[3].action, vec!["glue:GetJob", "glue:UpdateJob"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use serde::Serialize;

use crate::job_pattern::JobPatterns;
use crate::names::{is_account_id, is_domain_name, is_repository_name};
use crate::s3_uri::S3Uri;

/// The policy language version.
pub const POLICY_VERSION: &str = "2012-10-17";

/// What to tell whoever attaches the policy.
pub const MINTER_WARNING: &str = "A CodeArtifact token carries the permissions of the identity that minted it. Give that identity (this role or user) no publish or write permission on the domain, so that a token leaked from a run's or a job's arguments can only read. The Glue job's own role needs no CodeArtifact permission.";

/// Where the policy applies.
#[derive(Clone, Debug)]
pub struct PolicyScope {
    /// The ARN partition: `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
    /// The region, or `*`.
    pub region: String,
    /// The account of the Glue jobs (and of the domain unless
    /// `domain_owner` is set), or `*`.
    pub account: String,
    /// The CodeArtifact domain.
    pub domain: String,
    /// The domain's owner, when it is another account.
    pub domain_owner: Option<String>,
    /// The CodeArtifact repository.
    pub repository: String,
    /// The Glue jobs that may be started.
    pub jobs: JobPatterns,
}

/// The condition on `iam:PassRole`: only towards Glue.
pub const PASSED_TO_GLUE: (&str, &str) = ("iam:PassedToService", "glue.amazonaws.com");

/// The refresh role's policy for `scope`: the minting statements,
/// `glue:GetJob` and `glue:UpdateJob` on the jobs, `glue:ListJobs`, and
/// `iam:PassRole` on `job_roles` (the jobs' roles, ARNs in `scope`'s
/// partition; `*` may stand in the role's name, as IAM reads it) towards
/// Glue only. Nothing that starts a run.
pub fn refresh_policy(
    scope: &PolicyScope,
    job_roles: &[String],
) -> Result<PolicyDocument, PolicyError> {
    let mut statement = minting_statements(scope)?;
    if job_roles.is_empty() {
        return Err(PolicyError::Invalid {
            what: "Glue job role",
            value: String::new(),
            expected: "at least one role ARN: UpdateJob passes each job's role to Glue",
        });
    }
    for role in job_roles {
        check(
            role,
            "Glue job role",
            |r| is_role_arn(r, &scope.partition),
            "an IAM role ARN in the policy's partition, arn:PARTITION:iam::ACCOUNT:role/NAME",
        )?;
    }
    let mut pass = allow("PassGlueJobRoles", vec!["iam:PassRole"], job_roles.to_vec());
    pass.condition.insert("StringEquals", passed_to_glue());
    statement.extend([
        allow(
            "RefreshAllowedGlueJobs",
            vec!["glue:GetJob", "glue:UpdateJob"],
            job_arns(scope),
        ),
        allow(
            "ListGlueJobsByTag",
            vec!["glue:ListJobs"],
            vec!["*".to_owned()],
        ),
        pass,
    ]);
    Ok(PolicyDocument {
        version: POLICY_VERSION,
        statement,
    })
}

/// `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`: IAM names and paths take
/// letters, digits and `+=,.@_-` (and `/` between path parts); `*` is IAM's
/// wildcard. Commas are refused here: lists of ARNs are comma-separated.
fn is_role_arn(arn: &str, partition: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:") else {
        return false;
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(p), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Some(name) = resource.strip_prefix("role/") else {
        return false;
    };
    p == partition
        && is_account_id(account)
        && !name.is_empty()
        && name.len() <= 512
        && !name.ends_with('/')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=.@_-/*".contains(&b))
}

/// Why a policy could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A part of an ARN is not valid.
    #[error("invalid {what} {value:?} for an ARN: {expected}")]
    Invalid {
        /// Which part.
        what: &'static str,
        /// What was given.
        value: String,
        /// What is expected.
        expected: &'static str,
    },
}

/// An IAM policy document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    /// `2012-10-17`.
    #[serde(rename = "Version")]
    pub version: &'static str,
    /// The statements.
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// One `Allow` statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// A name for the statement.
    #[serde(rename = "Sid")]
    pub sid: &'static str,
    /// Always `Allow`.
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    /// The actions, sorted.
    #[serde(rename = "Action")]
    pub action: Vec<&'static str>,
    /// The resource ARNs.
    #[serde(rename = "Resource")]
    pub resource: Vec<String>,
    /// Conditions: operator → key → value.
    #[serde(rename = "Condition", skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<&'static str, BTreeMap<&'static str, String>>,
}

fn allow(sid: &'static str, action: Vec<&'static str>, resource: Vec<String>) -> Statement {
    Statement {
        sid,
        effect: "Allow",
        action,
        resource,
        condition: BTreeMap::new(),
    }
}

fn passed_to_glue() -> BTreeMap<&'static str, String> {
    BTreeMap::from([(PASSED_TO_GLUE.0, PASSED_TO_GLUE.1.to_owned())])
}

/// Reading a wheelhouse or an S3 requirements file under `prefix`
/// (`doctor`): `s3:GetObject` on the objects under it (HeadObject needs it
/// too), and `s3:ListBucket` on its bucket, only for keys under it
/// (`s3:prefix`). Without `ListBucket`, S3 answers 403 instead of 404 for
/// a missing object (S3 API reference, HeadObject, "Permissions"), so
/// doctor could not tell a deleted wheel from a denied one.
pub fn s3_read_statements(scope: &PolicyScope, prefix: &S3Uri) -> Vec<Statement> {
    let (objects, bucket, keys) = s3_arns(scope, prefix);
    let mut list = allow("ListWheelhousePrefix", vec!["s3:ListBucket"], vec![bucket]);
    list.condition
        .insert("StringLike", BTreeMap::from([("s3:prefix", keys)]));
    vec![
        allow("ReadWheelhouseObjects", vec!["s3:GetObject"], vec![objects]),
        list,
    ]
}

/// `arn:P:s3:::BUCKET/KEY*`, `arn:P:s3:::BUCKET`, `KEY*`.
fn s3_arns(scope: &PolicyScope, prefix: &S3Uri) -> (String, String, String) {
    let bucket = format!("arn:{}:s3:::{}", scope.partition, prefix.bucket());
    let keys = format!("{}*", prefix.key());
    (format!("{bucket}/{keys}"), bucket, keys)
}

/// The policy of whoever runs `wheelhouse` with the wheels under `prefix`:
/// the minting statements (it downloads the locked wheels from
/// CodeArtifact), `s3:PutObject` and `s3:GetObject` on the objects under
/// the prefix (PutObject uploads, HeadObject checks), `s3:ListBucket` on
/// its bucket for keys under it; `glue:GetJob` on the jobs (it checks the
/// lock against the job's runtime). With `bind_roles` (`--bind`),
/// `glue:UpdateJob` too, and `iam:PassRole` on those roles towards Glue
/// only, as for refresh.
pub fn wheelhouse_policy(
    scope: &PolicyScope,
    prefix: &S3Uri,
    bind_roles: &[String],
) -> Result<PolicyDocument, PolicyError> {
    let mut statement = minting_statements(scope)?;
    let (objects, _, _) = s3_arns(scope, prefix);
    let mut s3 = s3_read_statements(scope, prefix);
    s3[0] = allow(
        "WriteWheelhouseObjects",
        vec!["s3:GetObject", "s3:PutObject"],
        vec![objects],
    );
    statement.extend(s3);
    if bind_roles.is_empty() {
        statement.push(allow(
            "ReadAllowedGlueJobs",
            vec!["glue:GetJob"],
            job_arns(scope),
        ));
    } else {
        for role in bind_roles {
            check(
                role,
                "Glue job role",
                |r| is_role_arn(r, &scope.partition),
                "an IAM role ARN in the policy's partition, arn:PARTITION:iam::ACCOUNT:role/NAME",
            )?;
        }
        let mut pass = allow(
            "PassGlueJobRoles",
            vec!["iam:PassRole"],
            bind_roles.to_vec(),
        );
        pass.condition.insert("StringEquals", passed_to_glue());
        statement.push(allow(
            "BindAllowedGlueJobs",
            vec!["glue:GetJob", "glue:UpdateJob"],
            job_arns(scope),
        ));
        statement.push(pass);
    }
    Ok(PolicyDocument {
        version: POLICY_VERSION,
        statement,
    })
}

/// What the Glue job's own role needs to install from a wheelhouse under
/// `prefix`: `s3:GetObject` on its objects. No CodeArtifact permission, no
/// token.
pub fn wheelhouse_job_role_policy(scope: &PolicyScope, prefix: &S3Uri) -> PolicyDocument {
    let (objects, _, _) = s3_arns(scope, prefix);
    PolicyDocument {
        version: POLICY_VERSION,
        statement: vec![allow(
            "InstallFromWheelhouse",
            vec!["s3:GetObject"],
            vec![objects],
        )],
    }
}

/// The start role's policy for `scope`: the minting statements, and
/// `glue:GetJob`, `glue:StartJobRun` and `glue:GetJobRuns` on the jobs.
pub fn start_policy(scope: &PolicyScope) -> Result<PolicyDocument, PolicyError> {
    let mut statement = minting_statements(scope)?;
    statement.push(allow(
        "StartAllowedGlueJobs",
        vec!["glue:GetJob", "glue:StartJobRun", "glue:GetJobRuns"],
        job_arns(scope),
    ));
    Ok(PolicyDocument {
        version: POLICY_VERSION,
        statement,
    })
}

/// The log groups a run's logs are in: the standard groups
/// (`/aws-glue/jobs/error`, `/output`), continuous logging's
/// `/aws-glue/jobs/logs-v2`, and those a security configuration names
/// (`/aws-glue/jobs-ROLE-CONFIG/…`). Custom log group names
/// (`--custom-logGroup-prefix`, `--continuous-log-logGroup`) are not
/// covered: add their ARNs by hand.
pub const JOB_LOG_GROUPS: &str = "/aws-glue/jobs*";

/// What `why` and `start --wait` need besides: `glue:GetJob`,
/// `glue:GetJobRun` and `glue:GetJobRuns` on the jobs (read a run, find the
/// latest), and `logs:DescribeLogStreams` and `logs:GetLogEvents` on the
/// job log groups ([`JOB_LOG_GROUPS`]) and their streams. Reading only:
/// nothing here starts or changes anything.
pub fn triage_statements(scope: &PolicyScope) -> Vec<Statement> {
    let PolicyScope {
        partition,
        region,
        account,
        ..
    } = scope;
    let groups = format!("arn:{partition}:logs:{region}:{account}:log-group:{JOB_LOG_GROUPS}");
    vec![
        allow(
            "ReadGlueJobRuns",
            vec!["glue:GetJob", "glue:GetJobRun", "glue:GetJobRuns"],
            job_arns(scope),
        ),
        allow(
            "ReadGlueJobRunLogs",
            vec!["logs:DescribeLogStreams", "logs:GetLogEvents"],
            vec![format!("{groups}:log-stream:*"), groups],
        ),
    ]
}

/// The statements both policies open with, after checking every part of
/// `scope`: minting a token, and reading the repository with it.
fn minting_statements(scope: &PolicyScope) -> Result<Vec<Statement>, PolicyError> {
    check(
        &scope.partition,
        "partition",
        is_partition,
        "lower-case letters and dashes, e.g. aws",
    )?;
    check(
        &scope.region,
        "region",
        is_region,
        "a region such as us-east-1, or *",
    )?;
    check(&scope.account, "account", is_account, "12 digits, or *")?;
    if let Some(owner) = &scope.domain_owner {
        check(
            owner,
            "domain owner",
            |s| is_account(s) && s != "*",
            "12 digits",
        )?;
    }
    check(
        &scope.domain,
        "domain",
        is_domain_name,
        crate::names::DOMAIN_NAME_RULE,
    )?;
    check(
        &scope.repository,
        "repository",
        is_repository_name,
        crate::names::REPOSITORY_NAME_RULE,
    )?;
    let PolicyScope {
        partition,
        region,
        account,
        domain,
        repository,
        ..
    } = scope;
    let owner = scope.domain_owner.as_deref().unwrap_or(account);
    let codeartifact = format!("arn:{partition}:codeartifact:{region}:{owner}");
    let mut bearer = allow(
        "CodeArtifactBearerToken",
        vec!["sts:GetServiceBearerToken"],
        vec!["*".to_owned()],
    );
    bearer.condition.insert(
        "StringEquals",
        BTreeMap::from([(
            "sts:AWSServiceName",
            "codeartifact.amazonaws.com".to_owned(),
        )]),
    );
    Ok(vec![
        allow(
            "MintCodeArtifactToken",
            vec!["codeartifact:GetAuthorizationToken"],
            vec![format!("{codeartifact}:domain/{domain}")],
        ),
        bearer,
        allow(
            "ReadCodeArtifactRepository",
            vec![
                "codeartifact:GetRepositoryEndpoint",
                "codeartifact:ReadFromRepository",
            ],
            vec![format!("{codeartifact}:repository/{domain}/{repository}")],
        ),
    ])
}

/// The allowed jobs' ARNs.
fn job_arns(scope: &PolicyScope) -> Vec<String> {
    let PolicyScope {
        partition,
        region,
        account,
        ..
    } = scope;
    scope
        .jobs
        .patterns()
        .iter()
        .map(|job| format!("arn:{partition}:glue:{region}:{account}:job/{job}"))
        .collect()
}

fn check(
    value: &str,
    what: &'static str,
    valid: impl Fn(&str) -> bool,
    expected: &'static str,
) -> Result<(), PolicyError> {
    if valid(value) {
        Ok(())
    } else {
        Err(PolicyError::Invalid {
            what,
            value: value.to_owned(),
            expected,
        })
    }
}

fn is_partition(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

fn is_region(s: &str) -> bool {
    s == "*"
        || (!s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

fn is_account(s: &str) -> bool {
    s == "*" || is_account_id(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(jobs: &str) -> PolicyScope {
        PolicyScope {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            domain: "acme".into(),
            domain_owner: None,
            repository: "py-internal".into(),
            jobs: jobs.parse().unwrap(),
        }
    }

    /// The minting statements both policies open with, for `scope("nightly-etl,reports-*")`.
    fn minting_json() -> serde_json::Value {
        serde_json::json!([
            {
                "Sid": "MintCodeArtifactToken",
                "Effect": "Allow",
                "Action": ["codeartifact:GetAuthorizationToken"],
                "Resource": ["arn:aws:codeartifact:us-east-1:123456789012:domain/acme"]
            },
            {
                "Sid": "CodeArtifactBearerToken",
                "Effect": "Allow",
                "Action": ["sts:GetServiceBearerToken"],
                "Resource": ["*"],
                "Condition": {
                    "StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}
                }
            },
            {
                "Sid": "ReadCodeArtifactRepository",
                "Effect": "Allow",
                "Action": [
                    "codeartifact:GetRepositoryEndpoint",
                    "codeartifact:ReadFromRepository"
                ],
                "Resource": [
                    "arn:aws:codeartifact:us-east-1:123456789012:repository/acme/py-internal"
                ]
            }
        ])
    }

    fn roles() -> Vec<String> {
        vec![
            "arn:aws:iam::123456789012:role/etl".to_owned(),
            "arn:aws:iam::123456789012:role/service-role/glue-*".to_owned(),
        ]
    }

    #[test]
    fn pins_the_start_policy() {
        let policy = start_policy(&scope("nightly-etl,reports-*")).unwrap();
        let json = serde_json::to_value(&policy).unwrap();
        let mut statements = minting_json();
        statements.as_array_mut().unwrap().push(serde_json::json!({
            "Sid": "StartAllowedGlueJobs",
            "Effect": "Allow",
            "Action": ["glue:GetJob", "glue:StartJobRun", "glue:GetJobRuns"],
            "Resource": [
                "arn:aws:glue:us-east-1:123456789012:job/nightly-etl",
                "arn:aws:glue:us-east-1:123456789012:job/reports-*"
            ]
        }));
        let expected = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
        assert_eq!(json, expected);
    }

    #[test]
    fn pins_the_refresh_policy() {
        let policy = refresh_policy(&scope("nightly-etl,reports-*"), &roles()).unwrap();
        let json = serde_json::to_value(&policy).unwrap();
        let mut statements = minting_json();
        statements.as_array_mut().unwrap().extend([
            serde_json::json!({
                "Sid": "RefreshAllowedGlueJobs",
                "Effect": "Allow",
                "Action": ["glue:GetJob", "glue:UpdateJob"],
                "Resource": [
                    "arn:aws:glue:us-east-1:123456789012:job/nightly-etl",
                    "arn:aws:glue:us-east-1:123456789012:job/reports-*"
                ]
            }),
            serde_json::json!({
                "Sid": "ListGlueJobsByTag",
                "Effect": "Allow",
                "Action": ["glue:ListJobs"],
                "Resource": ["*"]
            }),
            serde_json::json!({
                "Sid": "PassGlueJobRoles",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": [
                    "arn:aws:iam::123456789012:role/etl",
                    "arn:aws:iam::123456789012:role/service-role/glue-*"
                ],
                "Condition": {"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}}
            }),
        ]);
        let expected = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
        assert_eq!(json, expected);
    }

    fn actions(policy: &PolicyDocument) -> Vec<&'static str> {
        policy
            .statement
            .iter()
            .flat_map(|s| s.action.iter().copied())
            .collect()
    }

    #[test]
    fn each_role_gets_only_its_own_glue_actions() {
        let s = scope("*");
        let start = actions(&start_policy(&s).unwrap());
        let refresh = actions(&refresh_policy(&s, &roles()).unwrap());
        for action in ["glue:UpdateJob", "glue:ListJobs", "iam:PassRole"] {
            assert!(!start.contains(&action), "the start role gets {action}");
            assert!(refresh.contains(&action), "the refresh role lacks {action}");
        }
        for action in ["glue:StartJobRun", "glue:GetJobRuns"] {
            assert!(start.contains(&action), "the start role lacks {action}");
            assert!(!refresh.contains(&action), "the refresh role gets {action}");
        }
        // Both mint tokens that can read: the one a refresh writes into a
        // job serves pip as much as a run's.
        for policy in [&start, &refresh] {
            assert!(policy.contains(&"codeartifact:GetAuthorizationToken"));
            assert!(policy.contains(&"codeartifact:ReadFromRepository"));
        }
        assert_eq!(start.len(), 7);
        assert_eq!(refresh.len(), 8);
    }

    #[test]
    fn no_codeartifact_write_or_publish_action_in_either_policy() {
        let s = scope("*");
        for policy in [
            start_policy(&s).unwrap(),
            refresh_policy(&s, &roles()).unwrap(),
        ] {
            for action in actions(&policy) {
                if !action.starts_with("codeartifact:") {
                    continue;
                }
                assert!(
                    ![
                        "Publish",
                        "Put",
                        "Delete",
                        "Update",
                        "Create",
                        "Copy",
                        "Associate"
                    ]
                    .iter()
                    .any(|verb| action.contains(verb)),
                    "{action}"
                );
            }
        }
    }

    #[test]
    fn a_domain_owner_owns_the_codeartifact_arns_only() {
        let mut s = scope("j");
        s.domain_owner = Some("111122223333".into());
        s.partition = "aws-cn".into();
        s.region = "cn-north-1".into();
        let start = start_policy(&s).unwrap();
        let refresh =
            refresh_policy(&s, &["arn:aws-cn:iam::123456789012:role/etl".into()]).unwrap();
        for policy in [&start, &refresh] {
            assert_eq!(
                policy.statement[0].resource,
                vec!["arn:aws-cn:codeartifact:cn-north-1:111122223333:domain/acme"]
            );
            assert_eq!(
                policy.statement[2].resource,
                vec!["arn:aws-cn:codeartifact:cn-north-1:111122223333:repository/acme/py-internal"]
            );
            assert_eq!(
                policy.statement[3].resource,
                vec!["arn:aws-cn:glue:cn-north-1:123456789012:job/j"]
            );
        }
    }

    #[test]
    fn refresh_needs_role_arns_of_the_policy_s_partition() {
        let s = scope("j");
        let err = refresh_policy(&s, &[]).unwrap_err();
        assert!(err.to_string().contains("at least one role ARN"), "{err}");
        for bad in [
            "etl",
            "arn:aws:iam::123456789012:user/etl",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam:us-east-1:123456789012:role/etl",
            "arn:aws:iam::1234:role/etl",
            "arn:aws-cn:iam::123456789012:role/etl",
            "arn:aws:iam::123456789012:role/a,b",
            "arn:aws:glue::123456789012:role/etl",
            "arn:aws:iam::123456789012:role/etl$x",
        ] {
            let err = refresh_policy(&s, &[bad.to_owned()]).unwrap_err();
            assert!(err.to_string().contains("Glue job role"), "{bad}: {err}");
        }
        let mut cn = scope("j");
        cn.partition = "aws-cn".into();
        assert!(refresh_policy(&cn, &["arn:aws-cn:iam::123456789012:role/etl".into()]).is_ok());
    }

    #[test]
    fn rejects_invalid_parts() {
        type Change = fn(&mut PolicyScope);
        let cases: [(&str, Change); 6] = [
            ("region", |s| s.region = "us east".into()),
            ("account", |s| s.account = "1234".into()),
            ("domain owner", |s| s.domain_owner = Some("*".into())),
            ("domain", |s| s.domain = "Acme".into()),
            ("repository", |s| s.repository = "py/internal".into()),
            ("partition", |s| s.partition = "aws:x".into()),
        ];
        for (what, change) in cases {
            let mut s = scope("j");
            change(&mut s);
            let err = start_policy(&s).unwrap_err();
            assert!(err.to_string().contains(what), "{what}: {err}");
            let err = refresh_policy(&s, &roles()).unwrap_err();
            assert!(err.to_string().contains(what), "refresh, {what}: {err}");
        }
        let mut s = scope("j");
        s.region = "*".into();
        s.account = "*".into();
        assert!(start_policy(&s).is_ok());
        assert!(refresh_policy(&s, &roles()).is_ok());
    }
}
