//! AWS wire protocols: how a request's members become a body, and how a raw response becomes JSON in the API's
//! own shape or a [`CallError`] with the API's own error code.

use serde_json::{Map, Value};

use super::{CallError, Exchange, Reply, Request, is_transient_code, xml};

#[derive(Clone, Copy, Debug)]
pub enum Protocol {
    /// `awsJson1_0` / `awsJson1_1` (DynamoDB, SQS, Athena, Glue, Logs, EventBridge, Cost Explorer...): the body is
    /// the members as JSON.
    AwsJson { version: &'static str },
    /// `restJson1` (Lambda, S3 Tables): `uri` members go in the path or query string through the typed builder;
    /// the rest are the JSON body (none when the operation has no body).
    RestJson {
        uri: &'static [&'static str],
        body: bool,
    },
    /// `awsQuery` (CloudFormation, SNS, STS): a form body, an XML response wrapped in `<OpResult>`.
    /// `lists` names members that are lists of structures, kept as arrays even when empty.
    Query {
        version: &'static str,
        lists: &'static [&'static str],
    },
    /// `restXml` (S3): the typed builder places every member; the XML response becomes JSON. `lists` names the
    /// repeated elements that are lists even when only one is present (`Contents`).
    RestXml { lists: &'static [&'static str] },
}

impl Protocol {
    pub fn encode(&self, operation: &str, input: &Map<String, Value>) -> Result<Request, String> {
        let (body, content_type) = match self {
            Protocol::AwsJson { version } => (
                Some(serde_json::to_vec(input).map_err(|e| e.to_string())?),
                Some(match *version {
                    "1.0" => "application/x-amz-json-1.0",
                    _ => "application/x-amz-json-1.1",
                }),
            ),
            Protocol::RestJson { uri, body } => {
                if *body {
                    let rest: Map<String, Value> = input
                        .iter()
                        .filter(|(key, _)| !uri.contains(&key.as_str()))
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect();
                    (
                        Some(serde_json::to_vec(&rest).map_err(|e| e.to_string())?),
                        Some("application/json"),
                    )
                } else {
                    (None, None)
                }
            }
            Protocol::Query { version, .. } => {
                let mut form = vec![
                    ("Action".to_string(), operation.to_string()),
                    ("Version".to_string(), version.to_string()),
                ];
                for (key, value) in input {
                    flatten_query(key, value, &mut form);
                }
                (
                    Some(encode_form(&form).into_bytes()),
                    Some("application/x-www-form-urlencoded"),
                )
            }
            Protocol::RestXml { .. } => (None, None),
        };
        Ok(Request {
            input: input.clone(),
            body,
            content_type,
        })
    }

    pub fn decode(&self, operation: &str, exchange: Exchange) -> Result<Reply, CallError> {
        let request_id = exchange.request_id();
        let status = exchange.status;
        if !(200..300).contains(&status) {
            let (code, message, body_request_id) = match self {
                Protocol::AwsJson { .. } | Protocol::RestJson { .. } => json_error(&exchange),
                Protocol::Query { .. } | Protocol::RestXml { .. } => xml_error(&exchange),
            };
            let transient = status >= 500 || is_transient_code(&code) || status == 429;
            return Err(CallError {
                code,
                message,
                status: Some(status),
                request_id: request_id.or(body_request_id),
                transient,
            });
        }
        let output = match self {
            Protocol::AwsJson { .. } | Protocol::RestJson { .. } => {
                if exchange.body.iter().all(u8::is_ascii_whitespace) {
                    Value::Object(Map::new())
                } else {
                    let mut value: Value =
                        serde_json::from_slice(&exchange.body).map_err(|error| CallError {
                            code: "MalformedResponse".into(),
                            message: format!("{operation} answered with invalid JSON: {error}"),
                            status: Some(status),
                            request_id: request_id.clone(),
                            transient: false,
                        })?;
                    epoch_timestamps_to_rfc3339(&mut value, None);
                    value
                }
            }
            Protocol::Query { lists, .. } => {
                let tree = xml::parse(&exchange.body, lists).map_err(|message| CallError {
                    code: "MalformedResponse".into(),
                    message,
                    status: Some(status),
                    request_id: request_id.clone(),
                    transient: false,
                })?;
                // <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>
                let result = format!("{operation}Result");
                match tree {
                    Value::Object(mut root) => match root.remove(&result) {
                        Some(Value::Object(members)) => Value::Object(members),
                        _ => Value::Object(Map::new()),
                    },
                    _ => Value::Object(Map::new()),
                }
            }
            Protocol::RestXml { lists } => {
                if exchange.body.is_empty() {
                    Value::Object(Map::new())
                } else {
                    xml::parse(&exchange.body, lists).map_err(|message| CallError {
                        code: "MalformedResponse".into(),
                        message,
                        status: Some(status),
                        request_id: request_id.clone(),
                        transient: false,
                    })?
                }
            }
        };
        Ok(Reply {
            output,
            status: Some(status),
            request_id,
        })
    }
}

