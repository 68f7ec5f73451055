//! References: each `params.`, `vars.`, `steps.`, `output`, `item` and `run.error` a template reads resolves where it is read.

use crate::foundation::diagnostic::ErrorKind;
use crate::foundation::source::Span;
use crate::foundation::suggest;

use super::*;

impl Validator<'_> {
    pub(super) fn references(
        &mut self,
        source: &str,
        span: Span,
        references: &std::collections::BTreeSet<String>,
        scope: Scope,
        step: Option<&str>,
    ) {
        for path in references {
            let parts: Vec<&str> = path.split('.').collect();
            let at = self.span_of_name(source, span, path);
            match parts[0] {
                "params" => self.param_reference(parts.get(1).copied(), scope, at),
                "vars" => self.var_reference(parts.get(1).copied(), scope, at),
                "steps" => self.step_reference(
                    parts.get(1).copied(),
                    parts.get(2).copied(),
                    scope,
                    step,
                    at,
                ),
                "output" if !scope.output => {
                    self.error(
                        ErrorKind::OutOfScope {
                            name: "output".into(),
                            allowed: "`check`, `wait.until` and `outputs`",
                        },
                        at,
                    )
                    .set_hint("other places read a finished step's result as `steps.<id>.output`");
                }
                "item" | "loop" if !scope.item => {
                    self.error(
                        ErrorKind::OutOfScope {
                            name: parts[0].into(),
                            allowed: "a `for_each` step's `with`, `check`, `wait.until` and `outputs`",
                        },
                        at,
                    )
                    .set_hint(
                        "add `for_each: <list expression>` to the step, or remove the reference",
                    );
                }
                "run" if scope.in_default => {
                    self.error(
                        ErrorKind::OutOfScope { name: path.clone(), allowed: "`vars`, the lock and steps" },
                        at,
                    )
                    .set_hint("parameter defaults are computed before the run has an id; use `run` in `vars`");
                }
                "run" => {
                    match parts.get(1).copied() {
                        None | Some("id" | "started_at" | "name") => {}
                        Some("error") if scope.run_error => {}
                        Some("error") => {
                            self.error(
                                ErrorKind::OutOfScope {
                                    name: "run.error".into(),
                                    allowed: "`on_failure` steps",
                                },
                                at,
                            )
                            .set_hint("`run.error` holds the first error once the run has failed");
                        }
                        Some(other) => {
                            self.error(ErrorKind::UndefinedName { name: format!("run.{other}") }, at)
                            .set_hint("`run` has `id`, `name`, `started_at` and, in `on_failure`, `error`");
                        }
                    }
                }
                "output" | "item" | "loop" => {}
                other => {
                    let mut roots = vec!["params", "vars", "steps", "run"];
                    if scope.output {
                        roots.push("output");
                    }
                    if scope.item {
                        roots.extend(["item", "loop"]);
                    }
                    let hint = suggest::did_you_mean(other, roots.iter().copied())
                        .or_else(|| {
                            self.param_names
                                .iter()
                                .any(|p| p == other)
                                .then(|| format!("did you mean `params.{other}`?"))
                        })
                        .or_else(|| {
                            self.var_names
                                .iter()
                                .any(|v| v == other)
                                .then(|| format!("did you mean `vars.{other}`?"))
                        })
                        .unwrap_or_else(|| {
                            format!("names here start with one of: {}", roots.join(", "))
                        });
                    self.error(
                        ErrorKind::UndefinedName {
                            name: other.to_string(),
                        },
                        at,
                    )
                    .set_hint(hint);
                }
            }
        }
    }

    pub(super) fn param_reference(&mut self, name: Option<&str>, scope: Scope, at: Span) {
        let Some(name) = name else { return };
        match self.param_names.iter().position(|p| p == name) {
            Some(index) if index < scope.params => {}
            Some(_) => {
                self.error(
                    ErrorKind::UnknownParam {
                        name: name.to_string(),
                    },
                    at,
                )
                .set_hint(
                    "a default may only use parameters declared above it; move this parameter down",
                );
            }
            None => {
                let hint = suggest::did_you_mean(name, self.param_names.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!("declare it under `params:`, e.g. `{name}: {{type: string}}`")
                    });
                self.error(
                    ErrorKind::UnknownParam {
                        name: name.to_string(),
                    },
                    at,
                )
                .set_hint(hint);
            }
        }
    }

    pub(super) fn var_reference(&mut self, name: Option<&str>, scope: Scope, at: Span) {
        let Some(name) = name else { return };
        match self.var_names.iter().position(|v| v == name) {
            Some(_) if scope.in_default => {
                self.error(
                    ErrorKind::OutOfScope {
                        name: format!("vars.{name}"),
                        allowed: "`vars` below parameters, steps and the lock",
                    },
                    at,
                )
                .set_hint("parameter defaults are computed before `vars`");
            }
            Some(index) if index < scope.vars => {}
            Some(_) => {
                self.error(
                    ErrorKind::VarUsedBeforeDefined {
                        name: name.to_string(),
                    },
                    at,
                )
                .set_hint("variables are computed in order; move this one below the one it uses");
            }
            None => {
                let hint = suggest::did_you_mean(name, self.var_names.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!("declare it under `vars:`, e.g. `{name}: \"{{{{ params.x }}}}\"`")
                    });
                self.error(
                    ErrorKind::UnknownVar {
                        name: name.to_string(),
                    },
                    at,
                )
                .set_hint(hint);
            }
        }
    }

    pub(super) fn step_reference(
        &mut self,
        other: Option<&str>,
        field: Option<&str>,
        scope: Scope,
        step: Option<&str>,
        at: Span,
    ) {
        let Some(other) = other else { return };
        let Some(&target) = self.step_ids.get(other) else {
            let hint = suggest::did_you_mean(other, self.step_ids.keys().map(String::as_str))
                .unwrap_or_else(|| "`steps.<id>` reads a step of `steps` by its id".to_string());
            self.error(
                ErrorKind::UnknownStep {
                    name: other.to_string(),
                },
                at,
            )
            .set_hint(hint);
            return;
        };
        match scope.steps {
            StepsVisible::All => {}
            StepsVisible::None => {
                self.error(
                    ErrorKind::OutOfScope {
                        name: format!("steps.{other}"),
                        allowed: "steps, success criteria and `on_failure`",
                    },
                    at,
                )
                .set_hint("parameters and variables are computed before any step runs");
                return;
            }
            StepsVisible::UpstreamOf(from) => {
                if !self.is_upstream(from, target) {
                    let step = step.unwrap_or("?").to_string();
                    self.error(
                        ErrorKind::StepNotUpstream {
                            step: step.clone(),
                            other: other.to_string(),
                        },
                        at,
                    )
                    .set_hint(if other == step {
                        "a step reads its own result as `output` (in `check`, `wait.until` and `outputs`)".to_string()
                    } else {
                        format!("add `{other}` to the `needs` of `{step}` so it has finished first")
                    });
                    return;
                }
            }
        }
        if let Some(field) = field
            && field != "output"
            && field != "status"
            && !self.step_outputs[target].iter().any(|name| name == field)
        {
            let mut names: Vec<&str> = vec!["output", "status"];
            names.extend(
                self.step_outputs[target]
                    .iter()
                    .map(String::as_str)
                    .filter(|name| !names_reserved(name) && OUTPUT_NAME.is_match(name)),
            );
            let hint = suggest::did_you_mean(field, names.iter().copied())
                .unwrap_or_else(|| format!("`steps.{other}` has: {}", names.join(", ")));
            self.error(
                ErrorKind::UnknownOutput {
                    other: other.to_string(),
                    name: field.to_string(),
                },
                at,
            )
            .set_hint(hint);
        }
    }
}

pub(super) fn names_reserved(name: &str) -> bool {
    name == "output" || name == "status"
}
