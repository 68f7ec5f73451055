//! The raw model of a test file (`NAME.test.yaml` beside `NAME.yaml`): the file exactly as written, every value
//! with its position. Meaning (which steps, operations and gates exist) is the validator's job. The doc comments
//! become the descriptions of `schemas/runbook-test.schema.json`.

use schemars::JsonSchema;

use crate::foundation::diagnostic::Diagnostics;
use crate::foundation::node::Node;
use crate::language::from_node::{Entries, Fields, FromNode, Spanned};

/// Unit tests of one runbook: each case runs the runbook offline against scripted AWS answers.
#[derive(Debug, Default, JsonSchema)]
#[schemars(title = "runbook test", deny_unknown_fields)]
pub struct RawTestFile {
    /// The cases, each run on its own.
    #[schemars(required)]
    pub cases: Option<Vec<RawCase>>,
}

/// One run of the runbook: its parameters, what AWS answers, the gates' decisions and what must come out.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawCase {
    /// The case's name, shown as `RUNBOOK::NAME`: lowercase letters, digits and underscores.
    #[schemars(required, example = &"healthy_path")]
    pub name: Option<Spanned<String>>,
    /// Parameter values by parameter name, as `runbook run` would take them; the rest keep their defaults.
    #[schemars(with = "Option<std::collections::BTreeMap<String, serde_json::Value>>")]
    pub params: Option<Entries<Node>>,
    /// What AWS answers, by step id, then by operation (`lambda.GetAlias`): the answers in call order. A call
    /// the case does not answer fails the case.
    pub aws: Option<Entries<Entries<Vec<RawAnswer>>>>,
    /// What plain HTTP requests get, by the id of an `http.request` or `http.send` step: the answers in request
    /// order. A request the case does not answer fails the case.
    pub http: Option<Entries<Vec<RawHttpAnswer>>>,
    /// Each approval gate's decision by step id: `approve` or `refuse`. A gate reached without one stops the run
    /// there (`awaiting_approval`).
    pub approvals: Option<Entries<Spanned<Decision>>>,
    /// What the run must do.
    #[schemars(required)]
    pub expect: Option<RawExpect>,
}

/// A gate's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Refuse,
}

/// One answer to one call: `output` (a success, in the API's own member names, as the action returns it) or
/// `error`.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawAnswer {
    /// The response's members, e.g. `{FunctionVersion: "3", RevisionId: r-3}`.
    #[schemars(with = "Option<serde_json::Value>")]
    pub output: Option<Node>,
    /// An error answer.
    pub error: Option<RawError>,
    /// The same answer to this many calls in a row (polls, retries). Default 1.
    pub times: Option<Spanned<u64>>,
    #[schemars(skip)]
    pub span: crate::foundation::source::Span,
}

/// One answer to one HTTP request: a response (`status`, `headers`, `body`) or `error`, a connection that failed.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawHttpAnswer {
    /// The response's status, 100 to 599.
    #[schemars(example = &200)]
    pub status: Option<Spanned<u64>>,
    /// The response's headers by name.
    #[schemars(with = "Option<std::collections::BTreeMap<String, String>>")]
    pub headers: Option<Entries<Node>>,
    /// The response's body: a string is sent as it is, anything else as JSON. Default: empty.
    #[schemars(with = "Option<serde_json::Value>")]
    pub body: Option<Node>,
    /// No response: `refused` (nothing was sent), `timeout` or `reset` (the connection broke).
    #[schemars(example = &"timeout")]
    pub error: Option<Spanned<String>>,
    /// The same answer to this many requests in a row (retries). Default 1.
    pub times: Option<Spanned<u64>>,
    #[schemars(skip)]
    pub span: crate::foundation::source::Span,
}

/// An AWS error answer.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawError {
    /// The API's error code: `ThrottlingException`, `ConditionalCheckFailedException`, ...
    #[schemars(required, example = &"ThrottlingException")]
    pub code: Option<Spanned<String>>,
    /// The error's message. Default: empty.
    pub message: Option<Spanned<String>>,
    /// The HTTP status. Default 400.
    pub status: Option<Spanned<u64>>,
}

/// The expectations of a case; each one given is checked, the rest are not.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawExpect {
    /// How the run ends: succeeded, failed, refused or awaiting_approval.
    pub status: Option<Spanned<String>>,
    /// Text the run's error must contain (a failed run's first error).
    pub error: Option<Spanned<String>>,
    /// Step statuses by step id: succeeded, failed, skipped, not_run, refused or awaiting_approval.
    pub steps: Option<Entries<Spanned<String>>>,
    /// Every write request sent, in order, retries included: exactly these and no other.
    pub writes: Option<Vec<RawWrite>>,
    /// Steps whose writes must not be sent.
    pub not_sent: Option<Vec<Spanned<String>>>,
    /// Named outputs by step id, then output name.
    #[schemars(
        with = "Option<std::collections::BTreeMap<String, std::collections::BTreeMap<String, serde_json::Value>>>"
    )]
    pub outputs: Option<Entries<Entries<Node>>>,
    /// Each success criterion's result by its name: `true` (held) or `false`.
    pub success_criteria: Option<Entries<Spanned<bool>>>,
}

/// One write request that must have been sent.
#[derive(Debug, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RawWrite {
    /// The step that sends it.
    #[schemars(required)]
    pub step: Option<Spanned<String>>,
    /// The operation, `service.Operation`. Default: the step's action.
    pub operation: Option<Spanned<String>>,
    /// The request's members exactly, as the step rendered them.
    #[schemars(required, with = "serde_json::Value")]
    pub request: Option<Node>,
}

