//! The names of the states an export writes, in one place: the export names its states with these builders and
//! the history reader ([`super::history`]) tells them apart with [`parse`], so renaming one cannot silently
//! break the import of an execution's history.
//!
//! A step's states are its id and `ID.<role>`: `ID.when` and `ID.skipped` for its `when`, `ID.check` and
//! `ID.failed.N` for its checks, `ID.branch` and `ID.recorded` for the start and end of its Parallel branch;
//! every other `ID.…` (an expansion's loop, a polling's pause) is part of the step's work. The run's own states
//! ([`PARAMETERS`], [`FINISH`] with `success_criteria.check` and `success_criteria.failed.N`, [`SUCCEEDED`], [`ON_FAILURE`], and a
//! [`parallel`] per stage of steps side by side) belong to no step.
//!
//! A `runbook:` step's child steps have ids with dots (`rollback.confirm`), so a state belongs to the longest
//! step id it starts with ([`parse_among`]); the `runbook:` step's own states are `ID.Parameters` and `ID.Vars`
//! (its frame, [`frame_parameters`]), `ID.check` and `ID` (the child's success criteria and outputs), and a
//! stage of its child's steps side by side is [`parallel_of`]. No child step may be called one of [`ROLES`]
//! (the export refuses it), so no child's state takes the name of one of the step's.

/// The first state: the parameters and vars.
pub const PARAMETERS: &str = "parameters";
/// The state the last step hands on to: the success criteria.
pub const FINISH: &str = "success_criteria";
/// The last state of a run that succeeds.
pub const SUCCEEDED: &str = "succeeded";
/// The first state of the `on_failure` steps.
pub const ON_FAILURE: &str = "on_failure";
/// The run's own states whose names a step id could take (an id has no space, so no [`parallel`] name).
pub const RUN_STATES: [&str; 4] = [PARAMETERS, FINISH, SUCCEEDED, ON_FAILURE];

const WHEN: &str = "when";
const SKIPPED: &str = "skipped";
const CHECK: &str = "check";
const FAILED: &str = "failed";
const BRANCH: &str = "branch";
const RECORDED: &str = "recorded";
const FRAME_PARAMETERS: &str = "Parameters";
const FRAME_VARS: &str = "Vars";

/// The roles of a step's states that a step id could also be: a child step of a `runbook:` step named so would
/// have a state of the same name as one of the `runbook:` step's.
pub const ROLES: [&str; 6] = [WHEN, SKIPPED, CHECK, FAILED, BRANCH, RECORDED];

/// What a state is to the step (or the run's part) whose name it starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role<'s> {
    /// The step's own state (`""`), or another of its work (an expansion's `poll.start`, `pages`, …).
    Work(&'s str),
    /// The Choice on its `when`.
    When,
    /// The Pass that records it skipped.
    Skipped,
    /// The Choice on its checks (or on the success criteria).
    Check,
    /// The Fail (or the way to `on_failure`) of its check number N, counted from 1.
    Failed(usize),
    /// The first state of its Parallel branch.
    Branch,
    /// The last state of its Parallel branch, which carries its record out.
    Recorded,
    /// A `runbook:` step's binding of its child's parameters and vars.
    Frame,
}

/// The Choice on a step's `when`.
pub fn when(step: &str) -> String {
    format!("{step}.{WHEN}")
}

/// The Pass recording a step skipped by its `when`.
pub fn skipped(step: &str) -> String {
    format!("{step}.{SKIPPED}")
}

/// The Choice on the checks of the states named `name` (a step's id, or its item's inside a for_each).
pub fn check(name: &str) -> String {
    format!("{name}.{CHECK}")
}

/// Where assertion `number` (from 1) of `owner`'s checks, or of [`FINISH`], goes when it does not hold.
pub fn failed(owner: &str, number: usize) -> String {
    format!("{owner}.{FAILED}.{number}")
}

/// The first state of a step's Parallel branch.
pub fn branch(step: &str) -> String {
    format!("{step}.{BRANCH}")
}

/// The last state of a step's Parallel branch.
pub fn recorded(step: &str) -> String {
    format!("{step}.{RECORDED}")
}

