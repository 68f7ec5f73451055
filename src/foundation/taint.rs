//! Taint: what a template derives from a secret is secret too.
//!
//! Replacing a secret's text wherever it appears ([`crate::foundation::secrets`]) misses what templates make of it:
//! `{{ params.token | upper }}`, `| reverse`, `[2:9]`, `| urlencode`, a var or a step output computed from it.
//! So secret values are read through [`map`]: a template value that records (per thread, as template evaluation
//! is synchronous) that a secret was read. Whatever an evaluation outputs after such a read is added to the run's
//! secret texts before anything shows it: each `{{ }}` of a template that printed a string after the read (and the
//! whole rendered text when that output is short, see [`crate::foundation::secrets`]), and every string in the value of a
//! bare expression or a single-`{{ }}` template that read one. Vars, step outputs and for_each items computed from
//! a secret are themselves read through [`map`], so taint follows them to where they are used.
//!
//! What is not tracked: numbers and booleans (a secret's length, a comparison), and text written literally
//! inside a `{% if %}` on a secret; the first is not the secret, the second is the runbook author's choice.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

use crate::foundation::secrets::{MIN_LENGTH, Secrets};

#[derive(Default)]
struct State {
    /// A secret was read since the last output of the current text: where to add what is output next.
    since_output: Option<Secrets>,
    /// A short derived output went into the current text: the whole text is to be added too.
    widen: Option<Secrets>,
    /// A secret was read since [`watch`] started.
    any: Option<Secrets>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn touch(secrets: &Secrets) {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        state.since_output = Some(secrets.clone());
        state.any = Some(secrets.clone());
    });
}

/// Runs `evaluate` and says whether it read a secret (a tainted entry of a [`map`]).
pub fn watch<T>(evaluate: impl FnOnce() -> T) -> (T, bool) {
    let outer = STATE.with(|state| state.borrow_mut().any.take());
    let result = evaluate();
    let read = STATE.with(|state| {
        let mut state = state.borrow_mut();
        let read = state.any.is_some();
        // A watch inside another one: what the inner one saw, the outer one saw too.
        if outer.is_some() || read {
            state.any = state.any.take().or(outer);
        }
        read
    });
    (result, read)
}

/// A template map (`params`, `vars`, `steps.<id>`, a context) whose `tainted` entries record that a secret was
/// read when they are. Without tainted entries it is a plain map.
pub fn map(
    entries: impl IntoIterator<Item = (String, Value)>,
    tainted: &HashSet<String>,
    secrets: &Secrets,
) -> Value {
    let values: IndexMap<String, Value> = entries.into_iter().collect();
    if !values.keys().any(|key| tainted.contains(key)) {
        return Value::from_pairs(values);
    }
    Value::from_object(Tainted {
        tainted: values
            .keys()
            .filter(|key| tainted.contains(*key))
            .cloned()
            .collect(),
        values,
        secrets: secrets.clone(),
    })
}

#[derive(Debug)]
struct Tainted {
    values: IndexMap<String, Value>,
    tainted: HashSet<String>,
    secrets: Secrets,
}

impl Object for Tainted {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        let value = self.values.get(name)?;
        if self.tainted.contains(name) {
            touch(&self.secrets);
        }
        Some(value.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.values
                .keys()
                .map(|key| Value::from(key.as_str()))
                .collect(),
        )
    }
}

/// The strings in a template value, at any depth; numbers and booleans are not the secret they came from.
fn strings(value: &Value, out: &mut Vec<String>) {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::String => out.extend(value.as_str().map(str::to_string)),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable | ValueKind::Plain => {
            if let Ok(json) = serde_json::to_value(value) {
                json_strings(&json, out);
            }
        }
        _ => {}
    }
}

fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => out.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|item| json_strings(item, out)),
        serde_json::Value::Object(map) => map.values().for_each(|item| json_strings(item, out)),
        _ => {}
    }
}

/// Starts rendering one text: nothing read yet.
pub(crate) fn begin() {
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        state.since_output = None;
        state.widen = None;
    });
}

/// One `{{ }}` is about to be output: if it read a secret, what it prints is secret.
pub(crate) fn output(value: &Value) {
    let Some(secrets) = STATE.with(|state| state.borrow_mut().since_output.take()) else {
        return;
    };
    let mut found = Vec::new();
    strings(value, &mut found);
    for text in &found {
        secrets.add(text);
    }
    if found.iter().any(|text| text.chars().count() < MIN_LENGTH) {
        STATE.with(|state| state.borrow_mut().widen = Some(secrets.clone()));
    }
    // Turning the value into strings may have read it again.
    STATE.with(|state| state.borrow_mut().since_output = None);
}

/// A template finished rendering to `text`: added whole when a short derived output went into it.
pub(crate) fn finish_text(text: &str) {
    if let Some(secrets) = STATE.with(|state| state.borrow_mut().widen.take()) {
        secrets.add(text);
    }
    begin();
}

/// A bare expression (or a single-`{{ }}` template) evaluated to `value`: if it read a secret, its strings are
/// secret.
pub(crate) fn finish_value(value: &Value) {
    output(value);
    begin();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(secrets: &Secrets) -> Value {
        let params = map(
            [
                ("token".to_string(), Value::from("ZQ9secretXK7PW")),
                ("region".to_string(), Value::from("eu-west-1")),
            ],
            &HashSet::from(["token".to_string()]),
            secrets,
        );
        Value::from_pairs([("params".to_string(), params)])
    }

    #[test]
    fn what_templates_derive_from_a_secret_becomes_secret_and_the_rest_does_not() {
        let secrets = Secrets::default();
        let context = context(&secrets);
        let rendered = crate::foundation::template::render(
            "{{ params.region }} {{ params.token | upper }} {{ params.token | reverse }} {{ params.token[2:12] }}",
            &context,
        )
        .unwrap()
        .to_string();
        assert_eq!(
            secrets.redact(&rendered),
            "eu-west-1 <redacted> <redacted> <redacted>"
        );
        let (sliced, read) =
            watch(|| crate::foundation::template::evaluate("params.token[0:2]", &context));
        assert!(read);
        assert_eq!(sliced.unwrap().as_str(), Some("ZQ"));
        assert_eq!(secrets.redact("starts ZQ here"), "starts <redacted> here");
        let (_, read) = watch(|| crate::foundation::template::evaluate("params.region", &context));
        assert!(!read);
        assert_eq!(secrets.redact("eu-west-1"), "eu-west-1");
        // A short derived output inside a text makes the whole text secret.
        let line =
            crate::foundation::template::render("last two: {{ params.token[-2:] }}", &context)
                .unwrap()
                .to_string();
        assert_eq!(secrets.redact(&line), "<redacted>");
    }
}
