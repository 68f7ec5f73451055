//! The crate's layers, bottom to top, and the test that keeps them: a module may import from its own layer and the
//! ones below, never from one above. docs/architecture.md says what each layer is for.
//!
//! The test reads every `crate::` path in the code of `src/` (comments and strings aside) and places each file by
//! its first path component in [`LAYERS`]; a new top-level module must be placed there before the test passes.

/// Top-level modules of each layer, bottom (1) to top (7). `main.rs` and `lib.rs` stand outside: they only list
/// and start the rest.
pub const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["foundation"]),
    ("language", &["language"]),
    ("aws transport", &["aws"]),
    ("actions", &["actions", "access_denied", "policy"]),
    (
        "engine",
        &[
            "engine",
            "journal",
            "lock",
            "notify",
            "redact",
            "step_functions",
            "test_runner",
        ],
    ),
    (
        "commands",
        &[
            "commands",
            "cli_approver",
            "param_flags",
            "plan_view",
            "run_summary",
            "progress",
        ],
    ),
    ("cli", &["cli", "layers"]),
];

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use super::LAYERS;

    fn layer_of(module: &str) -> Option<usize> {
        LAYERS
            .iter()
            .position(|(_, modules)| modules.contains(&module))
    }

    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    /// The top-level module a file under `src/` belongs to: `aws/s3.rs` and `aws/mod.rs` to `aws`.
    fn module_of(relative: &str) -> String {
        let first = relative.split('/').next().unwrap_or_default();
        first.trim_end_matches(".rs").to_string()
    }

    /// `text` without its comments and the contents of its string literals, so that neither a doc link nor a
    /// message naming `crate::x` counts as an import.
    fn code_only(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    for skipped in chars.by_ref() {
                        if skipped == '\n' {
                            out.push('\n');
                            break;
                        }
                    }
                }
                '"' => {
                    out.push('"');
                    let mut escaped = false;
                    for inner in chars.by_ref() {
                        if !escaped && inner == '"' {
                            break;
                        }
                        escaped = !escaped && inner == '\\';
                    }
                    out.push('"');
                }
                // A char literal such as '"' or '{' must not open a string or a group.
                '\'' => {
                    let rest: String = chars.clone().take(3).collect();
                    let literal = rest.starts_with('\\') || rest.chars().nth(1) == Some('\'');
                    if literal {
                        for inner in chars.by_ref() {
                            if inner == '\'' {
                                break;
                            }
                        }
                    }
                    out.push('\'');
                    if literal {
                        out.push('\'');
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// The first component of every `crate::` path in `code`, groups included: `use crate::{a::X, b::{Y, Z}};`
    /// names `a` and `b`, across lines as rustfmt writes them.
    fn crate_paths(code: &str) -> BTreeSet<String> {
        fn name_at(text: &str) -> String {
            text.trim_start()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect()
        }
        let mut paths = BTreeSet::new();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(group) = rest.strip_prefix('{') else {
                paths.insert(name_at(rest));
                continue;
            };
            let mut depth = 0;
            let mut item_start = true;
            for (index, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start => {
                        paths.insert(name_at(&group[index..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        }
        paths.remove("");
        paths
    }

    #[test]
    fn no_module_imports_from_a_layer_above_its_own() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut sources = BTreeMap::new();
        for file in &files {
            let relative = file
                .strip_prefix(&src)
                .expect("under src/")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(file).expect("a readable source file");
            sources.insert(relative, text);
        }
        // `#[macro_export]` macros live at the crate root (`crate::say!`): they count as their file's module.
        let mut macros = BTreeMap::new();
        for (relative, text) in &sources {
            let mut exported = false;
            for line in text.lines() {
                if let Some(name) = line.trim().strip_prefix("macro_rules! ")
                    && exported
                {
                    macros.insert(name.trim_end_matches(" {").to_string(), module_of(relative));
                }
                exported = line.trim() == "#[macro_export]";
            }
        }
        let mut upward = BTreeSet::new();
        let mut unplaced = BTreeSet::new();
        for (relative, text) in &sources {
            if relative == "main.rs" || relative == "lib.rs" {
                continue;
            }
            let module = module_of(relative);
            let Some(own) = layer_of(&module) else {
                unplaced.insert(module);
                continue;
            };
            for target in crate_paths(&code_only(text)) {
                let target = macros.get(&target).cloned().unwrap_or(target);
                match layer_of(&target) {
                    Some(layer) if layer > own => {
                        upward.insert((relative.clone(), target));
                    }
                    Some(_) => {}
                    None => {
                        unplaced.insert(target);
                    }
                }
            }
        }
        assert!(
            unplaced.is_empty(),
            "modules in no layer (add them to LAYERS): {unplaced:?}"
        );
        assert!(
            upward.is_empty(),
            "imports from a layer above (file, module): {upward:?}; define what is needed in the lower layer (a \
             trait, a type) and implement or pass it from above"
        );
    }

    #[test]
    fn crate_paths_read_groups_across_lines_and_skip_comments_and_strings() {
        let text = "use crate::engine::X; // crate::cli\nlet a = my_crate::cli;\n/// [`crate::commands`]\n\
                    use crate::{\n    aws::{Aws, CallError},\n    lock,\n};\nlet s = \"crate::policy\";\n\
                    let c = '\"'; crate::say!(\"x\");\n";
        assert_eq!(
            crate_paths(&code_only(text)),
            BTreeSet::from(["aws", "engine", "lock", "say"].map(String::from))
        );
    }

    #[test]
    fn an_import_from_above_is_seen() {
        let upward = crate_paths(&code_only("use crate::commands::exit;\n"))
            .into_iter()
            .filter(|target| layer_of(target) > layer_of("engine"))
            .collect::<Vec<_>>();
        assert_eq!(upward, ["commands"]);
    }
}
