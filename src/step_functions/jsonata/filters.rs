//! Filters (`x | int`), tests (`x is none`) and functions (`now()`) of our language as JSONata: minijinja's
//! built-ins our runbooks use and our own (`to_epoch`, `pick`, `add_duration`, ...), each reproducing the
//! engine's result, or refused with the reason.

use std::ops::Range;

use minijinja::machinery::ast::{self, CallArg, Expr};

use super::Untranslatable;
use super::expression::{Translator, full_range, string_literal, unprintable};
use super::semantics;
use super::translated::{Kind, Translated};

/// How `foundation::datetime::format_rfc3339` writes an instant, up to its fraction of a second.
const RFC3339_SECONDS: &str = "\"[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]\"";

/// The characters Rust's `char::is_whitespace` accepts (Unicode's White_Space), as a regular expression's class
/// that JavaScript's and Python's regular expressions read alike (their own `\\s` differ from it and each other).
const UNICODE_WHITESPACE: &str =
    r"[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// A filter's or a test's arguments, split as minijinja passes them.
struct Arguments<'x, 'a> {
    positional: Vec<&'x Expr<'a>>,
    named: Vec<(&'a str, &'x Expr<'a>)>,
}

impl<'x, 'a> Arguments<'x, 'a> {
    fn read(args: &'x [CallArg<'a>], at: &Range<usize>) -> Result<Self, Untranslatable> {
        let mut read = Arguments {
            positional: Vec::new(),
            named: Vec::new(),
        };
        for arg in args {
            match arg {
                CallArg::Pos(expr) => read.positional.push(expr),
                CallArg::Kwarg(name, expr) => read.named.push((name, expr)),
                CallArg::PosSplat(_) | CallArg::KwargSplat(_) => {
                    return Err(Untranslatable::new(
                        at.clone(),
                        "`*args` and `**kwargs` are not translated",
                    ));
                }
            }
        }
        Ok(read)
    }

    /// Refuses any argument past the first `positional` ones, or any named one but `allowed`.
    fn at_most(
        &self,
        positional: usize,
        allowed: &[&str],
        what: &str,
        at: &Range<usize>,
    ) -> Result<(), Untranslatable> {
        let extra_named = self.named.iter().find(|(name, _)| !allowed.contains(name));
        if self.positional.len() > positional || extra_named.is_some() {
            return Err(Untranslatable::new(
                at.clone(),
                format!("`{what}` with these arguments has no JSONata translation"),
            ));
        }
        Ok(())
    }

    fn named(&self, name: &str) -> Option<&'x Expr<'a>> {
        self.named.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }
}

/// A constant string argument (a test's or a filter's name, an attribute).
fn constant_string(expr: &Expr<'_>, what: &str) -> Result<String, Untranslatable> {
    expr.as_const()
        .and_then(|value| value.as_str().map(str::to_string))
        .ok_or_else(|| {
            Untranslatable::new(
                full_range(expr),
                format!("{what} must be a constant string to be translated"),
            )
        })
}

fn refuse(at: &Range<usize>, reason: impl Into<String>) -> Untranslatable {
    Untranslatable::new(at.clone(), reason)
}

