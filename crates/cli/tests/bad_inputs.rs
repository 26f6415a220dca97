//! The bad-input catalogue, `docs/bad-inputs.md`: each row of its `cli`,
//! `job`, `endpoint` and `stack` tables is run here (the `event` rows by the
//! Lambda's tests), so the document and the behaviour cannot drift apart.
//! For every error row: the exit code and message are as the row says, no
//! run was started, and no token is in the output. A row whose exit code is
//! 2 must not have reached AWS at all.

use codeartifact_emulator::TokenStyle;
use glue_codeartifact_domain::{
    index_url::{IndexUrl, PackageFormat},
    secret::AuthToken,
};
use percent_encoding::percent_decode_str;
use test_stack::{JobSpec, SURFACES, unique_name};

use crate::util::{ACCOUNT, DOMAIN, REPOSITORY, Run, Stack, job_command};

/// One row of the catalogue.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    pub surface: String,
    pub input: String,
    pub result: String,
}

/// Every row of `docs/bad-inputs.md` (`test_stack::catalogue_rows`: a row
/// it cannot parse fails the test, never skipped).
pub fn rows() -> Vec<Row> {
    test_stack::catalogue_rows()
        .into_iter()
        .map(|r| Row {
            id: r.id,
            surface: r.surface,
            input: r.input,
            result: r.result,
        })
        .collect()
}

/// A fake `uv` that says it is 0.4.30, older than `lock` accepts.
fn old_uv() -> String {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let dir = test_stack::scratch::process_dir().join("old-uv");
        std::fs::create_dir_all(&dir).expect("the fake uv's directory");
        let path = dir.join("uv");
        std::fs::write(&path, "#!/bin/sh\necho 'uv 0.4.30'\n").expect("write the fake uv");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("make the fake uv executable");
        }
        path.to_string_lossy().into_owned()
    })
    .clone()
}

/// Expands `{a*N}`, `{nl}`, `{tab}`, `{ctl}`, `{job}` and `{old-uv}` (a
/// fake `uv` 0.4.30).
pub fn expand(text: &str, job: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &rest[start + 1..start + end];
        match name {
            "nl" => out.push('\n'),
            "tab" => out.push('\t'),
            "ctl" => out.push('\u{1}'),
            "job" => out.push_str(job),
            "old-uv" => out.push_str(&old_uv()),
            _ => match name
                .strip_prefix("a*")
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) => out.push_str(&"a".repeat(n)),
                None => out.push_str(&rest[start..=start + end]),
            },
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// What a `result` cell says.
#[derive(Debug, PartialEq, Eq)]
pub enum Expected {
    Exit(i32, String),
    Sent(String, String),
    Shown(String),
    Url(String),
    BuildError(String),
    Lambda(String, String),
}

pub fn expected(row: &Row) -> Expected {
    let r = row.result.as_str();
    if let Some(rest) = r.strip_prefix("exit ") {
        let (code, text) = rest.split_once(": ").expect("exit N: TEXT");
        return Expected::Exit(code.parse().expect("an exit code"), text.to_owned());
    }
    if let Some(rest) = r.strip_prefix("sent ") {
        let (key, value) = rest.split_once(": ").expect("sent KEY: VALUE");
        return Expected::Sent(key.to_owned(), value.to_owned());
    }
    if let Some(text) = r.strip_prefix("shown: ") {
        return Expected::Shown(text.to_owned());
    }
    if let Some(url) = r.strip_prefix("url: ") {
        return Expected::Url(url.to_owned());
    }
    if let Some(text) = r.strip_prefix("error: ") {
        return Expected::BuildError(text.to_owned());
    }
    let (error_type, text) = r.split_once(": ").expect("ERRORTYPE: TEXT");
    Expected::Lambda(error_type.to_owned(), text.to_owned())
}

/// The job a `job` row describes.
fn job_spec(name: &str, input: &str) -> JobSpec {
    let input = expand(input, name);
    let mut parts = input.split("; ");
    let head: Vec<&str> = parts.next().unwrap_or_default().split(' ').collect();
    let mut spec = match head[0] {
        "pythonshell" => JobSpec::python_shell(name),
        "glueetl" => JobSpec::spark(name),
        other => JobSpec::spark(name).command(other),
    };
    spec = spec
        .glue_version(head.get(1).copied())
        .max_concurrent_runs(10);
    for part in parts {
        let (fixed, part) = match part.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, part),
        };
        let (key, value) = part.split_once('=').expect("KEY=VALUE");
        spec = if fixed {
            spec.non_overridable_argument(key, value)
        } else {
            spec.default_argument(key, value)
        };
    }
    spec
}

/// A stack for a `stack` row.
fn stack_for(input: &str) -> Stack {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    // `expiration=…`: what GetAuthorizationToken reports as the expiration.
    let mut expiration = None;
    let stack = Stack::with_config(|config| match input {
        "endpoint_trailing_slash=false" => config.endpoint_trailing_slash = false,
        "token_style=awkward" => config.token_style = TokenStyle::Awkward,
        "expiration=past" => expiration = Some(now - 60),
        "expiration=in-5m" => expiration = Some(now + 300),
        "expiration=milliseconds" => expiration = Some((now + 3600) * 1000),
        "expiration=negative" => expiration = Some(-5),
        other => panic!("unknown stack input {other:?}"),
    });
    stack.emulator.report_expiration(expiration.map(Into::into));
    stack
}

