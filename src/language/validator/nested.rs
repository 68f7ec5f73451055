//! Steps that run another runbook (`runbook: NAME`): the child is found through the catalog as `runbook run` finds
//! it and validated on its own; a runbook that would run itself again (directly or through others) and nesting
//! deeper than [`MAX_NESTING`] are refused with the whole chain; `with:` is checked against the child's
//! parameters; and once everything is valid, the child's steps are expanded into this runbook's graph.
//!
//! The expansion is what makes a child behave exactly as the parent's own steps do (its gates, writes, locks,
//! journal records and resume): the engine walks one graph. A child's step `x` becomes `<id>.x`; the child's first
//! steps wait for what the `runbook:` step `needs`; the `runbook:` step itself comes after the child's last steps
//! and gives its `outputs`, so whatever `needs` it waits for the whole child. Each child step keeps its own
//! [`Frame`]: the child's `params` (the `with:` values), `vars` and `steps` names, which the engine binds.

use std::collections::HashSet;

use crate::foundation::diagnostic::ErrorKind;
use crate::foundation::source::Span;
use crate::foundation::suggest;
use crate::foundation::template;
use crate::language::from_node::{Entries, ExpressionText};
use crate::language::param_value;
use crate::language::raw::RawStep;
use crate::language::runbook::{Frame, RunbookCall, Step, StepKind, Text};

use super::*;

/// How many runbooks deep a `runbook:` step may reach below the runbook that is run: enough for a procedure that
/// runs a procedure that runs a check, shallow enough that a plan stays readable.
pub const MAX_NESTING: usize = 4;

/// How the hint of a cycle or a chain too deep begins when it was found in a runbook below.
const FOUND_AT: &str = "found at ";

