//! `glue-codeartifact index-url`: the one command that prints a token.

use std::io::Write;

use glue_codeartifact_app::mint::mint;
use glue_codeartifact_aws::AwsSettings;
use serde_json::json;

use super::{Failure, services, timestamp};
use crate::{
    cli::{Format, IndexUrlArgs, Output},
    exit_code::Exit,
};

pub async fn run(
    args: IndexUrlArgs,
    output: Output,
    settings: &AwsSettings,
) -> Result<Exit, Failure> {
    // PyPI is the one format (a new one must be handled here).
    let Format::Pypi = args.format;
    let services = services(settings).await?;
    let repository = args.repository.into();
    let issued = mint(&services, &repository, args.duration).await?;
    let mut stdout = std::io::stdout().lock();
    // Printing the token is this command's job; nothing else does it.
    let url = issued.url.expose_secret();
    match output {
        Output::Text => writeln!(stdout, "{url}"),
        Output::Json => writeln!(
            stdout,
            "{}",
            json!({ "index_url": url, "expiration": timestamp(issued.expiration()) })
        ),
    }
    .map_err(Failure::output)?;
    Ok(Exit::Success)
}
