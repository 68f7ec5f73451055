//! `runbook run NAME [FLAGS]` and `runbook plan NAME [FLAGS]`: parameters as flags generated from the runbook,
//! then the engine, with progress on stderr and the result on stdout.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

use crate::actions::Reach;
use crate::aws::{Aws, AwsSettings};
use crate::cli_approver::CliApprover;
use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::load_named;
use crate::commands::output::print;
use crate::commands::recorded::{self, Recording};
use crate::engine::{
    self, ApproverIdentity, Mode, Observer, Options, Outcome, RunReport, StepStatus,
};
use crate::journal::{NewRun, StateDir};
use crate::language::runbook::Runbook;
use crate::param_flags;
use crate::plan_view;
use crate::progress::{Progress, Style};
use crate::redact::{Redacting, Redactor};
use crate::run_summary;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Run,
    Plan,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Run => "run",
            Verb::Plan => "plan",
        }
    }
}

/// The engine's own flags, beside the runbook's parameters (`resume` builds them from its own).
pub(super) struct Flags {
    pub mode: Mode,
    pub yes: bool,
    pub approve: Vec<String>,
    pub format: String,
    pub quiet: bool,
    pub parallelism: usize,
    pub aws: AwsSettings,
    pub recording: Recording,
    /// `--notify TOPIC_ARN`, when given (a runbook's `notify:` is read later, with its parameters).
    pub notify: Option<String>,
}

const OPTIONS: &str = "Options";

/// The engine's flags on `command`; `runbook` is the one being run, when known (`runbook plan --help` has none).
pub(crate) fn add_engine_flags(command: Command, verb: Verb, runbook: Option<&Runbook>) -> Command {
    let offline_help = match verb {
        Verb::Plan => {
            "Make no AWS call at all: every read is deferred too (pull requests have no credentials)"
        }
        Verb::Run => "With --dry-run only: make no AWS call at all, every read deferred too",
    };
    let mut command = command
        .next_help_heading(OPTIONS)
        .arg(
            Arg::new("offline")
                .long("offline")
                .action(ArgAction::SetTrue)
                .help(offline_help),
        )
        .arg(
            Arg::new("no_color")
                .long("no-color")
                .action(ArgAction::SetTrue)
                .help("Never color the output (also: NO_COLOR)"),
        )
        .arg(
            Arg::new("quiet")
                .long("quiet")
                .short('q')
                .action(ArgAction::SetTrue)
                .help("No progress lines; failures and the result only"),
        )
        .arg(
            Arg::new("parallelism")
                .long("parallelism")
                .value_name("N")
                .value_parser(clap::value_parser!(u32).range(1..=1024))
                .default_value("8")
                .help("Steps in flight at once"),
        )
        .arg(
            Arg::new("profile")
                .long("profile")
                .value_name("NAME")
                .env("AWS_PROFILE")
                .help("AWS profile from the shared config files"),
        )
        .arg(
            Arg::new("endpoint_url")
                .long("endpoint-url")
                .value_name("URL")
                .help("Send every AWS call here (LocalStack, moto); AWS_ENDPOINT_URL works too"),
        )
        .arg(
            Arg::new("state_dir")
                .long("state-dir")
                .value_name("DIR")
                .env("RUNBOOK_STATE_DIR")
                .help("Where journals and local locks live (default: $XDG_STATE_HOME/runbook, else ~/.local/state/runbook)"),
        )
        .arg(
            Arg::new("audit_s3")
                .long("audit-s3")
                .value_name("s3://BUCKET/PREFIX")
                .env("RUNBOOK_AUDIT_S3")
                .help("Also upload the finished journal to BUCKET/PREFIX/<run id>/journal.jsonl"),
        )
        .arg(
            Arg::new("audit_kms_key")
                .long("audit-kms-key")
                .value_name("KEY")
                .env("RUNBOOK_AUDIT_KMS_KEY")
                .help("Sign the journal's head with this asymmetric KMS key (id, ARN or alias) at the start, at gates and at the end"),
        );
    if runbook.is_none_or(|runbook| runbook.param("region").is_none()) {
        command = command.arg(
            Arg::new("region")
                .long("region")
                .value_name("REGION")
                .help("AWS region (default: AWS_REGION, then the profile's)"),
        );
    }
    match verb {
        // A runbook's own `format` parameter is the flag then (see `read_flags`).
        Verb::Plan if runbook.is_some_and(|runbook| runbook.param("format").is_some()) => command,
        Verb::Plan => command.arg(
            Arg::new("format")
                .long("format")
                .value_parser(["text", "markdown", "json"])
                .default_value("text")
                .help("text for a terminal, markdown for a pull-request comment, json for tools"),
        ),
        Verb::Run => command
            .arg(
                Arg::new("yes")
                    .long("yes")
                    .short('y')
                    .action(ArgAction::SetTrue)
                    .help("Run writes without asking and open every approval gate (recorded as yours)"),
            )
            .arg(
                Arg::new("approve")
                    .long("approve")
                    .value_name("STEP")
                    .action(ArgAction::Append)
                    .help("Approve this approval step in advance (repeatable)"),
            )
            .arg(
                Arg::new("notify")
                    .long("notify")
                    .value_name("TOPIC_ARN")
                    .env("RUNBOOK_NOTIFY")
                    .help("Publish to this SNS topic when a gate waits for approval and when the run ends (with the command that resumes it); overrides the runbook's notify:"),
            )
            .arg(
                Arg::new("lock_table")
                    .long("lock-table")
                    .value_name("TABLE")
                    .env("RUNBOOK_LOCK_TABLE")
                    .help("Take the run's lock in this DynamoDB table (team-wide) instead of the state dir"),
            )
            .arg(
                Arg::new("on")
                    .long("on")
                    .value_name("ENGINE")
                    .value_parser(["local", "step-functions"])
                    .default_value("local")
                    .help("Where the run executes: here, or as an execution of the runbook's state machine on AWS Step Functions (`runbook deploy` it first; gates are answered with `runbook approve`/`reject`)"),
            )
            .arg(
                Arg::new("dry_run")
                    .long("dry-run")
                    .action(ArgAction::SetTrue)
                    .help("Plan instead: reads run, writes are shown and never sent"),
            )
            .arg(
                Arg::new("output")
                    .long("output")
                    .value_parser(["text", "markdown", "json"])
                    .default_value("text")
                    .help("The result on stdout: a table, Markdown for a ticket or chat, or JSON for tools"),
            ),
    }
}

