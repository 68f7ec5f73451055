//! The secret texts of one run: the values of its `secret: true` parameters, and every text its templates derived
//! from one ([`crate::foundation::taint`]). The set is shared: the engine adds derived texts as it renders them, before any
//! event carries them, and the redactor ([`crate::redact`]) replaces every one of them in whatever is shown,
//! journaled or written.
//!
//! Matching ignores ASCII case, because executors and AWS change it (an HTTP method is upper-cased, a name may
//! be lower-cased in an error). A secret must have at least [`MIN_LENGTH`] characters: a shorter one would match
//! unrelated text, and where `<redacted>` appeared would then give it away. Derived texts can be shorter (a slice,
//! a word chosen by a condition); those are replaced only where they stand as a word of their own, and the whole
//! text they were rendered into is a derived text too.

use std::ops::Range;
use std::sync::{Arc, RwLock};

/// Fewer characters than this cannot be a secret parameter's value.
pub const MIN_LENGTH: usize = 8;

/// What every secret text is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Why a secret parameter's value is refused, if it is; the value itself is never part of the message.
pub fn too_short(value: &serde_json::Value) -> Option<String> {
    let short = texts(value)
        .into_iter()
        .map(|text| text.chars().count())
        .find(|count| *count < MIN_LENGTH)?;
    Some(format!(
        "a secret needs at least {MIN_LENGTH} characters and this one has {short}: a shorter value would match \
         unrelated text, so it could not be kept out of the output"
    ))
}

/// The texts a secret value can show up as: itself, or each string in a list or map. Numbers and booleans in a
/// list or map are not secrets on their own (`5432` would blank out every such number).
pub fn texts(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(text) => vec![text.clone()],
        serde_json::Value::Array(items) => items.iter().flat_map(texts).collect(),
        serde_json::Value::Object(map) => map.values().flat_map(texts).collect(),
        serde_json::Value::Null | serde_json::Value::Bool(_) => Vec::new(),
        serde_json::Value::Number(number) => vec![number.to_string()],
    }
}

#[derive(Clone, Debug, Default)]
pub struct Secrets {
    /// Lower-cased (ASCII), longest first, so that one containing another is replaced whole.
    needles: Arc<RwLock<Vec<String>>>,
}

impl Secrets {
    pub fn add(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let needle = text.to_ascii_lowercase();
        let mut needles = self.needles.write().unwrap_or_else(|p| p.into_inner());
        if needles.contains(&needle) {
            return;
        }
        let at = needles
            .iter()
            .position(|other| other.len() < needle.len())
            .unwrap_or(needles.len());
        needles.insert(at, needle);
    }

    pub fn is_empty(&self) -> bool {
        self.needles
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// `text` with every secret text in it replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let needles = self.needles.read().unwrap_or_else(|p| p.into_inner());
        if needles.is_empty() || text.is_empty() {
            return text.to_string();
        }
        // ASCII lower-casing keeps every byte offset and character boundary, so ranges found in it apply to `text`.
        let haystack = text.to_ascii_lowercase();
        let bytes = haystack.as_bytes();
        let mut taken: Vec<Range<usize>> = Vec::new();
        for needle in needles.iter() {
            let whole_word_only = needle.chars().count() < MIN_LENGTH;
            let mut from = 0;
            while let Some(found) = haystack[from..].find(needle.as_str()) {
                let range = from + found..from + found + needle.len();
                from = range.end;
                if whole_word_only && !stands_alone(bytes, &range) {
                    continue;
                }
                if taken
                    .iter()
                    .any(|t| t.start < range.end && range.start < t.end)
                {
                    continue;
                }
                taken.push(range);
            }
        }
        if taken.is_empty() {
            return text.to_string();
        }
        taken.sort_by_key(|range| range.start);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for range in taken {
            out.push_str(&text[at..range.start]);
            out.push_str(REDACTED);
            at = range.end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Whether the match is not part of a longer word (letters and digits on either side).
fn stands_alone(bytes: &[u8], range: &Range<usize>) -> bool {
    let before = range.start == 0 || !bytes[range.start - 1].is_ascii_alphanumeric();
    let after = range.end == bytes.len() || !bytes[range.end].is_ascii_alphanumeric();
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_whatever_their_case_and_short_derived_ones_only_as_words() {
        let secrets = Secrets::default();
        secrets.add("ZQ9secretXK7PW");
        secrets.add("7PW");
        assert_eq!(
            secrets.redact("use http.send for ZQ9SECRETXK7PW, ends 7PW; not 7PWX"),
            "use http.send for <redacted>, ends <redacted>; not 7PWX"
        );
        assert_eq!(secrets.redact("nothing here"), "nothing here");
        assert_eq!(secrets.redact("é zq9secretxk7pw é"), "é <redacted> é");
    }

    #[test]
    fn short_secret_values_are_refused_without_showing_them() {
        let refused = too_short(&serde_json::json!("hunter2")).unwrap();
        assert!(!refused.contains("hunter2"), "{refused}");
        assert!(refused.contains("at least 8"), "{refused}");
        assert_eq!(too_short(&serde_json::json!("hunter2-long")), None);
        assert!(too_short(&serde_json::json!(["long-enough", "short"])).is_some());
    }
}
