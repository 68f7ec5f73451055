//! The least-privilege IAM policy a principal needs to run a runbook (`runbook policy`).
//!
//! Every step that can run with the given parameters contributes its action's IAM actions on its resources, the
//! registry's patterns filled from the step's request. Where the request depends on what the run finds (a step's
//! output, the run id), only that part becomes `*`, and the statement names the steps that made it wider.
//! Validation is done and nothing here calls AWS: region and account are given.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::actions::{ActionSpec, Effect};
use crate::language::runbook::{Runbook, Step};
use crate::language::value_pattern::{Known, Pattern};

/// The IAM policy document's version; the only current one.
pub const VERSION: &str = "2012-10-17";

/// What the engine itself does besides the steps, when the run is asked to.
#[derive(Clone, Debug, Default)]
pub struct EngineNeeds {
    /// `--audit-s3`: the bucket and key prefix the journal is uploaded to.
    pub audit_s3: Option<(String, String)>,
    /// `--lock-table`: the DynamoDB table holding the run's lock.
    pub lock_table: Option<String>,
    /// `--audit-kms-key`: the key (id, ARN or alias) that signs the journal.
    pub kms_key: Option<String>,
    /// `--notify` or the runbook's `notify:`: the SNS topic told of gates and of the end; `None` inside when the
    /// runbook's template could not be rendered from the parameters given.
    pub notify: Option<Option<String>>,
}

/// One `Allow` statement: IAM actions that need exactly the same resources, and those resources.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sid: String,
    pub actions: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    /// The steps (or `engine`) that need it, in runbook order.
    pub steps: Vec<String>,
    /// Why the resource has a `*` where the run decides, if it has.
    pub widened: BTreeSet<String>,
    /// The steps whose outputs made it wider.
    pub widened_by: BTreeSet<String>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub runbook: String,
    pub region: String,
    pub account: String,
    pub plan_only: bool,
    pub statements: Vec<Statement>,
}

/// One IAM action on one resource, needed by one step.
struct Need {
    action: String,
    resource: Pattern,
    step: String,
}

/// Who gives the parameters of the runs a policy is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inputs {
    /// The operator, for a run: `params` are the run's, null where not given.
    Run,
    /// Each execution of an exported state machine: a parameter not given at export is whatever the execution's
    /// input says, so every step it could turn on (a `when` on it) needs its permissions.
    EachExecution,
}

/// Builds the policy for `runbook` with `params` (null where not given).
pub fn build(
    runbook: &Runbook,
    params: serde_json::Map<String, Value>,
    region: &str,
    account: &str,
    plan_only: bool,
    engine: &EngineNeeds,
    inputs: Inputs,
) -> Policy {
    let root = Known::new(
        runbook,
        params,
        region.to_string(),
        account.to_string(),
        inputs == Inputs::EachExecution,
    );
    // Frames come after the frame of the step that runs them, so each parent is known before its children.
    let mut frames: Vec<(Known, bool)> = Vec::with_capacity(runbook.frames.len());
    for frame in &runbook.frames {
        let (parent, parent_off) = match frame.parent {
            None => (&root, false),
            Some(parent) => (&frames[parent].0, frames[parent].1),
        };
        let off = parent_off
            || frame
                .when
                .as_ref()
                .is_some_and(|when| parent.condition(&when.source) == Some(false));
        let known = parent.nested(frame);
        frames.push((known, off));
    }
    let mut needs = Vec::new();
    let steps: Vec<&Step> = if plan_only {
        runbook.steps.iter().collect()
    } else {
        runbook.steps.iter().chain(&runbook.on_failure).collect()
    };
    let deferred = deferred_in_plans(runbook);
    for (index, step) in steps.into_iter().enumerate() {
        // A plan defers a read that comes after a write it did not send; it never makes that call.
        if plan_only && deferred[index] {
            continue;
        }
        let known = match step.frame {
            None => &root,
            // A nested runbook whose `runbook:` step is ruled out asks for nothing.
            Some(frame) if frames[frame].1 => continue,
            Some(frame) => &frames[frame].0,
        };
        if let Some(when) = &step.when
            && known.condition(&when.source) == Some(false)
        {
            continue;
        }
        let Some(action) = step.action() else {
            continue;
        };
        if !plan_only || action.shape.effect == Effect::Read {
            let row = crate::actions::TABLE.row(&action.shape);
            needs.extend(step_needs(known, row, &action.with, &step.id));
        }
        // The read that shows what a write changes runs before it (in plans too) and after it.
        if let Some(crate::actions::Observed {
            how: crate::actions::How::Read { read, with, .. },
            ..
        }) = crate::actions::observed(action.shape.name)
            && let Some(read) = crate::actions::lookup(read)
        {
            let copied: serde_json::Map<String, Value> = with
                .iter()
                .filter_map(|(read_member, write_member)| {
                    Some((
                        (*read_member).to_string(),
                        action.with.get(*write_member)?.clone(),
                    ))
                })
                .collect();
            needs.extend(step_needs(known, read, &Value::Object(copied), &step.id));
        }
        // `runbook resume` runs a write's verify read to learn whether the write took effect.
        if !plan_only && let Some(verify) = &action.verify {
            let row = crate::actions::TABLE.row(&verify.shape);
            needs.extend(step_needs(known, row, &verify.with, &step.id));
        }
    }
    needs.extend(engine_needs(&root, engine, plan_only));
    Policy {
        runbook: runbook.name.clone(),
        region: region.to_string(),
        account: account.to_string(),
        plan_only,
        statements: group(needs),
    }
}

