//! `cargo run -p docgen`: writes the reference docs that are generated from
//! the code, as uv's `generate_cli_reference` does:
//!
//! - `docs/cli.md`: every command and flag, with its environment variable,
//!   default and values, from the clap definition;
//! - the environment-variable table of `docs/configuration.md`;
//! - the exit-code table of `docs/troubleshooting.md`, from the doc comments
//!   of `crates/cli/src/exit_code.rs`;
//! - the Lambda settings table of `docs/lambda/settings.md`, from
//!   `glue_codeartifact_lambda::settings::DOCUMENTED`;
//! - the Lambda error-type table of `docs/lambda/errors.md`, from
//!   `glue_codeartifact_lambda::error::documented_error_types` (the one
//!   classification, `app::ErrorClass`);
//! - `docs/lambda-event.schema.json`, the events' JSON Schema, from their
//!   serde types (`glue_codeartifact_lambda::event::schema`, schemars).
//!
//! Generated sections inside hand-written pages sit between
//! `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
//! `cargo run -p docgen -- --check` (and `cargo test -p docgen`) fails when a
//! page is stale.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a developer tool run by hand and by `cargo test -p docgen`"
)]

mod render;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

/// The command that regenerates everything; failure messages print it.
pub const REGENERATE: &str = "cargo run -p docgen";

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What is generated into one file.
enum Output {
    /// The whole file.
    Whole(String),
    /// Named sections between markers; the rest of the page is hand-written.
    Sections(Vec<(&'static str, String)>),
}

/// Every generated file, relative to the root, and what goes into it.
fn outputs() -> Vec<(&'static str, Output)> {
    let exit_source = std::fs::read_to_string(root().join("crates/cli/src/exit_code.rs"))
        .expect("crates/cli/src/exit_code.rs");
    vec![
        ("docs/cli.md", Output::Whole(render::cli_reference())),
        (
            "docs/configuration.md",
            Output::Sections(vec![("env-vars", render::env_table())]),
        ),
        (
            "docs/troubleshooting.md",
            Output::Sections(vec![("exit-codes", render::exit_codes(&exit_source))]),
        ),
        (
            "docs/lambda/settings.md",
            Output::Sections(vec![("lambda-settings", render::lambda_settings())]),
        ),
        (
            "docs/lambda/errors.md",
            Output::Sections(vec![("error-types", render::lambda_error_types())]),
        ),
        (
            "docs/lambda-event.schema.json",
            Output::Whole(render::event_schema()),
        ),
    ]
}

/// The new text of a file, or why it cannot be made.
fn apply(current: Option<&str>, output: &Output) -> Result<String, String> {
    match output {
        Output::Whole(text) => Ok(text.clone()),
        Output::Sections(sections) => {
            let mut text = current
                .ok_or("the page does not exist; create it with the markers")?
                .to_owned();
            for (name, body) in sections {
                let open = format!("<!-- generated:{name} -->");
                let close = format!("<!-- /generated:{name} -->");
                let start = text
                    .find(&open)
                    .ok_or_else(|| format!("marker {open} is missing"))?
                    + open.len();
                let end = text[start..]
                    .find(&close)
                    .ok_or_else(|| format!("marker {close} is missing"))?
                    + start;
                text.replace_range(start..end, &format!("\n{body}"));
            }
            Ok(text)
        }
    }
}

/// The files whose content differs from what would be generated.
fn stale() -> Result<Vec<&'static str>, String> {
    let mut stale = Vec::new();
    for (path, output) in outputs() {
        let current = std::fs::read_to_string(root().join(path)).ok();
        let wanted = apply(current.as_deref(), &output).map_err(|e| format!("{path}: {e}"))?;
        if current.as_deref() != Some(wanted.as_str()) {
            stale.push(path);
        }
    }
    Ok(stale)
}

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("docgen: unknown argument {other:?}; usage: {REGENERATE} [-- --check]");
            return ExitCode::from(2);
        }
    };
    if check {
        return match stale() {
            Ok(stale) if stale.is_empty() => ExitCode::SUCCESS,
            Ok(stale) => {
                eprintln!(
                    "docgen: stale: {}; run `{REGENERATE}` and commit the result",
                    stale.join(", ")
                );
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("docgen: {e}");
                ExitCode::FAILURE
            }
        };
    }
    for (path, output) in outputs() {
        let file = root().join(path);
        let current = std::fs::read_to_string(&file).ok();
        let wanted = match apply(current.as_deref(), &output) {
            Ok(wanted) => wanted,
            Err(e) => {
                eprintln!("docgen: {path}: {e}");
                return ExitCode::FAILURE;
            }
        };
        if current.as_deref() != Some(wanted.as_str()) {
            if let Err(e) = std::fs::write(&file, wanted) {
                eprintln!("docgen: cannot write {path}: {e}");
                return ExitCode::FAILURE;
            }
            println!("docgen: wrote {path}");
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_docs_are_fresh() {
        let stale = stale().unwrap_or_else(|e| panic!("{e}; then run `{REGENERATE}`"));
        assert!(
            stale.is_empty(),
            "generated docs are stale: {}.\nRegenerate them with:\n\n    {REGENERATE}\n\nand commit the result.",
            stale.join(", ")
        );
    }

    /// docs/configuration.md's example holds every key and is read by the
    /// CLI's own loader (unknown keys are errors there).
    #[test]
    fn configuration_example_is_a_valid_config_file() {
        let page = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
        let example = page
            .split_once("```toml\n")
            .and_then(|(_, rest)| rest.split_once("```"))
            .map(|(toml, _)| toml)
            .expect("a toml example in docs/configuration.md");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, example).unwrap();
        let args: Vec<std::ffi::OsString> = vec![
            "glue-codeartifact".into(),
            "--config".into(),
            file.clone().into(),
        ];
        let loaded = glue_codeartifact::config::load(&args);
        let loaded = loaded.expect("docs/configuration.md's example is a valid config file");
        let p = loaded.profile;
        assert!(
            [
                p.domain,
                p.domain_owner,
                p.repository,
                p.mode,
                p.duration,
                p.refresh_duration,
                p.endpoint_type,
                p.repository_endpoint_host,
                p.region,
                p.aws_profile,
            ]
            .iter()
            .all(Option::is_some),
            "the example's default profile sets every key"
        );
    }

    #[test]
    fn sections_are_replaced_between_markers() {
        let page = "intro\n<!-- generated:t -->\nold\n<!-- /generated:t -->\noutro\n";
        let out = apply(
            Some(page),
            &Output::Sections(vec![("t", "new\n".to_owned())]),
        )
        .unwrap();
        assert_eq!(
            out,
            "intro\n<!-- generated:t -->\nnew\n<!-- /generated:t -->\noutro\n"
        );
    }
}
