//! A template (a `with` value, a message) as one JSONata expression whose value equals what the engine's
//! `render` gives: a string that is exactly one `{{ e }}` keeps e's value and type, anything else is text.

use minijinja::machinery::ast::{Expr, Stmt};

use super::Untranslatable;
use super::expression::{
    Translator, expression, full_range, range, string_literal, syntax, unprintable,
};
use super::scope::Scope;
use super::semantics;
use super::translated::{Kind, Translated};
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
    Blocks { source, depth: 0 }.text(&Translator::new(scope), &root.children, &Vec::new())
}

/// The JSONata variables that hold a `namespace()`: their names start so.
const NAMESPACE_PREFIX: &str = "$jinjaNs";

/// Namespaces a block changes that were made before it, so outlive it: each as the key it travels under beside the
/// block's text and the variable that holds it.
type Carried = Vec<(String, String)>;

/// The JSONata variable holding the namespace `name`, when `name` is one.
fn namespace_variable(translator: &Translator<'_>, name: &str) -> Option<String> {
    translator
        .locals
        .iter()
        .rev()
        .find(|(local, _)| local == name)
        .map(|(_, value)| value.text.clone())
        .filter(|variable| variable.starts_with(NAMESPACE_PREFIX))
}

fn is_namespace_call(expr: &Expr<'_>) -> bool {
    matches!(expr, Expr::Call(call) if matches!(&call.expr, Expr::Var(var) if var.id == "namespace"))
}

/// The targets of the `{% set %}`s in `bodies` and in the `if`s within them, and in the `for`s within them when
/// `into_loops`.
fn set_targets<'x>(
    bodies: impl IntoIterator<Item = &'x Vec<Stmt<'x>>>,
    into_loops: bool,
) -> Vec<&'x Expr<'x>> {
    fn walk<'a>(statements: &'a [Stmt<'a>], into_loops: bool, found: &mut Vec<&'a Expr<'a>>) {
        for statement in statements {
            match statement {
                Stmt::Set(set) => found.push(&set.target),
                Stmt::IfCond(condition) => {
                    walk(&condition.true_body, into_loops, found);
                    walk(&condition.false_body, into_loops, found);
                }
                Stmt::ForLoop(for_loop) if into_loops => {
                    walk(&for_loop.body, into_loops, found);
                    walk(&for_loop.else_body, into_loops, found);
                }
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    for body in bodies {
        walk(body, into_loops, &mut found);
    }
    found
}

/// The namespaces, known to `translator`, that `bodies` set attributes of (in nested blocks too).
fn carried_out<'x>(
    translator: &Translator<'_>,
    bodies: impl IntoIterator<Item = &'x Vec<Stmt<'x>>>,
) -> Carried {
    let found = set_targets(bodies, true)
        .into_iter()
        .filter_map(|target| match target {
            Expr::GetAttr(attribute) => match &attribute.expr {
                Expr::Var(namespace) => Some(namespace.id),
                _ => None,
            },
            _ => None,
        });
    let mut carried: Carried = Vec::new();
    for name in found {
        if let Some(variable) = namespace_variable(translator, name)
            && !carried.iter().any(|(_, known)| *known == variable)
        {
            carried.push((variable.trim_start_matches('$').to_string(), variable));
        }
    }
    carried
}

/// The names a plain `{% set name = … %}` in `bodies` (and in `if`s within them) gives a value: an `if` is no
/// scope in the engine, so they keep it after the `if`; a `for` is one, so the sets in its body stay there.
fn plain_sets<'x>(bodies: impl IntoIterator<Item = &'x Vec<Stmt<'x>>>) -> Vec<&'x str> {
    set_targets(bodies, false)
        .into_iter()
        .filter_map(|target| match target {
            Expr::Var(name) => Some(name.id),
            _ => None,
        })
        .collect()
}

/// Whether `text` (the template after a block) may read `name`: any mention as a whole word that is not an
/// attribute (`x.name`). Erring on the side of "yes" refuses a template that would have translated, never the
/// other way round.
fn is_read(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(|c| word(c) || c == '.') && !after.is_some_and(word)
    })
}

/// `{"text": text, key: $variable, …}`: a body's text and the namespaces it carries out.
fn carried_object(text: &str, carried: &Carried) -> String {
    let members: Vec<String> = carried
        .iter()
        .map(|(key, variable)| format!(", \"{key}\": {variable}"))
        .collect();
    format!("{{\"text\": {text}{}}}", members.concat())
}

