//! Reading a file someone handed us, whatever it turns out to be.
//!
//! A path named on the command line or found in a runbook folder may be a symbolic link to `/dev/zero`, a FIFO
//! nobody writes to, `/dev/stdin` fed by `yes`, or a file of Latin-1 or UTF-16 text. Every input file is read
//! here: anything but a regular file is refused by its kind before it is opened (opening a FIFO blocks), the size
//! limit is applied while reading (a file may grow after its size was looked at), and text that is not UTF-8 is
//! refused with the line, column and byte offset of the first bad byte.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::foundation::diagnostic::{Diagnostic, ErrorKind};
use crate::foundation::node::MAX_FILE_BYTES;
use crate::foundation::source::{SourceFile, Span};

/// Reads a runbook file; what keeps it from being one is a diagnostic with the file's name (and, for text that is
/// not UTF-8, the line and column of the first bad byte).
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
    let error = match read_text(path, MAX_FILE_BYTES) {
        Ok(text) => return Ok(SourceFile::new(path, text)),
        Err(error) => error,
    };
    let (kind, file, span, hint) = match error {
        ReadError::Io(error) => (
            ErrorKind::Unreadable {
                message: error.to_string(),
            },
            SourceFile::new(path, String::new()),
            Span::NONE,
            "check the path and its permissions",
        ),
        ReadError::NotAFile { kind } => (
            ErrorKind::NotAFile { kind },
            SourceFile::new(path, String::new()),
            Span::NONE,
            "runbooks are read from regular files only; save the runbook to a file and name that",
        ),
        ReadError::TooLarge { limit } => (
            ErrorKind::FileTooLarge { limit },
            SourceFile::new(path, String::new()),
            Span::NONE,
            "split the procedure into several runbooks",
        ),
        ReadError::NotUtf8(bad) => {
            let file = SourceFile::new(path, bad.text);
            let span = file.span_at(bad.offset);
            let hint = if bad.encoding.is_some() {
                "save the file as UTF-8 (without a byte order mark)"
            } else {
                "save the file as UTF-8; this byte is not part of a UTF-8 character (Latin-1 or a cut-off character?)"
            };
            (
                ErrorKind::NotUtf8 {
                    offset: bad.offset,
                    encoding: bad.encoding,
                },
                file,
                span,
                hint,
            )
        }
    };
    Err(Diagnostic::new(kind, &file, span).with_hint(hint))
}

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system refused (missing file, no permission, ...).
    Io(std::io::Error),
    /// A device, FIFO, socket or folder, named by [`kind_name`].
    NotAFile { kind: &'static str },
    /// More than `limit` bytes.
    TooLarge { limit: usize },
    /// Not UTF-8; `text` is the file with every bad sequence replaced, so its lines can still be shown.
    NotUtf8(NotUtf8),
}

/// Where a file stops being UTF-8.
#[derive(Debug)]
pub struct NotUtf8 {
    /// Byte offset of the first byte that is not part of a valid UTF-8 sequence.
    pub offset: usize,
    /// `Some("UTF-16 (little-endian)")` when the file opens with that encoding's byte order mark.
    pub encoding: Option<&'static str>,
    /// The file decoded lossily: identical to the original up to `offset`.
    pub text: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(error) => write!(f, "{error}"),
            ReadError::NotAFile { kind } => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge { limit } => write!(f, "it is larger than {limit} bytes"),
            ReadError::NotUtf8(bad) => match bad.encoding {
                Some(encoding) => write!(f, "it is {encoding} text, not UTF-8"),
                None => write!(f, "byte {} is not UTF-8", bad.offset),
            },
        }
    }
}

/// How a file that is not a regular one reads in a message, or `None` for a regular file.
pub fn kind_name(metadata: &Metadata) -> Option<&'static str> {
    let file_type = metadata.file_type();
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Reads a whole regular file of at most `limit` bytes as UTF-8 text, following symbolic links.
pub fn read_text(path: &Path, limit: usize) -> Result<String, ReadError> {
    // Looked at before opening: opening a FIFO for reading blocks until a writer comes.
    let metadata = std::fs::metadata(path).map_err(ReadError::Io)?;
    check_kind(&metadata)?;
    if metadata.len() > limit as u64 {
        return Err(ReadError::TooLarge { limit });
    }
    let file = open_non_blocking(path).map_err(ReadError::Io)?;
    // The path may have been swapped for a FIFO or device between the look and the open; the open file decides.
    check_kind(&file.metadata().map_err(ReadError::Io)?)?;
    read_bounded(file, limit)
}

/// Reads already opened bytes as UTF-8 text of at most `limit` bytes, however long the source would go on.
pub fn read_bounded(source: impl Read, limit: usize) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    source
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    decode(bytes)
}

/// The bytes as text, or where and why they are not UTF-8.
pub fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let bytes = error.into_bytes();
        let encoding = match bytes.get(..2) {
            Some([0xFF, 0xFE]) => Some("UTF-16 (little-endian)"),
            Some([0xFE, 0xFF]) => Some("UTF-16 (big-endian)"),
            _ => None,
        };
        ReadError::NotUtf8(NotUtf8 {
            offset,
            encoding,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    })
}

fn check_kind(metadata: &Metadata) -> Result<(), ReadError> {
    match kind_name(metadata) {
        Some(kind) => Err(ReadError::NotAFile { kind }),
        None => Ok(()),
    }
}

/// Opens for reading without ever blocking in `open` (a FIFO swapped in after the look) and without making a
/// terminal device our controlling terminal; for a regular file both flags change nothing.
fn open_non_blocking(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_folders_are_refused_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        let zero = dir.path().join("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(matches!(
            read_text(&zero, 1024),
            Err(ReadError::NotAFile {
                kind: "a character device"
            })
        ));
        assert!(matches!(
            read_text(dir.path(), 1024),
            Err(ReadError::NotAFile { kind: "a folder" })
        ));
    }

    #[test]
    fn an_endless_source_stops_at_the_limit() {
        let endless = std::io::repeat(b'y');
        assert!(matches!(
            read_bounded(endless, 4096),
            Err(ReadError::TooLarge { limit: 4096 })
        ));
    }

    #[test]
    fn bad_bytes_are_located_and_utf16_named() {
        let Err(ReadError::NotUtf8(bad)) = decode(b"name: caf\xe9\n".to_vec()) else {
            panic!("Latin-1 passed as UTF-8")
        };
        assert_eq!((bad.offset, bad.encoding), (9, None));
        assert!(bad.text.starts_with("name: caf"));
        let Err(ReadError::NotUtf8(bad)) = decode(b"\xff\xfen\x00a\x00".to_vec()) else {
            panic!("UTF-16 passed as UTF-8")
        };
        assert_eq!(bad.encoding, Some("UTF-16 (little-endian)"));
    }
}
