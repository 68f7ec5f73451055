//! Driving the binary on a pseudo-terminal, as an operator at a keyboard would: util-linux `script` gives it a
//! terminal, so it shows the plan and asks at approval gates; the answers are typed in advance.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `program args` on a pseudo-terminal in `cwd` with `env`, typing `input`; returns the exit code and what
/// the terminal showed (stdout and stderr together, as a screen would).
pub fn on_a_terminal(
    program: &Path,
    args: &[&str],
    cwd: &Path,
    env: &[(&str, String)],
    input: &str,
) -> (Option<i32>, String) {
    let mut line = quote(&program.display().to_string());
    for arg in args {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    let mut command = Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("util-linux script");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// One word for `sh -c`.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}
