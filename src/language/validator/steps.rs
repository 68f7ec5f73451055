//! Steps: their kind, actions looked up in the table handed to the validator, members checked against the action's
//! shape, waits, retries and checks.

use std::time::Duration;

use crate::foundation::diagnostic::ErrorKind;
use crate::foundation::duration;
use crate::foundation::node::{Node, Value};
use crate::foundation::source::Span;
use crate::foundation::suggest;
use crate::foundation::template;
use crate::language::action_shape::{ActionShape, Effect, MemberType};
use crate::language::from_node::Spanned;
use crate::language::raw::{OnError, RawStep};
use crate::language::runbook::{
    ActionStep, Approval, Check, ForEach, Retry, Step, StepKind, Text, Wait,
};

use super::*;

impl Validator<'_> {
    pub(super) fn step(&mut self, raw: &RawStep, index: Option<usize>) -> Option<Step> {
        let id = raw.id.as_ref()?;
        let in_on_failure = index.is_none();
        let steps_visible = index.map_or(StepsVisible::All, StepsVisible::UpstreamOf);
        let base = Scope {
            params: usize::MAX,
            vars: usize::MAX,
            steps: steps_visible,
            output: false,
            item: false,
            run_error: in_on_failure,
            in_default: false,
        };
        let has_item = raw.for_each.is_some();
        let context = Some(id.value.as_str());

        if in_on_failure {
            if let Some(needs) = raw.needs.as_ref().filter(|n| !n.is_empty()) {
                let span = needs.first().map_or(id.span, |n| n.span);
                self.error(
                    ErrorKind::NotInOnFailure {
                        key: "needs",
                        reason: "`on_failure` steps run in the order written",
                    },
                    span,
                )
                .set_hint("remove `needs`; order the steps instead");
            }
            if let Some(approve) = &raw.approve {
                let span = approve.prompt.as_ref().map_or(id.span, |p| p.span);
                self.error(
                    ErrorKind::NotInOnFailure {
                        key: "approve",
                        reason: "failure handling never waits for a person",
                    },
                    span,
                )
                .set_hint("move the approval into `steps`");
            }
        }

        let when = raw
            .when
            .as_ref()
            .map(|when| self.expression(when, base, context));
        let for_each = raw.for_each.as_ref().map(|written| {
            let items = self.expression(written, base, context);
            self.constant_for_each(written);
            let concurrency = match &raw.concurrency {
                Some(c) if c.value == 0 || c.value > 1000 => {
                    self.error(
                        ErrorKind::OutOfRange {
                            what: "`concurrency`".into(),
                            bound: "between 1 and 1000".into(),
                        },
                        c.span,
                    )
                    .set_hint("`concurrency` is how many items run at once; 1 runs them one after another");
                    1
                }
                Some(c) => c.value as u32,
                None => 1,
            };
            ForEach { items, concurrency }
        });
        if raw.for_each.is_none()
            && let Some(concurrency) = &raw.concurrency
        {
            self.error(ErrorKind::ConcurrencyWithoutForEach, concurrency.span)
                .set_hint("`concurrency` limits how many `for_each` items run at once; add `for_each` or remove it");
        }

        let kind = match (&raw.action, &raw.approve) {
            _ if raw.runbook.is_some() => self.runbook_step(raw, base, context, index),
            (Some(_), Some(approve)) => {
                let span = if approve.key_span.is_known() {
                    approve.key_span
                } else {
                    id.span
                };
                self.error(
                    ErrorKind::ActionAndApprove {
                        step: id.value.clone(),
                    },
                    span,
                )
                .set_hint("split it into an approval step and an action step that `needs` it");
                None
            }
            (None, None) => {
                self.error(ErrorKind::NoActionOrApprove { step: id.value.clone() }, id.span)
                    .set_hint("add `action: <service>.<Operation>` (see `runbook actions`) or `approve: {prompt: ...}`");
                None
            }
            (None, Some(approve)) => {
                self.reject_for_approval(raw);
                let prompt = approve.prompt.as_ref().map(|prompt| {
                    self.template(&prompt.value, prompt.span, base, context);
                    Text {
                        source: prompt.value.clone(),
                        span: prompt.span,
                    }
                });
                let timeout = self.duration(approve.timeout.as_ref(), Duration::from_secs(3600));
                prompt.map(|prompt| StepKind::Approval(Approval { prompt, timeout }))
            }
            (Some(action), None) => self
                .action_step(raw, action, base, has_item, context)
                .map(StepKind::Action),
        };

        Some(Step {
            id: id.value.clone(),
            title: raw.title.as_ref().map(|t| t.value.clone()),
            kind: kind?,
            needs: index.map(|i| self.needs[i].clone()).unwrap_or_default(),
            when,
            for_each,
            on_error: raw.on_error.as_ref().map_or(OnError::Fail, |o| o.value),
            span: id.span,
            frame: None,
        })
    }

    pub(super) fn reject_for_approval(&mut self, raw: &RawStep) {
        let with_span = raw.with.as_ref().map(|w| w.span);
        let spans: [(&'static str, Option<Span>); 9] = [
            ("with", with_span),
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
            (
                "retry",
                raw.retry
                    .as_ref()
                    .map(|_| raw.id.as_ref().map_or(Span::NONE, |i| i.span)),
            ),
            (
                "wait",
                raw.wait
                    .as_ref()
                    .and_then(|w| w.until.as_ref())
                    .map(|u| u.span),
            ),
            ("timeout", raw.timeout.as_ref().map(|t| t.span)),
            ("outcome", raw.outcome.as_ref().map(|o| o.span)),
            ("for_each", raw.for_each.as_ref().map(|f| f.span)),
            (
                "verify",
                raw.verify
                    .as_ref()
                    .and_then(|v| v.action.as_ref())
                    .map(|a| a.span),
            ),
        ];
        for (key, span) in spans {
            if let Some(span) = span {
                self.error(ErrorKind::NotForApproval { key }, span).set_hint(match key {
                    "timeout" => "an approval's timeout goes under `approve: {timeout: 1h}`",
                    _ => "an approval step only asks a person; put the action in a step that `needs` it",
                });
            }
        }
    }

    pub(super) fn action_step(
        &mut self,
        raw: &RawStep,
        action: &Spanned<String>,
        base: Scope,
        has_item: bool,
        context: Option<&str>,
    ) -> Option<ActionStep> {
        let spec = self.action_spec(action)?;
        let with_scope = Scope {
            item: has_item,
            ..base
        };
        let with = match &raw.with {
            Some(node) => {
                self.members(&spec, node, raw.id.as_ref().map_or(Span::NONE, |i| i.span));
                self.templates_in(node, with_scope, context);
                node.to_json()
            }
            None => {
                let missing: Vec<&'static str> = spec
                    .members
                    .iter()
                    .filter(|m| m.required)
                    .map(|m| m.name)
                    .collect();
                for member in &missing {
                    self.error(
                        ErrorKind::MissingMember {
                            action: spec.name.to_string(),
                            member,
                        },
                        action.span,
                    )
                    .set_hint(format!(
                        "add `with: {{{member}: ...}}`; `runbook actions {}` lists the members",
                        spec.name
                    ));
                }
                serde_json::Value::Object(serde_json::Map::new())
            }
        };
        let result_scope = Scope {
            output: true,
            item: has_item,
            ..base
        };
        let check = raw
            .check
            .iter()
            .flatten()
            .filter_map(|check| {
                let that = check
                    .that
                    .as_ref()
                    .map(|that| self.expression(that, result_scope, context))?;
                let message = check.message.as_ref().map(|message| {
                    self.template(&message.value, message.span, result_scope, context);
                    Text {
                        source: message.value.clone(),
                        span: message.span,
                    }
                });
                Some(Check { that, message })
            })
            .collect();
        let outcome = raw.outcome.as_ref().map(|outcome| {
            self.template(&outcome.value, outcome.span, result_scope, context);
            Text {
                source: outcome.value.clone(),
                span: outcome.span,
            }
        });
        let mut outputs = Vec::new();
        for (key, expression) in raw.outputs.iter().flat_map(|o| o.0.iter()) {
            let name_span = Span {
                len: key.name.len(),
                ..key.span
            };
            if key.name == "output" || key.name == "status" {
                self.error(ErrorKind::ReservedOutputName { name: key.name.clone() }, name_span)
                    .set_hint("`steps.<id>.output` and `steps.<id>.status` are set by the engine; choose another name");
            } else if !OUTPUT_NAME.is_match(&key.name) {
                self.error(ErrorKind::InvalidValue { what: "output name".into(), value: key.name.clone() }, name_span)
                    .set_hint("output names are letters, digits and underscores, so templates can read them as `steps.<id>.<name>`");
            }
            outputs.push((
                key.name.clone(),
                self.expression(expression, result_scope, context),
            ));
        }
        let retry = match &raw.retry {
            Some(retry) => {
                let defaults = Retry::default();
                let attempts = match &retry.attempts {
                    Some(a) if a.value == 0 || a.value > 100 => {
                        self.error(
                            ErrorKind::OutOfRange {
                                what: "`retry.attempts`".into(),
                                bound: "between 1 and 100".into(),
                            },
                            a.span,
                        )
                        .set_hint("`attempts` counts the first try too; 1 means no retry");
                        defaults.attempts
                    }
                    Some(a) => a.value as u32,
                    None => defaults.attempts,
                };
                let delay = self.duration(retry.delay.as_ref(), defaults.delay);
                let max_delay = self.duration(retry.max_delay.as_ref(), defaults.max_delay);
                self.at_most(
                    retry.delay.as_ref().or(retry.max_delay.as_ref()),
                    "`retry.delay`",
                    delay,
                    "`max_delay`",
                    max_delay,
                );
                Retry {
                    attempts,
                    delay,
                    max_delay,
                }
            }
            None => Retry::default(),
        };
        let timeout = raw
            .timeout
            .as_ref()
            .map(|t| self.duration(Some(t), Duration::ZERO));
        let wait = raw.wait.as_ref().and_then(|wait| {
            let until = wait
                .until
                .as_ref()
                .map(|until| self.expression(until, result_scope, context))?;
            let interval = self.duration(wait.interval.as_ref(), Duration::from_secs(5));
            let max_interval = self.duration(wait.max_interval.as_ref(), Duration::from_secs(60));
            let at = wait.interval.as_ref().or(wait.max_interval.as_ref());
            self.at_most(
                at,
                "`wait.interval`",
                interval,
                "`max_interval`",
                max_interval,
            );
            Some(Wait {
                until,
                timeout: self.duration(wait.timeout.as_ref(), Duration::from_secs(1800)),
                interval,
                max_interval,
            })
        });
        let verify = raw
            .verify
            .as_ref()
            .and_then(|verify| self.verify(verify, &spec, raw, base, context));
        Some(ActionStep {
            shape: spec,
            with,
            check,
            outputs,
            retry,
            timeout,
            wait,
            verify,
            outcome,
        })
    }

    /// `verify:` takes a read whose `with` sees what the step's own `with` sees (a for_each step's `item` aside:
    /// a resume verifies the step as a whole), and an expression over that read's `output`.
    pub(super) fn verify(
        &mut self,
        verify: &crate::language::raw::RawVerify,
        step_spec: &ActionShape,
        raw: &RawStep,
        base: Scope,
        context: Option<&str>,
    ) -> Option<crate::language::runbook::Verify> {
        let action = verify.action.as_ref()?;
        if step_spec.effect != Effect::Write {
            self.error(
                ErrorKind::InvalidValue {
                    what: format!("key on a step that only reads ({})", step_spec.name),
                    value: "verify".into(),
                },
                action.span,
            )
            .set_hint(
                "only a write can leave its outcome unknown; a resume simply runs a read again",
            );
        }
        if raw.for_each.is_some() {
            self.error(
                ErrorKind::InvalidValue {
                    what: "key on a for_each step".into(),
                    value: "verify".into(),
                },
                action.span,
            )
            .set_hint("a resume verifies a step as a whole; verify each item's write in a step of its own, or let the operator decide with --rerun/--skip");
        }
        let spec = self.action_spec(action)?;
        if spec.effect != Effect::Read {
            self.error(
                ErrorKind::InvalidValue {
                    what: "`verify.action`".into(),
                    value: spec.name.to_string(),
                },
                action.span,
            )
            .set_hint(
                "`verify` must only look: use a read such as dynamodb.GetItem or lambda.GetAlias",
            );
        }
        let with = match &verify.with {
            Some(node) => {
                self.members(&spec, node, action.span);
                self.templates_in(node, base, context);
                node.to_json()
            }
            None => serde_json::Value::Object(serde_json::Map::new()),
        };
        let that = verify.that.as_ref().map(|that| {
            self.expression(
                that,
                Scope {
                    output: true,
                    ..base
                },
                context,
            )
        })?;
        Some(crate::language::runbook::Verify {
            shape: spec,
            with,
            that,
        })
    }

    pub(super) fn action_spec(&mut self, action: &Spanned<String>) -> Option<ActionShape> {
        if let Some(shape) = self.actions.shape(&action.value) {
            return Some(shape);
        }
        let names: Vec<&'static str> = if self.may_suggest(SuggestionKind::Action) {
            self.actions.names()
        } else {
            Vec::new()
        };
        let hint = names
            .iter()
            .find(|name| name.eq_ignore_ascii_case(&action.value))
            .map(|name| format!("did you mean `{name}`? Operation names are written as in the AWS API reference"))
            .or_else(|| {
                // Never offer a write for a mistyped name unless it is one slip away: `UpdateTable` must not
                // become `DeleteTable` on a tired engineer's say-so.
                let found = suggest::closest(&action.value, names.iter().copied())?;
                let is_write = self.actions.shape(found).is_some_and(|shape| shape.effect == Effect::Write);
                let slips = strsim::damerau_levenshtein(&action.value.to_lowercase(), &found.to_lowercase());
                (!is_write || slips <= 1).then(|| format!("did you mean `{found}`?"))
            })
            .unwrap_or_else(|| {
                "actions are `<service>.<Operation>` as in the AWS API reference; `runbook actions` lists them".to_string()
            });
        self.error(
            ErrorKind::UnknownAction {
                action: action.value.clone(),
            },
            action.span,
        )
        .set_hint(hint);
        None
    }

    pub(super) fn members(&mut self, spec: &ActionShape, with: &Node, step_span: Span) {
        let Some(entries) = with.as_map() else {
            self.error(
                ErrorKind::WrongType {
                    what: "`with`".into(),
                    expected: "a mapping of request members",
                    found: with.type_name(),
                },
                with.span,
            )
            .set_hint(format!(
                "write the request as members, e.g. `with: {{{}}}`",
                spec.example.lines().next().unwrap_or("")
            ));
            return;
        };
        for (key, value) in entries {
            let Some(member) = spec.member(&key.name) else {
                let hint = suggest::did_you_mean(&key.name, spec.members.iter().map(|m| m.name))
                    .unwrap_or_else(|| {
                        let names: Vec<&str> = spec.members.iter().map(|m| m.name).collect();
                        if names.is_empty() {
                            format!("`{}` takes no members", spec.name)
                        } else {
                            format!("the members of `{}` are: {}", spec.name, names.join(", "))
                        }
                    });
                self.error(
                    ErrorKind::UnknownMember {
                        action: spec.name.to_string(),
                        member: key.name.clone(),
                    },
                    Span {
                        len: key.name.len(),
                        ..key.span
                    },
                )
                .set_hint(hint);
                continue;
            };
            if !self.literal_obeys_its_rule(spec, member, value) {
                continue;
            }
            if let Some(found) = literal_type_mismatch(member.ty, value) {
                self.error(
                    ErrorKind::MemberType {
                        action: spec.name.to_string(),
                        member: key.name.clone(),
                        expected: member_type_phrase(member.ty),
                        found,
                    },
                    value.span,
                )
                .set_hint(format!(
                    "`runbook actions {}` shows each member's type",
                    spec.name
                ));
            }
        }
        for member in spec.members.iter().filter(|m| m.required) {
            if !entries.iter().any(|(key, _)| key.name == member.name) {
                let span = if with.span.is_known() {
                    with.span
                } else {
                    step_span
                };
                self.error(
                    ErrorKind::MissingMember {
                        action: spec.name.to_string(),
                        member: member.name,
                    },
                    span,
                )
                .set_hint(format!("add `{}: ...` under `with`", member.name));
            }
        }
    }

    /// Reports a first delay longer than the longest delay it may grow to.
    pub(super) fn at_most(
        &mut self,
        at: Option<&Spanned<String>>,
        what: &str,
        value: Duration,
        limit_name: &str,
        limit: Duration,
    ) {
        if let Some(at) = at.filter(|_| value > limit) {
            self.error(
                ErrorKind::OutOfRange {
                    what: what.to_string(),
                    bound: format!("at most {limit_name} ({})", duration::format(limit)),
                },
                at.span,
            )
            .set_hint("the delay starts at the first value and grows up to the second");
        }
    }

    pub(super) fn duration(
        &mut self,
        text: Option<&Spanned<String>>,
        default: Duration,
    ) -> Duration {
        let Some(text) = text else { return default };
        match duration::parse(&text.value) {
            Some(parsed) if parsed.is_zero() => {
                self.error(
                    ErrorKind::OutOfRange {
                        what: format!("`{}`", text.value),
                        bound: "longer than zero".into(),
                    },
                    text.span,
                )
                .set_hint(
                    "a zero timeout or interval would fail or spin at once; give a real duration",
                );
                default
            }
            Some(parsed) => self.bounded_duration(text, parsed),
            None => {
                self.error(
                    ErrorKind::InvalidDuration {
                        value: text.value.clone(),
                    },
                    text.span,
                )
                .set_hint(duration::HINT);
                default
            }
        }
    }
}

