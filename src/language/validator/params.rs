//! Parameters and variables: names, types, constraints, defaults, and where secrets may not go.

use std::collections::HashMap;

use regex::Regex;

use crate::foundation::diagnostic::ErrorKind;
use crate::foundation::duration;
use crate::foundation::node::{self, Node};
use crate::foundation::source::Span;
use crate::foundation::template;
use crate::language::param_value;
use crate::language::raw::{ParamTypeName, RawParam};
use crate::language::runbook::{Constraints, Param, ParamDefault, Text, Var};

use super::*;

impl Validator<'_> {
    /// A parameter whose default is computed from a secret one would carry the secret in clear (journal, plans,
    /// `--help`): it must be secret itself.
    pub(super) fn secret_in_defaults(&mut self, params: &[Param]) {
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
    /// secret parameter, nor a var computed from one (what [`crate::foundation::taint`] would find at run time).
    pub(super) fn secret_in_lock(
        &mut self,
        lock: &str,
        span: Span,
        params: &[Param],
        vars: &[Var],
    ) {
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
            crate::foundation::template::json_template_references(&var.value, &mut references);
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

    pub(super) fn param(&mut self, index: usize, key: &node::Key, raw: &RawParam) -> Option<Param> {
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
            && let Some(reason) = crate::foundation::secrets::too_short(value)
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

    pub(super) fn constraints(&mut self, ty: ParamTypeName, raw: &RawParam) -> Constraints {
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

    pub(super) fn param_default(
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
            if ty == ParamTypeName::Datetime
                && crate::foundation::datetime::DateTimeSpec::parse(text).is_none()
            {
                self.error(
                    ErrorKind::InvalidDatetime {
                        value: text.to_string(),
                    },
                    node.span,
                )
                .set_hint(crate::foundation::datetime::HINT);
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

    pub(super) fn check_flag_clashes(&mut self, params: &[Param]) {
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
}
