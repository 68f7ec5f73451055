//! The local lock: `<state dir>/locks/<key>.lock`, which exactly one process gets to create.
//!
//! The file holds its [`Owner`]. It is written whole to a private file first and then hard-linked into place
//! (link(2) fails if the name exists), so a lock file is never seen half-written: an empty or unparsable one is
//! damaged, and is reported as a lock nobody can be named as holding. A lock whose owner ran on this host and
//! whose process is gone (killed, crashed) is stale and is taken over; on another host we cannot tell, so it stays
//! until `runbook unlock`. While a run holds its lock, a watcher re-reads the file every second: when the file is
//! gone or names another run (`unlock --force`), the run is told ([`LocalLock::lost`]).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{LockError, Owner, Standing};
use crate::journal::store::{open_no_follow, read_no_follow};

/// How often a holder checks that its lock file still names it.
const CHECK_EVERY: Duration = Duration::from_secs(1);

pub struct LocalLock {
    path: PathBuf,
    owner: Owner,
    lost: tokio::sync::watch::Receiver<Option<String>>,
    watcher: Option<tokio::task::JoinHandle<()>>,
}

/// A key as a file name: readable where it can be, and distinct for distinct keys.
pub fn file_name(key: &str) -> String {
    let readable: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let digest = &crate::journal::chain::sha256_hex(key.as_bytes())[..12];
    format!("{readable}.{digest}.lock")
}

pub fn path(locks: &Path, key: &str) -> PathBuf {
    locks.join(file_name(key))
}

pub fn process_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(true)
}

pub fn read_owner(path: &Path) -> Option<Owner> {
    serde_json::from_str(&read_no_follow(path).ok()?).ok()
}

/// What the lock file of `key` says.
pub fn standing(locks: &Path, key: &str) -> Standing {
    standing_at(&path(locks, key))
}

fn standing_at(path: &Path) -> Standing {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Standing::Free,
    };
    if let Some(owner) = read_owner(path) {
        return Standing::Held(owner);
    }
    let modified = meta
        .modified()
        .ok()
        .and_then(|at| jiff::Timestamp::try_from(at).ok())
        .map(|at| format!(", modified {at:.0}"))
        .unwrap_or_default();
    let what = if meta.file_type().is_symlink() {
        "a symbolic link".to_string()
    } else if meta.len() == 0 {
        "an empty file".to_string()
    } else {
        format!("{} bytes that are not a lock record", meta.len())
    };
    Standing::Unreadable(format!("{}: {what}{modified}", path.display()))
}

/// Whether the owner is a process on this host that is still running. On another host nobody can tell.
pub fn alive_here(owner: &Owner) -> bool {
    owner.host == super::host_name() && process_alive(owner.pid)
}

fn stale(owner: &Owner) -> bool {
    owner.host == super::host_name() && !process_alive(owner.pid)
}

/// Puts the owner record at `path` whole, or not at all: written and synced under a private name, then linked.
fn create_whole(path: &Path, owner: &Owner) -> std::io::Result<bool> {
    let text = serde_json::to_string(owner).expect("owners serialize");
    let private = path.with_extension(format!("lock.{}.{:08x}", owner.pid, rand::random::<u32>()));
    let mut file = open_no_follow(&private, OpenOptions::new().write(true).create_new(true))?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    let linked = written.and_then(|()| std::fs::hard_link(&private, path));
    let _ = std::fs::remove_file(&private);
    match linked {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

impl LocalLock {
    pub fn acquire(
        locks: &Path,
        key: &str,
        run_id: &str,
        user: &str,
    ) -> Result<LocalLock, LockError> {
        let failed = |error: std::io::Error| {
            LockError::Failed(format!(
                "cannot take the lock in {}: {error}",
                locks.display()
            ))
        };
        std::fs::create_dir_all(locks).map_err(failed)?;
        let path = path(locks, key);
        let owner = Owner::me(user, run_id);
        // Two tries: the second after removing a stale lock.
        for _ in 0..2 {
            if create_whole(&path, &owner).map_err(failed)? {
                let (_, lost) = tokio::sync::watch::channel(None);
                return Ok(LocalLock {
                    path,
                    owner,
                    lost,
                    watcher: None,
                });
            }
            let holder = match standing_at(&path) {
                // Released between the link and the look: try again.
                Standing::Free => continue,
                Standing::Held(holder) => holder,
                Standing::Unreadable(detail) => {
                    return Err(LockError::Unreadable {
                        key: key.to_string(),
                        detail,
                    });
                }
            };
            // A resume of the run that holds it (its process is gone, or it is this one) takes it over.
            if holder.run_id == run_id && (holder.pid == owner.pid || stale(&holder)) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            if !stale(&holder) {
                return Err(LockError::Held {
                    key: key.to_string(),
                    owner: holder,
                });
            }
            take_over_stale(&path, &holder).map_err(failed)?;
        }
        Err(LockError::Failed(format!(
            "lock `{key}` changed hands while it was being taken; try again"
        )))
    }

    /// Starts the watcher that re-reads the lock file (needs a tokio runtime); see [`super::Lost`].
    pub fn watch(&mut self) -> super::Lost {
        if self.watcher.is_some() {
            return self.lost.clone();
        }
        let (sender, receiver) = tokio::sync::watch::channel(None);
        self.lost = receiver;
        let path = self.path.clone();
        let owner = self.owner.clone();
        self.watcher = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                let why = match standing_at(&path) {
                    Standing::Held(now) if now == owner => continue,
                    Standing::Held(now) => format!("it is now held by {now}"),
                    Standing::Free => format!("its file {} was removed", path.display()),
                    Standing::Unreadable(detail) => format!("its file was replaced ({detail})"),
                };
                let _ = sender.send(Some(why));
                return;
            }
        }));
        self.lost.clone()
    }
}

/// Removes a stale lock file, but only the one we judged stale: a racing process may have replaced it already.
/// A `.break` file (O_EXCL too) makes the check-and-remove one step among takers.
fn take_over_stale(path: &Path, judged: &Owner) -> std::io::Result<()> {
    let breaker = path.with_extension("lock.break");
    match open_no_follow(&breaker, OpenOptions::new().write(true).create_new(true)) {
        Ok(_) => {
            if read_owner(path).as_ref() == Some(judged) {
                std::fs::remove_file(path)?;
            }
            std::fs::remove_file(&breaker)
        }
        // Someone else is breaking it; the retry sees who won.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

impl Drop for LocalLock {
    fn drop(&mut self) {
        if let Some(watcher) = self.watcher.take() {
            watcher.abort();
        }
        // Only our own: after an unlock, someone else's lock may be in its place.
        if read_owner(&self.path).is_some_and(|owner| owner == self.owner) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `runbook unlock` for a local lock: removes the file, whatever it holds.
pub fn remove(locks: &Path, key: &str) -> std::io::Result<()> {
    match std::fs::remove_file(path(locks, key)) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
