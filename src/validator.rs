//! The validator: raw model in, [`Runbook`] out, or every error found.
//!
//! Validation is pure: no network, no credentials, no clock. It checks names, types, the step graph, the actions
//! and their members, and every template and expression, proving that each name it reads resolves where it is read.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use regex::Regex;

use crate::diagnostic::{Diagnostic, Diagnostics, ErrorKind};
use crate::duration;
use crate::from_node::{ExpressionText, FromNode, Spanned};
use crate::node::{self, Node, Value};
use crate::param_value;
use crate::raw::{OnError, ParamTypeName, RawParam, RawRunbook, RawStep};
use crate::registry::{self, ActionSpec, MemberType};
use crate::runbook::{
    ActionStep, Approval, Check, Constraints, Criterion, ForEach, Param, ParamDefault, Retry,
    Runbook, Step, StepKind, Text, Var, Wait,
};
use crate::source::{SourceFile, Span};
use crate::suggest;
use crate::template::{self, SyntaxError};

mod limits;

pub use limits::MAX_DURATION;

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
/// runbook may declare it, and then it also selects the AWS region).
pub fn load(file: &Arc<SourceFile>, reserved: &[String]) -> Result<Runbook, Vec<Diagnostic>> {
    crate::yaml_screen::screen(file)?;
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
    let runbook = raw.and_then(|raw| Validator::new(file, reserved, &mut cx).validate(raw));
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
    cx: &'a mut Diagnostics,
    param_names: Vec<String>,
    var_names: Vec<String>,
    step_ids: HashMap<String, usize>,
    /// Output names per main step, for `steps.<id>.<name>`.
    step_outputs: Vec<Vec<String>>,
    needs: Vec<Vec<usize>>,
    /// "Did you mean" searches done so far, per [`SuggestionKind`].
    suggestions: [usize; limits::SUGGESTION_KINDS],
}

