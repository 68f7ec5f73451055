//! A template (a `with` value, a message) as one JSONata expression whose value equals what the engine's
//! `render` gives: a string that is exactly one `{{ e }}` keeps e's value and type, anything else is text.

use minijinja::machinery::ast::Stmt;

use super::Untranslatable;
use super::expression::{
    Translator, expression, full_range, range, string_literal, syntax, unprintable,
};
use super::scope::Scope;
use super::semantics;
use crate::foundation::template::{environment, is_template, single_expression};

/// A JSONata expression whose value equals what `foundation::template::render` gives for `source`.
pub fn template(source: &str, scope: &Scope) -> Result<String, Untranslatable> {
    if !is_template(source) {
        return Ok(string_literal(source));
    }
    if let Some(inner) = single_expression(source) {
        // `inner` is a slice of `source`: its offset moves the expression's byte ranges back into the template.
        let offset = inner.as_ptr() as usize - source.as_ptr() as usize;
        return expression(inner, scope).map_err(|error| error.shifted(offset));
    }
    // The engine's own syntax settings (delimiters, whitespace rules), so the text between tags is cut the same.
    let parsed = minijinja::machinery::parse(source, "<template>", environment().syntax().clone())
        .map_err(|error| syntax(source, &error))?;
    let Stmt::Template(root) = &parsed else {
        return Err(Untranslatable::new(0..source.len(), "not a template"));
    };
    let translator = Translator { scope };
    let mut pieces = Vec::new();
    for statement in &root.children {
        match statement {
            Stmt::EmitRaw(raw) => pieces.push(string_literal(raw.raw)),
            Stmt::EmitExpr(emit) => {
                let value = translator.expr(&emit.expr)?;
                let text = semantics::text(&value)
                    .ok_or_else(|| unprintable(value.kind, full_range(&emit.expr)))?;
                pieces.push(format!("({text})"));
            }
            other => {
                return Err(Untranslatable::new(
                    statement_range(source, other),
                    "template blocks have no JSONata translation yet; compute the value in an earlier step's \
                     outputs",
                ));
            }
        }
    }
    Ok(match pieces.len() {
        0 => "\"\"".to_string(),
        _ => pieces.join(" & "),
    })
}

/// From the `{%` that opens a statement to the end of what the parser spans.
fn statement_range(source: &str, statement: &Stmt<'_>) -> std::ops::Range<usize> {
    let span = match statement {
        Stmt::ForLoop(s) => s.span(),
        Stmt::IfCond(s) => s.span(),
        Stmt::Set(s) => s.span(),
        Stmt::SetBlock(s) => s.span(),
        Stmt::WithBlock(s) => s.span(),
        Stmt::FilterBlock(s) => s.span(),
        Stmt::AutoEscape(s) => s.span(),
        Stmt::Macro(s) => s.span(),
        Stmt::CallBlock(s) => s.span(),
        Stmt::Do(s) => s.span(),
        Stmt::Include(s) => s.span(),
        Stmt::Extends(s) => s.span(),
        Stmt::Import(s) => s.span(),
        Stmt::FromImport(s) => s.span(),
        Stmt::Block(s) => s.span(),
        Stmt::Template(s) => s.span(),
        Stmt::EmitExpr(s) => s.span(),
        Stmt::EmitRaw(s) => s.span(),
    };
    let at = range(span);
    let start = source[..at.start].rfind("{%").unwrap_or(at.start);
    start..at.end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new().bind("params", "$params")
    }

    #[test]
    fn a_lone_expression_keeps_its_value_and_text_becomes_a_string() {
        assert_eq!(template(" {{ params.n }} ", &scope()).unwrap(), "$params.n");
        assert_eq!(
            template("plain {text}", &scope()).unwrap(),
            r#""plain {text}""#
        );
        assert_eq!(
            template("n={{ 1 + 2 }}!", &scope()).unwrap(),
            r#""n=" & ($string(1 + 2)) & "!""#
        );
    }

    #[test]
    fn refusals_point_into_the_template() {
        let source = "{{ vars.x }}";
        let error = template(source, &scope()).unwrap_err();
        assert_eq!(&source[error.at], "vars");
        let source = "a {% if params.x %}b{% endif %}";
        let error = template(source, &scope()).unwrap_err();
        assert!(source[error.at].starts_with("{% if"), "{source}");
        let source = "avg {{ params.a / 2 }}";
        let error = template(source, &scope()).unwrap_err();
        assert_eq!(&source[error.at], "params.a / 2");
    }
}
