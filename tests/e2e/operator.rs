//! What the operator sees around a run, driven through the binary: where state lives, `last`, global flags after
//! the subcommand, help, shell completions and the man page. Nothing here needs AWS: the runbooks are built-ins
//! (`core.*`), so no emulator is started.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::cli::{Cli, Ran};

/// A folder with runbooks, and a home of its own: no test reads or writes the real ~/.local/state.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("runbooks")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        for name in ["noop-a", "noop-b"] {
            std::fs::write(
                dir.path().join("runbooks").join(format!("{name}.yaml")),
                format!(
                    "name: {name}\ndescription: does nothing\nparams:\n  table_name: {{type: string, default: x}}\n\
                     steps:\n  - id: only\n    action: core.noop\n"
                ),
            )
            .unwrap();
        }
        World { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The binary in `cwd`, with HOME in the world, no XDG_STATE_HOME and no RUNBOOK_STATE_DIR unless `env` sets them.
    fn command_in(&self, cwd: &Path, args: &[&str], env: &[(&str, &Path)]) -> Cli {
        Cli::new()
            .current_dir(cwd)
            .dir(self.dir.path().join("runbooks"))
            .state_dir_unset()
            .env_remove("XDG_STATE_HOME")
            .env("HOME", self.home())
            .envs(env.iter().copied())
            .args(args)
    }

    fn run_in(&self, cwd: &Path, args: &[&str], env: &[(&str, &Path)]) -> Ran {
        self.command_in(cwd, args, env).run()
    }

    fn run(&self, args: &[&str]) -> Ran {
        self.run_in(self.dir.path(), args, &[])
    }
}

