//! `http.request` and `http.send` as Step Functions' HTTP task (`arn:aws:states:::http:invoke`), which calls the
//! endpoint through an EventBridge connection: the connection holds the credentials and the network path, and is
//! deployment-specific (an account's ARN), so the runbook does not name it and `--http-connection ARN` gives it.
//!
//! What the task does, from the Step Functions developer guide's page "Call HTTPS APIs in Step Functions
//! workflows": its `Arguments` are `ApiEndpoint`, `Method`, `Headers`, `QueryParameters`, `RequestBody` and
//! `Authentication: {ConnectionArn}`; the connection's own headers, query parameters and body parameters are
//! merged into the request; its result is `{StatusCode, StatusText, Headers, ResponseBody}` (`ResponseBody` parsed
//! when the answer's content type is JSON, else text; a header's values a list); an answer that is not 2xx fails
//! the task with the error `States.Http.StatusCode.NNN`, whose cause holds that answer; a request that does not
//! end within 60 seconds fails with `States.Http.Socket`; only HTTPS endpoints are called.
//!
//! How that is made the engine's action (src/actions/http.rs), state by state:
//! - `ID.http.start` (Pass) notes the request (`method`, `url`) and the time, `$millis()`;
//! - `ID` (the task) sends it: the URL's query string becomes `QueryParameters`, a JSON body gets the
//!   `content-type: application/json` the engine adds; its `timeout` is the task's `TimeoutSeconds` (whole
//!   seconds, at most the task's 60); its `retry` retries what the engine retries (5xx, 429, a timeout or a broken
//!   connection for `http.request`, 429 alone for `http.send`, a write); its result becomes the engine's output
//!   `{status, headers, body, latency_ms}`, header names lower-cased and a header's values joined with `, `;
//!   a `States.Http.StatusCode.NNN` failure is caught and read the same way, from its cause, since the engine
//!   answers a 404 as any other status;
//! - `ID.http.status` (Choice) applies the engine's rule: the step fails when the status is not
//!   `expect_status`, or without it on 5xx or 429 (`ID.http.unexpected`, the engine's message); a failure that
//!   is not an answer (no connection, a timeout) fails it as the task failed (`ID.http.failed`);
//! - `ID.http.answered` (Pass) keeps the output as every step's.
//!
//! `latency_ms` is measured from the start Pass to the task's end: it includes Step Functions' own scheduling of
//! the task (and any retries), so it is an upper bound of the request's time, where the engine times the last
//! attempt alone. A body the server sends as JSON under another content type stays text in Step Functions, where
//! the engine parses any body that is JSON.
//!
//! Refused, at the step: no `--http-connection`; a templated `method`, `timeout` or `expect_status`; a method the
//! task cannot send; a `timeout` that is not whole seconds or is beyond the task's 60.

use serde_json::{Map, Value, json};

use super::{Export, Place, jsonata_field, literal};
use crate::language::runbook::{ActionStep, Text};

/// The methods the HTTP task sends.
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
/// The longest an HTTP task waits for its answer.
const LONGEST_SECONDS: u64 = 60;
/// The prefix of the error a non-2xx answer fails the task with; the status follows it.
pub const STATUS_ERROR: &str = "States.Http.StatusCode.";

