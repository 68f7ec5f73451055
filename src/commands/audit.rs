//! `runbook audit list|show|timeline|postmortem|verify`: reading the journals in the state dir.

use clap::{Subcommand, ValueEnum};

use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::output::print;
use crate::foundation::datetime::DateTimeSpec;
use crate::journal::chain::{self, Verification};
use crate::journal::incident::RunStory;
use crate::journal::signature;
use crate::journal::store::{self, StateDir};
use crate::journal::{gantt, postmortem, timeline};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimelineFormat {
    Markdown,
    Text,
    /// A Gantt chart (what GitHub draws from a ```mermaid block).
    Mermaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PostmortemFormat {
    Markdown,
    Mermaid,
}

/// `--since`/`--until` as datetime parameters take them: RFC 3339 or relative to now (`now-2h`).
fn when(text: &str) -> Result<DateTimeSpec, String> {
    DateTimeSpec::parse(text).ok_or_else(|| {
        format!(
            "`{text}` is not a time: {}",
            crate::foundation::datetime::HINT
        )
    })
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Every run in the state dir: run id, runbook, status, operator, start, duration.
    List {
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Every record of one run (RUN: a run id, a unique part of one, or `last`).
    Show {
        run: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// The post-mortem timeline of one run: UTC time, step, what was done to which resource, outcome, AWS
    /// request ids, approvals.
    Timeline {
        run: String,
        #[arg(long, value_enum, default_value_t = TimelineFormat::Markdown)]
        format: TimelineFormat,
    },
    /// The journals of every run between --since and --until merged into one incident document: who ran
    /// what, each write before -> after, approvals, failures, the gaps between runs and steps, one timeline and
    /// a Gantt chart (`--format mermaid`: the chart alone).
    Postmortem {
        /// RFC 3339 (`2026-11-29T16:00:00Z`) or relative to now (`now-2h`).
        #[arg(long, value_name = "TIME", value_parser = when)]
        since: DateTimeSpec,
        /// Default: now.
        #[arg(long, value_name = "TIME", value_parser = when)]
        until: Option<DateTimeSpec>,
        #[arg(long, value_enum, default_value_t = PostmortemFormat::Markdown)]
        format: PostmortemFormat,
    },
    /// Check one run's hash chain and KMS signatures: reports edited, removed, inserted or reordered records by
    /// line, signatures that fail, and records after the last signature of a signed journal; exit 1 if any.
    Verify {
        run: String,
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
        /// The KMS key the journal must be signed with (a journal signed with another key, or unsigned, fails).
        #[arg(long, value_name = "KEY", env = "RUNBOOK_AUDIT_KMS_KEY")]
        audit_kms_key: Option<String>,
        #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
        profile: Option<String>,
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
    },
}

pub fn run(context: &Context, command: AuditCommand) -> ExitStatus {
    let state = StateDir::resolve(context.state_dir.as_deref());
    match command {
        AuditCommand::List { format } => list(&state, format),
        AuditCommand::Show { run, format } => {
            with_run(&state, &run, |id, text| show(id, text, format))
        }
        AuditCommand::Timeline { run, format } => {
            with_run(&state, &run, |id, text| timeline(id, text, format))
        }
        AuditCommand::Postmortem {
            since,
            until,
            format,
        } => postmortem(&state, &since, until.as_ref(), format),
        AuditCommand::Verify {
            run,
            format,
            audit_kms_key,
            profile,
            region,
            endpoint_url,
        } => {
            let settings = crate::aws::AwsSettings {
                profile,
                region,
                endpoint_url,
            };
            let pinned = audit_kms_key.filter(|key| !key.is_empty());
            with_run(&state, &run, |id, text| {
                verify(id, text, format, pinned.as_deref(), &settings)
            })
        }
    }
}

fn with_run(
    state: &StateDir,
    wanted: &str,
    then: impl FnOnce(&str, &str) -> ExitStatus,
) -> ExitStatus {
    let id = match state.find_run(wanted) {
        Ok(id) => id,
        Err(error) => {
            crate::say!("runbook audit: {error}");
            return ExitStatus::Usage;
        }
    };
    match crate::journal::store::read_journal(&state.journal(&id)) {
        Ok(text) => then(&id, &text),
        Err(error) => {
            crate::say!(
                "runbook audit: cannot read {}: {error}",
                state.journal(&id).display()
            );
            ExitStatus::Usage
        }
    }
}

fn entries(text: &str) -> Vec<chain::Entry> {
    let (lines, _) = chain::complete_lines(text);
    lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| chain::open(index + 1, line))
        .collect()
}

fn list(state: &StateDir, format: ShowFormat) -> ExitStatus {
    let summaries: Vec<store::RunSummary> = state
        .run_ids()
        .iter()
        .filter_map(|id| {
            let entries = store::read_entries(&state.journal(id)).ok()?;
            Some(store::summarize(id, &entries))
        })
        .collect();
    match format {
        ShowFormat::Json => crate::commands::output::print_json(&format!(
            "{}\n",
            serde_json::to_string_pretty(&summaries).expect("summaries serialize")
        )),
        ShowFormat::Text => {
            if summaries.is_empty() {
                crate::say!("runbook audit: no runs in {}", state.runs().display());
                return ExitStatus::Ok;
            }
            let rows: Vec<Vec<String>> = summaries
                .iter()
                .map(|s| {
                    vec![
                        s.run_id.clone(),
                        s.runbook.clone(),
                        if s.mode == "run" {
                            s.status.clone()
                        } else {
                            format!("{} ({})", s.status, s.mode)
                        },
                        s.operator.clone(),
                        s.started_at.clone(),
                        format!("{:.1}s", s.duration_seconds),
                    ]
                })
                .collect();
            print(&crate::foundation::table::render(
                &[
                    "RUN",
                    "RUNBOOK",
                    "STATUS",
                    "OPERATOR",
                    "STARTED (UTC)",
                    "DURATION",
                ],
                &rows,
            ));
        }
    }
    ExitStatus::Ok
}

fn show(id: &str, text: &str, format: ShowFormat) -> ExitStatus {
    let entries = entries(text);
    match format {
        ShowFormat::Json => {
            let records: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| serde_json::Value::Object(e.fields.clone()))
                .collect();
            crate::commands::output::print_json(&format!(
                "{}\n",
                serde_json::to_string_pretty(&records).expect("records serialize")
            ));
        }
        ShowFormat::Text => {
            let mut out = format!("Journal of run {id}\n");
            for entry in &entries {
                let mut fields = entry.fields.clone();
                for envelope in ["seq", "time", "prev", "kind"] {
                    fields.remove(envelope);
                }
                let kind = entry
                    .fields
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .unwrap_or("?");
                let mut body = serde_json::Value::Object(fields).to_string();
                if body.len() > 240 {
                    let mut cut = 237;
                    while !body.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    body.truncate(cut);
                    body.push_str("...");
                }
                out.push_str(&format!(
                    "{:>4} {} {:<18} {body}\n",
                    entry.seq, entry.time, kind
                ));
            }
            print(&out);
        }
    }
    ExitStatus::Ok
}

fn timeline(id: &str, text: &str, format: TimelineFormat) -> ExitStatus {
    let entries = entries(text);
    let summary = store::summarize(id, &entries);
    let title = format!(
        "`{}` run {id} ({}, operator {})",
        summary.runbook, summary.status, summary.operator
    );
    if format == TimelineFormat::Mermaid {
        let Some(story) = RunStory::read(id, &entries) else {
            crate::say!("runbook audit: run {id} has no readable record");
            return ExitStatus::Usage;
        };
        print(&gantt::chart(&title.replace('`', ""), &[story]));
        return ExitStatus::Ok;
    }
    let rows = timeline::rows(&entries);
    print(&match format {
        TimelineFormat::Markdown => timeline::markdown(&title, &rows),
        TimelineFormat::Text | TimelineFormat::Mermaid => {
            timeline::text(&title.replace('`', ""), &rows)
        }
    });
    ExitStatus::Ok
}

fn postmortem(
    state: &StateDir,
    since: &DateTimeSpec,
    until: Option<&DateTimeSpec>,
    format: PostmortemFormat,
) -> ExitStatus {
    let now = jiff::Timestamp::now();
    let (Some(since), Some(until)) = (
        since.resolve(now),
        until.map_or(Some(now), |until| until.resolve(now)),
    ) else {
        crate::say!("runbook audit postmortem: the window lies outside the times a clock can hold");
        return ExitStatus::Usage;
    };
    if until < since {
        crate::say!(
            "runbook audit postmortem: --until ({until}) is before --since ({since}); hint: swap them"
        );
        return ExitStatus::Usage;
    }
    let mut runs: Vec<RunStory> = state
        .run_ids()
        .iter()
        .filter_map(|id| {
            let entries = store::read_entries(&state.journal(id)).ok()?;
            RunStory::read(id, &entries)
        })
        .filter(|run| run.overlaps(since, until))
        .collect();
    if runs.is_empty() {
        crate::say!(
            "runbook audit postmortem: no run in {} between {since} and {until}; `runbook audit list` shows them all",
            state.runs().display()
        );
        return ExitStatus::Ok;
    }
    // Run ids sort by the second a run started; two started within one second sort by their first record.
    runs.sort_by(|a, b| (a.started, &a.run_id).cmp(&(b.started, &b.run_id)));
    print(&match format {
        PostmortemFormat::Markdown => postmortem::markdown(since, until, &runs),
        PostmortemFormat::Mermaid => gantt::chart(
            &format!(
                "Incident {} to {}",
                crate::journal::incident::utc(since),
                crate::journal::incident::utc(until)
            ),
            &runs,
        ),
    });
    ExitStatus::Ok
}

fn verify(
    id: &str,
    text: &str,
    format: ShowFormat,
    pinned: Option<&str>,
    settings: &crate::aws::AwsSettings,
) -> ExitStatus {
    let mut verification: Verification = chain::verify(text);
    let entries = entries(text);
    let signed = pinned.is_some()
        || signature::declared(&entries)
        || entries
            .iter()
            .any(|e| matches!(e.record, Some(crate::journal::Record::Signed { .. })));
    if signed && !entries.is_empty() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let check = runtime.block_on(async {
            let aws = crate::aws::Aws::load(settings).await;
            if let Err(error) = &aws {
                crate::say!("runbook audit: signatures cannot be checked: {error}");
            }
            signature::check(&entries, aws.as_ref().ok(), pinned).await
        });
        verification.add_signatures(check);
    }
    match format {
        ShowFormat::Json => crate::commands::output::print_json(&format!(
            "{}\n",
            serde_json::to_string_pretty(&verification).expect("verifications serialize")
        )),
        ShowFormat::Text => {
            let mut out = String::new();
            for problem in &verification.problems {
                out.push_str(&format!(
                    "line {}: {:?}: {}\n",
                    problem.line, problem.kind, problem.detail
                ));
            }
            if verification.incomplete_tail > 0 {
                out.push_str(&format!(
                    "note: the last {} bytes are an incomplete record (the writer was stopped mid-line); ignored\n",
                    verification.incomplete_tail
                ));
            }
            if verification.intact() {
                let proof = match (verification.signed_through, &verification.signed_by) {
                    (Some(seq), Some(key)) => format!(
                        "; signed with {key} through its last record ({seq}): {} signature{} verified by KMS",
                        verification.signatures,
                        if verification.signatures == 1 { "" } else { "s" }
                    ),
                    _ => "; not signed: the chain proves only that the journal is consistent with itself (a record \
                          rewritten with every later hash recomputed, or records cut off the end, would not show); \
                          runs given --audit-kms-key are signed"
                        .to_string(),
                };
                out.push_str(&format!(
                    "run {id}: {} records, chain intact{proof}\n",
                    verification.records
                ));
            } else {
                out.push_str(&format!(
                    "run {id}: the journal was tampered with: {} problem{}\n",
                    verification.problems.len(),
                    if verification.problems.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                ));
            }
            print(&out);
        }
    }
    if verification.intact() {
        ExitStatus::Ok
    } else {
        ExitStatus::Failed
    }
}
