//! `runbook run NAME [FLAGS]`: parameters parsed and checked as flags generated from the runbook.

use clap::Command;

use crate::cli::{Context, exit, print};
use crate::commands::load_named;
use crate::param_flags;

const USAGE: &str = "Run a runbook\n\nUsage: runbook run NAME [FLAGS]\n\n`runbook run NAME --help` lists the runbook's parameters as flags; `runbook list` lists the runbooks.\n";

pub fn run(context: &Context, args: &[String]) -> i32 {
    let Some(name) = args.first().filter(|a| !a.starts_with('-')) else {
        if args.iter().any(|a| a == "--help" || a == "-h") {
            print(USAGE);
            return exit::OK;
        }
        eprint!("runbook run: which runbook?\n\n{USAGE}");
        return exit::USAGE;
    };
    let runbook = match load_named(context, name) {
        Ok(runbook) => runbook,
        Err(code) => return code,
    };
    let command = param_flags::add_flags(
        Command::new(format!("runbook run {}", runbook.name))
            .about(runbook.description.clone())
            .no_binary_name(true),
        &runbook,
    );
    let matches = match command.try_get_matches_from(&args[1..]) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let values = match param_flags::resolve(&runbook, &matches, jiff::Timestamp::now()) {
        Ok(values) => values,
        Err(error) => {
            eprintln!("runbook run: {error}");
            return exit::USAGE;
        }
    };
    let mut out = String::from("parameters:\n");
    for param in &runbook.params {
        let value = if param.secret {
            "<secret>".to_string()
        } else {
            values[&param.name].to_string()
        };
        out.push_str(&format!("  {} = {value}\n", param.name));
    }
    print(&out);
    eprintln!("runbook run: the execution engine is not built yet; nothing was run");
    exit::FAILED
}
