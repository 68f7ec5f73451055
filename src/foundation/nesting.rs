//! How deeply a template or expression nests, measured without parsing it.
//!
//! minijinja's parser recurses once per `not` and builds one tree level per filter, member access or operator in a
//! chain; compiling and walking that tree recurse again. Ten thousand `not`, or a chain of fifty thousand
//! `| upper`, overflow the stack (of the validator, or of a tokio worker during a run, which leaves the lock
//! behind). So before minijinja sees a source, this scanner bounds its depth from above in one linear pass, and
//! anything deeper than [`MAX_DEPTH`] is refused: by the validator with a position, and again by the renderer.
//!
//! The bound: within one bracket level, every operator, filter, test, member access or keyword operator since
//! the last `,` or `:` may add a level; every bracket adds one; every open block statement (`{% if %}`,
//! `{% for %}`) adds one. That over-counts (`a + b + c` is two levels deep, counted as two; `a.b + c.d` counts
//! three), which only matters for expressions far longer than any runbook has.

/// The deepest a template or expression may nest. Real runbooks stay under 20; the engine evaluates well past
/// this on a tokio worker's stack (see the tests of `crate::engine` and `tests/e2e/hostile.rs`).
pub const MAX_DEPTH: usize = 100;

/// Where a source first nests deeper than [`MAX_DEPTH`]: the byte offset of the token that went past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep {
    pub offset: usize,
}

/// Checks a template: text with `{{ }}`, `{% %}` and `{# #}` blocks.
pub fn check_template(source: &str) -> Result<(), TooDeep> {
    let bytes = source.as_bytes();
    let mut statements: usize = 0;
    let mut at = 0;
    while let Some(found) = find(bytes, at, b"{") {
        match bytes.get(found + 1) {
            Some(b'{') => {
                at = scan_block(bytes, found + 2, statements, b'}')?;
            }
            Some(b'%') => {
                let start = found + 2;
                let word = first_word(bytes, start);
                if word == b"raw" {
                    // Nothing inside `{% raw %}` is parsed.
                    at = find(bytes, start, b"endraw").map_or(bytes.len(), |end| end + 6);
                    continue;
                }
                if word.starts_with(b"end") {
                    statements = statements.saturating_sub(1);
                } else if opens_block(word, bytes, start) {
                    statements += 1;
                }
                at = scan_block(bytes, start, statements, b'%')?;
            }
            Some(b'#') => {
                at = find(bytes, found + 2, b"#}").map_or(bytes.len(), |end| end + 2);
            }
            _ => at = found + 1,
        }
    }
    Ok(())
}

/// Checks a bare expression (`when`, `that`, `until`, `outputs`, `for_each`).
pub fn check_expression(source: &str) -> Result<(), TooDeep> {
    scan_block(source.as_bytes(), 0, 0, 0).map(|_| ())
}

/// Scans one block from `start` up to its closing `}}` or `%}` (`close` is `}` or `%`; 0 scans to the end), and
/// returns the offset after it.
fn scan_block(bytes: &[u8], start: usize, base: usize, close: u8) -> Result<usize, TooDeep> {
    // Per open bracket: the operators counted since its last `,` or `:`.
    let mut chains: Vec<usize> = vec![0];
    let mut total = base;
    let mut index = start;
    while index < bytes.len() {
        let byte = bytes[index];
        if close != 0 && chains.len() == 1 && byte == close && bytes.get(index + 1) == Some(&b'}') {
            return Ok(index + 2);
        }
        let mut deeper = 0;
        match byte {
            b'\'' | b'"' => {
                index = skip_string(bytes, index);
                continue;
            }
            b'(' | b'[' | b'{' => {
                deeper = 2;
                if let Some(chain) = chains.last_mut() {
                    *chain += 1;
                }
                chains.push(0);
            }
            b')' | b']' | b'}' if chains.len() > 1 => {
                let chain = chains.pop().unwrap_or(0);
                total -= chain + 1;
            }
            b',' | b':' => {
                if let Some(chain) = chains.last_mut() {
                    total -= *chain;
                    *chain = 0;
                }
            }
            b'.' | b'|' | b'+' | b'-' | b'*' | b'/' | b'%' | b'~' | b'<' | b'>' | b'=' | b'!' => {
                deeper = 1;
                if let Some(chain) = chains.last_mut() {
                    *chain += 1;
                }
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = index
                    + bytes[index..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                if matches!(
                    &bytes[index..end],
                    b"not" | b"and" | b"or" | b"is" | b"in" | b"if" | b"else"
                ) {
                    deeper = 1;
                    if let Some(chain) = chains.last_mut() {
                        *chain += 1;
                    }
                }
                total += deeper;
                if total > MAX_DEPTH {
                    return Err(TooDeep { offset: index });
                }
                index = end;
                continue;
            }
            _ => {}
        }
        total += deeper;
        if total > MAX_DEPTH {
            return Err(TooDeep { offset: index });
        }
        index += 1;
    }
    Ok(bytes.len())
}

/// The offset after a quoted string starting at `start` (backslash escapes honoured), or the end.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut index = start + 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            byte if byte == quote => return index + 1,
            _ => index += 1,
        }
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|found| from + found)
}

