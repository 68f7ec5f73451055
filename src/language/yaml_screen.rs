//! A first, cheap pass over a runbook's YAML events, before the typed parse in [`crate::foundation::node`].
//!
//! It refuses what means nothing in a runbook and would otherwise be silently accepted: tags (`!!python/object`,
//! `!foo`, `!!binary`), an anchor defined twice (which one an alias meant depends on where it stands), and
//! directives other than `%YAML`. And it fails fast on the limits: building the spanned tree costs far more per
//! node than reading events, so a document with too many nodes or steps is refused here, after reading at most
//! a limit's worth of events, rather than after the whole tree was built.
//!
//! A document the event parser cannot read passes: the typed parse then reports the syntax error its usual way.

use std::collections::HashMap;
use std::sync::Arc;

use serde_saphyr::granit_parser::{self, Event, Marker, Parser};

use crate::foundation::diagnostic::{Diagnostic, Diagnostics, ErrorKind};
use crate::foundation::node::MAX_NODES;
use crate::foundation::source::{SourceFile, Span};
use crate::language::validator::MAX_STEPS;

/// Reports every tag, redefined anchor and unknown directive, or the first limit exceeded.
pub fn screen(file: &Arc<SourceFile>) -> Result<(), Vec<Diagnostic>> {
    if file.text.len() > crate::foundation::node::MAX_FILE_BYTES {
        // Refused by its size alone, without reading it (crate::foundation::node::parse).
        return Ok(());
    }
    let mut cx = Diagnostics::new(file);
    directives(file, &mut cx);
    let mut options = granit_parser::Options::default();
    options.emit_anchor_events = true;
    options.emit_comments = false;
    let mut walk = Walk::default();
    for event in Parser::new_from_str_with_options(&file.text, options) {
        let Ok((event, span)) = event else { break };
        if has_tag(&event) {
            let at = span_of(file, span.tag_start.unwrap_or(span.start));
            let (tag, at) = token_at(file, at);
            cx.error(ErrorKind::YamlTag { tag }, at).set_hint(
                "YAML tags mean nothing in a runbook; remove it (quote the value if it is text)",
            );
        }
        if let Event::Anchor(_, name) = &event {
            let (_, at) = token_at(file, span_of(file, span.start));
            match walk.anchors.get(name.as_ref()) {
                Some(first) => {
                    let line = first.line;
                    cx.error(
                        ErrorKind::AnchorRedefined {
                            name: name.to_string(),
                        },
                        at,
                    )
                    .set_hint(format!(
                        "`&{name}` is first defined on line {line}; give each anchor its own name"
                    ));
                }
                None => {
                    walk.anchors.insert(name.to_string(), at);
                }
            }
            continue;
        }
        if let Some(limit) = walk.step(&event, span.start) {
            let at = span_of(file, limit.at);
            match limit.kind {
                Limit::Nodes => cx
                    .error(
                        ErrorKind::DocumentTooLarge {
                            message: format!("it has more than {MAX_NODES} YAML nodes"),
                        },
                        at,
                    )
                    .set_hint("split the procedure into several runbooks"),
                Limit::Steps(count) => cx
                    .error(
                        ErrorKind::TooManySteps {
                            count,
                            limit: MAX_STEPS,
                        },
                        walk.steps_key.map_or(at, |key| span_of(file, key)),
                    )
                    .set_hint("split the procedure into several runbooks"),
            };
            break;
        }
    }
    if cx.is_empty() {
        Ok(())
    } else {
        Err(cx.into_sorted())
    }
}

/// `%` lines before the first `---`: only `%YAML` means something to us (and needs nothing).
fn directives(file: &Arc<SourceFile>, cx: &mut Diagnostics) {
    let text = &file.text;
    if !text.starts_with('%') && !text.contains("\n%") {
        return;
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") {
            return;
        }
        if let Some(directive) = line.strip_prefix('%') {
            let name = directive
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or_default();
            if name != "YAML" {
                cx.error(
                    ErrorKind::YamlDirective {
                        name: name.to_string(),
                    },
                    Span {
                        len: name.len() + 1,
                        ..file.span_at(offset)
                    },
                )
                .set_hint("a runbook needs no directives; remove this line");
            }
        }
        offset += line.len();
    }
}

fn has_tag(event: &Event<'_>) -> bool {
    match event {
        Event::Scalar(_, _, _, tag)
        | Event::SequenceStart(_, _, tag)
        | Event::MappingStart(_, _, tag) => tag.is_some(),
        _ => false,
    }
}