impl Validator<'_> {
    /// Finds and validates the runbook of every `runbook:` step, before any template is checked: the parent's
    /// templates read the child's outputs.
    pub(super) fn load_children(&mut self, name: &str, raw_steps: &[RawStep]) {
        // The steps of every child count towards [`MAX_STEPS`] with the runbook's own: a thousand steps that each
        // run a large runbook must be refused, not expanded. No child is read once the count is past it.
        let mut total = raw_steps.len();
        for (index, raw) in raw_steps.iter().enumerate() {
            let Some(child) = &raw.runbook else { continue };
            if total > MAX_STEPS {
                self.error(
                    ErrorKind::TooManySteps {
                        count: total,
                        limit: MAX_STEPS,
                    },
                    child.span,
                )
                .set_hint("the runbooks that `runbook:` steps run count with it; run fewer of them, or smaller ones");
                return;
            }
            if let Some(runbook) = self.child(name, &child.value, child.span) {
                total += runbook.steps.len();
                self.children.insert(index, runbook);
            }
        }
        if total > MAX_STEPS
            && let Some(last) = raw_steps.iter().rev().find_map(|raw| raw.runbook.as_ref())
        {
            self.error(
                ErrorKind::TooManySteps {
                    count: total,
                    limit: MAX_STEPS,
                },
                last.span,
            )
            .set_hint("the runbooks that `runbook:` steps run count with it; run fewer of them, or smaller ones");
        }
    }

    fn child(&mut self, parent: &str, name: &str, at: Span) -> Option<Runbook> {
        let mut chain: Vec<String> = self.chain.to_vec();
        chain.push(parent.to_string());
        if let Some(from) = chain.iter().position(|above| above == name) {
            let mut cycle = chain[from..].to_vec();
            cycle.push(name.to_string());
            self.error(
                ErrorKind::RunbookRecursion {
                    chain: cycle.join(" -> "),
                },
                at,
            )
            .set_hint("a runbook cannot run itself, directly or through the runbooks it runs; `a -> b` reads \"a runs b\"");
            return None;
        }
        if chain.len() > MAX_NESTING {
            chain.push(name.to_string());
            self.error(
                ErrorKind::RunbookTooDeep {
                    chain: chain.join(" -> "),
                    limit: MAX_NESTING,
                },
                at,
            )
            .set_hint(
                "run the innermost runbooks as steps of a shallower one, or one after another",
            );
            return None;
        }
        let catalog = self.catalog?;
        let Some(location) = catalog.find(name) else {
            let names = catalog.names();
            let hint = suggest::did_you_mean(name, names.iter().map(String::as_str))
                .unwrap_or_else(|| {
                    "`runbook list` shows the runbooks found in --dir, RUNBOOK_PATH, ./runbooks and built in"
                        .to_string()
                });
            self.error(
                ErrorKind::UnknownRunbook {
                    name: name.to_string(),
                },
                at,
            )
            .set_hint(hint);
            return None;
        };
        let loaded = location
            .read()
            .map_err(|diagnostic| vec![diagnostic])
            .and_then(|file| load_nested(&file, self.reserved, self.actions, catalog, &chain));
        match loaded {
            Ok(runbook) => Some(runbook),
            Err(diagnostics) => {
                self.child_errors(name, &location.display(), &diagnostics, at);
                None
            }
        }
    }

    /// A child that does not validate is an error here too, where it is run. A cycle or a chain too deep found
    /// below is this runbook's as much as the child's: it is said again here, with the child's place in the hint.
    fn child_errors(&mut self, name: &str, path: &str, diagnostics: &[Diagnostic], at: Span) {
        let nesting = diagnostics.iter().find(|d| {
            matches!(
                d.kind,
                ErrorKind::RunbookRecursion { .. } | ErrorKind::RunbookTooDeep { .. }
            )
        });
        if let Some(found) = nesting {
            // Said at each level on the way up; the hint keeps the place where it was found.
            let hint = found
                .hint
                .clone()
                .filter(|hint| hint.starts_with(FOUND_AT))
                .unwrap_or_else(|| format!("{FOUND_AT}{}", found.location()));
            self.error(found.kind.clone(), at).set_hint(hint);
            return;
        }
        let first = &diagnostics[0];
        let hint = format!(
            "the first: {}: {}; `runbook validate {path}` lists them all",
            first.location(),
            first.kind
        );
        self.error(
            ErrorKind::InvalidChildRunbook {
                name: name.to_string(),
                count: diagnostics.len(),
                file: path.to_string(),
            },
            at,
        )
        .set_hint(hint);
    }

    /// A `runbook:` step: its `with:` against the child's parameters. Its kind holds the step's own index until
    /// [`Validator::expand_children`] gives it its frame.
    pub(super) fn runbook_step(
        &mut self,
        raw: &RawStep,
        base: Scope,
        context: Option<&str>,
        index: Option<usize>,
    ) -> Option<StepKind> {
        let name = raw.runbook.as_ref()?;
        self.reject_for_runbook_step(raw);
        let Some(index) = index else {
            self.error(
                ErrorKind::NotInOnFailure {
                    key: "runbook",
                    reason: "failure handling runs single steps in order",
                },
                name.span,
            )
            .set_hint("move the step into `steps`, or put the child's steps here");
            return None;
        };
        let given: Vec<(crate::foundation::node::Key, crate::foundation::node::Node)> = match &raw
            .with
        {
            None => Vec::new(),
            Some(node) => {
                match node.as_map() {
                    Some(entries) => entries.to_vec(),
                    None => {
                        self.error(
                            ErrorKind::WrongType {
                                what: "`with` of a `runbook:` step".into(),
                                expected: "a mapping of the runbook's parameters",
                                found: node.type_name(),
                            },
                            node.span,
                        )
                        .set_hint(format!("write `with: {{param: value}}`; `runbook show {}` lists the parameters", name.value));
                        Vec::new()
                    }
                }
            }
        };
        for (_, value) in &given {
            self.templates_in(value, base, context);
        }
        let child = self.children.get(&index)?;
        let child_name = child.name.clone();
        let child_file = Arc::clone(&child.source);
        let params: Vec<(
            String,
            bool,
            Span,
            crate::language::raw::ParamTypeName,
            crate::language::runbook::Constraints,
        )> = child
            .params
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.required,
                    p.span,
                    p.ty,
                    p.constraints.clone(),
                )
            })
            .collect();
        let mut with = serde_json::Map::new();
        for (key, value) in &given {
            let key_span = Span {
                len: key.name.len(),
                ..key.span
            };
            let Some((_, _, declared, ty, constraints)) =
                params.iter().find(|(param, ..)| *param == key.name)
            else {
                let hint =
                    suggest::did_you_mean(&key.name, params.iter().map(|(p, ..)| p.as_str()))
                        .unwrap_or_else(|| {
                            format!(
                                "`{child_name}` takes: {}",
                                params
                                    .iter()
                                    .map(|(p, ..)| p.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        });
                self.error(
                    ErrorKind::UnknownRunbookParam {
                        runbook: child_name.clone(),
                        name: key.name.clone(),
                    },
                    key_span,
                )
                .set_hint(hint);
                continue;
            };
            let json = value.to_json();
            if !contains_template(&json)
                && let Err(reason) = param_value::coerce(*ty, constraints, &json)
            {
                let at = SourceLocation(&child_file, *declared);
                self.error(
                    ErrorKind::InvalidRunbookParam {
                        runbook: child_name.clone(),
                        name: key.name.clone(),
                        reason,
                    },
                    value.span,
                )
                .set_hint(format!("the parameter is declared at {at}"));
            }
            with.insert(key.name.clone(), json);
        }
        for (param, required, ..) in &params {
            if *required && !with.contains_key(param) {
                self.error(
                    ErrorKind::MissingRunbookParam {
                        runbook: child_name.clone(),
                        name: param.clone(),
                    },
                    name.span,
                )
                .set_hint(format!(
                    "add `with: {{{param}: ...}}`; `runbook show {child_name}` lists its parameters"
                ));
            }
        }
        self.child_with.insert(index, with);
        Some(StepKind::Runbook(RunbookCall { frame: index }))
    }

    fn reject_for_runbook_step(&mut self, raw: &RawStep) {
        let spans: [(&'static str, Option<Span>); 12] = [
            ("action", raw.action.as_ref().map(|a| a.span)),
            (
                "approve",
                raw.approve
                    .as_ref()
                    .and_then(|a| a.prompt.as_ref())
                    .map(|p| p.span),
            ),
            (
                "check",
                raw.check
                    .as_ref()
                    .and_then(|c| c.first())
                    .and_then(|c| c.that.as_ref())
                    .map(|t| t.span),
            ),
            (
                "outputs",
                raw.outputs
                    .as_ref()
                    .and_then(|o| o.0.first())
                    .map(|(k, _)| k.span),
            ),
            ("outcome", raw.outcome.as_ref().map(|o| o.span)),
            (
                "retry",
                raw.retry
                    .as_ref()
                    .and_then(|r| r.attempts.as_ref())
                    .map(|a| a.span),
            ),
            ("timeout", raw.timeout.as_ref().map(|t| t.span)),
            ("on_error", raw.on_error.as_ref().map(|o| o.span)),
            (
                "wait",
                raw.wait
                    .as_ref()
                    .and_then(|w| w.until.as_ref())
                    .map(|u| u.span),
            ),
            (
                "verify",
                raw.verify
                    .as_ref()
                    .and_then(|v| v.action.as_ref())
                    .map(|a| a.span),
            ),
            ("for_each", raw.for_each.as_ref().map(|f| f.span)),
            ("concurrency", raw.concurrency.as_ref().map(|c| c.span)),
        ];
        for (key, span) in spans {
            if let Some(span) = span {
                self.error(ErrorKind::NotForRunbookStep { key }, span).set_hint(match key {
                    "outputs" => "the step gives the child's own `outputs`; declare them in the child runbook",
                    _ => "a `runbook:` step runs the child's steps as they are written; put this in the child, or in a step that `needs` this one",
                });
            }
        }
    }

    /// The runbook's `outputs:`, read after its steps by a parent that runs it.
    pub(super) fn runbook_outputs(
        &mut self,
        outputs: Option<&Entries<crate::language::from_node::Spanned<ExpressionText>>>,
    ) -> Vec<(String, Text)> {
        let scope = Scope {
            params: usize::MAX,
            vars: usize::MAX,
            steps: StepsVisible::All,
            output: false,
            item: false,
            run_error: false,
            in_default: false,
        };
        let mut found = Vec::new();
        for (key, expression) in outputs.iter().flat_map(|o| o.0.iter()) {
            let name_span = Span {
                len: key.name.len(),
                ..key.span
            };
            if references::names_reserved(&key.name) {
                self.error(ErrorKind::ReservedOutputName { name: key.name.clone() }, name_span)
                    .set_hint("`steps.<id>.output` and `steps.<id>.status` are set by the engine; choose another name");
            } else if !OUTPUT_NAME.is_match(&key.name) {
                self.error(ErrorKind::InvalidValue { what: "output name".into(), value: key.name.clone() }, name_span)
                    .set_hint("output names are letters, digits and underscores, so a parent reads them as `steps.<id>.<name>`");
            }
            found.push((key.name.clone(), self.expression(expression, scope, None)));
        }
        found
    }

    /// Puts every child's steps into the graph (see the module's docs). Only a runbook without errors is
    /// expanded: until then indexes may point at steps that did not validate.
    pub(super) fn expand_children(&mut self, steps: Vec<Step>) -> (Vec<Step>, Vec<Frame>) {
        if self.children.is_empty() || !self.cx.is_empty() {
            return (steps, Vec::new());
        }
        let mut new_index = Vec::with_capacity(steps.len());
        let mut child_start = vec![0; steps.len()];
        let mut position = 0;
        for (index, step) in steps.iter().enumerate() {
            if matches!(step.kind, StepKind::Runbook(_)) {
                child_start[index] = position;
                position += self.children.get(&index).map_or(0, |c| c.steps.len());
            }
            new_index.push(position);
            position += 1;
        }
        let mut expanded: Vec<Step> = Vec::with_capacity(position);
        let mut frames: Vec<Frame> = Vec::new();
        for (index, mut step) in steps.into_iter().enumerate() {
            step.needs = step.needs.iter().map(|&need| new_index[need]).collect();
            let StepKind::Runbook(_) = step.kind else {
                expanded.push(step);
                continue;
            };
            let Some(child) = self.children.remove(&index) else {
                continue;
            };
            let start = child_start[index];
            let frame = frames.len();
            let prefix = format!("{}.", step.id);
            frames.push(Frame {
                runbook: child.name.clone(),
                prefix: prefix.clone(),
                parent: None,
                step: new_index[index],
                with: self.child_with.remove(&index).unwrap_or_default(),
                when: step.when.clone(),
                params: child.params,
                vars: child.vars,
                lock: child.lock,
                success_criteria: child.success_criteria,
                outputs: child.outputs,
                source: child.source,
            });
            let below = frames.len();
            for inner in child.frames {
                frames.push(Frame {
                    prefix: format!("{prefix}{}", inner.prefix),
                    parent: Some(inner.parent.map_or(frame, |p| p + below)),
                    step: inner.step + start,
                    ..inner
                });
            }
            let needed: HashSet<usize> = child
                .steps
                .iter()
                .flat_map(|s| s.needs.iter().copied())
                .collect();
            let last: Vec<usize> = (0..child.steps.len())
                .filter(|i| !needed.contains(i))
                .map(|i| i + start)
                .collect();
            for mut inner in child.steps {
                inner.id = format!("{prefix}{}", inner.id);
                inner.needs = if inner.needs.is_empty() {
                    step.needs.clone()
                } else {
                    inner.needs.iter().map(|need| need + start).collect()
                };
                inner.frame = Some(inner.frame.map_or(frame, |f| f + below));
                // A `runbook:` step of the child names its own frame in the child's list, which is here from `below`.
                if let StepKind::Runbook(call) = &mut inner.kind {
                    call.frame += below;
                }
                expanded.push(inner);
            }
            step.kind = StepKind::Runbook(RunbookCall { frame });
            step.needs = last;
            expanded.push(step);
        }
        (expanded, frames)
    }
}

/// Whether a `with:` value is rendered at run time: its type is then checked when it is known.
fn contains_template(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => template::is_template(text),
        serde_json::Value::Array(items) => items.iter().any(contains_template),
        serde_json::Value::Object(map) => map.values().any(contains_template),
        _ => false,
    }
}

