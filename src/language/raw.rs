//! The raw model: a runbook exactly as written in YAML, every value with its position.
//!
//! Nothing here is checked beyond shape (mapping, list, string, ...): meaning is the validator's job. The doc
//! comments on these types become the descriptions of `schemas/runbook.schema.json`, which editors show on hover.

use schemars::JsonSchema;

use crate::foundation::diagnostic::Diagnostics;
use crate::foundation::node::Node;
use crate::language::from_node::{Entries, ExpressionText, Fields, FromNode, Spanned};

/// A runbook: an operational procedure as a graph of steps with typed parameters.
#[derive(Debug, Default, JsonSchema)]
#[schemars(title = "runbook", deny_unknown_fields)]
pub struct RawRunbook {
    /// The runbook's name: lowercase letters, digits and dashes; must equal the file name without `.yaml`.
    #[schemars(required, regex(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$"), example = &"pitr-restore")]
    pub name: Option<Spanned<String>>,
    /// What the runbook does, in one line.
    #[schemars(required, example = &"Restore a DynamoDB table to a point in time")]
    pub description: Option<Spanned<String>>,
    /// Markdown: what it does, when to use it, the procedure it implements and its risks.
    pub doc: Option<Spanned<String>>,
    /// The incident class it serves: P1 (critical) to P4 (low).
    pub severity: Option<Spanned<Severity>>,
    /// Free-form labels for `runbook list`.
    pub tags: Option<Vec<Spanned<String>>>,
    /// Template of the lock key: two runs with the same key never run at once. Default: the runbook's name.
    #[schemars(example = &"{{ params.table }}")]
    pub lock: Option<Spanned<String>>,
    /// The SNS topic told when a gate waits for an approval and when the run ends (`--notify` overrides it): a
    /// topic's ARN, or a template over parameters and vars that renders one.
    #[schemars(example = &"{{ params.topic }}")]
    pub notify: Option<Spanned<String>>,
    /// Parameters, each also a command-line flag (`restore_time` becomes `--restore-time`).
    pub params: Option<Entries<RawParam>>,
    /// Derived values computed once after the parameters, in order; every string is a template.
    #[schemars(with = "Option<std::collections::BTreeMap<String, serde_json::Value>>")]
    pub vars: Option<Entries<Node>>,
    /// The steps. A step starts once every step it `needs` has finished; independent steps run concurrently.
    #[schemars(required)]
    pub steps: Option<Vec<RawStep>>,
    /// Conditions evaluated after the steps; the run succeeds only if every one holds.
    pub success_criteria: Option<Vec<RawCriterion>>,
    /// Named expressions over params, vars and steps, evaluated after the steps: what a parent runbook that runs
    /// this one (a `runbook:` step) reads as `steps.<id>.<name>`.
    pub outputs: Option<Entries<Spanned<ExpressionText>>>,
    /// Steps run in order, best effort, when the run fails. `run.error` holds the first error.
    pub on_failure: Option<Vec<RawStep>>,
}

/// The incident classes of the operations runbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema, serde::Serialize)]
pub enum Severity {
    /// Critical: service down, data loss or security breach. Response within 15 minutes.
    P1,
    /// High: service degraded. Response within 1 hour.
    P2,
    /// Medium: a non-critical feature broken or slow. Response within 4 hours.
    P3,
    /// Low: minor issues. Response within 24 hours.
    P4,
}

impl Severity {
    pub const ALL: [&str; 4] = ["P1", "P2", "P3", "P4"];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
            Severity::P4 => "P4",
        }
    }
}

