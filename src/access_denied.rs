//! An AWS refusal for want of a permission, said in plain words: which IAM action on which resource the step
//! needs, and the command that prints the whole policy. AWS (and moto) name the action in their message
//! (`... is not authorized to perform: lambda:UpdateAlias on resource: arn:...`); what they leave out comes from
//! the step's registry row and request.

use serde_json::{Map, Value};

use crate::registry::ActionSpec;

/// Error codes and message fragments AWS services use when IAM refuses a call.
const DENIALS: &[&str] = &[
    "AccessDenied",
    "UnauthorizedOperation",
    "AuthorizationError",
    "not authorized to perform",
];

/// The sentence to add to a step's error when `message` is an IAM refusal, else `None`.
pub fn hint(
    message: &str,
    spec: &ActionSpec,
    request: &Map<String, Value>,
    region: Option<&str>,
    runbook: &str,
) -> Option<String> {
    if !DENIALS.iter().any(|denial| message.contains(denial)) {
        return None;
    }
    let named = after(message, "perform: ");
    let action = match named {
        Some(action) => action,
        None if spec.iam.len() == 1 => spec.iam[0].to_string(),
        None if spec.iam.is_empty() => return None,
        None => format!("one of {}", spec.iam.join(", ")),
    };
    let resource = after(message, "on resource: ").unwrap_or_else(|| {
        let pattern = spec
            .permissions()
            .into_iter()
            .find(|(iam, _)| *iam == action)
            .and_then(|(_, patterns)| patterns.first().copied())
            .unwrap_or(spec.resource);
        // The caller's account is in the ARN AWS names it by (`arn:aws:iam::123456789012:user/...`).
        let account = after(message, "arn:aws:iam::")
            .and_then(|rest| rest.split(':').next().map(str::to_string))
            .unwrap_or_else(|| "<account>".into());
        fill(pattern, request, region.unwrap_or("<region>"), &account)
    });
    Some(format!(
        "needs {action} on {resource}; see `runbook policy {runbook}`"
    ))
}

/// The word after `marker` in `message`, without trailing punctuation.
fn after(message: &str, marker: &str) -> Option<String> {
    let start = message.find(marker)? + marker.len();
    let word: String = message[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '<' | '"' | '\''))
        .collect();
    let word = word.trim_end_matches(['.', ',', ';', ')']);
    (!word.is_empty()).then(|| word.to_string())
}

/// A resource pattern with `{region}`, `{account}` and `{Member}` filled; anything else stays `*`.
fn fill(pattern: &str, request: &Map<String, Value>, region: &str, account: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        let mut value = request.get(name.split('.').next().unwrap_or(name));
        for part in name.split('.').skip(1) {
            value = value.and_then(|v| v.get(part));
        }
        match (name, value) {
            ("region", _) => out.push_str(region),
            ("account", _) => out.push_str(account),
            (_, Some(Value::String(text))) => out.push_str(text),
            (_, Some(other)) if !other.is_null() => out.push_str(&other.to_string()),
            _ => out.push('*'),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn names_the_action_aws_names_and_the_resource_of_the_request() {
        let spec = crate::registry::lookup("lambda.UpdateAlias").unwrap();
        let hint = hint(
            "AccessDeniedException (HTTP 403): User: arn:aws:iam::123456789012:user/ops is not authorized to \
             perform: lambda:UpdateAlias because no identity-based policy allows it",
            spec,
            &request(json!({"FunctionName": "f", "Name": "live"})),
            Some("eu-west-1"),
            "rollback-lambda",
        );
        assert_eq!(
            hint.as_deref(),
            Some(
                "needs lambda:UpdateAlias on arn:aws:lambda:eu-west-1:123456789012:function:f:live; \
                 see `runbook policy rollback-lambda`"
            )
        );
    }

    #[test]
    fn takes_the_resource_aws_names_and_the_registry_action_when_aws_names_none() {
        let spec = crate::registry::lookup("dynamodb.DescribeTable").unwrap();
        let named = hint(
            "AccessDenied: not authorized to perform: dynamodb:DescribeTable on resource: \
             arn:aws:dynamodb:eu-west-1:1:table/t.",
            spec,
            &Map::new(),
            None,
            "pitr-restore",
        )
        .unwrap();
        assert!(
            named.contains("on arn:aws:dynamodb:eu-west-1:1:table/t;"),
            "{named}"
        );
        let bare = hint(
            "AccessDenied (HTTP 403)",
            spec,
            &request(json!({"TableName": "t"})),
            Some("us-east-1"),
            "x",
        )
        .unwrap();
        assert_eq!(
            bare,
            "needs dynamodb:DescribeTable on arn:aws:dynamodb:us-east-1:<account>:table/t; see `runbook policy x`"
        );
    }

    #[test]
    fn says_nothing_about_other_failures() {
        let spec = crate::registry::lookup("dynamodb.DescribeTable").unwrap();
        assert_eq!(
            hint(
                "ResourceNotFoundException: no table",
                spec,
                &Map::new(),
                None,
                "x"
            ),
            None
        );
    }
}
