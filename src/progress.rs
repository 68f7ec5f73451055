//! Progress on stderr while a run works: a spinner line per running step on a terminal, plain timestamped lines
//! otherwise (CI logs, pipes), nothing but failures with `--quiet`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{AttemptOutcome, Event, Halt, Observer, StepStatus};
use crate::foundation::duration;
// Every field below that came from input (a summary rendered from parameters, an AWS message, a log line) passes
// through `line`: one line each, so a `\n` in a parameter cannot forge a progress line, and no ESC reaches the
// terminal whether or not colors are on.
use crate::foundation::terminal_text::line as clean;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Spinners, redrawn in place.
    Bars,
    /// One line per event.
    Lines,
    /// Failures only.
    Quiet,
}

pub struct Progress {
    style: Style,
    color: bool,
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    /// Off a terminal, when each step last printed its counter: one line every [`COUNTER_EVERY`].
    counted: Mutex<HashMap<String, std::time::Instant>>,
}

/// How often a counter prints a line off a terminal (a CI log keeps its size; a terminal redraws in place).
const COUNTER_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    pub fn new(style: Style, color: bool) -> Progress {
        let multi = MultiProgress::with_draw_target(match style {
            Style::Bars => ProgressDrawTarget::stderr_with_hz(10),
            _ => ProgressDrawTarget::hidden(),
        });
        Progress {
            style,
            color,
            multi,
            bars: Mutex::new(HashMap::new()),
            counted: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` (a terminal prompt) with the spinners out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }

    fn line(&self, text: &str) {
        match self.style {
            Style::Bars => self.multi.suspend(|| eprintln!("{text}")),
            _ => eprintln!("{text}"),
        }
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn status_mark(&self, status: StepStatus) -> String {
        match status {
            StepStatus::Succeeded => self.paint("ok", "32"),
            StepStatus::Failed => self.paint("FAILED", "1;31"),
            StepStatus::Skipped => self.paint("skipped", "2"),
            StepStatus::AwaitingApproval => self.paint("awaiting approval", "1;33"),
            StepStatus::Refused => self.paint("refused", "1;33"),
            StepStatus::Planned => self.paint("planned", "36"),
            StepStatus::Deferred => self.paint("deferred", "2"),
            StepStatus::NotRun => self.paint("not run", "2"),
        }
    }
}

fn stamp() -> String {
    let now = jiff::Timestamp::now();
    now.strftime("%H:%M:%S").to_string()
}

fn step_label(step: &str, item: Option<usize>) -> String {
    match item {
        Some(index) => format!("{step}[{}]", index + 1),
        None => step.to_string(),
    }
}

impl Observer for Progress {
    fn on_event(&self, event: &Event) -> Result<(), Halt> {
        match event {
            Event::StepStarted { step, summary, .. } => match self.style {
                Style::Bars => {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed:>4}")
                            .expect("a valid template"),
                    );
                    bar.set_prefix(step.clone());
                    bar.set_message(clean(summary).into_owned());
                    bar.enable_steady_tick(Duration::from_millis(100));
                    self.bars.lock().expect("bars").insert(step.clone(), bar);
                }
                Style::Lines => eprintln!("{} start    {step}: {}", stamp(), clean(summary)),
                Style::Quiet => {}
            },
            Event::Attempt {
                step,
                item,
                operation,
                attempt,
                elapsed,
                outcome,
            } => match outcome {
                AttemptOutcome::Err {
                    code,
                    message,
                    status,
                    transient,
                    ..
                } => {
                    if self.style == Style::Quiet && *transient {
                        return Ok(());
                    }
                    let status = status.map(|s| format!(" HTTP {s}")).unwrap_or_default();
                    self.line(&format!(
                        "{} attempt  {} {} #{attempt} failed after {}: {}{status}: {}",
                        stamp(),
                        step_label(step, *item),
                        clean(operation),
                        duration::format_short(*elapsed),
                        clean(code),
                        clean(message)
                    ));
                }
                AttemptOutcome::Ok { .. } if *attempt > 1 && self.style != Style::Quiet => {
                    self.line(&format!(
                        "{} attempt  {} {} #{attempt} succeeded",
                        stamp(),
                        step_label(step, *item),
                        clean(operation)
                    ));
                }
                AttemptOutcome::Ok { .. } => {}
            },
            Event::RetryScheduled {
                step,
                item,
                attempt,
                delay,
                ..
            } => {
                if self.style != Style::Quiet {
                    self.line(&format!(
                        "{} retry    {} attempt #{attempt} in {}",
                        stamp(),
                        step_label(step, *item),
                        duration::format_short(*delay)
                    ));
                }
            }
            Event::Poll {
                step,
                item,
                polls,
                observed,
                remaining,
            } => match self.style {
                Style::Bars => {
                    if let Some(bar) = self.bars.lock().expect("bars").get(step) {
                        bar.set_message(format!(
                            "waiting: {} (poll {polls}, {} left)",
                            clean(observed),
                            duration::format_short(*remaining)
                        ));
                    }
                }
                Style::Lines => eprintln!(
                    "{} wait     {} poll {polls}: {} ({} left)",
                    stamp(),
                    step_label(step, *item),
                    clean(observed),
                    duration::format_short(*remaining)
                ),
                Style::Quiet => {}
            },
            Event::Counter { step, item, text } => match self.style {
                Style::Bars => {
                    if let Some(bar) = self.bars.lock().expect("bars").get(step) {
                        bar.set_message(clean(text).into_owned());
                    }
                }
                Style::Lines => {
                    let label = step_label(step, *item);
                    let mut counted = self.counted.lock().expect("counted");
                    let due = counted
                        .get(&label)
                        .is_none_or(|last| last.elapsed() >= COUNTER_EVERY);
                    if due {
                        counted.insert(label.clone(), std::time::Instant::now());
                        eprintln!("{} count    {label}: {}", stamp(), clean(text));
                    }
                }
                Style::Quiet => {}
            },
            Event::Log { step, message } => {
                self.line(&format!("{} log      {step}: {}", stamp(), clean(message)))
            }
            Event::ApprovalRequested { .. } => {}
            Event::Approved { step, by, how } => self.line(&format!(
                "{} approved {step} by {} via {}",
                stamp(),
                clean(by),
                clean(how)
            )),
            Event::StepFinished {
                step,
                status,
                duration: took,
                attempts,
                error,
                changes,
                ..
            } => {
                if let Some(bar) = self.bars.lock().expect("bars").remove(step) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                if self.style == Style::Quiet && *status != StepStatus::Failed {
                    return Ok(());
                }
                let mut text = format!(
                    "{} {:<8} {step} ({}",
                    stamp(),
                    self.status_mark(*status),
                    duration::format_short(*took)
                );
                if *attempts > 1 {
                    text.push_str(&format!(", {attempts} attempts"));
                }
                text.push(')');
                if let Some(error) = error {
                    text.push_str(&format!(": {}", clean(error)));
                }
                for change in changes {
                    text.push_str(&format!("\n           {}", clean(&change.line())));
                }
                self.line(&text);
            }
            Event::StepReused { step, reason, .. } => {
                if self.style != Style::Quiet {
                    self.line(&format!("{} reused   {step}: {}", stamp(), clean(reason)));
                }
            }
            // Journal records: the attempt's end and the step's end already show on the terminal.
            Event::CallStarted { .. }
            | Event::CheckEvaluated { .. }
            | Event::CriterionEvaluated(_) => {}
        }
        Ok(())
    }
}
