//! Where runbooks are found: `--dir DIR`, then the folders of `RUNBOOK_PATH` (`:`-separated), then `./runbooks`,
//! then the runbooks embedded in the binary. The first file of a name wins, so a local copy overrides a shipped one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::foundation::diagnostic::Diagnostic;
use crate::foundation::input_file;
use crate::foundation::source::SourceFile;

include!(concat!(env!("OUT_DIR"), "/embedded_runbooks.rs"));

/// The folder that holds embedded runbooks in diagnostics.
pub const EMBEDDED_DIR: &str = "<embedded>";

#[derive(Debug, Clone)]
pub struct Catalog {
    dirs: Vec<PathBuf>,
}

/// A runbook file found by the catalog, not yet read.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    File(PathBuf),
    Embedded {
        file_name: &'static str,
        text: &'static str,
    },
}

impl Location {
    /// The file's text; a file that cannot be read as a runbook is a diagnostic like any other error in it.
    pub fn read(&self) -> Result<Arc<SourceFile>, Diagnostic> {
        match self {
            Location::File(path) => crate::foundation::input_file::read_source(path),
            Location::Embedded { file_name, text } => Ok(SourceFile::new(
                Path::new(EMBEDDED_DIR).join(file_name),
                (*text).to_string(),
            )),
        }
    }

    pub fn display(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Embedded { file_name, .. } => format!("{EMBEDDED_DIR}/{file_name}"),
        }
    }
}

impl Catalog {
    /// The search folders from `--dir` and `RUNBOOK_PATH`, then `./runbooks`.
    pub fn new(dir: Option<&Path>, runbook_path: Option<&str>) -> Catalog {
        let mut dirs: Vec<PathBuf> = dir.map(Path::to_path_buf).into_iter().collect();
        dirs.extend(
            runbook_path
                .unwrap_or_default()
                .split(':')
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
        );
        dirs.push(PathBuf::from("runbooks"));
        Catalog { dirs }
    }

    /// The catalog as the environment configures it.
    pub fn from_env(dir: Option<&Path>) -> Catalog {
        Catalog::new(dir, std::env::var("RUNBOOK_PATH").ok().as_deref())
    }

    /// The search folders that exist.
    pub fn local_dirs(&self) -> Vec<&Path> {
        self.dirs
            .iter()
            .map(PathBuf::as_path)
            .filter(|dir| dir.is_dir())
            .collect()
    }

    /// The runbook called `name`, searching in order.
    pub fn find(&self, name: &str) -> Option<Location> {
        for dir in &self.dirs {
            for extension in ["yaml", "yml"] {
                let path = dir.join(format!("{name}.{extension}"));
                // Anything there, a FIFO or a device too, is this runbook: reading it then says what it is,
                // rather than a built-in runbook of the same name quietly taking its place.
                if path.symlink_metadata().is_ok() && !path.is_dir() {
                    return Some(Location::File(path));
                }
            }
        }
        EMBEDDED
            .iter()
            .find(|(file_name, _)| stem(file_name) == name)
            .map(|(file_name, text)| Location::Embedded { file_name, text })
    }

    /// Every runbook by name, the first found of each name winning.
    pub fn all(&self) -> BTreeMap<String, Location> {
        let mut found = BTreeMap::new();
        for dir in &self.dirs {
            for path in runbook_files(dir).files {
                if let Some(name) = path.file_stem().and_then(|s| s.to_str()) {
                    found
                        .entry(name.to_string())
                        .or_insert(Location::File(path.clone()));
                }
            }
        }
        for (file_name, text) in EMBEDDED {
            found
                .entry(stem(file_name).to_string())
                .or_insert(Location::Embedded { file_name, text });
        }
        found
    }

    /// Names of every runbook, for suggestions.
    pub fn names(&self) -> Vec<String> {
        self.all().into_keys().collect()
    }

    /// The `.yaml` and `.yml` entries of the search folders that are not regular files, with their kind.
    pub fn skipped(&self) -> Vec<(PathBuf, &'static str)> {
        self.local_dirs()
            .into_iter()
            .flat_map(|dir| runbook_files(dir).skipped)
            .collect()
    }
}

fn stem(file_name: &str) -> &str {
    file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
}

/// What a folder holds in the way of runbooks.
#[derive(Debug, Default)]
pub struct Scan {
    /// The `.yaml` and `.yml` regular files (or links to them), sorted.
    pub files: Vec<PathBuf>,
    /// Entries with those extensions that are something else (a FIFO, a device, a folder, a broken link), with
    /// what they are: never opened, since opening a FIFO blocks and reading a device never ends.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// The runbook files directly in `dir`.
pub fn runbook_files(dir: &Path) -> Scan {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.extension()
                        .is_some_and(|ext| ext == "yaml" || ext == "yml")
                        && !is_test_file(path)
                })
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    let mut scan = Scan::default();
    for path in paths {
        match std::fs::metadata(&path) {
            Ok(metadata) => match input_file::kind_name(&metadata) {
                None => scan.files.push(path),
                Some(kind) => scan.skipped.push((path, kind)),
            },
            Err(_) => scan.skipped.push((path, "a broken symbolic link")),
        }
    }
    scan
}

/// `NAME.test.yaml` (or `.test.yml`) holds the unit tests of `NAME.yaml` (`runbook test`), not a runbook.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with(".test.yaml") || name.ends_with(".test.yml"))
}

/// The test file beside a runbook file: `dir/NAME.test.yaml` for `dir/NAME.yaml`.
pub fn test_file_of(runbook: &Path) -> PathBuf {
    let stem = runbook
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    runbook.with_file_name(format!("{stem}{}", super::test_file::SUFFIX))
}

/// The lines that tell which entries a folder scan left out.
pub fn skipped_notes(skipped: &[(PathBuf, &'static str)]) -> String {
    skipped
        .iter()
        .map(|(path, kind)| {
            format!(
                "runbook: skipped {}: {kind}, not a regular file\n",
                crate::foundation::terminal_text::line(&path.display().to_string())
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_file_wins_over_an_embedded_one() {
        let dir = tempfile::tempdir().unwrap();
        let Some((file_name, _)) = EMBEDDED.first() else {
            return;
        };
        std::fs::write(dir.path().join(file_name), "local").unwrap();
        let catalog = Catalog::new(Some(dir.path()), None);
        assert_eq!(
            catalog.find(stem(file_name)),
            Some(Location::File(dir.path().join(file_name)))
        );
    }

    #[test]
    fn test_files_are_not_runbooks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), "").unwrap();
        std::fs::write(dir.path().join("a.test.yaml"), "").unwrap();
        assert_eq!(
            runbook_files(dir.path()).files,
            vec![dir.path().join("a.yaml")]
        );
        assert_eq!(
            test_file_of(&dir.path().join("a.yaml")),
            dir.path().join("a.test.yaml")
        );
    }

    #[test]
    fn runbook_path_folders_are_searched_in_order() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        std::fs::write(first.path().join("a.yaml"), "").unwrap();
        std::fs::write(second.path().join("a.yaml"), "").unwrap();
        std::fs::write(second.path().join("b.yml"), "").unwrap();
        let path = format!("{}:{}", first.path().display(), second.path().display());
        let catalog = Catalog::new(None, Some(&path));
        assert_eq!(
            catalog.find("a"),
            Some(Location::File(first.path().join("a.yaml")))
        );
        assert_eq!(
            catalog.find("b"),
            Some(Location::File(second.path().join("b.yml")))
        );
        assert!(catalog.find("nope-not-here").is_none());
    }
}
