//! The hash chain: how a record is sealed into a line, and how a journal's lines are checked.
//!
//! A line is one JSON object: `{"seq":N,"time":...,"prev":H(N-1),"kind":...,...,"hash":H(N)}`. `hash` is the
//! SHA-256 of the line as written without its `hash` member (the text up to it, closed with `}`), so editing a
//! line without recomputing its hash shows at that line. `prev` is the `hash` of record N-1 (of [`GENESIS`] for
//! the first), so an edit whose hash was recomputed shows at the next record. `seq` numbers records from 1, so a
//! removed, inserted or reordered line shows too.
//!
//! The chain has no key, so it proves the journal consistent with itself and nothing more: an edit with every hash
//! after it recomputed, or the last records cut off, leaves a chain as consistent as the original. Proving more
//! takes a key: [`super::signature`] (KMS signatures over the head), or a copy kept elsewhere (`--audit-s3`).

use std::collections::HashMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::record::Record;

/// What the first record chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const HASH_SUFFIX_LEN: usize = ",\"hash\":\"\"}".len() + 64;

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The line (without its newline) for `record` as number `seq`, and its hash.
pub fn seal(seq: u64, time: &str, prev: &str, record: &Record) -> (String, String) {
    let mut object = Map::new();
    object.insert("seq".into(), Value::from(seq));
    object.insert("time".into(), Value::String(time.into()));
    object.insert("prev".into(), Value::String(prev.into()));
    if let Ok(Value::Object(fields)) = serde_json::to_value(record) {
        object.extend(fields);
    }
    let body = Value::Object(object).to_string();
    let hash = sha256_hex(body.as_bytes());
    let line = format!("{},\"hash\":\"{hash}\"}}", &body[..body.len() - 1]);
    (line, hash)
}

/// A line taken apart: its envelope, its record (when the kind is known) and whether its hash matches.
#[derive(Clone, Debug)]
pub struct Entry {
    /// 1-based line number in the file.
    pub line: usize,
    pub seq: u64,
    pub time: String,
    pub prev: String,
    pub hash: String,
    pub hash_matches: bool,
    pub fields: Map<String, Value>,
    pub record: Option<Record>,
}

/// Parses one line; `None` when it is not a sealed record at all.
pub fn open(line_number: usize, line: &str) -> Option<Entry> {
    if line.len() < HASH_SUFFIX_LEN + 2 || !line.ends_with("\"}") {
        return None;
    }
    let split = line.len() - HASH_SUFFIX_LEN;
    // A damaged line may have a multi-byte character where a sealed one has the hash's ASCII: not a record then,
    // rather than a panic in `audit verify` (found by the `journal` fuzz target).
    let suffix = line.get(split..)?;
    let hash = suffix.strip_prefix(",\"hash\":\"")?.strip_suffix("\"}")?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let body = format!("{}}}", &line[..split]);
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&body) else {
        return None;
    };
    let seq = fields.get("seq")?.as_u64()?;
    let time = fields.get("time")?.as_str()?.to_string();
    let prev = fields.get("prev")?.as_str()?.to_string();
    let record = serde_json::from_value::<Record>(Value::Object(fields.clone())).ok();
    Some(Entry {
        line: line_number,
        seq,
        time,
        prev,
        hash_matches: sha256_hex(body.as_bytes()) == hash,
        hash: hash.to_string(),
        fields,
        record,
    })
}

