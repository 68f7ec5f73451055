//! The team-wide lock: one item per key in a DynamoDB table (`--lock-table NAME`), taken with a conditional
//! PutItem so exactly one writer wins, with an expiry that a heartbeat pushes forward while the run is alive.
//!
//! The table needs a string partition key named `LockKey` (`aws dynamodb create-table --table-name runbook-locks
//! --attribute-definitions AttributeName=LockKey,AttributeType=S --key-schema AttributeName=LockKey,KeyType=HASH
//! --billing-mode PAY_PER_REQUEST`). A run that dies stops renewing; once its expiry passes, the next run takes
//! the lock over. Releasing sets the expiry to 0 rather than deleting, so only PutItem and GetItem are needed.
//! A heartbeat refused because the item names another run (`unlock --force`, or a takeover after an expiry it
//! missed) tells the run it lost the lock ([`TableLock::lost`]); so does failing to renew it until it expired.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{LockError, Owner, Standing};
use crate::aws::{self, Aws, CallError};

/// How long a lock lives without a heartbeat: 60 s, or `RUNBOOK_LOCK_TTL` seconds (at least 3). Short enough that
/// a killed run's lock frees itself soon, long enough that a slow network does not lose it: renewed every third
/// of it.
pub fn ttl() -> Duration {
    let seconds = std::env::var("RUNBOOK_LOCK_TTL")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .unwrap_or(60)
        .max(3);
    Duration::from_secs(seconds)
}

pub struct TableLock {
    aws: Arc<Aws>,
    table: String,
    key: String,
    run_id: String,
    heartbeat: tokio::task::JoinHandle<()>,
    lost: super::Lost,
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
        // The holder's TTL, so that `unlock` elsewhere judges its heartbeat by the holder's own rhythm.
        "TtlSeconds": {"N": ttl().as_secs().to_string()},
    })
}

/// When a lock item expires (epoch seconds) and the TTL its holder renews it by.
#[derive(Clone, Copy, Debug)]
pub struct Expiry {
    pub expires: i64,
    pub ttl: i64,
}

impl Expiry {
    /// Whether the lock was renewed within the last two heartbeats: its holder is alive.
    pub fn heartbeat_is_fresh(self) -> bool {
        let renewed = self.expires - self.ttl;
        epoch_now() - renewed <= 2 * self.ttl / 3
    }
}

/// What the item of `key` in `table` says (an expired lock is nobody's), and when it expires.
pub async fn standing(aws: &Aws, table: &str, key: &str) -> Result<(Standing, Expiry), CallError> {
    let reply = aws::call(
        aws,
        &aws::dynamodb::GET_ITEM,
        object(json!({"TableName": table, "Key": {"LockKey": {"S": key}}, "ConsistentRead": true})),
        false,
    )
    .await?;
    let item = &reply.output["Item"];
    let number = |name: &str| item[name]["N"].as_str().and_then(|n| n.parse::<i64>().ok());
    let expires = number("ExpiresAt").unwrap_or(0);
    let expiry = Expiry {
        expires,
        ttl: number("TtlSeconds").unwrap_or(60),
    };
    if item.is_null() || expires < epoch_now() {
        return Ok((Standing::Free, expiry));
    }
    let standing = match item["Owner"]["S"]
        .as_str()
        .and_then(|text| serde_json::from_str(text).ok())
    {
        Some(owner) => Standing::Held(owner),
        None => Standing::Unreadable(format!(
            "item `{key}` in {table} expires at {} and has no readable Owner attribute",
            jiff::Timestamp::from_second(expires)
                .map_or_else(|_| expires.to_string(), |at| at.to_string())
        )),
    };
    Ok((standing, expiry))
}

