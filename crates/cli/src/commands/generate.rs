//! `completions` and `man`: generated from the clap definition.

use std::io::Write;

use clap::CommandFactory;

use super::Failure;
use crate::{cli::Cli, exit_code::Exit};

pub fn completions(shell: clap_complete::Shell) -> Result<Exit, Failure> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "glue-codeartifact", &mut out);
    std::io::stdout()
        .lock()
        .write_all(&out)
        .map_err(Failure::output)?;
    Ok(Exit::Success)
}

pub fn man() -> Result<Exit, Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(Failure::output)?;
    std::io::stdout()
        .lock()
        .write_all(&out)
        .map_err(Failure::output)?;
    Ok(Exit::Success)
}
