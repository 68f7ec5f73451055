//! Values a plan cannot know: the results of writes it does not send, and of reads it may not make.
//!
//! A deferred step appears in templates as a [`Deferred`] value. Reading into it builds a path, and printing it
//! shows where the value will come from (`<from restore: TableDescription.TableArn>`) instead of failing or
//! inventing one. Every evaluation is watched ([`watch`]) so the plan knows which requests, conditions and checks
//! depend on such a value and shows them as deferred, with the reason.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::{Object, ObjectRepr};

thread_local! {
    /// Origins of deferred values read during the current evaluation. Template evaluation is synchronous, so
    /// the thread that starts an evaluation is the one whose reads are recorded.
    static TOUCHED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Runs `evaluate` and returns what it gave together with the deferred values it read, first one first.
pub fn watch<T>(evaluate: impl FnOnce() -> T) -> (T, Vec<String>) {
    TOUCHED.with(|touched| touched.borrow_mut().clear());
    let result = evaluate();
    let touched = TOUCHED.with(|touched| std::mem::take(&mut *touched.borrow_mut()));
    (result, touched)
}

fn touch(origin: String) {
    TOUCHED.with(|touched| {
        let mut touched = touched.borrow_mut();
        if !touched.contains(&origin) {
            touched.push(origin);
        }
    });
}

/// Where [`watch`] records a parameter an offline plan was not given: `param:<name>`; a step is recorded by id.
pub const PARAM_ORIGIN: &str = "param:";

#[derive(Debug)]
pub struct Deferred {
    /// A step id, or `param:<name>`.
    step: String,
    path: Vec<String>,
}

impl Deferred {
    /// The value of `steps.<step>` while that step has not really run.
    pub fn step(step: &str) -> Value {
        touch(step.to_string());
        Value::from_object(Deferred {
            step: step.to_string(),
            path: Vec::new(),
        })
    }

    /// A required parameter an offline plan (a pull request) was not given.
    pub fn param(name: &str) -> Value {
        Value::from_object(Deferred {
            step: format!("{PARAM_ORIGIN}{name}"),
            path: Vec::new(),
        })
    }
}

impl fmt::Display for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = self.step.strip_prefix(PARAM_ORIGIN) {
            return write!(f, "<param {name}>");
        }
        match self.path.split_first() {
            None => write!(f, "<from {}>", self.step),
            Some((first, [])) if first == "output" => write!(f, "<from {}>", self.step),
            Some((first, rest)) if first == "output" => {
                write!(f, "<from {}: {}>", self.step, rest.join("."))
            }
            Some(_) => write!(f, "<from {}.{}>", self.step, self.path.join(".")),
        }
    }
}

impl Object for Deferred {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let mut path = self.path.clone();
        path.push(match key.as_str() {
            Some(name) => name.to_string(),
            None => key.to_string(),
        });
        touch(self.step.clone());
        Some(Value::from_object(Deferred {
            step: self.step.clone(),
            path,
        }))
    }

    fn is_true(self: &Arc<Self>) -> bool {
        touch(self.step.clone());
        true
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        touch(self.step.clone());
        write!(f, "{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_into_a_deferred_step_names_the_source_and_is_recorded() {
        let context = Value::from_pairs([(
            "steps",
            Value::from_pairs([("restore", Deferred::step("restore"))]),
        )]);
        let (rendered, touched) = watch(|| {
            crate::foundation::template::render(
                "{{ steps.restore.output.TableDescription.TableArn }}",
                &context,
            )
        });
        assert_eq!(
            rendered.unwrap().to_string(),
            "<from restore: TableDescription.TableArn>"
        );
        assert_eq!(touched, ["restore"]);
        let (_, touched) =
            watch(|| crate::foundation::template::render("plain {{ 1 + 1 }}", &context));
        assert!(touched.is_empty());
    }
}