impl Translator<'_> {
    pub(super) fn filter(
        &self,
        filter: &ast::Filter<'_>,
        at: Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        let Some(input) = &filter.expr else {
            return Err(refuse(&at, "a filter block has no JSONata translation"));
        };
        let args = Arguments::read(&filter.args, &at)?;
        if filter.name == "format" {
            return self.format(input, &args, at);
        }
        let value = self.expr(input)?;
        self.apply_filter(filter.name, &value, &args, at)
    }

    /// `"%-20s %s" | format(a, b)`: printf's `%s` with an optional width (`-` to pad on the right) and `%%`.
    fn format(
        &self,
        input: &Expr<'_>,
        args: &Arguments<'_, '_>,
        at: Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        args.at_most(args.positional.len(), &[], "format", &at)?;
        let Some(pattern) = input
            .as_const()
            .and_then(|c| c.as_str().map(str::to_string))
        else {
            return Err(refuse(
                &full_range(input),
                "`format` is translated for a constant format text",
            ));
        };
        let mut values = args.positional.iter();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                literal.push('%');
                continue;
            }
            let left = chars.next_if_eq(&'-').is_some();
            let mut width = String::new();
            while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                width.push(digit);
            }
            if chars.next() != Some('s') {
                return Err(refuse(
                    &full_range(input),
                    "of printf's conversions only `%s`, `%Ns` and `%-Ns` are translated",
                ));
            }
            let Some(value) = values.next() else {
                return Err(refuse(
                    &at,
                    "`format` has fewer values than its text has `%s`",
                ));
            };
            let value = self.expr(value)?;
            let text =
                semantics::text(&value).ok_or_else(|| unprintable(value.kind, at.clone()))?;
            if !literal.is_empty() {
                pieces.push(string_literal(&std::mem::take(&mut literal)));
            }
            pieces.push(match width.parse::<u32>() {
                Ok(width) if left => format!("$pad({text}, {width})"),
                Ok(width) => format!("$pad({text}, -{width})"),
                Err(_) => format!("({text})"),
            });
        }
        if values.next().is_some() {
            return Err(refuse(
                &at,
                "`format` has more values than its text has `%s`",
            ));
        }
        if !literal.is_empty() || pieces.is_empty() {
            pieces.push(string_literal(&literal));
        }
        Ok(Translated::new(pieces.join(" & "), Kind::String))
    }

    fn apply_filter(
        &self,
        name: &str,
        value: &Translated,
        args: &Arguments<'_, '_>,
        at: Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        let v = &value.text;
        let lambda = |body: &str| format!("function($jinjaValue){{{body}}}({v})");
        let simple = |what: &str| args.at_most(0, &[], what, &at);
        Ok(match name {
            "int" => {
                simple("int")?;
                let truncate = "($jinjaNumber < 0 ? $ceil($jinjaNumber) : $floor($jinjaNumber))";
                let text = match value.kind {
                    Kind::Int => v.clone(),
                    _ => lambda(&format!(
                        "$type($jinjaValue) = \"boolean\" ? ($jinjaValue ? 1 : 0) : $type($jinjaValue) = \"null\" ? 0 : \
                         function($jinjaNumber){{{truncate}}}($type($jinjaValue) = \"string\" ? $number($jinjaValue) : \
                         $jinjaValue)"
                    )),
                };
                Translated::atom(text, Kind::Int)
            }
            "float" => {
                simple("float")?;
                let text = lambda(
                    "$type($jinjaValue) = \"boolean\" ? ($jinjaValue ? 1 : 0) : $type($jinjaValue) = \"null\" ? 0 : \
                     $type($jinjaValue) = \"string\" ? $number($jinjaValue) : $jinjaValue",
                );
                Translated::atom(text, Kind::Float)
            }
            "string" => {
                simple("string")?;
                let text =
                    semantics::text(value).ok_or_else(|| unprintable(value.kind, at.clone()))?;
                Translated::atom(format!("({text})"), Kind::String)
            }
            "length" | "count" => {
                simple(name)?;
                let text = match value.kind {
                    Kind::String => format!("$length({v})"),
                    Kind::List => format!("$count({v})"),
                    Kind::Map => format!("$count($keys({v}))"),
                    _ => lambda(
                        "$type($jinjaValue) = \"string\" ? $length($jinjaValue) : $type($jinjaValue) = \"object\" ? \
                         $count($keys($jinjaValue)) : $type($jinjaValue) = \"array\" ? $count($jinjaValue) : \
                         $error(\"length of a value that is not a list, a mapping or a string\")",
                    ),
                };
                Translated::atom(text, Kind::Int)
            }
            "first" | "last" => {
                simple(name)?;
                let index = if name == "first" { 0 } else { -1 };
                let text = match value.kind {
                    Kind::List => format!("{}[{index}]", value.operand()),
                    _ => lambda(&format!(
                        "$type($jinjaValue) = \"string\" ? {} : $type($jinjaValue) = \"object\" ? \
                         $keys($jinjaValue)[{index}] : $jinjaValue[{index}]",
                        if index == 0 {
                            "$substring($jinjaValue, 0, 1)"
                        } else {
                            "$substring($jinjaValue, -1)"
                        }
                    )),
                };
                Translated::atom(text, Kind::Unknown)
            }
            "list" => {
                simple("list")?;
                Translated::atom(semantics::iterable(value), Kind::List)
            }
            "abs" => {
                simple("abs")?;
                Translated::atom(
                    format!("$abs({v})"),
                    if value.kind.is_number() {
                        value.kind
                    } else {
                        Kind::Unknown
                    },
                )
            }
            "round" => self.round(value, args, &at)?,
            "max" | "min" => {
                simple(name)?;
                // JSONata's `$max` takes numbers only; minijinja also orders strings (ignoring case), which
                // JSONata refuses rather than answers differently.
                Translated::atom(
                    format!("${name}({})", semantics::iterable(value)),
                    Kind::Unknown,
                )
            }
            "sum" => self.sum(value, args, &at)?,
            "table" => self.table(value, args, &at)?,
            // Tuples of the members at the same position, as many as the shortest has (JSONata's `$zip`).
            "zip" => {
                args.at_most(args.positional.len(), &[], "zip", &at)?;
                if args.positional.is_empty() {
                    return Err(refuse(&at, "`zip` needs a list to pair with"));
                }
                let mut lists = vec![semantics::iterable(value)];
                for other in &args.positional {
                    lists.push(semantics::iterable(&self.expr(other)?));
                }
                Translated::atom(format!("$zip({})", lists.join(", ")), Kind::List)
            }
            "percentile" => {
                args.at_most(1, &[], "percentile", &at)?;
                let Some(p) = args.positional.first() else {
                    return Err(refuse(&at, "`percentile` needs the percentile"));
                };
                let p = self.expr(p)?;
                // The nearest rank, as foundation::template's `percentile`: the smallest value with at least p% of
                // the values at or below it; none for no values.
                Translated::atom(
                    format!(
                        "function($jinjaValues, $jinjaP){{$jinjaP > 0 and $jinjaP <= 100 ? ($count($jinjaValues) = 0 ? \
                         null : function($jinjaSorted){{$jinjaSorted[$max([1, $min([$count($jinjaSorted), \
                         $ceil($jinjaP / 100 * $count($jinjaSorted))])]) - 1]}}($sort($jinjaValues))) : \
                         $error(\"percentile needs 0 < p <= 100\")}}({}, {})",
                        semantics::iterable(value),
                        p.text
                    ),
                    Kind::Float,
                )
            }
            "join" => {
                args.at_most(1, &[], "join", &at)?;
                let separator = match args.positional.first() {
                    Some(expr) => self.expr(expr)?.text,
                    None => "\"\"".into(),
                };
                let item = Translated::atom("$jinjaItem", Kind::Unknown);
                let printed = semantics::text(&item).unwrap_or_default();
                Translated::atom(
                    format!(
                        "$reduce({}, function($jinjaText, $jinjaItem, $jinjaIndex){{$jinjaText & ($jinjaIndex > 0 ? \
                         {separator} : \"\") & ({printed})}}, \"\")",
                        semantics::iterable(value)
                    ),
                    Kind::String,
                )
            }
            "default" | "d" => {
                args.at_most(2, &[], "default", &at)?;
                let fallback = match args.positional.first() {
                    Some(expr) => self.expr(expr)?,
                    None => Translated::atom("\"\"", Kind::String),
                };
                let lax = match args.positional.get(1) {
                    None => false,
                    Some(flag) => flag.as_const().map(|c| c.is_true()).ok_or_else(|| {
                        refuse(
                            &full_range(flag),
                            "default's second argument must be a constant",
                        )
                    })?,
                };
                let keep = if lax {
                    format!("$exists({v}) and ({})", semantics::truthy(value))
                } else {
                    format!("$exists({v})")
                };
                Translated::atom(
                    format!("({keep} ? {v} : {})", fallback.text),
                    value.kind.either(fallback.kind),
                )
            }
            "map" => self.map_filter(value, args, &at)?,
            "select" | "reject" => {
                let list = semantics::iterable(value);
                let item = Translated::atom("$jinjaItem", Kind::Unknown);
                let condition = match args.positional.first() {
                    None => semantics::truthy(&item),
                    Some(test) => {
                        let test = constant_string(test, "the test's name")?;
                        let test_args = args.positional[1..]
                            .iter()
                            .map(|e| self.expr(e))
                            .collect::<Result<Vec<_>, _>>()?;
                        test_text(&test, &item, &test_args, &at)?
                    }
                };
                args.at_most(args.positional.len(), &[], name, &at)?;
                let condition = if name == "reject" {
                    format!("$not({condition})")
                } else {
                    condition
                };
                Translated::atom(semantics::keep(&list, &condition), Kind::List)
            }
            "selectattr" | "rejectattr" => {
                args.at_most(args.positional.len(), &[], name, &at)?;
                let Some(attribute) = args.positional.first() else {
                    return Err(refuse(&at, format!("`{name}` needs an attribute")));
                };
                let item = self.attribute(attribute, &at)?;
                let condition = match args.positional.get(1) {
                    None => semantics::truthy(&item),
                    Some(test) => {
                        let test = constant_string(test, "the test's name")?;
                        let test_args = args.positional[2..]
                            .iter()
                            .map(|e| self.expr(e))
                            .collect::<Result<Vec<_>, _>>()?;
                        test_text(&test, &item, &test_args, &at)?
                    }
                };
                let condition = if name == "rejectattr" {
                    format!("$not({condition})")
                } else {
                    condition
                };
                Translated::atom(
                    semantics::keep(&semantics::iterable(value), &condition),
                    Kind::List,
                )
            }
            "items" => {
                simple("items")?;
                let pair = Translated::atom(
                    format!(
                        "$append([$jinjaItem], {})",
                        semantics::singleton_list(&Translated::atom(
                            "$lookup($jinjaValue, $jinjaItem)",
                            Kind::Unknown
                        ))
                    ),
                    Kind::List,
                );
                Translated::atom(
                    lambda(&format!(
                        "$type($jinjaValue) = \"object\" ? {} : $error(\"items of a value that is not a mapping\")",
                        semantics::collect("$append([], $keys($jinjaValue))", &pair)
                    )),
                    Kind::List,
                )
            }
            "to_json" | "tojson" => {
                simple(name)?;
                if value.kind == Kind::Float {
                    return Err(unprintable(Kind::Float, at));
                }
                Translated::atom(semantics::json_text(value), Kind::String)
            }
            "from_json" => {
                simple("from_json")?;
                // `$parse` is a Step Functions function (JSON text to its value).
                Translated::atom(format!("$parse({v})"), Kind::Unknown)
            }
            "pick" => {
                args.at_most(1, &[], "pick", &at)?;
                let Some(names) = args.positional.first() else {
                    return Err(refuse(&at, "`pick` needs the list of keys"));
                };
                let names = self.expr(names)?;
                Translated::atom(
                    lambda(&format!(
                        "$reduce({}, function($jinjaPicked, $jinjaItem){{$exists($lookup($jinjaValue, $jinjaItem)) ? \
                         $merge([$jinjaPicked, {{$jinjaItem: $lookup($jinjaValue, $jinjaItem)}}]) : $jinjaPicked}}, {{}})",
                        semantics::iterable(&names)
                    )),
                    Kind::Map,
                )
            }
            "to_epoch" => {
                simple("to_epoch")?;
                Translated::atom(
                    lambda(
                        "$type($jinjaValue) = \"number\" ? $jinjaValue : $floor($toMillis($jinjaValue) / 1000)",
                    ),
                    Kind::Int,
                )
            }
            "from_epoch" => {
                simple("from_epoch")?;
                Translated::atom(
                    timestamp_text(&lambda(
                        "$type($jinjaValue) = \"number\" ? $jinjaValue * 1000 : $toMillis($jinjaValue)",
                    )),
                    Kind::String,
                )
            }
            "add_duration" => {
                args.at_most(1, &[], "add_duration", &at)?;
                let amount = args
                    .positional
                    .first()
                    .ok_or_else(|| refuse(&at, "`add_duration` needs a duration"))?;
                let millis = match amount
                    .as_const()
                    .and_then(|c| c.as_str().map(str::to_string))
                {
                    Some(text) => {
                        let (negative, duration) = crate::foundation::duration::parse_signed(&text)
                            .ok_or_else(|| {
                                refuse(
                                    &full_range(amount),
                                    format!(
                                        "`{text}` is not a duration; {}",
                                        crate::foundation::duration::HINT
                                    ),
                                )
                            })?;
                        let millis = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
                        (if negative { -millis } else { millis }).to_string()
                    }
                    None => duration_millis(&self.expr(amount)?.text),
                };
                Translated::atom(
                    timestamp_text(&lambda(&format!(
                        "($type($jinjaValue) = \"number\" ? $jinjaValue * 1000 : $toMillis($jinjaValue)) + {millis}"
                    ))),
                    Kind::String,
                )
            }
            "format_datetime" => {
                args.at_most(1, &[], "format_datetime", &at)?;
                let Some(format) = args.positional.first() else {
                    return Err(refuse(&at, "`format_datetime` needs a format"));
                };
                let format = constant_string(format, "the format")?;
                let picture = picture(&format).ok_or_else(|| {
                    refuse(
                        &at,
                        "of strftime's fields only %Y, %m, %d, %H, %M, %S and %% are translated",
                    )
                })?;
                Translated::atom(
                    lambda(&format!(
                        "$fromMillis($type($jinjaValue) = \"number\" ? $jinjaValue * 1000 : $toMillis($jinjaValue), {})",
                        string_literal(&picture)
                    )),
                    Kind::String,
                )
            }
            "sort" | "unique" => {
                let allowed: &[&str] = if name == "sort" {
                    &["attribute", "case_sensitive", "reverse"]
                } else {
                    &["attribute", "case_sensitive"]
                };
                args.at_most(0, allowed, name, &at)?;
                let case_sensitive = constant_flag(args.named("case_sensitive"), "case_sensitive")?;
                let reverse = constant_flag(args.named("reverse"), "reverse")?;
                let key = match args.named("attribute") {
                    Some(attribute) => self.attribute(attribute, &at)?,
                    None => Translated::atom("$jinjaItem", Kind::Unknown),
                };
                let key_of =
                    |item: &str| folded(&key.text.replacen("$jinjaItem", item, 1), case_sensitive);
                let list = semantics::iterable(value);
                let text = if name == "sort" {
                    stable_sort(&list, key_of, reverse)
                } else {
                    let item = Translated::atom("$jinjaItem", Kind::Unknown);
                    format!(
                        "$reduce({list}, function($jinjaList, $jinjaItem){{$count($filter($jinjaList, \
                         function($jinjaA){{{} = {}}})) > 0 ? $jinjaList : $append($jinjaList, {})}}, [])",
                        key_of("$jinjaA"),
                        key_of("$jinjaItem"),
                        semantics::singleton_list(&item)
                    )
                };
                Translated::atom(text, Kind::List)
            }
            "groupby" => {
                args.at_most(
                    1,
                    &["attribute", "default", "case_sensitive"],
                    "groupby",
                    &at,
                )?;
                let Some(attribute) = args
                    .positional
                    .first()
                    .copied()
                    .or_else(|| args.named("attribute"))
                else {
                    return Err(refuse(&at, "`groupby` needs an attribute"));
                };
                let case_sensitive = constant_flag(args.named("case_sensitive"), "case_sensitive")?;
                let default = match args.named("default") {
                    Some(default) => self.expr(default)?.text,
                    None => "null".to_string(),
                };
                // minijinja's groupby: members sorted (stably) by the attribute, a missing one read as `default`;
                // each run of equal keys one group, labelled with its first member's key.
                let key = format!(
                    "function($jinjaKey){{$exists($jinjaKey) ? $jinjaKey : {default}}}({})",
                    self.attribute(attribute, &at)?.text
                );
                let key_of =
                    |item: &str| folded(&key.replacen("$jinjaItem", item, 1), case_sensitive);
                let sorted = stable_sort(&semantics::iterable(value), key_of, false);
                let member =
                    semantics::singleton_list(&Translated::atom("$jinjaItem", Kind::Unknown));
                let open = "{\"done\": $jinjaGroups.current ? $append($jinjaGroups.done, [$jinjaGroups.current]) : \
                            $jinjaGroups.done";
                Translated::atom(
                    format!(
                        "function($jinjaGroups){{$jinjaGroups.current ? $append($jinjaGroups.done, [$jinjaGroups.current]) \
                         : $jinjaGroups.done}}($reduce({sorted}, function($jinjaGroups, $jinjaItem){{$jinjaGroups.current \
                         and {} = {} ? {{\"done\": $jinjaGroups.done, \"current\": {{\"grouper\": $jinjaGroups.current.grouper, \
                         \"list\": $append($jinjaGroups.current.list, {member})}}}} : {open}, \"current\": {{\"grouper\": {key}, \
                         \"list\": {member}}}}}}}, {{\"done\": [], \"current\": null}}))",
                        folded("$jinjaGroups.current.grouper", case_sensitive),
                        key_of("$jinjaItem"),
                    ),
                    Kind::List,
                )
            }
            "lower" | "upper" => {
                simple(name)?;
                let function = if name == "lower" {
                    "$lowercase"
                } else {
                    "$uppercase"
                };
                Translated::atom(format!("{function}({v})"), Kind::String)
            }
            "replace" => {
                args.at_most(2, &[], "replace", &at)?;
                if args.positional.len() != 2 {
                    return Err(refuse(
                        &at,
                        "`replace` needs the text to find and its replacement",
                    ));
                }
                let find = self.expr(args.positional[0])?;
                let by = self.expr(args.positional[1])?;
                if find.kind != Kind::String || !matches!(args.positional[0], Expr::Const(_)) {
                    return Err(refuse(
                        &at,
                        "`replace` is translated with a constant text to find",
                    ));
                }
                if find.text == "\"\"" {
                    return Err(refuse(
                        &at,
                        "`replace` of the empty string has no JSONata translation",
                    ));
                }
                Translated::atom(
                    format!("$replace({v}, {}, {})", find.text, by.text),
                    Kind::String,
                )
            }
            "split" => {
                args.at_most(1, &[], "split", &at)?;
                let Some(separator) = args.positional.first() else {
                    // Rust's `split_whitespace` (minijinja's split without a separator): runs of Unicode
                    // whitespace separate, and no word is empty.
                    let words = format!("$split({v}, /{UNICODE_WHITESPACE}+/)");
                    return Ok(Translated::atom(
                        semantics::keep(&words, "$jinjaItem != \"\""),
                        Kind::List,
                    ));
                };
                let separator = self.expr(separator)?;
                Translated::atom(format!("$split({v}, {})", separator.text), Kind::List)
            }
            "jmespath" => {
                return Err(refuse(
                    &at,
                    "`jmespath` has no JSONata translation; write the query with `selectattr` (the test `containing` for `contains()`), `map(attribute=...)`, \
                     `first` or `last`",
                ));
            }
            other => {
                return Err(refuse(
                    &at,
                    format!(
                        "the filter `{other}` has no JSONata translation; compute the value in an earlier step's outputs"
                    ),
                ));
            }
        })
    }

    /// `rows | table(columns, format)` as foundation::template's `table` writes it: `text` (columns padded to their
    /// widest cell, the last one not, lines without trailing spaces), `markdown` or `json`; a row is a list of
    /// cells in column order or a mapping read by column; none and missing cells are empty; control characters
    /// in a text or Markdown cell are escaped as foundation::terminal_text::line escapes them.
    fn table(
        &self,
        value: &Translated,
        args: &Arguments<'_, '_>,
        at: &Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        args.at_most(2, &[], "table", at)?;
        let Some(columns) = args.positional.first() else {
            return Err(refuse(at, "`table` needs its columns"));
        };
        let columns = self.expr(columns)?;
        let format = match args.positional.get(1) {
            Some(format) => self.expr(format)?.text,
            None => "\"text\"".to_string(),
        };
        let cell = Translated::atom("$jinjaCell", Kind::Unknown);
        let printed = semantics::text(&cell).unwrap_or_default();
        let escapes: Vec<String> = (0u32..0x20)
            .chain(0x7f..0xa0)
            .filter(|code| *code != u32::from('\t'))
            .map(|code| {
                let escaped = match char::from_u32(code).unwrap_or_default() {
                    '\n' => "\\n".to_string(),
                    '\r' => "\\r".to_string(),
                    '\x1b' => "\\e".to_string(),
                    '\x07' => "\\a".to_string(),
                    '\x08' => "\\b".to_string(),
                    _ => format!("\\u{{{code:x}}}"),
                };
                format!("\"\\u{code:04x}\": {}", string_literal(&escaped))
            })
            .collect();
        let line = format!(
            "function($jinjaText){{$replace($jinjaText, /[\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f]/, \
             function($jinjaMatch){{$lookup({{{}}}, $jinjaMatch.match)}})}}",
            escapes.join(", ")
        );
        Ok(Translated::atom(
            format!(
                "function($jinjaRows, $jinjaColumns, $jinjaFormat){{(\
                 $jinjaLine := {line}; \
                 $jinjaCells := $reduce($jinjaRows, function($jinjaTable, $jinjaRow){{$append($jinjaTable, \
                   [[$reduce($jinjaColumns, function($jinjaRowCells, $jinjaColumn, $jinjaIndex){{$append($jinjaRowCells, \
                     function($jinjaCell){{$type($jinjaCell) = \"array\" ? [[$jinjaCell]] : [$exists($jinjaCell) ? $jinjaCell : null]}}(\
                     $type($jinjaRow) = \"object\" ? $lookup($jinjaRow, $jinjaColumn) : $type($jinjaRow) = \"array\" ? \
                     $jinjaRow[$jinjaIndex] : $error(\"table needs rows that are lists or mappings\")))}}, [])]])}}, []); \
                 $jinjaFormat = \"json\" ? {json} : \
                 ($jinjaTexts := $reduce($jinjaCells, function($jinjaTable, $jinjaRow){{$append($jinjaTable, \
                   [[$reduce($jinjaRow, function($jinjaRowTexts, $jinjaCell){{$append($jinjaRowTexts, \
                     [$jinjaCell = null ? \"\" : {printed}])}}, [])]])}}, []); \
                 $jinjaFormat = \"markdown\" ? ( \
                   $jinjaMarkdownCell := function($jinjaText){{$replace($jinjaLine($replace($jinjaText, \"\\n\", \" \")), \"|\", \"\\\\|\")}}; \
                   $jinjaMarkdownLine := function($jinjaRow){{\"| \" & $join($reduce($jinjaRow, function($jinjaList, $jinjaText){{$append($jinjaList, [$jinjaMarkdownCell($jinjaText)])}}, []), \" | \") & \" |\\n\"}}; \
                   $jinjaMarkdownLine($jinjaColumns) & \
                   $jinjaMarkdownLine($reduce($jinjaColumns, function($jinjaList, $jinjaColumn){{$append($jinjaList, [\"---\"])}}, [])) & \
                   $join($reduce($jinjaTexts, function($jinjaList, $jinjaRow){{$append($jinjaList, [$jinjaMarkdownLine($jinjaRow)])}}, []), \"\")) : \
                 $jinjaFormat = \"text\" ? ( \
                   $jinjaLines := $append([[$jinjaColumns]], $reduce($jinjaTexts, function($jinjaList, $jinjaRow){{$append($jinjaList, \
                     [[$reduce($jinjaRow, function($jinjaRowTexts, $jinjaText){{$append($jinjaRowTexts, [$jinjaLine($jinjaText)])}}, [])]])}}, [])); \
                   $jinjaWidths := $reduce($jinjaColumns, function($jinjaList, $jinjaColumn, $jinjaIndex){{$append($jinjaList, \
                     [$max($reduce($jinjaLines, function($jinjaLengths, $jinjaRow){{$append($jinjaLengths, [$length($jinjaRow[$jinjaIndex])])}}, []))])}}, []); \
                   $join($reduce($jinjaLines, function($jinjaList, $jinjaRow){{$append($jinjaList, \
                     [$replace($join($reduce($jinjaRow, function($jinjaPadded, $jinjaText, $jinjaIndex){{$append($jinjaPadded, \
                       [$jinjaIndex = $count($jinjaColumns) - 1 ? $jinjaText : $pad($jinjaText, $jinjaWidths[$jinjaIndex] + 2)])}}, []), \"\"), /\\s+$/, \"\") & \"\\n\"])}}, []), \"\")) : \
                 $error(\"table formats are text, markdown and json, not \" & $string($jinjaFormat))))}}({}, {}, {format})",
                semantics::iterable(value),
                columns.text,
                json = semantics::json_text(&Translated::atom(
                    "$reduce($jinjaCells, function($jinjaObjects, $jinjaRow){$append($jinjaObjects, [$merge($reduce($jinjaColumns, function($jinjaPairs, $jinjaColumn, $jinjaIndex){$append($jinjaPairs, [{$jinjaColumn: $jinjaRow[$jinjaIndex]}])}, []))])}, [])",
                    Kind::List
                )),
            ),
            Kind::String,
        ))
    }

    /// `sum`, `sum(attribute=…)`, `sum(start=…)`: numbers added to the start (0), or lists appended to a list
    /// start; members without the attribute are skipped.
    fn sum(
        &self,
        value: &Translated,
        args: &Arguments<'_, '_>,
        at: &Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        args.at_most(2, &["attribute", "start"], "sum", at)?;
        let attribute = args
            .positional
            .first()
            .copied()
            .or_else(|| args.named("attribute"));
        let start = args
            .positional
            .get(1)
            .copied()
            .or_else(|| args.named("start"));
        let list = semantics::iterable(value);
        let values = match attribute {
            None => list,
            Some(attribute) => semantics::collect(&list, &self.attribute(attribute, at)?),
        };
        let Some(start) = start else {
            return Ok(Translated::atom(format!("$sum({values})"), Kind::Unknown));
        };
        let start = self.expr(start)?;
        Ok(match start.kind {
            Kind::List => Translated::atom(
                format!(
                    "$reduce({values}, function($jinjaSum, $jinjaItem){{$type($jinjaItem) = \"array\" ? \
                     $append($jinjaSum, $jinjaItem) : $error(\"only lists are added to a list\")}}, {})",
                    start.text
                ),
                Kind::List,
            ),
            Kind::Int | Kind::Float => Translated::new(
                format!("{} + $sum({values})", start.operand()),
                if start.kind == Kind::Float {
                    Kind::Float
                } else {
                    Kind::Unknown
                },
            ),
            _ => {
                return Err(refuse(
                    at,
                    "`sum` is translated with a number or a list as its start",
                ));
            }
        })
    }

    fn round(
        &self,
        value: &Translated,
        args: &Arguments<'_, '_>,
        at: &Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        args.at_most(1, &["precision"], "round", at)?;
        let precision = match args
            .positional
            .first()
            .copied()
            .or_else(|| args.named("precision"))
        {
            None => 0,
            Some(expr) => expr
                .as_const()
                .and_then(|c| c.as_i64())
                .filter(|p| (0..=15).contains(p))
                .ok_or_else(|| {
                    refuse(
                        &full_range(expr),
                        "round's precision must be a constant from 0 to 15",
                    )
                })?,
        };
        // minijinja leaves an integer as it is and rounds a float half to even, as JSONata's `$round` does.
        Ok(match value.kind {
            Kind::Int => value.clone(),
            Kind::Float => Translated {
                text: format!("$round({}, {precision})", value.text),
                kind: Kind::Float,
                atomic: true,
                printed: Some(format!(
                    "function($jinjaRounded){{$jinjaRounded = $floor($jinjaRounded) ? $string($jinjaRounded) & \".0\" : \
                     $string($jinjaRounded)}}($round({}, {precision}))",
                    value.text
                )),
            },
            _ => Translated {
                text: format!("$round({}, {precision})", value.text),
                kind: Kind::Unknown,
                atomic: true,
                // A float that was not whole (so certainly a float) stays a float and prints `.0` when rounded to
                // a whole number; a whole input prints as JSONata prints it (see the module docs).
                printed: Some(format!(
                    "function($jinjaValue){{function($jinjaRounded){{$jinjaRounded = $floor($jinjaRounded) and \
                     $jinjaValue != $floor($jinjaValue) ? $string($jinjaRounded) & \".0\" : \
                     $string($jinjaRounded)}}($round($jinjaValue, {precision}))}}({})",
                    value.text
                )),
            },
        })
    }

    fn map_filter(
        &self,
        value: &Translated,
        args: &Arguments<'_, '_>,
        at: &Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        let list = semantics::iterable(value);
        let item = Translated::atom("$jinjaItem", Kind::Unknown);
        if let Some(attribute) = args.named("attribute") {
            args.at_most(0, &["attribute", "default"], "map", at)?;
            // A member without the attribute maps to `default`, none unless given (JSON's null where the engine's
            // list holds an undefined value).
            let default = match args.named("default") {
                Some(default) => self.expr(default)?.text,
                None => "null".to_string(),
            };
            let mapped = Translated::atom(
                format!(
                    "function($jinjaMapped){{$exists($jinjaMapped) ? $jinjaMapped : {default}}}({})",
                    self.attribute(attribute, at)?.text
                ),
                Kind::Unknown,
            );
            return Ok(Translated::atom(
                semantics::collect(&list, &mapped),
                Kind::List,
            ));
        }
        let Some(filter) = args.positional.first() else {
            return Err(refuse(at, "`map` needs a filter's name or `attribute=`"));
        };
        let filter = constant_string(filter, "the filter's name")?;
        let rest = Arguments {
            positional: args.positional[1..].to_vec(),
            named: args.named.clone(),
        };
        let mapped = self.apply_filter(&filter, &item, &rest, at.clone())?;
        Ok(Translated::atom(
            semantics::collect(&list, &mapped),
            Kind::List,
        ))
    }

    pub(super) fn call(
        &self,
        call: &ast::Call<'_>,
        at: Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        match (&call.expr, call.args.len()) {
            // The current instant, as an RFC 3339 string in UTC (milliseconds, where the engine writes
            // nanoseconds).
            (Expr::Var(var), 0) if var.id == "now" && self.scope.get("now").is_none() => {
                Ok(Translated::atom("$now()", Kind::String))
            }
            (Expr::Var(var), _) if var.id == "range" && self.scope.get("range").is_none() => {
                let args = Arguments::read(&call.args, &at)?;
                args.at_most(2, &[], "range", &at)?;
                let bounds = args
                    .positional
                    .iter()
                    .map(|e| self.expr(e))
                    .collect::<Result<Vec<_>, _>>()?;
                let (from, to) = match bounds.as_slice() {
                    [to] => ("0".to_string(), to.text.clone()),
                    [from, to] => (from.text.clone(), to.text.clone()),
                    _ => return Err(refuse(&at, "`range` needs an end")),
                };
                Ok(Translated::atom(
                    format!(
                        "function($jinjaFrom, $jinjaTo){{$jinjaTo > $jinjaFrom ? [$jinjaFrom..$jinjaTo - 1] : []}}({from}, {to})"
                    ),
                    Kind::List,
                ))
            }
            // `dict(mapping, name=value, ...)`: the mapping with those keys set.
            (Expr::Var(var), _) if var.id == "dict" && self.scope.get("dict").is_none() => {
                let args = Arguments::read(&call.args, &at)?;
                args.at_most(
                    1,
                    &args.named.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                    "dict",
                    &at,
                )?;
                let mut parts = Vec::new();
                if let Some(base) = args.positional.first() {
                    parts.push(format!(
                        "function($jinjaValue){{$type($jinjaValue) = \"object\" ? $jinjaValue : $error(\"dict of a value that is not a mapping\")}}({})",
                        self.expr(base)?.text
                    ));
                }
                let mut members = Vec::with_capacity(args.named.len());
                for (name, value) in &args.named {
                    members.push(format!(
                        "{}: {}",
                        string_literal(name),
                        self.expr(value)?.text
                    ));
                }
                parts.push(format!("{{{}}}", members.join(", ")));
                Ok(Translated::atom(
                    format!("$merge([{}])", parts.join(", ")),
                    Kind::Map,
                ))
            }
            // A namespace is a mapping the template changes attribute by attribute (template.rs carries it
            // through blocks).
            (Expr::Var(var), _)
                if var.id == "namespace" && self.scope.get("namespace").is_none() =>
            {
                let args = Arguments::read(&call.args, &at)?;
                if !args.positional.is_empty() {
                    return Err(refuse(
                        &at,
                        "`namespace()` is translated with named attributes only",
                    ));
                }
                let mut members = Vec::with_capacity(args.named.len());
                for (name, value) in &args.named {
                    members.push(format!(
                        "{}: {}",
                        string_literal(name),
                        self.expr(value)?.text
                    ));
                }
                Ok(Translated::atom(
                    format!("{{{}}}", members.join(", ")),
                    Kind::Map,
                ))
            }
            _ => Err(refuse(
                &at,
                "this call has no JSONata translation; compute the value in an earlier step's outputs",
            )),
        }
    }

    pub(super) fn test(
        &self,
        test: &ast::Test<'_>,
        at: Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        let args = Arguments::read(&test.args, &at)?;
        args.at_most(args.positional.len(), &[], test.name, &at)?;
        let value = self.expr(&test.expr)?;
        let test_args = args
            .positional
            .iter()
            .map(|e| self.expr(e))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Translated::new(
            test_text(test.name, &value, &test_args, &at)?,
            Kind::Bool,
        ))
    }
}