/// `file:line:col` of a place in another runbook's file, for hints.
struct SourceLocation<'a>(&'a Arc<SourceFile>, Span);

impl std::fmt::Display for SourceLocation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.0.display_path(),
            self.1.line,
            self.1.column
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder of runbooks, each given as (name, steps and params below `description`).
    fn folder(runbooks: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in runbooks {
            std::fs::write(
                dir.path().join(format!("{name}.yaml")),
                format!("name: {name}\ndescription: {name}\n{body}"),
            )
            .unwrap();
        }
        dir
    }

    /// A `runbook:` step of a child runs the grandchild: its frame is the grandchild's in the parent's list (it
    /// was the child's own first frame, which is the child itself in the parent's).
    #[test]
    fn a_runbook_step_of_a_child_runs_the_grandchild() {
        let dir = folder(&[
            ("grand", "steps:\n  - id: g\n    action: core.noop\n"),
            ("child", "steps:\n  - id: inner\n    runbook: grand\n"),
            ("top", "steps:\n  - id: outer\n    runbook: child\n"),
        ]);
        let runbook = load_from(&dir, "top").unwrap_or_else(|e| panic!("{e:?}"));
        let inner = runbook.step("outer.inner").unwrap();
        assert_eq!(runbook.child_of(inner).unwrap().runbook, "grand");
        let outer = runbook.step("outer").unwrap();
        assert_eq!(runbook.child_of(outer).unwrap().runbook, "child");
    }

    fn load_from(dir: &tempfile::TempDir, name: &str) -> Result<Runbook, Vec<Diagnostic>> {
        let catalog = Catalog::new(Some(dir.path()), None);
        let file = catalog.find(name).unwrap().read().unwrap();
        load_in(
            &file,
            &[],
            &crate::language::validator::tests::TestActions,
            &catalog,
        )
    }

    fn errors(dir: &tempfile::TempDir, name: &str) -> Vec<(&'static str, u32, u32)> {
        match load_from(dir, name) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| (d.kind.code(), d.span.line, d.span.column))
                .collect(),
        }
    }

    const CHILD: &str = "params:\n  table: {type: string, required: true}\n  limit: {type: integer, default: 5}\nvars:\n  label: \"t-{{ params.table }}\"\nsteps:\n  - id: first\n    action: core.log\n    with: {message: \"{{ vars.label }}\"}\n  - id: second\n    action: core.noop\n  - id: last\n    needs: [first, second]\n    action: core.noop\noutputs:\n  label: steps.first.output.message\n";

    #[test]
    fn the_childs_steps_join_the_graph_under_the_steps_id() {
        let dir = folder(&[
            ("child", CHILD),
            (
                "parent",
                "steps:\n  - id: before\n    action: core.noop\n  - id: run\n    runbook: child\n    needs: [before]\n    with: {table: orders}\n  - id: after\n    needs: [run]\n    action: core.log\n    with: {message: \"{{ steps.run.label }}\"}\n",
            ),
        ]);
        let runbook = load_from(&dir, "parent").unwrap();
        let ids: Vec<&str> = runbook.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "before",
                "run.first",
                "run.second",
                "run.last",
                "run",
                "after"
            ]
        );
        let needs = |id: &str| -> Vec<&str> {
            runbook
                .step(id)
                .unwrap()
                .needs
                .iter()
                .map(|&n| runbook.steps[n].id.as_str())
                .collect()
        };
        assert_eq!(
            needs("run.first"),
            ["before"],
            "the child's first steps wait for the step's needs"
        );
        assert_eq!(needs("run.second"), ["before"]);
        assert_eq!(
            needs("run.last"),
            ["run.first", "run.second"],
            "the child's own needs are kept"
        );
        assert_eq!(
            needs("run"),
            ["run.last"],
            "the step ends after the child's last steps"
        );
        assert_eq!(needs("after"), ["run"]);
        assert_eq!(runbook.frames.len(), 1);
        let frame = &runbook.frames[0];
        assert_eq!(
            (frame.runbook.as_str(), frame.prefix.as_str(), frame.parent),
            ("child", "run.", None)
        );
        assert_eq!(frame.step, 4);
        assert_eq!(frame.with["table"], "orders");
        assert!(runbook.steps[1..4].iter().all(|s| s.frame == Some(0)));
        assert_eq!(runbook.step("before").unwrap().frame, None);
    }

    #[test]
    fn a_runbook_nested_twice_has_its_frame_inside_its_parents() {
        let dir = folder(&[
            ("child", CHILD),
            (
                "middle",
                "steps:\n  - id: inner\n    runbook: child\n    with: {table: t}\noutputs:\n  label: steps.inner.label\n",
            ),
            ("top", "steps:\n  - id: outer\n    runbook: middle\n"),
        ]);
        let runbook = load_from(&dir, "top").unwrap();
        let ids: Vec<&str> = runbook.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "outer.inner.first",
                "outer.inner.second",
                "outer.inner.last",
                "outer.inner",
                "outer"
            ]
        );
        let prefixes: Vec<(&str, Option<usize>)> = runbook
            .frames
            .iter()
            .map(|f| (f.prefix.as_str(), f.parent))
            .collect();
        assert_eq!(prefixes, [("outer.", None), ("outer.inner.", Some(0))]);
        assert_eq!(runbook.step("outer.inner").unwrap().frame, Some(0));
        assert_eq!(runbook.step("outer.inner.first").unwrap().frame, Some(1));
        assert_eq!(runbook.frames[1].step, 3);
    }

    #[test]
    fn with_is_checked_against_the_childs_parameters() {
        let dir = folder(&[
            ("child", CHILD),
            (
                "parent",
                "steps:\n  - id: run\n    runbook: child\n    with: {tabel: x, limit: many}\n",
            ),
        ]);
        assert_eq!(
            errors(&dir, "parent"),
            [
                ("missing-runbook-param", 5, 14),
                ("unknown-runbook-param", 6, 12),
                ("invalid-runbook-param", 6, 29)
            ]
        );
        let templated = folder(&[
            ("child", CHILD),
            (
                "parent",
                "params:\n  n: {type: integer, default: 3}\nsteps:\n  - id: run\n    runbook: child\n    with: {table: x, limit: \"{{ params.n }}\"}\n  - id: after\n    needs: [run]\n    action: core.log\n    with: {message: \"{{ steps.run.lable }}\"}\n",
            ),
        ]);
        assert_eq!(
            errors(&templated, "parent"),
            [("unknown-output", 12, 25)],
            "a template's type is the run's to check; the child's outputs are the step's"
        );
    }

    #[test]
    fn the_childs_steps_count_towards_the_limit() {
        let big: String = (0..MAX_STEPS / 2)
            .map(|i| format!("  - {{id: s{i}, action: core.noop}}\n"))
            .collect();
        let dir = folder(&[
            ("big", &format!("steps:\n{big}")),
            (
                "parent",
                "steps:\n  - {id: a, runbook: big}\n  - {id: b, runbook: big}\n  - {id: c, runbook: big}\n",
            ),
        ]);
        assert_eq!(errors(&dir, "parent"), [("too-many-steps", 6, 22)]);
    }

    #[test]
    fn recursion_is_refused_with_the_chain() {
        let dir = folder(&[
            ("a", "steps:\n  - id: to_b\n    runbook: b\n"),
            ("b", "steps:\n  - id: to_a\n    runbook: a\n"),
        ]);
        let diagnostics = load_from(&dir, "a").unwrap_err();
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            diagnostics[0].kind,
            ErrorKind::RunbookRecursion {
                chain: "a -> b -> a".into()
            }
        );
        assert_eq!(
            (diagnostics[0].span.line, diagnostics[0].span.column),
            (5, 14)
        );
        assert!(
            diagnostics[0]
                .hint
                .as_deref()
                .unwrap()
                .ends_with("b.yaml:5:14"),
            "{:?}",
            diagnostics[0].hint
        );
    }

    #[test]
    fn a_runbook_step_takes_no_action_keys_and_is_not_failure_handling() {
        let dir = folder(&[
            ("child", CHILD),
            (
                "parent",
                "steps:\n  - id: run\n    runbook: child\n    with: {table: x}\n    timeout: 5m\non_failure:\n  - id: again\n    runbook: child\n    with: {table: x}\n",
            ),
        ]);
        assert_eq!(
            errors(&dir, "parent"),
            [
                ("not-for-runbook-step", 7, 14),
                ("not-in-on-failure", 10, 14)
            ]
        );
    }
}
