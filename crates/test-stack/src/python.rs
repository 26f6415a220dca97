//! The Python side of the stack: the venv, wheels, and the Glue worker replay.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};

use crate::env::{command_with_env, fake_credentials_env};

/// The repository root: the directory above `crates/` of the package whose
/// tests run (`cargo test` sets `CARGO_MANIFEST_DIR` for the test process),
/// else this crate's own at build time.
///
/// The runtime value comes first because one target directory may serve
/// several checkouts of the repository (CI's cache, worktrees), and a
/// binary built in one of them must not send tests to another's files.
pub fn repo_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file() && dir.join("crates").is_dir())
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .nth(2)
                .unwrap_or(Path::new("."))
        })
        .to_path_buf()
}

/// The Python of the test venv: `$GLUE_CODEARTIFACT_PYTHON` if set, else
/// `<repo>/.venv/bin/python`.
///
/// # Panics
/// If that file does not exist: run `scripts/setup` first.
pub fn python() -> PathBuf {
    let path = match std::env::var_os("GLUE_CODEARTIFACT_PYTHON") {
        Some(path) => PathBuf::from(path),
        None => repo_root().join(".venv/bin/python"),
    };
    assert!(
        path.exists(),
        "{} does not exist: run scripts/setup first (or set GLUE_CODEARTIFACT_PYTHON)",
        path.display()
    );
    path
}

/// The uv of the test venv: `<repo>/.venv/bin/uv` (uv is in
/// `crates/test-stack/python/requirements.txt`).
///
/// # Panics
/// If that file does not exist: run `scripts/setup` first.
pub fn uv() -> PathBuf {
    let path = repo_root().join(".venv/bin/uv");
    assert!(
        path.exists(),
        "{} does not exist: run scripts/setup first",
        path.display()
    );
    path
}

/// Path of one of the stack's Python scripts.
pub(crate) fn script(name: &str) -> PathBuf {
    repo_root().join("crates/test-stack/python").join(name)
}

/// Build a pure-Python wheel `name==version` into `dir` with `make_wheel.py`;
/// returns the wheel's path.
pub fn make_wheel(dir: &Path, name: &str, version: &str) -> PathBuf {
    make_wheel_with(dir, name, version, &[])
}

/// [`make_wheel`] whose metadata lists `requires` as `Requires-Dist`
/// (PEP 508 requirements, e.g. `acme-core>=2`).
pub fn make_wheel_requiring(dir: &Path, name: &str, version: &str, requires: &[&str]) -> PathBuf {
    let args: Vec<&str> = requires.iter().flat_map(|r| ["--requires", r]).collect();
    make_wheel_with(dir, name, version, &args)
}

/// [`make_wheel`] with more flags of `make_wheel.py`: `--python-tag`,
/// `--abi-tag`, `--platform-tag`, `--requires-python`, `--requires`, `--sdist`. Returns the
/// path of the file built (the last line `make_wheel.py` prints, or else the
/// newest matching distribution in `dir`).
pub fn make_wheel_with(dir: &Path, name: &str, version: &str, extra_args: &[&str]) -> PathBuf {
    let mut command = Command::new(python());
    command
        .arg(script("make_wheel.py"))
        .args(["--name", name, "--version", version, "--out"])
        .arg(dir)
        .args(extra_args);
    let output = checked(&mut command, "make_wheel.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(path) = stdout.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
        let path = PathBuf::from(path);
        let path = if path.is_relative() {
            dir.join(path)
        } else {
            path
        };
        if path.is_file() {
            return path;
        }
    }
    newest_distribution(dir, name, version).unwrap_or_else(|| {
        panic!(
            "make_wheel.py built nothing for {name}=={version} in {}; it printed:\n{stdout}",
            dir.display()
        )
    })
}

/// The newest `{name}-{version}-*.whl` or `{name}-{version}.tar.gz` in `dir`
/// (name normalized as in distribution file names).
fn newest_distribution(dir: &Path, name: &str, version: &str) -> Option<PathBuf> {
    let stem = format!("{}-{version}", name.replace(['-', '.'], "_").to_lowercase());
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            let file = entry.file_name().to_string_lossy().to_lowercase();
            file == format!("{stem}.tar.gz")
                || (file.starts_with(&format!("{stem}-")) && file.ends_with(".whl"))
        })
        .max_by_key(|entry| entry.metadata().and_then(|m| m.modified()).ok())
        .map(|entry| entry.path())
}

/// What `glue_replay.py` did.
#[derive(Debug)]
pub struct ReplayOutput {
    /// Its exit status: pip's (0 on success), 3 when the run cannot be
    /// replayed, 4 when an import failed, 5 when a Glue call failed.
    pub status: ExitStatus,
    /// Its standard output: the `replay: pip install ...` line (URL passwords
    /// redacted), then pip's output.
    pub stdout: String,
    /// Its standard error (pip's errors, Python tracebacks).
    pub stderr: String,
}

impl ReplayOutput {
    /// Whether the replay succeeded (pip installed everything, every import worked).
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Asserts that the replay succeeded and that its stdout (pip's command
    /// and output, the imports') contains each of `expected`.
    #[track_caller]
    pub fn assert_success(&self, expected: &[&str]) {
        assert!(self.success(), "{}", self.transcript());
        for text in expected {
            assert!(
                self.stdout.contains(text),
                "{text:?} is not in the replay's stdout:\n{}",
                self.transcript()
            );
        }
    }

    /// stdout and stderr together, for assertion messages.
    pub fn transcript(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }
}

/// Replay what a Glue worker would do for run `run_id` of `job`: read the
/// job and run from the Glue at `glue_url`, merge the arguments, run the
/// `pip install` Glue would run in a fresh venv, then import each of
/// `imports`. See `crates/test-stack/python/glue_replay.py` for what it
/// assumes about Glue.
pub fn replay(glue_url: &str, job: &str, run_id: &str, imports: &[&str]) -> ReplayOutput {
    replay_with_image(glue_url, job, run_id, imports, None)
}

/// [`replay`] on a worker whose image provides the wheels in `image_wheels`
/// (stand-ins for the modules Glue provides, e.g. boto3), installed offline
/// before the job's install. S3 modules are fetched from the same endpoint.
pub fn replay_with_image(
    glue_url: &str,
    job: &str,
    run_id: &str,
    imports: &[&str],
    image_wheels: Option<&Path>,
) -> ReplayOutput {
    let mut command = command_with_env(python(), &fake_credentials_env());
    if let Some(dir) = image_wheels {
        command
            .arg(script("glue_replay.py"))
            .arg("--image-wheels")
            .arg(dir);
    } else {
        command.arg(script("glue_replay.py"));
    }
    command.args(["--job", job, "--run-id", run_id, "--endpoint-url", glue_url]);
    for module in imports {
        command.args(["--import", module]);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run glue_replay.py: {e}"));
    ReplayOutput {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Run `command`; panic with its output unless it succeeds.
fn checked(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout ---\n{}--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_root_holds_the_workspace() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(script("moto_server.py").is_file());
    }
}
