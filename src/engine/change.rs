//! What a write changed, as before -> after (`alias live of f: version 3 -> 2`), or what its output says it did
//! (`moved 50 of 50`): read before the write and again after it as the registry declares
//! ([`crate::actions::observed`]), journaled with the step, and shown by the run summary, `audit timeline` and
//! the plan ("will change ... from 3 to 2").

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::action_context::ActionContext;
use crate::actions::{self, How, Observed};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What changed, in words with the request's values (`alias live of f`); for a write whose output
    /// says what it did, the whole line.
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Json>,
    /// A plan's change: `after` is what the request will set, not a value read back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub planned: bool,
    /// Why a value is missing: an offline plan, or a read that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn shown(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl Change {
    /// One line for people.
    pub fn line(&self) -> String {
        let what = &self.what;
        let unknown = || self.note.clone().unwrap_or_else(|| "unknown".into());
        match (self.planned, &self.before, &self.after) {
            (false, None, None) if self.note.is_none() => what.clone(),
            (true, Some(before), Some(after)) if before == after => {
                format!("{what} stays {} (already so)", shown(before))
            }
            (true, Some(before), Some(after)) => {
                format!(
                    "will change {what} from {} to {}",
                    shown(before),
                    shown(after)
                )
            }
            (true, None, Some(after)) => {
                format!("will set {what} to {} (now: {})", shown(after), unknown())
            }
            (true, Some(before), None) => format!("will change {what} (now {})", shown(before)),
            (true, None, None) => format!("will change {what} (now: {})", unknown()),
            (false, Some(before), Some(after)) if before == after => {
                format!("{what}: {} (unchanged)", shown(before))
            }
            (false, before, after) => {
                let side =
                    |value: &Option<Json>| value.as_ref().map(shown).unwrap_or_else(|| "?".into());
                let mut line = format!("{what}: {} -> {}", side(before), side(after));
                if let Some(note) = &self.note {
                    line.push_str(&format!(" ({note})"));
                }
                line
            }
        }
    }
}