impl TableLock {
    pub async fn acquire(
        aws: Arc<Aws>,
        table: &str,
        key: &str,
        run_id: &str,
        user: &str,
    ) -> Result<TableLock, LockError> {
        let owner = Owner::me(user, run_id);
        let input = json!({
            "TableName": table,
            "Item": item(key, &owner, epoch_now() + ttl().as_secs() as i64),
            "ConditionExpression": "attribute_not_exists(LockKey) OR ExpiresAt < :now OR RunId = :run",
            "ExpressionAttributeValues": {":now": {"N": epoch_now().to_string()}, ":run": {"S": run_id}},
        });
        match put(&aws, input).await {
            Ok(()) => {}
            Err(error) if error.code == "ConditionalCheckFailedException" => {
                return Err(match standing(&aws, table, key).await {
                    Ok((Standing::Held(owner), _)) => LockError::Held {
                        key: key.to_string(),
                        owner,
                    },
                    Ok((Standing::Unreadable(detail), _)) => LockError::Unreadable {
                        key: key.to_string(),
                        detail,
                    },
                    // Released or expired since: the next try takes it.
                    Ok((Standing::Free, _)) => LockError::Failed(format!(
                        "lock `{key}` changed hands while it was being taken; try again"
                    )),
                    Err(error) => LockError::Failed(format!(
                        "lock `{key}` in DynamoDB table {table} is taken, and its holder cannot be read: {error}"
                    )),
                });
            }
            Err(error) => {
                return Err(LockError::Failed(format!(
                    "cannot take lock `{key}` in DynamoDB table {table}: {error}"
                )));
            }
        }
        let (lost_sender, lost) = tokio::sync::watch::channel(None);
        let heartbeat = tokio::spawn(heartbeat(
            aws.clone(),
            table.to_string(),
            key.to_string(),
            owner,
            lost_sender,
        ));
        Ok(TableLock {
            aws,
            table: table.to_string(),
            key: key.to_string(),
            run_id: run_id.to_string(),
            heartbeat,
            lost,
        })
    }

    /// See [`super::Lost`].
    pub fn lost(&self) -> super::Lost {
        self.lost.clone()
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
            crate::say!(
                "runbook: warning: could not release lock `{}` in {}: {error}; it expires by itself within {}s",
                self.key,
                self.table,
                ttl().as_secs()
            );
        }
    }
}

async fn heartbeat(
    aws: Arc<Aws>,
    table: String,
    key: String,
    owner: Owner,
    lost: tokio::sync::watch::Sender<Option<String>>,
) {
    let ttl = ttl();
    let mut renewed = epoch_now();
    loop {
        tokio::time::sleep(ttl / 3).await;
        let input = json!({
            "TableName": table,
            "Item": item(&key, &owner, epoch_now() + ttl.as_secs() as i64),
            "ConditionExpression": "RunId = :run",
            "ExpressionAttributeValues": {":run": {"S": owner.run_id}},
        });
        match put(&aws, input).await {
            Ok(()) => renewed = epoch_now(),
            Err(error) if error.code == "ConditionalCheckFailedException" => {
                let now = match standing(&aws, &table, &key).await {
                    Ok((Standing::Held(holder), _)) => format!("it is now held by {holder}"),
                    Ok(_) => format!("its item in {table} no longer names this run"),
                    Err(_) => format!("its item in {table} no longer names this run"),
                };
                let _ = lost.send(Some(now));
                return;
            }
            Err(error) => {
                crate::say!("runbook: warning: could not renew lock `{key}` in {table}: {error}");
                if epoch_now() - renewed >= ttl.as_secs() as i64 {
                    let _ = lost.send(Some(format!(
                        "it could not be renewed for {}s and has expired; another run may hold it now",
                        ttl.as_secs()
                    )));
                    return;
                }
            }
        }
    }
}

/// `runbook unlock --lock-table`: frees the key whoever holds it.
pub async fn remove(aws: &Aws, table: &str, key: &str) -> Result<(), CallError> {
    put(
        aws,
        json!({
            "TableName": table,
            "Item": {"LockKey": {"S": key}, "RunId": {"S": ""}, "ExpiresAt": {"N": "0"}},
        }),
    )
    .await
}
