//! `glue-codeartifact`: the command-line shell over the shared library.
//! `main` parses, installs logging, runs one command and reports an error
//! once, with its exit code.

mod cli;
mod commands;
mod exit_code;
mod logging;

use std::process::ExitCode;

use clap::Parser;

use crate::{cli::Cli, exit_code::Exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return Exit::Failure.into();
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.exit.into()
        }
    }
}
