//! `glue-codeartifact`: the command-line shell over the shared library.
//! `main` parses, installs logging, runs one command and reports an error
//! once, with its exit code.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use glue_codeartifact::{cli::Cli, commands, config, exit_code::Exit, logging};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let loaded = match config::load(&args) {
        Ok(loaded) => loaded,
        Err(message) => {
            glue_codeartifact::say!("error: {message}");
            return Exit::Usage.into();
        }
    };
    let (command, refresh_fallback) =
        config::refresh_duration_fallback(config::apply(Cli::command(), &loaded.profile), |name| {
            std::env::var(name).ok()
        });
    let matches = command.get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    logging::init(cli.verbose);
    if refresh_fallback.is_some()
        && matches
            .subcommand_matches("refresh")
            .and_then(|m| m.value_source("duration"))
            == Some(clap::parser::ValueSource::DefaultValue)
    {
        glue_codeartifact::say!("{}", config::refresh_duration_warning());
    }
    if let Some(file) = &loaded.file {
        tracing::info!(file = %file.display(), profile = %cli.config_profile, "config file");
    }
    if let Err(message) = commands::check_endpoint_host(&matches, loaded.file.as_deref()) {
        glue_codeartifact::say!("error: {message}");
        return Exit::Usage.into();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            glue_codeartifact::say!("error: cannot start the async runtime: {err}");
            return Exit::Failure.into();
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            glue_codeartifact::say!("error: {}", failure.message);
            failure.exit.into()
        }
    }
}
