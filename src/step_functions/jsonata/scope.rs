use std::collections::BTreeMap;

/// Which JSONata text each root name of our language stands for in the state being written: `params` ->
/// `$params`, `output` -> `$states.result`, and so on, as the caller decides. A name it does not bind is refused
/// where it is read.
///
/// The translation introduces function parameters of its own, all named `$jinja…`; a binding must not use that
/// prefix.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    roots: BTreeMap<String, String>,
}

impl Scope {
    pub fn new() -> Self {
        Scope::default()
    }

    pub fn bind(mut self, root: &str, jsonata: impl Into<String>) -> Self {
        self.roots.insert(root.to_string(), jsonata.into());
        self
    }

    pub(super) fn get(&self, root: &str) -> Option<&str> {
        self.roots.get(root).map(String::as_str)
    }

    /// The names it binds, for a hint when a name is not among them.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.roots.keys().map(String::as_str)
    }
}
