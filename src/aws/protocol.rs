//! AWS wire protocols: how a request's members become a body, and how a raw response becomes JSON in the API's
//! own shape or a [`CallError`] with the API's own error code.

use serde_json::{Map, Value};

use super::{CallError, Exchange, Reply, Request, xml};

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
    /// `restJson1` operations whose HTTP body is one member, sent and returned as is rather than as a JSON
    /// object (Lambda `Invoke`). `uri` members go in the path, query string or headers through the typed builder.
    /// The `payload` member is the request body: a string as its own text (already-encoded JSON, as the CLI's
    /// `--payload`), any other value as JSON. The response becomes an object: `payload` holds the body (parsed
    /// when it is JSON, else text; absent when empty), `status` the HTTP status code, and each `(header, member)`
    /// of `headers` that the response carries becomes that member.
    RestJsonPayload {
        uri: &'static [&'static str],
        payload: &'static str,
        status: &'static str,
        headers: &'static [(&'static str, &'static str)],
    },
    /// `awsQuery` (CloudFormation, SNS, STS): a form body, an XML response wrapped in `<OpResult>`.
    /// `lists` names members that are lists of structures, kept as arrays even when empty.
    Query {
        version: &'static str,
        lists: &'static [&'static str],
    },
    /// `restXml` (S3): the typed builder places every member; the XML response becomes JSON. `lists` names the
    /// repeated elements that are lists even when only one is present (`Contents`).
    ///
    /// An entry `Outer/Inner` names a wrapped list: `<Buckets><Bucket/>…</Buckets>` becomes the list `Buckets`,
    /// empty or with one element alike.
    RestXml { lists: &'static [&'static str] },
    /// `restXml` operations whose output members travel in HTTP headers (S3 HeadObject, HeadBucket, GetObject,
    /// PutObject, CopyObject). Each `(header, member, kind)` of `headers` that the response carries becomes that
    /// member; `x-amz-meta-*` headers become the `Metadata` map. `payload` says what the body is.
    RestXmlHeaders {
        headers: &'static [(&'static str, &'static str, HeaderKind)],
        payload: Payload,
    },
}

/// How a header's text becomes an output member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderKind {
    Text,
    /// A whole number (`Content-Length`).
    Integer,
    /// `true` / `false`.
    Boolean,
    /// An HTTP date (`Last-Modified: Wed, 30 Dec 2025 13:55:00 GMT`), given as RFC 3339 like every other time.
    HttpDate,
}