/// `{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "..."}`, or the code in
/// the `x-amzn-errortype` header (restJson).
fn json_error(exchange: &Exchange) -> (String, String, Option<String>) {
    let body: Value = serde_json::from_slice(&exchange.body).unwrap_or(Value::Null);
    let raw_code = exchange
        .header("x-amzn-errortype")
        .map(str::to_string)
        .or_else(|| {
            ["__type", "code", "Code"]
                .iter()
                .find_map(|key| body.get(key).and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_else(|| http_code(exchange.status));
    let code = clean_error_code(&raw_code);
    let message = ["message", "Message", "errorMessage"]
        .iter()
        .find_map(|key| body.get(key).and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&exchange.body)
                .chars()
                .take(500)
                .collect()
        });
    (code, message, None)
}

fn xml_error(exchange: &Exchange) -> (String, String, Option<String>) {
    let tree = xml::parse(&exchange.body, &[]).unwrap_or(Value::Null);
    // awsQuery: <ErrorResponse><Error><Code/>…</Error><RequestId/></ErrorResponse>; restXml: <Error><Code/>…</Error>.
    let error = tree.get("Error").unwrap_or(&tree);
    let code = error
        .get("Code")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| http_code(exchange.status));
    let message = error
        .get("Message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let request_id = tree
        .get("RequestId")
        .or_else(|| error.get("RequestId"))
        .and_then(Value::as_str)
        .map(str::to_string);
    (code, message, request_id)
}

fn http_code(status: u16) -> String {
    match status {
        404 => "NotFound".into(),
        403 => "Forbidden".into(),
        429 => "TooManyRequestsException".into(),
        500..=599 => "InternalServerError".into(),
        _ => format!("HTTP{status}"),
    }
}

/// `aws.protocols#ValidationException:http://...` and `ns#Code` both mean `Code`.
fn clean_error_code(raw: &str) -> String {
    let code = raw.split(':').next().unwrap_or(raw);
    code.rsplit('#').next().unwrap_or(code).trim().to_string()
}

/// JSON protocols send timestamps as epoch seconds. Our outputs promise RFC 3339, so members whose names say
/// they are points in time (`CreationDateTime`, `LatestRestorableDateTime`, `LastModified`, ...) and whose value
/// is a plausible epoch-seconds number are converted. Milliseconds fields (`timestamp` in Logs, `TimestampMs`)
/// stay numbers, as the API documents them.
fn epoch_timestamps_to_rfc3339(value: &mut Value, key: Option<&str>) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                epoch_timestamps_to_rfc3339(member, Some(key));
            }
        }
        Value::Array(items) => {
            for item in items {
                epoch_timestamps_to_rfc3339(item, key);
            }
        }
        Value::Number(number) => {
            if let (Some(key), Some(seconds)) = (key, number.as_f64())
                && names_a_time(key)
                && (1e8..1e10).contains(&seconds)
            {
                let nanos = (seconds * 1e9).round() as i128;
                if let Ok(timestamp) = jiff::Timestamp::from_nanosecond(nanos) {
                    *value = Value::String(
                        timestamp
                            .round(jiff::Unit::Millisecond)
                            .unwrap_or(timestamp)
                            .to_string(),
                    );
                }
            }
        }
        _ => {}
    }
}

fn names_a_time(key: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "DateTime",
        "Date",
        "Time",
        "Timestamp",
        "Modified",
        "Created",
        "Time",
        "On",
        "At",
    ];
    let lower = key.to_ascii_lowercase();
    !lower.ends_with("ms")
        && !lower.contains("seconds")
        && !lower.contains("millis")
        && !lower.contains("count")
        && ENDINGS.iter().any(|ending| key.ends_with(ending))
}