impl Export<'_> {
    /// The states of an HTTP request, entered at `<name>.http.start`, going on to `next`.
    pub(super) fn http_request(
        &mut self,
        action: &ActionStep,
        place: &Place,
        next: &str,
    ) -> Option<String> {
        let step = place.step;
        let what = format!("`{}`", action.shape.name);
        let Some(connection) = self.options.http_connection.clone() else {
            self.problems
                .error(
                    crate::foundation::diagnostic::ErrorKind::NotExportable {
                        what,
                        reason: "Step Functions' HTTP task calls the endpoint through an EventBridge connection, \
                                 and no connection was given"
                            .into(),
                    },
                    step.span,
                )
                .set_hint(
                    "pass --http-connection ARN (an EventBridge connection holding the endpoint's credentials); \
                     the runbook does not name it, since it is each account's own",
                );
            return None;
        };
        let request = self.http_request_shape(action, place, &what)?;
        let name = &place.name;
        let start = format!("{name}.http.start");
        let status = format!("{name}.http.status");
        let unexpected = format!("{name}.http.unexpected");
        let failed = format!("{name}.http.failed");
        let answered = format!("{name}.http.answered");
        let noted = place.variable("http_request");
        let answer = place.variable("http_answer");
        let error = place.variable("http_error");
        let (noted_ref, answer_ref, error_ref) = (
            format!("${noted}"),
            format!("${answer}"),
            format!("${error}"),
        );

        self.states.insert(
            start.clone(),
            json!({
                "Type": "Pass",
                "Assign": {noted.clone(): jsonata_field(&format!(
                    "{{\"method\": {}, \"url\": {}, \"started\": $millis()}}",
                    request.method, request.url
                ))},
                "Next": name,
            }),
        );

        let mut task = json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::http:invoke",
            "Arguments": jsonata_field(&arguments(&noted_ref, &request, &connection)),
            "Assign": {
                answer.clone(): jsonata_field(&format!(
                    "($r := $states.result; {})",
                    engine_output("$r.StatusCode", "$r", &noted_ref)
                )),
                error.clone(): null_field(),
            },
            "Catch": [{
                "ErrorEquals": ["States.ALL"],
                "Assign": {
                    // A status is an answer, read as the engine reads any; anything else is no answer.
                    answer.clone(): jsonata_field(&format!(
                        "($e := $states.errorOutput; $contains($e.Error, {prefix}) ? ($r := $substring($e.Cause, 0, 1) = \"{{\" ? $parse($e.Cause) : {{}}; {output}) : null)",
                        prefix = literal(&json!(STATUS_ERROR)),
                        output = engine_output(
                            &format!("$number($substringAfter($e.Error, {}))", literal(&json!(STATUS_ERROR))),
                            "$r",
                            &noted_ref
                        ),
                    )),
                    error.clone(): jsonata_field("$states.errorOutput"),
                },
                "Next": status,
            }],
            "Next": status,
        });
        if let Some(seconds) = request.timeout {
            task["TimeoutSeconds"] = json!(seconds);
        }
        if let Some(retry) = retry(action, request.expect_status) {
            task["Retry"] = retry;
        }
        self.states.insert(name.clone(), task);

        let fails = match request.expect_status {
            Some(expected) => format!("{answer_ref}.status != {expected}"),
            None => format!("{answer_ref}.status >= 500 or {answer_ref}.status = 429"),
        };
        self.states.insert(
            status,
            json!({
                "Type": "Choice",
                "Choices": [
                    {"Condition": jsonata_field(&format!("{answer_ref} = null")), "Next": failed},
                    {"Condition": jsonata_field(&fails), "Next": unexpected},
                ],
                "Default": answered,
            }),
        );
        let expected = request
            .expect_status
            .map(|expected| format!(", expected {expected}"))
            .unwrap_or_default();
        // The engine's message: `GET URL answered 503, expected 200: <the body's first 300 characters>`.
        let message = format!(
            "($t := $type({answer_ref}.body) = \"string\" ? {answer_ref}.body : $string({answer_ref}.body); {noted_ref}.method & \" \" & {noted_ref}.url & \" answered \" & $string({answer_ref}.status) & {} & ($t = \"\" ? \"\" : \": \" & $trim($substring($t, 0, 300))))",
            literal(&json!(expected))
        );
        self.failure(
            &unexpected,
            &step.id,
            "runbook.UnexpectedStatus",
            &message,
            &place.failure,
        );
        self.failure(
            &failed,
            &step.id,
            "runbook.HttpFailed",
            &format!(
                "{noted_ref}.method & \" \" & {noted_ref}.url & \": \" & {error_ref}.Error & ($exists({error_ref}.Cause) and {error_ref}.Cause != \"\" ? \": \" & {error_ref}.Cause : \"\")"
            ),
            &place.failure,
        );
        let keep = self.keep_result(action, place, &answer_ref)?;
        self.states.insert(
            answered,
            json!({"Type": "Pass", "Assign": Value::Object(keep), "Next": next}),
        );
        Some(start)
    }

    /// The request's parts as JSONata, or refused where a part has no translation.
    fn http_request_shape(
        &mut self,
        action: &ActionStep,
        place: &Place,
        what: &str,
    ) -> Option<Request> {
        let step = place.step;
        let scope = place.scope();
        let member = |name: &str| action.with.get(name).filter(|value| !value.is_null());
        let text = |value: &Value| Text {
            source: match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            },
            span: step.span,
        };
        let mut complete = true;

        let url = member("url").map(text).and_then(|url| {
            if !crate::foundation::template::is_template(&url.source)
                && !url.source.starts_with("https://")
            {
                self.refuse(
                    format!("`url: {}` of {what}", url.source),
                    "the HTTP task calls only HTTPS endpoints",
                    step.span,
                );
                return None;
            }
            self.template("`url`", &url, &scope)
        });
        complete &= url.is_some();

        let method = match member("method") {
            None => Some(literal(&json!("GET"))),
            Some(Value::String(given)) if crate::foundation::template::is_template(given) => {
                self.refuse(
                    format!("a templated `method` of {what}"),
                    "the retries and the role's permission depend on the method, so it is written in the definition",
                    step.span,
                );
                None
            }
            Some(Value::String(given))
                if METHODS.contains(&given.to_ascii_uppercase().as_str()) =>
            {
                Some(literal(&json!(given.to_ascii_uppercase())))
            }
            Some(other) => {
                self.refuse(
                    format!("`method: {}` of {what}", text(other).source),
                    format!("the HTTP task sends only {}", METHODS.join(", ")),
                    step.span,
                );
                None
            }
        };
        complete &= method.is_some();

        let timeout = match member("timeout") {
            None => None,
            Some(given) => {
                let given = text(given).source;
                let seconds = crate::foundation::duration::parse(&given)
                    .or_else(|| {
                        given
                            .trim()
                            .parse::<u64>()
                            .ok()
                            .map(std::time::Duration::from_secs)
                    })
                    .filter(|duration| duration.subsec_nanos() == 0)
                    .map(|duration| duration.as_secs())
                    .filter(|seconds| (1..=LONGEST_SECONDS).contains(seconds));
                if seconds.is_none() {
                    complete = false;
                    self.refuse(
                        format!("`timeout: {given}` of {what}"),
                        format!(
                            "the task's timeout is whole seconds, and the HTTP task gives up after {LONGEST_SECONDS}"
                        ),
                        step.span,
                    );
                }
                seconds
            }
        };
        // The step's own `timeout` bounds each attempt too: the shorter one holds.
        let timeout = match (timeout, action.timeout.map(|t| t.as_secs().max(1))) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };

        let expect_status = match member("expect_status") {
            None => None,
            Some(given) => {
                let status = given
                    .as_u64()
                    .or_else(|| given.as_str().and_then(|s| s.trim().parse().ok()))
                    .filter(|status| (100..=599).contains(status));
                if status.is_none() {
                    complete = false;
                    self.refuse(
                        format!("`expect_status: {}` of {what}", text(given).source),
                        "the status the step expects is written in the definition, as a number",
                        step.span,
                    );
                }
                status
            }
        };

        let headers = match member("headers") {
            None => None,
            Some(Value::Object(headers)) => {
                let mut pairs = Vec::new();
                for (header, value) in headers {
                    let value = self.template("a header", &text(value), &scope);
                    match value {
                        Some(value) => pairs.push(format!(
                            "{}: ($v := {value}; $type($v) = \"string\" ? $v : $string($v))",
                            literal(&json!(header))
                        )),
                        None => complete = false,
                    }
                }
                Some(pairs)
            }
            Some(_) => {
                self.refuse(
                    format!("`headers` of {what}"),
                    "headers are a map of names to values",
                    step.span,
                );
                complete = false;
                None
            }
        };
        let mut headers = headers.unwrap_or_default();

        let body = match member("body") {
            None => None,
            Some(body) => {
                let translated = self.templated_expression("`body`", body, step.span, &scope);
                complete &= translated.is_some();
                // The engine sends a body that is not text as JSON, saying so unless a header already does.
                let has_content_type = action
                    .with
                    .get("headers")
                    .and_then(Value::as_object)
                    .is_some_and(|headers| {
                        headers
                            .keys()
                            .any(|h| h.eq_ignore_ascii_case("content-type"))
                    });
                if !body.is_string() && !has_content_type {
                    headers.push("\"content-type\": \"application/json\"".into());
                }
                translated
            }
        };
        if !complete {
            return None;
        }
        Some(Request {
            url: url?,
            method: method?,
            headers,
            body,
            timeout,
            expect_status,
        })
    }
}