fn read_flags(
    matches: &ArgMatches,
    verb: Verb,
    runbook: &Runbook,
    params: &Map<String, Value>,
    state_dir: Option<&std::path::Path>,
) -> Result<Flags, String> {
    let offline = matches.get_flag("offline");
    let dry_run = verb == Verb::Run && matches.get_flag("dry_run");
    let mode = match (verb, dry_run, offline) {
        (Verb::Run, false, true) => {
            return Err("--offline needs --dry-run (or use `runbook plan --offline`)".into());
        }
        (_, _, true) => Mode::Offline,
        (Verb::Plan, _, _) | (Verb::Run, true, _) => Mode::Plan,
        (Verb::Run, false, false) => Mode::Run,
    };
    let region = if runbook.param("region").is_some() {
        params
            .get("region")
            .and_then(Value::as_str)
            .map(str::to_string)
    } else {
        matches.get_one::<String>("region").cloned()
    };
    let format = match verb {
        Verb::Plan if runbook.param("format").is_some() => params
            .get("format")
            .and_then(Value::as_str)
            .filter(|format| ["text", "markdown", "json"].contains(format))
            .unwrap_or("text")
            .to_string(),
        Verb::Plan => matches
            .get_one::<String>("format")
            .cloned()
            .unwrap_or_default(),
        Verb::Run if dry_run => "text".into(),
        Verb::Run => matches
            .get_one::<String>("output")
            .cloned()
            .unwrap_or_default(),
    };
    let approve: Vec<String> = if verb == Verb::Run {
        matches
            .get_many::<String>("approve")
            .map(|v| v.cloned().collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for step in &approve {
        match runbook.step(step) {
            Some(found) if found.effect() == crate::language::runbook::StepEffect::Approval => {}
            Some(_) => {
                return Err(format!(
                    "--approve {step}: `{step}` is not an approval step"
                ));
            }
            None => {
                let gates: Vec<&str> = runbook
                    .steps
                    .iter()
                    .filter(|s| s.effect() == crate::language::runbook::StepEffect::Approval)
                    .map(|s| s.id.as_str())
                    .collect();
                return Err(format!(
                    "--approve {step}: no such step; approval steps: {}",
                    if gates.is_empty() {
                        "none".to_string()
                    } else {
                        gates.join(", ")
                    }
                ));
            }
        }
    }
    let state_flag = matches
        .get_one::<String>("state_dir")
        .map(std::path::PathBuf::from);
    let recording = Recording {
        state: StateDir::resolve(state_flag.as_deref().or(state_dir)),
        lock_table: if verb == Verb::Run {
            matches.get_one::<String>("lock_table").cloned()
        } else {
            None
        },
        audit_s3: matches
            .get_one::<String>("audit_s3")
            .map(|url| recorded::parse_s3(url))
            .transpose()?,
        audit_kms_key: matches
            .get_one::<String>("audit_kms_key")
            .filter(|key| !key.is_empty())
            .cloned(),
    };
    Ok(Flags {
        recording,
        notify: if verb == Verb::Run {
            matches.get_one::<String>("notify").cloned()
        } else {
            None
        },
        mode,
        yes: verb == Verb::Run && matches.get_flag("yes"),
        approve,
        format,
        quiet: matches.get_flag("quiet"),
        parallelism: *matches.get_one::<u32>("parallelism").unwrap_or(&8) as usize,
        aws: AwsSettings {
            profile: matches.get_one::<String>("profile").cloned(),
            region,
            endpoint_url: matches.get_one::<String>("endpoint_url").cloned(),
        },
    })
}

/// `runbook run --help` without a runbook: the engine's options, and where the parameters are listed.
fn usage(verb: Verb) -> String {
    let name = verb.name();
    let mut command = add_engine_flags(
        Command::new(format!("runbook {name}"))
            .override_usage(format!("runbook {name} NAME [PARAMETER FLAGS] [OPTIONS]"))
            .after_help(format!(
                "`runbook {name} NAME --help` lists the runbook's parameters as flags; `runbook list` lists the runbooks."
            )),
        verb,
        None,
    );
    command.render_help().to_string()
}

pub fn run(context: &Context, args: &[String], verb: Verb) -> ExitStatus {
    // `--no-color` is global: accepted before the runbook's name too, where the runbook's parser cannot see it.
    let no_color = args.iter().any(|a| a == "--no-color");
    let leading = args.iter().take_while(|a| *a == "--no-color").count();
    let args = &args[leading..];
    let color = context.color && !no_color;
    let Some(name) = args.first().filter(|a| !a.starts_with('-')) else {
        if args.iter().any(|a| a == "--help" || a == "-h") {
            print(&usage(verb));
            return ExitStatus::Ok;
        }
        eprint!("runbook {}: which runbook?\n\n{}", verb.name(), usage(verb));
        return ExitStatus::Usage;
    };
    let runbook = match load_named(context, name) {
        Ok(runbook) => Arc::new(runbook),
        Err(code) => return code,
    };
    let mut command = add_engine_flags(
        param_flags::add_flags(
            Command::new(format!("runbook {} {}", verb.name(), runbook.name))
                .about(runbook.description.clone())
                .no_binary_name(true),
            &runbook,
        ),
        verb,
        Some(&runbook),
    );
    // A pull request's offline plan has no values for required parameters; it shows `<param NAME>` instead.
    let offline = args.iter().any(|a| a == "--offline");
    if offline {
        for param in runbook.params.iter().filter(|p| p.required) {
            command = command.mut_arg(&param.name, |arg| arg.required(false));
        }
    }
    let matches = match command.try_get_matches_from(&args[1..]) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitStatus::Usage
            } else {
                ExitStatus::Ok
            };
        }
    };
    let started_at = jiff::Timestamp::now();
    let params = match param_flags::resolve(&runbook, &matches, started_at) {
        Ok(values) => values,
        Err(error) => {
            crate::say!("runbook {}: {error}", verb.name());
            return ExitStatus::Usage;
        }
    };
    let flags = match read_flags(
        &matches,
        verb,
        &runbook,
        &params,
        context.state_dir.as_deref(),
    ) {
        Ok(flags) => flags,
        Err(error) => {
            crate::say!("runbook {}: {error}", verb.name());
            return ExitStatus::Usage;
        }
    };
    let unknown: Vec<String> = runbook
        .params
        .iter()
        .filter(|p| p.required && params.get(&p.name).is_none_or(Value::is_null))
        .map(|p| p.name.clone())
        .collect();
    if verb == Verb::Run
        && matches
            .get_one::<String>("on")
            .is_some_and(|on| on == "step-functions")
    {
        if let Some(flag) = local_only_flags(&matches).first() {
            crate::say!(
                "runbook run: --{flag} applies to a local run, not to one on Step Functions"
            );
            return ExitStatus::Usage;
        }
        if matches.value_source("notify") == Some(clap::parser::ValueSource::EnvVariable) {
            crate::say!(
                "runbook run: warning: RUNBOOK_NOTIFY is not told of a run on Step Functions (its gates publish to \
                 the deployed --approval-topic)"
            );
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        // Held until the run ends: dropped, an unused folder goes.
        let Some(run) = new_run(&flags.recording.state, started_at) else {
            return ExitStatus::Usage;
        };
        return runtime.block_on(super::run_on_step_functions::run(
            color,
            runbook,
            params,
            flags,
            (run.id.clone(), started_at),
        ));
    }
    let mut params = params;
    for name in &unknown {
        params.insert(name.clone(), Value::String("<not given>".into()));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(execute(
        color,
        runbook,
        (params, unknown),
        flags,
        started_at,
    ))
}

/// The flags given on the command line that only the local engine acts on.
fn local_only_flags(matches: &ArgMatches) -> Vec<&'static str> {
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    [
        ("dry_run", "dry-run"),
        ("offline", "offline"),
        ("approve", "approve"),
        ("notify", "notify"),
        ("parallelism", "parallelism"),
    ]
    .into_iter()
    .filter(|(id, _)| given(id))
    .map(|(_, flag)| flag)
    .collect()
}

