//! Templates and expressions: syntax errors placed at the character, then every name they read.

use crate::foundation::diagnostic::ErrorKind;
use crate::foundation::node::Node;
use crate::foundation::source::Span;
use crate::foundation::template::{self, SyntaxError};
use crate::language::from_node::{ExpressionText, Spanned};
use crate::language::runbook::Text;

use super::*;

impl Validator<'_> {
    pub(super) fn expression(
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

    pub(super) fn template(&mut self, source: &str, span: Span, scope: Scope, step: Option<&str>) {
        match template::template_references(source) {
            Ok(references) => self.references(source, span, &references, scope, step),
            Err(error) => self.syntax_error(source, span, &error, false),
        }
    }

    pub(super) fn templates_in(&mut self, node: &Node, scope: Scope, step: Option<&str>) {
        let mut strings = Vec::new();
        node.for_each_string(&mut |text, span| strings.push((text, span)));
        for (text, span) in strings {
            if template::is_template(text) {
                self.template(text, span, scope, step);
            }
        }
    }

    pub(super) fn syntax_error(
        &mut self,
        source: &str,
        span: Span,
        error: &SyntaxError,
        is_expression: bool,
    ) {
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
                    limit: crate::foundation::nesting::MAX_DEPTH,
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
    pub(super) fn inner_span(
        &self,
        source: &str,
        span: Span,
        range: std::ops::Range<usize>,
    ) -> Span {
        // The template engine's byte range may cut a multi-byte character (a file decoded with U+FFFD for its bad
        // bytes did, found by the `load` fuzz target): widen it to whole characters.
        let mut start = range.start.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = range.end.clamp(start, source.len());
        while !source.is_char_boundary(end) {
            end += 1;
        }
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

    pub(super) fn span_of_name(&self, source: &str, span: Span, name: &str) -> Span {
        match source.find(name) {
            Some(start) => self.inner_span(source, span, start..start + name.len()),
            None => span,
        }
    }
}
