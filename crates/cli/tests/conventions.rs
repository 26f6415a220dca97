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

/// `--help` groups its options as cargo and ripgrep do: the command's own
/// first, then which repository, then how AWS is reached, then output,
/// config and logging.
#[test]
fn help_groups_the_options() {
    const HEADINGS: [&str; 4] = [
        "Options:",
        "Repository options:",
        "AWS options:",
        "Output, config and logging options:",
    ];
    // (command, one of its own options, whether it has repository options)
    let commands: [(&str, &str, bool); 8] = [
        ("start", "--duration <DURATION>", true),
        ("index-url", "--format <FORMAT>", true),
        ("doctor", "--mode <MODE>", true),
        ("refresh", "--concurrency <CONCURRENCY>", true),
        ("why", "--run-id <JOB_RUN_ID>", false),
        ("iam-policy", "--account <ACCOUNT>", true),
        ("lock", "--output-file <FILE>", true),
        ("wheelhouse", "--s3-prefix <S3_URI>", true),
    ];
    for (command, own, has_repository) in commands {
        let run = run_cli(&[command, "--help"], &[]);
        run.assert_code(0);
        let help = &run.stdout;
        let at = |text: &str| {
            help.find(text)
                .unwrap_or_else(|| panic!("{command} --help lacks {text:?}:\n{help}"))
        };
        let mut positions = Vec::new();
        for heading in HEADINGS {
            if heading == "Repository options:" && !has_repository {
                assert!(!help.contains(heading), "{command}:\n{help}");
                continue;
            }
            assert_eq!(help.matches(heading).count(), 1, "{command}:\n{help}");
            positions.push(at(heading));
        }
        assert!(
            positions.is_sorted(),
            "{command}: headings out of order:\n{help}"
        );
        // After "Options:": a required flag is in the usage line too.
        let own_at = help[positions[0]..]
            .find(own)
            .map(|i| i + positions[0])
            .unwrap_or_else(|| panic!("{command} --help lacks {own:?}:\n{help}"));
        assert!(
            own_at > positions[0] && own_at < positions[1],
            "{command}: {own} is not among the command's own options:\n{help}"
        );
        let aws = at("AWS options:");
        let output = at("Output, config and logging options:");
        for flag in ["--profile", "--region", "--operation-timeout"] {
            let p = at(&format!("{flag} <"));
            assert!(p > aws && p < output, "{command}: {flag}:\n{help}");
        }
        for flag in ["--output <OUTPUT>", "--verbose", "--config <FILE>"] {
            assert!(at(flag) > output, "{command}: {flag}:\n{help}");
        }
        if has_repository {
            let repository = at("Repository options:");
            let domain = at("  --domain <DOMAIN>");
            assert!(domain > repository && domain < aws, "{command}:\n{help}");
        }
    }
}