fn step_needs(known: &Known, spec: &ActionSpec, with: &Value, step: &str) -> Vec<Need> {
    let mut needs = Vec::new();
    for (action, patterns) in spec.permissions() {
        for pattern in patterns {
            if pattern == "-" {
                continue;
            }
            let resource = known.resource_for(pattern, with, step);
            needs.push(Need {
                action: action.to_string(),
                resource: as_arn(resource, action, known),
                step: step.to_string(),
            });
        }
    }
    needs
}

/// A resource given as a URL (an SQS queue URL, an `s3://` location) as the ARN IAM matches; a resource that is
/// entirely decided at run time keeps the service, region and account of its ARN.
fn as_arn(mut resource: Pattern, action: &str, known: &Known) -> Pattern {
    let service = action.split(':').next().unwrap_or_default();
    let text = resource.text.clone();
    if let Some(rest) = text
        .strip_prefix("https://sqs.")
        .or_else(|| text.strip_prefix("http://sqs."))
    {
        // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
        let mut parts = rest.splitn(2, '/');
        let host = parts.next().unwrap_or_default();
        let path = parts.next().unwrap_or_default();
        let region = host.split('.').next().unwrap_or(&known.region);
        let (account, name) = path.split_once('/').unwrap_or((&known.account, path));
        resource.text = format!("arn:aws:sqs:{region}:{account}:{name}");
    } else if let Some(rest) = text.strip_prefix("s3://") {
        let rest = rest.trim_end_matches('*');
        resource.text = if rest.contains('/') {
            format!("arn:aws:s3:::{rest}*")
        } else {
            format!("arn:aws:s3:::{rest}/*")
        };
    } else if text == "*" && !resource.is_exact() {
        resource.text = match service {
            "s3" => "arn:aws:s3:::*".to_string(),
            "sqs" | "dynamodb" | "lambda" | "glue" | "athena" | "logs" | "events" | "sns"
            | "cloudformation" | "kms" | "s3tables" => {
                format!("arn:aws:{service}:{}:{}:*", known.region, known.account)
            }
            _ => "*".to_string(),
        };
    }
    resource
}

