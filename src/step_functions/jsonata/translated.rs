/// What the translation knows, without running anything, about the type of a value: enough to choose between a
/// plain JSONata operator and one that reproduces Jinja's rules for every type at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Bool,
    Int,
    /// A number minijinja holds as a float: it prints as `2.0` and with up to 17 digits, which JSONata does not.
    Float,
    String,
    Null,
    List,
    Map,
    /// Read from the state (a parameter, a step's output): any JSON value.
    Unknown,
}

impl Kind {
    pub(super) fn is_number(self) -> bool {
        matches!(self, Kind::Int | Kind::Float)
    }

    /// The kind of a value that is one of two others.
    pub(super) fn either(self, other: Kind) -> Kind {
        if self == other { self } else { Kind::Unknown }
    }
}

/// A JSONata expression and the kind of its value.
#[derive(Debug, Clone)]
pub(super) struct Translated {
    pub text: String,
    pub kind: Kind,
    /// Whether the text can take a postfix (`.name`, `[0]`) or be an operand without parentheses: a variable, a
    /// path, a call, a literal or something already in parentheses.
    pub atomic: bool,
    /// How the value prints into text, where that needs more than its kind tells (a rounded number).
    pub printed: Option<String>,
}

impl Translated {
    pub(super) fn new(text: impl Into<String>, kind: Kind) -> Translated {
        Translated {
            text: text.into(),
            kind,
            atomic: false,
            printed: None,
        }
    }

    pub(super) fn atom(text: impl Into<String>, kind: Kind) -> Translated {
        Translated {
            text: text.into(),
            kind,
            atomic: true,
            printed: None,
        }
    }

    /// The text, in parentheses unless it is atomic.
    pub(super) fn operand(&self) -> String {
        if self.atomic {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }
}
