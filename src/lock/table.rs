//! The team-wide lock: one item per key in a DynamoDB table (`--lock-table NAME`), taken with a conditional
//! PutItem so exactly one writer wins, with an expiry that a heartbeat pushes forward while the run is alive.
//!
//! The table needs a string partition key named `LockKey` (`aws dynamodb create-table --table-name runbook-locks
//! --attribute-definitions AttributeName=LockKey,AttributeType=S --key-schema AttributeName=LockKey,KeyType=HASH
//! --billing-mode PAY_PER_REQUEST`). A run that dies stops renewing; once its expiry passes, the next run takes
//! the lock over. Releasing sets the expiry to 0 rather than deleting, so only PutItem and GetItem are needed.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{LockError, Owner};
use crate::aws::{self, Aws, CallError};

/// How long a lock lives without a heartbeat. Short enough that a killed run's lock frees itself soon, long
/// enough that a slow network does not lose it: renewed every third of it.
pub const TTL: Duration = Duration::from_secs(60);

pub struct TableLock {
    aws: Arc<Aws>,
    table: String,
    key: String,
    run_id: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

fn epoch_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A conditional PutItem; transient failures are retried, which is safe because the condition admits our own
/// run id: a repeat of a put that took effect succeeds again.
async fn put(aws: &Aws, input: Value) -> Result<(), CallError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match aws::call(aws, &aws::dynamodb::PUT_ITEM, object(input.clone()), true).await {
            Ok(_) => return Ok(()),
            Err(error) if error.transient && attempt < 3 => {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

fn item(key: &str, owner: &Owner, expires_at: i64) -> Value {
    json!({
        "LockKey": {"S": key},
        "RunId": {"S": owner.run_id},
        "Owner": {"S": serde_json::to_string(owner).expect("owners serialize")},
        "Since": {"S": owner.since},
        "ExpiresAt": {"N": expires_at.to_string()},
    })
}

/// Who holds `key` in `table`, if anyone holds it now (an expired lock is nobody's).
pub async fn holder(aws: &Aws, table: &str, key: &str) -> Result<Option<Owner>, CallError> {
    let reply = aws::call(
        aws,
        &aws::dynamodb::GET_ITEM,
        object(json!({"TableName": table, "Key": {"LockKey": {"S": key}}, "ConsistentRead": true})),
        false,
    )
    .await?;
    let item = &reply.output["Item"];
    let expires: i64 = item["ExpiresAt"]["N"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if item.is_null() || expires < epoch_now() {
        return Ok(None);
    }
    Ok(item["Owner"]["S"]
        .as_str()
        .and_then(|text| serde_json::from_str(text).ok()))
}

impl TableLock {
    pub async fn acquire(
        aws: Arc<Aws>,
        table: &str,
        key: &str,
        run_id: &str,
    ) -> Result<TableLock, LockError> {
        let owner = Owner::me(run_id);
        let input = json!({
            "TableName": table,
            "Item": item(key, &owner, epoch_now() + TTL.as_secs() as i64),
            "ConditionExpression": "attribute_not_exists(LockKey) OR ExpiresAt < :now OR RunId = :run",
            "ExpressionAttributeValues": {":now": {"N": epoch_now().to_string()}, ":run": {"S": run_id}},
        });
        match put(&aws, input).await {
            Ok(()) => {}
            Err(error) if error.code == "ConditionalCheckFailedException" => {
                let owner = holder(&aws, table, key)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(Owner {
                        user: "unknown".into(),
                        host: "unknown".into(),
                        pid: 0,
                        run_id: "unknown".into(),
                        since: "unknown".into(),
                    });
                return Err(LockError::Held {
                    key: key.to_string(),
                    owner,
                });
            }
            Err(error) => {
                return Err(LockError::Failed(format!(
                    "cannot take lock `{key}` in DynamoDB table {table}: {error}"
                )));
            }
        }
        let heartbeat = tokio::spawn(heartbeat(
            aws.clone(),
            table.to_string(),
            key.to_string(),
            owner,
        ));
        Ok(TableLock {
            aws,
            table: table.to_string(),
            key: key.to_string(),
            run_id: run_id.to_string(),
            heartbeat,
        })
    }

    /// Gives the lock up: expiry 0, only if it is still ours.
    pub async fn release(self) {
        self.heartbeat.abort();
        let input = json!({
            "TableName": self.table,
            "Item": {
                "LockKey": {"S": self.key},
                "RunId": {"S": ""},
                "ExpiresAt": {"N": "0"},
            },
            "ConditionExpression": "RunId = :run",
            "ExpressionAttributeValues": {":run": {"S": self.run_id}},
        });
        if let Err(error) = put(&self.aws, input).await
            && error.code != "ConditionalCheckFailedException"
        {
            eprintln!(
                "runbook: warning: could not release lock `{}` in {}: {error}; it expires by itself within {}s",
                self.key,
                self.table,
                TTL.as_secs()
            );
        }
    }
}

async fn heartbeat(aws: Arc<Aws>, table: String, key: String, owner: Owner) {
    loop {
        tokio::time::sleep(TTL / 3).await;
        let input = json!({
            "TableName": table,
            "Item": item(&key, &owner, epoch_now() + TTL.as_secs() as i64),
            "ConditionExpression": "RunId = :run",
            "ExpressionAttributeValues": {":run": {"S": owner.run_id}},
        });
        if let Err(error) = put(&aws, input).await {
            eprintln!("runbook: warning: could not renew lock `{key}` in {table}: {error}");
        }
    }
}

/// `runbook unlock --lock-table`: frees the key whoever holds it, returning who did.
pub async fn force_release(aws: &Aws, table: &str, key: &str) -> Result<Option<Owner>, CallError> {
    let previous = holder(aws, table, key).await?;
    put(
        aws,
        json!({
            "TableName": table,
            "Item": {"LockKey": {"S": key}, "RunId": {"S": ""}, "ExpiresAt": {"N": "0"}},
        }),
    )
    .await?;
    Ok(previous)
}
