#!/usr/bin/env bash
# Section 6.1 of the operations runbook (DLQ Messages Accumulating), as its commands, for bench/run.py to time
# against `runbook run dlq-replay --raise-timeout 900 --yes`.
#
#   AWS_ENDPOINT_URL=http://127.0.0.1:5050 RAISE_TIMEOUT=900 bash bench/shell/dlq-replay.sh
#
# Diagnosis: the DLQ's depth and a sample message (`receive-message | jq`). Resolution for a Lambda timeout:
# raise the timeout (6.1 says 1200 s; Lambda allows at most 900) and wait for the update, then retry the DLQ
# messages. The section's retry is one `send-message-batch --entries file://dlq-messages.json` and says neither
# how that file is made nor that the messages must leave the DLQ; done by hand it is this loop: receive up to 10
# (bodies and attributes), send them to the main queue, delete them from the DLQ only once sent. Then the
# resolution checklist's "DLQ messages cleared". Left out: `npx serverless logs` and the CloudWatch duration
# metrics (reading them changes nothing and the emulator has no such data), redeploying the handler.
# `aws` is the AWS CLI of the bench virtualenv (AWS_CLI overrides), sent to the sandbox by AWS_ENDPOINT_URL; jq
# shapes the batches, as the section uses it.
set -euo pipefail

AWS_CLI="${AWS_CLI:-aws}"
# AWS CLI v1 sends SQS (and a few other services) to their legacy hostnames unless --endpoint-url is given on the
# command line, whatever AWS_ENDPOINT_URL says; so the endpoint goes on every call.
aws() { command "$AWS_CLI" ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"; }
FUNCTION="${FUNCTION:-bg-remover-dev-s3TablesDataValidator}"
DLQ="${DLQ:-bg-remover-dev-dlq}"
MAIN_QUEUE="${MAIN_QUEUE:-bg-remover-dev-main}"
REGION="${AWS_REGION:-eu-west-1}"
command -v jq >/dev/null || {
    echo "dlq-replay.sh needs jq" >&2
    exit 1
}

DLQ_URL="$(aws sqs get-queue-url --queue-name "$DLQ" --region "$REGION" --query QueueUrl --output text)"
MAIN_URL="$(aws sqs get-queue-url --queue-name "$MAIN_QUEUE" --region "$REGION" --query QueueUrl --output text)"

# Diagnosis: how many, and what one looks like (left visible: visibility timeout 0).
DEPTH="$(aws sqs get-queue-attributes --queue-url "$DLQ_URL" --attribute-names ApproximateNumberOfMessages \
    --region "$REGION" --query Attributes.ApproximateNumberOfMessages --output text)"
aws sqs receive-message --queue-url "$DLQ_URL" --visibility-timeout 0 --message-attribute-names All \
    --region "$REGION" | jq '.Messages[0].Body' >/dev/null

# 1. If Lambda timeout: raise it, and wait until the update is done before replaying into the function.
if [[ -n "${RAISE_TIMEOUT:-}" ]]; then
    aws lambda update-function-configuration --function-name "$FUNCTION" --timeout "$RAISE_TIMEOUT" \
        --region "$REGION" >/dev/null
    aws lambda wait function-updated --function-name "$FUNCTION" --region "$REGION"
fi

# 3. Retry the DLQ messages: a batch of up to 10 at a time, deleted from the DLQ only after the main queue took it.
batch="$(mktemp)"
trap 'rm -f "$batch"' EXIT
moved=0
while :; do
    aws sqs receive-message --queue-url "$DLQ_URL" --max-number-of-messages 10 --visibility-timeout 60 \
        --message-attribute-names All --region "$REGION" --output json >"$batch"
    count="$(jq '.Messages // [] | length' "$batch")"
    ((count > 0)) || break
    failed="$(aws sqs send-message-batch --queue-url "$MAIN_URL" --region "$REGION" --output json \
        --entries "$(jq -c '[.Messages | to_entries[] | {Id: "m\(.key)", MessageBody: .value.Body}
            + (if .value.MessageAttributes then {MessageAttributes: .value.MessageAttributes} else {} end)]' "$batch")" |
        jq '.Failed // [] | length')"
    if ((failed > 0)); then
        echo "the main queue refused $failed messages; they stay in the DLQ" >&2
        exit 1
    fi
    failed="$(aws sqs delete-message-batch --queue-url "$DLQ_URL" --region "$REGION" --output json \
        --entries "$(jq -c '[.Messages | to_entries[] | {Id: "m\(.key)", ReceiptHandle: .value.ReceiptHandle}]' "$batch")" |
        jq '.Failed // [] | length')"
    if ((failed > 0)); then
        echo "$failed sent messages could not be deleted from the DLQ: they are now in both queues" >&2
        exit 1
    fi
    moved=$((moved + count))
done

# Resolution checklist: DLQ messages cleared.
LEFT="$(aws sqs get-queue-attributes --queue-url "$DLQ_URL" --attribute-names ApproximateNumberOfMessages \
    --region "$REGION" --query Attributes.ApproximateNumberOfMessages --output text)"
if [[ "$LEFT" != 0 ]]; then
    echo "$LEFT messages left in $DLQ" >&2
    exit 1
fi
echo "moved $moved of $DEPTH messages from $DLQ to $MAIN_QUEUE"
