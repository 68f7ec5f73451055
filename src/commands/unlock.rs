//! `runbook unlock KEY --reason ...`: frees a lock whose run is gone, and records who did it and why.

use clap::Args;

use crate::aws::{Aws, AwsSettings};
use crate::cli::{Context, exit};
use crate::commands::recorded;
use crate::journal::{Journal, Record, StateDir};

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The lock key, as the refused run printed it.
    pub key: String,
    /// Why the lock may be taken away (journaled).
    #[arg(long, required = true)]
    pub reason: String,
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

pub fn run(context: &Context, args: UnlockArgs) -> i32 {
    if args.reason.trim().is_empty() {
        eprintln!("runbook unlock: --reason must say why");
        return exit::USAGE;
    }
    let state = StateDir::resolve(context.state_dir.as_deref());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
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
                    eprintln!("runbook unlock: {error}");
                    return exit::USAGE;
                }
            },
            None => None,
        };
        let holder = match (&args.lock_table, &aws) {
            (Some(table), Some(aws)) => {
                crate::lock::table::force_release(aws, table, &args.key)
                    .await
                    .map_err(|error| error.to_string())
            }
            _ => crate::lock::local::force_remove(&state.locks(), &args.key)
                .map_err(|error| error.to_string()),
        };
        let holder = match holder {
            Ok(holder) => holder,
            Err(error) => {
                eprintln!("runbook unlock: cannot remove lock `{}`: {error}", args.key);
                return exit::FAILED;
            }
        };
        let record = Record::Unlocked {
            key: args.key.clone(),
            reason: args.reason.clone(),
            operator: recorded::operator(aws.as_ref()).await,
            holder: holder
                .as_ref()
                .map(|owner| serde_json::to_value(owner).expect("owners serialize")),
            table: args.lock_table.clone(),
        };
        let written = Journal::append_to(&state.unlocks()).and_then(|(log, _)| log.write(&record));
        if let Err(error) = written {
            eprintln!(
                "runbook unlock: the lock was removed but the unlock log {} could not be written: {error}",
                state.unlocks().display()
            );
            return exit::FAILED;
        }
        match holder {
            Some(owner) => eprintln!("runbook unlock: removed lock `{}` held by {owner}", args.key),
            None => eprintln!("runbook unlock: lock `{}` was not held; recorded anyway", args.key),
        }
        exit::OK
    })
}
