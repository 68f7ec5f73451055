//! The validator: raw model in, [`Runbook`] out, or every error found.
//!
//! Validation is pure: no network, no credentials, no clock. It checks names, types, the step graph, the actions
//! and their members, and every template and expression, proving that each name it reads resolves where it is read.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::foundation::diagnostic::{Diagnostic, Diagnostics, ErrorKind};
use crate::foundation::node::{self, Value};
use crate::foundation::source::{SourceFile, Span};
use crate::language::action_shape::ActionTable;
use crate::language::catalog::Catalog;
use crate::language::from_node::{FromNode, Spanned};
use crate::language::raw::RawRunbook;
use crate::language::runbook::{Criterion, Param, Runbook, Step, Text, Var};

mod graph;
mod limits;
mod nested;
mod params;
mod references;
mod steps;
mod templates;

pub use limits::MAX_DURATION;
pub use nested::MAX_NESTING;

use limits::SuggestionKind;

/// Most steps a runbook may have; far beyond any procedure a person reviews, small enough to bound memory.
pub const MAX_STEPS: usize = 100_000;

static RUNBOOK_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").unwrap());
static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9_]*$").unwrap());
static OUTPUT_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*$").unwrap());

/// Reads, parses and validates one runbook file. Each parameter becomes a flag of `runbook run`, so none may take
/// one of `reserved`, the names of the command's own flags (the commands know them; `region` is not among them: a
/// runbook may declare it, and then it also selects the AWS region). Steps may name the actions of `actions` (the
/// registry hands its table down). The runbooks its `runbook:` steps run are found in the built-in ones and
/// `./runbooks`; [`load_in`] names the search path.
pub fn load(
    file: &Arc<SourceFile>,
    reserved: &[String],
    actions: &dyn ActionTable,
) -> Result<Runbook, Vec<Diagnostic>> {
    load_in(file, reserved, actions, &Catalog::new(None, None))
}

/// [`load`], finding the runbooks that `runbook:` steps run in `catalog`.
pub fn load_in(
    file: &Arc<SourceFile>,
    reserved: &[String],
    actions: &dyn ActionTable,
    catalog: &Catalog,
) -> Result<Runbook, Vec<Diagnostic>> {
    load_nested(file, reserved, actions, catalog, &[])
}

/// [`load_in`] for a runbook run by the runbooks of `chain`, outermost first, which it must not run again.
fn load_nested(
    file: &Arc<SourceFile>,
    reserved: &[String],
    actions: &dyn ActionTable,
    catalog: &Catalog,
    chain: &[String],
) -> Result<Runbook, Vec<Diagnostic>> {
    crate::language::yaml_screen::screen(file)?;
    let root = node::parse(file).map_err(|diagnostic| vec![diagnostic])?;
    let mut cx = Diagnostics::new(file);
    if let Some(count) = root.get("steps").and_then(|steps| match &steps.value {
        Value::Seq(items) if items.len() > MAX_STEPS => Some(items.len()),
        _ => None,
    }) {
        let span = root
            .as_map()
            .and_then(|m| m.iter().find(|(k, _)| k.name == "steps"))
            .map(|(k, _)| k.span);
        cx.error(
            ErrorKind::TooManySteps {
                count,
                limit: MAX_STEPS,
            },
            span.unwrap_or(root.span),
        )
        .set_hint("split the procedure into several runbooks");
        return Err(cx.into_sorted());
    }
    let raw = RawRunbook::from_node(&root, "the runbook", &mut cx);
    let runbook = raw.and_then(|raw| {
        Validator::new(file, reserved, actions, &mut cx)
            .nested_in(catalog, chain)
            .validate(raw)
    });
    match runbook {
        Some(runbook) if cx.is_empty() => Ok(runbook),
        _ => Err(cx.into_sorted()),
    }
}

/// Which names a template may read where it stands.
#[derive(Clone, Copy)]
struct Scope {
    /// The first `params` parameters are visible (defaults see only earlier ones).
    params: usize,
    /// The first `vars` variables are visible.
    vars: usize,
    steps: StepsVisible,
    output: bool,
    item: bool,
    run_error: bool,
    /// In a parameter default: only earlier parameters exist yet (no vars, no run).
    in_default: bool,
}

