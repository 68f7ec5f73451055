//! The case of an API's members in a task: Step Functions' AWS SDK integrations name every member in PascalCase,
//! in a task's `Arguments` and in its result, even where the service's own API is camelCase (the developer guide,
//! "API naming conventions" of its AWS SDK integrations). For the camelCase services
//! ([`service::names_members_in_camel_case`]) the export writes each argument member in PascalCase and renames the
//! result back to the API's own names before anything reads it (`$steps.X.output`, outputs, checks, page tokens and
//! page lists), so runbook expressions (`output.events`) read what the engine's SDK call gives.
//!
//! Renaming a result back lowers each member's first letter, which is right only where every member of the result
//! starts lowercase in the API's own names and no map's keys are data (a tag `Owner` would become `owner`), and
//! where no list holds lists (JSONata's `$append` joins them). [`RESULTS_CHECKED`] lists the operations whose
//! models were read for this; the other operations of those services are refused.

use serde_json::{Map, Value};

use super::service;

/// Operations of the camelCase services whose input and output shapes were read in botocore's models (moto
/// 5.2.5's venv): every member of the result, at every depth, starts lowercase; no map; no list of lists; no
/// structure in the input. Logs' GetQueryResults is left out: its `results` is a list of lists.
pub(super) const RESULTS_CHECKED: &[&str] = &[
    "logs.FilterLogEvents",
    "logs.DescribeLogGroups",
    "logs.DescribeLogStreams",
    "logs.GetLogEvents",
    "logs.StartQuery",
    "s3tables.GetTable",
    "s3tables.GetTableMetadataLocation",
    "s3tables.UpdateTableMetadataLocation",
    "s3tables.ListTables",
    "s3tables.ListNamespaces",
];

/// A JSONata expression over the task's result with each member, at every depth, named as the API names it.
const RESULT_AS_THE_API_NAMES_IT: &str = "($api_names := function($value) { $type($value) = \"object\" ? $merge([{}, $each($value, function($member, $name) { {$lowercase($substring($name, 0, 1)) & $substring($name, 1): $api_names($member)} })]) : $type($value) = \"array\" ? $reduce($value, function($list, $item) { $append($list, $api_names($item)) }, []) : $value }; $api_names($states.result))";

/// How the export names an action's members in its task.
pub(super) enum MemberCase {
    /// The API's own names are PascalCase, as Step Functions names them.
    AsTheApi,
    /// A camelCase API whose result was checked.
    Renamed,
}

/// Why an action's members cannot be named as Step Functions names them.
pub(super) struct Unrenameable(pub(super) String);

/// How `action` (`service.Operation`) is named in its task, or why it is refused.
pub(super) fn member_case(action: &str) -> Result<MemberCase, Unrenameable> {
    let service = action
        .split_once('.')
        .map_or(action, |(service, _)| service);
    if !service::names_members_in_camel_case(service) {
        Ok(MemberCase::AsTheApi)
    } else if RESULTS_CHECKED.contains(&action) {
        Ok(MemberCase::Renamed)
    } else {
        Err(Unrenameable(format!(
            "Step Functions names {service}'s camelCase members in PascalCase; the export renames the result back only for operations whose result it checked has no data-keyed map and no list of lists ({})",
            RESULTS_CHECKED
                .iter()
                .filter(|checked| checked.starts_with(&format!("{service}.")))
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }
}

impl MemberCase {
    /// The task's `with:` with each member named as Step Functions names it; a member whose value is a mapping is
    /// refused, as none of the checked operations takes a structure.
    pub(super) fn arguments(&self, with: &Value) -> Result<Value, Unrenameable> {
        let (MemberCase::Renamed, Value::Object(members)) = (self, with) else {
            return Ok(with.clone());
        };
        let mut renamed = Map::new();
        for (name, member) in members {
            if member.is_object() {
                return Err(Unrenameable(format!(
                    "`{name}` is a mapping; the export names only top-level members in PascalCase"
                )));
            }
            renamed.insert(pascal_case(name), member.clone());
        }
        Ok(Value::Object(renamed))
    }

    /// A member as the task names it: a page token sent back.
    pub(super) fn member(&self, name: &str) -> String {
        match self {
            MemberCase::AsTheApi => name.to_string(),
            MemberCase::Renamed => pascal_case(name),
        }
    }

    /// The JSONata value of the task's result as the API names its members.
    pub(super) fn result(&self) -> &'static str {
        match self {
            MemberCase::AsTheApi => "$states.result",
            MemberCase::Renamed => RESULT_AS_THE_API_NAMES_IT,
        }
    }
}

fn pascal_case(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_camel_case_api_is_sent_in_pascal_case_and_other_apis_as_written() {
        let with =
            json!({"logGroupName": "/aws/lambda/f", "startTime": 5, "logStreamNames": ["a"]});
        let renamed = member_case("logs.FilterLogEvents")
            .ok()
            .and_then(|case| case.arguments(&with).ok());
        assert_eq!(
            renamed,
            Some(json!({"LogGroupName": "/aws/lambda/f", "StartTime": 5, "LogStreamNames": ["a"]}))
        );
        let s3tables = member_case("s3tables.GetTableMetadataLocation")
            .ok()
            .map(|case| case.member("tableBucketARN"));
        assert_eq!(s3tables.as_deref(), Some("TableBucketARN"));
        let lambda = json!({"FunctionName": "f", "Name": "live"});
        let unchanged = member_case("lambda.GetAlias")
            .ok()
            .and_then(|case| case.arguments(&lambda).ok());
        assert_eq!(unchanged, Some(lambda));
        assert_eq!(
            member_case("lambda.GetAlias")
                .ok()
                .map(|case| case.result()),
            Some("$states.result")
        );
    }

    #[test]
    fn unchecked_operations_and_nested_arguments_are_refused() {
        let Err(Unrenameable(reason)) = member_case("logs.GetQueryResults") else {
            panic!("GetQueryResults' lists of lists are not renamed")
        };
        assert!(reason.contains("logs.FilterLogEvents"), "{reason}");
        assert!(!reason.contains("s3tables."), "{reason}");
        let nested = member_case("logs.FilterLogEvents")
            .ok()
            .map(|case| case.arguments(&json!({"logGroupName": {"a": 1}})).is_err());
        assert_eq!(nested, Some(true));
    }

    /// Every checked operation is one of our registry's actions, so the list cannot name one that does not exist.
    #[test]
    fn every_checked_operation_is_an_action() {
        for action in RESULTS_CHECKED {
            assert!(crate::actions::lookup(action).is_some(), "{action}");
        }
    }
}
