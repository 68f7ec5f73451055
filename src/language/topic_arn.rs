//! What a `notify:` topic looks like: the validator refuses one that cannot be an SNS topic before anything
//! runs, and the run checks the rendered template the same way.

/// Whether `text` is shaped like an SNS topic's ARN: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
pub fn is_topic_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[3]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && (1..=256).contains(&parts[5].len())
        && parts[5]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

pub const ARN_HINT: &str = "an SNS topic's ARN such as `arn:aws:sns:eu-west-1:123456789012:oncall`, or a template \
                            that renders one such as `{{ params.topic }}`";