/// Per step of [`Runbook::steps`]: whether a write is upstream of it through `needs`.
fn deferred_in_plans(runbook: &Runbook) -> Vec<bool> {
    fn after_write(runbook: &Runbook, index: usize, memo: &mut Vec<Option<bool>>) -> bool {
        if let Some(known) = memo[index] {
            return known;
        }
        // The graph is acyclic (the validator proved it); the mark only guards the recursion.
        memo[index] = Some(false);
        let found = runbook.steps[index].needs.iter().any(|&need| {
            runbook.steps[need].effect() == crate::language::runbook::StepEffect::Write
                || after_write(runbook, need, memo)
        });
        memo[index] = Some(found);
        found
    }
    let mut memo = vec![None; runbook.steps.len()];
    (0..runbook.steps.len())
        .map(|index| after_write(runbook, index, &mut memo))
        .collect()
}

/// The engine's own calls: `--audit-s3` and `--audit-kms-key` in plans and runs, `--lock-table` in runs.
fn engine_needs(known: &Known, engine: &EngineNeeds, plan_only: bool) -> Vec<Need> {
    let mut needs = Vec::new();
    let mut add = |actions: &[&str], resource: Pattern| {
        for action in actions {
            needs.push(Need {
                action: action.to_string(),
                resource: resource.clone(),
                step: "engine".into(),
            });
        }
    };
    if let Some((bucket, prefix)) = &engine.audit_s3 {
        add(
            &["s3:PutObject"],
            Pattern::known(format!("arn:aws:s3:::{bucket}/{prefix}*")),
        );
    }
    if let Some(table) = engine.lock_table.as_ref().filter(|_| !plan_only) {
        add(
            &["dynamodb:GetItem", "dynamodb:PutItem"],
            Pattern::known(format!(
                "arn:aws:dynamodb:{}:{}:table/{table}",
                known.region, known.account
            )),
        );
    }
    if let Some(key) = &engine.kms_key {
        let resource = if key.starts_with("arn:") && key.contains(":key/") {
            Pattern::known(key.clone())
        } else if !key.starts_with("alias/") && !key.starts_with("arn:") {
            // A bare key id names the key itself.
            Pattern::known(format!(
                "arn:aws:kms:{}:{}:key/{key}",
                known.region, known.account
            ))
        } else {
            // An alias resolves to a key only at run time, and IAM matches the key's ARN, not the alias.
            Pattern {
                text: format!("arn:aws:kms:{}:{}:key/*", known.region, known.account),
                ..Pattern::unknown(format!("the key behind {key}, resolved at run time"))
            }
        };
        add(&["kms:DescribeKey", "kms:Sign"], resource);
    }
    // A plan notifies nobody.
    if let Some(topic) = engine.notify.as_ref().filter(|_| !plan_only) {
        let resource = match topic {
            Some(topic) => Pattern::known(topic.clone()),
            None => Pattern {
                text: format!("arn:aws:sns:{}:{}:*", known.region, known.account),
                ..Pattern::unknown(
                    "the runbook's notify topic, rendered from parameters not given".to_string(),
                )
            },
        };
        add(&["sns:Publish"], resource);
    }
    needs
}

/// Each IAM action with every resource any step needs it on; then one statement per set of actions that need
/// the same resources, so that a statement holds every resource its actions are checked against (Glue checks
/// the catalog, the database and the table) and stands on its own. Statements in the order their first step
/// appears.
fn group(needs: Vec<Need>) -> Vec<Statement> {
    struct Uses {
        resources: BTreeSet<String>,
        steps: Vec<String>,
        widened: BTreeSet<String>,
        widened_by: BTreeSet<String>,
        first: usize,
    }
    let mut by_action: BTreeMap<String, Uses> = BTreeMap::new();
    for (index, need) in needs.into_iter().enumerate() {
        let uses = by_action.entry(need.action).or_insert_with(|| Uses {
            resources: BTreeSet::new(),
            steps: Vec::new(),
            widened: BTreeSet::new(),
            widened_by: BTreeSet::new(),
            first: index,
        });
        uses.resources.insert(need.resource.text);
        if !uses.steps.contains(&need.step) {
            uses.steps.push(need.step);
        }
        uses.widened.extend(need.resource.reasons);
        uses.widened_by.extend(need.resource.steps);
    }
    let mut statements: Vec<(usize, Statement)> = Vec::new();
    for (action, uses) in by_action {
        match statements
            .iter_mut()
            .find(|(_, statement)| statement.resources == uses.resources)
        {
            Some((first, statement)) => {
                *first = (*first).min(uses.first);
                statement.actions.insert(action);
                for step in uses.steps {
                    if !statement.steps.contains(&step) {
                        statement.steps.push(step);
                    }
                }
                statement.widened.extend(uses.widened);
                statement.widened_by.extend(uses.widened_by);
            }
            None => statements.push((
                uses.first,
                Statement {
                    sid: String::new(),
                    actions: BTreeSet::from([action]),
                    resources: uses.resources,
                    steps: uses.steps,
                    widened: uses.widened,
                    widened_by: uses.widened_by,
                },
            )),
        }
    }
    statements.sort_by_key(|(first, _)| *first);
    let mut sids = BTreeSet::new();
    statements
        .into_iter()
        .map(|(_, mut statement)| {
            statement.sid = unique_sid(&statement, &mut sids);
            statement
        })
        .collect()
}