/// `runbook run` or `runbook plan` before a runbook adds its parameters: only the command's own flags.
pub fn flags_command(verb: Verb) -> Command {
    add_engine_flags(Command::new(format!("runbook {}", verb.name())), verb, None)
}

/// The names a runbook parameter may not take: each parameter becomes a flag of `runbook run` and `runbook plan`,
/// beside their own flags and the global ones, read here from the commands as clap builds them. `region` is not
/// among them: a runbook may declare it, and then it selects the AWS region. Nor is `format`, which only `plan`
/// (and `policy`) have: a runbook that writes a report declares it, and those commands then take its value.
pub fn reserved_param_names() -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    let globals =
        <super::GlobalArgs as clap::Args>::augment_args(Command::new("runbook").version("0"));
    for verb in [Verb::Run, Verb::Plan] {
        for mut command in [globals.clone(), flags_command(verb)] {
            // Building adds the flags clap makes itself (`--help`, `--version`).
            command.build();
            names.extend(command.get_arguments().map(|arg| arg.get_id().to_string()));
        }
    }
    names.remove("region");
    names.remove("format");
    names.into_iter().collect()
}

pub(super) fn needs_aws(runbook: &Runbook) -> bool {
    runbook
        .steps
        .iter()
        .chain(&runbook.on_failure)
        .filter_map(|step| step.action())
        .any(|action| crate::actions::TABLE.row(&action.shape).reach == Reach::Aws)
}