/// The body of a [`Protocol::RestXmlHeaders`] response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// None worth reading (HeadObject, HeadBucket, PutObject).
    Empty,
    /// An XML document that becomes this member (CopyObject's `CopyObjectResult`).
    Xml(&'static str),
    /// The object itself, as `Body`: parsed JSON when the content type says JSON and it parses, UTF-8 text,
    /// or else base64 with `BodyEncoding: base64`.
    Body,
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
            Protocol::RestJsonPayload { payload, .. } => match input.get(*payload) {
                None | Some(Value::Null) => (None, None),
                Some(Value::String(text)) => (Some(text.clone().into_bytes()), None),
                Some(value) => (
                    Some(serde_json::to_vec(value).map_err(|e| e.to_string())?),
                    Some("application/json"),
                ),
            },
            Protocol::RestXml { .. } | Protocol::RestXmlHeaders { .. } => (None, None),
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
                Protocol::AwsJson { .. }
                | Protocol::RestJson { .. }
                | Protocol::RestJsonPayload { .. } => json_error(&exchange),
                Protocol::Query { .. }
                | Protocol::RestXml { .. }
                | Protocol::RestXmlHeaders { .. } => xml_error(&exchange),
            };
            return Err(CallError::answered(
                code,
                message,
                status,
                request_id.or(body_request_id),
            ));
        }
        let output = match self {
            Protocol::AwsJson { .. } | Protocol::RestJson { .. } => {
                if exchange.body.iter().all(u8::is_ascii_whitespace) {
                    Value::Object(Map::new())
                } else {
                    let mut value: Value =
                        serde_json::from_slice(&exchange.body).map_err(|error| {
                            CallError::malformed(format!(
                                "{operation} answered with invalid JSON: {error}"
                            ))
                            .with_reply(status, request_id.clone())
                        })?;
                    epoch_timestamps_to_rfc3339(&mut value, None);
                    value
                }
            }
            Protocol::RestJsonPayload {
                payload,
                status: status_member,
                headers,
                ..
            } => {
                let mut output = Map::new();
                output.insert(status_member.to_string(), Value::from(status));
                for (header, member) in *headers {
                    if let Some(value) = exchange.header(header) {
                        output.insert(member.to_string(), Value::String(value.to_string()));
                    }
                }
                if !exchange.body.is_empty() {
                    let body = serde_json::from_slice(&exchange.body).unwrap_or_else(|_| {
                        Value::String(String::from_utf8_lossy(&exchange.body).into_owned())
                    });
                    output.insert(payload.to_string(), body);
                }
                Value::Object(output)
            }
            Protocol::Query { lists, .. } => {
                let tree = xml::parse(&exchange.body, lists).map_err(|message| {
                    CallError::malformed(message).with_reply(status, request_id.clone())
                })?;
                // <OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>
                let result = format!("{operation}Result");
                let mut output = match tree {
                    Value::Object(mut root) => match root.remove(&result) {
                        Some(Value::Object(members)) => Value::Object(members),
                        _ => Value::Object(Map::new()),
                    },
                    _ => Value::Object(Map::new()),
                };
                query_maps(&mut output);
                output
            }
            Protocol::RestXml { lists } => {
                if exchange.body.is_empty() {
                    Value::Object(Map::new())
                } else {
                    let mut output = xml::parse(&exchange.body, lists).map_err(|message| {
                        CallError::malformed(message).with_reply(status, request_id.clone())
                    })?;
                    unwrap_lists(&mut output, lists);
                    output
                }
            }
            Protocol::RestXmlHeaders { headers, payload } => {
                let mut output = Map::new();
                for (header, member, kind) in *headers {
                    if let Some(text) = exchange.header(header) {
                        output.insert(member.to_string(), header_value(text, *kind));
                    }
                }
                let metadata: Map<String, Value> = exchange
                    .headers
                    .iter()
                    .filter_map(|(name, value)| {
                        let lower = name.to_ascii_lowercase();
                        lower
                            .strip_prefix("x-amz-meta-")
                            .map(|key| (key.to_string(), Value::String(value.clone())))
                    })
                    .collect();
                if !metadata.is_empty() {
                    output.insert("Metadata".into(), Value::Object(metadata));
                }
                match payload {
                    Payload::Empty => {}
                    Payload::Xml(member) => {
                        // S3 may answer 200 and still fail a copy late: the body is then an <Error> document.
                        if root_element(&exchange.body) == Some("Error") {
                            let (code, message, body_request_id) = xml_error(&exchange);
                            return Err(CallError::answered(
                                code,
                                message,
                                status,
                                request_id.or(body_request_id),
                            ));
                        }
                        if !exchange.body.iter().all(u8::is_ascii_whitespace) {
                            let document = xml::parse(&exchange.body, &[]).map_err(|message| {
                                CallError::malformed(message).with_reply(status, request_id.clone())
                            })?;
                            output.insert(member.to_string(), document);
                        }
                    }
                    Payload::Body => {
                        let content_type = exchange.header("content-type").unwrap_or_default();
                        let (body, base64) = body_value(&exchange.body, content_type);
                        output.insert("Body".into(), body);
                        if base64 {
                            output.insert("BodyEncoding".into(), Value::String("base64".into()));
                        }
                    }
                }
                Value::Object(output)
            }
        };
        Ok(Reply {
            output,
            status: Some(status),
            request_id,
        })
    }
}

