//! README.md's examples cannot drift from the binary: every fenced `console` block is a transcript, each
//! `$ runbook ...` line is run from the checkout and what follows it is compared with what it printed (stdout,
//! then stderr). In the expected text a line `...` stands for any number of lines and `[..]` for any text within a
//! line; a last line `? N` is the exit status, 0 when there is none. A transcript runs no shell: no pipes,
//! redirections or variables.

use crate::support::cli::{Cli, repo};

/// One `$ runbook ...` of a console block: where it is, its arguments, what it must print and its exit status.
#[derive(Debug)]
struct Example {
    line: usize,
    command: String,
    args: Vec<String>,
    expected: Vec<String>,
    status: i32,
}

fn examples(markdown: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut in_console = false;
    for (index, line) in markdown.lines().enumerate() {
        let number = index + 1;
        if !in_console {
            in_console = line.trim_end() == "```console";
            continue;
        }
        if line.trim_end() == "```" {
            in_console = false;
        } else if let Some(command) = line.strip_prefix("$ ") {
            examples.push(Example {
                line: number,
                command: command.to_string(),
                args: words(command, number),
                expected: Vec::new(),
                status: 0,
            });
        } else {
            let example = examples
                .last_mut()
                .unwrap_or_else(|| panic!("README.md:{number}: output before any `$ ` command"));
            match line.strip_prefix("? ") {
                Some(status) => {
                    example.status = status.parse().unwrap_or_else(|_| {
                        panic!("README.md:{number}: `? N` takes an exit status, not {status:?}")
                    })
                }
                None => example.expected.push(line.to_string()),
            }
        }
    }
    assert!(!in_console, "README.md: a console block is never closed");
    examples
}

/// The words of a command line, quotes removed; shell syntax is refused rather than half-understood.
fn words(command: &str, line: usize) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, '|' | '>' | '<' | '$' | ';' | '&' | '`' | '(' | ')' | '*') => {
                panic!(
                    "README.md:{line}: `{command}` needs a shell ({c}); transcripts run the binary alone"
                )
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    assert!(
        quote.is_none(),
        "README.md:{line}: unclosed quote in `{command}`"
    );
    if started {
        words.push(word);
    }
    assert_eq!(
        words.first().map(String::as_str),
        Some("runbook"),
        "README.md:{line}: a transcript runs `runbook`, not `{command}`"
    );
    words.remove(0);
    words
}

/// Whether `actual` matches the `expected` line, in which `[..]` stands for any text.
fn line_matches(expected: &str, actual: &str) -> bool {
    let mut parts = expected.split("[..]");
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether the `actual` lines match the `expected` ones, in which a line `...` stands for any lines.
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skipped| lines_match(rest, &actual[skipped..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, others)| line_matches(first, line) && lines_match(rest, others)),
    }
}

#[test]
fn every_console_example_of_the_readme_prints_what_it_shows() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let examples = examples(&readme);
    let mut failures = Vec::new();
    for example in &examples {
        let ran = Cli::new()
            .current_dir(repo())
            // Help is wrapped to the terminal's width, or to 100 columns without one.
            .env_remove("COLUMNS")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .args(&example.args)
            .run();
        let printed = format!("{}{}", ran.stdout, ran.stderr);
        let actual: Vec<&str> = printed.trim_end_matches('\n').lines().collect();
        let mut expected = example.expected.clone();
        while expected.last().is_some_and(|line| line.is_empty()) {
            expected.pop();
        }
        if ran.code() != Some(example.status) || !lines_match(&expected, &actual) {
            failures.push(format!(
                "README.md:{}: $ {}\n--- shown (exit {})\n{}\n--- printed (exit {:?})\n{printed}",
                example.line,
                example.command,
                example.status,
                expected.join("\n"),
                ran.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The commands a newcomer tries first are among the checked examples, so the file cannot lose them quietly.
#[test]
fn the_readme_shows_the_offline_commands_as_checked_examples() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let examples = examples(&readme);
    for wanted in [
        &["validate"][..],
        &["list"],
        &["show"],
        &["actions"],
        &["schema"],
        &["plan", "--offline"],
        &["policy"],
        &["--help"],
    ] {
        assert!(
            examples.iter().any(|example| wanted
                .iter()
                .all(|word| example.args.iter().any(|arg| arg == word))),
            "no console example of README.md runs `runbook` with {wanted:?}"
        );
    }
    assert!(
        examples.iter().any(|example| example.status == 2),
        "no console example shows an error and its exit status"
    );
}

#[test]
fn a_transcript_that_differs_from_the_output_does_not_match() {
    let printed = ["valid    a.yaml (1 steps)", "valid    b.yaml (2 steps)"];
    let shown = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    assert!(lines_match(
        &shown(&["valid    a.yaml (1 steps)", "..."]),
        &printed
    ));
    assert!(lines_match(
        &shown(&["...", "valid    b.yaml ([..] steps)"]),
        &printed
    ));
    assert!(lines_match(
        &shown(&["valid[..]a.yaml[..]", "valid[..]"]),
        &printed
    ));
    assert!(!lines_match(
        &shown(&["valid    a.yaml (1 steps)"]),
        &printed
    ));
    assert!(!lines_match(
        &shown(&["valid    b.yaml (2 steps)", "..."]),
        &printed
    ));
    assert!(!lines_match(&shown(&["...", "invalid[..]"]), &printed));
    assert!(!line_matches("[..]b.yaml", "valid    b.yaml (2 steps)"));
    assert!(!line_matches("ab[..]ba", "aba"));
}
