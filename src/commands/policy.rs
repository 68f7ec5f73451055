//! `runbook policy NAME [FLAGS]`: the IAM policy a principal needs to run (or, with `--plan-only`, to plan) a
//! runbook with these parameters. Offline when `--region` and `--account` are given; otherwise the region comes
//! from the standard chain and the account from STS GetCallerIdentity.

use clap::{Arg, ArgAction, Command};
use serde_json::Value;

use crate::aws::{self, Aws, AwsSettings};
use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::load_named;
use crate::commands::output::print;
use crate::commands::recorded;
use crate::language::runbook::Runbook;
use crate::param_flags;
use crate::policy::{self, EngineNeeds};

const OPTIONS: &str = "Options";

fn add_policy_flags(command: Command, runbook: &Runbook) -> Command {
    let mut command = command.next_help_heading(OPTIONS);
    // A runbook's own `format` parameter is the flag then, as for `region` and `account`.
    if runbook.param("format").is_none() {
        command = command.arg(
            Arg::new("format")
                .long("format")
                .value_parser(["text", "json"])
                .default_value("text")
                .help("text for a reader (with a note per widened statement), json for the policy document (notes on stderr)"),
        );
    }
    let mut command = command
        .arg(
            Arg::new("plan_only")
                .long("plan-only")
                .action(ArgAction::SetTrue)
                .help("Only the reads `runbook plan` makes, for a reviewer's role"),
        )
        .arg(
            Arg::new("profile")
                .long("profile")
                .value_name("NAME")
                .env("AWS_PROFILE")
                .help("AWS profile from the shared config files, to find the region and account"),
        )
        .arg(
            Arg::new("endpoint_url")
                .long("endpoint-url")
                .value_name("URL")
                .help("Ask this endpoint for the account (LocalStack, moto); AWS_ENDPOINT_URL works too"),
        )
        .arg(
            Arg::new("audit_s3")
                .long("audit-s3")
                .value_name("s3://BUCKET/PREFIX")
                .help("Include what the run needs to upload its journal there"),
        )
        .arg(
            Arg::new("lock_table")
                .long("lock-table")
                .value_name("TABLE")
                .help("Include what the run needs to take its lock in this DynamoDB table"),
        )
        .arg(
            Arg::new("audit_kms_key")
                .long("audit-kms-key")
                .value_name("KEY")
                .help("Include what the run needs to sign its journal with this KMS key"),
        )
        .arg(
            Arg::new("notify")
                .long("notify")
                .value_name("TOPIC_ARN")
                .help("Include what the run needs to publish to this SNS topic (the runbook's notify: is included without it)"),
        );
    // A runbook parameter of the same name (a `region` parameter) gives the value instead.
    for (id, name, help) in [
        (
            "region",
            "REGION",
            "AWS region of the resources (default: AWS_REGION, then the profile's)",
        ),
        (
            "account",
            "ID",
            "AWS account of the resources (default: the caller's, from STS; give it to stay offline)",
        ),
    ] {
        if runbook.param(id).is_none() {
            command = command.arg(Arg::new(id).long(id).value_name(name).help(help));
        }
    }
    command
}

const USAGE: &str = "Usage: runbook policy NAME [FLAGS]\n\n`runbook policy NAME --help` lists the runbook's \
                     parameters as flags; `runbook list` lists the runbooks.\n";

