//! The journal reader and `audit verify`'s chain check over arbitrary text: splitting into complete lines,
//! opening each record, verifying the hash chain, replaying the records as `resume` does, and the timeline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook::journal::{chain, replay, timeline};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let verification = chain::verify(text);
    assert!(verification.incomplete_tail <= text.len());
    let (lines, _) = chain::complete_lines(text);
    let entries: Vec<chain::Entry> = lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| chain::open(index + 1, line))
        .collect();
    let _ = replay::replay(&entries);
    let rows = timeline::rows(&entries);
    let _ = timeline::text("fuzz", &rows);
    let _ = timeline::markdown("fuzz", &rows);
});
