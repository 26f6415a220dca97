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
            message: err.to_string(),
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