/// The parts of a request, as JSONata.
struct Request {
    url: String,
    method: String,
    /// `"name": value` pairs.
    headers: Vec<String>,
    body: Option<String>,
    timeout: Option<u64>,
    expect_status: Option<u64>,
}

fn null_field() -> Value {
    jsonata_field("null")
}

/// The task's `Arguments`: the noted URL split into `ApiEndpoint` and `QueryParameters` (the task appends the
/// latter itself), the method, the headers and body, and the connection.
fn arguments(noted: &str, request: &Request, connection: &str) -> String {
    let mut parts = vec![format!(
        "{{\"ApiEndpoint\": $contains($u, \"?\") ? $substringBefore($u, \"?\") : $u, \"Method\": {noted}.method, \"Authentication\": {{\"ConnectionArn\": {}}}}}",
        literal(&json!(connection))
    )];
    parts.push(
        "$contains($u, \"?\") and $substringAfter($u, \"?\") != \"\" ? {\"QueryParameters\": $merge([$map($split($substringAfter($u, \"?\"), \"&\"), function($p) { {$decodeUrlComponent($contains($p, \"=\") ? $substringBefore($p, \"=\") : $p): $decodeUrlComponent($contains($p, \"=\") ? $substringAfter($p, \"=\") : \"\")} })])} : {}".to_string(),
    );
    if !request.headers.is_empty() {
        parts.push(format!(
            "{{\"Headers\": {{{}}}}}",
            request.headers.join(", ")
        ));
    }
    if let Some(body) = &request.body {
        parts.push(format!("{{\"RequestBody\": {body}}}"));
    }
    format!("($u := {noted}.url; $merge([{}]))", parts.join(", "))
}

