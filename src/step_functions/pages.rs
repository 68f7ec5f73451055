//! A paged list action as a loop: the task is sent again with each page's token until the last page, and the
//! step's output is the first page with the lists of every page joined and the token removed, as the engine's
//! `pages` does (a service answering the token it was sent, or more than its page limit, fails the step).

use serde_json::{Value, json};

use super::member_case::MemberCase;
use super::{Export, Place, jsonata_field, literal};
use crate::actions::Pages;
use crate::engine::MAX_PAGES;
use crate::language::runbook::ActionStep;

impl Export<'_> {
    /// The states of a paged call, entered at `<name>.pages.start`, going on to `next`; `with` names its members
    /// as the task does (`case`), and the token and lists are read from the result renamed as the API names them.
    pub(super) fn paged(
        &mut self,
        action: &ActionStep,
        place: &Place,
        resource: &str,
        pages: &Pages,
        (case, with): (&MemberCase, &Value),
        next: &str,
    ) -> Option<String> {
        let name = &place.name;
        let page = format!("${}", place.variable("page"));
        let start = format!("{name}.pages.start");
        let more = format!("{name}.pages");
        let joined = format!("{name}.paged");
        let with = self.templated_expression("`with`", with, place.step.span, &place.scope());
        let keep = self.keep_result(action, place, &format!("{page}.joined"));
        let (with, keep) = (with?, keep?);
        let response_token = literal(&json!(pages.response_token));
        let lists: Vec<String> = pages
            .lists
            .iter()
            .map(|list| {
                let list = literal(&json!(list));
                format!("{list}: $append($lookup({page}.joined, {list}), $lookup($r, {list}))")
            })
            .collect();
        let next_page = format!(
            "($r := {result}; {{\"joined\": {page}.joined = null ? $merge([{{}}, $sift($r, function($v, $k) {{ $k != {response_token} }})]) : $merge([{page}.joined, {{{lists}}}]), \"token\": $lookup($r, {response_token}), \"sent\": {page}.token, \"count\": {page}.count + 1}})",
            lists = lists.join(", "),
            result = case.result(),
        );
        let variable = place.variable("page");
        self.states.insert(
            start.clone(),
            json!({
                "Type": "Pass",
                "Assign": {variable.clone(): {"joined": null, "token": null, "count": 0}},
                "Next": name,
            }),
        );
        let request_token = literal(&json!(case.member(pages.request_token)));
        let mut task = json!({
            "Type": "Task",
            "Resource": resource,
            "Arguments": jsonata_field(&format!(
                "$merge([{with}, {page}.token = null ? {{}} : {{{request_token}: {page}.token}}])"
            )),
            "Assign": {variable: jsonata_field(&next_page)},
            "Next": more,
        });
        let service = action
            .shape
            .name
            .split_once('.')
            .map_or("", |(service, _)| service);
        self.task_policies(&mut task, action, service, place);
        self.states.insert(name.clone(), task);
        let token_given = format!("({page}.token != null and {page}.token != \"\")");
        let looped = format!("{name}.pages.loop");
        let too_many = format!("{name}.pages.too_many");
        self.states.insert(
            more,
            json!({
                "Type": "Choice",
                "Choices": [
                    {"Condition": jsonata_field(&format!("{token_given} and {page}.token = {page}.sent")), "Next": looped},
                    {"Condition": jsonata_field(&format!("{token_given} and {page}.count >= {MAX_PAGES}")), "Next": too_many},
                    {"Condition": jsonata_field(&token_given), "Next": name},
                ],
                "Default": joined,
            }),
        );
        let operation = action.shape.name;
        self.failure(
            &looped,
            &place.step.id,
            "runbook.PaginationLoop",
            &literal(&json!(format!(
                "{operation} answered the page token it was sent again"
            ))),
            &place.failure,
        );
        self.failure(
            &too_many,
            &place.step.id,
            "runbook.TooManyPages",
            &literal(&json!(format!(
                "{operation} has more than {MAX_PAGES} pages; narrow the request so one step does not read them all"
            ))),
            &place.failure,
        );
        self.states.insert(
            joined,
            json!({"Type": "Pass", "Assign": Value::Object(keep), "Next": next}),
        );
        Some(start)
    }
}
