//! The state dir (per user by default, `~/.local/state/runbook`): where journals, locks and the unlock log live,
//! and the list of runs.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::chain;
use super::record::Record;

/// `--state-dir`, else `RUNBOOK_STATE_DIR`, else the user's state dir ([`default_root`]).
#[derive(Clone, Debug)]
pub struct StateDir {
    pub root: PathBuf,
}

/// `$XDG_STATE_HOME/runbook`, else `~/.local/state/runbook`. Per user rather than per working folder: a lock taken
/// from one folder must hold against a run started from another, and `audit list` must find every run. (A team
/// shares locks through `--lock-table` and journals through `--audit-s3`.) Only without any home does it fall back
/// to `.runbook` in the working folder.
pub fn default_root() -> PathBuf {
    let from = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            // The XDG spec ignores relative values; so do we, for the same reason: they depend on the folder.
            .filter(|path| path.is_absolute())
    };
    from("XDG_STATE_HOME")
        .map(|state| state.join("runbook"))
        .or_else(|| from("HOME").map(|home| home.join(".local/state/runbook")))
        .unwrap_or_else(|| PathBuf::from(".runbook"))
}

/// A new run's id with its folder under `runs/`, made when the id is chosen so that no other run, in this process or
/// another, can be given the same id. Ids stay short to type (`20261129T163012Z-3f9a`: the second and 16 random
/// bits), so two runs started in one second would collide once in 65536 pairs and the second could not create its
/// journal; making the folder is the atomic claim, and a clash draws a fresh suffix. Dropped, the folder is removed
/// again if the run wrote nothing into it (refused before its journal: a lock held, a declined write).
#[derive(Debug)]
pub struct NewRun {
    pub id: String,
    folder: PathBuf,
}

impl Drop for NewRun {
    fn drop(&mut self) {
        // Removes only empty folders: a journal, once written, stays, and a state dir where nothing ran is left as
        // it was (`runs/` too; a run claiming an id meanwhile makes it again, see `new_run`).
        let _ = std::fs::remove_dir(&self.folder);
        if let Some(runs) = self.folder.parent() {
            let _ = std::fs::remove_dir(runs);
        }
    }
}

