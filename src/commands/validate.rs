//! `runbook validate [PATH...]`: every error in every file at once; exit 0 when clean, 2 otherwise.

use std::path::{Path, PathBuf};

use crate::catalog::{self, Location};
use crate::cli::{Context, TextOrJson, exit, print};
use crate::commands::{print_diagnostics, read_source};
use crate::validator;

pub fn run(context: &Context, paths: &[PathBuf], format: TextOrJson) -> i32 {
    let locations = match targets(context, paths) {
        Ok(locations) => locations,
        Err(message) => {
            eprintln!("runbook: {message}");
            return exit::USAGE;
        }
    };
    let mut reports = Vec::new();
    let mut error_count = 0;
    for location in &locations {
        let loaded = match location {
            Location::File(path) => read_source(path).map_err(|d| vec![d]),
            // Embedded text is already in memory; reading it cannot fail.
            Location::Embedded { .. } => {
                Ok(location.read().expect("embedded runbooks are in memory"))
            }
        }
        .and_then(|file| validator::load(&file));
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
            let report = serde_json::json!({ "valid": error_count == 0, "error_count": error_count, "files": files });
            print(&format!(
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
                eprintln!(
                    "runbook: {} in {files} of {}",
                    plural(error_count, "error"),
                    plural(reports.len(), "runbook")
                );
            }
        }
    }
    if error_count == 0 {
        exit::OK
    } else {
        exit::USAGE
    }
}

/// The files to check: the given paths (folders expanded), else the runbook folders, else the built-in runbooks.
fn targets(context: &Context, paths: &[PathBuf]) -> Result<Vec<Location>, String> {
    if paths.is_empty() {
        let dirs = context.catalog.local_dirs();
        if dirs.is_empty() {
            return Ok(context.catalog.all().into_values().collect());
        }
        return Ok(dirs
            .into_iter()
            .flat_map(catalog::runbook_files)
            .map(Location::File)
            .collect());
    }
    let mut locations = Vec::new();
    for path in paths {
        if path.is_dir() {
            let files = catalog::runbook_files(path);
            if files.is_empty() {
                return Err(format!("no .yaml or .yml files in {}", path.display()));
            }
            locations.extend(files.into_iter().map(Location::File));
        } else if path.exists() || Path::new(path).extension().is_some() {
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
    Ok(locations)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