/// A parameter of the runbook, given on the command line as `--name VALUE`.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawParam {
    /// The value's type.
    #[serde(rename = "type")]
    #[schemars(required)]
    pub ty: Option<Spanned<ParamTypeName>>,
    /// Whether the flag must be given. Default `false`.
    pub required: Option<Spanned<bool>>,
    /// Shown in `runbook show` and `--help`.
    pub description: Option<Spanned<String>>,
    /// The value when the flag is not given; may be a template over earlier parameters.
    #[schemars(with = "Option<serde_json::Value>")]
    pub default: Option<Node>,
    /// Strings: a regular expression the whole value must match.
    pub pattern: Option<Spanned<String>>,
    /// The allowed values.
    #[serde(rename = "enum")]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub allowed: Option<Spanned<Vec<Node>>>,
    /// Strings and lists: the fewest characters or items.
    pub min_length: Option<Spanned<u64>>,
    /// Strings and lists: the most characters or items.
    pub max_length: Option<Spanned<u64>>,
    /// Numbers: the smallest allowed value.
    pub minimum: Option<Spanned<f64>>,
    /// Numbers: the largest allowed value.
    pub maximum: Option<Spanned<f64>>,
    /// Never shown, planned or journaled in clear.
    pub secret: Option<Spanned<bool>>,
}

/// The type names a parameter may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamTypeName {
    String,
    Integer,
    Number,
    Boolean,
    /// RFC 3339, or relative to the run's start such as `now-15m`.
    Datetime,
    /// `500ms`, `10s`, `5m`, `2h`, `1d`, or combined as `1h30m`.
    Duration,
    /// A JSON list on the command line.
    List,
    /// A JSON object on the command line.
    Map,
}

impl ParamTypeName {
    pub const ALL: [&str; 8] = [
        "string", "integer", "number", "boolean", "datetime", "duration", "list", "map",
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }

    fn from_str(text: &str) -> Option<ParamTypeName> {
        use ParamTypeName::*;
        [
            String, Integer, Number, Boolean, Datetime, Duration, List, Map,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }
}

/// A step: one AWS action (or built-in action), a human approval gate, or another runbook.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawStep {
    /// Unique in the runbook: a lowercase letter, then lowercase letters, digits and underscores.
    #[schemars(required, regex(pattern = r"^[a-z][a-z0-9_]*$"), example = &"restore")]
    pub id: Option<Spanned<String>>,
    /// A human title for plans and progress.
    pub title: Option<Spanned<String>>,
    /// `<service>.<Operation>`, exactly as in the AWS API reference, or a built-in such as `core.sleep`.
    #[schemars(example = &"dynamodb.DescribeTable")]
    pub action: Option<Spanned<String>>,
    /// Another runbook to run here, by name, found as `runbook run` finds it. Its steps join this run under
    /// `<id>.`, its parameters come from `with`, and its `outputs` are read as `steps.<id>.<name>`.
    #[schemars(example = &"rollback-lambda")]
    pub runbook: Option<Spanned<String>>,
    /// The request, with the AWS API's own member names (for a `runbook:` step, the child's parameters); every
    /// string is a template.
    #[serde(rename = "with")]
    #[schemars(with = "Option<std::collections::BTreeMap<String, serde_json::Value>>")]
    pub with: Option<Node>,
    /// Step ids this step waits for.
    pub needs: Option<Vec<Spanned<String>>>,
    /// An expression; when false the step is skipped.
    pub when: Option<Spanned<ExpressionText>>,
    /// Assertions on the result; a failed check fails the step.
    pub check: Option<Vec<RawCheck>>,
    /// Named expressions over `output`, read later as `steps.<id>.<name>`.
    pub outputs: Option<Entries<Spanned<ExpressionText>>>,
    /// A template over `output` (and everything upstream) saying what the step found or did, in words: shown
    /// with its result in the run summary and `audit timeline`, e.g.
    /// `counts: source {{ steps.source_count.output.Count }} / restored {{ output.Count }}`.
    pub outcome: Option<Spanned<String>>,
    /// Retries of transient errors (throttling, 5xx, timeouts).
    pub retry: Option<RawRetry>,
    /// Per attempt, a duration such as `5m`.
    pub timeout: Option<Spanned<String>>,
    /// `fail` (default) stops the run when the step fails; `continue` lets it go on.
    pub on_error: Option<Spanned<OnError>>,
    /// Repeat the action until a condition holds.
    pub wait: Option<RawWait>,
    /// On a write: how `runbook resume` tells whether the write already took effect when a crash left its
    /// outcome unknown (a read action and an expression over its output).
    pub verify: Option<RawVerify>,
    /// An expression giving a list: the action runs once per item, with `item` and `loop.index` in scope.
    pub for_each: Option<Spanned<ExpressionText>>,
    /// With `for_each`: how many items run at once. Default 1.
    pub concurrency: Option<Spanned<u64>>,
    /// A human gate instead of an action.
    pub approve: Option<RawApprove>,
}