impl Translator<'_> {
    /// The attribute `attribute` names (a dotted path, as minijinja reads it; an integer is an index) of the member
    /// being looked at, `$jinjaItem`. A constant path is written out; a computed one is walked at run time.
    fn attribute(
        &self,
        attribute: &Expr<'_>,
        at: &Range<usize>,
    ) -> Result<Translated, Untranslatable> {
        if let Some(constant) = attribute.as_const() {
            if let Some(text) = constant.as_str() {
                return attribute_of(text, at);
            }
            if let Some(index) = constant.as_i64() {
                return Ok(Translated::atom(
                    format!("$jinjaItem[{index}]"),
                    Kind::Unknown,
                ));
            }
        }
        let path = self.expr(attribute)?;
        if !matches!(path.kind, Kind::String | Kind::Unknown) {
            return Err(refuse(
                at,
                "the attribute must be a string or a constant integer",
            ));
        }
        Ok(Translated::atom(
            format!(
                "$reduce($split({}, \".\"), function($jinjaPath, $jinjaPart){{$contains($jinjaPart, /^[0-9]+$/) ? \
                 $jinjaPath[$number($jinjaPart)] : $type($jinjaPath) = \"object\" ? $lookup($jinjaPath, $jinjaPart) : \
                 $lookup({{}}, $jinjaPart)}}, $jinjaItem)",
                path.text
            ),
            Kind::Unknown,
        ))
    }
}

