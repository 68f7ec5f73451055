//! The binary run as an operator runs it, for every end-to-end test: one builder instead of a `runbook()` helper
//! per file, each with its own idea of which environment leaks in.
//!
//! A run starts from a clean slate: no `RUNBOOK_PATH`, no colour, nothing on stdin, and a state folder and a
//! working folder of its own under the target folder (removed after the run), so no test reads or writes the real
//! per-user state, the checkout, or another test's locks. Everything else (runbook folder, working folder, AWS environment, arguments, input) is said by the test,
//! and so are the expectations checked once it ended:
//!
//! ```ignore
//! let ran = Cli::new().dir(folder).aws(&moto).args(["run", "gated-write", "--yes"]).status(0).run();
//! ```

use std::ffi::{OsStr, OsString};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};

use super::moto::Moto;

pub struct Cli {
    command: Command,
    args: Vec<OsString>,
    fresh_state_dir: bool,
    scratch: Vec<tempfile::TempDir>,
    current_dir: bool,
    stdin: Option<Vec<u8>>,
    status: Option<i32>,
    stdout_has: Vec<String>,
    stderr_has: Vec<String>,
}

/// What a finished run left: its exit status and both streams as text.
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Ran {
    fn from(output: Output) -> Ran {
        Ran {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Ran {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// stdout as JSON (`--format json`, `--output json`), or a panic that shows both streams.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "no JSON on stdout ({error})\nstdout: {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

impl Default for Cli {
    fn default() -> Self {
        Cli::new()
    }
}

impl Cli {
    pub fn new() -> Cli {
        let mut command = Command::new(env!("CARGO_BIN_EXE_runbook"));
        command.env_remove("RUNBOOK_PATH").env("NO_COLOR", "1");
        Cli {
            command,
            args: Vec::new(),
            fresh_state_dir: true,
            scratch: Vec::new(),
            current_dir: false,
            stdin: None,
            status: None,
            stdout_has: Vec::new(),
            stderr_has: Vec::new(),
        }
    }

    /// `--dir FOLDER`: where the runbooks are looked for first.
    pub fn dir(self, folder: impl AsRef<Path>) -> Cli {
        self.arg("--dir").arg(folder.as_ref())
    }

    /// The checkout's shipped runbooks as `--dir`.
    pub fn shipped(self) -> Cli {
        self.dir(repo().join("runbooks"))
    }

    /// Where the binary runs; by default a fresh folder under the target folder, so that nothing a run leaves
    /// behind lands in the checkout and no `./runbooks` of the checkout is found by accident.
    pub fn current_dir(mut self, folder: impl AsRef<Path>) -> Cli {
        self.command.current_dir(folder);
        self.current_dir = true;
        self
    }

    /// `RUNBOOK_STATE_DIR`, where journals and locks go; by default a fresh folder under the target folder.
    pub fn state_dir(mut self, folder: impl AsRef<Path>) -> Cli {
        self.command.env("RUNBOOK_STATE_DIR", folder.as_ref());
        self.fresh_state_dir = false;
        self
    }

    /// No `RUNBOOK_STATE_DIR` at all: the binary finds its state folder as on an operator's machine (set HOME or
    /// XDG_STATE_HOME to a folder of the test's; an `env` given later still wins).
    pub fn state_dir_unset(mut self) -> Cli {
        self.command.env_remove("RUNBOOK_STATE_DIR");
        self.fresh_state_dir = false;
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cli {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_os_string()));
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cli {
        self.command.env(key, value);
        self
    }

    pub fn envs<I, K, V>(mut self, vars: I) -> Cli
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.command.envs(vars);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Cli {
        self.command.env_remove(key);
        self
    }

    /// The emulator's endpoint, region and test credentials.
    pub fn aws(self, moto: &Moto) -> Cli {
        self.envs(moto.env())
    }

    /// Text fed on stdin (a typed approval); without it stdin is closed, as in a pipeline.
    pub fn stdin(mut self, text: impl Into<Vec<u8>>) -> Cli {
        self.stdin = Some(text.into());
        self
    }

    /// The exit code the run must end with.
    pub fn status(mut self, code: i32) -> Cli {
        self.status = Some(code);
        self
    }

    /// Text stdout must contain.
    pub fn stdout_has(mut self, text: impl Into<String>) -> Cli {
        self.stdout_has.push(text.into());
        self
    }

    /// Text stderr must contain.
    pub fn stderr_has(mut self, text: impl Into<String>) -> Cli {
        self.stderr_has.push(text.into());
        self
    }

    /// The command as built, streams not yet chosen, for tests that spawn, signal or kill it themselves. Its
    /// scratch folders are left for `cargo clean`: nothing here knows when the process ends.
    pub fn command(mut self) -> Command {
        self.finish();
        for folder in self.scratch.drain(..) {
            let _ = folder.keep();
        }
        self.command
    }

    /// Adds the scratch folders the test did not replace, the arguments and a closed stdin.
    fn finish(&mut self) {
        let state_dir_given = self
            .command
            .get_envs()
            .any(|(key, _)| key == "RUNBOOK_STATE_DIR");
        if self.fresh_state_dir && !state_dir_given {
            let folder = self.scratch("state-");
            self.command.env("RUNBOOK_STATE_DIR", folder);
        }
        if !self.current_dir {
            let folder = self.scratch("cwd-");
            self.command.current_dir(folder);
        }
        self.command.args(&self.args).stdin(Stdio::null());
    }

    /// A folder no other run uses, under the target folder; removed when the run is over.
    fn scratch(&mut self, prefix: &str) -> PathBuf {
        let folder = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("create a scratch folder");
        let path = folder.path().to_path_buf();
        self.scratch.push(folder);
        path
    }

    /// Starts the run with both streams piped and leaves it to the test (to signal, kill or wait for it; a
    /// `Ran` is `child.wait_with_output()` converted).
    pub fn spawn(self) -> Child {
        self.command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the binary")
    }

    /// Runs to the end, checks the expectations, and hands back what it printed.
    pub fn run(mut self) -> Ran {
        let stdin = self.stdin.take();
        let status = self.status;
        let stdout_has = std::mem::take(&mut self.stdout_has);
        let stderr_has = std::mem::take(&mut self.stderr_has);
        let args = self.args.clone();
        self.finish();
        let command = &mut self.command;
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if stdin.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut child = command.spawn().expect("start the binary");
        if let Some(text) = stdin {
            // A run that stops reading early closes the pipe; that is its answer, not the test's failure.
            let _ = child.stdin.take().expect("a stdin pipe").write_all(&text);
        }
        let ran = Ran::from(child.wait_with_output().expect("run the binary"));
        let shown = || {
            format!(
                "runbook {args:?} ended with {}\nstdout:\n{}\nstderr:\n{}",
                ran.status, ran.stdout, ran.stderr
            )
        };
        if let Some(code) = status {
            assert_eq!(ran.code(), Some(code), "{}", shown());
        }
        for text in &stdout_has {
            assert!(
                ran.stdout.contains(text.as_str()),
                "no {text:?} on stdout: {}",
                shown()
            );
        }
        for text in &stderr_has {
            assert!(
                ran.stderr.contains(text.as_str()),
                "no {text:?} on stderr: {}",
                shown()
            );
        }
        ran
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
