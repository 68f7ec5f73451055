//! `wait:` as a loop: the call, then a Choice on `until` over its output, then a Wait, and the call again, until
//! `until` holds or the wait's timeout has passed since the first call. Delays double from the interval up to
//! the maximum, and the last one is cut to what is left of the timeout, as the engine's polling does; the
//! engine draws each delay from [0.9 d, d] to keep concurrent pollers apart, the Wait takes d.

use serde_json::json;

use super::{Export, Place, jsonata_field, literal};
use crate::language::runbook::Wait;

impl Export<'_> {
    /// The polling around a call entered at `call`: entered at `<name>.poll.start`, going on to `next` once
    /// `until` holds; the call's states go on to `<name>.until`.
    pub(super) fn polling(&mut self, wait: &Wait, place: &Place, call: &str, next: &str) {
        let name = &place.name;
        let Some(until) = self.condition(
            "`until`",
            &wait.until,
            &place.scope().bind("output", place.output()),
            false,
        ) else {
            return;
        };
        let variable = place.variable("poll");
        let poll = format!("${variable}");
        let interval = wait.interval.as_secs().max(1);
        let max_interval = wait.max_interval.as_secs().max(interval);
        let timeout_ms = wait.timeout.as_millis();
        let pause = format!("{name}.poll");
        let timed_out = format!("{name}.timed_out");
        self.states.insert(
            format!("{name}.poll.start"),
            json!({
                "Type": "Pass",
                "Assign": {variable.clone(): jsonata_field(&format!("{{\"started\": $millis(), \"delay\": {interval}}}"))},
                "Next": call,
            }),
        );
        self.states.insert(
            format!("{name}.until"),
            json!({
                "Type": "Choice",
                "Choices": [
                    {"Condition": jsonata_field(&until), "Next": next},
                    {"Condition": jsonata_field(&format!("($millis() - {poll}.started) >= {timeout_ms}")), "Next": timed_out},
                ],
                "Default": pause,
            }),
        );
        self.states.insert(
            pause,
            json!({
                "Type": "Wait",
                "Seconds": jsonata_field(&format!(
                    "$max([1, $ceil($min([{poll}.delay, ({timeout_ms} - ($millis() - {poll}.started)) / 1000]))])"
                )),
                "Assign": {variable: jsonata_field(&format!(
                    "{{\"started\": {poll}.started, \"delay\": $min([{poll}.delay * 2, {max_interval}])}}"
                ))},
                "Next": call,
            }),
        );
        let cause = format!(
            "waited {} and `{}` still does not hold",
            crate::foundation::duration::format(wait.timeout),
            wait.until.source
        );
        self.failure(
            &timed_out,
            &place.step.id,
            "runbook.WaitTimedOut",
            &literal(&json!(cause)),
            &place.failure,
        );
    }
}