impl<'a> Validator<'a> {
    fn new(
        file: &Arc<SourceFile>,
        reserved: &'a [String],
        cx: &'a mut Diagnostics,
    ) -> Validator<'a> {
        Validator {
            file: Arc::clone(file),
            reserved,
            cx,
            param_names: Vec::new(),
            var_names: Vec::new(),
            step_ids: HashMap::new(),
            step_outputs: Vec::new(),
            needs: Vec::new(),
            suggestions: [0; limits::SUGGESTION_KINDS],
        }
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
            } else if !crate::notify::is_topic_arn(notify.value.trim()) {
                self.error(
                    ErrorKind::InvalidValue {
                        what: "`notify` topic".into(),
                        value: notify.value.clone(),
                    },
                    notify.span,
                )
                .set_hint(crate::notify::ARN_HINT);
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
            success_criteria,
            on_failure,
            source: Arc::clone(&self.file),
        })
    }

    /// A parameter whose default is computed from a secret one would carry the secret in clear (journal, plans,
    /// `--help`): it must be secret itself.
    fn secret_in_defaults(&mut self, params: &[Param]) {
        for param in params.iter().filter(|param| !param.secret) {
            let Some(ParamDefault::Template(text)) = &param.default else {
                continue;
            };
            let Ok(references) = template::template_references(&text.source) else {
                continue;
            };
            let read = params.iter().filter(|other| other.secret).find(|secret| {
                let path = format!("params.{}", secret.name);
                references
                    .iter()
                    .any(|r| *r == path || r.starts_with(&format!("{path}.")) || r == "params")
            });
            if let Some(secret) = read {
                self.error(
                    ErrorKind::InvalidDefault {
                        param: param.name.clone(),
                        reason: format!(
                            "it is computed from secret parameter `{}`, and `{}` is not secret",
                            secret.name, param.name
                        ),
                    },
                    text.span,
                )
                .set_hint(format!("add `secret: true` to `{}`", param.name));
            }
        }
    }

    /// A lock key names the lock file, the DynamoDB item and every message about the lock, so it must not read a
    /// secret parameter, nor a var computed from one (what [`crate::taint`] would find at run time).
    fn secret_in_lock(&mut self, lock: &str, span: Span, params: &[Param], vars: &[Var]) {
        let reads =
            |references: &std::collections::BTreeSet<String>, names: &[String]| -> Option<String> {
                references
                    .iter()
                    .find(|path| {
                        names.iter().any(|name| {
                            path.as_str() == name.split('.').next().unwrap_or_default()
                                || *path == name
                                || path.starts_with(&format!("{name}."))
                        })
                    })
                    .cloned()
            };
        let mut secret: Vec<String> = params
            .iter()
            .filter(|param| param.secret)
            .map(|param| format!("params.{}", param.name))
            .collect();
        if secret.is_empty() {
            return;
        }
        for var in vars {
            let mut references = std::collections::BTreeSet::new();
            crate::template::json_template_references(&var.value, &mut references);
            if reads(&references, &secret).is_some() {
                secret.push(format!("vars.{}", var.name));
            }
        }
        let Ok(references) = template::template_references(lock) else {
            return;
        };
        if let Some(path) = reads(&references, &secret) {
            self.error(
                ErrorKind::OutOfScope {
                    name: path,
                    allowed: "templates other than `lock`, because it is secret and a lock key is shown to \
                              everyone (lock files, messages, the DynamoDB lock table)",
                },
                span,
            )
            .set_hint("key the lock on parameters that are not secret, such as the table or the tenant");
        }
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

    fn param(&mut self, index: usize, key: &node::Key, raw: &RawParam) -> Option<Param> {
        let name = &key.name;
        let name_span = Span {
            len: name.len(),
            ..key.span
        };
        if !IDENTIFIER.is_match(name) {
            let suggestion = name.to_lowercase().replace(['-', ' ', '.'], "_");
            self.error(ErrorKind::InvalidParamName { name: name.clone() }, name_span).set_hint(format!(
                "parameter names are lowercase letters, digits and underscores, starting with a letter, such as `{suggestion}`; each becomes a flag"
            ));
        } else if self.reserved.contains(name) {
            self.error(
                ErrorKind::InvalidParamName { name: name.clone() },
                name_span,
            )
            .set_hint(format!(
                "`--{}` is a flag of `runbook run` itself; choose another name",
                name.replace('_', "-")
            ));
        }
        let ty = raw.ty.as_ref()?;
        let constraints = self.constraints(ty.value, raw);
        let required = raw.required.as_ref().is_some_and(|r| r.value);
        if required && raw.default.is_some() {
            self.error(ErrorKind::RequiredWithDefault { param: name.clone() }, raw.required.as_ref().map_or(key.span, |r| r.span))
                .set_hint("remove `required: true` (the default makes the flag optional) or remove the default");
        }
        let default = raw
            .default
            .as_ref()
            .and_then(|node| self.param_default(index, name, ty.value, &constraints, node));
        let secret = raw.secret.as_ref().is_some_and(|s| s.value);
        if secret
            && let (Some(ParamDefault::Value(value)), Some(node)) = (&default, &raw.default)
            && let Some(reason) = crate::secrets::too_short(value)
        {
            self.error(
                ErrorKind::InvalidDefault {
                    param: name.clone(),
                    reason,
                },
                node.span,
            )
            .set_hint("give a longer secret, or none here and pass it in RUNBOOK_PARAM_<NAME> at run time");
        }
        Some(Param {
            name: name.clone(),
            flag: name.replace('_', "-"),
            ty: ty.value,
            required,
            description: raw.description.as_ref().map(|d| d.value.clone()),
            default,
            constraints,
            secret,
            span: key.span,
        })
    }

    fn constraints(&mut self, ty: ParamTypeName, raw: &RawParam) -> Constraints {
        let is_string = ty == ParamTypeName::String;
        let has_length = matches!(ty, ParamTypeName::String | ParamTypeName::List);
        let is_number = matches!(ty, ParamTypeName::Integer | ParamTypeName::Number);
        let not_applicable = |this: &mut Self, key: &'static str, span: Span, applies: bool| {
            if !applies {
                this.error(
                    ErrorKind::ConstraintNotApplicable {
                        key,
                        ty: ty.as_str(),
                    },
                    span,
                )
                .set_hint(match key {
                    "pattern" => "`pattern` applies to strings",
                    "min_length" | "max_length" => "lengths apply to strings and lists",
                    "minimum" | "maximum" => "bounds apply to integers and numbers",
                    _ => "`enum` applies to strings, integers and numbers",
                });
            }
        };
        let mut constraints = Constraints::default();
        if let Some(pattern) = &raw.pattern {
            not_applicable(self, "pattern", pattern.span, is_string);
            // The whole value must match, as in JSON Schema's intent for identifiers: `[a-z]+` must not accept `ABCx`.
            match Regex::new(&format!("^(?:{})$", pattern.value)) {
                Ok(regex) => constraints.pattern = Some(regex),
                Err(error) => {
                    let message = error
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid")
                        .trim()
                        .to_string();
                    self.error(ErrorKind::InvalidPattern { message }, pattern.span)
                        .set_hint(
                            "patterns use Rust regex syntax (no look-around or backreferences)",
                        );
                }
            }
        }
        if let Some(min) = &raw.min_length {
            not_applicable(self, "min_length", min.span, has_length);
            constraints.min_length = Some(min.value);
        }
        if let Some(max) = &raw.max_length {
            not_applicable(self, "max_length", max.span, has_length);
            constraints.max_length = Some(max.value);
        }
        if let Some(min) = &raw.minimum {
            not_applicable(self, "minimum", min.span, is_number);
            constraints.minimum = Some(min.value);
        }
        if let Some(max) = &raw.maximum {
            not_applicable(self, "maximum", max.span, is_number);
            constraints.maximum = Some(max.value);
        }
        if let (Some(min), Some(max)) = (&raw.minimum, &raw.maximum)
            && min.value > max.value
        {
            self.error(
                ErrorKind::OutOfRange {
                    what: "`minimum`".into(),
                    bound: format!("at most `maximum` ({})", max.value),
                },
                min.span,
            )
            .set_hint("swap the bounds");
        }
        if let (Some(min), Some(max)) = (&raw.min_length, &raw.max_length)
            && min.value > max.value
        {
            self.error(
                ErrorKind::OutOfRange {
                    what: "`min_length`".into(),
                    bound: format!("at most `max_length` ({})", max.value),
                },
                min.span,
            )
            .set_hint("swap the bounds");
        }
        if let Some(allowed) = &raw.allowed {
            not_applicable(self, "enum", allowed.span, is_string || is_number);
            let mut values = Vec::new();
            for value in &allowed.value {
                let json = value.to_json();
                if let Err(reason) = param_value::check(ty, &constraints, &json) {
                    self.error(
                        ErrorKind::InvalidValue {
                            what: "`enum` value".into(),
                            value: param_value::display_value(&json),
                        },
                        value.span,
                    )
                    .set_hint(reason);
                }
                values.push(json);
            }
            constraints.allowed = values;
        }
        constraints
    }

    fn param_default(
        &mut self,
        index: usize,
        name: &str,
        ty: ParamTypeName,
        constraints: &Constraints,
        node: &Node,
    ) -> Option<ParamDefault> {
        if let Some(text) = node.as_str().filter(|text| template::is_template(text)) {
            let scope = Scope {
                params: index,
                vars: 0,
                steps: StepsVisible::None,
                output: false,
                item: false,
                run_error: false,
                in_default: true,
            };
            self.template(text, node.span, scope, None);
            return Some(ParamDefault::Template(Text {
                source: text.to_string(),
                span: node.span,
            }));
        }
        let json = node.to_json();
        if let Some(text) = json.as_str() {
            if ty == ParamTypeName::Datetime && crate::datetime::DateTimeSpec::parse(text).is_none()
            {
                self.error(
                    ErrorKind::InvalidDatetime {
                        value: text.to_string(),
                    },
                    node.span,
                )
                .set_hint(crate::datetime::HINT);
                return None;
            }
            if ty == ParamTypeName::Duration && duration::parse(text).is_none() {
                self.error(
                    ErrorKind::InvalidDuration {
                        value: text.to_string(),
                    },
                    node.span,
                )
                .set_hint(duration::HINT);
                return None;
            }
        }
        match param_value::check(ty, constraints, &json) {
            Ok(()) => Some(ParamDefault::Value(json)),
            Err(reason) => {
                self.error(
                    ErrorKind::InvalidDefault {
                        param: name.to_string(),
                        reason,
                    },
                    node.span,
                )
                .set_hint(format!(
                    "the default must be {} that meets the parameter's constraints",
                    param_value::expected_name(ty)
                ));
                None
            }
        }
    }

    fn check_flag_clashes(&mut self, params: &[Param]) {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for param in params {
            let negated =
                (param.ty == ParamTypeName::Boolean).then(|| format!("no-{}", param.flag));
            if negated.as_deref() == Some("no-color") {
                self.cx
                    .error(ErrorKind::InvalidParamName { name: param.name.clone() }, param.span)
                    .set_hint("a boolean `color` would take `--no-color`, a flag of `runbook` itself; choose another name");
            }
            for flag in [Some(param.flag.clone()), negated].into_iter().flatten() {
                if let Some(first) = seen.get(&flag) {
                    self.cx
                        .error(
                            ErrorKind::FlagClash {
                                first: first.to_string(),
                                second: param.name.clone(),
                                flag,
                            },
                            param.span,
                        )
                        .set_hint("rename one of the parameters");
                } else {
                    seen.insert(flag, &param.name);
                }
            }
        }
    }

    /// Records step ids, reporting malformed and duplicate ones, and output names.
    fn index_steps(&mut self, steps: &[RawStep], on_failure: &[RawStep]) {
        let mut first_seen: HashMap<String, Span> = HashMap::new();
        for (index, step) in steps.iter().chain(on_failure).enumerate() {
            let Some(id) = &step.id else { continue };
            if !IDENTIFIER.is_match(&id.value) {
                let suggestion = id.value.to_lowercase().replace(['-', ' ', '.'], "_");
                self.error(ErrorKind::InvalidStepId { id: id.value.clone() }, id.span).set_hint(format!(
                    "step ids are lowercase letters, digits and underscores, starting with a letter, such as `{suggestion}`"
                ));
            }
            if let Some(first) = first_seen.get(&id.value) {
                let line = first.line;
                self.error(
                    ErrorKind::DuplicateStepId {
                        id: id.value.clone(),
                    },
                    id.span,
                )
                .set_hint(format!(
                    "the first is on line {line}; give each step its own id"
                ));
                continue;
            }
            first_seen.insert(id.value.clone(), id.span);
            if index < steps.len() {
                self.step_ids.insert(id.value.clone(), index);
            }
        }
        self.step_outputs = steps
            .iter()
            .map(|step| {
                step.outputs
                    .as_ref()
                    .map(|o| o.0.iter().map(|(k, _)| k.name.clone()).collect())
                    .unwrap_or_default()
            })
            .collect();
    }

    fn resolve_needs(&mut self, steps: &[RawStep]) {
        self.needs = vec![Vec::new(); steps.len()];
        for (index, step) in steps.iter().enumerate() {
            let step_id = step.id.as_ref().map_or("?", |id| id.value.as_str());
            for need in step.needs.iter().flatten() {
                match self.step_ids.get(&need.value) {
                    Some(&target) => self.needs[index].push(target),
                    None => {
                        let hint = self
                            .may_suggest(SuggestionKind::Need)
                            .then(|| {
                                suggest::did_you_mean(
                                    &need.value,
                                    self.step_ids.keys().map(String::as_str),
                                )
                            })
                            .flatten()
                            .unwrap_or_else(|| "`needs` lists ids of steps in `steps`".to_string());
                        self.cx
                            .error(
                                ErrorKind::UnknownNeed {
                                    step: step_id.to_string(),
                                    need: need.value.clone(),
                                },
                                need.span,
                            )
                            .set_hint(hint);
                    }
                }
            }
        }
    }

    /// Finds every cycle through `needs` with an iterative depth-first search (a 100,000-step chain must not
    /// overflow the stack) and reports each with its whole chain.
    fn report_cycles(&mut self, steps: &[RawStep]) {
        const NEW: u8 = 0;
        const ON_STACK: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; steps.len()];
        let id_of = |index: usize| steps[index].id.as_ref().map_or("?", |id| id.value.as_str());
        for start in 0..steps.len() {
            if state[start] != NEW {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = ON_STACK;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&target) = self.needs[node].get(*next) {
                    *next += 1;
                    match state[target] {
                        NEW => {
                            state[target] = ON_STACK;
                            stack.push((target, 0));
                        }
                        ON_STACK => {
                            let from = stack.iter().position(|&(n, _)| n == target).unwrap_or(0);
                            let mut chain: Vec<&str> =
                                stack[from..].iter().map(|&(n, _)| id_of(n)).collect();
                            chain.push(id_of(target));
                            let span = steps[node]
                                .needs
                                .iter()
                                .flatten()
                                .find(|need| need.value == id_of(target))
                                .map_or(Span::NONE, |need| need.span);
                            let chain = chain.join(" -> ");
                            self.error(ErrorKind::Cycle { chain }, span).set_hint(
                                "`a -> b` reads \"a needs b\"; remove one of these needs so the steps can be ordered",
                            );
                        }
                        _ => {}
                    }
                } else {
                    state[node] = DONE;
                    stack.pop();
                }
            }
        }
    }

    /// Whether main step `target` is upstream of main step `from` through `needs`.
    fn is_upstream(&self, from: usize, target: usize) -> bool {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<usize> = self.needs[from].iter().copied().collect();
        while let Some(index) = queue.pop_front() {
            if index == target {
                return true;
            }
            if seen.insert(index) {
                queue.extend(self.needs[index].iter().copied());
            }
        }
        false
    }

    fn step(&mut self, raw: &RawStep, index: Option<usize>) -> Option<Step> {
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
        })
    }

    fn reject_for_approval(&mut self, raw: &RawStep) {
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

    fn action_step(
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
                self.members(spec, node, raw.id.as_ref().map_or(Span::NONE, |i| i.span));
                self.literal_members(spec, node);
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
            .and_then(|verify| self.verify(verify, spec, raw, base, context));
        Some(ActionStep {
            spec,
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
    fn verify(
        &mut self,
        verify: &crate::raw::RawVerify,
        step_spec: &'static ActionSpec,
        raw: &RawStep,
        base: Scope,
        context: Option<&str>,
    ) -> Option<crate::runbook::Verify> {
        let action = verify.action.as_ref()?;
        if step_spec.effect != registry::Effect::Write {
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
        if spec.effect != registry::Effect::Read {
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
                self.members(spec, node, action.span);
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
        Some(crate::runbook::Verify { spec, with, that })
    }

    fn action_spec(&mut self, action: &Spanned<String>) -> Option<&'static ActionSpec> {
        if let Some(spec) = registry::lookup(&action.value) {
            return Some(spec);
        }
        let names: Vec<&'static str> = if self.may_suggest(SuggestionKind::Action) {
            registry::all().map(|spec| spec.name).collect()
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
                let is_write = registry::lookup(found).is_some_and(|spec| spec.effect == registry::Effect::Write);
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

    fn members(&mut self, spec: &'static ActionSpec, with: &Node, step_span: Span) {
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
            // `http.request` is registered as a read so plans may run it; a literal method that changes state
            // belongs to `http.send`, a write. (A templated method is checked when the request is sent.)
            if spec.name == "http.request"
                && key.name == "method"
                && let Value::String(method) = &value.value
                && !template::is_template(method)
                && !["GET", "HEAD", "OPTIONS"].contains(&method.to_ascii_uppercase().as_str())
            {
                self.error(
                    ErrorKind::InvalidValue {
                        what: "`http.request` method".into(),
                        value: method.clone(),
                    },
                    value.span,
                )
                .set_hint(format!(
                    "`http.request` only reads (GET, HEAD, OPTIONS) so that plans may run it; use `action: http.send` for {method}"
                ));
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
    fn at_most(
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

    fn duration(&mut self, text: Option<&Spanned<String>>, default: Duration) -> Duration {
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

    fn expression(
        &mut self,
        text: &Spanned<ExpressionText>,
        scope: Scope,
        step: Option<&str>,
    ) -> Text {
        let source = &text.value.0;
        match template::expression_references(source) {
            Ok(references) => self.references(source, text.span, &references, scope, step),
            Err(error) => self.syntax_error(source, text.span, &error, true),
        }
        Text {
            source: source.clone(),
            span: text.span,
        }
    }

    fn template(&mut self, source: &str, span: Span, scope: Scope, step: Option<&str>) {
        match template::template_references(source) {
            Ok(references) => self.references(source, span, &references, scope, step),
            Err(error) => self.syntax_error(source, span, &error, false),
        }
    }

    fn templates_in(&mut self, node: &Node, scope: Scope, step: Option<&str>) {
        let mut strings = Vec::new();
        node.for_each_string(&mut |text, span| strings.push((text, span)));
        for (text, span) in strings {
            if template::is_template(text) {
                self.template(text, span, scope, step);
            }
        }
    }

    fn syntax_error(&mut self, source: &str, span: Span, error: &SyntaxError, is_expression: bool) {
        let at = error
            .range
            .clone()
            .map_or(span, |range| self.inner_span(source, span, range));
        if error.too_deep {
            let what = if is_expression {
                "expression"
            } else {
                "template"
            };
            self.error(
                ErrorKind::ExpressionTooDeep {
                    what,
                    limit: crate::nesting::MAX_DEPTH,
                },
                at,
            )
            .set_hint("every `not`, filter, member access, operator and bracket adds a level; split the work into `vars` or several steps");
            return;
        }
        let kind = if is_expression {
            ErrorKind::ExpressionSyntax {
                message: error.message.clone(),
            }
        } else {
            ErrorKind::TemplateSyntax {
                message: error.message.clone(),
            }
        };
        let hint = if is_expression {
            "expressions are minijinja (Jinja2) syntax without `{{ }}`, e.g. `output.Table.TableStatus == 'ACTIVE'`"
        } else {
            "templates are minijinja (Jinja2) syntax: `{{ params.table }}`; check that every `{{` has its `}}`"
        };
        self.error(kind, at).set_hint(hint);
    }

    /// The span of `range` (bytes of the template text) inside the YAML scalar at `span`, found by searching the
    /// scalar's source for that text; falls back to the scalar itself (escapes and folding can defeat the search).
    fn inner_span(&self, source: &str, span: Span, range: std::ops::Range<usize>) -> Span {
        let start = range.start.min(source.len());
        let end = range.end.clamp(start, source.len());
        let needle = &source[start..end];
        if needle.trim().is_empty() || !span.is_known() {
            return span;
        }
        let text = &self.file.text;
        let from = span.offset.min(text.len());
        let until = if span.len > 0 {
            (from + span.len).min(text.len())
        } else {
            text[from..].find('\n').map_or(text.len(), |n| from + n)
        };
        // Where the whole source stands in the scalar as written (a plain or simply quoted scalar) places the range
        // exactly; otherwise (escapes, folding) the first occurrence of the range's text is the best guess.
        let found = text.get(from..until).and_then(|scalar| {
            scalar
                .find(source)
                .map(|base| base + start)
                .or_else(|| scalar.find(needle))
        });
        match found {
            Some(found) => Span {
                len: needle.len(),
                ..self.file.span_at(from + found)
            },
            None => span,
        }
    }

    fn span_of_name(&self, source: &str, span: Span, name: &str) -> Span {
        match source.find(name) {
            Some(start) => self.inner_span(source, span, start..start + name.len()),
            None => span,
        }
    }

    fn references(
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

    fn param_reference(&mut self, name: Option<&str>, scope: Scope, at: Span) {
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

    fn var_reference(&mut self, name: Option<&str>, scope: Scope, at: Span) {
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

    fn step_reference(
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

fn names_reserved(name: &str) -> bool {
    name == "output" || name == "status"
}

/// The found type, when a literal (non-template) value cannot be of the member's type.
fn literal_type_mismatch(ty: MemberType, value: &Node) -> Option<&'static str> {
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

fn member_type_phrase(ty: MemberType) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Validates `text` as `t.yaml` and returns (code, line, column) of every error, in file order.
    fn errors(text: &str) -> Vec<(&'static str, u32, u32)> {
        let file = SourceFile::new("t.yaml", text.to_string());
        match load(&file, &[]) {
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
        let diagnostics = load(&file, &[]).unwrap_err();
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
    fn members_are_checked_against_the_registry() {
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