/// A list sorted by `key_of` each member, stably as minijinja sorts, in reverse when asked (`$sort` is not stable
/// in every JSONata, so equal keys keep their positions by comparing them too; reversed too, as in minijinja).
fn stable_sort(list: &str, key_of: impl Fn(&str) -> String, reverse: bool) -> String {
    let after = if reverse { "<" } else { ">" };
    let positioned = Translated::atom("{\"at\": $jinjaIndex, \"value\": $jinjaItem}", Kind::Map);
    format!(
        "$reduce($sort($reduce({list}, function($jinjaList, $jinjaItem, $jinjaIndex){{$append($jinjaList, \
         {})}}, []), function($jinjaA, $jinjaB){{function($jinjaLeft, $jinjaRight){{$jinjaLeft {after} $jinjaRight \
         or ($jinjaLeft = $jinjaRight and $jinjaA.at > $jinjaB.at)}}({}, {})}}), \
         function($jinjaList, $jinjaItem){{$append($jinjaList, {})}}, [])",
        semantics::singleton_list(&positioned),
        key_of("$jinjaA.value"),
        key_of("$jinjaB.value"),
        semantics::singleton_list(&Translated::atom("$jinjaItem.value", Kind::Unknown)),
    )
}

/// A sort key as minijinja compares it: strings ignoring case unless asked otherwise.
fn folded(key: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        return key.to_string();
    }
    format!(
        "function($jinjaKey){{$type($jinjaKey) = \"string\" ? $lowercase($jinjaKey) : $jinjaKey}}({key})"
    )
}