impl StateDir {
    pub fn resolve(flag: Option<&Path>) -> StateDir {
        let root = flag
            .map(Path::to_path_buf)
            .or_else(|| {
                std::env::var_os("RUNBOOK_STATE_DIR")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(default_root);
        StateDir { root }
    }

    /// Claims a fresh run id (see [`NewRun`]).
    pub fn new_run(&self, started_at: jiff::Timestamp) -> std::io::Result<NewRun> {
        let second = started_at.strftime("%Y%m%dT%H%M%SZ").to_string();
        // More tries than one second of runs could use; a folder that refuses every name is another failure.
        for _ in 0..256 {
            let suffix: u16 = rand::random();
            let id = format!("{second}-{suffix:04x}");
            let folder = self.runs().join(&id);
            match std::fs::create_dir(&folder) {
                Ok(()) => return Ok(NewRun { id, folder }),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                // Not made yet, or removed by a run that ended without a journal just now.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir_all(self.runs())?;
                }
                Err(error) => return Err(error),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("no free run id for {second} in {}", self.runs().display()),
        ))
    }

    pub fn runs(&self) -> PathBuf {
        self.root.join("runs")
    }

    pub fn journal(&self, run_id: &str) -> PathBuf {
        self.runs().join(run_id).join("journal.jsonl")
    }

    pub fn locks(&self) -> PathBuf {
        self.root.join("locks")
    }

    pub fn unlocks(&self) -> PathBuf {
        self.root.join("unlocks.jsonl")
    }

    /// Run ids, oldest first (they sort by time).
    pub fn run_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.runs())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().join("journal.jsonl").exists())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .collect();
        ids.sort();
        ids
    }

    /// The run that started last, by the time of its journal's first record: run ids sort by second only, and
    /// two runs started within one second sort by their random suffix.
    pub fn last_started(&self) -> Option<String> {
        self.run_ids()
            .into_iter()
            .map(|id| (first_record_time(&self.journal(&id)), id))
            .max()
            .map(|(_, id)| id)
    }

    /// `RUN` as typed: a full id, `last`, or the unique id it is a prefix (or suffix) of.
    pub fn find_run(&self, wanted: &str) -> Result<String, String> {
        if wanted == "last" || wanted == "latest" {
            return self
                .last_started()
                .ok_or_else(|| format!("no runs in {}", self.runs().display()));
        }
        let ids = self.run_ids();
        if ids.iter().any(|id| id == wanted) {
            return Ok(wanted.to_string());
        }
        let matches: Vec<&String> = ids
            .iter()
            .filter(|id| id.starts_with(wanted) || id.ends_with(wanted))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(format!(
                "no run `{wanted}` in {}; `runbook audit list` shows the runs",
                self.runs().display()
            )),
            many => Err(format!(
                "`{wanted}` matches {} runs ({}); give more of the id",
                many.len(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// When a journal's first record was written (millisecond precision), if it can be read. Read through a link
/// too: picking `last` writes nothing, and the command that then opens the journal refuses a link itself.
fn first_record_time(path: &Path) -> Option<jiff::Timestamp> {
    use std::io::BufRead;
    let file = File::open(path).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file).read_line(&mut line).ok()?;
    chain::open(1, line.trim_end())?.time.parse().ok()
}

/// Opens a file of the state dir without following a symbolic link in its place (or in place of its folder): a
/// link planted there would make a run append its journal, or `unlock` its record, to a file elsewhere.
pub fn open_no_follow(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    if let Some(dir) = path.parent()
        && std::fs::symlink_metadata(dir).is_ok_and(|meta| meta.file_type().is_symlink())
    {
        return Err(symlink_refused(dir));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|error| {
        #[cfg(unix)]
        if error.raw_os_error() == Some(libc::ELOOP) {
            return symlink_refused(path);
        }
        // O_EXCL refuses a link too, as "already exists"; say why.
        if error.kind() == std::io::ErrorKind::AlreadyExists
            && std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
        {
            return symlink_refused(path);
        }
        error
    })
}

fn symlink_refused(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; files in the state dir are never written through links (remove it)",
            path.display()
        ),
    )
}

/// Largest lock file read: a lock record is a few hundred bytes.
const MAX_LOCK_BYTES: usize = 64 * 1024;
/// Largest journal read: a 100,000-step run journals a few hundred megabytes at most.
pub const MAX_JOURNAL_BYTES: usize = 1024 * 1024 * 1024;

/// Reads a state file (a lock) without following a symbolic link in its place; a FIFO or device planted there is
/// refused before it is opened, and at most a lock's worth of bytes is read.
pub fn read_no_follow(path: &Path) -> std::io::Result<String> {
    if let Ok(metadata) = std::fs::symlink_metadata(path)
        && !metadata.file_type().is_symlink()
    {
        check_regular(path, &metadata)?;
    }
    let file = open_no_follow(path, OpenOptions::new().read(true))?;
    crate::foundation::input_file::read_bounded(file, MAX_LOCK_BYTES)
        .map_err(|error| as_io(path, error))
}

/// Reads a journal, bounded and refusing anything but a regular file (`audit verify` of a FIFO would hang).
pub fn read_journal(path: &Path) -> std::io::Result<String> {
    crate::foundation::input_file::read_text(path, MAX_JOURNAL_BYTES)
        .map_err(|error| as_io(path, error))
}

fn check_regular(path: &Path, metadata: &std::fs::Metadata) -> std::io::Result<()> {
    match crate::foundation::input_file::kind_name(metadata) {
        Some(kind) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is {kind}, not a regular file", path.display()),
        )),
        None => Ok(()),
    }
}

