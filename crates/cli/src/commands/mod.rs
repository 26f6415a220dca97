//! One module per subcommand; each turns its arguments into a use-case call
//! and prints the outcome.

mod doctor;
mod follow;
mod generate;
mod iam_policy;
mod index_url;
mod lock;
mod refresh;
mod start;
mod wheelhouse;
mod why;

use glue_codeartifact_app::{Error, RepositoryRef, Services};
use glue_codeartifact_aws::AwsSettings;

use crate::{
    cli::{Cli, Command, RepositoryArgs},
    exit_code::Exit,
};

/// Parses `--arg KEY=VALUE` flags and checks their size: the one rule for
/// `start` and for `doctor`, which judges what `start` would send.
pub fn run_arguments(
    args: &[String],
) -> Result<Vec<glue_codeartifact_domain::run_plan::RunArgument>, Failure> {
    let invalid = |message: String| Failure::usage(format!("invalid --arg: {message}"));
    let arguments = args
        .iter()
        .map(|text| text.parse::<glue_codeartifact_domain::run_plan::RunArgument>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.message(crate::exit_code::flag)))?;
    glue_codeartifact_domain::run_plan::check_arguments_size(&arguments)
        .map_err(|e| invalid(e.message(crate::exit_code::flag)))?;
    Ok(arguments)
}

/// A failed command: the message to print once, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub exit: Exit,
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Failure {
            exit: Exit::of(&err),
            message: err.message(crate::exit_code::flag),
        }
    }
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            exit: Exit::Usage,
        }
    }

    fn output(err: std::io::Error) -> Self {
        Failure {
            message: format!("cannot write the output: {err}"),
            exit: Exit::Failure,
        }
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<Exit, Failure> {
    let settings = AwsSettings {
        profile: cli.profile.clone(),
        region: cli.region.clone(),
        timeouts: glue_codeartifact_aws::Timeouts {
            connect: cli.connect_timeout,
            attempt: cli.attempt_timeout,
            operation: cli.operation_timeout,
        },
    };
    match cli.command {
        Command::Start(args) => start::run(args, cli.output, &settings).await,
        Command::IndexUrl(args) => index_url::run(args, cli.output, &settings).await,
        Command::Doctor(args) => doctor::run(args, cli.output, &settings).await,
        Command::Refresh(args) => refresh::run(args, cli.output, &settings).await,
        Command::Completions { shell } => generate::completions(shell),
        Command::Man => generate::man(),
        Command::Why(args) => why::run(args, cli.output, &settings).await,
        Command::Wheelhouse(args) => wheelhouse::run(args, cli.output, &settings).await,
        Command::IamPolicy(args) => iam_policy::run(args, cli.output, cli.region.as_deref()),
        Command::Lock(args) => lock::run(args, cli.output, &settings).await,
    }
}

async fn services(settings: &AwsSettings) -> Result<Services, Failure> {
    Ok(Services::load(settings).await?)
}

/// Checks `--repository-endpoint-host`, wherever it came from: the index
/// URL's host receives every minted token, and a config file in the current
/// directory may come from someone else's commit. So the value must have a
/// `codeartifact.repositories` VPC endpoint's documented DNS-name shape
/// unless `--allow-any-endpoint-host` (or its environment variable, never
/// the file) says otherwise. Logs (at `-v`) and errors name the source.
pub fn check_endpoint_host(
    matches: &clap::ArgMatches,
    file: Option<&std::path::Path>,
) -> Result<(), String> {
    let Some((_, sub)) = matches.subcommand() else {
        return Ok(());
    };
    let Ok(Some(host)) = sub.try_get_one::<String>("repository_endpoint_host") else {
        return Ok(());
    };
    let source = match sub.value_source("repository_endpoint_host") {
        Some(clap::parser::ValueSource::CommandLine) => "--repository-endpoint-host".to_owned(),
        Some(clap::parser::ValueSource::EnvVariable) => {
            "the environment (GLUE_CODEARTIFACT_REPOSITORY_ENDPOINT_HOST)".to_owned()
        }
        _ => match file {
            Some(file) => format!("the config file {}", file.display()),
            None => "the config file".to_owned(),
        },
    };
    let allow_any = sub
        .try_get_one::<bool>("allow_any_endpoint_host")
        .ok()
        .flatten()
        .copied()
        .unwrap_or(false);
    tracing::info!(host = %host, source = %source, allow_any, "repository endpoint host");
    // Not a host at all: refused before any AWS call, opt-out or not (else
    // a token is minted first).
    glue_codeartifact_domain::repository_endpoint::check_host_syntax(host)
        .map_err(|e| format!("{} (set by {source})", e.message(crate::exit_code::flag)))?;
    if allow_any || glue_codeartifact_domain::repository_endpoint::is_vpc_endpoint_host(host) {
        return Ok(());
    }
    Err(format!(
        "the repository endpoint host {host:?} (set by {source}) is not {shape}, and every minted token would be sent to it; give the endpoint's DnsName, or, if this host is meant, pass --allow-any-endpoint-host (or set GLUE_CODEARTIFACT_ALLOW_ANY_ENDPOINT_HOST=true; a config file cannot)",
        shape = glue_codeartifact_domain::repository_endpoint::VPC_ENDPOINT_HOST_SHAPE,
    ))
}

impl From<RepositoryArgs> for RepositoryRef {
    fn from(args: RepositoryArgs) -> Self {
        RepositoryRef {
            domain: args.domain,
            domain_owner: args.domain_owner,
            repository: args.repository,
            endpoint_type: args.endpoint_type.map(Into::into),
            endpoint_host: args.repository_endpoint_host,
        }
    }
}

/// RFC 3339, seconds precision, UTC (total: never panics).
fn timestamp(t: glue_codeartifact_domain::timestamp::TokenExpiration) -> String {
    t.rfc3339()
}