/// awsQuery maps arrive as `<Attributes><entry><key>k</key><value>v</value></entry>…</Attributes>` (SNS
/// `GetTopicAttributes`); they become JSON objects `{"k": "v"}`, as the API describes them.
fn query_maps(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(entries) = map.get("entry")
            {
                let entries = match entries {
                    Value::Array(items) => items.iter().collect::<Vec<_>>(),
                    single => vec![single],
                };
                let pairs: Option<Map<String, Value>> = entries
                    .into_iter()
                    .map(|entry| {
                        let key = entry.get("key")?.as_str()?.to_string();
                        let mut value = entry.get("value").cloned().unwrap_or(Value::Null);
                        query_maps(&mut value);
                        Some((key, value))
                    })
                    .collect();
                if let Some(pairs) = pairs {
                    *value = Value::Object(pairs);
                    return;
                }
            }
            for member in map.values_mut() {
                query_maps(member);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(query_maps),
        _ => {}
    }
}

/// The name of an XML document's root element.
fn root_element(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let mut rest = text.trim_start();
    while let Some(after) = rest.strip_prefix("<?").or_else(|| rest.strip_prefix("<!")) {
        rest = after[after.find('>')? + 1..].trim_start();
    }
    let name = rest.strip_prefix('<')?;
    let end = name.find(|c: char| c == '>' || c == '/' || c.is_whitespace())?;
    Some(&name[..end])
}

/// Applies the `Outer/Inner` wrapped-list hints of [`Protocol::RestXml`].
fn unwrap_lists(value: &mut Value, lists: &[&str]) {
    let wrapped: Vec<(&str, &str)> = lists
        .iter()
        .filter_map(|hint| hint.split_once('/'))
        .collect();
    if !wrapped.is_empty() {
        unwrap_wrapped(value, &wrapped);
    }
}

fn unwrap_wrapped(value: &mut Value, wrapped: &[(&str, &str)]) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                if let Some((_, inner)) = wrapped.iter().find(|(outer, _)| outer == key) {
                    let items = match member.take() {
                        Value::Object(mut children) => match children.remove(*inner) {
                            Some(Value::Array(items)) => items,
                            Some(single) => vec![single],
                            None => Vec::new(),
                        },
                        Value::Array(items) => items,
                        _ => Vec::new(),
                    };
                    *member = Value::Array(items);
                }
                unwrap_wrapped(member, wrapped);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| unwrap_wrapped(item, wrapped)),
        _ => {}
    }
}

fn header_value(text: &str, kind: HeaderKind) -> Value {
    match kind {
        HeaderKind::Text => Value::String(text.to_string()),
        HeaderKind::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_string())),
        HeaderKind::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_string()),
        },
        HeaderKind::HttpDate => jiff::fmt::rfc2822::parse(text.trim())
            .map(|zoned| Value::String(zoned.timestamp().to_string()))
            .unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

/// An object's bytes as a JSON value: see [`Payload::Body`]. The flag says the value is base64.
pub fn body_value(bytes: &[u8], content_type: &str) -> (Value, bool) {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if (media_type == "application/json" || media_type.ends_with("+json"))
        && let Ok(value) = serde_json::from_slice::<Value>(bytes)
    {
        return (value, false);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Value::String(text.to_string()), false),
        Err(_) => (Value::String(aws_smithy_types::base64::encode(bytes)), true),
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
        .map(str::to_string)
        .unwrap_or_else(|| body_text(&exchange.body));
    let request_id = tree
        .get("RequestId")
        .or_else(|| error.get("RequestId"))
        .and_then(Value::as_str)
        .map(str::to_string);
    (code, message, request_id)
}

