//! The config file: profiles, discovery, and precedence (flags > env >
//! file > built-in defaults).

use crate::util::{DOMAIN, REPOSITORY, Run, Stack, only_run_arguments, scratch};
use test_stack::{aws_env, command_with_env, unique_name};

const INSTALLER_OPTION: &str = "--python-modules-installer-option";

/// Runs the CLI in `dir` (for the project-local file) with extra env.
fn cli_in(stack: &Stack, dir: &std::path::Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut env = aws_env(&stack.moto.url, &stack.emulator.base_url());
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let output = command_with_env(env!("CARGO_BIN_EXE_glue-codeartifact"), &env)
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn project(contents: &str) -> test_stack::scratch::Scratch {
    let dir = scratch(&unique_name("project"));
    std::fs::write(dir.join("glue-codeartifact.toml"), contents).unwrap();
    dir
}

#[test]
fn a_project_file_replaces_repeated_flags() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let dir = project(&format!(
        "[profile.default]\ndomain = \"{DOMAIN}\"\nrepository = \"{REPOSITORY}\"\nmode = \"extra-index-url\"\nduration = \"15m\"\n"
    ));
    let run = cli_in(
        &stack,
        &dir,
        &["start", "--job", &job, "--output", "json"],
        &[],
    );
    run.assert_code(0);
    let option = only_run_arguments(&stack, &job)[INSTALLER_OPTION]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        option.starts_with("--extra-index-url="),
        "mode from the file: {option}"
    );
    let expiration =
        humantime::parse_rfc3339(run.json()["token_expiration"].as_str().unwrap()).unwrap();
    let left = expiration
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!(left <= 900, "duration from the file: {left}");
}

/// The file's `duration` sets index-url's token too, as
/// `GLUE_CODEARTIFACT_DURATION` does (one meaning for both).
#[test]
fn index_url_takes_the_file_s_duration() {
    let stack = Stack::new();
    let dir = project(&format!(
        "[profile.default]\ndomain = \"{DOMAIN}\"\nrepository = \"{REPOSITORY}\"\nduration = \"2h\"\n"
    ));
    let run = cli_in(&stack, &dir, &["index-url", "--output", "json"], &[]);
    run.assert_code(0);
    let expiration = humantime::parse_rfc3339(run.json()["expiration"].as_str().unwrap()).unwrap();
    let left = expiration
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!(
        left > 3600,
        "2h from the file, not index-url's 15m default: {left}"
    );
}

#[test]
fn flags_beat_the_environment_which_beats_the_file() {
    let stack = Stack::new();
    let dir = project(
        "[profile.default]\ndomain = \"from-file\"\nrepository = \"from-file\"\nmode = \"extra-index-url\"\n",
    );
    let job = stack.spark_job(|j| j);
    // The file's domain is wrong; the environment's is right.
    let run = cli_in(
        &stack,
        &dir,
        &[
            "start",
            "--job",
            &job,
            "--repository",
            REPOSITORY,
            "--mode",
            "index-url",
        ],
        &[
            ("GLUE_CODEARTIFACT_DOMAIN", DOMAIN),
            ("GLUE_CODEARTIFACT_REPOSITORY", "from-env"),
        ],
    );
    run.assert_code(0);
    let option = only_run_arguments(&stack, &job)[INSTALLER_OPTION]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        option.starts_with("--index-url="),
        "the flag beat the file: {option}"
    );
    // Without the environment, the file's wrong domain is used.
    let run = cli_in(
        &stack,
        &dir,
        &["start", "--job", &job, "--repository", REPOSITORY],
        &[],
    );
    run.assert_code(4);
    assert!(run.stderr.contains("\"from-file\""), "{}", run.stderr);
}