/// What a failed step does to the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// The run fails (default).
    #[default]
    Fail,
    /// The run goes on; the step's status is `failed`.
    Continue,
}

/// An assertion on a step's result.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCheck {
    /// An expression over `output` (and everything upstream) that must be true.
    #[schemars(required)]
    pub that: Option<Spanned<ExpressionText>>,
    /// A template shown when the check fails.
    pub message: Option<Spanned<String>>,
}

/// Retries of transient errors.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawRetry {
    /// Attempts in all, the first included. Default 3.
    pub attempts: Option<Spanned<u64>>,
    /// The first delay, doubling with jitter. Default `1s`.
    pub delay: Option<Spanned<String>>,
    /// The longest delay. Default `30s`.
    pub max_delay: Option<Spanned<String>>,
}

/// Polling until a condition holds.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawWait {
    /// An expression over `output`; the wait ends when it is true.
    #[schemars(required)]
    pub until: Option<Spanned<ExpressionText>>,
    /// How long to wait in all before the step fails. Default `30m`.
    pub timeout: Option<Spanned<String>>,
    /// The first delay between polls, growing with jitter. Default `5s`.
    pub interval: Option<Spanned<String>>,
    /// The longest delay between polls. Default `1m`.
    pub max_interval: Option<Spanned<String>>,
}

/// How a resume tells whether a write already took effect: a read, and an expression over its result.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawVerify {
    /// A read action, such as `dynamodb.GetItem`.
    #[schemars(required)]
    #[schemars(example = &"dynamodb.GetItem")]
    pub action: Option<Spanned<String>>,
    /// The read's request; every string is a template, as in the step's own `with`.
    #[serde(rename = "with")]
    #[schemars(with = "Option<std::collections::BTreeMap<String, serde_json::Value>>")]
    pub with: Option<Node>,
    /// An expression over the read's `output`: true means the write took effect and is not sent again.
    #[schemars(required)]
    pub that: Option<Spanned<ExpressionText>>,
}

/// A human approval gate.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawApprove {
    /// A template: the question put to the operator.
    #[schemars(required)]
    pub prompt: Option<Spanned<String>>,
    /// How long to wait for an answer. Default `1h`.
    pub timeout: Option<Spanned<String>>,
    /// Where the `approve` key is written, for errors about the step being an approval at all.
    #[schemars(skip)]
    pub key_span: crate::foundation::source::Span,
}

/// A condition the run must meet to succeed.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCriterion {
    /// Printed with the outcome.
    #[schemars(required)]
    pub name: Option<Spanned<String>>,
    /// An expression over params, vars and steps.
    #[schemars(required)]
    pub that: Option<Spanned<ExpressionText>>,
}

pub const RUNBOOK_KEYS: &[&str] = &[
    "name",
    "description",
    "doc",
    "severity",
    "tags",
    "lock",
    "notify",
    "params",
    "vars",
    "steps",
    "success_criteria",
    "outputs",
    "on_failure",
];
pub const PARAM_KEYS: &[&str] = &[
    "type",
    "required",
    "description",
    "default",
    "pattern",
    "enum",
    "min_length",
    "max_length",
    "minimum",
    "maximum",
    "secret",
];
pub const STEP_KEYS: &[&str] = &[
    "id",
    "title",
    "action",
    "runbook",
    "with",
    "needs",
    "when",
    "check",
    "outputs",
    "outcome",
    "retry",
    "timeout",
    "on_error",
    "wait",
    "verify",
    "for_each",
    "concurrency",
    "approve",
];
const CHECK_KEYS: &[&str] = &["that", "message"];
const RETRY_KEYS: &[&str] = &["attempts", "delay", "max_delay"];
const WAIT_KEYS: &[&str] = &["until", "timeout", "interval", "max_interval"];
const APPROVE_KEYS: &[&str] = &["prompt", "timeout"];
const VERIFY_KEYS: &[&str] = &["action", "with", "that"];
const CRITERION_KEYS: &[&str] = &["name", "that"];