/// A journal's text split into complete lines; an incomplete last line (no newline: the writer was killed in the
/// middle of it) is returned apart.
pub fn complete_lines(text: &str) -> (Vec<&str>, Option<&str>) {
    let (complete, tail) = match text.rfind('\n') {
        Some(end) => (&text[..end], &text[end + 1..]),
        None => ("", text),
    };
    let lines = if complete.is_empty() {
        Vec::new()
    } else {
        complete.split('\n').collect()
    };
    (lines, Some(tail).filter(|t| !t.is_empty()))
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Edited,
    Removed,
    Inserted,
    Reordered,
    /// Not a sealed record at all (edited beyond parsing, or inserted by hand).
    Unreadable,
    /// No record at all: nothing a run writes looks like this.
    Empty,
    /// A KMS signature over the chain's head that does not verify ([`super::signature`]).
    Signature,
    /// Records after the last signature of a journal that must end with one.
    Unsigned,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub line: usize,
    pub kind: ProblemKind,
    pub detail: String,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Verification {
    pub records: usize,
    pub problems: Vec<Problem>,
    /// Bytes after the last newline: a record the writer did not finish (a crash), not tampering.
    pub incomplete_tail: usize,
    /// KMS signatures that verified ([`super::signature::check`]); 0 for an unsigned journal.
    pub signatures: usize,
    /// The last record a verified signature covers: everything up to it is proven.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_through: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
}

impl Verification {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// Adds what the journal's signatures prove to what the chain does.
    pub fn add_signatures(&mut self, check: super::signature::Check) {
        self.problems.extend(check.problems);
        self.problems.sort_by_key(|p| p.line);
        self.signatures = check.signatures;
        self.signed_through = check.signed_through;
        self.signed_by = check.signed_by;
    }
}

/// Checks every line: its own hash, its number, and its link to the record before it.
pub fn verify(text: &str) -> Verification {
    let (lines, tail) = complete_lines(text);
    let mut verification = Verification {
        incomplete_tail: tail.map(str::len).unwrap_or(0),
        ..Verification::default()
    };
    let problems = &mut verification.problems;
    let mut entries: Vec<Entry> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        match open(index + 1, line) {
            Some(entry) => entries.push(entry),
            None => problems.push(Problem {
                line: index + 1,
                kind: ProblemKind::Unreadable,
                detail: "not a sealed journal record (edited beyond recognition, or inserted)"
                    .into(),
            }),
        }
    }
    verification.records = entries.len();
    if entries.is_empty() && problems.is_empty() {
        problems.push(Problem {
            line: 1,
            kind: ProblemKind::Empty,
            detail: "the journal has no records; every run writes at least its run_started".into(),
        });
    }

    // Where each record number appears; a number seen twice means a line was inserted (or copied).
    let mut by_seq: HashMap<u64, Vec<usize>> = HashMap::new();
    for (position, entry) in entries.iter().enumerate() {
        by_seq.entry(entry.seq).or_default().push(position);
    }
    let genuine = |position: usize| -> bool {
        // Of several lines claiming one number, the one the chain vouches for on both sides is genuine.
        let entry = &entries[position];
        let before_ok = if entry.seq == 1 {
            entry.prev == GENESIS
        } else {
            by_seq
                .get(&(entry.seq - 1))
                .is_some_and(|ps| ps.iter().any(|&p| entries[p].hash == entry.prev))
        };
        let after_ok = by_seq
            .get(&(entry.seq + 1))
            .is_none_or(|ps| ps.iter().any(|&p| entries[p].prev == entry.hash));
        entry.hash_matches && before_ok && after_ok
    };

    let mut highest_before: Option<(u64, usize)> = None;
    for (position, entry) in entries.iter().enumerate() {
        let claims = &by_seq[&entry.seq];
        if !entry.hash_matches {
            problems.push(Problem {
                line: entry.line,
                kind: ProblemKind::Edited,
                detail: format!(
                    "record {} was edited: its content no longer matches its hash",
                    entry.seq
                ),
            });
        } else if claims.len() > 1 && claims.iter().copied().find(|&p| genuine(p)) != Some(position)
        {
            problems.push(Problem {
                line: entry.line,
                kind: ProblemKind::Inserted,
                detail: format!(
                    "a second record numbered {} that the chain does not link in",
                    entry.seq
                ),
            });
            continue;
        } else if let Some((highest, line)) = highest_before
            && entry.seq < highest
        {
            problems.push(Problem {
                line: entry.line,
                kind: ProblemKind::Reordered,
                detail: format!(
                    "record {} comes after record {highest} (line {line}); records are out of order",
                    entry.seq
                ),
            });
        } else if entry.seq == 1 && entry.prev != GENESIS {
            problems.push(Problem {
                line: entry.line,
                kind: ProblemKind::Inserted,
                detail: "the first record does not start the chain".into(),
            });
        } else if entry.seq > 1
            && let Some(previous) = by_seq.get(&(entry.seq - 1))
            && !previous.iter().any(|&p| entries[p].hash == entry.prev)
            && previous.iter().all(|&p| entries[p].hash_matches)
        {
            // Record N-1 has a valid hash of its own, yet not the one N was sealed after: N-1 was rewritten
            // with its hash recomputed.
            let line = entries[previous[0]].line;
            problems.push(Problem {
                line,
                kind: ProblemKind::Edited,
                detail: format!(
                    "record {} was edited and its hash recomputed: record {} (line {}) was sealed after a different one",
                    entry.seq - 1,
                    entry.seq,
                    entry.line
                ),
            });
        }
        if highest_before.is_none_or(|(highest, _)| entry.seq > highest) {
            highest_before = Some((entry.seq, entry.line));
        }
    }

    // Numbers missing between 1 and the highest: removed lines. Say where they belonged. Walk the numbers present,
    // not every number up to the highest: a forged `seq` of 10^18 must not take forever (found by fuzzing).
    let mut present: Vec<u64> = by_seq.keys().copied().collect();
    present.sort_unstable();
    let mut previous = 0;
    for seq in present {
        if seq > previous + 1 {
            let first_missing = previous + 1;
            let records = if seq - first_missing == 1 {
                format!("record {first_missing} is")
            } else {
                format!("records {first_missing} to {} are", seq - 1)
            };
            problems.push(Problem {
                line: entries[by_seq[&seq][0]].line,
                kind: ProblemKind::Removed,
                detail: format!("{records} missing before this line (removed)"),
            });
        }
        previous = seq;
    }
    problems.sort_by_key(|p| p.line);
    problems.dedup();
    verification
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_a_multibyte_character_where_the_hash_belongs_is_not_a_record() {
        // Either parity puts the cut inside some two-byte character.
        for pad in ["", "x"] {
            let line = format!("{{\"a\":\"{pad}{}\"}}", "é".repeat(60));
            assert!(open(1, &line).is_none(), "{line}");
            let verification = verify(&format!("{line}\n"));
            assert!(verification.incomplete_tail <= line.len() + 1);
        }
    }

    #[test]
    fn a_forged_huge_sequence_number_is_reported_at_once() {
        let mut lines = journal(2);
        let record = Record::Log {
            step: "s".into(),
            message: "m".into(),
        };
        let (forged, _) = seal(u64::MAX / 2, "2026-11-29T16:30:12.000Z", GENESIS, &record);
        lines.push(forged);
        let verification = verify(&format!("{}\n", lines.join("\n")));
        let removed: Vec<&Problem> = verification
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::Removed)
            .collect();
        assert_eq!(removed.len(), 1, "{:?}", verification.problems);
        assert_eq!(removed[0].line, 3);
        assert!(
            removed[0].detail.starts_with("records 3 to "),
            "{}",
            removed[0].detail
        );
    }

    fn journal(n: u64) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let record = Record::Log {
                    step: format!("s{seq}"),
                    message: format!("message {seq}"),
                };
                let (line, hash) = seal(seq, "2026-11-29T16:30:12.000Z", &prev, &record);
                prev = hash;
                line
            })
            .collect()
    }

    fn text(lines: &[String]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    fn found(lines: &[String]) -> Vec<(usize, ProblemKind)> {
        verify(&text(lines))
            .problems
            .into_iter()
            .map(|p| (p.line, p.kind))
            .collect()
    }

    #[test]
    fn an_untouched_journal_verifies_and_records_parse_back() {
        let lines = journal(5);
        let verification = verify(&text(&lines));
        assert!(verification.intact(), "{:?}", verification.problems);
        assert_eq!(verification.records, 5);
        let entry = open(3, &lines[2]).unwrap();
        assert_eq!(
            entry.record,
            Some(Record::Log {
                step: "s3".into(),
                message: "message 3".into()
            })
        );
    }

    #[test]
    fn an_edited_line_is_found_at_its_line() {
        let mut lines = journal(5);
        lines[2] = lines[2].replace("message 3", "message 9");
        assert_eq!(found(&lines), vec![(3, ProblemKind::Edited)]);
    }

    #[test]
    fn an_edit_with_its_hash_recomputed_is_found_by_the_next_record() {
        let mut lines = journal(5);
        let entry = open(3, &lines[2]).unwrap();
        let forged = Record::Log {
            step: "s3".into(),
            message: "nothing happened".into(),
        };
        lines[2] = seal(3, &entry.time, &entry.prev, &forged).0;
        assert_eq!(found(&lines), vec![(3, ProblemKind::Edited)]);
    }

    #[test]
    fn a_removed_line_is_found_where_it_was() {
        let mut lines = journal(5);
        lines.remove(1);
        assert_eq!(found(&lines), vec![(2, ProblemKind::Removed)]);
        let mut first = journal(3);
        first.remove(0);
        assert_eq!(found(&first), vec![(1, ProblemKind::Removed)]);
    }

    #[test]
    fn an_inserted_line_is_found_whether_copied_or_forged() {
        let mut copied = journal(5);
        let copy = copied[1].clone();
        copied.insert(3, copy);
        assert_eq!(found(&copied), vec![(4, ProblemKind::Inserted)]);

        let mut forged = journal(5);
        forged.insert(
            2,
            r#"{"seq":3,"kind":"log","step":"x","message":"hi"}"#.into(),
        );
        assert_eq!(found(&forged), vec![(3, ProblemKind::Unreadable)]);
    }

    #[test]
    fn swapped_lines_are_found_as_reordered() {
        let mut lines = journal(5);
        lines.swap(1, 2);
        assert_eq!(found(&lines), vec![(3, ProblemKind::Reordered)]);
    }

    #[test]
    fn an_incomplete_last_line_is_a_crash_not_tampering() {
        let lines = journal(3);
        let mut text = text(&lines);
        text.push_str(r#"{"seq":4,"time":"#);
        let verification = verify(&text);
        assert!(verification.intact());
        assert_eq!(verification.records, 3);
        assert_eq!(verification.incomplete_tail, 16);
    }
}
