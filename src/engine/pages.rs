//! Following a list operation's pages: the engine, not each runbook, sends the request again with every page's
//! token until the last page, so that `'x' in output.TableNames` sees every table and not the first hundred.
//!
//! Each page is one [`ActionContext::call`], retried and journaled like any call. The step's output is the first
//! page's response with each list the registry names ([`Pages::lists`]) joined across pages, and the token
//! removed: the step saw everything. A runaway listing (a service that answers the same token again, or more than
//! [`MAX_PAGES`] pages) fails the step rather than loop or stop short silently.

use std::future::Future;

use serde_json::{Map, Value};

use super::action_context::ActionContext;
use crate::actions::Pages;
use crate::aws::{AwsOp, CallError};

/// More pages than this is a listing no runbook should read in one step (100,000 DynamoDB tables, a million
/// stack events at 100 a page): the step fails and says so.
pub const MAX_PAGES: usize = 1000;

/// Sends `op` with `input`, then again from each page's token, and joins the pages.
pub async fn follow(
    context: &ActionContext,
    op: &'static AwsOp,
    pages: &Pages,
    input: Map<String, Value>,
) -> Result<Value, CallError> {
    follow_with(
        pages,
        op.operation,
        input,
        MAX_PAGES,
        || context.cancelled(),
        |request| context.call(op, request),
    )
    .await
}

/// [`follow`] over any page source, for tests.
pub(super) async fn follow_with<F, Fut>(
    pages: &Pages,
    operation: &str,
    input: Map<String, Value>,
    max_pages: usize,
    cancelled: impl Fn() -> bool,
    mut call: F,
) -> Result<Value, CallError>
where
    F: FnMut(Map<String, Value>) -> Fut,
    Fut: Future<Output = Result<Value, CallError>>,
{
    let mut request = input;
    let mut joined: Option<Map<String, Value>> = None;
    let mut count = 0;
    loop {
        let page = call(request.clone()).await?;
        count += 1;
        let Value::Object(mut page) = page else {
            // Not a structure: nothing to join; give it back as it came.
            return Ok(page);
        };
        let token = page
            .remove(pages.response_token)
            .filter(|token| match token {
                Value::Null => false,
                Value::String(text) => !text.is_empty(),
                _ => true,
            });
        match &mut joined {
            None => joined = Some(page),
            Some(all) => {
                for list in pages.lists {
                    let Some(Value::Array(more)) = page.remove(*list) else {
                        continue;
                    };
                    match all.get_mut(*list) {
                        Some(Value::Array(items)) => items.extend(more),
                        _ => {
                            all.insert((*list).to_string(), Value::Array(more));
                        }
                    }
                }
            }
        }
        let Some(token) = token else {
            return Ok(Value::Object(joined.unwrap_or_default()));
        };
        if request.get(pages.request_token) == Some(&token) {
            return Err(CallError::stopped(
                "PaginationLoop",
                format!(
                    "{operation} answered the page token it was sent ({}) again; stopped after {count} pages",
                    pages.response_token
                ),
            ));
        }
        if count >= max_pages {
            return Err(CallError::stopped(
                "TooManyPages",
                format!(
                    "{operation} has more than {max_pages} pages; narrow the request (a prefix, a filter) so one \
                     step does not read them all"
                ),
            ));
        }
        if cancelled() {
            return Err(CallError::stopped(
                "Interrupted",
                format!("interrupted after {count} pages of {operation}"),
            ));
        }
        request.insert(pages.request_token.to_string(), token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    const TABLES: Pages = Pages {
        request_token: "ExclusiveStartTableName",
        response_token: "LastEvaluatedTableName",
        lists: &["TableNames"],
    };

    /// A ListTables over `names`, `size` a page, as DynamoDB pages it.
    fn tables(names: &[String], size: usize, request: &Map<String, Value>) -> Value {
        let start = match request.get("ExclusiveStartTableName") {
            Some(Value::String(last)) => names.iter().position(|n| n == last).unwrap() + 1,
            _ => 0,
        };
        let page: Vec<&String> = names.iter().skip(start).take(size).collect();
        let mut out = json!({"TableNames": page});
        if start + size < names.len() {
            out["LastEvaluatedTableName"] = json!(page.last().unwrap());
        }
        out
    }

    fn run<F>(
        max: usize,
        input: Value,
        answer: F,
    ) -> (Result<Value, CallError>, Vec<Map<String, Value>>)
    where
        F: Fn(&Map<String, Value>) -> Value,
    {
        let sent = Mutex::new(Vec::new());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let result = runtime.block_on(follow_with(
            &TABLES,
            "ListTables",
            input.as_object().unwrap().clone(),
            max,
            || false,
            |request| {
                sent.lock().unwrap().push(request.clone());
                let page = answer(&request);
                async move { Ok(page) }
            },
        ));
        (result, sent.into_inner().unwrap())
    }

    #[test]
    fn every_page_is_requested_from_the_last_token_and_the_lists_are_joined() {
        let names: Vec<String> = (0..250).map(|n| format!("t{n:03}")).collect();
        let (result, sent) = run(MAX_PAGES, json!({"Limit": 100}), |request| {
            tables(&names, 100, request)
        });
        let output = result.unwrap();
        assert_eq!(output["TableNames"].as_array().unwrap().len(), 250);
        assert_eq!(output["TableNames"][249], "t249");
        assert!(output.get("LastEvaluatedTableName").is_none());
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[0].get("ExclusiveStartTableName"), None);
        assert_eq!(sent[1]["ExclusiveStartTableName"], "t099");
        assert_eq!(sent[2]["ExclusiveStartTableName"], "t199");
        assert!(
            sent.iter().all(|r| r["Limit"] == 100),
            "the page size is kept"
        );
    }

    #[test]
    fn a_single_page_is_returned_as_it_came() {
        let names: Vec<String> = vec!["a".into(), "b".into()];
        let (result, sent) = run(MAX_PAGES, json!({}), |request| tables(&names, 100, request));
        assert_eq!(result.unwrap(), json!({"TableNames": ["a", "b"]}));
        assert_eq!(sent.len(), 1);
    }

    #[test]
    fn a_repeated_token_or_too_many_pages_fails_instead_of_looping_or_stopping_short() {
        let (result, sent) = run(
            MAX_PAGES,
            json!({}),
            |_| json!({"TableNames": ["x"], "LastEvaluatedTableName": "x"}),
        );
        let error = result.unwrap_err();
        assert_eq!(error.code, "PaginationLoop");
        assert_eq!(sent.len(), 2);

        let names: Vec<String> = (0..50).map(|n| format!("t{n:02}")).collect();
        let (result, sent) = run(3, json!({}), |request| tables(&names, 10, request));
        let error = result.unwrap_err();
        assert_eq!(error.code, "TooManyPages");
        assert!(
            error.message.contains("more than 3 pages"),
            "{}",
            error.message
        );
        assert_eq!(sent.len(), 3);
    }
}
