//! What the program's exit status says. Documented in README.md; scripts rely on the numbers.

/// How a command ended, as the process reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Success: the runbook is valid, the run succeeded.
    Ok,
    /// The run failed (a step or a success criterion).
    Failed,
    /// Bad input: invalid runbook, unknown runbook, bad flags, or a write run without `--yes` off a terminal.
    /// Nothing was sent to AWS.
    Usage,
    /// The run stopped cleanly at an approval gate nobody could answer; approve it and run again.
    AwaitingApproval,
    /// The operator answered no when asked to confirm the writes; nothing was written.
    Declined,
    /// Another run holds the lock (named with when it took it); nothing was sent.
    Locked,
    /// The operator refused an approval gate: the run ended there by decision, `on_failure` did not run, and
    /// what earlier writes left behind is named with the command that removes it.
    Refused,
    /// Interrupted (SIGINT or SIGTERM): in-flight calls finished, nothing new started.
    Interrupted,
}

impl ExitStatus {
    /// The number the process exits with.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Failed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::AwaitingApproval => 3,
            ExitStatus::Declined => 4,
            ExitStatus::Locked => 5,
            ExitStatus::Refused => 6,
            ExitStatus::Interrupted => 130,
        }
    }

    /// Ends the process with this status, for the two places that cannot return: a second interrupt and a
    /// closed or failing stdout.
    pub fn exit_now(self) -> ! {
        std::process::exit(self.code())
    }
}