/// A constant flag argument (`case_sensitive=true`), false when not given.
fn constant_flag(flag: Option<&Expr<'_>>, what: &str) -> Result<bool, Untranslatable> {
    match flag {
        None => Ok(false),
        Some(flag) => flag.as_const().map(|c| c.is_true()).ok_or_else(|| {
            Untranslatable::new(full_range(flag), format!("{what} must be a constant"))
        }),
    }
}

/// `$jinjaItem.a.b`: the attribute (a dotted path, as minijinja reads it) of the member being looked at.
fn attribute_of(attribute: &str, at: &Range<usize>) -> Result<Translated, Untranslatable> {
    let mut path = Translated::atom("$jinjaItem", Kind::Unknown);
    for part in attribute.split('.') {
        path = match part.parse::<i64>() {
            Ok(index) => Translated::atom(format!("{}[{index}]", path.text), Kind::Unknown),
            Err(_) => super::expression::member(&path, part, at.clone())?,
        };
    }
    Ok(path)
}

/// The JSONata condition for Jinja's test `name` of `value` with `args`.
fn test_text(
    name: &str,
    value: &Translated,
    args: &[Translated],
    at: &Range<usize>,
) -> Result<String, Untranslatable> {
    let v = value.operand();
    let one = |symbol: &str| -> Result<String, Untranslatable> {
        match args {
            [other] => Ok(format!("{v} {symbol} {}", other.operand())),
            _ => Err(refuse(at, format!("the test `{name}` takes one argument"))),
        }
    };
    let none = |text: String| -> Result<String, Untranslatable> {
        if args.is_empty() {
            Ok(text)
        } else {
            Err(refuse(at, format!("the test `{name}` takes no argument")))
        }
    };
    match name {
        "none" => none(format!("{v} = null")),
        "defined" => none(format!("$exists({})", value.text)),
        "undefined" => none(format!("$not($exists({}))", value.text)),
        "string" => none(format!("$type({}) = \"string\"", value.text)),
        "number" => none(format!("$type({}) = \"number\"", value.text)),
        "boolean" => none(format!("$type({}) = \"boolean\"", value.text)),
        "mapping" => none(format!("$type({}) = \"object\"", value.text)),
        "true" => none(format!("{v} = true")),
        "false" => none(format!("{v} = false")),
        "eq" | "equalto" | "==" => one("="),
        "ne" | "!=" => one("!="),
        "lt" | "lessthan" | "<" => one("<"),
        "le" | "<=" => one("<="),
        "gt" | "greaterthan" | ">" => one(">"),
        "ge" | ">=" => one(">="),
        "startingwith" => match args {
            [prefix] => Ok(format!(
                "$substring({}, 0, $length({})) = {}",
                value.text, prefix.text, prefix.text
            )),
            _ => Err(refuse(at, "the test `startingwith` takes one argument")),
        },
        "endingwith" => match args {
            [suffix] => Ok(format!(
                "function($jinjaValue, $jinjaSuffix){{$length($jinjaValue) >= $length($jinjaSuffix) and \
                 $substring($jinjaValue, $length($jinjaValue) - $length($jinjaSuffix)) = $jinjaSuffix}}({}, {})",
                value.text, suffix.text
            )),
            _ => Err(refuse(at, "the test `endingwith` takes one argument")),
        },
        "in" => match args {
            [container] => Ok(semantics::contains(value, container)),
            _ => Err(refuse(at, "the test `in` takes one argument")),
        },
        "containing" => match args {
            [needle] => Ok(semantics::contains(needle, value)),
            _ => Err(refuse(at, "the test `containing` takes one argument")),
        },
        other => Err(refuse(
            at,
            format!("the test `{other}` has no JSONata translation"),
        )),
    }
}

