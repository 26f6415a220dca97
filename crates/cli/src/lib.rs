//! The `glue-codeartifact` command line: its clap definition ([`cli`]), exit
//! codes ([`exit_code`]), config file ([`config`]) and one module per
//! command ([`commands`]).
//!
//! A library so that the binary (`src/main.rs`) and the reference-docs
//! generator (`crates/docgen`, which renders `docs/cli.md` and the tables
//! from these definitions) share one definition. It is not a stable API:
//! use the `glue-codeartifact-app` crate for the use cases.

pub mod cli;
pub mod commands;
pub mod config;
pub mod exit_code;
pub mod logging;