/// The engine's output `{status, headers, body, latency_ms}` of an answer `answer` (the task's result, or the
/// answer a status failure's cause holds) whose status is `status`.
fn engine_output(status: &str, answer: &str, noted: &str) -> String {
    format!(
        "{{\"status\": {status}, \"headers\": $merge([{{}}, $each({answer}.Headers, function($v, $k) {{ {{$lowercase($k): $type($v) = \"array\" ? $join($v, \", \") : $string($v)}} }})]), \"body\": $exists({answer}.ResponseBody) ? {answer}.ResponseBody : \"\", \"latency_ms\": $millis() - {noted}.started}}"
    )
}

/// The task's `Retry`: what the engine retries under the step's `retry`. A read retries 5xx, 429, a timeout and
/// a connection that broke; a write only 429 (nothing of it was taken). A status the step expects is an answer,
/// never retried.
fn retry(action: &ActionStep, expect_status: Option<u64>) -> Option<Value> {
    if action.retry.attempts <= 1 {
        return None;
    }
    let write = action.shape.effect == crate::language::action_shape::Effect::Write;
    let statuses: Vec<u64> = if write {
        vec![429]
    } else {
        std::iter::once(429).chain(500..=599).collect()
    };
    let mut errors: Vec<String> = statuses
        .into_iter()
        .filter(|status| Some(*status) != expect_status)
        .map(|status| format!("{STATUS_ERROR}{status}"))
        .collect();
    if !write {
        errors.push("States.Timeout".into());
        errors.push("States.Http.Socket".into());
    }
    Some(json!([{
        "ErrorEquals": errors,
        "IntervalSeconds": super::seconds(action.retry.delay).max(1),
        "MaxAttempts": action.retry.attempts - 1,
        "BackoffRate": 2.0,
        "MaxDelaySeconds": super::seconds(action.retry.max_delay).max(1),
        "JitterStrategy": "FULL",
    }]))
}

