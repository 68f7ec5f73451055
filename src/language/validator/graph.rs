//! The step graph: step ids, `needs`, cycles (named as the whole chain) and what is upstream of what.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::foundation::diagnostic::ErrorKind;
use crate::foundation::source::Span;
use crate::foundation::suggest;
use crate::language::raw::RawStep;

use super::*;

impl Validator<'_> {
    /// Records step ids, reporting malformed and duplicate ones, and output names.
    pub(super) fn index_steps(&mut self, steps: &[RawStep], on_failure: &[RawStep]) {
        let mut first_seen: HashMap<String, Span> = HashMap::new();
        for (index, step) in steps.iter().chain(on_failure).enumerate() {
            let Some(id) = &step.id else { continue };
            if !IDENTIFIER.is_match(&id.value) {
                let suggestion = id.value.to_lowercase().replace(['-', ' ', '.'], "_");
                self.error(ErrorKind::InvalidStepId { id: id.value.clone() }, id.span).set_hint(format!(
                    "step ids are lowercase letters, digits and underscores, starting with a letter, such as `{suggestion}`"
                ));
            }
            if let Some(first) = first_seen.get(&id.value) {
                let line = first.line;
                self.error(
                    ErrorKind::DuplicateStepId {
                        id: id.value.clone(),
                    },
                    id.span,
                )
                .set_hint(format!(
                    "the first is on line {line}; give each step its own id"
                ));
                continue;
            }
            first_seen.insert(id.value.clone(), id.span);
            if index < steps.len() {
                self.step_ids.insert(id.value.clone(), index);
            }
        }
        self.step_outputs = steps
            .iter()
            .enumerate()
            .map(|(index, step)| match self.children.get(&index) {
                // A `runbook:` step gives its child's outputs.
                Some(child) => child.outputs.iter().map(|(name, _)| name.clone()).collect(),
                None => step
                    .outputs
                    .as_ref()
                    .map(|o| o.0.iter().map(|(k, _)| k.name.clone()).collect())
                    .unwrap_or_default(),
            })
            .collect();
    }

    pub(super) fn resolve_needs(&mut self, steps: &[RawStep]) {
        self.needs = vec![Vec::new(); steps.len()];
        for (index, step) in steps.iter().enumerate() {
            let step_id = step.id.as_ref().map_or("?", |id| id.value.as_str());
            for need in step.needs.iter().flatten() {
                match self.step_ids.get(&need.value) {
                    Some(&target) => self.needs[index].push(target),
                    None => {
                        let hint = self
                            .may_suggest(SuggestionKind::Need)
                            .then(|| {
                                suggest::did_you_mean(
                                    &need.value,
                                    self.step_ids.keys().map(String::as_str),
                                )
                            })
                            .flatten()
                            .unwrap_or_else(|| "`needs` lists ids of steps in `steps`".to_string());
                        self.cx
                            .error(
                                ErrorKind::UnknownNeed {
                                    step: step_id.to_string(),
                                    need: need.value.clone(),
                                },
                                need.span,
                            )
                            .set_hint(hint);
                    }
                }
            }
        }
    }

    /// Finds every cycle through `needs` with an iterative depth-first search (a 100,000-step chain must not
    /// overflow the stack) and reports each with its whole chain.
    pub(super) fn report_cycles(&mut self, steps: &[RawStep]) {
        const NEW: u8 = 0;
        const ON_STACK: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![NEW; steps.len()];
        let id_of = |index: usize| steps[index].id.as_ref().map_or("?", |id| id.value.as_str());
        for start in 0..steps.len() {
            if state[start] != NEW {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = ON_STACK;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&target) = self.needs[node].get(*next) {
                    *next += 1;
                    match state[target] {
                        NEW => {
                            state[target] = ON_STACK;
                            stack.push((target, 0));
                        }
                        ON_STACK => {
                            let from = stack.iter().position(|&(n, _)| n == target).unwrap_or(0);
                            let mut chain: Vec<&str> =
                                stack[from..].iter().map(|&(n, _)| id_of(n)).collect();
                            chain.push(id_of(target));
                            let span = steps[node]
                                .needs
                                .iter()
                                .flatten()
                                .find(|need| need.value == id_of(target))
                                .map_or(Span::NONE, |need| need.span);
                            let chain = chain.join(" -> ");
                            self.error(ErrorKind::Cycle { chain }, span).set_hint(
                                "`a -> b` reads \"a needs b\"; remove one of these needs so the steps can be ordered",
                            );
                        }
                        _ => {}
                    }
                } else {
                    state[node] = DONE;
                    stack.pop();
                }
            }
        }
    }

    /// Whether main step `target` is upstream of main step `from` through `needs`.
    pub(super) fn is_upstream(&self, from: usize, target: usize) -> bool {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<usize> = self.needs[from].iter().copied().collect();
        while let Some(index) = queue.pop_front() {
            if index == target {
                return true;
            }
            if seen.insert(index) {
                queue.extend(self.needs[index].iter().copied());
            }
        }
        false
    }
}
