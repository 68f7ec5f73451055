//! Approval gates on the command line: `--approve STEP` and `--yes` decide up front; on a terminal the operator
//! is asked; anywhere else the run stops cleanly at the gate.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::aws::BoxFuture;
use crate::engine::{Approval, Approver, ApproverIdentity, Decision};
use crate::progress::Progress;

pub struct CliApprover {
    pub yes: bool,
    pub approve: HashSet<String>,
    pub interactive: bool,
    pub identity: ApproverIdentity,
    pub progress: Arc<Progress>,
    /// One prompt at a time, even when gates are reached concurrently.
    pub prompt_lock: Arc<tokio::sync::Mutex<()>>,
}

impl Approver for CliApprover {
    fn decide(&self, approval: Approval) -> BoxFuture<'static, Decision> {
        let by = self.identity.to_string();
        if self.approve.contains(&approval.step) {
            return Box::pin(async move {
                Decision::Approved {
                    by,
                    how: format!("--approve {}", approval.step),
                }
            });
        }
        if self.yes {
            return Box::pin(async move {
                Decision::Approved {
                    by,
                    how: "--yes".into(),
                }
            });
        }
        if !self.interactive {
            return Box::pin(async { Decision::NoAnswer });
        }
        let progress = self.progress.clone();
        let lock = self.prompt_lock.clone();
        Box::pin(async move {
            let _guard = lock.lock().await;
            let timeout = approval.timeout;
            let asked = tokio::task::spawn_blocking(move || {
                progress.suspend(|| {
                    crate::say!(
                        "\napproval needed for step `{}`:\n  {}",
                        approval.step,
                        approval.prompt.replace('\n', "\n  ")
                    );
                    eprint!("Type 'yes' to approve (anything else refuses): ");
                    let _ = std::io::stderr().flush();
                    let mut answer = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut answer)
                        .map(|_| answer)
                })
            });
            match tokio::time::timeout(timeout, asked).await {
                Ok(Ok(Ok(answer))) if answer.trim() == "yes" => Decision::Approved {
                    by,
                    how: "the terminal".into(),
                },
                Ok(Ok(Ok(_))) => Decision::Rejected { by },
                Ok(_) => Decision::NoAnswer,
                Err(_) => Decision::TimedOut,
            }
        })
    }
}

/// The OS user running us, as the environment names it.
pub fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .or_else(|| {
            // Containers and CI runners often set none of these; `id` asks the system itself.
            let output = std::process::Command::new("id").arg("-un").output().ok()?;
            let name = String::from_utf8(output.stdout).ok()?.trim().to_string();
            (output.status.success() && !name.is_empty()).then_some(name)
        })
        .unwrap_or_else(|| "unknown".into())
}
