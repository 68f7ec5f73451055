//! One expression of our language (minijinja's expression syntax, as parsed by minijinja itself) as a JSONata
//! expression with the same value.

use minijinja::machinery::ast::{self, BinOpKind, CompareOpKind, Expr, UnaryOpKind};
use minijinja::value::{Value, ValueKind};

use super::Untranslatable;
use super::scope::Scope;
use super::semantics;
use super::translated::{Kind, Translated};

/// A JSONata expression (text without the `{% %}` delimiters) whose value equals our expression's value.
pub fn expression(source: &str, scope: &Scope) -> Result<String, Untranslatable> {
    let parsed =
        minijinja::machinery::parse_expr(source).map_err(|error| syntax(source, &error))?;
    Ok(Translator::new(scope).expr(&parsed)?.text)
}

/// A fault minijinja's parser found; the validator reports these first, so this is rarely seen.
pub(super) fn syntax(source: &str, error: &minijinja::Error) -> Untranslatable {
    let at = error.range().unwrap_or(0..source.len());
    let detail = error.detail().unwrap_or("the syntax is not valid");
    Untranslatable::new(at, format!("it does not parse: {detail}"))
}

/// The byte range of a node in the parsed text.
pub(super) fn range(span: minijinja::machinery::Span) -> std::ops::Range<usize> {
    span.start_offset as usize..span.end_offset as usize
}

/// The byte range of a whole expression: the parser's span of `a.b[0]` starts at its last postfix, so it is
/// widened to the start of the value the postfixes apply to.
pub(super) fn full_range(expr: &Expr<'_>) -> std::ops::Range<usize> {
    let end = expr.span().end_offset as usize;
    let start = match expr {
        Expr::GetAttr(attribute) => full_range(&attribute.expr).start,
        Expr::GetItem(item) => full_range(&item.expr).start,
        Expr::Slice(slice) => full_range(&slice.expr).start,
        Expr::Call(call) => full_range(&call.expr).start,
        Expr::Filter(filter) => filter
            .expr
            .as_ref()
            .map_or(expr.span().start_offset as usize, |e| full_range(e).start),
        Expr::Test(test) => full_range(&test.expr).start,
        other => other.span().start_offset as usize,
    };
    start.min(end)..end
}

pub(super) struct Translator<'a> {
    pub scope: &'a Scope,
    /// Names a template binds (`{% set %}`, a `for` loop's variables), innermost last, with the JSONata variable
    /// that holds each and what is known of its kind.
    pub locals: Vec<(String, Translated)>,
    /// The innermost `for` loop's index and list variables, for `loop.index0` and the like.
    pub current_loop: Option<(String, String)>,
}

impl<'a> Translator<'a> {
    pub(super) fn new(scope: &'a Scope) -> Translator<'a> {
        Translator {
            scope,
            locals: Vec::new(),
            current_loop: None,
        }
    }

    /// The same translator with `name` bound to `value` for what follows.
    pub(super) fn with_local(&self, name: &str, value: Translated) -> Translator<'a> {
        let mut locals = self.locals.clone();
        locals.push((name.to_string(), value));
        Translator {
            scope: self.scope,
            locals,
            current_loop: self.current_loop.clone(),
        }
    }

