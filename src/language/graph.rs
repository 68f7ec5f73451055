//! The step graph as Mermaid or Graphviz DOT, for pull requests and wikis. Writes and approvals are drawn apart
//! from reads, so a reviewer sees at a glance where the procedure changes things and where a person decides.

use std::fmt::Write as _;

use crate::language::runbook::{Runbook, Step, StepEffect};

fn label(runbook: &Runbook, step: &Step) -> String {
    let what = runbook
        .step_doing(step)
        .unwrap_or_else(|| "approval".to_string());
    let mut label = format!("{}\n{what}", step.id);
    if let Some(for_each) = &step.for_each {
        let _ = write!(label, "\nfor each: {}", for_each.items.source);
    }
    if step.when.is_some() {
        label.push_str("\n(conditional)");
    }
    label
}

/// A step's id as a Mermaid node id, which may not hold a `.`: a nested runbook's `rollback.confirm` becomes
/// `rollback-confirm` (no step id has a `-`, so no two steps meet).
fn mermaid_key(id: &str) -> String {
    id.replace('.', "-")
}

/// A Mermaid flowchart: reads as rectangles, writes as red parallelograms, approvals as yellow hexagons.
pub fn mermaid(runbook: &Runbook) -> String {
    let mut out = String::from("flowchart TD\n");
    let escape = |text: &str| text.replace('"', "#quot;").replace('\n', "<br/>");
    let node = |out: &mut String, key: &str, step: &Step| {
        let text = escape(&label(runbook, step));
        let _ = match step.effect() {
            StepEffect::Read => writeln!(out, "  {key}[\"{text}\"]"),
            StepEffect::Write => writeln!(out, "  {key}[/\"{text}\"/]:::write"),
            StepEffect::Approval => writeln!(out, "  {key}{{{{\"{text}\"}}}}:::approval"),
        };
    };
    for step in &runbook.steps {
        node(&mut out, &mermaid_key(&step.id), step);
    }
    for step in &runbook.steps {
        for &need in &step.needs {
            let _ = writeln!(
                out,
                "  {} --> {}",
                mermaid_key(&runbook.steps[need].id),
                mermaid_key(&step.id)
            );
        }
    }
    if !runbook.on_failure.is_empty() {
        out.push_str("  subgraph on_failure[\"on failure\"]\n    direction TB\n");
        for (index, step) in runbook.on_failure.iter().enumerate() {
            out.push_str("  ");
            node(&mut out, &format!("on_failure_{}", step.id), step);
            if index > 0 {
                let _ = writeln!(
                    out,
                    "    on_failure_{} --> on_failure_{}",
                    runbook.on_failure[index - 1].id,
                    step.id
                );
            }
        }
        out.push_str("  end\n");
    }
    out.push_str("  classDef write fill:#fde2e1,stroke:#c0392b,stroke-width:3px,color:#000\n");
    out.push_str("  classDef approval fill:#fff4cc,stroke:#b7950b,stroke-width:2px,color:#000\n");
    out
}

/// Graphviz DOT: reads as plain boxes, writes as bold red boxes, approvals as yellow diamonds.
pub fn dot(runbook: &Runbook) -> String {
    let mut out = format!(
        "digraph \"{}\" {{\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        runbook.name
    );
    let escape = |text: &str| {
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    let node = |out: &mut String, key: &str, step: &Step| {
        let text = escape(&label(runbook, step));
        let style = match step.effect() {
            StepEffect::Read => "",
            StepEffect::Write => {
                ", style=\"filled,bold\", fillcolor=\"#fde2e1\", color=\"#c0392b\", penwidth=2"
            }
            StepEffect::Approval => {
                ", shape=diamond, style=filled, fillcolor=\"#fff4cc\", color=\"#b7950b\""
            }
        };
        let _ = writeln!(out, "  \"{key}\" [label=\"{text}\"{style}];");
    };
    for step in &runbook.steps {
        node(&mut out, &step.id, step);
    }
    for step in &runbook.steps {
        for &need in &step.needs {
            let _ = writeln!(out, "  \"{}\" -> \"{}\";", runbook.steps[need].id, step.id);
        }
    }
    if !runbook.on_failure.is_empty() {
        out.push_str(
            "  subgraph cluster_on_failure {\n    label=\"on failure\";\n    style=dashed;\n",
        );
        for (index, step) in runbook.on_failure.iter().enumerate() {
            out.push_str("  ");
            node(&mut out, &format!("on_failure.{}", step.id), step);
            if index > 0 {
                let _ = writeln!(
                    out,
                    "    \"on_failure.{}\" -> \"on_failure.{}\";",
                    runbook.on_failure[index - 1].id,
                    step.id
                );
            }
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}
