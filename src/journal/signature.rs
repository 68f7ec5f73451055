//! Signed chain heads: what proves that a journal is the one `runbook` wrote, which the hash chain alone cannot.
//!
//! The chain ([`super::chain`]) has no key: whoever can edit the file can rewrite a record and recompute every hash
//! after it, or cut the last records off, and the result is as consistent as the original. So, as CloudTrail's
//! digest files do for its logs, a run given `--audit-kms-key KEY` has KMS sign the chain's head (the hash of the
//! last record, with the run id and its number) when it starts, before every approval gate and when it ends, and
//! journals each signature as a `signed` record. Nobody without `kms:Sign` on that key can make one.
//!
//! [`check`] then holds the journal to them: every signature must verify with KMS (`kms:Verify`) over the hash the
//! journal has now for the record it names, so rewriting anything up to a signed record is found; and a journal
//! that was signed must end with the run-end signature over its last record, so cutting records off (or adding
//! some) after a signature is found too. What stays unproven is the part after the last signature of a run that
//! is still going or was killed; `check` says where it begins. A signature only proves something if the key is the
//! one expected: `audit verify --audit-kms-key KEY` pins it, and a journal signed by any other key (or unsigned)
//! then fails.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::chain::{Entry, Problem, ProblemKind};
use super::record::Record;
use super::writer::Journal;
use crate::aws::{self, Aws};

/// Why a signature was made: when the run started, before an approval gate, at the run's end.
pub const AT_START: &str = "start";
pub const AT_GATE: &str = "gate";
pub const AT_RUN_END: &str = "run_end";

/// What KMS signs: the run, the record's number and its hash, so a signature cannot be moved to another record or
/// another run's journal.
fn message(run_id: &str, seq: u64, hash: &str) -> String {
    format!("runbook journal head v1\nrun {run_id}\nrecord {seq}\nsha256 {hash}\n")
}

/// The signing algorithm to ask KMS for, among those the key supports: ECDSA over P-256 first, then RSA-PSS.
fn choose_algorithm(supported: &[&str]) -> Option<String> {
    [
        "ECDSA_SHA_256",
        "ECDSA_SHA_384",
        "ECDSA_SHA_512",
        "RSASSA_PSS_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_256",
    ]
    .iter()
    .find(|preferred| supported.contains(preferred))
    .map(|found| found.to_string())
    .or_else(|| supported.first().map(|first| first.to_string()))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Signs one journal's head with one KMS key.
pub struct Signer {
    aws: Arc<Aws>,
    key: String,
    algorithm: String,
    run_id: String,
}

impl Signer {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Checks that `key` exists and can sign (DescribeKey), before anything is run.
    pub async fn new(aws: Arc<Aws>, key: &str, run_id: &str) -> Result<Signer, String> {
        let described = aws::call(
            &aws,
            &aws::kms::DESCRIBE_KEY,
            object(json!({"KeyId": key})),
            false,
        )
        .await
        .map_err(|error| format!("--audit-kms-key {key}: {error}"))?;
        let metadata = &described.output["KeyMetadata"];
        if metadata["KeyUsage"].as_str() != Some("SIGN_VERIFY") {
            return Err(format!(
                "--audit-kms-key {key}: the key's usage is {}, not SIGN_VERIFY; create an asymmetric signing key \
                 (e.g. KeySpec ECC_NIST_P256, KeyUsage SIGN_VERIFY)",
                metadata["KeyUsage"].as_str().unwrap_or("unknown")
            ));
        }
        let supported: Vec<&str> = metadata["SigningAlgorithms"]
            .as_array()
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let algorithm = choose_algorithm(&supported).ok_or_else(|| {
            format!("--audit-kms-key {key}: KMS lists no signing algorithm for this key")
        })?;
        Ok(Signer {
            aws,
            key: key.to_string(),
            algorithm,
            run_id: run_id.to_string(),
        })
    }

    /// Signs the journal's current head and journals the signature (fsynced).
    pub async fn sign_head(&self, journal: &Journal, at: &str) -> Result<(), String> {
        let (seq, hash) = journal.head();
        let signed = aws::call(
            &self.aws,
            &aws::kms::SIGN,
            object(json!({
                "KeyId": self.key,
                "Message": aws_smithy_types::base64::encode(message(&self.run_id, seq, &hash)),
                "MessageType": "RAW",
                "SigningAlgorithm": self.algorithm,
            })),
            false,
        )
        .await
        .map_err(|error| format!("KMS could not sign the journal with {}: {error}", self.key))?;
        let signature = signed.output["Signature"]
            .as_str()
            .ok_or("KMS answered Sign without a signature")?
            .to_string();
        let record = Record::Signed {
            at: at.to_string(),
            signs_seq: seq,
            signs_hash: hash,
            key_id: signed.output["KeyId"]
                .as_str()
                .unwrap_or(&self.key)
                .to_string(),
            algorithm: self.algorithm.clone(),
            signature,
        };
        journal
            .write(&record)
            .map_err(|error| format!("cannot journal the signature: {error}"))
    }
}

/// Signs the journal's head before each approval gate is put to anyone, so what the approver was shown is sealed
/// before the decision.
pub struct SigningApprover {
    pub signer: Arc<Signer>,
    pub journal: Arc<Journal>,
    pub inner: Arc<dyn crate::engine::Approver>,
}

impl crate::engine::Approver for SigningApprover {
    fn decide(
        &self,
        approval: crate::engine::Approval,
    ) -> crate::aws::BoxFuture<'static, crate::engine::Decision> {
        let (signer, journal, inner) = (
            self.signer.clone(),
            self.journal.clone(),
            self.inner.clone(),
        );
        Box::pin(async move {
            if let Err(error) = signer.sign_head(&journal, AT_GATE).await {
                crate::say!(
                    "runbook: warning: the journal was not signed at gate {}: {error}",
                    approval.step
                );
            }
            inner.decide(approval).await
        })
    }
}

