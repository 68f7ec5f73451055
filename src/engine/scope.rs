//! The names templates see while a run is in progress: `params`, `vars`, `run`, `steps` (results so far),
//! and per step `output`, `item` and `loop`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use minijinja::Value;
use minijinja::value::{Object, ObjectRepr};

use super::deferred::Deferred;

/// What `steps.<id>` holds once a step has ended.
#[derive(Clone, Debug)]
pub enum Slot {
    /// `{status, output, <named outputs>}` as a template value.
    Known(Value),
    /// A plan did not run the step; reading it yields a [`Deferred`].
    Deferred,
}

/// Results of finished steps, shared by every task of a run.
#[derive(Debug)]
pub struct Results {
    index: HashMap<String, usize>,
    slots: RwLock<Vec<Option<Slot>>>,
    /// Per step, in a plan: the write (not sent) that this step ran after, itself or through its `needs`.
    after_write: RwLock<Vec<Option<String>>>,
}

impl Results {
    pub fn new(ids: impl IntoIterator<Item = String>) -> Results {
        let index: HashMap<String, usize> =
            ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        let slots = RwLock::new(vec![None; index.len()]);
        let after_write = RwLock::new(vec![None; index.len()]);
        Results {
            index,
            slots,
            after_write,
        }
    }

    /// Records that `step` comes after the unsent write `write` (a plan).
    pub fn set_after_write(&self, step: usize, write: Option<String>) {
        self.after_write.write().expect("results lock")[step] = write;
    }

    /// The first unsent write among `needs` and their own upstream, if any.
    pub fn write_upstream(&self, needs: &[usize]) -> Option<String> {
        let after_write = self.after_write.read().expect("results lock");
        needs.iter().find_map(|&need| after_write[need].clone())
    }

    pub fn set(&self, step: usize, slot: Slot) {
        self.slots.write().expect("results lock")[step] = Some(slot);
    }
}

/// `steps` as templates see it: looked up on access, so building a context costs nothing per step. The steps of a
/// nested runbook see their siblings by the ids written in its file: `prefix` is their place in the whole run.
#[derive(Debug)]
struct StepsView {
    results: Arc<Results>,
    prefix: String,
}

impl Object for StepsView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let written = key.as_str()?;
        let id = format!("{}{written}", self.prefix);
        let index = *self.results.index.get(&id)?;
        match self.results.slots.read().expect("results lock")[index].clone()? {
            Slot::Known(value) => Some(value),
            Slot::Deferred => Some(Deferred::step(&id)),
        }
    }
}

/// The run-wide names, built once.
#[derive(Clone, Debug)]
pub struct Scope {
    pub params: Value,
    pub vars: Value,
    pub run: Value,
    steps: Value,
    /// Where what templates derive from secrets goes ([`crate::foundation::taint`]).
    pub secrets: crate::foundation::secrets::Secrets,
}

impl Scope {
    pub fn new(
        params: Value,
        vars: Value,
        run: Value,
        results: Arc<Results>,
        secrets: crate::foundation::secrets::Secrets,
    ) -> Scope {
        Scope::nested(params, vars, run, results, String::new(), secrets)
    }

    /// The names the steps of a nested runbook see: its own parameters and vars, and its steps under `prefix`.
    pub fn nested(
        params: Value,
        vars: Value,
        run: Value,
        results: Arc<Results>,
        prefix: String,
        secrets: crate::foundation::secrets::Secrets,
    ) -> Scope {
        Scope {
            params,
            vars,
            run,
            steps: Value::from_object(StepsView { results, prefix }),
            secrets,
        }
    }

    /// The context of a step's `when`, `for_each` and success criteria.
    pub fn base(&self) -> Value {
        self.with(None, None)
    }

    /// The context with this step's `output` and, on a for_each step, `item` and `loop`.
    pub fn with(&self, output: Option<&Value>, item: Option<&ItemScope>) -> Value {
        let mut entries: Vec<(String, Value)> = vec![
            ("params".into(), self.params.clone()),
            ("vars".into(), self.vars.clone()),
            ("run".into(), self.run.clone()),
            ("steps".into(), self.steps.clone()),
        ];
        if let Some(output) = output {
            entries.push(("output".into(), output.clone()));
        }
        let mut tainted = std::collections::HashSet::new();
        if let Some(item) = item {
            entries.push(("item".into(), item.item.clone()));
            entries.push(("loop".into(), item.loop_value()));
            if item.tainted {
                tainted.insert("item".to_string());
            }
        }
        crate::foundation::taint::map(entries, &tainted, &self.secrets)
    }

    /// The run scope with `run.error` set, for `on_failure` steps.
    pub fn with_error(&self, error: &str) -> Scope {
        let mut run: serde_json::Value = serde_json::to_value(&self.run).unwrap_or_default();
        if let Some(map) = run.as_object_mut() {
            map.insert("error".into(), serde_json::Value::String(error.to_string()));
        }
        Scope {
            run: crate::foundation::template::from_json_value(&run),
            ..self.clone()
        }
    }
}

/// `item` and `loop` for one item of a for_each step. `loop.index` counts from 1 as in Jinja, `loop.index0` from 0.
#[derive(Clone, Debug)]
pub struct ItemScope {
    pub item: Value,
    pub index0: usize,
    pub length: usize,
    /// The list came from a secret: `item` is read as one.
    pub tainted: bool,
}

impl ItemScope {
    fn loop_value(&self) -> Value {
        Value::from_pairs([
            ("index", Value::from(self.index0 + 1)),
            ("index0", Value::from(self.index0)),
            ("length", Value::from(self.length)),
            ("first", Value::from(self.index0 == 0)),
            ("last", Value::from(self.index0 + 1 == self.length)),
        ])
    }
}
