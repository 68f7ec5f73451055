//! A runbook's source text and the positions inside it.
//!
//! Every diagnostic points into a [`SourceFile`] with a [`Span`]; rendering needs the line's text, so the file keeps
//! the offsets at which its lines start.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A place in a source file: 1-based line and column (in characters), plus the byte range it covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
    pub len: usize,
}

impl Span {
    /// A span for text that has no place in a file (command-line values, embedded defaults).
    pub const NONE: Span = Span {
        line: 0,
        column: 0,
        offset: 0,
        len: 0,
    };

    pub fn is_known(&self) -> bool {
        self.line > 0
    }
}

/// The text of one runbook file and the name it is shown under.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it, or `<embedded>/NAME.yaml` for runbooks built into the binary.
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Arc<SourceFile> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        Arc::new(SourceFile {
            path: path.into(),
            text,
            line_starts,
        })
    }

    /// The file name shown in diagnostics.
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// The file stem, which a runbook's `name` must equal.
    pub fn stem(&self) -> Option<&str> {
        Path::new(&self.path)
            .file_stem()
            .and_then(|stem| stem.to_str())
    }

    /// The byte offset at which a 1-based line starts.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.line_starts
            .get((line as usize).checked_sub(1)?)
            .copied()
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        let index = (line as usize).checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        Some(self.text[start..end].trim_end_matches('\r'))
    }

    /// The span of a byte offset, one character long.
    pub fn span_at(&self, offset: usize) -> Span {
        let offset = offset.min(self.text.len());
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_index];
        let column = self.text[line_start..offset].chars().count() + 1;
        let len = self.text[offset..].chars().next().map_or(0, char::len_utf8);
        Span {
            line: line_index as u32 + 1,
            column: column as u32,
            offset,
            len,
        }
    }

    /// The span from a 1-based line and character column, as parsers report them.
    pub fn span_at_line_column(&self, line: u32, column: u32, len: usize) -> Span {
        let Some(text) = self.line_text(line) else {
            return Span {
                line,
                column,
                offset: self.text.len(),
                len: 0,
            };
        };
        let start = self.line_starts[line as usize - 1];
        let byte_in_line = text
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(text.len(), |(index, _)| index);
        Span {
            line,
            column,
            offset: start + byte_in_line,
            len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_offsets_round_trip() {
        let file = SourceFile::new("x.yaml", "name: a\nsteps:\n  - id: é\n".to_string());
        assert_eq!(file.line_text(2), Some("steps:"));
        assert_eq!(file.line_text(4), Some(""));
        assert_eq!(file.line_text(5), None);
        let span = file.span_at(file.text.find('é').unwrap());
        assert_eq!((span.line, span.column, span.len), (3, 9, 2));
        assert_eq!(file.span_at_line_column(3, 9, 2).offset, span.offset);
    }
}
