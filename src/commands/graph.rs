//! `runbook graph NAME --format mermaid|dot`.

use crate::cli::{Context, GraphFormat, exit, print};
use crate::commands::load_named;
use crate::language::graph;

pub fn run(context: &Context, name: &str, format: GraphFormat) -> i32 {
    let runbook = match load_named(context, name) {
        Ok(runbook) => runbook,
        Err(code) => return code,
    };
    print(&match format {
        GraphFormat::Mermaid => graph::mermaid(&runbook),
        GraphFormat::Dot => graph::dot(&runbook),
    });
    exit::OK
}