#[test]
fn named_profiles_and_the_user_file() {
    let stack = Stack::new();
    let job = stack.spark_job(|j| j);
    let home = scratch(&unique_name("xdg"));
    std::fs::create_dir_all(home.join("glue-codeartifact")).unwrap();
    std::fs::write(
        home.join("glue-codeartifact/config.toml"),
        format!("[profile.default]\ndomain = \"nope\"\n\n[profile.data]\ndomain = \"{DOMAIN}\"\nrepository = \"{REPOSITORY}\"\n"),
    )
    .unwrap();
    let empty = scratch(&unique_name("cwd"));
    let xdg = home.to_string_lossy().into_owned();
    let run = cli_in(
        &stack,
        &empty,
        &["start", "--job", &job, "--config-profile", "data"],
        &[("XDG_CONFIG_HOME", &xdg)],
    );
    run.assert_code(0);
    let run = cli_in(
        &stack,
        &empty,
        &["start", "--job", &job],
        &[
            ("XDG_CONFIG_HOME", &xdg),
            ("GLUE_CODEARTIFACT_CONFIG_PROFILE", "staging"),
        ],
    );
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("has no [profile.staging]; it has: data, default"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_file_is_a_clear_error_before_any_aws_call() {
    let stack = Stack::new();
    let dir = project("[profile.default]\ndomian = \"typo\"\n");
    let run = cli_in(&stack, &dir, &["start", "--job", "j"], &[]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("glue-codeartifact.toml is not valid: unknown field `domian`"),
        "{}",
        run.stderr
    );
    let explicit = dir.join("missing.toml");
    let run = cli_in(
        &stack,
        &dir,
        &[
            "--config",
            &explicit.to_string_lossy(),
            "start",
            "--job",
            "j",
        ],
        &[],
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("cannot read the config file"),
        "{}",
        run.stderr
    );
    // A file value goes through the same validation as the flag.
    let dir = project("[profile.default]\ndomain_owner = \"123\"\n");
    let run = cli_in(
        &stack,
        &dir,
        &[
            "start",
            "--job",
            "j",
            "--domain",
            DOMAIN,
            "--repository",
            REPOSITORY,
        ],
        &[],
    );
    run.assert_code(2);
    assert!(run.stderr.contains("12 digits"), "{}", run.stderr);
    assert_eq!(stack.emulator.stats().get_authorization_token, 0);
}

/// An empty domain or repository, whichever source gives it, is a usage
/// error naming the setting (exit 2), never a request AWS cannot build.
#[test]
fn an_empty_domain_or_repository_is_exit_2_from_every_source() {
    let stack = Stack::new();
    let empty_dir = scratch(&unique_name("empty"));
    let empty_repository = project(&format!(
        "[profile.default]\ndomain = \"{DOMAIN}\"\nrepository = \"\"\n"
    ));
    type Case<'a> = (
        std::path::PathBuf,
        Vec<&'a str>,
        Vec<(&'a str, &'a str)>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            empty_dir.to_path_buf(),
            vec!["--domain", "", "--repository", REPOSITORY],
            vec![],
            "--domain",
        ),
        (
            empty_dir.to_path_buf(),
            vec!["--domain", DOMAIN, "--repository", "  "],
            vec![],
            "--repository",
        ),
        (
            empty_dir.to_path_buf(),
            vec!["--repository", REPOSITORY],
            vec![("GLUE_CODEARTIFACT_DOMAIN", " ")],
            "--domain",
        ),
        (
            empty_repository.to_path_buf(),
            vec![],
            vec![],
            "--repository",
        ),
    ];
    for (dir, flags, env, setting) in cases {
        let mut args = vec!["start", "--job", "j"];
        args.extend(flags);
        let run = cli_in(&stack, &dir, &args, &env);
        run.assert_code(2);
        assert!(
            run.stderr.contains(setting) && run.stderr.contains("it is empty"),
            "{args:?} {env:?}: {}",
            run.stderr
        );
    }
    assert_eq!(stack.emulator.stats().get_authorization_token, 0);
}
