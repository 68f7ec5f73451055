//! The YAML loader and the validator, from raw bytes as a file would give them: decoding (UTF-8 or the
//! position of the first bad byte), the event screen, the typed parse, validation, and the rendering of every
//! diagnostic (excerpts of long lines, escaped control characters).
#![no_main]

use libfuzzer_sys::fuzz_target;
use runbook::foundation::input_file::{self, ReadError};
use runbook::foundation::source::SourceFile;
use std::sync::LazyLock;

/// The flags a parameter may not be named after, as `runbook validate` passes them; built once (clap is slow).
static RESERVED: LazyLock<Vec<String>> = LazyLock::new(runbook::commands::run::reserved_param_names);

fuzz_target!(|bytes: &[u8]| {
    let text = match input_file::decode(bytes.to_vec()) {
        Ok(text) => text,
        Err(ReadError::NotUtf8(bad)) => {
            assert!(bad.offset <= bytes.len());
            bad.text
        }
        Err(other) => panic!("decode only fails on encoding: {other}"),
    };
    let file = SourceFile::new("fuzz.yaml", text);
    let actions = &runbook::actions::TABLE;
    if let Err(diagnostics) = runbook::language::validator::load(&file, &RESERVED, actions) {
        assert!(!diagnostics.is_empty());
        for diagnostic in &diagnostics {
            let rendered = diagnostic.render(false);
            assert!(
                !rendered.contains('\u{1b}'),
                "ESC in a diagnostic: {rendered:?}"
            );
        }
    }
});