/// The found type, when a literal (non-template) value cannot be of the member's type.
pub(super) fn literal_type_mismatch(ty: MemberType, value: &Node) -> Option<&'static str> {
    if let Value::String(text) = &value.value
        && template::is_template(text)
    {
        return None;
    }
    let fits = match (ty, &value.value) {
        (MemberType::Any, _) => true,
        // Numbers are accepted where AWS wants a string (`FunctionVersion: 3`); the engine sends them as text.
        (MemberType::String, Value::String(_) | Value::Integer(_) | Value::Float(_)) => true,
        (MemberType::Integer, Value::Integer(_)) => true,
        (MemberType::Number, Value::Integer(_) | Value::Float(_)) => true,
        (MemberType::Boolean, Value::Bool(_)) => true,
        (MemberType::Timestamp, Value::String(_) | Value::Integer(_) | Value::Float(_)) => true,
        (MemberType::List, Value::Seq(_)) => true,
        (MemberType::Map | MemberType::Structure, Value::Map(_)) => true,
        _ => false,
    };
    (!fits).then(|| value.type_name())
}

pub(super) fn member_type_phrase(ty: MemberType) -> &'static str {
    match ty {
        MemberType::String => "a string",
        MemberType::Integer => "an integer",
        MemberType::Number => "a number",
        MemberType::Boolean => "`true` or `false`",
        MemberType::Timestamp => "a timestamp (RFC 3339 or epoch seconds)",
        MemberType::List => "a list",
        MemberType::Map => "a mapping",
        MemberType::Structure => "a mapping (structure)",
        MemberType::Any => "any value",
    }
}