/// The run's id, claimed in the state dir; `None` once the operator is told why it could not be (nothing was sent).
fn new_run(state: &StateDir, started_at: jiff::Timestamp) -> Option<NewRun> {
    match state.new_run(started_at) {
        Ok(run) => Some(run),
        Err(error) => {
            crate::say!(
                "runbook: cannot create the audit journal in {}: {error}; nothing was sent",
                state.runs().display()
            );
            None
        }
    }
}

async fn execute(
    color: bool,
    runbook: Arc<Runbook>,
    (params, unknown): (Map<String, Value>, Vec<String>),
    flags: Flags,
    started_at: jiff::Timestamp,
) -> ExitStatus {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let signs = flags.recording.audit_kms_key.is_some();
    if signs && flags.mode == Mode::Offline {
        crate::say!("runbook: --audit-kms-key needs AWS, and an offline plan makes no AWS call");
        return ExitStatus::Usage;
    }
    // Held until the run ends: dropped, an unused folder goes.
    let Some(run) = new_run(&flags.recording.state, started_at) else {
        return ExitStatus::Usage;
    };
    let run_id = run.id.clone();
    let topic = if flags.mode == Mode::Run {
        match crate::notify::Notifier::topic(
            flags.notify.clone(),
            &runbook,
            &params,
            &run_id,
            started_at,
        ) {
            Ok(topic) => topic,
            Err(error) => {
                crate::say!("runbook run: {error}");
                return ExitStatus::Usage;
            }
        }
    } else {
        None
    };
    let aws = if (needs_aws(&runbook) || signs || topic.is_some()) && flags.mode != Mode::Offline {
        match Aws::load(&flags.aws).await {
            Ok(aws) => Some(Arc::new(aws)),
            Err(error) => {
                crate::say!("runbook: {error}");
                return ExitStatus::Usage;
            }
        }
    } else {
        None
    };

    let progress = Arc::new(Progress::new(progress_style(&flags), color));
    let redactor = Redactor::for_params(&runbook, &params);
    let shown: Arc<dyn Observer> = Arc::new(Redacting {
        redactor: redactor.clone(),
        inner: progress.clone(),
    });

    // Writes are confirmed before anything runs, as `terraform apply` does: on a terminal by answering `yes`
    // to the plan, elsewhere only by `--yes`.
    // The writes of a runbook that a `runbook:` step runs count only when the parameters do not rule it out.
    let ruled_out: Vec<bool> = engine::nested_before_run(&runbook, &params, &run_id, started_at)
        .map(|frames| frames.into_iter().map(|f| f.ruled_out).collect())
        .unwrap_or_default();
    let writes: Vec<&str> = runbook
        .steps
        .iter()
        .filter(|s| s.effect() == crate::language::runbook::StepEffect::Write)
        .filter(|s| s.frame.is_none_or(|f| ruled_out.get(f) != Some(&true)))
        .map(|s| s.id.as_str())
        .collect();
    let failure_writes = runbook
        .on_failure
        .iter()
        .any(|s| s.effect() == crate::language::runbook::StepEffect::Write);
    if flags.mode == Mode::Run && (!writes.is_empty() || failure_writes) && !flags.yes {
        if !interactive {
            crate::say!(
                "runbook run: {} writes (steps: {}); pass --yes to run it without a terminal, or review it first with `runbook plan {}`",
                runbook.name,
                writes.join(", "),
                runbook.name
            );
            return ExitStatus::Usage;
        }
        let (mut plan_options, _) = options(
            &flags,
            Mode::Plan,
            aws.clone(),
            (progress.clone(), shown.clone()),
            interactive,
            (&run_id, started_at),
            None,
        );
        plan_options.secrets = redactor.secrets().clone();
        let mut plan = engine::execute(runbook.clone(), params.clone(), plan_options).await;
        redactor.report(&mut plan);
        if !confirm_writes(&runbook, &plan) {
            return ExitStatus::Declined;
        }
    }

    // Who is at the keyboard and which AWS principal they act as: in the journal and with every approval.
    let operator = recorded::operator(aws.as_deref()).await;
    let identity = ApproverIdentity {
        os_user: operator.os_user.clone(),
        aws_principal: operator.aws_principal.clone(),
    };
    let operator_name = operator.to_string();

    let lock_keys = match engine::render_lock_keys(&runbook, &params, &run_id, started_at) {
        Ok(keys) => keys,
        Err(error) => {
            crate::say!("runbook {}: {error}", flags.mode.as_str());
            return ExitStatus::Usage;
        }
    };
    let lock_key = lock_keys[0].clone();
    // Plans send no write, so two of them (or a plan beside a run) never conflict.
    let (mut lock, child_locks) = if flags.mode == Mode::Run {
        match recorded::take_run_locks(&flags.recording, aws.as_ref(), &lock_keys, &run_id).await {
            Ok((lock, children)) => (Some(lock), children),
            Err(error) => return lock_refused(&error),
        }
    } else {
        (None, Vec::new())
    };

    let signer = match recorded::signer(&flags.recording, aws.as_ref(), &run_id).await {
        Ok(signer) => signer,
        Err(error) => {
            crate::say!("runbook: {error}; nothing was sent");
            return ExitStatus::Usage;
        }
    };
    let Some(journal) = recorded::create_journal(&flags.recording.state, &run_id) else {
        return ExitStatus::Usage;
    };
    let started = recorded::run_started(
        &runbook,
        (&run_id, &params),
        operator,
        aws.as_deref(),
        &redactor,
        recorded::RunStart {
            mode: flags.mode.as_str().to_string(),
            lock: (flags.mode == Mode::Run).then(|| lock_key.clone()),
            signing_key: signer.as_ref().map(|signer| signer.key().to_string()),
            notify: topic.clone(),
            state_machine: None,
        },
    );
    if let Err(error) = recorded::write_or_fail(&journal, &started) {
        crate::say!("runbook: {error}");
        return ExitStatus::Usage;
    }
    if let Err(error) = recorded::sign_start(&journal, signer.as_ref()).await {
        crate::say!("runbook: {error}; nothing was sent");
        return ExitStatus::Usage;
    }

    let observer = recorded::observer(&journal, &runbook, progress.clone(), &redactor);
    let (mut options, cancel) = options(
        &flags,
        flags.mode,
        aws.clone(),
        (progress.clone(), observer),
        interactive,
        (&run_id, started_at),
        Some(identity),
    );
    options.secrets = redactor.secrets().clone();
    let notifier = recorded::notifier(
        topic,
        aws.as_ref(),
        &journal,
        &redactor,
        (&run_id, &runbook, operator_name),
        &flags.recording.state,
    );
    options.approver = recorded::approver(
        options.approver,
        notifier.as_ref(),
        &flags,
        &redactor,
        signer.as_ref(),
        &journal,
    );
    let cancel = Arc::new(cancel);
    let lock_watch = recorded::watch_lock(
        lock.as_mut(),
        &lock_key,
        &journal,
        progress.clone(),
        cancel.clone(),
    );
    let clock = std::time::Instant::now();
    let signals = tokio::spawn(watch_signals(cancel, progress.clone()));
    let mut report = engine::execute_with_unknown_params(runbook, params, &unknown, options).await;
    signals.abort();
    lock_watch.settle(&mut report);
    if let Some(notifier) = &notifier {
        notifier.ended(&report).await;
    }
    recorded::finish(
        &journal,
        &report,
        clock,
        lock,
        &flags.recording,
        aws.as_deref(),
        signer.as_ref(),
        &redactor,
    )
    .await;
    recorded::release_all(child_locks).await;
    redactor.report(&mut report);
    print_result(&flags, &report);
    exit_code(&report)
}

