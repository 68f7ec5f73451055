//! Whether a case passed: each expectation it states against what the run did, every mismatch at once, writes
//! shown as a diff of expected against actual requests.

use serde_json::Value;

use super::script::Sent;
use crate::aws::Effect;
use crate::engine::RunReport;
use crate::language::test_file::{Expectations, ExpectedWrite};

/// Every way the run differed from `expect`; empty when the case passed.
pub fn mismatches(expect: &Expectations, report: &RunReport, sent: &[Sent]) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(status) = &expect.status
        && report.outcome.as_str() != status
    {
        let why = report
            .error
            .as_deref()
            .map(|error| format!(": {error}"))
            .unwrap_or_default();
        found.push(format!(
            "run status: expected {status}, got {}{why}",
            report.outcome.as_str()
        ));
    }
    if let Some(text) = &expect.error {
        match &report.error {
            Some(error) if error.contains(text.as_str()) => {}
            Some(error) => found.push(format!(
                "run error: expected it to contain `{text}`, got `{error}`"
            )),
            None => found.push(format!(
                "run error: expected one containing `{text}`, the run had none"
            )),
        }
    }
    for (id, status) in &expect.steps {
        let actual = report
            .step(id)
            .map(|step| step.status.as_str())
            .unwrap_or("absent");
        if actual != status {
            let why = report
                .step(id)
                .and_then(|step| step.error.as_deref().or(step.reason.as_deref()))
                .map(|why| format!(" ({why})"))
                .unwrap_or_default();
            found.push(format!("step `{id}`: expected {status}, got {actual}{why}"));
        }
    }
    let writes: Vec<&Sent> = sent
        .iter()
        .filter(|sent| sent.effect == Effect::Write)
        .collect();
    if let Some(expected) = &expect.writes {
        let actual: Vec<ExpectedWrite> = writes
            .iter()
            .map(|sent| ExpectedWrite {
                step: sent.step.clone(),
                operation: sent.operation.clone(),
                request: sent.request.clone(),
            })
            .collect();
        if *expected != actual {
            found.push(format!(
                "writes sent differ (- expected, + actual):\n{}",
                diff(&render_writes(expected), &render_writes(&actual))
            ));
        }
    }
    for step in &expect.not_sent {
        for sent in writes.iter().filter(|sent| sent.step == *step) {
            found.push(format!(
                "step `{step}` sent {} {}, which must not be sent",
                sent.operation,
                compact(&sent.request)
            ));
        }
    }
    for (id, name, value) in &expect.outputs {
        let actual = report.step(id).and_then(|step| {
            if name == "output" {
                step.output.clone()
            } else {
                step.outputs.get(name).cloned()
            }
        });
        match actual {
            Some(actual) if actual == *value => {}
            Some(actual) => found.push(format!(
                "output `{id}.{name}`: expected {}, got {}",
                compact(value),
                compact(&actual)
            )),
            None => found.push(format!(
                "output `{id}.{name}`: expected {}, the step has none",
                compact(value)
            )),
        }
    }
    for (name, held) in &expect.success_criteria {
        let actual = report
            .success_criteria
            .iter()
            .find(|criterion| criterion.name == *name)
            .and_then(|criterion| criterion.held);
        if actual != Some(*held) {
            let shown = match actual {
                Some(true) => "held",
                Some(false) => "did not hold",
                None => "was not decided",
            };
            found.push(format!(
                "success criterion `{name}`: expected it {}, it {shown}",
                if *held { "to hold" } else { "not to hold" }
            ));
        }
    }
    found
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// One block per write: `step operation` and its request, pretty-printed, so a diff points at the member.
fn render_writes(writes: &[ExpectedWrite]) -> Vec<String> {
    let mut lines = Vec::new();
    for write in writes {
        lines.push(format!("{} {}", write.step, write.operation));
        let pretty = serde_json::to_string_pretty(&write.request).unwrap_or_default();
        lines.extend(pretty.lines().map(|line| format!("  {line}")));
    }
    lines
}

/// A line diff (longest common subsequence): ` ` both, `-` expected only, `+` actual only.
pub fn diff(expected: &[String], actual: &[String]) -> String {
    let (n, m) = (expected.len(), actual.len());
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if expected[i] == actual[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            out.push_str(&format!("      {}\n", expected[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            out.push_str(&format!("    - {}\n", expected[i]));
            i += 1;
        } else {
            out.push_str(&format!("    + {}\n", actual[j]));
            j += 1;
        }
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::diff;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn the_diff_marks_what_only_one_side_has() {
        let shown = diff(&lines("a\nb\nc"), &lines("a\nx\nc"));
        assert_eq!(shown, "      a\n    - b\n    + x\n      c");
    }
}