/// The namespaces' variables bound to their values in `object` (a carried object).
fn rebind(carried: &Carried, object: &str) -> String {
    carried
        .iter()
        .map(|(key, variable)| format!("{variable} := {object}.{key}; "))
        .collect()
}

/// A carried object with `text` before its text; `text` is evaluated outside it, before its bindings.
fn prefixed(text: &str, object: &str) -> String {
    format!(
        "function($jinjaRest){{$merge([$jinjaRest, {{\"text\": {text} & $jinjaRest.text}}])}}({object})"
    )
}

/// Pieces of text as one JSONata expression.
fn joined(mut pieces: Vec<String>) -> String {
    match pieces.len() {
        0 => "\"\"".to_string(),
        1 => pieces.remove(0),
        _ => format!("({})", pieces.join(" & ")),
    }
}

/// The statements of a template, as a JSONata expression giving the text they render.
struct Blocks<'s> {
    source: &'s str,
    /// How many `for` loops and `set`s enclose the statements, to name their JSONata variables apart.
    depth: usize,
}

impl Blocks<'_> {
    fn nested(&self) -> Blocks<'_> {
        Blocks {
            source: self.source,
            depth: self.depth + 1,
        }
    }

    /// The text `statements` render, as a JSONata expression; when `carried` names namespaces the statements
    /// change, an object instead: `{"text": …}` and each namespace's value after them under its key.
    fn text(
        &self,
        translator: &Translator<'_>,
        statements: &[Stmt<'_>],
        carried: &Carried,
    ) -> Result<String, Untranslatable> {
        let mut pieces = Vec::new();
        // What renders after a statement that binds a name (the rest of the body, inside the binding's block).
        let mut tail = None;
        for (position, statement) in statements.iter().enumerate() {
            let rest = &statements[position + 1..];
            match statement {
                Stmt::EmitRaw(raw) => pieces.push(string_literal(raw.raw)),
                // `{{ x if c }}` prints nothing when c is false: what an `if` without `else` gives prints empty.
                Stmt::EmitExpr(emit) if matches!(&emit.expr, Expr::IfExpr(e) if e.false_expr.is_none()) =>
                {
                    let Expr::IfExpr(conditional) = &emit.expr else {
                        unreachable!()
                    };
                    let test = translator.expr(&conditional.test_expr)?;
                    let value = translator.expr(&conditional.true_expr)?;
                    let text = semantics::text(&value).ok_or_else(|| {
                        unprintable(value.kind, full_range(&conditional.true_expr))
                    })?;
                    pieces.push(format!("({} ? ({text}) : \"\")", semantics::truthy(&test)));
                }
                Stmt::EmitExpr(emit) => {
                    let value = translator.expr(&emit.expr)?;
                    let text = semantics::text(&value)
                        .ok_or_else(|| unprintable(value.kind, full_range(&emit.expr)))?;
                    pieces.push(format!("({text})"));
                }
                Stmt::IfCond(condition) => {
                    // The text after the whole block, `{% endif %}` included.
                    let after = range(condition.span()).end.min(self.source.len());
                    if let Some(name) = plain_sets([&condition.true_body, &condition.false_body])
                        .into_iter()
                        .find(|name| is_read(&self.source[after..], name))
                    {
                        return Err(Untranslatable::new(
                            statement_range(self.source, statement),
                            format!(
                                "`{{% set {name} = … %}}` inside `{{% if %}}` keeps its value after the `if` in the \
                                 engine (an `if` is no scope), which the translation does not carry out; set it after \
                                 the `if` instead: `{{% set {name} = … if … else {name} %}}`"
                            ),
                        ));
                    }
                    let changed =
                        carried_out(translator, [&condition.true_body, &condition.false_body]);
                    let test = semantics::truthy(&translator.expr(&condition.expr)?);
                    let when_true = self.text(translator, &condition.true_body, &changed)?;
                    let when_false = self.text(translator, &condition.false_body, &changed)?;
                    let step = format!("({test} ? {when_true} : {when_false})");
                    if changed.is_empty() {
                        pieces.push(step);
                    } else {
                        tail = Some(self.after(translator, &step, &changed, rest, carried)?);
                        break;
                    }
                }
                Stmt::ForLoop(for_loop) => {
                    let changed = carried_out(translator, [&for_loop.body, &for_loop.else_body]);
                    let step = self.for_loop(translator, statement, for_loop, &changed)?;
                    if changed.is_empty() {
                        pieces.push(step);
                    } else {
                        tail = Some(self.after(translator, &step, &changed, rest, carried)?);
                        break;
                    }
                }
                Stmt::Set(set) => {
                    tail = Some(self.set(translator, statement, set, rest, carried)?);
                    break;
                }
                other => {
                    return Err(Untranslatable::new(
                        statement_range(self.source, other),
                        "this template block has no JSONata translation; compute the value in an earlier step's \
                         outputs",
                    ));
                }
            }
        }
        if carried.is_empty() {
            pieces.extend(tail);
            return Ok(joined(pieces));
        }
        Ok(match tail {
            None => carried_object(&joined(pieces), carried),
            Some(tail) if pieces.is_empty() => tail,
            Some(tail) => prefixed(&joined(pieces), &tail),
        })
    }

    /// `{% set name = … %}` binds the name for the rest of the body; `{% set ns.name = … %}` gives the namespace
    /// `ns` a new value with that attribute for the rest of the body.
    fn set(
        &self,
        translator: &Translator<'_>,
        statement: &Stmt<'_>,
        set: &minijinja::machinery::ast::Set<'_>,
        rest: &[Stmt<'_>],
        carried: &Carried,
    ) -> Result<String, Untranslatable> {
        let value = translator.expr(&set.expr)?;
        match &set.target {
            Expr::Var(target) => {
                let variable = if is_namespace_call(&set.expr) {
                    format!("{NAMESPACE_PREFIX}{}{}", self.depth, target.id)
                } else {
                    format!("$jinjaSet{}{}", self.depth, target.id)
                };
                let held = Translated {
                    text: variable.clone(),
                    atomic: true,
                    ..value.clone()
                };
                let rest =
                    self.nested()
                        .text(&translator.with_local(target.id, held), rest, carried)?;
                Ok(format!("({variable} := {}; {rest})", value.text))
            }
            Expr::GetAttr(attribute) => {
                let Some(variable) = (match &attribute.expr {
                    Expr::Var(namespace) => namespace_variable(translator, namespace.id),
                    _ => None,
                }) else {
                    return Err(Untranslatable::new(
                        statement_range(self.source, statement),
                        "an attribute is set only on a `namespace()`",
                    ));
                };
                let rest = self.nested().text(translator, rest, carried)?;
                Ok(format!(
                    "({variable} := $merge([{variable}, {{{}: {}}}]); {rest})",
                    string_literal(attribute.name),
                    value.text
                ))
            }
            _ => Err(Untranslatable::new(
                statement_range(self.source, statement),
                "only `{% set name = ... %}` and `{% set namespace.name = ... %}` are translated",
            )),
        }
    }

    /// The rest of a body after a block (`step`) that changed namespaces: they are bound to their new values, and
    /// the block's text comes first.
    fn after(
        &self,
        translator: &Translator<'_>,
        step: &str,
        changed: &Carried,
        rest: &[Stmt<'_>],
        carried: &Carried,
    ) -> Result<String, Untranslatable> {
        let rebound = rebind(changed, "$jinjaStep");
        let rest = self.nested().text(translator, rest, carried)?;
        let rest = if carried.is_empty() {
            format!("$jinjaStep.text & {rest}")
        } else {
            prefixed("$jinjaStep.text", &rest)
        };
        Ok(format!("function($jinjaStep){{({rebound}{rest})}}({step})"))
    }

    /// `{% for x in xs %}…{% else %}…{% endfor %}`: the body's text for each member, joined.
    fn for_loop(
        &self,
        translator: &Translator<'_>,
        statement: &Stmt<'_>,
        for_loop: &minijinja::machinery::ast::ForLoop<'_>,
        carried: &Carried,
    ) -> Result<String, Untranslatable> {
        if for_loop.filter_expr.is_some() || for_loop.recursive {
            return Err(Untranslatable::new(
                statement_range(self.source, statement),
                "a `for` with `if` or `recursive` is not translated; filter the list with `select` or `selectattr`",
            ));
        }
        let list = semantics::iterable(&translator.expr(&for_loop.iter)?);
        let depth = self.depth;
        let (item, index, members) = (
            format!("$jinjaFor{depth}"),
            format!("$jinjaIndex{depth}"),
            format!("$jinjaList{depth}"),
        );
        let mut body_translator = match &for_loop.target {
            Expr::Var(var) => {
                translator.with_local(var.id, Translated::atom(item.clone(), Kind::Unknown))
            }
            // A group of `groupby` is a mapping in JSONata, read by `.grouper` and `.list` only.
            Expr::List(_) if matches!(&for_loop.iter, Expr::Filter(filter) if filter.name == "groupby") =>
            {
                return Err(Untranslatable::new(
                    full_range(&for_loop.target),
                    "a group of `groupby` is not unpacked; read `group.grouper` and `group.list`",
                ));
            }
            // `for name, value in ...` unpacks each member: the parser writes the names as a list.
            Expr::List(names) => {
                let mut bound = translator.with_local("", Translated::atom("", Kind::Unknown));
                for (position, name) in names.items.iter().enumerate() {
                    let Expr::Var(var) = name else {
                        return Err(Untranslatable::new(
                            full_range(name),
                            "only names are unpacked",
                        ));
                    };
                    bound = bound.with_local(
                        var.id,
                        Translated::atom(format!("{item}[{position}]"), Kind::Unknown),
                    );
                }
                bound
            }
            other => {
                return Err(Untranslatable::new(
                    full_range(other),
                    "only names are bound by `for`",
                ));
            }
        };
        body_translator.current_loop = Some((index.clone(), members.clone()));
        let body = self
            .nested()
            .text(&body_translator, &for_loop.body, carried)?;
        // The namespaces the body changes travel from one member to the next beside the text.
        let joined = if carried.is_empty() {
            format!(
                "$reduce({members}, function($jinjaText, {item}, {index}){{$jinjaText & {body}}}, \"\")"
            )
        } else {
            format!(
                "$reduce({members}, function($jinjaCarried, {item}, {index}){{({}{})}}, {})",
                rebind(carried, "$jinjaCarried"),
                prefixed("$jinjaCarried.text", &body),
                carried_object("\"\"", carried)
            )
        };
        let otherwise = if for_loop.else_body.is_empty() {
            if carried.is_empty() {
                "\"\"".to_string()
            } else {
                carried_object("\"\"", carried)
            }
        } else {
            self.text(translator, &for_loop.else_body, carried)?
        };
        Ok(format!(
            "function({members}){{$count({members}) = 0 ? {otherwise} : {joined}}}({list})"
        ))
    }
}

/// The tag that opens a statement, from its `{%` to its `%}`.
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
    let end = source[at.start..]
        .find("%}")
        .map_or(at.end, |close| at.start + close + 2);
    start..end
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
            r#"("n=" & ($string(1 + 2)) & "!")"#
        );
    }

    #[test]
    fn blocks_become_conditionals_reductions_and_bindings() {
        let text = template(
            "{% if params.a %}x{% elif params.b %}y{% endif %}",
            &scope(),
        )
        .unwrap();
        assert!(
            text.contains(r#"? "x" : "#) && text.contains(r#"? "y" : """#),
            "{text}"
        );
        let text = template(
            "{% for x in params.xs %}{{ loop.index }}{% endfor %}",
            &scope(),
        )
        .unwrap();
        assert!(text.contains("$jinjaIndex0 + 1"), "{text}");
        assert!(
            text.contains("$reduce($jinjaList0, function($jinjaText, $jinjaFor0, $jinjaIndex0)"),
            "{text}"
        );
        let text = template("{% set n = params.a %}{{ n }}", &scope()).unwrap();
        assert!(text.starts_with("($jinjaSet0n := $params.a; "), "{text}");
    }

    #[test]
    fn refusals_point_into_the_template() {
        let source = "{{ vars.x }}";
        let error = template(source, &scope()).unwrap_err();
        assert_eq!(&source[error.at], "vars");
        let source = "a {% for x in params.xs if x %}b{% endfor %}";
        let error = template(source, &scope()).unwrap_err();
        assert!(source[error.at].starts_with("{% for"), "{source}");
        let source = "avg {{ params.a / 2 }}";
        let error = template(source, &scope()).unwrap_err();
        assert_eq!(&source[error.at], "params.a / 2");
    }
}