/// What the signatures of a journal prove.
#[derive(Debug, Default, serde::Serialize)]
pub struct Check {
    pub problems: Vec<Problem>,
    /// Signatures that verified.
    pub signatures: usize,
    /// The last `signed` record whose signature verified: everything up to it is proven.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_through: Option<u64>,
    /// The key that made it (an ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
}

/// Whether the journal asks to be signed: its run or a resume was given `--audit-kms-key`.
pub fn declared(entries: &[Entry]) -> bool {
    entries.iter().any(|entry| {
        matches!(
            &entry.record,
            Some(Record::RunStarted {
                signing_key: Some(_),
                ..
            }) | Some(Record::Resumed {
                signing_key: Some(_),
                ..
            })
        )
    })
}

/// Verifies every signature with KMS and, when the journal was signed (or `pinned` names the key it must be
/// signed with), that it ends with the run-end signature over its last record. `aws` is needed only when there are
/// signatures to check.
pub async fn check(entries: &[Entry], aws: Option<&Aws>, pinned: Option<&str>) -> Check {
    let mut check = Check::default();
    let run_id = entries.iter().find_map(|entry| match &entry.record {
        Some(Record::RunStarted { run_id, .. }) => Some(run_id.clone()),
        _ => None,
    });
    let expected = declared(entries) || pinned.is_some();
    let problem = |line: usize, detail: String| Problem {
        line,
        kind: ProblemKind::Signature,
        detail,
    };
    let mut last_valid: Option<&Entry> = None;
    for entry in entries {
        let Some(Record::Signed {
            at,
            signs_seq,
            signs_hash,
            key_id,
            algorithm,
            signature,
        }) = &entry.record
        else {
            continue;
        };
        let named = entries
            .iter()
            .find(|other| other.seq == *signs_seq && other.seq < entry.seq);
        if named.is_none_or(|named| &named.hash != signs_hash) {
            check.problems.push(problem(
                entry.line,
                format!(
                    "the {at} signature is over record {signs_seq} with hash {}, which the journal does not have \
                     any more: records up to {signs_seq} were rewritten",
                    &signs_hash[..12.min(signs_hash.len())]
                ),
            ));
            continue;
        }
        let Some(aws) = aws else {
            check.problems.push(problem(
                entry.line,
                "a signature cannot be checked without AWS configuration (--region, --profile, --endpoint-url)"
                    .into(),
            ));
            continue;
        };
        let key = pinned.unwrap_or(key_id);
        let message = message(
            run_id.as_deref().unwrap_or_default(),
            *signs_seq,
            signs_hash,
        );
        let verified = aws::call(
            aws,
            &aws::kms::VERIFY,
            object(json!({
                "KeyId": key,
                "Message": aws_smithy_types::base64::encode(message),
                "MessageType": "RAW",
                "Signature": signature,
                "SigningAlgorithm": algorithm,
            })),
            false,
        )
        .await;
        let valid = match &verified {
            Ok(reply) => Ok(reply.output["SignatureValid"] == Value::Bool(true)),
            // What KMS answers for a signature that does not match (moto included).
            Err(error) if error.code == "KMSInvalidSignatureException" => Ok(false),
            Err(error) => Err(error.to_string()),
        };
        match valid {
            Ok(true) => {
                check.signatures += 1;
                check.signed_by = Some(key_id.clone());
                last_valid = Some(entry);
            }
            Ok(false) => check.problems.push(problem(
                entry.line,
                format!(
                    "the {at} signature over record {signs_seq} does not verify with {key}: the record or its \
                     signature was altered{}",
                    if pinned.is_some() {
                        ", or it was signed with another key"
                    } else {
                        ""
                    }
                ),
            )),
            Err(error) => check.problems.push(problem(
                entry.line,
                format!("KMS could not check the {at} signature over record {signs_seq}: {error}"),
            )),
        }
    }
    check.signed_through = last_valid.map(|entry| entry.seq);
    if !expected {
        return check;
    }
    let Some(last) = entries.last() else {
        return check;
    };
    let ends_signed = matches!(
        &last.record,
        Some(Record::Signed { at, signs_seq, .. }) if at == AT_RUN_END && *signs_seq + 1 == last.seq
    ) && last_valid.is_some_and(|valid| valid.seq == last.seq);
    if !ends_signed {
        let from = check.signed_through.map_or(1, |seq| seq + 1);
        let after = match check.signed_through {
            Some(seq) => format!("after the last valid signature (record {seq})"),
            None => "and none of its signatures verifies".to_string(),
        };
        let line = entries
            .iter()
            .find(|entry| entry.seq == from)
            .map_or(last.line, |entry| entry.line);
        check.problems.push(Problem {
            line,
            kind: ProblemKind::Unsigned,
            detail: format!(
                "records {from} to {} are not covered by a signature: the journal was signed, yet it does not end \
                 with the run-end signature over its last record; it was cut short or extended {after}, or the \
                 run was killed or is still running (a resume signs it at its end)",
                last.seq
            ),
        });
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_prefer_ecdsa_then_rsa_pss() {
        assert_eq!(
            choose_algorithm(&["RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_256"]).as_deref(),
            Some("RSASSA_PSS_SHA_256")
        );
        assert_eq!(
            choose_algorithm(&["ECDSA_SHA_256"]).as_deref(),
            Some("ECDSA_SHA_256")
        );
        assert_eq!(choose_algorithm(&["SM2DSA"]).as_deref(), Some("SM2DSA"));
        assert_eq!(choose_algorithm(&[]), None);
    }

    #[test]
    fn the_signed_message_binds_run_record_and_hash() {
        assert_ne!(message("r1", 3, "ab"), message("r2", 3, "ab"));
        assert_ne!(message("r1", 3, "ab"), message("r1", 4, "ab"));
        assert_ne!(message("r1", 3, "ab"), message("r1", 3, "ac"));
    }
}