pub(super) const FILE_KEYS: &[&str] = &["cases"];
pub(super) const CASE_KEYS: &[&str] = &["name", "params", "aws", "http", "approvals", "expect"];
const ANSWER_KEYS: &[&str] = &["output", "error", "times"];
const HTTP_ANSWER_KEYS: &[&str] = &["status", "headers", "body", "error", "times"];
const ERROR_KEYS: &[&str] = &["code", "message", "status"];
pub(super) const EXPECT_KEYS: &[&str] = &[
    "status",
    "error",
    "steps",
    "writes",
    "not_sent",
    "outputs",
    "success_criteria",
];
const WRITE_KEYS: &[&str] = &["step", "operation", "request"];

impl FromNode for RawTestFile {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawTestFile> {
        let f = Fields::new(
            node,
            "the test file",
            FILE_KEYS,
            &[("tests", "use `cases`")],
            cx,
        )?;
        Some(RawTestFile {
            cases: f.require(
                "cases",
                "[{name: healthy_path, expect: {status: succeeded}}]",
                cx,
            ),
        })
    }
}

impl FromNode for RawCase {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawCase> {
        let f = Fields::new(
            node,
            "a test case",
            CASE_KEYS,
            &[
                ("responses", "use `aws`: answers by step id, then operation"),
                ("expected", "use `expect`"),
                ("approve", "use `approvals`: {GATE: approve}"),
            ],
            cx,
        )?;
        Some(RawCase {
            name: f.require("name", "healthy_path", cx),
            params: f.get("params", cx),
            aws: f.get("aws", cx),
            http: f.get("http", cx),
            approvals: f.get("approvals", cx),
            expect: f.require("expect", "{status: succeeded}", cx),
        })
    }
}

impl FromNode for Decision {
    fn from_node(node: &Node, what: &str, cx: &mut Diagnostics) -> Option<Decision> {
        match node.as_str() {
            Some("approve") => Some(Decision::Approve),
            Some("refuse") => Some(Decision::Refuse),
            _ => {
                let found = node
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| node.to_json().to_string());
                cx.error(
                    crate::foundation::diagnostic::ErrorKind::InvalidValue {
                        what: format!("decision for {what}"),
                        value: found,
                    },
                    node.span,
                )
                .set_hint("write `approve` or `refuse`");
                None
            }
        }
    }
}

impl FromNode for RawAnswer {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawAnswer> {
        let f = Fields::new(
            node,
            "an answer",
            ANSWER_KEYS,
            &[("response", "use `output`"), ("body", "use `output`")],
            cx,
        )?;
        Some(RawAnswer {
            output: f.node("output").cloned(),
            error: f.get("error", cx),
            times: f.get("times", cx),
            span: node.span,
        })
    }
}

impl FromNode for RawHttpAnswer {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawHttpAnswer> {
        let f = Fields::new(
            node,
            "an HTTP answer",
            HTTP_ANSWER_KEYS,
            &[("output", "use `status`, `headers` and `body`")],
            cx,
        )?;
        Some(RawHttpAnswer {
            status: f.get("status", cx),
            headers: f.get("headers", cx),
            body: f.node("body").cloned(),
            error: f.get("error", cx),
            times: f.get("times", cx),
            span: node.span,
        })
    }
}

impl FromNode for RawError {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawError> {
        let f = Fields::new(node, "an error answer", ERROR_KEYS, &[], cx)?;
        Some(RawError {
            code: f.require("code", "ThrottlingException", cx),
            message: f.get("message", cx),
            status: f.get("status", cx),
        })
    }
}

impl FromNode for RawExpect {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawExpect> {
        let f = Fields::new(
            node,
            "`expect`",
            EXPECT_KEYS,
            &[
                ("outcome", "use `status`"),
                ("not_written", "use `not_sent`"),
            ],
            cx,
        )?;
        Some(RawExpect {
            status: f.get("status", cx),
            error: f.get("error", cx),
            steps: f.get("steps", cx),
            writes: f.get("writes", cx),
            not_sent: f.get("not_sent", cx),
            outputs: f.get("outputs", cx),
            success_criteria: f.get("success_criteria", cx),
        })
    }
}

impl FromNode for RawWrite {
    fn from_node(node: &Node, _what: &str, cx: &mut Diagnostics) -> Option<RawWrite> {
        let f = Fields::new(
            node,
            "a write",
            WRITE_KEYS,
            &[("members", "use `request`")],
            cx,
        )?;
        if !f.has("request") {
            f.require::<Node>("request", "{TableName: orders}", cx);
        }
        Some(RawWrite {
            step: f.require("step", "move_alias", cx),
            operation: f.get("operation", cx),
            request: f.node("request").cloned(),
        })
    }
}

/// The JSON Schema of test files, for editors.
pub fn json_schema() -> serde_json::Value {
    crate::language::raw::schema_of::<RawTestFile>()
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

    /// The key lists the loader checks against are the schema's, so editors and the validator agree.
    #[test]
    fn known_keys_match_the_schema() {
        let schema = json_schema();
        let tables: [(&str, &[&str]); 7] = [
            ("/properties", FILE_KEYS),
            ("/definitions/RawCase/properties", CASE_KEYS),
            ("/definitions/RawAnswer/properties", ANSWER_KEYS),
            ("/definitions/RawError/properties", ERROR_KEYS),
            ("/definitions/RawHttpAnswer/properties", HTTP_ANSWER_KEYS),
            (
                "/definitions/RawCase/properties/expect/properties",
                EXPECT_KEYS,
            ),
            ("/definitions/RawWrite/properties", WRITE_KEYS),
        ];
        for (pointer, keys) in tables {
            let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            expected.sort();
            assert_eq!(keys_of(&schema, pointer), expected, "{pointer}");
        }
    }
}