/// The value at a dotted path (`Table.StreamSpecification.StreamEnabled`).
fn at<'a>(value: &'a Json, path: &str) -> Option<&'a Json> {
    path.split('.')
        .try_fold(value, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

/// `moved {Moved} of {Received}` with the output's values (`?` where the output has none).
fn fill_from_output(text: &str, output: &Json) -> String {
    actions::fill_placeholders(text, |path| {
        Some(at(output, path).map(shown).unwrap_or_else(|| "?".into()))
    })
}

/// One field as read: its label (filled), its declaration, and its value now, or why there is none.
type SeenField = (
    String,
    &'static actions::Field,
    Result<Option<Json>, String>,
);

/// The state a [`How::Read`] sees: for each field the request sets, its label (filled) and the value now.
pub(super) struct Seen {
    fields: Vec<SeenField>,
}

/// Reads what the write is about to change (and, called again after it, what it changed).
pub(super) async fn read(
    context: &ActionContext,
    observed: &'static Observed,
    request: &Map<String, Json>,
) -> Option<Seen> {
    let How::Read { read, with, fields } = &observed.how else {
        return None;
    };
    let spec = actions::lookup(read)?;
    let wanted: Vec<&'static actions::Field> = fields
        .iter()
        .filter(|field| {
            field
                .set_by
                .is_none_or(|member| request.get(member).is_some_and(|v| !v.is_null()))
        })
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let mut read_request = Map::new();
    for (read_member, write_member) in *with {
        if let Some(value) = request.get(*write_member).filter(|v| !v.is_null()) {
            read_request.insert((*read_member).to_string(), value.clone());
        }
    }
    let output = super::step::invoke(context, spec, &read_request)
        .await
        .map_err(|error| format!("{read} failed: {}", error.code));
    Some(Seen {
        fields: wanted
            .into_iter()
            .map(|field| {
                let value = output
                    .as_ref()
                    .map(|output| at(output, field.path).cloned())
                    .map_err(Clone::clone);
                (
                    super::step::fill_summary(field.label, request),
                    field,
                    value,
                )
            })
            .collect(),
    })
}

/// A plan's changes: the state now, and what the request sets.
pub(super) fn planned(
    seen: Option<Seen>,
    observed: &'static Observed,
    request: &Map<String, Json>,
    why_unknown: Option<&str>,
) -> Vec<Change> {
    let fields: Vec<SeenField> = match (seen, &observed.how) {
        (Some(seen), _) => seen.fields,
        (None, How::Read { fields, .. }) => fields
            .iter()
            .filter(|field| {
                field
                    .set_by
                    .is_none_or(|member| request.get(member).is_some_and(|v| !v.is_null()))
            })
            .map(|field| {
                (
                    super::step::fill_summary(field.label, request),
                    field,
                    Err(why_unknown.unwrap_or("not read").to_string()),
                )
            })
            .collect(),
        (None, How::Output(_)) => return Vec::new(),
    };
    fields
        .into_iter()
        .map(|(what, field, before)| {
            let (before, note) = match before {
                Ok(value) => (value, None),
                Err(note) => (None, Some(note)),
            };
            Change {
                what,
                before,
                after: field.set_by.and_then(|member| request.get(member).cloned()),
                planned: true,
                note,
            }
        })
        .collect()
}

/// A run's changes: before and after each field, or the line the output fills.
pub(super) fn done(
    observed: &Observed,
    before: Option<Seen>,
    after: Option<Seen>,
    output: &Json,
) -> Vec<Change> {
    match &observed.how {
        How::Output(text) => vec![Change {
            what: fill_from_output(text, output),
            before: None,
            after: None,
            planned: false,
            note: None,
        }],
        How::Read { .. } => {
            let Some(before) = before else {
                return Vec::new();
            };
            let mut after = after
                .map(|seen| seen.fields.into_iter())
                .into_iter()
                .flatten();
            before
                .fields
                .into_iter()
                .map(|(what, _, before)| {
                    let after = after.next().map(|(_, _, value)| value);
                    let mut notes = Vec::new();
                    let before = before.unwrap_or_else(|note| {
                        notes.push(format!("before: {note}"));
                        None
                    });
                    let after = match after {
                        Some(Ok(value)) => value,
                        Some(Err(note)) => {
                            notes.push(format!("after: {note}"));
                            None
                        }
                        None => None,
                    };
                    Change {
                        what,
                        before,
                        after,
                        planned: false,
                        note: (!notes.is_empty()).then(|| notes.join("; ")),
                    }
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(before: Option<Json>, after: Option<Json>, planned: bool) -> Change {
        Change {
            what: "alias live of f".into(),
            before,
            after,
            planned,
            note: None,
        }
    }

    #[test]
    fn lines_say_before_and_after_in_runs_and_plans() {
        assert_eq!(
            change(Some(json!("3")), Some(json!("2")), false).line(),
            "alias live of f: 3 -> 2"
        );
        assert_eq!(
            change(Some(json!("3")), Some(json!("2")), true).line(),
            "will change alias live of f from 3 to 2"
        );
        assert_eq!(
            change(Some(json!(900)), Some(json!(900)), false).line(),
            "alias live of f: 900 (unchanged)"
        );
        let offline = Change {
            note: Some("offline".into()),
            ..change(None, Some(json!("2")), true)
        };
        assert_eq!(
            offline.line(),
            "will set alias live of f to 2 (now: offline)"
        );
    }

    #[test]
    fn output_lines_fill_dotted_paths() {
        let output = json!({"Moved": 50, "Received": 50, "BackupDetails": {"BackupName": "b1"}});
        assert_eq!(
            fill_from_output("moved {Moved} of {Received}", &output),
            "moved 50 of 50"
        );
        assert_eq!(
            fill_from_output("backup {BackupDetails.BackupName} kept", &output),
            "backup b1 kept"
        );
        assert_eq!(fill_from_output("{Missing}", &output), "?");
    }
}
