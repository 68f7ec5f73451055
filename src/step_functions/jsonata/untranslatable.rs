use std::ops::Range;

/// Why a piece of an expression or template has no faithful translation, and where it is (bytes of the text
/// that was translated), so that `export` can point at it with `file:line:col`.
#[derive(Debug, Clone, PartialEq)]
pub struct Untranslatable {
    pub at: Range<usize>,
    pub reason: String,
}

impl Untranslatable {
    pub fn new(at: Range<usize>, reason: impl Into<String>) -> Untranslatable {
        Untranslatable {
            at,
            reason: reason.into(),
        }
    }

    /// The same fault in a text that holds the translated one at byte `offset`.
    pub fn shifted(self, offset: usize) -> Untranslatable {
        Untranslatable {
            at: self.at.start + offset..self.at.end + offset,
            reason: self.reason,
        }
    }
}