    pub(super) fn expr(&self, expr: &Expr<'_>) -> Result<Translated, Untranslatable> {
        let at = full_range(expr);
        match expr {
            Expr::Var(var) => self.variable(var.id, at),
            Expr::Const(constant) => literal(&constant.value, at),
            Expr::GetAttr(attribute) => {
                if let (Expr::Var(var), Some((index, list))) = (&attribute.expr, &self.current_loop)
                    && var.id == "loop"
                    && !self.locals.iter().any(|(name, _)| name == "loop")
                {
                    return loop_attribute(attribute.name, index, list, at);
                }
                let base = self.expr(&attribute.expr)?;
                Ok(member(&base, attribute.name, at)?)
            }
            Expr::GetItem(item) => self.item(item, at),
            Expr::UnaryOp(unary) => {
                let operand = self.expr(&unary.expr)?;
                Ok(match unary.op {
                    UnaryOpKind::Not => Translated::atom(
                        format!("$not({})", semantics::truthy(&operand)),
                        Kind::Bool,
                    ),
                    UnaryOpKind::Neg => {
                        if !matches!(operand.kind, Kind::Int | Kind::Float | Kind::Unknown) {
                            return Err(Untranslatable::new(at, "only a number can be negated"));
                        }
                        Translated::new(format!("-{}", operand.operand()), operand.kind)
                    }
                })
            }
            Expr::BinOp(binary) => self.binary(binary, at),
            Expr::Compare(chain) => {
                // `a < b < c` is `a < b and b < c`, each operand read once per comparison it is part of.
                let mut left = self.expr(&chain.expr)?;
                let mut parts = Vec::new();
                for op in &chain.ops {
                    let right = self.expr(&op.expr)?;
                    parts.push(format!(
                        "({})",
                        compare(op.op, &left, &right, at.clone())?.text
                    ));
                    left = right;
                }
                Ok(Translated::new(parts.join(" and "), Kind::Bool))
            }
            Expr::IfExpr(conditional) => {
                let test = self.expr(&conditional.test_expr)?;
                let when_true = self.expr(&conditional.true_expr)?;
                let Some(false_expr) = &conditional.false_expr else {
                    return Err(Untranslatable::new(
                        at,
                        "`x if c` without `else` is undefined when c is false; write the `else` value",
                    ));
                };
                let when_false = self.expr(false_expr)?;
                Ok(Translated::atom(
                    format!(
                        "({} ? {} : {})",
                        semantics::truthy(&test),
                        when_true.text,
                        when_false.text
                    ),
                    when_true.kind.either(when_false.kind),
                ))
            }
            Expr::Test(test) => self.test(test, range(expr.span())),
            Expr::List(list) => self.list(&list.items),
            Expr::Tuple(tuple) => self.list(&tuple.items),
            Expr::Map(map) => self.map(map),
            Expr::Filter(filter) => self.filter(filter, range(expr.span())),
            Expr::Call(call) => self.call(call, at),
            Expr::Slice(slice) => self.slice(slice, at),
        }
    }