impl Scope {
    /// The runbook-level templates rendered before any step runs (`lock`, `notify`): every parameter and var.
    fn before_steps() -> Scope {
        Scope {
            params: usize::MAX,
            vars: usize::MAX,
            steps: StepsVisible::None,
            output: false,
            item: false,
            run_error: false,
            in_default: false,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum StepsVisible {
    None,
    /// Those upstream of this step index through `needs`.
    UpstreamOf(usize),
    All,
}

struct Validator<'a> {
    file: Arc<SourceFile>,
    reserved: &'a [String],
    actions: &'a dyn ActionTable,
    cx: &'a mut Diagnostics,
    param_names: Vec<String>,
    var_names: Vec<String>,
    step_ids: HashMap<String, usize>,
    /// Output names per main step, for `steps.<id>.<name>`.
    step_outputs: Vec<Vec<String>>,
    needs: Vec<Vec<usize>>,
    /// "Did you mean" searches done so far, per [`SuggestionKind`].
    suggestions: [usize; limits::SUGGESTION_KINDS],
    /// Where the runbooks of `runbook:` steps are found, and the runbooks that run this one.
    catalog: Option<&'a Catalog>,
    chain: &'a [String],
    /// The runbook each `runbook:` step runs, by the step's index in `steps`, once validated.
    children: HashMap<usize, Runbook>,
    /// The `with:` of each `runbook:` step, by the same index.
    child_with: HashMap<usize, serde_json::Map<String, serde_json::Value>>,
}

impl<'a> Validator<'a> {
    fn new(
        file: &Arc<SourceFile>,
        reserved: &'a [String],
        actions: &'a dyn ActionTable,
        cx: &'a mut Diagnostics,
    ) -> Validator<'a> {
        Validator {
            file: Arc::clone(file),
            reserved,
            actions,
            cx,
            param_names: Vec::new(),
            var_names: Vec::new(),
            step_ids: HashMap::new(),
            step_outputs: Vec::new(),
            needs: Vec::new(),
            suggestions: [0; limits::SUGGESTION_KINDS],
            catalog: None,
            chain: &[],
            children: HashMap::new(),
            child_with: HashMap::new(),
        }
    }

    fn nested_in(mut self, catalog: &'a Catalog, chain: &'a [String]) -> Validator<'a> {
        self.catalog = Some(catalog);
        self.chain = chain;
        self
    }

    fn error(&mut self, kind: ErrorKind, span: Span) -> &mut Diagnostic {
        self.cx.error(kind, span)
    }

