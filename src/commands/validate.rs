//! `runbook validate [PATH...]`: every error in every file at once; exit 0 when clean, 2 otherwise.

use std::path::{Path, PathBuf};

use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::output::{TextOrJson, print};
use crate::commands::print_diagnostics;
use crate::language::catalog::{self, Location};

pub fn run(context: &Context, paths: &[PathBuf], format: TextOrJson) -> ExitStatus {
    let (locations, skipped) = match targets(context, paths) {
        Ok(found) => found,
        Err(message) => {
            crate::say!("runbook: {message}");
            return ExitStatus::Usage;
        }
    };
    if format == TextOrJson::Text {
        eprint!("{}", catalog::skipped_notes(&skipped));
    }
    let mut reports = Vec::new();
    let mut error_count = 0;
    for location in &locations {
        let loaded = location
            .read()
            .map_err(|d| vec![d])
            .and_then(|file| super::load_source(&context.catalog, &file));
        match loaded {
            Ok(runbook) => {
                reports.push((location.display(), Some(runbook.steps.len()), Vec::new()))
            }
            Err(diagnostics) => {
                error_count += diagnostics.len();
                reports.push((location.display(), None, diagnostics));
            }
        }
    }
    match format {
        TextOrJson::Json => {
            let files: Vec<serde_json::Value> = reports
                .iter()
                .map(|(file, _, diagnostics)| {
                    serde_json::json!({
                        "file": file,
                        "valid": diagnostics.is_empty(),
                        "errors": diagnostics.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let skipped: Vec<serde_json::Value> = skipped
                .iter()
                .map(|(path, kind)| serde_json::json!({ "file": path.display().to_string(), "kind": kind }))
                .collect();
            let report = serde_json::json!({ "valid": error_count == 0, "error_count": error_count, "files": files, "skipped": skipped });
            crate::commands::output::print_json(&format!(
                "{}\n",
                serde_json::to_string_pretty(&report).expect("JSON")
            ));
        }
        TextOrJson::Text => {
            let mut out = String::new();
            for (file, steps, diagnostics) in &reports {
                if diagnostics.is_empty() {
                    out.push_str(&format!(
                        "valid    {file} ({} steps)\n",
                        steps.unwrap_or_default()
                    ));
                } else {
                    print_diagnostics(context, diagnostics);
                    out.push_str(&format!(
                        "invalid  {file} ({})\n",
                        plural(diagnostics.len(), "error")
                    ));
                }
            }
            print(&out);
            if error_count > 0 {
                let files = reports.iter().filter(|(_, _, d)| !d.is_empty()).count();
                crate::say!(
                    "runbook: {} in {files} of {}",
                    plural(error_count, "error"),
                    plural(reports.len(), "runbook")
                );
            }
        }
    }
    if error_count == 0 {
        ExitStatus::Ok
    } else {
        ExitStatus::Usage
    }
}

/// Folder entries left out of a scan, with what they are.
type Skipped = Vec<(PathBuf, &'static str)>;

/// The files to check: the given paths (folders expanded), else the runbook folders, else the built-in runbooks;
/// and what the folder scans left out.
fn targets(context: &Context, paths: &[PathBuf]) -> Result<(Vec<Location>, Skipped), String> {
    let mut locations = Vec::new();
    let mut skipped = Vec::new();
    if paths.is_empty() {
        let dirs = context.catalog.local_dirs();
        if dirs.is_empty() {
            return Ok((context.catalog.all().into_values().collect(), skipped));
        }
        for dir in dirs {
            let scan = catalog::runbook_files(dir);
            locations.extend(scan.files.into_iter().map(Location::File));
            skipped.extend(scan.skipped);
        }
        return Ok((locations, skipped));
    }
    for path in paths {
        if path.is_dir() {
            let scan = catalog::runbook_files(path);
            if scan.files.is_empty() && scan.skipped.is_empty() {
                return Err(format!("no .yaml or .yml files in {}", path.display()));
            }
            locations.extend(scan.files.into_iter().map(Location::File));
            skipped.extend(scan.skipped);
        } else if path.symlink_metadata().is_ok() || Path::new(path).extension().is_some() {
            locations.push(Location::File(path.clone()));
        } else {
            match context.catalog.find(&path.to_string_lossy()) {
                Some(location) => locations.push(location),
                None => {
                    return Err(format!(
                        "{} is neither a file, a folder nor a runbook name",
                        path.display()
                    ));
                }
            }
        }
    }
    Ok((locations, skipped))
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
