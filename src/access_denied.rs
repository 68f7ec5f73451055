//! An AWS refusal for want of a permission, said in plain words: which IAM action on which resource the call
//! needed, and the command that prints the whole policy. AWS (and moto) name the action in their message
//! (`... is not authorized to perform: lambda:UpdateAlias on resource: arn:...`); what they leave out comes from
//! the step's registry row and request.

use serde_json::{Map, Value};

/// Error codes and message fragments AWS services use when IAM refuses a call.
const DENIALS: &[&str] = &[
    "AccessDenied",
    "UnauthorizedOperation",
    "AuthorizationError",
    "not authorized to perform",
];

/// Whether a failure is IAM refusing the call.
pub fn is_denial(message: &str) -> bool {
    DENIALS.iter().any(|denial| message.contains(denial))
}

/// `needs ACTION on RESOURCE` for a call of `operation` (`s3.GetObject`) with `input` that IAM refused, else
/// `None`. Said where the call is made, since only there is it known which of a composite's calls it was.
pub fn needs(
    message: &str,
    operation: &str,
    input: &Map<String, Value>,
    region: Option<&str>,
) -> Option<String> {
    if !is_denial(message) {
        return None;
    }
    let spec = crate::actions::lookup(operation);
    // A row lists its own operation's IAM action first; an operation without a row is named as IAM names most.
    let action = after(message, "perform: ")
        .or_else(|| {
            spec.and_then(|spec| spec.iam.first())
                .map(|a| a.to_string())
        })
        .unwrap_or_else(|| operation.replacen('.', ":", 1));
    let resource = after(message, "on resource: ").unwrap_or_else(|| {
        let pattern = spec
            .and_then(|spec| {
                spec.permissions()
                    .into_iter()
                    .find(|(iam, _)| *iam == action)
                    .and_then(|(_, patterns)| patterns.first().copied())
            })
            .unwrap_or("*");
        // The caller's account is in the ARN AWS names it by (`arn:aws:iam::123456789012:user/...`).
        let account = after(message, "arn:aws:iam::")
            .and_then(|rest| rest.split(':').next().map(str::to_string))
            .unwrap_or_else(|| "<account>".into());
        fill(pattern, input, region.unwrap_or("<region>"), &account)
    });
    Some(format!("needs {action} on {resource}"))
}

/// The pointer a step adds to a refusal: where the whole policy is.
pub fn see_policy(message: &str, runbook: &str) -> Option<String> {
    (is_denial(message) && message.contains("needs "))
        .then(|| format!("see `runbook policy {runbook}`"))
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
    crate::actions::fill_placeholders(pattern, |name| match name {
        "region" => Some(region.to_string()),
        "account" => Some(account.to_string()),
        _ => Some(crate::actions::request_member(request, name).unwrap_or_else(|| "*".into())),
    })
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
        let needs = needs(
            "AccessDeniedException (HTTP 403): User: arn:aws:iam::123456789012:user/ops is not authorized to \
             perform: lambda:UpdateAlias because no identity-based policy allows it",
            "lambda.UpdateAlias",
            &request(json!({"FunctionName": "f", "Name": "live"})),
            Some("eu-west-1"),
        );
        assert_eq!(
            needs.as_deref(),
            Some(
                "needs lambda:UpdateAlias on arn:aws:lambda:eu-west-1:123456789012:function:f:live"
            )
        );
    }

    #[test]
    fn takes_the_resource_aws_names_and_the_registry_action_when_aws_names_none() {
        let named = needs(
            "AccessDenied: not authorized to perform: dynamodb:DescribeTable on resource: \
             arn:aws:dynamodb:eu-west-1:1:table/t.",
            "dynamodb.DescribeTable",
            &Map::new(),
            None,
        )
        .unwrap();
        assert_eq!(
            named,
            "needs dynamodb:DescribeTable on arn:aws:dynamodb:eu-west-1:1:table/t"
        );
        let bare = needs(
            "AccessDenied (HTTP 403): Access Denied",
            "s3.GetObject",
            &request(json!({"Bucket": "b", "Key": "metadata/1.json"})),
            Some("us-east-1"),
        )
        .unwrap();
        assert_eq!(bare, "needs s3:GetObject on arn:aws:s3:::b/metadata/1.json");
    }

    #[test]
    fn says_nothing_about_other_failures() {
        let message = "ResourceNotFoundException: no table";
        assert_eq!(
            needs(message, "dynamodb.DescribeTable", &Map::new(), None),
            None
        );
        assert_eq!(see_policy(message, "x"), None);
        assert_eq!(
            see_policy("AccessDenied: x; needs s3:GetObject on *", "x").as_deref(),
            Some("see `runbook policy x`")
        );
    }
}