    fn validate(mut self, raw: RawRunbook) -> Option<Runbook> {
        let name = self.runbook_name(raw.name.as_ref());
        let description = raw
            .description
            .as_ref()
            .map(|d| self.description(d))
            .unwrap_or_default();

        // Every name is known before any template is checked, so a misplaced reference is reported as out of
        // scope rather than as unknown.
        let vars_entries = raw.vars.unwrap_or_default();
        self.var_names = vars_entries
            .0
            .iter()
            .map(|(key, _)| key.name.clone())
            .collect();
        let raw_steps = raw.steps.unwrap_or_default();
        let raw_on_failure = raw.on_failure.unwrap_or_default();
        self.load_children(&name, &raw_steps);
        self.index_steps(&raw_steps, &raw_on_failure);

        let params = raw.params.unwrap_or_default();
        self.param_names = params.0.iter().map(|(key, _)| key.name.clone()).collect();
        let params: Vec<Param> = params
            .0
            .iter()
            .enumerate()
            .filter_map(|(index, (key, param))| self.param(index, key, param))
            .collect();
        self.check_flag_clashes(&params);
        self.secret_in_defaults(&params);

        let mut vars = Vec::new();
        for (index, (key, value)) in vars_entries.0.iter().enumerate() {
            if !IDENTIFIER.is_match(&key.name) {
                self.error(ErrorKind::InvalidValue { what: "variable name".into(), value: key.name.clone() }, key.span)
                    .set_hint("variable names are lowercase letters, digits and underscores, starting with a letter");
            }
            let scope = Scope {
                params: usize::MAX,
                vars: index,
                steps: StepsVisible::None,
                output: false,
                item: false,
                run_error: false,
                in_default: false,
            };
            self.templates_in(value, scope, None);
            vars.push(Var {
                name: key.name.clone(),
                value: value.to_json(),
                span: key.span,
            });
        }

        let lock = raw.lock.as_ref().map(|lock| {
            self.template(&lock.value, lock.span, Scope::before_steps(), None);
            self.secret_in_lock(&lock.value, lock.span, &params, &vars);
            Text {
                source: lock.value.clone(),
                span: lock.span,
            }
        });

        let notify = raw.notify.as_ref().map(|notify| {
            let templated = notify.value.contains("{{") || notify.value.contains("{%");
            if templated {
                self.template(&notify.value, notify.span, Scope::before_steps(), None);
            } else if !crate::language::topic_arn::is_topic_arn(notify.value.trim()) {
                self.error(
                    ErrorKind::InvalidValue {
                        what: "`notify` topic".into(),
                        value: notify.value.clone(),
                    },
                    notify.span,
                )
                .set_hint(crate::language::topic_arn::ARN_HINT);
            }
            Text {
                source: notify.value.clone(),
                span: notify.span,
            }
        });

        if raw_steps.is_empty() {
            let span = self.file.span_at(0);
            self.error(ErrorKind::NoSteps, span)
                .set_hint("add at least one step under `steps:`");
        }
        self.resolve_needs(&raw_steps);
        self.report_cycles(&raw_steps);

        let steps: Vec<Step> = raw_steps
            .iter()
            .enumerate()
            .filter_map(|(index, step)| self.step(step, Some(index)))
            .collect();
        let on_failure: Vec<Step> = raw_on_failure
            .iter()
            .filter_map(|step| self.step(step, None))
            .collect();

        let mut success_criteria = Vec::new();
        for criterion in raw.success_criteria.unwrap_or_default() {
            let that = criterion.that.as_ref().map(|that| {
                let scope = Scope {
                    params: usize::MAX,
                    vars: usize::MAX,
                    steps: StepsVisible::All,
                    output: false,
                    item: false,
                    run_error: false,
                    in_default: false,
                };
                self.expression(that, scope, None)
            });
            if let (Some(name), Some(that)) = (criterion.name, that) {
                success_criteria.push(Criterion {
                    name: name.value,
                    that,
                });
            }
        }

        let outputs = self.runbook_outputs(raw.outputs.as_ref());
        let (steps, frames) = self.expand_children(steps);

        Some(Runbook {
            name,
            description,
            doc: raw.doc.map(|d| d.value),
            severity: raw.severity.map(|s| s.value),
            tags: raw
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| t.value)
                .collect(),
            lock,
            notify,
            params,
            vars,
            steps,
            frames,
            success_criteria,
            outputs,
            on_failure,
            source: Arc::clone(&self.file),
        })
    }

    fn runbook_name(&mut self, name: Option<&Spanned<String>>) -> String {
        let Some(name) = name else {
            return String::new();
        };
        if !RUNBOOK_NAME.is_match(&name.value) {
            let suggestion = name.value.to_lowercase().replace(['_', ' ', '.'], "-");
            self.error(
                ErrorKind::InvalidValue {
                    what: "runbook name".into(),
                    value: name.value.clone(),
                },
                name.span,
            )
            .set_hint(format!(
                "names are lowercase letters, digits and dashes, such as `{suggestion}`"
            ));
        } else if let Some(stem) = self
            .file
            .stem()
            .filter(|stem| *stem != name.value)
            .map(str::to_string)
        {
            self.error(
                ErrorKind::NameMismatch {
                    name: name.value.clone(),
                    stem: stem.clone(),
                },
                name.span,
            )
            .set_hint(format!(
                "rename the file to `{}.yaml`, or set `name: {stem}`",
                name.value
            ));
        }
        name.value.clone()
    }

    fn description(&mut self, description: &Spanned<String>) -> String {
        let text = description.value.trim_end_matches('\n');
        if text.contains('\n') {
            self.error(ErrorKind::MultilineDescription, description.span)
                .set_hint("keep `description` to one line and put the rest under `doc`");
        }
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::action_shape::{
        ActionShape, Effect, LiteralRule, Member, MemberType, opt, req,
    };

    /// The actions these tests name, shaped as the registry shapes them: the validator is tested on its own.
    pub(super) struct TestActions;

    const TEST_ACTIONS: &[ActionShape] = &[
        shape("core.noop", Effect::Read, &[]),
        shape(
            "core.log",
            Effect::Read,
            &[req("message", MemberType::String)],
        ),
        shape(
            "core.sleep",
            Effect::Read,
            &[req("duration", MemberType::String).literal(LiteralRule::Duration)],
        ),
        shape(
            "dynamodb.DescribeTable",
            Effect::Read,
            &[req("TableName", MemberType::String)],
        ),
        shape(
            "dynamodb.DeleteTable",
            Effect::Write,
            &[req("TableName", MemberType::String)],
        ),
        shape(
            "web.fetch",
            Effect::Read,
            &[
                req("url", MemberType::String),
                opt("method", MemberType::String).literal(LiteralRule::ReadOnlyMethod {
                    otherwise: "web.post",
                }),
            ],
        ),
    ];

    const fn shape(name: &'static str, effect: Effect, members: &'static [Member]) -> ActionShape {
        ActionShape {
            name,
            effect,
            members,
            example: "TableName: orders",
        }
    }

    impl ActionTable for TestActions {
        fn shape(&self, name: &str) -> Option<ActionShape> {
            TEST_ACTIONS
                .iter()
                .find(|action| action.name == name)
                .copied()
        }

        fn names(&self) -> Vec<&'static str> {
            TEST_ACTIONS.iter().map(|action| action.name).collect()
        }
    }

    /// Validates `text` as `t.yaml` and returns (code, line, column) of every error, in file order.
    fn errors(text: &str) -> Vec<(&'static str, u32, u32)> {
        let file = SourceFile::new("t.yaml", text.to_string());
        match load(&file, &[], &TestActions) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| (d.kind.code(), d.span.line, d.span.column))
                .collect(),
        }
    }

    fn runbook(steps: &str) -> String {
        format!(
            "name: t\ndescription: test\nparams:\n  table: {{type: string, default: x}}\nsteps:\n{steps}"
        )
    }

    #[test]
    fn a_template_error_next_to_multibyte_characters_has_a_position() {
        // The shape the `load` fuzz target found: bad bytes decoded to U+FFFD inside an expression.
        let text = runbook(
            "  - id: a\n    action: dynamodb.DescribeTable\n    with: {TableName: \"{{ params.tar\u{fffd}\u{fffd}\u{fffd}\u{fffd}}}\"}\n",
        );
        let found = errors(&text);
        assert!(!found.is_empty());
        assert!(found.iter().all(|(_, line, _)| *line == 8), "{found:?}");
    }

    #[test]
    fn a_valid_runbook_has_no_errors() {
        let text = runbook(
            "  - id: a\n    action: dynamodb.DescribeTable\n    with: {TableName: \"{{ params.table }}\"}\n    outputs: {status: output.Table.TableStatus}\n",
        );
        assert_eq!(errors(&text), [("reserved-output-name", 9, 15)]);
        let text = runbook(
            "  - id: a\n    action: dynamodb.DescribeTable\n    with: {TableName: \"{{ params.table }}\"}\n    outputs: {state: output.Table.TableStatus}\n  - id: b\n    needs: [a]\n    action: core.log\n    with: {message: \"{{ steps.a.state }}\"}\n",
        );
        assert_eq!(errors(&text), []);
    }

    #[test]
    fn every_error_is_reported_at_once_in_file_order() {
        let text = runbook(
            "  - id: a\n    action: core.sleep\n    with: {duration: soon}\n  - id: b\n    action: core.log\n    with: {message: \"{{ params.tabel }}\"}\n  - id: c\n    needs: [z]\n    action: core.noop\n",
        );
        assert_eq!(
            errors(&text),
            [
                ("invalid-duration", 8, 22),
                ("unknown-param", 11, 25),
                ("unknown-need", 13, 13)
            ],
            "a literal `core.sleep` duration is checked as the runtime would"
        );
    }

    #[test]
    fn steps_read_only_upstream_results() {
        let text = runbook(
            "  - id: a\n    action: core.noop\n  - id: b\n    action: core.log\n    with: {message: \"{{ steps.a.status }}\"}\n",
        );
        assert_eq!(errors(&text), [("step-not-upstream", 10, 25)]);
        let transitive = runbook(
            "  - id: a\n    action: core.noop\n  - id: b\n    needs: [a]\n    action: core.noop\n  - id: c\n    needs: [b]\n    action: core.log\n    with: {message: \"{{ steps.a.status }}\"}\n",
        );
        assert_eq!(errors(&transitive), []);
    }

    #[test]
    fn cycles_name_the_whole_chain() {
        let text = runbook(
            "  - id: a\n    needs: [c]\n    action: core.noop\n  - id: b\n    needs: [a]\n    action: core.noop\n  - id: c\n    needs: [b]\n    action: core.noop\n",
        );
        let file = SourceFile::new("t.yaml", text);
        let diagnostics = load(&file, &[], &TestActions).unwrap_err();
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            diagnostics[0].kind,
            ErrorKind::Cycle {
                chain: "a -> c -> b -> a".into()
            }
        );
        assert_eq!(
            (diagnostics[0].span.line, diagnostics[0].span.column),
            (10, 13),
            "at `b`'s need of `a`"
        );
    }

    #[test]
    fn scopes_of_output_item_and_run_error() {
        let text = runbook(
            "  - id: a\n    when: output.x\n    action: core.log\n    with: {message: \"{{ item }} {{ run.error }}\"}\n",
        );
        assert_eq!(
            errors(&text),
            [
                ("out-of-scope", 7, 11),
                ("out-of-scope", 9, 25),
                ("out-of-scope", 9, 36)
            ]
        );
    }

    #[test]
    fn a_literal_that_breaks_its_members_rule_is_refused_where_it_is_written() {
        let fetch = |method: &str| {
            runbook(&format!(
                "  - id: a\n    action: web.fetch\n    with: {{url: x, method: {method}}}\n"
            ))
        };
        assert_eq!(errors(&fetch("get")), []);
        assert_eq!(errors(&fetch("\"{{ params.table }}\"")), []);
        assert_eq!(errors(&fetch("POST")), [("invalid-value", 8, 28)]);
        let file = SourceFile::new("t.yaml", fetch("DELETE"));
        let diagnostics = load(&file, &[], &TestActions).unwrap_err();
        assert_eq!(
            diagnostics[0].hint.as_deref(),
            Some(
                "`web.fetch` only reads (GET, HEAD, OPTIONS) so that plans may run it; use `action: web.post` for DELETE"
            )
        );
        let sleep = |duration: &str| {
            runbook(&format!(
                "  - id: a\n    action: core.sleep\n    with: {{duration: {duration}}}\n"
            ))
        };
        assert_eq!(errors(&sleep("90s")), []);
        assert_eq!(errors(&sleep("400d")), [("out-of-range", 8, 22)]);
    }

    #[test]
    fn members_are_checked_against_the_action_table() {
        let text = runbook(
            "  - id: a\n    action: dynamodb.DescribeTable\n    with: {TableNme: x, Limit: 1}\n",
        );
        let found = errors(&text);
        assert!(found.contains(&("unknown-member", 8, 12)), "{found:?}");
        assert!(found.contains(&("missing-member", 8, 11)), "{found:?}");
    }

    #[test]
    fn defaults_meet_their_own_constraints() {
        let text = "name: t\ndescription: d\nparams:\n  n: {type: integer, default: 0, minimum: 1}\n  s: {type: string, default: ab, pattern: '^[a-z]{3}$'}\n  e: {type: string, default: hive, enum: [glue, s3tables]}\nsteps:\n  - {id: a, action: core.noop}\n";
        assert_eq!(
            errors(text),
            [
                ("invalid-default", 4, 31),
                ("invalid-default", 5, 30),
                ("invalid-default", 6, 30)
            ]
        );
    }

    #[test]
    fn notify_is_a_topic_arn_or_a_template_over_parameters() {
        let with = |notify: &str| {
            format!(
                "name: t\ndescription: d\nnotify: {notify}\nparams:\n  topic: {{type: string, default: x}}\nsteps:\n  - {{id: a, action: core.noop}}\n"
            )
        };
        assert_eq!(
            errors(&with("arn:aws:sns:eu-west-1:123456789012:oncall")),
            []
        );
        assert_eq!(errors(&with("\"{{ params.topic }}\"")), []);
        assert_eq!(errors(&with("oncall-topic")), [("invalid-value", 3, 9)]);
        assert_eq!(
            errors(&with("arn:aws:sqs:eu-west-1:123456789012:oncall")),
            [("invalid-value", 3, 9)]
        );
        assert_eq!(
            errors(&with("\"{{ params.topik }}\"")),
            [("unknown-param", 3, 13)]
        );
        assert_eq!(
            errors(&with("\"{{ steps.a.x }}\"")),
            [("out-of-scope", 3, 13)]
        );
    }
}