/// The Parallel state of the stage at `position`: a space, which no step id has, keeps it apart from every
/// step's states.
pub fn parallel(position: usize) -> String {
    format!("parallel {}", position + 1)
}

/// The Parallel state of the stage at `position` of the child run by the `runbook:` step `step`.
pub fn parallel_of(step: &str, position: usize) -> String {
    format!("{} of {step}", parallel(position))
}

/// The state binding the parameters of the child run by the `runbook:` step `step`.
pub fn frame_parameters(step: &str) -> String {
    format!("{step}.{FRAME_PARAMETERS}")
}

/// The state computing the vars of the child run by the `runbook:` step `step`.
pub fn frame_vars(step: &str) -> String {
    format!("{step}.{FRAME_VARS}")
}

/// The state computing the vars, after [`PARAMETERS`].
pub fn vars() -> String {
    format!("{PARAMETERS}.vars")
}

/// The Fail ending a run whose `on_failure` steps ran.
pub fn on_failure_failed() -> String {
    format!("{ON_FAILURE}.{FAILED}")
}

/// The name a state's owner has (a step's id, or one of the run's states) and what the state is to it.
pub fn parse(state: &str) -> (&str, Role<'_>) {
    let (owner, rest) = state.split_once('.').unwrap_or((state, ""));
    (owner, role(rest))
}

/// As [`parse`], the owner being the longest step id (as `is_step` tells) the state's name starts with: a
/// `runbook:` step's child steps have ids with dots. A state of no step is read by [`parse`].
pub fn parse_among(state: &str, is_step: impl Fn(&str) -> bool) -> (&str, Role<'_>) {
    if is_step(state) {
        return (state, Role::Work(""));
    }
    let found = state
        .char_indices()
        .rev()
        .filter(|(_, c)| *c == '.')
        .find(|(at, _)| is_step(&state[..*at]));
    match found {
        Some((at, _)) => (&state[..at], role(&state[at + 1..])),
        None => parse(state),
    }
}

