//! The inverse of [`Protocol::decode`]: a response in the API's own JSON shape (what our actions return) put on
//! the wire as the service would send it, so that `runbook test` answers the SDK with real HTTP and the real
//! decoding runs on it. Decoding what this encodes gives back the same members (XML texts as strings, as the
//! decoder always reads them).

use serde_json::{Map, Value};

use super::protocol::{HeaderKind, Payload, Protocol};

/// A response as the stub transport sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct WireReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl WireReply {
    /// Sets a header, replacing one of the same name (HTTP names are case-insensitive): a response member that
    /// travels as `Content-Type` takes the place of the default one.
    fn set_header(&mut self, name: &str, value: String) {
        self.headers
            .retain(|(existing, _)| !existing.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value));
    }

    fn new(status: u16, content_type: &str, body: Vec<u8>) -> WireReply {
        WireReply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body,
        }
    }
}

impl Protocol {
    /// A successful answer to `operation` carrying `output`.
    pub fn encode_reply(&self, operation: &str, output: &Value) -> WireReply {
        let empty = Map::new();
        let members = output.as_object().unwrap_or(&empty);
        match self {
            Protocol::AwsJson { version } => WireReply::new(
                200,
                &format!("application/x-amz-json-{version}"),
                serde_json::to_vec(output).unwrap_or_default(),
            ),
            Protocol::RestJson { .. } => WireReply::new(
                200,
                "application/json",
                serde_json::to_vec(output).unwrap_or_default(),
            ),
            Protocol::RestJsonPayload {
                payload,
                status,
                headers,
                ..
            } => {
                let code = members
                    .get(*status)
                    .and_then(Value::as_u64)
                    .and_then(|code| u16::try_from(code).ok())
                    .unwrap_or(200);
                let body = match members.get(*payload) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::String(text)) => text.clone().into_bytes(),
                    Some(value) => serde_json::to_vec(value).unwrap_or_default(),
                };
                let mut reply = WireReply::new(code, "application/json", body);
                for (header, member) in *headers {
                    if let Some(value) = members.get(*member) {
                        reply.set_header(header, text_of(value));
                    }
                }
                reply
            }
            Protocol::Query { .. } => {
                let mut xml = format!("<{operation}Response><{operation}Result>");
                for (name, value) in members {
                    element(name, value, ListStyle::Member, &mut xml);
                }
                xml.push_str(&format!(
                    "</{operation}Result><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></{operation}Response>"
                ));
                WireReply::new(200, "text/xml", xml.into_bytes())
            }
            Protocol::RestXml { lists } => {
                let mut xml = format!("<{operation}Result>");
                for (name, value) in members {
                    element(name, value, ListStyle::Flattened(lists), &mut xml);
                }
                xml.push_str(&format!("</{operation}Result>"));
                WireReply::new(200, "application/xml", xml.into_bytes())
            }
            Protocol::RestXmlHeaders { headers, payload } => {
                let mut reply = WireReply::new(200, "application/xml", Vec::new());
                for (header, member, kind) in *headers {
                    if let Some(value) = members.get(*member) {
                        reply.set_header(header, header_text(value, *kind));
                    }
                }
                if let Some(Value::Object(metadata)) = members.get("Metadata") {
                    for (key, value) in metadata {
                        reply
                            .headers
                            .push((format!("x-amz-meta-{key}"), text_of(value)));
                    }
                }
                match payload {
                    Payload::Empty => {}
                    Payload::Xml(member) => {
                        if let Some(value) = members.get(*member) {
                            let mut xml = String::new();
                            element(member, value, ListStyle::Flattened(&[]), &mut xml);
                            reply.body = xml.into_bytes();
                        }
                    }
                    // A body given as JSON is sent as JSON, unless the output names its own content type.
                    Payload::Body => match members.get("Body") {
                        Some(Value::String(text)) => reply.body = text.clone().into_bytes(),
                        Some(value) => {
                            if !members.contains_key("ContentType") {
                                reply.set_header("content-type", "application/json".into());
                            }
                            reply.body = serde_json::to_vec(value).unwrap_or_default();
                        }
                        None => {}
                    },
                }
                reply
            }
        }
    }

    /// An error answer with the API's own error code, as the service's protocol spells one.
    pub fn encode_error(&self, code: &str, message: &str, status: u16) -> WireReply {
        match self {
            Protocol::AwsJson { .. } | Protocol::RestJson { .. } | Protocol::RestJsonPayload { .. } => {
                let body = serde_json::json!({ "__type": code, "message": message });
                let mut reply = WireReply::new(
                    status,
                    "application/json",
                    serde_json::to_vec(&body).unwrap_or_default(),
                );
                reply
                    .headers
                    .push(("x-amzn-errortype".into(), code.to_string()));
                reply
            }
            Protocol::Query { .. } => WireReply::new(
                status,
                "text/xml",
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>stub</RequestId></ErrorResponse>",
                    escape(code),
                    escape(message)
                )
                .into_bytes(),
            ),
            Protocol::RestXml { .. } | Protocol::RestXmlHeaders { .. } => WireReply::new(
                status,
                "application/xml",
                format!(
                    "<Error><Code>{}</Code><Message>{}</Message></Error>",
                    escape(code),
                    escape(message)
                )
                .into_bytes(),
            ),
        }
    }
}

