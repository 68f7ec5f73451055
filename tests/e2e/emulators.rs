//! Every emulator a test starts ends with the test process, however that process ends: the one held in a static
//! (whose destructor never runs), a fresh one a panicking test was holding, and both when the process aborts
//! without unwinding. A test binary is run again in a process of its own with emulators up and ended on purpose;
//! afterwards neither emulator is running.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::moto::Moto;

/// Where the process below writes its emulators' `pid port` lines, and how it ends (`panic` or `abort`).
const REPORT: &str = "RUNBOOK_TEST_EMULATORS_REPORT";
const ENDING: &str = "RUNBOOK_TEST_EMULATORS_ENDING";

#[test]
#[ignore = "ends its process on purpose: run in a process of its own by the tests below"]
fn emulators_up_when_the_process_ends() {
    let shared = Moto::shared();
    let fresh = Moto::start();
    let report = format!(
        "{} {}\n{} {}\n",
        shared.pid(),
        shared.port(),
        fresh.pid(),
        fresh.port()
    );
    std::fs::write(std::env::var(REPORT).expect("a report path"), report).unwrap();
    match std::env::var(ENDING).as_deref() {
        Ok("abort") => std::process::abort(),
        _ => panic!("on purpose, with two emulators up"),
    }
}

/// Runs the test above in a process of its own, ended as `ending` says; its emulators' `(pid, port)`.
fn end_a_test_process(ending: &str) -> Vec<(u32, u16)> {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("emulators");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "emulators::emulators_up_when_the_process_ends",
        ])
        .env(REPORT, &report)
        .env(ENDING, ending)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run the test binary");
    assert!(!status.success(), "the process was to end by {ending}");
    let emulators: Vec<(u32, u16)> = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("no report at {}: {e}", report.display()))
        .lines()
        .map(|line| {
            let (pid, port) = line.split_once(' ').unwrap();
            (pid.parse().unwrap(), port.parse().unwrap())
        })
        .collect();
    assert_eq!(emulators.len(), 2, "{emulators:?}");
    emulators
}

/// Whether `pid` is still that emulator, running: a zombie has ended (it holds no memory and no port, only an
/// entry for its parent to reap), and a reused pid is another process (its command line names another port).
fn running(pid: u32, port: u16) -> bool {
    let proc = Path::new("/proc").join(pid.to_string());
    let Ok(stat) = std::fs::read_to_string(proc.join("stat")) else {
        return false;
    };
    let zombie = stat
        .rsplit_once(") ")
        .is_some_and(|(_, fields)| fields.starts_with('Z'));
    let command_line = std::fs::read(proc.join("cmdline")).unwrap_or_default();
    let this_one = String::from_utf8_lossy(&command_line).contains(&format!("\0-p\0{port}\0"));
    !zombie && this_one
}

/// The tether looks for its parent every 0.25 s; moto needs a moment more to stop.
fn assert_all_end(ending: &str, emulators: &[(u32, u16)]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<_> = emulators
            .iter()
            .filter(|(pid, port)| running(*pid, *port))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "after the test process ended by {ending}, these emulators (pid, port) still run: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_test_process_that_panics_leaves_no_emulator_running() {
    let emulators = end_a_test_process("panic");
    assert_all_end("a panic", &emulators);
}

#[test]
fn a_test_process_that_aborts_leaves_no_emulator_running() {
    let emulators = end_a_test_process("abort");
    assert_all_end("an abort", &emulators);
}