/// Keys people bring from other tools, and what we call them.
const RUNBOOK_HINTS: &[(&str, &str)] = &[
    ("parameters", "parameters are declared under `params`"),
    ("inputs", "parameters are declared under `params`"),
    ("variables", "derived values are declared under `vars`"),
    ("tasks", "steps are declared under `steps`"),
    (
        "version",
        "runbooks carry no version key; the file's history is its version",
    ),
];
const STEP_HINTS: &[(&str, &str)] = &[
    ("depends_on", "use `needs: [step_id, ...]`"),
    ("depends", "use `needs: [step_id, ...]`"),
    ("after", "use `needs: [step_id, ...]`"),
    ("if", "use `when: <expression>`"),
    ("condition", "use `when: <expression>`"),
    (
        "name",
        "a step is named by `id`; use `title` for a human title",
    ),
    ("params", "the request goes under `with`"),
    ("input", "the request goes under `with`"),
    ("inputs", "the request goes under `with`"),
    ("args", "the request goes under `with`"),
    (
        "run",
        "name the action under `action`, e.g. `action: dynamodb.DescribeTable`",
    ),
    (
        "command",
        "name the action under `action`, e.g. `action: dynamodb.DescribeTable`",
    ),
    (
        "assert",
        "assertions go under `check: [{that: <expression>}]`",
    ),
    (
        "checks",
        "assertions go under `check: [{that: <expression>}]`",
    ),
    ("retries", "use `retry: {attempts: 3}`"),
    ("loop", "use `for_each: <expression>`"),
    ("with_items", "use `for_each: <expression>`"),
    ("until", "polling goes under `wait: {until: <expression>}`"),
    ("approval", "use `approve: {prompt: ...}`"),
];

impl FromNode for Severity {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<Severity> {
        let text = String::from_node(node, what, cx)?;
        let found = match text.as_str() {
            "P1" => Severity::P1,
            "P2" => Severity::P2,
            "P3" => Severity::P3,
            "P4" => Severity::P4,
            _ => {
                cx.error(
                    crate::foundation::diagnostic::ErrorKind::InvalidValue { what: "severity".into(), value: text.clone() },
                    node.span,
                )
                .set_hint("severity is one of P1, P2, P3, P4 (the incident classes of the operations runbook)");
                return None;
            }
        };
        Some(found)
    }
}

impl FromNode for ParamTypeName {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<ParamTypeName> {
        let text = String::from_node(node, what, cx)?;
        ParamTypeName::from_str(&text).or_else(|| {
            let aliases = [
                ("str", "string"),
                ("int", "integer"),
                ("float", "number"),
                ("bool", "boolean"),
            ];
            let hint = aliases
                .iter()
                .find(|(alias, _)| *alias == text)
                .map(|(_, name)| format!("did you mean `{name}`?"))
                .or_else(|| crate::foundation::suggest::did_you_mean(&text, ParamTypeName::ALL))
                .unwrap_or_else(|| format!("the types are: {}", ParamTypeName::ALL.join(", ")));
            cx.error(
                crate::foundation::diagnostic::ErrorKind::InvalidValue {
                    what: "parameter type".into(),
                    value: text,
                },
                node.span,
            )
            .set_hint(hint);
            None
        })
    }
}

impl FromNode for OnError {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<OnError> {
        match String::from_node(node, what, cx)?.as_str() {
            "fail" => Some(OnError::Fail),
            "continue" => Some(OnError::Continue),
            other => {
                cx.error(
                    crate::foundation::diagnostic::ErrorKind::InvalidValue {
                        what: "`on_error`".into(),
                        value: other.into(),
                    },
                    node.span,
                )
                .set_hint("`on_error` is `fail` (the default) or `continue`");
                None
            }
        }
    }
}

