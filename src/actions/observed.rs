//! What a write changes, declared per action so the engine can show it as before -> after: in the run summary,
//! `audit timeline` and the plan ("will change ... from A to B"). Each service module lists its own in `OBSERVED`
//! beside its `ACTIONS`; a write without an entry shows its summary only (a new row needs no change here).

use super::Effect;

/// How a write's effect is seen.
#[derive(Debug)]
pub enum How {
    /// Read `read` before the write and again after it, with the members it needs copied from the write's request
    /// (`(read member, write member)`), and compare the `fields` of its output.
    Read {
        read: &'static str,
        with: &'static [(&'static str, &'static str)],
        fields: &'static [Field],
    },
    /// The write's own output says what it did: a line with `{Path.In.Output}` placeholders, e.g. a move's
    /// `moved {Moved} of {Received}`.
    Output(&'static str),
}

/// One value a [`How::Read`] compares.
#[derive(Debug)]
pub struct Field {
    /// In words, with `{Member}` placeholders from the write's request: `alias {Name} of {FunctionName}`.
    pub label: &'static str,
    /// Where the read's output has it, a dotted path: `FunctionVersion`.
    pub path: &'static str,
    /// The write's request member that sets it. A field whose member the request leaves out is not shown (an
    /// update of the memory does not show the timeout); its value is what a plan says it will become.
    pub set_by: Option<&'static str>,
}

/// One row: the write and how to see what it changed.
#[derive(Debug)]
pub struct Observed {
    pub action: &'static str,
    pub how: How,
}

/// A field set by the request member of the same name as the read's output field.
pub const fn same(label: &'static str, member: &'static str) -> Field {
    Field {
        label,
        path: member,
        set_by: Some(member),
    }
}

impl Observed {
    /// The declaration is consistent with the registry: the write is a write, the read a read whose members take
    /// what is copied, and the copied and setting members are the write's.
    pub fn check(&self) -> Result<(), String> {
        let write = super::lookup(self.action).ok_or(format!("{}: no such action", self.action))?;
        if write.effect != Effect::Write {
            return Err(format!("{} is not a write", self.action));
        }
        if let How::Read { read, with, fields } = &self.how {
            let spec = super::lookup(read).ok_or(format!("{}: no read {read}", self.action))?;
            if spec.effect != Effect::Read {
                return Err(format!("{}: {read} is not a read", self.action));
            }
            for (read_member, write_member) in *with {
                if spec.member(read_member).is_none() || write.member(write_member).is_none() {
                    return Err(format!(
                        "{}: {read_member} <- {write_member} is not a member pair",
                        self.action
                    ));
                }
            }
            for field in *fields {
                if let Some(member) = field.set_by
                    && write.member(member).is_none()
                {
                    return Err(format!("{}: {member} is not a member", self.action));
                }
            }
        }
        Ok(())
    }
}
