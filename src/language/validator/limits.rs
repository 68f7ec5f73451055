//! What the validator refuses so that whatever validated runs without surprise, and what it bounds so that a
//! hostile file costs little to refuse.
//!
//! Values written as literals that the engine would only reject at run time (a `core.sleep` of `forever`, an
//! `http.request` that POSTs, a `for_each` over `5`, a timeout of a billion days) are refused here with their
//! position. And since a file of 2,000 mistakes must be answered as fast as a file of one, the expensive part of a
//! diagnostic, the "did you mean" search, is done for the first few of each kind only.

use std::time::Duration;

use crate::foundation::diagnostic::ErrorKind;
use crate::foundation::duration;
use crate::foundation::node::{Node, Value};
use crate::foundation::template;
use crate::language::action_shape::{ActionShape, LiteralRule, Member};
use crate::language::from_node::{ExpressionText, Spanned};

use super::Validator;

/// How many unknown needs and unknown actions get a "did you mean" search; the rest get the general hint. Each
/// search compares against every step id or action name, so without a cap the cost grows with the square of the
/// file.
pub(super) const MAX_SUGGESTIONS: usize = 20;

/// The longest duration a runbook may write (a timeout, an interval, a sleep): far beyond any procedure, and far
/// from where adding it to a clock overflows.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);

impl Validator<'_> {
    /// Whether the next "did you mean" search of this kind is still within the budget; counts it.
    pub(super) fn may_suggest(&mut self, kind: SuggestionKind) -> bool {
        let used = &mut self.suggestions[kind as usize];
        *used += 1;
        *used <= MAX_SUGGESTIONS
    }

    /// A duration written in the runbook that is longer than [`MAX_DURATION`]; reported, and the limit returned.
    pub(super) fn bounded_duration(
        &mut self,
        text: &Spanned<String>,
        parsed: Duration,
    ) -> Duration {
        if parsed <= MAX_DURATION {
            return parsed;
        }
        self.error(
            ErrorKind::OutOfRange {
                what: format!("`{}`", text.value),
                bound: format!("at most {}", duration::format(MAX_DURATION)),
            },
            text.span,
        )
        .set_hint("no step waits that long; give a realistic duration such as 30m or 2h");
        MAX_DURATION
    }

    /// Whether a member's literal value obeys the rule its action states for it ([`LiteralRule`]); a value that
    /// breaks it is reported, and the caller checks nothing more of it. A templated value is checked at run time.
    pub(super) fn literal_obeys_its_rule(
        &mut self,
        action: &ActionShape,
        member: &Member,
        value: &Node,
    ) -> bool {
        let Value::String(text) = &value.value else {
            return true;
        };
        if template::is_template(text) {
            return true;
        }
        match member.literal {
            LiteralRule::Any => true,
            LiteralRule::Duration => {
                let written = Spanned {
                    value: text.clone(),
                    span: value.span,
                };
                match duration::parse(text) {
                    Some(parsed) => {
                        self.bounded_duration(&written, parsed);
                    }
                    None => {
                        self.error(
                            ErrorKind::InvalidDuration {
                                value: text.clone(),
                            },
                            value.span,
                        )
                        .set_hint(duration::HINT);
                    }
                }
                // A duration is a string either way: its type is still worth checking.
                true
            }
            LiteralRule::ReadOnlyMethod { otherwise } => {
                if ["GET", "HEAD", "OPTIONS"].contains(&text.to_ascii_uppercase().as_str()) {
                    return true;
                }
                self.error(
                    ErrorKind::InvalidValue {
                        what: format!("`{}` {}", action.name, member.name),
                        value: text.clone(),
                    },
                    value.span,
                )
                .set_hint(format!(
                    "`{}` only reads (GET, HEAD, OPTIONS) so that plans may run it; use `action: {otherwise}` for {text}",
                    action.name
                ));
                false
            }
        }
    }

    /// A `for_each` that reads nothing is a constant: evaluate it now, and refuse it unless it is a list.
    pub(super) fn constant_for_each(&mut self, items: &Spanned<ExpressionText>) {
        let source = &items.value.0;
        let Ok(references) = template::expression_references(source) else {
            // The syntax error is reported on its own.
            return;
        };
        if !references.is_empty() {
            return;
        }
        let empty = template::from_json_value(&serde_json::json!({}));
        let Ok(value) = template::evaluate(source, &empty) else {
            return;
        };
        let is_list = matches!(
            value.kind(),
            minijinja::value::ValueKind::Seq | minijinja::value::ValueKind::Iterable
        );
        if !is_list {
            self.error(
                ErrorKind::WrongType {
                    what: "`for_each`".into(),
                    expected: "a list",
                    found: json_kind(&value),
                },
                items.span,
            )
            .set_hint("`for_each` runs the step once per item of a list, such as `[a, b]` or `params.tables`");
        }
    }
}

/// The kinds of diagnostic whose hints search for a suggestion, each with its own budget.
#[derive(Clone, Copy)]
pub(super) enum SuggestionKind {
    Need = 0,
    Action = 1,
}

pub(super) const SUGGESTION_KINDS: usize = 2;

fn json_kind(value: &minijinja::Value) -> &'static str {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => "null",
        ValueKind::Bool => "a boolean",
        ValueKind::Number => "a number",
        ValueKind::String => "a string",
        ValueKind::Map => "a mapping",
        _ => "a value that is not a list",
    }
}