fn journals(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root.join("runs"))
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path().join("journal.jsonl"))
                .filter(|path| path.exists())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn state_dir_is_per_user_by_default_and_every_run_says_where_its_journal_is() {
    let world = World::new();
    let elsewhere = world.dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();

    // No XDG_STATE_HOME: ~/.local/state/runbook, whichever folder the operator stands in.
    let first = world.run(&["run", "noop-a"]);
    assert_eq!(first.status.code(), Some(0), "{}", first.stderr);
    let second = world.run_in(&elsewhere, &["run", "noop-b"], &[]);
    assert_eq!(second.status.code(), Some(0), "{}", second.stderr);
    let default = world.home().join(".local/state/runbook");
    let found = journals(&default);
    assert_eq!(found.len(), 2, "{found:?}");
    for output in [&first, &second] {
        let stderr = &output.stderr;
        assert!(
            found
                .iter()
                .any(|journal| stderr.contains(&format!("journaled in {}", journal.display()))),
            "the run does not say where its journal is: {stderr}"
        );
    }
    assert!(!world.dir.path().join(".runbook").exists());
    assert!(!elsewhere.join(".runbook").exists());
    // Both runs are listed from a third folder.
    let listed = world.run_in(&world.home(), &["audit", "list"], &[]).stdout;
    assert!(
        listed.contains("noop-a") && listed.contains("noop-b"),
        "{listed}"
    );

    // XDG_STATE_HOME wins over HOME; RUNBOOK_STATE_DIR and --state-dir over both.
    let xdg = world.dir.path().join("xdg");
    let output = world.run_in(
        world.dir.path(),
        &["run", "noop-a"],
        &[("XDG_STATE_HOME", &xdg)],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(journals(&xdg.join("runbook")).len(), 1);
    let explicit = world.dir.path().join("explicit");
    let output = world.run_in(
        world.dir.path(),
        &["run", "noop-a"],
        &[("XDG_STATE_HOME", &xdg), ("RUNBOOK_STATE_DIR", &explicit)],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(journals(&explicit).len(), 1);
    let flag = world.dir.path().join("flag");
    let output = world.run_in(
        world.dir.path(),
        &["run", "noop-a", "--state-dir", flag.to_str().unwrap()],
        &[("XDG_STATE_HOME", &xdg)],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(journals(&flag).len(), 1);
    assert_eq!(
        journals(&xdg.join("runbook")).len(),
        1,
        "a later run went to XDG too"
    );
}

#[test]
fn last_is_the_run_that_started_last_not_the_highest_id() {
    let world = World::new();
    let state = world.home().join(".local/state/runbook");
    assert!(world.run(&["run", "noop-a"]).status.success());
    assert!(world.run(&["run", "noop-b"]).status.success());
    // Two runs within one second sort by their random suffix; here the later run gets the lower id.
    let runs = state.join("runs");
    let mut ids: Vec<String> = std::fs::read_dir(&runs)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    ids.sort();
    let later = ids
        .iter()
        .find(|id| {
            std::fs::read_to_string(runs.join(id).join("journal.jsonl"))
                .unwrap()
                .contains("\"runbook\":\"noop-b\"")
        })
        .unwrap()
        .clone();
    let lowest = "19990101T000000Z-0000";
    std::fs::rename(runs.join(&later), runs.join(lowest)).unwrap();
    let shown = world.run(&["audit", "show", "last", "--format", "json"]);
    assert!(shown.status.success(), "{}", shown.stderr);
    assert!(
        shown.stdout.contains("noop-b"),
        "last picked the highest id: {}",
        shown.stdout
    );
}

#[test]
fn no_color_is_accepted_after_the_subcommand_too() {
    let world = World::new();
    for args in [
        vec!["run", "noop-a", "--no-color"],
        vec!["run", "--no-color", "noop-a"],
        vec!["plan", "noop-a", "--no-color"],
        vec!["--no-color", "run", "noop-a"],
        vec!["list", "--no-color"],
        vec!["audit", "list", "--no-color"],
    ] {
        let output = world.run(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", output.stderr);
        assert!(!output.stderr.contains('\u{1b}'), "{args:?}");
    }
}

#[test]
fn help_lists_the_engine_options_and_says_offline_needs_dry_run() {
    let world = World::new();
    let plan = world.run(&["plan", "--help"]).stdout;
    assert!(plan.contains("--format <format>"), "{plan}");
    assert!(plan.contains("--offline"), "{plan}");
    assert!(plan.contains("runbook plan NAME --help"), "{plan}");
    for args in [vec!["run", "--help"], vec!["run", "noop-a", "--help"]] {
        let run = world.run(&args).stdout;
        let offline = run
            .lines()
            .find(|line| line.contains("--offline"))
            .unwrap_or_else(|| panic!("{args:?} does not list --offline: {run}"));
        assert!(offline.contains("--dry-run"), "{args:?}: {offline}");
        assert!(run.contains("--output <output>"), "{run}");
    }
    let refused = world.run(&["run", "noop-a", "--offline"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(refused.stderr.contains("--offline needs --dry-run"));
}

/// What the shell asks the binary at a TAB, as the registration script does (clap_complete's protocol).
fn complete(world: &World, shell: &str, words: &[&str]) -> String {
    // The runbooks come from RUNBOOK_PATH here: the shell passes only the words typed, and none is `--dir`.
    Cli::new()
        .current_dir(world.dir.path())
        .env("RUNBOOK_PATH", world.dir.path().join("runbooks"))
        .env("HOME", world.home())
        .env("COMPLETE", shell)
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .status(0)
        .run()
        .stdout
}

#[test]
fn completions_offer_runbook_names_and_their_parameter_flags() {
    let world = World::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = world.run(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", output.stderr);
        let script = output.stdout;
        assert!(script.contains("COMPLETE"), "{shell}: {script}");
        assert!(script.contains("runbook"), "{shell}: {script}");
    }
    let names = complete(&world, "bash", &["runbook", "run", ""]);
    assert!(
        names.contains("noop-a") && names.contains("noop-b"),
        "{names}"
    );
    let names = complete(&world, "fish", &["runbook", "show", "noop"]);
    assert!(
        names.contains("noop-a") && names.contains("noop-b"),
        "{names}"
    );
    let flags = complete(&world, "bash", &["runbook", "run", "noop-a", "--"]);
    assert!(flags.contains("--table-name"), "{flags}");
    assert!(
        flags.contains("--yes") && flags.contains("--dry-run"),
        "{flags}"
    );
    let flags = complete(&world, "bash", &["runbook", "plan", "noop-a", "--"]);
    assert!(
        flags.contains("--table-name") && flags.contains("--format"),
        "{flags}"
    );

    // Through bash itself: the script as printed, sourced, then a TAB after `runbook run `.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_runbook"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = "source <(runbook completions bash)\n\
                  spec=$(complete -p runbook)\n\
                  function=$(echo \"$spec\" | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')\n\
                  COMP_WORDS=(runbook run noop)\n\
                  COMP_CWORD=2\n\
                  COMP_LINE='runbook run noop'\n\
                  COMP_POINT=${#COMP_LINE}\n\
                  COMP_TYPE=9\n\
                  \"$function\" runbook noop run\n\
                  printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", script])
        .current_dir(world.dir.path())
        .env("PATH", path)
        .env("HOME", world.home())
        .env("RUNBOOK_PATH", world.dir.path().join("runbooks"))
        .output()
        .expect("bash");
    let replies = String::from_utf8_lossy(&output.stdout);
    assert!(
        replies.contains("noop-a") && replies.contains("noop-b"),
        "bash completed {replies:?}; stderr {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_man_page_renders() {
    let world = World::new();
    let output = world.run(&["man"]);
    assert!(output.status.success(), "{}", output.stderr);
    let page = output.stdout;
    for needle in [
        ".TH runbook",
        "completions",
        "audit",
        "RUNBOOK RESUME",
        "\\-\\-state\\-dir",
    ] {
        assert!(page.contains(needle), "no {needle} in {page}");
    }
    // And nroff turns it into a page a terminal shows.
    let mut nroff = Command::new("nroff")
        .args(["-man"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("nroff (groff-base) is on every machine of this project");
    use std::io::Write;
    nroff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    // nroff emboldens by overstriking (`R\x08R`); keep the letters.
    let rendered = without_overstrike(&String::from_utf8_lossy(
        &nroff.wait_with_output().unwrap().stdout,
    ));
    assert!(
        rendered.contains("NAME") && rendered.contains("RUNBOOK RESUME"),
        "{rendered}"
    );
    assert_eq!(rendered.matches(".ie").count(), 0, "{rendered}");
}

fn without_overstrike(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

#[test]
fn run_output_markdown_is_the_summary_for_a_ticket() {
    let world = World::new();
    let output = world.run(&["run", "noop-a", "--output", "markdown"]);
    assert_eq!(output.status.code(), Some(0), "{}", output.stderr);
    let summary = output.stdout;
    assert!(summary.starts_with("### Run `"), "{summary}");
    assert!(
        summary.contains("| step | status | duration | attempts |"),
        "{summary}"
    );
    assert!(summary.contains("| `only` | succeeded |"), "{summary}");
    assert!(summary.contains("**succeeded** in"), "{summary}");
}

#[test]
fn a_failing_template_shows_its_expression_once_and_names_what_is_undefined() {
    let world = World::new();
    std::fs::write(
        world.dir.path().join("runbooks/typo.yaml"),
        "name: typo\ndescription: reads a field its output does not have\nsteps:\n  - id: say\n    action: core.log\n    \
         with: {message: hi}\n    outputs:\n      said: \"output.mesage\"\n",
    )
    .unwrap();
    let output = world.run(&["run", "typo"]);
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    let summary = output.stdout;
    let line = summary
        .lines()
        .find(|line| line.starts_with("say "))
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(line.contains("`output` has no `mesage`"), "{line}");
    assert_eq!(line.matches("output.mesage").count(), 1, "{line}");
}