/// An instant in milliseconds as `format_rfc3339` writes it: seconds, then the fraction only when there is one,
/// without trailing zeros.
fn timestamp_text(millis: &str) -> String {
    format!(
        "function($jinjaMillis){{$fromMillis($jinjaMillis, {RFC3339_SECONDS}) & ($jinjaMillis % 1000 = 0 ? \"\" : \
         \".\" & $replace($formatNumber($jinjaMillis % 1000, \"000\"), /0+$/, \"\")) & \"Z\"}}({millis})"
    )
}

/// A duration as runbooks write it (`-5m`, `1h30m`: foundation::duration) in milliseconds, read at run time.
fn duration_millis(text: &str) -> String {
    format!(
        "function($jinjaDuration){{$contains($jinjaDuration, /^[-+]?([0-9]+(ms|s|m|h|d))+$/) ? \
         ($substring($jinjaDuration, 0, 1) = \"-\" ? -1 : 1) * $sum($match($jinjaDuration, \
         /([0-9]+)(ms|s|m|h|d)/).($number(groups[0]) * $lookup({{\"ms\": 1, \"s\": 1000, \"m\": 60000, \
         \"h\": 3600000, \"d\": 86400000}}, groups[1]))) : $error(\"not a duration: \" & $jinjaDuration)}}($trim({text}))"
    )
}

