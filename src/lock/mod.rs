//! Locks: two runs with the same lock key (the runbook's `lock:` template, by default its name) never run at once.
//!
//! [`local`] is a file in the state dir, for one machine; [`table`] is an item in a DynamoDB table
//! (`--lock-table`), for a team. Either way a refused run is told who holds the lock and since when, and a run
//! whose lock is taken away (`runbook unlock --force`) notices it ([`Held::lost`]) and starts no further step.

pub mod local;
pub mod table;

use serde::{Deserialize, Serialize};

/// Who holds a lock.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Owner {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub run_id: String,
    /// RFC 3339.
    pub since: String,
}

impl Owner {
    /// This process, running `run_id` for the operator `user` (the commands know who that is).
    pub fn me(user: &str, run_id: &str) -> Owner {
        Owner {
            user: user.to_string(),
            host: host_name(),
            pid: std::process::id(),
            run_id: run_id.to_string(),
            since: jiff::Timestamp::now().to_string(),
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{} (pid {}, run {}) since {}",
            self.user, self.host, self.pid, self.run_id, self.since
        )
    }
}

#[derive(Debug)]
pub enum LockError {
    /// Someone else holds it.
    Held { key: String, owner: Owner },
    /// Its record is there but names nobody (an empty or damaged file, an item without an owner): taken, by a
    /// holder nobody can name.
    Unreadable { key: String, detail: String },
    /// The lock could not be taken or checked at all.
    Failed(String),
}

/// What a lock's record says, for `run` and `unlock` alike.
#[derive(Clone, Debug, PartialEq)]
pub enum Standing {
    Free,
    Held(Owner),
    /// Taken, but its record names no holder; the detail says what is there (`0 bytes, modified ...`).
    Unreadable(String),
}

/// Becomes `Some(why)` when the run holding the lock no longer does: its file was removed or names another
/// run, its item names another run, or it could not be renewed before it expired.
pub type Lost = tokio::sync::watch::Receiver<Option<String>>;

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held { key, owner } => write!(
                f,
                "lock `{key}` is held by {owner}; wait for that run, or if it is gone for good: runbook unlock '{key}' --reason '...'"
            ),
            LockError::Unreadable { key, detail } => write!(
                f,
                "lock `{key}` is taken, but its record names no holder ({detail}): a run died while taking it, or \
                 the record was damaged; if no run is using it: runbook unlock '{key}' --reason '...'"
            ),
            LockError::Failed(message) => write!(f, "{message}"),
        }
    }
}

/// The machine's name, as `hostname` prints it.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| {
            std::process::Command::new("hostname")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        })
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// A lock that is held until dropped (or released).
pub enum Held {
    Local(local::LocalLock),
    Table(table::TableLock),
}

impl Held {
    /// Watches the lock while the run holds it (needs a tokio runtime); see [`Lost`].
    pub fn watch(&mut self) -> Lost {
        match self {
            Held::Local(lock) => lock.watch(),
            Held::Table(lock) => lock.lost(),
        }
    }

    pub async fn release(self) {
        match self {
            Held::Local(lock) => drop(lock),
            Held::Table(lock) => lock.release().await,
        }
    }
}
