//! The inputs a user gives glue-codeartifact, by what they are rather than
//! by how a shell spells them.
//!
//! An error or a preflight finding that tells the user what to fix names
//! the [`Input`] to fix; the shell that shows it words it, through an
//! [`InputName`]: the CLI by its flags and environment variables
//! (`glue_codeartifact::exit_code::flag`), the Lambda function by its event
//! fields, settings and template parameters
//! (`glue_codeartifact_lambda::error::setting_or_field`). Both match on
//! `Input` exhaustively, so a new input must be named by both, and a Lambda
//! caller is never told about a CLI flag it does not have.
//!
//! Where no shell words a message (`Display`, logs), [`Input::plain`] does.

/// Something a user gives, and may have to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    /// The Glue job.
    Job,
    /// The tags a refresh selects jobs by.
    Tags,
    /// A Glue job run's ID.
    RunId,
    /// The CodeArtifact domain.
    Domain,
    /// The account that owns the domain.
    DomainOwner,
    /// The CodeArtifact repository.
    Repository,
    /// The AWS region.
    Region,
    /// AWS credentials.
    Credentials,
    /// A `codeartifact.repositories` VPC endpoint's DNS name.
    RepositoryEndpointHost,
    /// How long a minted token lives.
    Duration,
    /// How pip gets the repository (`--index-url` or `--extra-index-url`).
    Mode,
    /// The run arguments a run adds to the job's.
    RunArguments,
    /// The time limit on one AWS operation, retries included.
    OperationTimeout,
    /// The jobs the deployment may start or refresh.
    AllowedJobs,
}

/// How a shell names an [`Input`] in a message: a noun phrase that fits
/// after "check" or "set".
pub type InputName = fn(Input) -> String;

impl Input {
    /// Every input.
    pub const ALL: [Input; 14] = [
        Input::Job,
        Input::Tags,
        Input::RunId,
        Input::Domain,
        Input::DomainOwner,
        Input::Repository,
        Input::Region,
        Input::Credentials,
        Input::RepositoryEndpointHost,
        Input::Duration,
        Input::Mode,
        Input::RunArguments,
        Input::OperationTimeout,
        Input::AllowedJobs,
    ];

    /// Shell-neutral words for the input (an [`InputName`]), for `Display`
    /// and logs.
    pub fn plain(self) -> String {
        match self {
            Input::Job => "the job name",
            Input::Tags => "the tags",
            Input::RunId => "the run ID",
            Input::Domain => "the domain",
            Input::DomainOwner => "the domain owner",
            Input::Repository => "the repository",
            Input::Region => "the region",
            Input::Credentials => "the AWS credentials",
            Input::RepositoryEndpointHost => "the repository endpoint host",
            Input::Duration => "the token duration",
            Input::Mode => "the index mode",
            Input::RunArguments => "the run arguments",
            Input::OperationTimeout => "the operation timeout",
            Input::AllowedJobs => "the allowed jobs",
        }
        .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_is_listed_once_and_has_plain_words() {
        for (i, input) in Input::ALL.iter().enumerate() {
            assert!(!Input::ALL[..i].contains(input), "{input:?} twice");
            assert!(input.plain().starts_with("the "), "{input:?}");
            // A match with no wildcard: a new input must be listed in ALL.
            match input {
                Input::Job
                | Input::Tags
                | Input::RunId
                | Input::Domain
                | Input::DomainOwner
                | Input::Repository
                | Input::Region
                | Input::Credentials
                | Input::RepositoryEndpointHost
                | Input::Duration
                | Input::Mode
                | Input::RunArguments
                | Input::OperationTimeout
                | Input::AllowedJobs => {}
            }
        }
    }
}