fn first_word(bytes: &[u8], start: usize) -> &[u8] {
    let rest = &bytes[start.min(bytes.len())..];
    let rest = rest.strip_prefix(b"-").unwrap_or(rest);
    let rest = rest.strip_prefix(b"+").unwrap_or(rest);
    let skip = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let rest = &rest[skip..];
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    &rest[..len]
}

/// Whether a tag starting with `word` opens a block that an `end...` tag closes.
fn opens_block(word: &[u8], bytes: &[u8], start: usize) -> bool {
    match word {
        b"if" | b"for" | b"with" | b"filter" | b"macro" | b"call" | b"autoescape" | b"block" => {
            true
        }
        // `{% set x %}...{% endset %}` is a block; `{% set x = 1 %}` is not.
        b"set" => {
            let end = find(bytes, start, b"%}").unwrap_or(bytes.len());
            !bytes[start..end].contains(&b'=')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_runbook_expressions_pass() {
        for source in [
            "steps.describe.output.Table.TableStatus == 'ACTIVE'",
            "output.Items | map(attribute='id') | list | length > 0 and params.force",
            "{'a': params.x | upper, 'b': [1, 2, 3], 'c': (params.y or 'z')}",
        ] {
            assert_eq!(check_expression(source), Ok(()), "{source}");
        }
        assert_eq!(
            check_template(
                "{% for t in params.tables %}{{ t | upper }}{% endfor %} {# a } comment #}"
            ),
            Ok(())
        );
        // A long flat list is wide, not deep.
        let wide = format!("[{}]", vec!["params.a | upper"; 500].join(", "));
        assert_eq!(check_expression(&wide), Ok(()));
    }

    #[test]
    fn chains_nots_and_brackets_are_bounded() {
        let nots = format!("{}x", "not ".repeat(MAX_DEPTH + 1));
        assert!(check_expression(&nots).is_err());
        let filters = format!("x{}", " | upper".repeat(MAX_DEPTH + 1));
        let Err(TooDeep { offset }) = check_template(&format!("{{{{ {filters} }}}}")) else {
            panic!("a filter chain past the limit passed")
        };
        assert!(offset > 0);
        let members = format!("params{}", ".a".repeat(MAX_DEPTH + 1));
        assert!(check_expression(&members).is_err());
        let brackets = format!("{}1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(check_expression(&brackets).is_err());
        let ifs = "{% if a %}".repeat(MAX_DEPTH + 1);
        assert!(check_template(&ifs).is_err());
        // Strings hide what looks like operators.
        assert_eq!(
            check_expression(&format!("'{}'", "|.".repeat(5000))),
            Ok(())
        );
    }

    /// The margin: four times the limit, in every shape, compiles and evaluates (minijinja, our check bypassed) on
    /// a thread with a tokio worker's default stack of 2 MiB, in a debug build with its large frames. (It
    /// overflows between eight and sixteen times the limit.)
    #[test]
    fn the_engine_evaluates_far_past_the_limit_on_a_worker_stack() {
        let depth = 4 * MAX_DEPTH;
        let evaluated = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let environment = crate::foundation::template::environment();
                let context = crate::foundation::template::from_json_value(
                    &serde_json::json!({"params": {"force": true, "a": "x"}}),
                );
                let shapes = [
                    format!("{}params.force", "not ".repeat(depth)),
                    format!("'x'{}", " | upper".repeat(depth)),
                    format!("params{}", ".a".repeat(depth)),
                    format!("{}1{}", "(".repeat(depth), ")".repeat(depth)),
                    format!("1{}", " + 1".repeat(depth)),
                ];
                for source in &shapes {
                    // Errors (undefined members, parser limits) are fine; a stack overflow aborts the test.
                    let _ = environment
                        .compile_expression(source)
                        .map(|expression| expression.eval(&context));
                    let _ = environment.render_str(&format!("{{{{ {source} }}}}"), &context);
                }
                let nots = environment
                    .compile_expression(&shapes[0])
                    .and_then(|expression| expression.eval(&context));
                nots.map(|value| value.is_true())
            })
            .expect("spawn")
            .join()
            .expect("no panic");
        // An even number of `not` keeps the value.
        assert_eq!(evaluated.ok(), Some(true));
    }

    #[test]
    fn exactly_at_the_limit_passes() {
        let nots = format!("{}x", "not ".repeat(MAX_DEPTH));
        assert_eq!(check_expression(&nots), Ok(()));
    }
}
