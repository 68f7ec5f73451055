//! What the language knows of an action: its name, whether it reads or writes, and the members its `with:` takes.
//!
//! The validator checks steps against these shapes and the validated model keeps the shape of each step's action;
//! neither knows how an action runs. The table of actions lives in a layer above (the registry), which hands the
//! validator an [`ActionTable`]; the engine finds a step's executor there by the action's name.

pub use crate::foundation::effect::Effect;

/// The JSON type of an input member, as the AWS API reference describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberType {
    String,
    Integer,
    Number,
    Boolean,
    /// An RFC 3339 string (or epoch seconds) in our YAML.
    Timestamp,
    List,
    Map,
    /// A nested structure with members of its own (checked by AWS, not by us).
    Structure,
    /// Any JSON value (documents, attribute values).
    Any,
}

impl MemberType {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::String => "string",
            MemberType::Integer => "integer",
            MemberType::Number => "number",
            MemberType::Boolean => "boolean",
            MemberType::Timestamp => "timestamp",
            MemberType::List => "list",
            MemberType::Map => "map",
            MemberType::Structure => "structure",
            MemberType::Any => "any",
        }
    }
}

/// What a member's value must be when the runbook writes it as a literal rather than a template, beyond its type:
/// the validator refuses now what the action would only refuse at run time. A templated value is checked when the
/// step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralRule {
    /// Nothing beyond the type.
    Any,
    /// A duration (`30s`, `2h`) no longer than the validator's limit (`core.sleep`'s `duration`).
    Duration,
    /// An HTTP method that only reads (GET, HEAD, OPTIONS), so that plans may run the action; `otherwise` names
    /// the action that may send any method (`http.request`'s `method`, `http.send`).
    ReadOnlyMethod { otherwise: &'static str },
}

/// One top-level input member of an action.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Member {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: MemberType,
    pub required: bool,
    #[serde(skip)]
    pub literal: LiteralRule,
}

impl Member {
    /// The member, with what its literal values must be besides their type.
    pub const fn literal(self, rule: LiteralRule) -> Member {
        Member {
            literal: rule,
            ..self
        }
    }
}

/// A required member.
pub const fn req(name: &'static str, ty: MemberType) -> Member {
    Member {
        name,
        ty,
        required: true,
        literal: LiteralRule::Any,
    }
}

/// An optional member.
pub const fn opt(name: &'static str, ty: MemberType) -> Member {
    Member {
        name,
        ty,
        required: false,
        literal: LiteralRule::Any,
    }
}

/// An action as the validator checks a step against it and as the validated model keeps it.
#[derive(Clone, Copy, Debug)]
pub struct ActionShape {
    /// `<service>.<Operation>`, e.g. `dynamodb.RestoreTableToPointInTime`; the engine finds the executor by it.
    pub name: &'static str,
    pub effect: Effect,
    pub members: &'static [Member],
    /// A `with:` block showing typical use, as YAML; its first line hints at the shape of a wrong `with:`.
    pub example: &'static str,
}

impl ActionShape {
    pub fn member(&self, name: &str) -> Option<&'static Member> {
        self.members.iter().find(|member| member.name == name)
    }
}

/// The actions a runbook may name, as the validator is handed them.
pub trait ActionTable {
    /// The action with exactly this name.
    fn shape(&self, name: &str) -> Option<ActionShape>;

    /// Every action's name, for "did you mean".
    fn names(&self) -> Vec<&'static str>;
}
