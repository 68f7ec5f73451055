//! Errors in a runbook: what went wrong (an [`ErrorKind`]) apart from where (a [`Span`] in a [`SourceFile`]).
//!
//! Rendered as `file:line:col`, the offending line, a caret under the spot and a hint, the way compilers do, so an
//! on-call engineer can fix the file without reading the engine's source.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::foundation::source::{SourceFile, Span};
use crate::foundation::terminal_text;

/// Everything the loader and validator can find wrong with a runbook.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot read the file: {message}")]
    Unreadable { message: String },
    #[error("the file is larger than {limit} bytes, the limit for a runbook")]
    FileTooLarge { limit: usize },
    #[error("the path is {kind}, not a regular file")]
    NotAFile { kind: &'static str },
    #[error("{}", not_utf8_message(*offset, *encoding))]
    NotUtf8 {
        offset: usize,
        encoding: Option<&'static str>,
    },
    #[error("invalid YAML: {message}")]
    YamlSyntax { message: String },
    #[error("the key `{key}` appears twice in the same mapping")]
    DuplicateKey { key: String },
    #[error("the document nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("the document is too large to load: {message}")]
    DocumentTooLarge { message: String },
    #[error("YAML aliases expand to more than the allowed size: {message}")]
    AliasExpansion { message: String },
    #[error("the YAML tag `{tag}` is not allowed in a runbook")]
    YamlTag { tag: String },
    #[error("the anchor `&{name}` is defined twice")]
    AnchorRedefined { name: String },
    #[error("the YAML directive `%{name}` is not allowed in a runbook")]
    YamlDirective { name: String },
    #[error("the runbook has {count} steps; at most {limit} are allowed")]
    TooManySteps { count: usize, limit: usize },
    #[error("{what} must be {expected}, found {found}")]
    WrongType {
        what: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("unknown key `{key}` in {context}")]
    UnknownKey { key: String, context: String },
    #[error("{context} is missing the required key `{key}`")]
    MissingKey { key: &'static str, context: String },
    #[error("`{value}` is not a valid {what}")]
    InvalidValue { what: String, value: String },
    #[error("the runbook is named `{name}` but its file is `{stem}`")]
    NameMismatch { name: String, stem: String },
    #[error("`description` must be a single line")]
    MultilineDescription,
    #[error("the runbook has no steps")]
    NoSteps,
    #[error("`{name}` is not a valid parameter name")]
    InvalidParamName { name: String },
    #[error("parameters `{first}` and `{second}` both become the flag `--{flag}`")]
    FlagClash {
        first: String,
        second: String,
        flag: String,
    },
    #[error("`{key}` does not apply to a parameter of type {ty}")]
    ConstraintNotApplicable { key: &'static str, ty: &'static str },
    #[error("the default of `{param}` is invalid: {reason}")]
    InvalidDefault { param: String, reason: String },
    #[error(
        "`{param}` is required and has a default; a required parameter must be given on the command line"
    )]
    RequiredWithDefault { param: String },
    #[error("invalid regular expression: {message}")]
    InvalidPattern { message: String },
    #[error("`{id}` is not a valid step id")]
    InvalidStepId { id: String },
    #[error("the step id `{id}` is used twice")]
    DuplicateStepId { id: String },
    #[error("step `{step}` needs `{need}`, which is not a step of this runbook")]
    UnknownNeed { step: String, need: String },
    #[error("the steps depend on each other in a cycle: {chain}")]
    Cycle { chain: String },
    #[error(
        "step `{step}` has both `action` and `approve`; a step is either an action or an approval gate"
    )]
    ActionAndApprove { step: String },
    #[error("step `{step}` has neither `action` nor `approve`")]
    NoActionOrApprove { step: String },
    #[error("`{key}` does not apply to an approval step")]
    NotForApproval { key: &'static str },
    #[error("`concurrency` needs `for_each`")]
    ConcurrencyWithoutForEach,
    #[error("`{key}` is not allowed in an `on_failure` step: {reason}")]
    NotInOnFailure {
        key: &'static str,
        reason: &'static str,
    },
    #[error("unknown action `{action}`")]
    UnknownAction { action: String },
    #[error("`{action}` has no input member `{member}`")]
    UnknownMember { action: String, member: String },
    #[error("`{action}` needs the input member `{member}`")]
    MissingMember {
        action: String,
        member: &'static str,
    },
    #[error("`{member}` of `{action}` must be {expected}, found {found}")]
    MemberType {
        action: String,
        member: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("invalid template: {message}")]
    TemplateSyntax { message: String },
    #[error("invalid expression: {message}")]
    ExpressionSyntax { message: String },
    #[error("the {what} nests deeper than {limit} levels")]
    ExpressionTooDeep { what: &'static str, limit: usize },
    #[error("`{name}` is not defined here")]
    UndefinedName { name: String },
    #[error("unknown parameter `{name}`")]
    UnknownParam { name: String },
    #[error("unknown variable `vars.{name}`")]
    UnknownVar { name: String },
    #[error("`vars.{name}` is used before it is defined")]
    VarUsedBeforeDefined { name: String },
    #[error("unknown step `{name}`")]
    UnknownStep { name: String },
    #[error("step `{step}` reads `steps.{other}`, but `{other}` is not upstream of it")]
    StepNotUpstream { step: String, other: String },
    #[error("step `{other}` has no output `{name}`")]
    UnknownOutput { other: String, name: String },
    #[error("`{name}` is only available in {allowed}")]
    OutOfScope { name: String, allowed: &'static str },
    #[error("`{name}` is reserved and cannot name an output")]
    ReservedOutputName { name: String },
    #[error("`{value}` is not a duration")]
    InvalidDuration { value: String },
    #[error("`{value}` is not a date and time")]
    InvalidDatetime { value: String },
    #[error("{what} must be {bound}")]
    OutOfRange { what: String, bound: String },
    #[error("step `{step}` ({action}) does not call `{operation}`")]
    UnknownOperation {
        step: String,
        action: String,
        operation: String,
    },
    #[error("step `{step}` is not an approval gate")]
    NotAGate { step: String },
    #[error("step `{step}` sends no write")]
    NotAWrite { step: String },
    #[error("the runbook has no success criterion named `{name}`")]
    UnknownCriterion { name: String },
    #[error("the case name `{name}` is used twice")]
    DuplicateCase { name: String },
    #[error("{what} cannot be exported to Step Functions: {reason}")]
    NotExportable { what: String, reason: String },
    #[error("unknown runbook `{name}`")]
    UnknownRunbook { name: String },
    #[error("the runbooks run each other in a cycle: {chain}")]
    RunbookRecursion { chain: String },
    #[error("runbooks nest deeper than {limit} levels: {chain}")]
    RunbookTooDeep { chain: String, limit: usize },
    #[error("runbook `{name}` is invalid: {count} error{} in {file}", if *count == 1 { "" } else { "s" })]
    InvalidChildRunbook {
        name: String,
        count: usize,
        file: String,
    },
    #[error("runbook `{runbook}` has no parameter `{name}`")]
    UnknownRunbookParam { runbook: String, name: String },
    #[error("runbook `{runbook}` needs the parameter `{name}`")]
    MissingRunbookParam { runbook: String, name: String },
    #[error("parameter `{name}` of runbook `{runbook}`: {reason}")]
    InvalidRunbookParam {
        runbook: String,
        name: String,
        reason: String,
    },
    #[error("`{key}` does not apply to a step that runs a runbook")]
    NotForRunbookStep { key: &'static str },
}

impl ErrorKind {
    /// A stable identifier for tools (`--format json`) and for the fixtures that test each kind.
    pub fn code(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            Unreadable { .. } => "unreadable",
            FileTooLarge { .. } => "file-too-large",
            NotAFile { .. } => "not-a-file",
            NotUtf8 { .. } => "not-utf8",
            YamlSyntax { .. } => "yaml-syntax",
            DuplicateKey { .. } => "duplicate-key",
            TooDeep { .. } => "too-deep",
            DocumentTooLarge { .. } => "document-too-large",
            AliasExpansion { .. } => "alias-expansion",
            YamlTag { .. } => "yaml-tag",
            AnchorRedefined { .. } => "anchor-redefined",
            YamlDirective { .. } => "yaml-directive",
            TooManySteps { .. } => "too-many-steps",
            WrongType { .. } => "wrong-type",
            UnknownKey { .. } => "unknown-key",
            MissingKey { .. } => "missing-key",
            InvalidValue { .. } => "invalid-value",
            NameMismatch { .. } => "name-mismatch",
            MultilineDescription => "multiline-description",
            NoSteps => "no-steps",
            InvalidParamName { .. } => "invalid-param-name",
            FlagClash { .. } => "flag-clash",
            ConstraintNotApplicable { .. } => "constraint-not-applicable",
            InvalidDefault { .. } => "invalid-default",
            RequiredWithDefault { .. } => "required-with-default",
            InvalidPattern { .. } => "invalid-pattern",
            InvalidStepId { .. } => "invalid-step-id",
            DuplicateStepId { .. } => "duplicate-step-id",
            UnknownNeed { .. } => "unknown-need",
            Cycle { .. } => "cycle",
            ActionAndApprove { .. } => "action-and-approve",
            NoActionOrApprove { .. } => "no-action-or-approve",
            NotForApproval { .. } => "not-for-approval",
            ConcurrencyWithoutForEach => "concurrency-without-for-each",
            NotInOnFailure { .. } => "not-in-on-failure",
            UnknownAction { .. } => "unknown-action",
            UnknownMember { .. } => "unknown-member",
            MissingMember { .. } => "missing-member",
            MemberType { .. } => "member-type",
            TemplateSyntax { .. } => "template-syntax",
            ExpressionSyntax { .. } => "expression-syntax",
            ExpressionTooDeep { .. } => "expression-too-deep",
            UndefinedName { .. } => "undefined-name",
            UnknownParam { .. } => "unknown-param",
            UnknownVar { .. } => "unknown-var",
            VarUsedBeforeDefined { .. } => "var-used-before-defined",
            UnknownStep { .. } => "unknown-step",
            StepNotUpstream { .. } => "step-not-upstream",
            UnknownOutput { .. } => "unknown-output",
            OutOfScope { .. } => "out-of-scope",
            ReservedOutputName { .. } => "reserved-output-name",
            InvalidDuration { .. } => "invalid-duration",
            InvalidDatetime { .. } => "invalid-datetime",
            OutOfRange { .. } => "out-of-range",
            UnknownOperation { .. } => "unknown-operation",
            NotAGate { .. } => "not-a-gate",
            NotAWrite { .. } => "not-a-write",
            UnknownCriterion { .. } => "unknown-criterion",
            DuplicateCase { .. } => "duplicate-case",
            NotExportable { .. } => "not-exportable",
            UnknownRunbook { .. } => "runbook-not-found",
            RunbookRecursion { .. } => "runbook-recursion",
            RunbookTooDeep { .. } => "runbook-too-deep",
            InvalidChildRunbook { .. } => "invalid-child-runbook",
            UnknownRunbookParam { .. } => "unknown-runbook-param",
            MissingRunbookParam { .. } => "missing-runbook-param",
            InvalidRunbookParam { .. } => "invalid-runbook-param",
            NotForRunbookStep { .. } => "not-for-runbook-step",
        }
    }
}

fn not_utf8_message(offset: usize, encoding: Option<&str>) -> String {
    match encoding {
        Some(encoding) => format!("the file is {encoding} text; runbooks are UTF-8"),
        None => format!(
            "the file is not UTF-8: the byte at offset {offset} is not part of a UTF-8 character"
        ),
    }
}

/// One error found in a runbook.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub kind: ErrorKind,
    pub file: Arc<SourceFile>,
    pub span: Span,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn new(kind: ErrorKind, file: &Arc<SourceFile>, span: Span) -> Diagnostic {
        Diagnostic {
            kind,
            file: Arc::clone(file),
            span,
            hint: None,
        }
    }

    pub fn set_hint(&mut self, hint: impl Into<String>) -> &mut Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:col`, or just the file when the error has no position.
    pub fn location(&self) -> String {
        if self.span.is_known() {
            format!(
                "{}:{}:{}",
                self.file.display_path(),
                self.span.line,
                self.span.column
            )
        } else {
            self.file.display_path()
        }
    }

    /// The error as a person reads it: message, location, the line with a caret, and the hint.
    pub fn render(&self, color: bool) -> String {
        let (red, blue, bold, reset) = if color {
            ("\x1b[31m", "\x1b[34m", "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{red}{bold}error[{}]{reset}{bold}: {}{reset}",
            self.kind.code(),
            terminal_text::line(&self.kind.to_string())
        );
        let _ = writeln!(
            out,
            "  {blue}-->{reset} {}",
            terminal_text::line(&self.location())
        );
        if let Some(line) = self
            .span
            .is_known()
            .then(|| self.file.line_text(self.span.line))
            .flatten()
        {
            let number = self.span.line.to_string();
            let gutter = " ".repeat(number.len());
            let excerpt = Excerpt::new(&self.file, line, self.span);
            let _ = writeln!(out, "{blue}{gutter} |{reset}");
            let _ = writeln!(out, "{blue}{number} |{reset} {}", excerpt.text);
            let _ = writeln!(
                out,
                "{blue}{gutter} |{reset} {}{red}{}{reset}",
                " ".repeat(excerpt.caret_column),
                "^".repeat(excerpt.caret_width)
            );
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  {blue}= hint:{reset} {}", terminal_text::line(hint));
        }
        out
    }

    /// The error as tools read it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file.display_path(),
            "line": self.span.line,
            "column": self.span.column,
            "code": self.kind.code(),
            "message": self.kind.to_string(),
            "hint": self.hint,
        })
    }
}

/// The part of a source line a diagnostic shows: all of it when short, else a window around the span (a 20 MB
/// one-line document must not be echoed whole), with control characters made visible.
struct Excerpt {
    text: String,
    /// Characters of `text` before the caret.
    caret_column: usize,
    caret_width: usize,
}

/// Lines up to this many bytes are shown whole.
const MAX_WHOLE_LINE: usize = 200;
/// Bytes shown on either side of the span in a longer line.
const EXCERPT_CONTEXT: usize = 80;
/// The most of a span underlined.
const MAX_CARETS: usize = 80;

impl Excerpt {
    fn new(file: &SourceFile, line: &str, span: Span) -> Excerpt {
        // The span's byte offset within the line, or where its column says when the offset is elsewhere.
        let line_start = file.line_start(span.line).unwrap_or_default();
        let at = if (line_start..=line_start + line.len()).contains(&span.offset) {
            floor_char(line, span.offset - line_start)
        } else {
            line.char_indices()
                .nth(span.column.max(1) as usize - 1)
                .map_or(line.len(), |(index, _)| index)
        };
        let end = ceil_char(line, (at + span.len).min(line.len()));
        let (from, until) = if line.len() <= MAX_WHOLE_LINE {
            (0, line.len())
        } else {
            (
                floor_char(line, at.saturating_sub(EXCERPT_CONTEXT)),
                ceil_char(line, (end + EXCERPT_CONTEXT).min(line.len())),
            )
        };
        let shown = |text: &str| -> String {
            terminal_text::line(text)
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect()
        };
        let mut text = String::new();
        if from > 0 {
            text.push_str("...");
        }
        text.push_str(&shown(&line[from..at]));
        let caret_column = text.chars().count();
        let underlined = shown(&line[at..end]);
        text.push_str(&underlined);
        text.push_str(&shown(&line[end..until]));
        if until < line.len() {
            text.push_str("...");
        }
        Excerpt {
            text,
            caret_column,
            caret_width: underlined.chars().count().clamp(1, MAX_CARETS),
        }
    }
}

fn floor_char(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// The diagnostics of one file, in the order they were found.
#[derive(Debug)]
pub struct Diagnostics {
    pub file: Arc<SourceFile>,
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(file: &Arc<SourceFile>) -> Diagnostics {
        Diagnostics {
            file: Arc::clone(file),
            list: Vec::new(),
        }
    }

    /// Records an error and returns it so a hint can be added.
    pub fn error(&mut self, kind: ErrorKind, span: Span) -> &mut Diagnostic {
        self.list.push(Diagnostic::new(kind, &self.file, span));
        self.list.last_mut().expect("just pushed")
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Sorted by position, so a file's errors read top to bottom.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.list.sort_by_key(|d| (d.span.line, d.span.column));
        self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_caret_and_hint() {
        let file = SourceFile::new(
            "rb/x.yaml",
            "name: x\nsteps:\n  - id: a\n    nedds: [b]\n".into(),
        );
        let span = file.span_at(file.text.find("nedds").unwrap());
        let span = Span { len: 5, ..span };
        let diagnostic = Diagnostic::new(
            ErrorKind::UnknownKey {
                key: "nedds".into(),
                context: "step `a`".into(),
            },
            &file,
            span,
        )
        .with_hint("did you mean `needs`?");
        assert_eq!(
            diagnostic.render(false),
            "error[unknown-key]: unknown key `nedds` in step `a`\n  --> rb/x.yaml:4:5\n  |\n4 |     nedds: [b]\n  |     ^^^^^\n  = hint: did you mean `needs`?\n"
        );
    }
}
