//! Our expression and template language as JSONata, for the `QueryLanguage: JSONata` definitions `export`
//! writes. Input is parsed by minijinja's own parser (`minijinja::machinery`), so the translation reads exactly the
//! syntax tree the engine evaluates.
//!
//! The promise: wherever the engine gives a value, the JSONata expression gives the same value on the same data
//! (tests/e2e/jsonata.rs evaluates both on a table of cases). Where Jinja and JSONata differ (truthiness of
//! lists, `in` on strings and mappings, `%` on negatives, how `True`, `None` and numbers print, list literals
//! that JSONata would splice) the text reproduces Jinja's rule, at run time when only then the type is known.
//! What cannot be reproduced is refused at its byte range with a reason, never approximated. Where the engine
//! stops with an error (an undefined name, a comparison JSONata cannot order) the JSONata side stops too or gives
//! something else: the promise covers values, not error messages.
//!
//! Covered: references (with computed keys and indexes), slices with constant bounds, literals, comparisons, `and`/`or`/`not`, `in`, `x if c else y`, `~`, arithmetic, the tests
//! and filters in [`filters`] (minijinja's built-ins our runbooks use and our own: `to_epoch`, `pick`, ...; not
//! `jmespath`, whose queries are written with `selectattr` and `map`; `format` with `%s` only; attributes computed at run time walked as minijinja walks a dotted path; `groupby`'s
//! groups read by `.grouper` and `.list`, not unpacked), `now()`, `range()`, `dict()`, and in templates `{% if %}`,
//! `{% for %}` with `loop.index0`/`index`/`first`/`last`/`length`, `{% set %}`, `namespace()` with `{% set ns.x = … %}`
//! (the namespaces a loop or a condition changes travel out of it beside its text; a plain `{% set %}` in an `if`
//! whose name is read after it is refused, since the engine keeps it past the `if`) and whitespace control (which
//! minijinja's parser applies to the text between tags). Lists are built with `$reduce` and `$append`, never with
//! JSONata's `[…]` or `$map`, which splice list-valued members and give a lone value for a one-member result.
//!
//! Values of different types (none and a string, say) are not ordered by `sort` or `groupby` as minijinja orders
//! them: JSONata stops with an error.
//!
//! Known limits of the promise, both from JSON numbers having no integer/float distinction in Step Functions: a
//! whole number written as a float in the input (`2.0`) prints as `2`, and a number read from the input with more
//! than 15 significant digits prints rounded to 15. `now()` has milliseconds where the engine has nanoseconds.

mod expression;
mod filters;
mod scope;
mod semantics;
mod template;
mod translated;
mod untranslatable;

pub use expression::expression;
pub use scope::Scope;
pub use template::template;
pub use untranslatable::Untranslatable;
