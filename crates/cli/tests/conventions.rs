//! Fitting in: --version with the commit, completions and the man page,
//! generated from the clap definition.

use crate::util::run_cli;

#[test]
fn version_shows_the_commit() {
    let run = run_cli(&["--version"], &[]);
    run.assert_code(0);
    let line = run.stdout.trim();
    assert!(
        line.starts_with(&format!(
            "glue-codeartifact {} (",
            env!("CARGO_PKG_VERSION")
        )),
        "{line}"
    );
    assert!(line.ends_with(')'), "{line}");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = run_cli(&["completions", shell], &[]);
        run.assert_code(0);
        for command in ["start", "index-url", "refresh", "doctor", "iam-policy"] {
            // The subcommand itself, as each shell offers one: a bare
            // substring would be satisfied by a flag (`iam-policy
            // --refresh`, `--index-url`) or a help text.
            let offered = match shell {
                "bash" => format!("glue__codeartifact,{command})"),
                "zsh" => format!("'{command}:"),
                "fish" => format!("needs_command\" -f -a \"{command}\""),
                "elvish" => format!("cand {command} '"),
                "powershell" => format!("[CompletionResult]::new('{command}', '{command}',"),
                _ => unreachable!(),
            };
            assert!(
                run.stdout.contains(&offered),
                "{shell} completion does not offer the subcommand {command} ({offered})"
            );
        }
    }
    // The bash script parses.
    let script = run_cli(&["completions", "bash"], &[]).stdout;
    let dir = crate::util::scratch("completions");
    let path = dir.join("glue-codeartifact.bash");
    std::fs::write(&path, script).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let bad = run_cli(&["completions", "tcsh"], &[]);
    bad.assert_code(2);
}

#[test]
fn man_page() {
    let run = run_cli(&["man"], &[]);
    run.assert_code(0);
    assert!(
        run.stdout.contains(".TH glue-codeartifact 1"),
        "{}",
        &run.stdout[..200]
    );
    assert!(run.stdout.contains("index\\-url"));
}
