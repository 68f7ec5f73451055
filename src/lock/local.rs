//! The local lock: `<state dir>/locks/<key>.lock`, created with O_EXCL so exactly one process gets it.
//!
//! The file holds its [`Owner`]. A lock whose owner ran on this host and whose process is gone (killed, crashed)
//! is stale and is taken over; on another host we cannot tell, so it stays until `runbook unlock`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{LockError, Owner};

pub struct LocalLock {
    path: PathBuf,
    run_id: String,
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

fn process_alive(pid: u32) -> bool {
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
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn stale(owner: &Owner) -> bool {
    owner.host == super::host_name() && !process_alive(owner.pid)
}

impl LocalLock {
    pub fn acquire(locks: &Path, key: &str, run_id: &str) -> Result<LocalLock, LockError> {
        let failed = |error: std::io::Error| {
            LockError::Failed(format!(
                "cannot take the lock in {}: {error}",
                locks.display()
            ))
        };
        std::fs::create_dir_all(locks).map_err(failed)?;
        let path = path(locks, key);
        let owner = Owner::me(run_id);
        // Two tries: the second after removing a stale lock.
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let text = serde_json::to_string(&owner).expect("owners serialize");
                    file.write_all(text.as_bytes()).map_err(failed)?;
                    file.sync_all().map_err(failed)?;
                    return Ok(LocalLock {
                        path,
                        run_id: run_id.to_string(),
                    });
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let Some(holder) = read_owner(&path) else {
                        // Created a moment ago and not written yet, or damaged: treat as held.
                        return Err(LockError::Held {
                            key: key.to_string(),
                            owner: Owner {
                                user: "unknown".into(),
                                host: "unknown".into(),
                                pid: 0,
                                run_id: "unknown".into(),
                                since: "unknown".into(),
                            },
                        });
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
                Err(error) => return Err(failed(error)),
            }
        }
        Err(LockError::Failed(format!(
            "lock `{key}` changed hands while it was being taken; try again"
        )))
    }
}

/// Removes a stale lock file, but only the one we judged stale: a racing process may have replaced it already.
/// A `.break` file (O_EXCL too) makes the check-and-remove one step among takers.
fn take_over_stale(path: &Path, judged: &Owner) -> std::io::Result<()> {
    let breaker = path.with_extension("lock.break");
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&breaker)
    {
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
        // Only our own: after an unlock, someone else's lock may be in its place.
        if read_owner(&self.path).is_some_and(|owner| owner.run_id == self.run_id) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `runbook unlock` for a local lock: removes the file, returning who held it.
pub fn force_remove(locks: &Path, key: &str) -> std::io::Result<Option<Owner>> {
    let path = path(locks, key);
    if !path.exists() {
        return Ok(None);
    }
    let owner = read_owner(&path);
    std::fs::remove_file(&path)?;
    Ok(owner)
}