/// How a JSON array becomes XML.
#[derive(Clone, Copy)]
enum ListStyle<'a> {
    /// awsQuery: `<Name><member>…</member>…</Name>`.
    Member,
    /// restXml: the element repeated, `<Name>…</Name><Name>…</Name>`, or wrapped where a `lists` entry
    /// `Outer/Inner` says so: `<Outer><Inner>…</Inner>…</Outer>`.
    Flattened(&'a [&'a str]),
}

fn element(name: &str, value: &Value, style: ListStyle<'_>, out: &mut String) {
    match value {
        Value::Null => {}
        Value::Array(items) => match style {
            ListStyle::Member => {
                out.push_str(&format!("<{name}>"));
                for item in items {
                    element("member", item, style, out);
                }
                out.push_str(&format!("</{name}>"));
            }
            ListStyle::Flattened(lists) => {
                let wrapped = lists
                    .iter()
                    .filter_map(|hint| hint.split_once('/'))
                    .find(|(outer, _)| *outer == name);
                if let Some((outer, inner)) = wrapped {
                    out.push_str(&format!("<{outer}>"));
                    for item in items {
                        element(inner, item, style, out);
                    }
                    out.push_str(&format!("</{outer}>"));
                } else if items.is_empty() {
                    out.push_str(&format!("<{name}/>"));
                } else {
                    for item in items {
                        element(name, item, style, out);
                    }
                }
            }
        },
        Value::Object(members) => {
            out.push_str(&format!("<{name}>"));
            for (key, member) in members {
                element(key, member, style, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        scalar => out.push_str(&format!("<{name}>{}</{name}>", escape(&text_of(scalar)))),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn header_text(value: &Value, kind: HeaderKind) -> String {
    match (kind, value) {
        (HeaderKind::HttpDate, Value::String(text)) => text
            .parse::<jiff::Timestamp>()
            .map(|at| {
                jiff::fmt::rfc2822::to_string(&at.to_zoned(jiff::tz::TimeZone::UTC))
                    .unwrap_or_else(|_| text.clone())
            })
            .unwrap_or_else(|_| text.clone()),
        _ => text_of(value),
    }
}

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::aws::Exchange;

    fn round_trip(protocol: Protocol, operation: &str, output: Value) -> Value {
        let wire = protocol.encode_reply(operation, &output);
        let exchange = Exchange {
            status: wire.status,
            headers: wire.headers,
            body: wire.body,
        };
        protocol
            .decode(operation, exchange)
            .expect("decodes")
            .output
    }

    #[test]
    fn json_replies_decode_to_the_same_members() {
        let output = json!({"Table": {"TableName": "t", "ItemCount": 3, "CreationDateTime": "2025-12-30T13:55:00Z"}});
        let protocol = Protocol::AwsJson { version: "1.0" };
        assert_eq!(
            round_trip(protocol, "DescribeTable", output.clone()),
            output
        );
    }

    #[test]
    fn query_replies_decode_to_the_same_members_with_lists_of_one() {
        let protocol = Protocol::Query {
            version: "2010-05-15",
            lists: &["Stacks"],
        };
        let output = json!({"Stacks": [{"StackName": "s", "StackStatus": "UPDATE_ROLLBACK_FAILED", "Outputs": [{"OutputKey": "k"}, {"OutputKey": "l"}]}]});
        assert_eq!(
            round_trip(protocol, "DescribeStacks", output.clone()),
            output
        );
    }

    #[test]
    fn errors_decode_to_their_code_message_and_status() {
        for protocol in [
            Protocol::AwsJson { version: "1.1" },
            Protocol::Query {
                version: "x",
                lists: &[],
            },
            Protocol::RestXml { lists: &[] },
        ] {
            let wire = protocol.encode_error("ThrottlingException", "Rate exceeded", 400);
            let exchange = Exchange {
                status: wire.status,
                headers: wire.headers,
                body: wire.body,
            };
            let error = protocol.decode("Op", exchange).expect_err("an error");
            assert_eq!(
                (
                    error.code.as_str(),
                    error.message.as_str(),
                    error.status,
                    error.transient
                ),
                ("ThrottlingException", "Rate exceeded", Some(400), true)
            );
        }
    }

    #[test]
    fn header_members_and_bodies_travel_in_headers_and_body() {
        let protocol = Protocol::RestXmlHeaders {
            headers: &[
                ("Content-Length", "ContentLength", HeaderKind::Integer),
                ("Last-Modified", "LastModified", HeaderKind::HttpDate),
            ],
            payload: Payload::Body,
        };
        let output =
            json!({"ContentLength": 12, "LastModified": "2025-12-30T13:55:00Z", "Body": {"a": 1}});
        assert_eq!(round_trip(protocol, "GetObject", output.clone()), output);
    }
}