/// A strftime format as a picture of JSONata's `$fromMillis`, for the fields it has the same meaning for.
fn picture(format: &str) -> Option<String> {
    let mut picture = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => picture.push_str(match chars.next()? {
                'Y' => "[Y0001]",
                'm' => "[M01]",
                'd' => "[D01]",
                'H' => "[H01]",
                'M' => "[m01]",
                'S' => "[s01]",
                '%' => "%",
                _ => return None,
            }),
            '[' => picture.push_str("[["),
            ']' => picture.push_str("]]"),
            other => picture.push(other),
        }
    }
    Some(picture)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step_functions::jsonata::{Scope, expression};

    fn scope() -> Scope {
        Scope::new().bind("params", "$params")
    }

    fn refused(source: &str) -> (String, String) {
        let error = expression(source, &scope()).unwrap_err();
        (source[error.at].to_string(), error.reason)
    }

    #[test]
    fn strftime_fields_become_a_from_millis_picture_and_others_are_refused() {
        assert_eq!(
            picture("%Y-%m-%dT%H:%M:%SZ [%%]").as_deref(),
            Some("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z [[%]]")
        );
        assert_eq!(picture("%b %d"), None);
        let (at, reason) = refused("params.at | format_datetime('%A')");
        assert_eq!(at, "format_datetime('%A')");
        assert!(reason.contains("%Y"), "{reason}");
    }

    #[test]
    fn a_constant_duration_is_added_as_milliseconds_and_a_computed_one_is_read_at_run_time() {
        let constant = expression("params.at | add_duration('-5m')", &scope()).unwrap();
        assert!(
            constant.contains("$toMillis($jinjaValue)) + -300000"),
            "{constant}"
        );
        let computed = expression("params.at | add_duration(params.window)", &scope()).unwrap();
        assert!(computed.contains("$trim($params.window)"), "{computed}");
        let (at, reason) = refused("params.at | add_duration('5 minutes')");
        assert_eq!(at, "'5 minutes'");
        assert!(reason.contains("not a duration"), "{reason}");
    }

    #[test]
    fn filters_without_a_faithful_translation_are_refused_at_the_filter() {
        let (at, reason) = refused("params.xs | jmespath('[0]')");
        assert_eq!(at, "jmespath('[0]')");
        assert!(reason.contains("selectattr"), "{reason}");
        let (at, _) = refused("params.xs | batch(2)");
        assert_eq!(at, "batch(2)");
        let (at, _) = refused("params.xs | join(', ', attribute='a')");
        assert_eq!(at, "join(', ', attribute='a')");
        let (at, reason) = refused("'%5.2f' | format(params.x)");
        assert_eq!(at, "'%5.2f'");
        assert!(reason.contains("`%s`"), "{reason}");
        let (at, _) = refused("params.xs | select('divisibleby', 3)");
        assert_eq!(at, "select('divisibleby', 3)");
    }

    #[test]
    fn lists_are_built_with_reduce_not_map() {
        let text = expression("params.xs | map(attribute='Name') | list", &scope()).unwrap();
        assert!(text.starts_with("$reduce("), "{text}");
        assert!(!text.contains("$map("), "{text}");
    }
}