/// What a non-AWS error body (a proxy's or an emulator's HTML page) says, tags dropped, for the message.
fn body_text(body: &[u8]) -> String {
    let raw = String::from_utf8_lossy(body);
    let mut text = String::new();
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    words.join(" ").chars().take(300).collect()
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
        "Date",
        "Time",
        "Timestamp",
        "Modified",
        "Created",
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

/// Form encoding of an awsQuery body. A space is `+`, as the AWS CLI and SDKs send it: AWS takes either, but
/// moto, when it checks signatures (IAM enforcement), re-encodes the body that way before hashing it, and a `%20`
/// there fails every request whose values hold a space (an alarm's description) with SignatureDoesNotMatch.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
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
            "Action=DescribeStacks&Version=2010-05-15&StackName=a+b&Tags.member.1.Key=k&Tags.member.1.Value=v"
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

#[cfg(test)]
mod xml_shape_tests {
    use super::*;
    use serde_json::json;

    fn exchange(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Exchange {
        Exchange {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn query_maps_become_objects() {
        let protocol = Protocol::Query {
            version: "2010-03-31",
            lists: &[],
        };
        let body = b"<GetTopicAttributesResponse><GetTopicAttributesResult><Attributes>\
            <entry><key>TopicArn</key><value>arn:t</value></entry>\
            <entry><key>DisplayName</key><value>Alerts</value></entry>\
            </Attributes></GetTopicAttributesResult></GetTopicAttributesResponse>";
        let reply = protocol
            .decode("GetTopicAttributes", exchange(200, &[], body))
            .unwrap();
        assert_eq!(
            reply.output,
            json!({"Attributes": {"TopicArn": "arn:t", "DisplayName": "Alerts"}})
        );
        let one =
            b"<R><GetTopicAttributesResult><Attributes><entry><key>k</key><value>v</value></entry>\
            </Attributes></GetTopicAttributesResult></R>";
        let reply = protocol
            .decode("GetTopicAttributes", exchange(200, &[], one))
            .unwrap();
        assert_eq!(reply.output, json!({"Attributes": {"k": "v"}}));
    }

    #[test]
    fn wrapped_lists_are_lists_with_zero_one_or_many_elements() {
        let protocol = Protocol::RestXml {
            lists: &["Buckets/Bucket"],
        };
        let decode = |body: &str| {
            protocol
                .decode("ListBuckets", exchange(200, &[], body.as_bytes()))
                .unwrap()
                .output
        };
        assert_eq!(
            decode(
                "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name></Bucket></Buckets></ListAllMyBucketsResult>"
            ),
            json!({"Buckets": [{"Name": "a"}]})
        );
        assert_eq!(
            decode(
                "<ListAllMyBucketsResult><Buckets><Bucket><Name>a</Name></Bucket><Bucket><Name>b</Name></Bucket></Buckets></ListAllMyBucketsResult>"
            ),
            json!({"Buckets": [{"Name": "a"}, {"Name": "b"}]})
        );
        assert_eq!(
            decode("<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>"),
            json!({"Buckets": []})
        );
    }

    #[test]
    fn header_outputs_and_bodies() {
        let protocol = Protocol::RestXmlHeaders {
            headers: &[
                ("content-length", "ContentLength", HeaderKind::Integer),
                ("last-modified", "LastModified", HeaderKind::HttpDate),
                ("x-amz-delete-marker", "DeleteMarker", HeaderKind::Boolean),
                ("content-type", "ContentType", HeaderKind::Text),
            ],
            payload: Payload::Body,
        };
        let headers = [
            ("Content-Length", "9"),
            ("Last-Modified", "Tue, 30 Dec 2025 13:55:00 GMT"),
            ("x-amz-delete-marker", "false"),
            ("Content-Type", "application/json; charset=utf-8"),
            ("x-amz-meta-Owner", "data"),
        ];
        let reply = protocol
            .decode("GetObject", exchange(200, &headers, br#"{"a": [1]}"#))
            .unwrap();
        assert_eq!(
            reply.output,
            json!({
                "ContentLength": 9,
                "LastModified": "2025-12-30T13:55:00Z",
                "DeleteMarker": false,
                "ContentType": "application/json; charset=utf-8",
                "Metadata": {"owner": "data"},
                "Body": {"a": [1]},
            })
        );
        let binary = protocol
            .decode("GetObject", exchange(200, &[], &[0xff, 0x00]))
            .unwrap();
        assert_eq!(
            binary.output,
            json!({"Body": "/wA=", "BodyEncoding": "base64"})
        );
    }

    #[test]
    fn copy_errors_inside_a_200_are_errors() {
        let protocol = Protocol::RestXmlHeaders {
            headers: &[],
            payload: Payload::Xml("CopyObjectResult"),
        };
        let error = protocol
            .decode(
                "CopyObject",
                exchange(
                    200,
                    &[],
                    b"<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>retry</Message></Error>",
                ),
            )
            .unwrap_err();
        assert_eq!(
            (error.code.as_str(), error.transient),
            ("InternalError", true)
        );
        let reply = protocol
            .decode(
                "CopyObject",
                exchange(
                    200,
                    &[],
                    b"<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>",
                ),
            )
            .unwrap();
        assert_eq!(reply.output, json!({"CopyObjectResult": {"ETag": "\"e\""}}));
    }

    #[test]
    fn non_xml_error_bodies_give_their_text() {
        let protocol = Protocol::Query {
            version: "2010-05-15",
            lists: &[],
        };
        let error = protocol
            .decode(
                "ContinueUpdateRollback",
                exchange(
                    500,
                    &[],
                    b"<!doctype html>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>",
                ),
            )
            .unwrap_err();
        assert_eq!(error.code, "InternalServerError");
        assert!(error.transient);
        assert_eq!(
            error.message,
            "500 Internal Server Error Internal Server Error"
        );
    }
}

#[cfg(test)]
mod raw_payload_tests {
    use super::*;
    use serde_json::json;

    const INVOKE: Protocol = Protocol::RestJsonPayload {
        uri: &["FunctionName", "InvocationType"],
        payload: "Payload",
        status: "StatusCode",
        headers: &[("x-amz-function-error", "FunctionError")],
    };

    fn reply(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Value {
        INVOKE
            .decode(
                "Invoke",
                Exchange {
                    status,
                    headers: headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    body: body.to_vec(),
                },
            )
            .unwrap()
            .output
    }

    #[test]
    fn the_payload_member_is_the_whole_body() {
        let input = json!({"FunctionName": "f", "InvocationType": "Event", "Payload": {"a": [1]}});
        let request = INVOKE.encode("Invoke", input.as_object().unwrap()).unwrap();
        assert_eq!(request.body.as_deref(), Some(&br#"{"a":[1]}"#[..]));
        let input = json!({"FunctionName": "f", "Payload": "{\"already\": \"encoded\"}"});
        let request = INVOKE.encode("Invoke", input.as_object().unwrap()).unwrap();
        assert_eq!(
            request.body.as_deref(),
            Some(&br#"{"already": "encoded"}"#[..])
        );
        let input = json!({"FunctionName": "f"});
        assert_eq!(
            INVOKE
                .encode("Invoke", input.as_object().unwrap())
                .unwrap()
                .body,
            None
        );
    }

    #[test]
    fn the_response_carries_status_headers_and_the_parsed_body() {
        assert_eq!(
            reply(
                200,
                &[("X-Amz-Function-Error", "Unhandled")],
                br#"{"errorMessage":"boom"}"#
            ),
            json!({"StatusCode": 200, "FunctionError": "Unhandled", "Payload": {"errorMessage": "boom"}})
        );
        assert_eq!(
            reply(200, &[], b"not json"),
            json!({"StatusCode": 200, "Payload": "not json"})
        );
        assert_eq!(reply(202, &[], b""), json!({"StatusCode": 202}));
        let error = INVOKE
            .decode(
                "Invoke",
                Exchange {
                    status: 404,
                    headers: vec![(
                        "x-amzn-errortype".into(),
                        "ResourceNotFoundException:http://internal".into(),
                    )],
                    body: br#"{"Message":"Function not found"}"#.to_vec(),
                },
            )
            .unwrap_err();
        assert_eq!(error.code, "ResourceNotFoundException");
    }
}