/// Runs a `cli`, `job` or `stack` row with `RUST_LOG=log` on `stack` (a
/// `stack` row brings its own), checks its result, that no run started on
/// an error, and that no token is in the output.
pub fn run_row(stack: &Stack, row: &Row, log: &str) -> Run {
    let own;
    let stack = if row.surface == "stack" {
        own = stack_for(&row.input);
        &own
    } else {
        stack
    };
    let job = match row.surface.as_str() {
        "job" => {
            let name = unique_name("bad");
            stack.moto.create_job(&job_spec(&name, &row.input));
            name
        }
        _ => stack.spark_job(|j| j),
    };
    let args: Vec<String> = match row.surface.as_str() {
        "cli" => shlex::split(&row.input)
            .unwrap_or_else(|| panic!("{}: the input does not split", row.id))
            .iter()
            .map(|word| expand(word, &job))
            .collect(),
        _ => job_command("start", &job)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    };
    let calls_before = stack.emulator.requests().len();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = stack.cli_env(&args, &[("RUST_LOG", log), ("LOG_SIGNABLE_BODY", "true")]);
    let context = format!(
        "row {} with RUST_LOG={log:?}\n--- stdout\n{}\n--- stderr\n{}",
        row.id, run.stdout, run.stderr
    );
    if args[0] != "index-url" {
        stack.assert_no_token(&run.stdout, &format!("stdout of {context}"));
    }
    stack.assert_no_token(&run.stderr, &format!("stderr of {context}"));
    match expected(row) {
        Expected::Exit(code, text) => {
            assert_eq!(run.code, code, "{context}");
            assert!(run.stderr.contains(&text), "{context}\nexpected: {text}");
            assert!(
                stack.sent_runs(&job).is_empty(),
                "a run was started: {context}"
            );
            if code == 2 {
                assert_eq!(
                    stack.emulator.requests().len(),
                    calls_before,
                    "CodeArtifact was called: {context}"
                );
                assert!(
                    stack.moto.sent_requests("GetJob", &job).is_empty(),
                    "Glue was called: {context}"
                );
            }
        }
        Expected::Shown(text) => {
            assert_eq!(run.code, 0, "{context}");
            assert!(run.stdout.contains(&text), "{context}\nexpected: {text}");
            assert!(
                stack.sent_runs(&job).is_empty(),
                "a run was started: {context}"
            );
        }
        Expected::Sent(key, value) => {
            assert_eq!(run.code, 0, "{context}");
            let sent = stack.sent_runs(&job);
            assert_eq!(sent.len(), 1, "{context}");
            let actual = sent[0]["Arguments"][&key]
                .as_str()
                .unwrap_or_else(|| panic!("{key} was not sent: {context}"));
            let index = format!(
                "{}/{DOMAIN}-{ACCOUNT}/pypi/{REPOSITORY}/simple/",
                stack
                    .emulator
                    .base_url()
                    .replace("http://", "http://aws:****@")
            );
            assert_eq!(
                redact(stack, actual),
                value.replace("{index}", &index),
                "{context}"
            );
            // The token survived the trip: the URL's password decodes to an
            // issued token.
            let url = actual
                .split([' ', '='])
                .find(|w| w.starts_with("http://aws:"))
                .expect("our index URL");
            let password = url::Url::parse(url).unwrap().password().unwrap().to_owned();
            let token = percent_decode_str(&password).decode_utf8().unwrap();
            assert!(
                stack.emulator.issued_tokens().iter().any(|t| *t == token),
                "{context}"
            );
        }
        other => panic!("row {}: {other:?} is not a command-line result", row.id),
    }
    run
}

/// `text` with every issued token's percent-encoded form replaced by `****`.
fn redact(stack: &Stack, text: &str) -> String {
    let mut text = text.to_owned();
    for token in stack.emulator.issued_tokens() {
        text = text.replace(&test_stack::product_encoded(&token), "****");
    }
    text
}

#[test]
fn the_catalogue_is_well_formed() {
    let rows = rows();
    assert!(rows.len() >= 80, "the catalogue has {} rows", rows.len());
    let mut ids = std::collections::HashSet::new();
    for row in &rows {
        assert!(ids.insert(row.id.clone()), "duplicate id {}", row.id);
        assert!(
            SURFACES.contains(&row.surface.as_str()),
            "{}: surface {}",
            row.id,
            row.surface
        );
        let _ = expected(row);
    }
    for surface in SURFACES {
        assert!(
            rows.iter().any(|r| r.surface == surface),
            "no {surface} row"
        );
    }
}

fn run_surface(surface: &str) {
    let stack = Stack::new();
    for row in rows().iter().filter(|r| r.surface == surface) {
        run_row(&stack, row, "");
    }
}

#[test]
fn command_line_rows() {
    run_surface("cli");
}

#[test]
fn job_definition_rows() {
    run_surface("job");
}

#[test]
fn stack_rows() {
    run_surface("stack");
}

#[test]
fn endpoint_rows() {
    for row in rows().iter().filter(|r| r.surface == "endpoint") {
        let token = "T0k+/=";
        let built = IndexUrl::build(&row.input, &AuthToken::new(token), PackageFormat::Pypi);
        match (expected(row), built) {
            (Expected::Url(want), Ok(url)) => {
                assert_eq!(url.redacted(), want, "row {}", row.id);
                assert_eq!(
                    url.expose_secret(),
                    want.replace("****", "T0k%2B%2F%3D"),
                    "row {}",
                    row.id
                );
            }
            (Expected::BuildError(text), Err(err)) => {
                assert!(err.to_string().contains(&text), "row {}: {err}", row.id);
                assert!(!err.to_string().contains(token), "row {}", row.id);
            }
            (want, got) => panic!("row {}: expected {want:?}, got {got:?}", row.id),
        }
    }
}