fn as_io(path: &Path, error: crate::foundation::input_file::ReadError) -> std::io::Error {
    match error {
        crate::foundation::input_file::ReadError::Io(error) => error,
        other => std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {other}", path.display()),
        ),
    }
}

/// One line of `runbook audit list`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub runbook: String,
    pub mode: String,
    /// The last outcome journaled, or `incomplete` when the process ended without one (killed, or still running).
    pub status: String,
    pub operator: String,
    pub started_at: String,
    /// From the first record to the last, resumes included.
    pub duration_seconds: f64,
}

/// Reads a journal's complete records in order (what a crash leaves is valid up to its last complete line).
pub fn read_entries(path: &Path) -> std::io::Result<Vec<chain::Entry>> {
    let text = read_journal(path)?;
    let (lines, _) = chain::complete_lines(&text);
    Ok(lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| chain::open(index + 1, line))
        .collect())
}

pub fn summarize(run_id: &str, entries: &[chain::Entry]) -> RunSummary {
    let mut summary = RunSummary {
        run_id: run_id.to_string(),
        runbook: String::new(),
        mode: String::new(),
        status: "incomplete".into(),
        operator: String::new(),
        started_at: entries.first().map(|e| e.time.clone()).unwrap_or_default(),
        duration_seconds: 0.0,
    };
    for entry in entries {
        match &entry.record {
            Some(Record::RunStarted {
                runbook,
                mode,
                operator,
                ..
            }) => {
                summary.runbook = runbook.clone();
                summary.mode = mode.clone();
                summary.operator = operator.os_user.clone();
            }
            Some(Record::Resumed { .. }) => summary.status = "incomplete".into(),
            Some(Record::RunFinished { outcome, .. }) => summary.status = outcome.clone(),
            _ => {}
        }
    }
    if let (Some(first), Some(last)) = (entries.first(), entries.last())
        && let (Ok(first), Ok(last)) = (
            first.time.parse::<jiff::Timestamp>(),
            last.time.parse::<jiff::Timestamp>(),
        )
    {
        summary.duration_seconds = (last.as_millisecond() - first.as_millisecond()) as f64 / 1000.0;
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_started_in_one_second_never_share_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir {
            root: dir.path().to_path_buf(),
        };
        let second: jiff::Timestamp = "2026-12-07T20:00:00Z".parse().unwrap();
        // 2000 ids of 16 random bits: without the claim, about 30 pairs would collide.
        let runs: Vec<NewRun> = (0..2000).map(|_| state.new_run(second).unwrap()).collect();
        let ids: std::collections::HashSet<&str> = runs.iter().map(|run| run.id.as_str()).collect();
        assert_eq!(ids.len(), runs.len());
        assert!(
            runs.iter()
                .all(|run| run.id.starts_with("20261207T200000Z-"))
        );
        // Each one can create its journal: a clash would fail here ("File exists").
        for run in &runs[..50] {
            crate::journal::Journal::create(&state.journal(&run.id)).unwrap();
        }
    }

    #[test]
    fn a_claimed_id_without_a_journal_leaves_no_folder_and_one_with_a_journal_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir {
            root: dir.path().to_path_buf(),
        };
        let now = jiff::Timestamp::now();
        let unused = state.new_run(now).unwrap();
        let used = state.new_run(now).unwrap();
        crate::journal::Journal::create(&state.journal(&used.id)).unwrap();
        let (unused_id, used_id) = (unused.id.clone(), used.id.clone());
        drop((unused, used));
        assert!(!state.runs().join(&unused_id).exists());
        assert!(state.journal(&used_id).exists());
        assert_eq!(state.run_ids(), vec![used_id]);
    }

    #[test]
    fn a_state_dir_where_no_run_wrote_a_journal_is_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir {
            root: dir.path().join("state"),
        };
        drop(state.new_run(jiff::Timestamp::now()).unwrap());
        assert!(!state.runs().exists());
    }
}