impl FromNode for RawRunbook {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawRunbook> {
        let f = Fields::new(node, "the runbook", RUNBOOK_KEYS, RUNBOOK_HINTS, cx)?;
        Some(RawRunbook {
            name: f.require("name", "my-runbook", cx),
            description: f.require("description", "what this runbook does, in one line", cx),
            doc: f.get("doc", cx),
            severity: f.get("severity", cx),
            tags: f.get("tags", cx),
            lock: f.get("lock", cx),
            notify: f.get("notify", cx),
            params: f.get("params", cx),
            vars: f.get("vars", cx),
            steps: f.require("steps", "[{id: first, action: core.noop}]", cx),
            success_criteria: f.get("success_criteria", cx),
            outputs: f.get("outputs", cx),
            on_failure: f.get("on_failure", cx),
        })
    }
}

impl FromNode for RawParam {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<RawParam> {
        let f = Fields::new(
            node,
            format!("parameter {what}"),
            PARAM_KEYS,
            &[("default_value", "use `default`")],
            cx,
        )?;
        Some(RawParam {
            ty: f.require("type", "string", cx),
            required: f.get("required", cx),
            description: f.get("description", cx),
            default: f.node("default").cloned(),
            pattern: f.get("pattern", cx),
            allowed: f.get("enum", cx),
            min_length: f.get("min_length", cx),
            max_length: f.get("max_length", cx),
            minimum: f.get("minimum", cx),
            maximum: f.get("maximum", cx),
            secret: f.get("secret", cx),
        })
    }
}

impl FromNode for RawStep {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawStep> {
        let context = match node.get("id").and_then(Node::as_str) {
            Some(id) => format!("step `{id}`"),
            None => "a step".to_string(),
        };
        let f = Fields::new(node, context, STEP_KEYS, STEP_HINTS, cx)?;
        Some(RawStep {
            id: f.require("id", "my_step", cx),
            title: f.get("title", cx),
            action: f.get("action", cx),
            runbook: f.get("runbook", cx),
            with: f.node("with").cloned(),
            needs: f.get("needs", cx),
            when: f.get("when", cx),
            check: f.get("check", cx),
            outputs: f.get("outputs", cx),
            outcome: f.get("outcome", cx),
            retry: f.get("retry", cx),
            timeout: f.get("timeout", cx),
            on_error: f.get("on_error", cx),
            wait: f.get("wait", cx),
            verify: f.get("verify", cx),
            for_each: f.get("for_each", cx),
            concurrency: f.get("concurrency", cx),
            approve: f.get("approve", cx).map(|approve: RawApprove| RawApprove {
                key_span: f.key("approve").map_or(approve.key_span, |key| {
                    crate::foundation::source::Span {
                        len: key.name.len(),
                        ..key.span
                    }
                }),
                ..approve
            }),
        })
    }
}

impl FromNode for RawCheck {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawCheck> {
        let f = Fields::new(
            node,
            "a check",
            CHECK_KEYS,
            &[("assert", "use `that`"), ("msg", "use `message`")],
            cx,
        )?;
        Some(RawCheck {
            that: f.require("that", "output.Table.TableStatus == 'ACTIVE'", cx),
            message: f.get("message", cx),
        })
    }
}

impl FromNode for RawRetry {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawRetry> {
        let f = Fields::new(
            node,
            "`retry`",
            RETRY_KEYS,
            &[("max_attempts", "use `attempts`")],
            cx,
        )?;
        Some(RawRetry {
            attempts: f.get("attempts", cx),
            delay: f.get("delay", cx),
            max_delay: f.get("max_delay", cx),
        })
    }
}

