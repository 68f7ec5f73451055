//! `runbook unlock KEY --reason ...`: frees a lock whose run is gone, and records who did it and why.
//!
//! A lock whose holder is running (a live process on this host, or a DynamoDB lock whose heartbeat is fresh) is
//! refused unless `--force`; a forced unlock makes that run stop before its next step. A lock whose record names
//! no holder (an empty or damaged file) is removed and said to be so, as `run` said when it refused.

use clap::Args;

use crate::aws::{Aws, AwsSettings};
use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::recorded;
use crate::journal::{Journal, Record, StateDir};
use crate::lock::{Standing, local, table};

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The lock key, as the refused run printed it.
    pub key: String,
    /// Why the lock may be taken away (journaled).
    #[arg(long, required = true)]
    pub reason: String,
    /// Remove it even though its holder is running; that run stops before its next step (exit 5).
    #[arg(long)]
    pub force: bool,
    /// The DynamoDB lock table, for a team-wide lock.
    #[arg(long, value_name = "TABLE", env = "RUNBOOK_LOCK_TABLE")]
    pub lock_table: Option<String>,
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    pub profile: Option<String>,
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

pub fn run(context: &Context, args: UnlockArgs) -> ExitStatus {
    if args.reason.trim().is_empty() {
        crate::say!("runbook unlock: --reason must say why");
        return ExitStatus::Usage;
    }
    let state = StateDir::resolve(context.state_dir.as_deref());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(unlock(&state, &args))
}

async fn unlock(state: &StateDir, args: &UnlockArgs) -> ExitStatus {
    let key = &args.key;
    // The log first: an unlock that cannot be recorded does not happen.
    let log = match Journal::append_to(&state.unlocks()) {
        Ok((log, _)) => log,
        Err(error) => {
            crate::say!(
                "runbook unlock: cannot write the unlock log {}: {error}; the lock was left as it is",
                state.unlocks().display()
            );
            return ExitStatus::Usage;
        }
    };
    let aws = match &args.lock_table {
        Some(_) => match Aws::load(&AwsSettings {
            profile: args.profile.clone(),
            region: args.region.clone(),
            endpoint_url: args.endpoint_url.clone(),
        })
        .await
        {
            Ok(aws) => Some(aws),
            Err(error) => {
                crate::say!("runbook unlock: {error}");
                return ExitStatus::Usage;
            }
        },
        None => None,
    };

    let (standing, running) = match (&args.lock_table, &aws) {
        (Some(table_name), Some(aws)) => match table::standing(aws, table_name, key).await {
            Ok((standing, expiry)) => {
                let fresh = matches!(standing, Standing::Held(_)) && expiry.heartbeat_is_fresh();
                (
                    standing,
                    fresh.then(|| "its heartbeat is fresh".to_string()),
                )
            }
            Err(error) => {
                crate::say!("runbook unlock: cannot read lock `{key}` in {table_name}: {error}");
                return ExitStatus::Failed;
            }
        },
        _ => {
            let standing = local::standing(&state.locks(), key);
            let running = match &standing {
                Standing::Held(owner) if local::alive_here(owner) => {
                    Some(format!("its process {} is running on this host", owner.pid))
                }
                _ => None,
            };
            (standing, running)
        }
    };
    if let (Standing::Held(owner), Some(why)) = (&standing, &running)
        && !args.force
    {
        crate::say!(
            "runbook unlock: lock `{key}` is held by {owner}, and {why}; stop that run first (Ctrl-C lets it end \
             cleanly), or pass --force to take the lock away (that run then starts no further step and exits 5)"
        );
        return ExitStatus::Locked;
    }

    let removed = match (&args.lock_table, &aws) {
        (Some(table_name), Some(aws)) => table::remove(aws, table_name, key)
            .await
            .map_err(|error| error.to_string()),
        _ => local::remove(&state.locks(), key).map_err(|error| error.to_string()),
    };
    if let Err(error) = removed {
        crate::say!("runbook unlock: cannot remove lock `{key}`: {error}");
        return ExitStatus::Failed;
    }
    let record = Record::Unlocked {
        key: key.clone(),
        reason: args.reason.clone(),
        operator: recorded::operator(aws.as_ref()).await,
        holder: match &standing {
            Standing::Held(owner) => Some(serde_json::to_value(owner).expect("owners serialize")),
            _ => None,
        },
        table: args.lock_table.clone(),
        unreadable: match &standing {
            Standing::Unreadable(detail) => Some(detail.clone()),
            _ => None,
        },
        forced: running.is_some(),
    };
    if let Err(error) = log.write(&record) {
        crate::say!(
            "runbook unlock: the lock was removed but the unlock log {} could not be written: {error}",
            state.unlocks().display()
        );
        return ExitStatus::Failed;
    }
    match standing {
        Standing::Held(owner) if running.is_some() => crate::say!(
            "runbook unlock: removed lock `{key}` held by {owner} although it was running (--force); it starts no \
             further step"
        ),
        Standing::Held(owner) => {
            crate::say!("runbook unlock: removed lock `{key}` held by {owner}")
        }
        Standing::Unreadable(detail) => crate::say!(
            "runbook unlock: removed lock `{key}`, whose record named no holder ({detail})"
        ),
        Standing::Free => crate::say!("runbook unlock: lock `{key}` was not held; recorded anyway"),
    }
    ExitStatus::Ok
}