/// `Sid`s are alphanumeric: the first step that needs the statement (and how many more do), and for a widened
/// statement the steps whose outputs widened it.
fn unique_sid(statement: &Statement, taken: &mut BTreeSet<String>) -> String {
    let mut sid = statement
        .steps
        .first()
        .map(|s| camel(s))
        .unwrap_or_default();
    if statement.steps.len() > 1 {
        sid.push_str(&format!("And{}More", statement.steps.len() - 1));
    }
    if !statement.widened.is_empty() {
        sid.push_str("Widened");
        if !statement.widened_by.is_empty() {
            sid.push_str("By");
            sid.extend(statement.widened_by.iter().map(|s| camel(s)));
        }
    }
    let base = sid.clone();
    let mut number = 2;
    while !taken.insert(sid.clone()) {
        sid = format!("{base}{number}");
        number += 1;
    }
    sid
}

fn camel(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

impl Policy {
    /// The IAM policy document.
    pub fn document(&self) -> Value {
        let statements: Vec<Value> = self
            .statements
            .iter()
            .map(|statement| {
                json!({
                    "Sid": statement.sid,
                    "Effect": "Allow",
                    "Action": statement.actions.iter().collect::<Vec<_>>(),
                    "Resource": if statement.resources.len() == 1 {
                        json!(statement.resources.first())
                    } else {
                        json!(statement.resources)
                    },
                })
            })
            .collect();
        json!({ "Version": VERSION, "Statement": statements })
    }

    /// One line per widened statement, for stderr beside the JSON document.
    pub fn notes(&self) -> Vec<String> {
        self.statements
            .iter()
            .filter(|s| !s.widened.is_empty())
            .map(|s| {
                format!(
                    "{}: {} widened to {} because of {}",
                    s.sid,
                    s.actions.iter().cloned().collect::<Vec<_>>().join(", "),
                    s.resources.iter().cloned().collect::<Vec<_>>().join(", "),
                    s.widened.iter().cloned().collect::<Vec<_>>().join("; ")
                )
            })
            .collect()
    }

    /// For a reader: each statement with the steps that need it and a note where it is wider than one resource.
    pub fn text(&self) -> String {
        let mut out = format!(
            "IAM policy for runbook {}{} in {} / account {}: {} statement{}\n",
            self.runbook,
            if self.plan_only { " (plan only)" } else { "" },
            self.region,
            self.account,
            self.statements.len(),
            if self.statements.len() == 1 { "" } else { "s" }
        );
        for statement in &self.statements {
            out.push_str(&format!(
                "\n{}\n  allow {}\n  on    {}\n  for   {}\n",
                statement.sid,
                statement
                    .actions
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                statement
                    .resources
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n        "),
                statement.steps.join(", ")
            ));
            if !statement.widened.is_empty() {
                out.push_str(&format!(
                    "  note: `*` stands for what the run decides: {}\n",
                    statement
                        .widened
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
        out.push_str("\n`runbook policy NAME --format json` prints the policy document.\n");
        out
    }
}
