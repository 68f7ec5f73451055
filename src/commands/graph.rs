//! `runbook graph NAME --format mermaid|dot`.

use crate::commands::Context;
use crate::commands::exit::ExitStatus;
use crate::commands::load_named;
use crate::commands::output::{GraphFormat, print};
use crate::language::graph;

pub fn run(context: &Context, name: &str, format: GraphFormat) -> ExitStatus {
    let runbook = match load_named(context, name) {
        Ok(runbook) => runbook,
        Err(code) => return code,
    };
    print(&match format {
        GraphFormat::Mermaid => graph::mermaid(&runbook),
        GraphFormat::Dot => graph::dot(&runbook),
    });
    ExitStatus::Ok
}