impl FromNode for RawWait {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawWait> {
        let f = Fields::new(
            node,
            "`wait`",
            WAIT_KEYS,
            &[("delay", "use `interval`"), ("condition", "use `until`")],
            cx,
        )?;
        Some(RawWait {
            until: f.require("until", "output.Table.TableStatus == 'ACTIVE'", cx),
            timeout: f.get("timeout", cx),
            interval: f.get("interval", cx),
            max_interval: f.get("max_interval", cx),
        })
    }
}

impl FromNode for RawVerify {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawVerify> {
        let f = Fields::new(
            node,
            "`verify`",
            VERIFY_KEYS,
            &[("until", "use `that`"), ("check", "use `that`")],
            cx,
        )?;
        Some(RawVerify {
            action: f.require("action", "dynamodb.GetItem", cx),
            with: f.node("with").cloned(),
            that: f.require("that", "output.Item is defined", cx),
        })
    }
}

impl FromNode for RawApprove {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawApprove> {
        let f = Fields::new(
            node,
            "`approve`",
            APPROVE_KEYS,
            &[("message", "use `prompt`")],
            cx,
        )?;
        Some(RawApprove {
            prompt: f.require("prompt", "\"Proceed?\"", cx),
            timeout: f.get("timeout", cx),
            key_span: node.span,
        })
    }
}

impl FromNode for RawCriterion {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawCriterion> {
        let f = Fields::new(
            node,
            "a success criterion",
            CRITERION_KEYS,
            &[("check", "use `that`")],
            cx,
        )?;
        Some(RawCriterion {
            name: f.require("name", "restored table is active", cx),
            that: f.require("that", "true", cx),
        })
    }
}

/// The JSON Schema of the runbook format, generated from the raw model.
pub fn json_schema() -> serde_json::Value {
    schema_of::<RawRunbook>()
}

/// The draft-07 schema of a raw model (runbooks, test files).
pub fn schema_of<T: JsonSchema>() -> serde_json::Value {
    // An absent key is how YAML says "not set"; `null` is no value a runbook should write, so `Option` fields do
    // not add it to the schema's types.
    let drop_null = schemars::transform::RecursiveTransform(|schema: &mut schemars::Schema| {
        if let Some(serde_json::Value::Array(types)) = schema.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                schema.insert("type".into(), only);
            }
        }
        let null = serde_json::json!({"type": "null"});
        if let Some(serde_json::Value::Array(options)) = schema.get_mut("anyOf")
            && options.contains(&null)
        {
            options.retain(|option| *option != null);
            if let [serde_json::Value::Object(only)] = options.as_slice() {
                let only = only.clone();
                schema.remove("anyOf");
                for (key, value) in only {
                    schema.insert(key, value);
                }
            }
        }
    });
    let settings = schemars::generate::SchemaSettings::draft07().with_transform(drop_null);
    let schema = settings.into_generator().into_root_schema_for::<T>();
    serde_json::to_value(schema).expect("schemas serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(schema: &serde_json::Value, pointer: &str) -> Vec<String> {
        let mut keys: Vec<String> = schema
            .pointer(pointer)
            .and_then(|v| v.as_object())
            .unwrap_or_else(|| panic!("no {pointer}"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        keys.sort();
        keys
    }

    /// The key lists the loader checks against are the schema's, so editors and the validator agree.
    #[test]
    fn known_keys_match_the_schema() {
        let schema = json_schema();
        let tables: [(&str, &[&str]); 9] = [
            ("/properties", RUNBOOK_KEYS),
            ("/definitions/RawStep/properties", STEP_KEYS),
            ("/definitions/RawParam/properties", PARAM_KEYS),
            ("/definitions/RawWait/properties", WAIT_KEYS),
            ("/definitions/RawRetry/properties", RETRY_KEYS),
            ("/definitions/RawApprove/properties", APPROVE_KEYS),
            ("/definitions/RawVerify/properties", VERIFY_KEYS),
            ("/definitions/RawCheck/properties", CHECK_KEYS),
            ("/definitions/RawCriterion/properties", CRITERION_KEYS),
        ];
        for (pointer, keys) in tables {
            assert_eq!(keys_of(&schema, pointer), sorted(keys), "{pointer}");
        }
    }
}