/// A plan's result is the plan itself; step-by-step lines would only repeat it off a terminal.
pub(super) fn progress_style(flags: &Flags) -> Style {
    if flags.quiet {
        Style::Quiet
    } else if std::io::stderr().is_terminal() {
        Style::Bars
    } else if flags.mode == Mode::Run {
        Style::Lines
    } else {
        Style::Quiet
    }
}

/// Shows the plan and asks for `yes`, counting the writes the plan says will run: not those a `when` rules out,
/// and those whose `when` only the run can decide, said apart.
pub(super) fn confirm_writes(runbook: &Runbook, plan: &RunReport) -> bool {
    eprint!(
        "\n{}",
        crate::foundation::terminal_text::block(&plan_view::text(plan))
    );
    let writes = plan
        .steps
        .iter()
        .filter(|s| s.effect == crate::language::runbook::StepEffect::Write);
    let will = writes
        .clone()
        .filter(|s| s.status == StepStatus::Planned)
        .count();
    let maybe = writes.filter(|s| s.status == StepStatus::Deferred).count();
    let maybe = if maybe > 0 {
        format!(" (and {maybe} more that the run decides on results the plan cannot read)")
    } else {
        String::new()
    };
    eprint!(
        "\nRun {} with {} {will} write{}{maybe}? Only 'yes' is accepted: ",
        runbook.name,
        if will == 1 { "this" } else { "these" },
        if will == 1 { "" } else { "s" },
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() != "yes" {
        crate::say!("runbook run: not confirmed; nothing was written");
        return false;
    }
    true
}

pub(super) fn lock_refused(error: &crate::lock::LockError) -> ExitStatus {
    crate::say!("runbook: {error}; nothing was sent");
    match error {
        crate::lock::LockError::Held { .. } | crate::lock::LockError::Unreadable { .. } => {
            ExitStatus::Locked
        }
        crate::lock::LockError::Failed(_) => ExitStatus::Usage,
    }
}

pub(super) fn options(
    flags: &Flags,
    mode: Mode,
    aws: Option<Arc<Aws>>,
    (progress, observer): (Arc<Progress>, Arc<dyn Observer>),
    interactive: bool,
    (run_id, started_at): (&str, jiff::Timestamp),
    identity: Option<ApproverIdentity>,
) -> (Options, tokio::sync::watch::Sender<bool>) {
    let (sender, cancel) = tokio::sync::watch::channel(false);
    let approver = CliApprover {
        yes: flags.yes,
        approve: flags.approve.iter().cloned().collect::<HashSet<_>>(),
        interactive,
        identity: identity.unwrap_or_default(),
        progress,
        prompt_lock: Default::default(),
    };
    let options = Options {
        mode,
        parallelism: flags.parallelism,
        aws,
        approver: Arc::new(approver),
        observer,
        cancel,
        run_id: run_id.to_string(),
        started_at,
        default_attempt_timeout: Duration::from_secs(60),
        secrets: Default::default(),
        actions: crate::actions::TABLE,
    };
    (options, sender)
}

/// First SIGINT or SIGTERM: stop starting steps and let in-flight calls end. A second one exits at once.
pub(super) async fn watch_signals(
    cancel: Arc<tokio::sync::watch::Sender<bool>>,
    progress: Arc<Progress>,
) {
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    loop {
        #[cfg(unix)]
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminated => {}
        }
        if *cancel.borrow() {
            progress.suspend(|| crate::say!("runbook: second interrupt, exiting now"));
            ExitStatus::Interrupted.exit_now();
        }
        progress.suspend(|| {
            crate::say!("runbook: interrupted; letting in-flight calls finish, starting nothing new (again to exit now)")
        });
        let _ = cancel.send(true);
    }
}

pub(super) fn print_result(flags: &Flags, report: &RunReport) {
    match flags.format.as_str() {
        "json" => crate::commands::output::print_json(&format!(
            "{}\n",
            serde_json::to_string_pretty(report).expect("reports serialize")
        )),
        "markdown" if report.mode != Mode::Run => print(&plan_view::markdown(report)),
        "markdown" => print(&run_summary::markdown(report)),
        _ if report.mode != Mode::Run => print(&plan_view::text(report)),
        _ => print(&run_summary::text(report)),
    }
}

pub(super) fn exit_code(report: &RunReport) -> ExitStatus {
    match report.outcome {
        Outcome::Succeeded | Outcome::Planned => ExitStatus::Ok,
        Outcome::Failed | Outcome::JournalFailed => ExitStatus::Failed,
        Outcome::AwaitingApproval => ExitStatus::AwaitingApproval,
        Outcome::Refused => ExitStatus::Refused,
        Outcome::Interrupted => ExitStatus::Interrupted,
        Outcome::LockLost => ExitStatus::Locked,
    }
}