/// awsQuery flattening: lists become `Name.member.N`, maps `Name.entry.N.key` / `.value`, structures `Name.Member`.
fn flatten_query(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((prefix.to_string(), b.to_string())),
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten_query(&format!("{prefix}.member.{}", index + 1), item, out);
            }
        }
        Value::Object(map) => {
            // A map of strings to values is sent as entries; a structure (members starting uppercase) by name.
            let is_structure = map
                .keys()
                .all(|k| k.chars().next().is_some_and(char::is_uppercase));
            if is_structure {
                for (key, member) in map {
                    flatten_query(&format!("{prefix}.{key}"), member, out);
                }
            } else {
                for (index, (key, member)) in map.iter().enumerate() {
                    let entry = format!("{prefix}.entry.{}", index + 1);
                    out.push((format!("{entry}.key"), key.clone()));
                    flatten_query(&format!("{entry}.value"), member, out);
                }
            }
        }
    }
}

fn encode_form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exchange(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        Exchange {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn json_errors_keep_the_api_code_and_classify_throttling() {
        let protocol = Protocol::AwsJson { version: "1.0" };
        let error = protocol
            .decode(
                "DescribeTable",
                exchange(
                    400,
                    &[("x-amzn-RequestId", "abc")],
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#,
                ),
            )
            .unwrap_err();
        assert_eq!(error.code, "ProvisionedThroughputExceededException");
        assert_eq!(error.message, "slow down");
        assert_eq!(error.request_id.as_deref(), Some("abc"));
        assert!(error.transient);

        let error = protocol
            .decode(
                "DescribeTable",
                exchange(
                    400,
                    &[],
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"no"}"#,
                ),
            )
            .unwrap_err();
        assert_eq!(error.code, "ResourceNotFoundException");
        assert!(!error.transient);
    }

    #[test]
    fn json_timestamps_become_rfc3339_and_counts_stay_numbers() {
        let reply = Protocol::AwsJson { version: "1.0" }
            .decode(
                "DescribeTable",
                exchange(
                    200,
                    &[],
                    r#"{"Table":{"CreationDateTime":1767103500.5,"ItemCount":1767103500,"TableSizeBytes":10}}"#,
                ),
            )
            .unwrap();
        assert_eq!(
            reply.output,
            json!({"Table":{"CreationDateTime":"2025-12-30T14:05:00.5Z","ItemCount":1767103500,"TableSizeBytes":10}})
        );
    }

    #[test]
    fn query_requests_flatten_lists_and_structures() {
        let input = json!({"StackName": "a b", "Tags": [{"Key": "k", "Value": "v"}]});
        let request = Protocol::Query {
            version: "2010-05-15",
            lists: &[],
        }
        .encode("DescribeStacks", input.as_object().unwrap())
        .unwrap();
        assert_eq!(
            String::from_utf8(request.body.unwrap()).unwrap(),
            "Action=DescribeStacks&Version=2010-05-15&StackName=a%20b&Tags.member.1.Key=k&Tags.member.1.Value=v"
        );
    }

    #[test]
    fn query_responses_unwrap_the_result_and_errors_read_the_code() {
        let protocol = Protocol::Query {
            version: "2010-05-15",
            lists: &["Stacks"],
        };
        let reply = protocol
            .decode(
                "DescribeStacks",
                exchange(
                    200,
                    &[],
                    "<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>s</StackName>\
                     <StackStatus>UPDATE_COMPLETE</StackStatus></member></Stacks></DescribeStacksResult>\
                     <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>",
                ),
            )
            .unwrap();
        assert_eq!(
            reply.output,
            json!({"Stacks": [{"StackName": "s", "StackStatus": "UPDATE_COMPLETE"}]})
        );
        let error = protocol
            .decode(
                "DescribeStacks",
                exchange(
                    400,
                    &[],
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>\
                     </Error><RequestId>r-1</RequestId></ErrorResponse>",
                ),
            )
            .unwrap_err();
        assert_eq!(
            (
                error.code.as_str(),
                error.transient,
                error.request_id.as_deref()
            ),
            ("Throttling", true, Some("r-1"))
        );
    }
}
