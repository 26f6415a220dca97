//! The `glue-codeartifact` command line: its clap definition ([`cli`]), exit
//! codes ([`exit_code`]), config file ([`config`]) and one module per
//! command ([`commands`]).
//!
//! A library so that the binary (`src/main.rs`) and the reference-docs
//! generator (`crates/docgen`, which renders `docs/cli.md` and the tables
//! from these definitions) share one definition. It is not a stable API:
//! use the `glue-codeartifact-app` crate for the use cases.

// `eprintln!`/`println!` panic when the stream is a closed pipe, and much
// of what we print follows StartJobRun, UpdateJob or PutObject, where
// nothing may panic: every line goes through `writeln!` (stdout, whose
// errors are reported) or `say!` (stderr, whose errors are dropped). The
// workspace's lints (`clippy::print_stdout`/`print_stderr`) hold us to it.

/// `eprintln!` that never panics: a line to stderr, a write error dropped
/// (stderr is where an error would be reported).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprint!` that never panics (no newline added).
#[macro_export]
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stderr().lock(), $($arg)*);
    }};
}

#[allow(
    rustdoc::invalid_html_tags,
    reason = "its doc comments are --help text, where <job> is a placeholder"
)]
pub mod cli;
pub mod commands;
pub mod config;
pub mod exit_code;
pub mod logging;