/// The token written at a span (a tag or an anchor, up to the next blank), and the span widened to cover it.
fn token_at(file: &SourceFile, at: Span) -> (String, Span) {
    let rest = file.text.get(at.offset..).unwrap_or_default();
    let token: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(200)
        .collect();
    let len = token.len();
    (token, Span { len, ..at })
}

fn span_of(file: &SourceFile, marker: Marker) -> Span {
    match marker.byte_offset() {
        Some(offset) => file.span_at(offset),
        None => file.span_at_line_column(marker.line() as u32, marker.col() as u32 + 1, 1),
    }
}

enum Limit {
    Nodes,
    Steps(usize),
}

struct Exceeded {
    kind: Limit,
    at: Marker,
}

/// Where the walk stands: open collections, the count of nodes, and of items in the top-level `steps`.
#[derive(Default)]
struct Walk {
    /// Per open collection: is it a mapping, and (for a mapping) is the next scalar a key?
    open: Vec<Open>,
    nodes: usize,
    anchors: HashMap<String, Span>,
    /// The top-level `steps:` key was just read; the next node is the step list.
    steps_next: bool,
    steps_key: Option<Marker>,
    /// Items seen in the step list, while it is open.
    steps: Option<usize>,
    too_many_steps: bool,
}

struct Open {
    mapping: bool,
    at_key: bool,
    is_steps: bool,
}

impl Walk {
    /// Takes in one event; says which limit it went past, at the end of the step list for the step limit (so the
    /// message has the real count).
    fn step(&mut self, event: &Event<'_>, at: Marker) -> Option<Exceeded> {
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        );
        if starts_node {
            self.nodes += 1;
            if self.nodes > MAX_NODES {
                return Some(Exceeded {
                    kind: Limit::Nodes,
                    at,
                });
            }
            let depth = self.open.len();
            let parent = self.open.last_mut();
            let is_key = parent.as_ref().is_some_and(|p| p.mapping && p.at_key);
            if let Some(parent) = parent {
                if parent.is_steps {
                    let count = self.steps.get_or_insert(0);
                    *count += 1;
                    self.too_many_steps |= *count > MAX_STEPS;
                }
                if parent.mapping {
                    parent.at_key = !parent.at_key;
                }
            }
            let this_is_steps = std::mem::take(&mut self.steps_next);
            if depth == 1
                && is_key
                && let Event::Scalar(value, ..) = event
                && value == "steps"
            {
                self.steps_next = true;
                self.steps_key = Some(at);
            }
            match event {
                Event::SequenceStart(..) => self.open.push(Open {
                    mapping: false,
                    at_key: false,
                    is_steps: this_is_steps && depth == 1,
                }),
                Event::MappingStart(..) => self.open.push(Open {
                    mapping: true,
                    at_key: true,
                    is_steps: false,
                }),
                _ => {}
            }
            return None;
        }
        if matches!(event, Event::SequenceEnd | Event::MappingEnd)
            && let Some(closed) = self.open.pop()
            && closed.is_steps
            && self.too_many_steps
        {
            return Some(Exceeded {
                kind: Limit::Steps(self.steps.unwrap_or_default()),
                at,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(&'static str, u32, u32)> {
        match screen(&SourceFile::new("t.yaml", text.to_string())) {
            Ok(()) => Vec::new(),
            Err(diagnostics) => diagnostics
                .iter()
                .map(|d| (d.kind.code(), d.span.line, d.span.column))
                .collect(),
        }
    }

    #[test]
    fn tags_anchors_and_directives_are_refused_where_written() {
        assert_eq!(
            codes("a: !!python/object/apply:os.system [id]\nb: !foo x\nc: !!binary aGk=\n"),
            [("yaml-tag", 1, 4), ("yaml-tag", 2, 4), ("yaml-tag", 3, 4)]
        );
        assert_eq!(
            codes("a: &x 1\nb: &x 2\nc: *x\n"),
            [("anchor-redefined", 2, 4)]
        );
        assert_eq!(
            codes("%YAML 1.2\n%FOO bar\n---\na: 1\n"),
            [("yaml-directive", 2, 1)]
        );
        assert!(codes("a: &x 1\nb: *x\nc: '!not a tag'\nd: 50%\n").is_empty());
    }

    #[test]
    fn the_step_limit_is_counted_in_the_top_level_list_only() {
        let mut text = String::from("name: x\nsteps:\n");
        for _ in 0..=MAX_STEPS {
            text.push_str("- {id: a}\n");
        }
        assert_eq!(codes(&text), [("too-many-steps", 2, 1)]);
        let nested = format!(
            "name: x\nother: {{steps: [{}]}}\n",
            "1,".repeat(MAX_STEPS + 1)
        );
        assert!(codes(&nested).is_empty());
    }
}
