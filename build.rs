//! Embeds the runbooks shipped in `runbooks/` into the binary, so `runbook list` works from any folder.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read when the build script runs, not when it was compiled: a build script binary cached in a shared target
    // folder may have been compiled for another checkout of this crate.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("runbooks");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    // `NAME.test.yaml` beside a runbook holds its unit tests (`runbook test`), which the binary does not carry.
    files.retain(|path| {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        (name.ends_with(".yaml") || name.ends_with(".yml"))
            && !name.ends_with(".test.yaml")
            && !name.ends_with(".test.yml")
    });
    files.sort();
    let mut code = String::from(
        "/// Shipped runbooks: file name and text.\npub const EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name");
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("embedded_runbooks.rs");
    std::fs::write(out, code).expect("write embedded_runbooks.rs");
}