    fn variable(
        &self,
        name: &str,
        at: std::ops::Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        if let Some((_, value)) = self.locals.iter().rev().find(|(local, _)| local == name) {
            return Ok(value.clone());
        }
        if name == "loop" && self.current_loop.is_some() {
            return Err(Untranslatable::new(
                at,
                "of `loop`, only `loop.index0`, `loop.index`, `loop.first`, `loop.last` and `loop.length` are \
                 translated",
            ));
        }
        match self.scope.get(name) {
            Some(text) => Ok(Translated::atom(text, Kind::Unknown)),
            None => {
                let known: Vec<String> = self.scope.names().map(|n| format!("`{n}`")).collect();
                Err(Untranslatable::new(
                    at,
                    format!(
                        "`{name}` has no value in this Step Functions state (it can read {}); compute it in an \
                         earlier step's outputs",
                        if known.is_empty() {
                            "nothing".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ))
            }
        }
    }

    fn item(
        &self,
        item: &ast::GetItem<'_>,
        at: std::ops::Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        let base = self.expr(&item.expr)?;
        // `[-1]` is a negation of a constant to the parser.
        let Some(subscript) = item.subscript_expr.as_const() else {
            // A computed key or index: JSONata's `[]` would read a string as a condition, so a key is looked up
            // with `$lookup` and only a number indexes.
            let key = self.expr(&item.subscript_expr)?;
            let text = match key.kind {
                Kind::Int if base.kind == Kind::List => format!("{}[{}]", base.operand(), key.text),
                Kind::Int => by_position(&base.text, &key.text),
                Kind::String => format!("$lookup({}, {})", base.text, key.text),
                Kind::Unknown => format!(
                    "function($jinjaValue, $jinjaKey){{$type($jinjaKey) = \"string\" ? $lookup($jinjaValue, $jinjaKey) \
                     : {}}}({}, {})",
                    by_position("$jinjaValue", "$jinjaKey"),
                    base.text,
                    key.text
                ),
                _ => {
                    return Err(Untranslatable::new(
                        full_range(&item.subscript_expr),
                        "a subscript is a string key or an integer index",
                    ));
                }
            };
            return Ok(Translated::atom(text, Kind::Unknown));
        };
        if let Some(key) = subscript.as_str() {
            return member(&base, key, at);
        }
        match subscript.as_i64() {
            Some(index) if subscript.kind() == ValueKind::Number && subscript.is_integer() => {
                if matches!(base.kind, Kind::String | Kind::Map) {
                    return Err(Untranslatable::new(
                        at,
                        "only a list is indexed by position in JSONata",
                    ));
                }
                let text = if base.kind == Kind::List {
                    format!("{}[{index}]", base.operand())
                } else {
                    by_position(&base.text, &index.to_string())
                };
                Ok(Translated::atom(text, Kind::Unknown))
            }
            _ => Err(Untranslatable::new(
                full_range(&item.subscript_expr),
                "a subscript is a string key or an integer index",
            )),
        }
    }

    /// `x[a:b]` with constant bounds (or none) and no step: the members (or characters) from a to before b,
    /// negative bounds counting from the end, as Python slices.
    fn slice(
        &self,
        slice: &ast::Slice<'_>,
        at: std::ops::Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        if slice.step.is_some() {
            return Err(Untranslatable::new(
                at,
                "a slice with a step has no JSONata translation",
            ));
        }
        // Python's rule: a negative bound counts from the end, and both are clamped to the length; none is the
        // default. A computed bound is passed in beside the value (`$jinjaStart`, `$jinjaStop`) and read so when
        // the slice is taken.
        let mut computed = Vec::new();
        let mut bound = |expr: &Option<Expr<'_>>,
                         name: &str,
                         default: &str|
         -> Result<String, Untranslatable> {
            let Some(expr) = expr else {
                return Ok(default.to_string());
            };
            if let Some(n) = expr
                .as_const()
                .filter(|c| c.is_integer())
                .and_then(|c| c.as_i64())
            {
                return Ok(if n < 0 {
                    format!("$max([0, $jinjaLength - {}])", -n)
                } else {
                    format!("$min([$jinjaLength, {n}])")
                });
            }
            let value = self.expr(expr)?;
            if !matches!(value.kind, Kind::Int | Kind::Null | Kind::Unknown) {
                return Err(Untranslatable::new(
                    full_range(expr),
                    "a slice's bounds must be integers",
                ));
            }
            computed.push((name.to_string(), value.text));
            Ok(format!(
                "({name} = null ? {default} : {name} != $floor({name}) ? $error(\"a slice's bound must be an integer\") : \
                 {name} < 0 ? $max([0, $jinjaLength + {name}]) : $min([$jinjaLength, {name}]))"
            ))
        };
        let from = bound(&slice.start, "$jinjaStart", "0")?;
        let to = bound(&slice.stop, "$jinjaStop", "$jinjaLength")?;
        let value = self.expr(&slice.expr)?;
        let item = Translated::atom("$jinjaItem", Kind::Unknown);
        let text = format!(
            "function($jinjaValue{}){{$type($jinjaValue) = \"string\" ? function($jinjaLength){{$substring($jinjaValue, \
             {from}, $max([0, {to} - {from}]))}}($length($jinjaValue)) : function($jinjaLength){{$reduce($jinjaValue, \
             function($jinjaList, $jinjaItem, $jinjaIndex){{$jinjaIndex >= {from} and $jinjaIndex < {to} ? \
             $append($jinjaList, {}) : $jinjaList}}, [])}}($count($jinjaValue))}}({}{})",
            computed
                .iter()
                .map(|(name, _)| format!(", {name}"))
                .collect::<String>(),
            semantics::singleton_list(&item),
            value.text,
            computed
                .iter()
                .map(|(_, text)| format!(", {text}"))
                .collect::<String>(),
        );
        let kind = match value.kind {
            Kind::String => Kind::String,
            Kind::List => Kind::List,
            _ => Kind::Unknown,
        };
        Ok(Translated::atom(text, kind))
    }

    fn binary(
        &self,
        binary: &ast::BinOp<'_>,
        at: std::ops::Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        let left = self.expr(&binary.left)?;
        let right = self.expr(&binary.right)?;
        let both_numbers = left.kind.is_number() && right.kind.is_number();
        // A float on either side makes the result a float whenever it is a number at all.
        let number_kind = if left.kind == Kind::Int && right.kind == Kind::Int {
            Kind::Int
        } else if left.kind == Kind::Float || right.kind == Kind::Float {
            Kind::Float
        } else {
            Kind::Unknown
        };
        let arithmetic = |op: &str| -> Result<Translated, Untranslatable> {
            for side in [&left, &right] {
                if !matches!(side.kind, Kind::Int | Kind::Float | Kind::Unknown) {
                    return Err(Untranslatable::new(
                        at.clone(),
                        format!(
                            "`{op}` on a value that is not a number has no JSONata translation"
                        ),
                    ));
                }
            }
            Ok(Translated::new(
                format!("{} {op} {}", left.operand(), right.operand()),
                number_kind,
            ))
        };
        match binary.op {
            BinOpKind::Eq
            | BinOpKind::Ne
            | BinOpKind::Lt
            | BinOpKind::Lte
            | BinOpKind::Gt
            | BinOpKind::Gte => {
                let op = match binary.op {
                    BinOpKind::Eq => CompareOpKind::Eq,
                    BinOpKind::Ne => CompareOpKind::Ne,
                    BinOpKind::Lt => CompareOpKind::Lt,
                    BinOpKind::Lte => CompareOpKind::Lte,
                    BinOpKind::Gt => CompareOpKind::Gt,
                    _ => CompareOpKind::Gte,
                };
                compare(op, &left, &right, at)
            }
            BinOpKind::In => compare(CompareOpKind::In, &left, &right, at),
            BinOpKind::ScAnd | BinOpKind::ScOr => {
                let and = matches!(binary.op, BinOpKind::ScAnd);
                let kind = if left.kind == Kind::Bool && right.kind == Kind::Bool {
                    Kind::Bool
                } else {
                    left.kind.either(right.kind)
                };
                let text = semantics::short_circuit(&left, &right, and);
                Ok(if kind == Kind::Bool {
                    Translated::new(text, kind)
                } else {
                    Translated::atom(text, kind)
                })
            }
            BinOpKind::Add => match (left.kind, right.kind) {
                // minijinja adds two strings or two lists and nothing else but numbers.
                (Kind::String, Kind::String | Kind::Unknown) | (Kind::Unknown, Kind::String) => {
                    Ok(Translated::new(
                        format!("{} & {}", left.operand(), right.operand()),
                        Kind::String,
                    ))
                }
                (Kind::List, Kind::List | Kind::Unknown) | (Kind::Unknown, Kind::List) => {
                    Ok(Translated::atom(
                        format!("$append({}, {})", left.text, right.text),
                        Kind::List,
                    ))
                }
                (Kind::Unknown, Kind::Unknown) => Ok(Translated::atom(
                    format!(
                        "function($jinjaLeft, $jinjaRight){{$type($jinjaLeft) = \"string\" and $type($jinjaRight) = \
                         \"string\" ? $jinjaLeft & $jinjaRight : $type($jinjaLeft) = \"array\" and \
                         $type($jinjaRight) = \"array\" ? $append($jinjaLeft, $jinjaRight) : \
                         $jinjaLeft + $jinjaRight}}({}, {})",
                        left.text, right.text
                    ),
                    Kind::Unknown,
                )),
                _ => arithmetic("+"),
            },
            BinOpKind::Sub => arithmetic("-"),
            BinOpKind::Mul => arithmetic("*"),
            BinOpKind::Div => {
                // minijinja divides as floats, whatever the operands.
                let mut divided = arithmetic("/")?;
                divided.kind = Kind::Float;
                Ok(divided)
            }
            BinOpKind::FloorDiv => {
                arithmetic("/")?;
                Ok(Translated::atom(
                    format!("$floor({} / {})", left.operand(), right.operand()),
                    number_kind,
                ))
            }
            BinOpKind::Rem => {
                arithmetic("%")?;
                Ok(Translated::atom(
                    semantics::floor_modulo(&left, &right),
                    number_kind,
                ))
            }
            BinOpKind::Pow => {
                arithmetic("**")?;
                // An integer to a negative integer power is a float in minijinja.
                let kind = match &binary.right {
                    Expr::Const(c)
                        if number_kind == Kind::Int && c.value.as_i64().is_some_and(|n| n >= 0) =>
                    {
                        Kind::Int
                    }
                    _ if both_numbers => Kind::Float,
                    _ => Kind::Unknown,
                };
                Ok(Translated::atom(
                    format!("$power({}, {})", left.text, right.text),
                    kind,
                ))
            }
            BinOpKind::Concat => {
                let printed = |side: &Translated, node: &Expr<'_>| {
                    semantics::text(side).ok_or_else(|| unprintable(side.kind, full_range(node)))
                };
                Ok(Translated::new(
                    format!(
                        "{} & {}",
                        parenthesized(&printed(&left, &binary.left)?),
                        parenthesized(&printed(&right, &binary.right)?)
                    ),
                    Kind::String,
                ))
            }
        }
    }

    fn list(&self, items: &[Expr<'_>]) -> Result<Translated, Untranslatable> {
        let items = items
            .iter()
            .map(|item| self.expr(item))
            .collect::<Result<Vec<_>, _>>()?;
        let spliced = |item: &Translated| matches!(item.kind, Kind::List | Kind::Unknown);
        if !items.iter().any(spliced) {
            let texts: Vec<&str> = items.iter().map(|item| item.text.as_str()).collect();
            return Ok(Translated::atom(
                format!("[{}]", texts.join(", ")),
                Kind::List,
            ));
        }
        // JSONata's `[a, b]` splices a list-valued a into the result; build it from one-member lists instead.
        let mut singletons = items.iter().map(semantics::singleton_list);
        let first = singletons.next().unwrap_or_else(|| "[]".into());
        let text = singletons.fold(first, |list, next| format!("$append({list}, {next})"));
        Ok(Translated::atom(text, Kind::List))
    }

    fn map(&self, map: &ast::Map<'_>) -> Result<Translated, Untranslatable> {
        let mut members = Vec::with_capacity(map.keys.len());
        for (key, value) in map.keys.iter().zip(&map.values) {
            let Some(name) = key.as_const().and_then(|k| k.as_str().map(str::to_string)) else {
                return Err(Untranslatable::new(
                    full_range(key),
                    "a mapping's key must be a constant string to be translated",
                ));
            };
            let value = self.expr(value)?;
            members.push(format!("{}: {}", string_literal(&name), value.text));
        }
        Ok(Translated::atom(
            format!("{{{}}}", members.join(", ")),
            Kind::Map,
        ))
    }
}

/// `loop.index0` and its kin, from the loop's index and list variables.
fn loop_attribute(
    name: &str,
    index: &str,
    list: &str,
    at: std::ops::Range<usize>,
) -> Result<Translated, Untranslatable> {
    Ok(match name {
        "index0" => Translated::atom(index, Kind::Int),
        "index" => Translated::new(format!("{index} + 1"), Kind::Int),
        "first" => Translated::new(format!("{index} = 0"), Kind::Bool),
        "last" => Translated::new(format!("{index} = $count({list}) - 1"), Kind::Bool),
        "length" => Translated::atom(format!("$count({list})"), Kind::Int),
        _ => {
            return Err(Untranslatable::new(
                at,
                format!(
                    "`loop.{name}` is not translated; use loop.index0, index, first, last or length"
                ),
            ));
        }
    })
}

/// `base.name`, with the name quoted where JSONata would read it as something else.
pub(super) fn member(
    base: &Translated,
    name: &str,
    at: std::ops::Range<usize>,
) -> Result<Translated, Untranslatable> {
    if matches!(
        base.kind,
        Kind::Bool | Kind::Int | Kind::Float | Kind::String | Kind::Null | Kind::List
    ) {
        return Err(Untranslatable::new(
            at,
            format!("`{name}` is read from a value that is not a mapping"),
        ));
    }
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(
            name,
            "and" | "or" | "in" | "true" | "false" | "null" | "function"
        );
    let field = if plain {
        name.to_string()
    } else if name.contains('`') {
        return Err(Untranslatable::new(
            at,
            "a key with a backquote has no JSONata path",
        ));
    } else {
        format!("`{name}`")
    };
    Ok(Translated::atom(
        format!("{}.{field}", base.operand()),
        Kind::Unknown,
    ))
}

fn compare(
    op: CompareOpKind,
    left: &Translated,
    right: &Translated,
    at: std::ops::Range<usize>,
) -> Result<Translated, Untranslatable> {
    let symbol = match op {
        CompareOpKind::Eq => "=",
        CompareOpKind::Ne => "!=",
        CompareOpKind::Lt => "<",
        CompareOpKind::Lte => "<=",
        CompareOpKind::Gt => ">",
        CompareOpKind::Gte => ">=",
        CompareOpKind::In => {
            return Ok(Translated::new(
                semantics::contains(left, right),
                Kind::Bool,
            ));
        }
        CompareOpKind::NotIn => {
            return Ok(Translated::atom(
                format!("$not({})", semantics::contains(left, right)),
                Kind::Bool,
            ));
        }
    };
    if symbol != "=" && symbol != "!=" {
        // JSONata orders numbers with numbers and strings with strings only, and stops on anything else; minijinja
        // orders every pair of values. Where both are known, refuse what JSONata would stop on.
        let orderable =
            |kind: Kind| matches!(kind, Kind::Int | Kind::Float | Kind::String | Kind::Unknown);
        let mixed = left.kind != Kind::Unknown
            && right.kind != Kind::Unknown
            && left.kind.is_number() != right.kind.is_number();
        if !orderable(left.kind) || !orderable(right.kind) || mixed {
            return Err(Untranslatable::new(
                at,
                "JSONata orders only two numbers or two strings",
            ));
        }
    }
    Ok(Translated::new(
        format!("{} {symbol} {}", left.operand(), right.operand()),
        Kind::Bool,
    ))
}

fn literal(value: &Value, at: std::ops::Range<usize>) -> Result<Translated, Untranslatable> {
    Ok(match value.kind() {
        ValueKind::None => Translated::atom("null", Kind::Null),
        ValueKind::Bool => {
            Translated::atom(if value.is_true() { "true" } else { "false" }, Kind::Bool)
        }
        ValueKind::String => Translated::atom(
            string_literal(value.as_str().unwrap_or_default()),
            Kind::String,
        ),
        ValueKind::Number if value.is_integer() => {
            let text = value.to_string();
            if text
                .parse::<i64>()
                .is_ok_and(|n| n.unsigned_abs() <= 1 << 53)
            {
                Translated::atom(text, Kind::Int)
            } else {
                return Err(Untranslatable::new(
                    at,
                    "JSONata's numbers hold integers up to 2^53 exactly",
                ));
            }
        }
        ValueKind::Number => {
            let number = f64::try_from(value.clone()).unwrap_or(f64::NAN);
            if !number.is_finite() {
                return Err(Untranslatable::new(at, "not a number JSONata can hold"));
            }
            Translated::atom(format!("{number:?}"), Kind::Float)
        }
        // Constant lists and mappings are folded by the parser only in some cases; JSON writes them the same.
        ValueKind::Seq | ValueKind::Map => {
            let json = serde_json::to_string(value).map_err(|e| {
                Untranslatable::new(at.clone(), format!("this constant is not JSON: {e}"))
            })?;
            let kind = if value.kind() == ValueKind::Seq {
                Kind::List
            } else {
                Kind::Map
            };
            Translated::atom(json, kind)
        }
        _ => return Err(Untranslatable::new(at, "this constant has no JSON form")),
    })
}

/// A JSONata string literal: JSON's syntax, which JSONata reads the same.
pub(super) fn string_literal(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn parenthesized(text: &str) -> String {
    format!("({text})")
}

pub(super) fn unprintable(kind: Kind, at: std::ops::Range<usize>) -> Untranslatable {
    let reason = match kind {
        Kind::Float => {
            "a computed fraction prints with up to 17 digits and `2.0` for two locally, and with 15 and `2` in \
             JSONata; print `| int` or `| round(n)` of it"
        }
        _ => {
            "a list or a mapping prints in the local engine's own syntax, which JSONata has no function for; \
              print its members or `| to_json`"
        }
    };
    Untranslatable::new(at, reason)
}

/// `value[index]` where `value` may be a string: Jinja gives the character there (negative counts from the end),
/// while JSONata's `[]` on a string gives the whole string, so a value not known to be a list is tested first.
fn by_position(value: &str, index: &str) -> String {
    format!(
        "function($jinjaIndexed, $jinjaPosition){{$type($jinjaIndexed) = \"string\" ? \
         $substring($jinjaIndexed, $jinjaPosition, 1) : $jinjaIndexed[$jinjaPosition]}}({value}, {index})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new()
            .bind("params", "$params")
            .bind("output", "$states.result")
            .bind("steps", "$steps")
    }

    fn translated(source: &str) -> String {
        expression(source, &scope()).unwrap_or_else(|e| panic!("{source}: {e:?}"))
    }

    /// The refused part of the source and the reason.
    fn refused(source: &str) -> (String, String) {
        let error = expression(source, &scope()).unwrap_err();
        (source[error.at].to_string(), error.reason)
    }

    #[test]
    fn references_follow_the_scope_and_quote_what_jsonata_would_misread() {
        assert_eq!(translated("params.table"), "$params.table");
        // Not known to be a list, so a string is indexed by character as Jinja does.
        assert_eq!(
            translated("output.Versions[0].Version"),
            format!("{}.Version", by_position("$states.result.Versions", "0"))
        );
        assert_eq!(
            translated("output.Versions[-1]"),
            by_position("$states.result.Versions", "-1")
        );
        assert_eq!(translated("[1, 2][-1]"), "[1, 2][-1]");
        assert_eq!(translated("output['Max-Age']"), "$states.result.`Max-Age`");
        assert_eq!(translated("steps.a.output.in"), "$steps.a.output.`in`");
    }

    #[test]
    fn an_unknown_root_is_refused_naming_what_the_state_can_read() {
        let (at, reason) = refused("params.a == vars.b");
        assert_eq!(at, "vars");
        assert!(reason.contains("`params`, `steps`"), "{reason}");
        assert!(reason.contains("earlier step's outputs"), "{reason}");
    }

    #[test]
    fn literals_are_json() {
        assert_eq!(translated(r#"'it\'s "q"'"#), r#""it's \"q\"""#);
        assert_eq!(translated("1.5"), "1.5");
        assert_eq!(translated("none"), "null");
        assert_eq!(translated("[1, 'a', true]"), r#"[1, "a", true]"#);
        assert_eq!(translated("{'a': 1}"), r#"{"a": 1}"#);
    }

    #[test]
    fn a_list_literal_with_values_of_unknown_type_is_built_without_splicing() {
        let text = translated("[params.a, 1]");
        assert!(text.starts_with("$append(function($jinjaValue)"), "{text}");
        assert!(text.ends_with(", [1])"), "{text}");
    }

    #[test]
    fn comparisons_and_boolean_logic_of_booleans_are_plain() {
        assert_eq!(translated("params.a == 'x'"), r#"$params.a = "x""#);
        assert_eq!(
            translated("not (params.a != 1 or params.b < 2) and params.c >= 3"),
            "$not(($params.a != 1) or ($params.b < 2)) and ($params.c >= 3)"
        );
        assert_eq!(
            translated("1 < params.a < 3"),
            "(1 < $params.a) and ($params.a < 3)"
        );
    }

    #[test]
    fn truthiness_and_short_circuits_of_other_values_follow_jinja() {
        let text = translated("params.a or 'default'");
        assert!(
            text.starts_with(
                "function($jinjaLeft){function($jinjaValue){$type($jinjaValue) = \"array\""
            ),
            "{text}"
        );
        assert!(
            text.ends_with(r#" ? $jinjaLeft : "default"}($params.a)"#),
            "{text}"
        );
        assert_eq!(translated("not 0"), "$not(0 != 0)");
        assert_eq!(
            translated("'a' if params.flag == 1 else 'b'"),
            r#"($params.flag = 1 ? "a" : "b")"#
        );
    }

    #[test]
    fn in_chooses_by_the_container_s_type() {
        assert_eq!(translated("'a' in ['a', 'b']"), r#""a" in ["a", "b"]"#);
        assert_eq!(translated("'ab' in 'cab'"), r#"$contains("cab", "ab")"#);
        assert_eq!(translated("'k' in {'k': 1}"), r#""k" in $keys({"k": 1})"#);
        assert!(
            translated("'a' not in params.names")
                .starts_with("$not(function($jinjaNeedle, $jinjaHaystack)")
        );
    }

    #[test]
    fn arithmetic_keeps_jinja_s_rules() {
        assert_eq!(translated("params.a + 1"), "$params.a + 1");
        assert_eq!(translated("-params.a * 2"), "(-$params.a) * 2");
        assert_eq!(translated("params.a // 2"), "$floor($params.a / 2)");
        assert_eq!(translated("2 ** 10"), "$power(2, 10)");
        assert!(translated("params.a % 3").contains("$floor($jinjaLeft / $jinjaRight)"));
        assert_eq!(translated("'a' + 'b'"), r#""a" & "b""#);
        assert!(translated("params.a + params.b").contains("$append($jinjaLeft, $jinjaRight)"));
    }

    #[test]
    fn concatenation_prints_as_jinja_prints() {
        assert_eq!(translated("'n=' ~ 3"), r#"("n=") & ($string(3))"#);
        assert_eq!(
            translated("'b=' ~ true"),
            r#"("b=") & ((true ? "True" : "False"))"#
        );
        assert!(translated("'v=' ~ params.v").contains(r#"$type($jinjaValue) = "null" ? "None""#));
    }

    #[test]
    fn tests_of_none_and_definedness() {
        assert_eq!(translated("params.a is none"), "$params.a = null");
        assert_eq!(translated("params.a is not none"), "$not($params.a = null)");
        assert_eq!(translated("params.a is defined"), "$exists($params.a)");
        assert_eq!(
            translated("params.a is undefined"),
            "$not($exists($params.a))"
        );
    }

    #[test]
    fn what_has_no_faithful_translation_is_refused_at_its_position() {
        let (at, reason) = refused("params.a if params.b");
        assert_eq!(at, "params.a if params.b");
        assert!(reason.contains("else"), "{reason}");
        let (at, reason) = refused("output.Items[1.5:]");
        assert_eq!(at, "1.5");
        assert!(reason.contains("integers"), "{reason}");
        let (at, reason) = refused("1 < 'a'");
        assert_eq!(at, "1 < 'a'");
        assert!(reason.contains("two numbers or two strings"), "{reason}");
        let (at, reason) = refused("'x=' ~ (1 / 3)");
        assert_eq!(at, "1 / 3");
        assert!(reason.contains("15"), "{reason}");
        let (at, _) = refused("'x=' ~ [1]");
        assert_eq!(at, "[1]");
        let (at, _) = refused("output.Items[1::2]");
        assert_eq!(at, "output.Items[1::2]");
        let (_, reason) = refused("params.a ==");
        assert!(reason.starts_with("it does not parse"), "{reason}");
    }
}
