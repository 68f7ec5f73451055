//! The one writer of a journal: each record sealed into the chain, written and fsynced before `write` returns.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::chain::{self, GENESIS};
use super::record::Record;

struct Tail {
    file: File,
    seq: u64,
    prev: String,
}

pub struct Journal {
    path: PathBuf,
    tail: Mutex<Tail>,
}

fn now() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

impl Journal {
    /// A new journal at `path`; fails if one exists (run ids are unique, a clash is a bug, never overwrite).
    pub fn create(path: &Path) -> std::io::Result<Journal> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file =
            super::store::open_no_follow(path, OpenOptions::new().create_new(true).append(true))?;
        // The file's name in its folder, and the run's folder in `runs/`, must survive a crash too, or a synced
        // record could vanish with them.
        for dir in path.ancestors().skip(1).take(2) {
            if !dir.as_os_str().is_empty() {
                File::open(dir)?.sync_all()?;
            }
        }
        Ok(Journal {
            path: path.to_path_buf(),
            tail: Mutex::new(Tail {
                file,
                seq: 0,
                prev: GENESIS.to_string(),
            }),
        })
    }

    /// Continues an existing journal (resume, unlock log): the chain goes on from its last complete record. An
    /// incomplete last line (the writer was killed mid-line) is cut off first; returns its length in bytes.
    pub fn append_to(path: &Path) -> std::io::Result<(Journal, u64)> {
        // One open, without following a link, for reading the chain's head and for appending after it.
        let mut file =
            match super::store::open_no_follow(path, OpenOptions::new().read(true).write(true)) {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return Journal::create(path).map(|journal| (journal, 0));
                }
                Err(error) => return Err(error),
            };
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let (lines, tail) = chain::complete_lines(&text);
        let discarded = tail.map(str::len).unwrap_or(0) as u64;
        let (seq, prev) = lines
            .iter()
            .enumerate()
            .rev()
            .find_map(|(index, line)| chain::open(index + 1, line))
            .map(|entry| (entry.seq, entry.hash))
            .unwrap_or((0, GENESIS.to_string()));
        if discarded > 0 {
            file.set_len(text.len() as u64 - discarded)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::End(0))?;
        Ok((
            Journal {
                path: path.to_path_buf(),
                tail: Mutex::new(Tail { file, seq, prev }),
            },
            discarded,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The number and hash of the last record written: what a signature over the chain's head signs.
    pub fn head(&self) -> (u64, String) {
        let tail = self
            .tail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (tail.seq, tail.prev.clone())
    }

    /// Seals, writes and fsyncs one record. On error nothing is counted: the chain stays as on disk.
    pub fn write(&self, record: &Record) -> std::io::Result<()> {
        self.append(record, true)
    }

    /// Seals and writes one record, fsyncing it (and every record before it) only when `durable`.
    ///
    /// Every record is written with its own `write` call, so a killed process (SIGKILL, a panic) leaves it in the
    /// file: the kernel has it. Only a machine that loses power can lose records that were not fsynced, and the
    /// fsync of the next durable record, which comes before every AWS call, takes them to disk first. Syncing
    /// each record instead costs about a millisecond per step, which is most of a 10,000-step run.
    pub fn append(&self, record: &Record, durable: bool) -> std::io::Result<()> {
        let mut tail = self
            .tail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let seq = tail.seq + 1;
        let (mut line, hash) = chain::seal(seq, &now(), &tail.prev, record);
        line.push('\n');
        tail.file.write_all(line.as_bytes())?;
        if durable {
            tail.file.sync_data()?;
        }
        tail.seq = seq;
        tail.prev = hash;
        Ok(())
    }
}