fn role(rest: &str) -> Role<'_> {
    match rest {
        WHEN => Role::When,
        SKIPPED => Role::Skipped,
        CHECK => Role::Check,
        BRANCH => Role::Branch,
        RECORDED => Role::Recorded,
        FRAME_PARAMETERS | FRAME_VARS => Role::Frame,
        _ => match rest
            .strip_prefix(FAILED)
            .and_then(|number| number.strip_prefix('.'))
            .and_then(|number| number.parse().ok())
        {
            Some(number) => Role::Failed(number),
            None => Role::Work(rest),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::foundation::source::SourceFile;

    #[test]
    fn every_builder_is_read_back_as_its_role() {
        assert_eq!(parse(&when("get")), ("get", Role::When));
        assert_eq!(parse(&skipped("get")), ("get", Role::Skipped));
        assert_eq!(parse(&check("get")), ("get", Role::Check));
        assert_eq!(parse(&failed("get", 12)), ("get", Role::Failed(12)));
        assert_eq!(parse(&failed(FINISH, 1)), (FINISH, Role::Failed(1)));
        assert_eq!(parse(&branch("get")), ("get", Role::Branch));
        assert_eq!(parse(&recorded("get")), ("get", Role::Recorded));
        assert_eq!(parse("get"), ("get", Role::Work("")));
        assert_eq!(parse("get.poll.start"), ("get", Role::Work("poll.start")));
        // A for_each item's checks are the item's work, not the step's checks.
        assert_eq!(parse("get.each.check"), ("get", Role::Work("each.check")));
        assert_eq!(
            parse(&on_failure_failed()),
            (ON_FAILURE, Role::Work(FAILED))
        );
        assert_eq!(parse(&vars()), (PARAMETERS, Role::Work("vars")));
    }

    /// A child's step ids have dots: a state belongs to the longest id it starts with, and the `runbook:` step's
    /// own states (its frame, its checks) to it.
    #[test]
    fn a_state_of_a_childs_step_is_read_as_that_steps() {
        let ids = [
            "tally",
            "tally.describe",
            "outer",
            "outer.tally",
            "outer.tally.say",
        ];
        let among = |state: &str| parse_among(state, |id| ids.contains(&id)).0.to_string();
        let role = |state: &'static str| parse_among(state, |id| ids.contains(&id)).1;
        assert_eq!(among(&check("tally.describe")), "tally.describe");
        assert_eq!(role("tally.describe.check"), Role::Check);
        assert_eq!(among(&failed("tally.describe", 2)), "tally.describe");
        assert_eq!(role("tally.describe.poll.start"), Role::Work("poll.start"));
        assert_eq!(among(&frame_parameters("outer.tally")), "outer.tally");
        assert_eq!(role("outer.tally.Vars"), Role::Frame);
        assert_eq!(among("outer.tally.say.when"), "outer.tally.say");
        assert_eq!(role("tally"), Role::Work(""));
        assert_eq!(role("tally.when"), Role::When);
        // A Parallel of a child's steps belongs to no step; the run's own states are read as before.
        assert!(!ids.contains(&among(&parallel_of("outer.tally", 0)).as_str()));
        assert_eq!(among(&vars()), PARAMETERS);
    }

    /// Every state of an export that uses every construct the reader tells apart (and the expansions, whose
    /// states are their step's work) is owned by a step or by the run: none is read as some other step's.
    #[test]
    fn every_state_an_export_writes_is_owned_by_its_step_or_the_run() {
        let text = r#"name: t
description: names test
params:
  go: {type: boolean, default: true}
steps:
  - id: left
    action: lambda.GetAlias
    with: {FunctionName: f, Name: live}
    when: "params.go"
    check:
      - that: "output.FunctionVersion != '1'"
  - id: right
    action: lambda.ListVersionsByFunction
    with: {FunctionName: g}
  - id: polled
    needs: [left, right]
    action: lambda.GetAlias
    with: {FunctionName: f, Name: live}
    wait: {until: "output.FunctionVersion == '2'", timeout: 5s, interval: 1s}
  - id: each
    needs: [polled]
    for_each: "['a', 'b']"
    action: lambda.GetAlias
    with: {FunctionName: "{{ item }}", Name: live}
    check:
      - that: "output.Name == 'live'"
success_criteria:
  - name: moved
    that: "steps.polled.output.FunctionVersion == '2'"
on_failure:
  - id: tell
    action: core.log
    with: {message: failed}
"#;
        let file = SourceFile::new("t.yaml", text.to_string());
        let runbook = crate::language::validator::load(&file, &[], &crate::actions::TABLE)
            .unwrap_or_else(|_| panic!("the test runbook validates"));
        let definition = super::super::export(&runbook, &super::super::Options::default())
            .unwrap_or_else(|problems| panic!("exports: {problems:?}"));
        let mut names = Vec::new();
        collect_names(&definition["States"], &mut names);
        let owners: Vec<&str> = runbook
            .steps
            .iter()
            .chain(&runbook.on_failure)
            .map(|step| step.id.as_str())
            .chain([PARAMETERS, FINISH, SUCCEEDED, ON_FAILURE])
            .collect();
        for name in &names {
            let (owner, _) = parse(name);
            assert!(
                owners.contains(&owner) || name.starts_with("parallel "),
                "state {name:?} is owned by no step"
            );
        }
        for expected in [
            when("left"),
            skipped("left"),
            check("left"),
            failed("left", 1),
            branch("right"),
            recorded("right"),
            failed(FINISH, 1),
            parallel(0),
            "polled.poll.start".into(),
            "right.pages.start".into(),
        ] {
            assert!(names.contains(&expected), "{expected} not in {names:?}");
        }
    }

    /// The names of the states of a `States` object and of every Parallel branch and Map inside it.
    fn collect_names(states: &Value, names: &mut Vec<String>) {
        let Some(states) = states.as_object() else {
            return;
        };
        for (name, state) in states {
            names.push(name.clone());
            for branch in state["Branches"].as_array().into_iter().flatten() {
                collect_names(&branch["States"], names);
            }
            collect_names(&state["ItemProcessor"]["States"], names);
        }
    }
}