/// A scheduled HTTP task's parameters as the engine journals the request: `{method, url}`, the query parameters
/// back in the URL (the connection ARN is the deployment's, not the request's).
pub fn engine_request(parameters: &Value) -> Value {
    let mut url = parameters["ApiEndpoint"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(query) = parameters["QueryParameters"]
        .as_object()
        .filter(|q| !q.is_empty())
    {
        let pairs: Vec<String> = query
            .iter()
            .map(|(key, value)| {
                let value = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                format!("{}={}", encode(key), encode(&value))
            })
            .collect();
        url = format!("{url}?{}", pairs.join("&"));
    }
    json!({"method": parameters["Method"].as_str().unwrap_or("GET"), "url": url})
}

/// An HTTP task's answer (its result, or the cause of its `States.Http.StatusCode.NNN` failure) as the engine's
/// output without `latency_ms`, which only the states around the task measure.
pub fn engine_response(answer: &Value, status: Option<u64>) -> Value {
    let mut headers = Map::new();
    if let Some(given) = answer["Headers"].as_object() {
        for (name, value) in given {
            let value = match value {
                Value::Array(values) => values
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(", "),
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            headers.insert(name.to_ascii_lowercase(), Value::String(value));
        }
    }
    json!({
        "status": status.or_else(|| answer["StatusCode"].as_u64()),
        "headers": headers,
        "body": answer.get("ResponseBody").cloned().unwrap_or(Value::String(String::new())),
    })
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What the state machine's role needs for its HTTP tasks (the developer guide's "IAM permissions to run an HTTP
/// Task"): `states:InvokeHTTPEndpoint` on the state machine, each step's statement bound to its method and
/// endpoint (`states:HTTPMethod`, `states:HTTPEndpoint`; a templated endpoint up to its first template, then
/// `*`); `events:RetrieveConnectionCredentials` on the connection; and reading the secret EventBridge keeps the
/// connection's credentials in. Nothing when no step sends HTTP. The state machine is named after the runbook,
/// as `runbook deploy` names it.
pub fn role_statements(
    runbook: &crate::language::runbook::Runbook,
    connection: &str,
    region: &str,
    account: &str,
) -> Vec<Value> {
    let state_machine = format!(
        "arn:aws:states:{region}:{account}:stateMachine:{}",
        runbook.name
    );
    let mut statements = Vec::new();
    for step in runbook.steps.iter().chain(&runbook.on_failure) {
        let Some(action) = step
            .action()
            .filter(|action| super::is_http(action.shape.name))
        else {
            continue;
        };
        let url = action.with["url"].as_str().unwrap_or_default();
        let endpoint = match url.find("{{").or_else(|| url.find("{%")) {
            Some(template) => format!("{}*", &url[..template]),
            None => url.split('?').next().unwrap_or_default().to_string(),
        };
        let method = action.with["method"]
            .as_str()
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let sid: String = step
            .id
            .split(|c: char| !c.is_ascii_alphanumeric())
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        statements.push(json!({
            "Sid": format!("HttpTask{sid}"),
            "Effect": "Allow",
            "Action": ["states:InvokeHTTPEndpoint"],
            "Resource": state_machine,
            "Condition": {
                "StringEquals": {"states:HTTPMethod": method},
                "StringLike": {"states:HTTPEndpoint": endpoint},
            },
        }));
    }
    if statements.is_empty() {
        return statements;
    }
    statements.push(json!({
        "Sid": "HttpTaskConnection",
        "Effect": "Allow",
        "Action": ["events:RetrieveConnectionCredentials"],
        "Resource": connection,
    }));
    statements.push(json!({
        "Sid": "HttpTaskConnectionSecret",
        "Effect": "Allow",
        "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        "Resource": "arn:aws:secretsmanager:*:*:secret:events!connection/*",
    }));
    statements
}
