//! How to remove what a write made: the command an operator types when a run was refused after some of its
//! writes took effect (pitr-restore refused at its gate leaves the restored copy `<table>-restore` behind).
//!
//! Only writes that create something have an entry; a write that changes something in place (an alias, a
//! timeout) has no generic undo, and its step's summary says what it did. `{Member}` is filled from the step's
//! request, `{output.A.B}` from its response.

use serde_json::Value;

/// `(action, command)`, one row per write action that creates a resource.
pub const UNDO: &[(&str, &str)] = &[
    (
        "dynamodb.RestoreTableToPointInTime",
        "aws dynamodb delete-table --table-name {TargetTableName}",
    ),
    (
        "dynamodb.RestoreTableFromBackup",
        "aws dynamodb delete-table --table-name {TargetTableName}",
    ),
    (
        "dynamodb.CreateBackup",
        "aws dynamodb delete-backup --backup-arn {output.BackupDetails.BackupArn}",
    ),
    (
        "lambda.PublishVersion",
        "aws lambda delete-function --function-name {FunctionName} --qualifier {output.Version}",
    ),
    (
        "s3.PutObject",
        "aws s3api delete-object --bucket {Bucket} --key {Key}",
    ),
    (
        "cloudwatch.PutMetricAlarm",
        "aws cloudwatch delete-alarms --alarm-names {AlarmName}",
    ),
];

/// The command that removes what `action` made with `request` (and answered `output`), with `--region` when
/// known; `None` when the action has no entry or a value is missing.
pub fn command(
    action: &str,
    request: Option<&Value>,
    output: Option<&Value>,
    region: Option<&str>,
) -> Option<String> {
    let (_, template) = UNDO.iter().find(|(name, _)| *name == action)?;
    let mut out = String::new();
    let mut rest = *template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        let name = &rest[open + 1..close];
        let value = match name.strip_prefix("output.") {
            Some(path) => path
                .split('.')
                .try_fold(output?, |value, key| value.get(key))?,
            None => request?.get(name)?,
        };
        match value {
            Value::String(text) if !text.is_empty() => out.push_str(&shell_word(text)),
            Value::Number(number) => out.push_str(&number.to_string()),
            _ => return None,
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    if let Some(region) = region.filter(|r| !r.is_empty()) {
        out.push_str(&format!(" --region {}", shell_word(region)));
    }
    Some(out)
}

/// Quoted for a POSIX shell when it holds anything beyond the characters AWS names and ARNs use.
fn shell_word(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/@=+,".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_entry_is_a_write_whose_request_members_exist() {
        for (name, template) in UNDO {
            let spec = super::super::lookup(name).unwrap_or_else(|| panic!("no action {name}"));
            assert_eq!(spec.effect, super::super::Effect::Write, "{name}");
            for part in template.split('{').skip(1) {
                let member = part.split('}').next().unwrap();
                if !member.starts_with("output.") {
                    assert!(spec.member(member).is_some(), "{name}: no member {member}");
                }
            }
        }
    }

    #[test]
    fn fills_request_and_output_values_and_quotes_odd_ones() {
        let restore = command(
            "dynamodb.RestoreTableToPointInTime",
            Some(&json!({"TargetTableName": "sales-restore"})),
            None,
            Some("eu-west-1"),
        );
        assert_eq!(
            restore.as_deref(),
            Some("aws dynamodb delete-table --table-name sales-restore --region eu-west-1")
        );
        let backup = command(
            "dynamodb.CreateBackup",
            Some(&json!({"TableName": "t"})),
            Some(
                &json!({"BackupDetails": {"BackupArn": "arn:aws:dynamodb:x:1:table/t/backup/01"}}),
            ),
            None,
        );
        assert_eq!(
            backup.as_deref(),
            Some("aws dynamodb delete-backup --backup-arn arn:aws:dynamodb:x:1:table/t/backup/01")
        );
        let odd = command(
            "s3.PutObject",
            Some(&json!({"Bucket": "b", "Key": "a key's name"})),
            None,
            None,
        );
        assert_eq!(
            odd.as_deref(),
            Some(r"aws s3api delete-object --bucket b --key 'a key'\''s name'")
        );
        assert_eq!(command("dynamodb.CreateBackup", None, None, None), None);
        assert_eq!(command("lambda.UpdateAlias", None, None, None), None);
    }
}
