//! Jinja's rules written in JSONata, for values whose type is only known at run time. Each is a function applied
//! to its argument on the spot (`function($jinjaValue){…}(X)`), so the translation of a sub-expression is
//! evaluated once and no helper needs declaring in the state. Function parameters rather than a bare `$`, which
//! moto's checker refuses.

use super::translated::{Kind, Translated};

/// Jinja truthiness: false, none, 0, "" and empty lists and mappings are false. JSONata's `$boolean` agrees except
/// for lists, where it asks whether any member is true (`[0]` is false to it, true to Jinja).
pub(super) fn truthy(value: &Translated) -> String {
    let operand = value.operand();
    match value.kind {
        Kind::Bool => value.text.clone(),
        Kind::Int | Kind::Float => format!("{operand} != 0"),
        Kind::String => format!("{operand} != \"\""),
        Kind::Null => "false".into(),
        Kind::List => format!("$count({}) > 0", value.text),
        Kind::Map => format!("$count($keys({})) > 0", value.text),
        Kind::Unknown => format!(
            "function($jinjaValue){{$type($jinjaValue) = \"array\" ? $count($jinjaValue) > 0 : \
             $boolean($jinjaValue)}}({})",
            value.text
        ),
    }
}

/// What minijinja prints for a value (in `{{ }}` inside text, and for `~`): `True`/`False`, `None`, integers as
/// they are. Lists and mappings print in a syntax JSONata has no function for, so they stop the execution with a
/// message; `None` when the kind says a value can never print the same (a float).
pub(super) fn text(value: &Translated) -> Option<String> {
    if let Some(printed) = &value.printed {
        return Some(printed.clone());
    }
    let operand = value.operand();
    Some(match value.kind {
        Kind::String => value.text.clone(),
        Kind::Int => format!("$string({})", value.text),
        Kind::Bool => format!("({operand} ? \"True\" : \"False\")"),
        Kind::Null => "\"None\"".into(),
        Kind::Float | Kind::List | Kind::Map => return None,
        Kind::Unknown => format!(
            "function($jinjaValue){{$type($jinjaValue) = \"string\" ? $jinjaValue : \
             $type($jinjaValue) = \"number\" ? $string($jinjaValue) : \
             $type($jinjaValue) = \"boolean\" ? ($jinjaValue ? \"True\" : \"False\") : \
             $type($jinjaValue) = \"null\" ? \"None\" : $exists($jinjaValue) ? \
             $error(\"a list or a mapping is printed into text, which the local engine writes in its own syntax; \
             print its members or use to_json\") : $error(\"an undefined value is printed into text\")}}({})",
            value.text
        ),
    })
}

/// `needle in haystack`: a substring of a string, a key of a mapping, a member of a list.
pub(super) fn contains(needle: &Translated, haystack: &Translated) -> String {
    match haystack.kind {
        Kind::String => format!("$contains({}, {})", haystack.text, needle.text),
        Kind::Map => format!("{} in $keys({})", needle.operand(), haystack.text),
        Kind::List => format!("{} in {}", needle.operand(), haystack.operand()),
        _ => format!(
            "function($jinjaNeedle, $jinjaHaystack){{$type($jinjaHaystack) = \"string\" ? \
             $contains($jinjaHaystack, $jinjaNeedle) : $type($jinjaHaystack) = \"object\" ? \
             $jinjaNeedle in $keys($jinjaHaystack) : $jinjaNeedle in $jinjaHaystack}}({}, {})",
            needle.text, haystack.text
        ),
    }
}

/// A one-member list holding the value as it is: JSONata's `[X]` splices X's members in when X is a list.
pub(super) fn singleton_list(value: &Translated) -> String {
    match value.kind {
        Kind::Bool | Kind::Int | Kind::Float | Kind::String | Kind::Null | Kind::Map => {
            format!("[{}]", value.text)
        }
        Kind::List | Kind::Unknown => format!(
            "function($jinjaValue){{$type($jinjaValue) = \"array\" ? [[$jinjaValue]] : [$jinjaValue]}}({})",
            value.text
        ),
    }
}

/// Jinja's `a % b` takes the sign of b (Python's floor modulo); JSONata's `%` takes a's.
pub(super) fn floor_modulo(left: &Translated, right: &Translated) -> String {
    format!(
        "function($jinjaLeft, $jinjaRight){{$jinjaLeft - $jinjaRight * $floor($jinjaLeft / $jinjaRight)}}({}, {})",
        left.text, right.text
    )
}

/// `left and right` is left when left is false, else right; `left or right` is left when left is true, else
/// right. Right is evaluated only when needed, as in Jinja (`x is not none and x > 1` must not compare none).
pub(super) fn short_circuit(left: &Translated, right: &Translated, and: bool) -> String {
    if left.kind == Kind::Bool && right.kind == Kind::Bool {
        let op = if and { "and" } else { "or" };
        return format!("{} {op} {}", left.operand(), right.operand());
    }
    let probe = Translated::atom("$jinjaLeft", left.kind);
    let (when_true, when_false) = if and {
        (right.text.as_str(), "$jinjaLeft")
    } else {
        ("$jinjaLeft", right.text.as_str())
    };
    format!(
        "function($jinjaLeft){{{} ? {when_true} : {when_false}}}({})",
        truthy(&probe),
        left.text
    )
}

/// The members Jinja iterates over, as a JSONata array: a list's items, a mapping's keys, a string's characters.
pub(super) fn iterable(value: &Translated) -> String {
    match value.kind {
        Kind::List => value.text.clone(),
        _ => format!(
            "function($jinjaValue){{$type($jinjaValue) = \"array\" ? $jinjaValue : $type($jinjaValue) = \"object\" ? \
             $append([], $keys($jinjaValue)) : $type($jinjaValue) = \"string\" ? $split($jinjaValue, \"\") : \
             $error(\"only a list, a mapping or a string can be iterated\")}}({})",
            value.text
        ),
    }
}

/// The list of `body` for each member of `list` (an array), the member bound to `$jinjaItem`. `$reduce` with
/// `$append` rather than `$map`, which gives a lone value for a one-member result and nothing for none.
pub(super) fn collect(list: &str, body: &Translated) -> String {
    format!(
        "$reduce({list}, function($jinjaList, $jinjaItem){{$append($jinjaList, {})}}, [])",
        singleton_list(body)
    )
}

/// The members of `list` (an array) for which `condition` (over `$jinjaItem`) is true.
pub(super) fn keep(list: &str, condition: &str) -> String {
    let item = Translated::atom("$jinjaItem", Kind::Unknown);
    format!(
        "$reduce({list}, function($jinjaList, $jinjaItem){{({condition}) ? $append($jinjaList, {}) : $jinjaList}}, [])",
        singleton_list(&item)
    )
}

/// JSON text of a value, as `to_json` writes it (compact, keys in order). JSONata's `$string` gives a string
/// itself rather than its JSON; inside a one-member array it is quoted and escaped, and the brackets are cut off.
pub(super) fn json_text(value: &Translated) -> String {
    format!(
        "function($jinjaValue){{$type($jinjaValue) = \"string\" ? function($jinjaJson){{$substring($jinjaJson, 1, \
         $length($jinjaJson) - 2)}}($string([$jinjaValue])) : $string($jinjaValue)}}({})",
        value.text
    )
}