pub fn run(context: &Context, args: &[String]) -> ExitStatus {
    let Some(name) = args.first().filter(|a| !a.starts_with('-')) else {
        if args.iter().any(|a| a == "--help" || a == "-h") {
            print(USAGE);
            return ExitStatus::Ok;
        }
        eprint!("runbook policy: which runbook?\n\n{USAGE}");
        return ExitStatus::Usage;
    };
    let runbook = match load_named(context, name) {
        Ok(runbook) => runbook,
        Err(code) => return code,
    };
    let mut command = add_policy_flags(
        param_flags::add_flags(
            Command::new(format!("runbook policy {}", runbook.name))
                .about(format!(
                    "The IAM policy a principal needs to run {}: {}",
                    runbook.name, runbook.description
                ))
                .no_binary_name(true),
            &runbook,
        ),
        &runbook,
    );
    // A parameter not given widens the resources it names instead of stopping a reviewer who does not know it.
    for param in runbook.params.iter().filter(|p| p.required) {
        command = command.mut_arg(&param.name, |arg| arg.required(false));
    }
    let matches = match command.try_get_matches_from(&args[1..]) {
        Ok(matches) => matches,
        Err(error) => return crate::commands::output::parse_failed(&error),
    };
    let mut params = match param_flags::resolve(&runbook, &matches, jiff::Timestamp::now()) {
        Ok(values) => values,
        Err(error) => {
            crate::say!("runbook policy: {error}");
            return ExitStatus::Usage;
        }
    };
    // A secret never reaches a policy document; what it names is widened instead.
    for param in runbook.params.iter().filter(|p| p.secret) {
        params.insert(param.name.clone(), Value::Null);
    }
    let own = |flag: &str| -> Option<String> {
        if runbook.param(flag).is_some() {
            params.get(flag).and_then(Value::as_str).map(str::to_string)
        } else {
            matches.get_one::<String>(flag).cloned()
        }
    };
    let region = own("region");
    let account = own("account");
    let format = own("format");
    let engine = EngineNeeds {
        audit_s3: match matches
            .get_one::<String>("audit_s3")
            .map(|url| recorded::parse_s3(url))
            .transpose()
        {
            Ok(target) => target.map(|t| (t.bucket, t.prefix)),
            Err(error) => {
                crate::say!("runbook policy: {error}");
                return ExitStatus::Usage;
            }
        },
        lock_table: matches.get_one::<String>("lock_table").cloned(),
        kms_key: matches.get_one::<String>("audit_kms_key").cloned(),
        notify: match matches.get_one::<String>("notify") {
            Some(topic) => Some(Some(topic.clone())),
            None if runbook.notify.is_some() => Some(
                crate::engine::render_notify_topic(
                    &runbook,
                    &params,
                    "policy",
                    jiff::Timestamp::now(),
                )
                .ok()
                .flatten()
                .filter(|topic| crate::language::topic_arn::is_topic_arn(topic)),
            ),
            None => None,
        },
    };
    let settings = AwsSettings {
        profile: matches.get_one::<String>("profile").cloned(),
        region: region.clone(),
        endpoint_url: matches.get_one::<String>("endpoint_url").cloned(),
    };
    let (region, account) = match (region, account) {
        (Some(region), Some(account)) => (region, account),
        (region, account) => match where_from(&settings, region, account) {
            Ok(found) => found,
            Err(error) => {
                crate::say!("runbook policy: {error}");
                return ExitStatus::Usage;
            }
        },
    };
    let policy = policy::build(
        &runbook,
        params,
        &region,
        &account,
        matches.get_flag("plan_only"),
        &engine,
        policy::Inputs::Run,
    );
    match format.as_deref() {
        Some("json") => {
            for note in policy.notes() {
                crate::say!("note: {note}");
            }
            crate::commands::output::print_json(&format!(
                "{}\n",
                serde_json::to_string_pretty(&policy.document()).expect("JSON")
            ));
        }
        _ => print(&policy.text()),
    }
    ExitStatus::Ok
}

/// The region from the standard chain and the account from STS, for what was not given.
fn where_from(
    settings: &AwsSettings,
    region: Option<String>,
    account: Option<String>,
) -> Result<(String, String), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let aws = Aws::load(settings).await?;
        let region = region.unwrap_or_else(|| aws.region().to_string());
        let account = match account {
            Some(account) => account,
            None => {
                let identity = aws::call(
                    &aws,
                    &aws::sts::GET_CALLER_IDENTITY,
                    serde_json::Map::new(),
                    true,
                )
                .await
                .map_err(|error| {
                    format!("cannot learn the account from STS ({error}); pass --account")
                })?;
                identity
                    .output
                    .get("Account")
                    .and_then(Value::as_str)
                    .ok_or("STS named no account; pass --account")?
                    .to_string()
            }
        };
        Ok((region, account))
    })
}
