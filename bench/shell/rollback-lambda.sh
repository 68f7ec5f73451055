#!/usr/bin/env bash
# Section 1.1 of the operations runbook (Lambda Function Rollback, Option A: move the alias), as its commands,
# for bench/run.py to time against `runbook run rollback-lambda --yes`.
#
#   AWS_ENDPOINT_URL=http://127.0.0.1:5050 bash bench/shell/rollback-lambda.sh
#
# The section's commands in its order: identify the previous version (1), list the stack's resource (2), move
# the alias and verify it (3), check the function's configuration (5). Where the section has a person read a
# table and type PREV_VERSION=42, this reads the alias and picks the published version before the one it
# serves, as the runbook does. Left out: tailing logs with `npx serverless` (no emulator for it; the runbook
# leaves it to smoke-test too) and Option B (the stack; moto cannot put a stack into UPDATE_ROLLBACK_FAILED).
# `aws` is the AWS CLI of the bench virtualenv (AWS_CLI overrides), sent to the sandbox by AWS_ENDPOINT_URL.
set -euo pipefail

AWS_CLI="${AWS_CLI:-aws}"
# AWS CLI v1 sends SQS (and a few other services) to their legacy hostnames unless --endpoint-url is given on the
# command line, whatever AWS_ENDPOINT_URL says; so the endpoint goes on every call.
aws() { command "$AWS_CLI" ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"; }
FUNCTION="${FUNCTION:-bg-remover-dev-s3TablesDataValidator}"
ALIAS="${ALIAS:-live}"
STACK="${STACK:-bg-remover-dev}"
REGION="${AWS_REGION:-eu-west-1}"

# The version the alias serves now (the section's table of recent versions, read by a person).
CURRENT_VERSION="$(aws lambda get-alias --function-name "$FUNCTION" --name "$ALIAS" --region "$REGION" \
    --query FunctionVersion --output text)"

# 1. Identify the previous version: the newest published version below the current one.
PREV_VERSION="$(aws lambda list-versions-by-function --function-name "$FUNCTION" --region "$REGION" \
    --query "Versions[?Version!='\$LATEST'].Version" --output text |
    tr '\t' '\n' | awk -v current="$CURRENT_VERSION" '$1 + 0 < current + 0' | sort -n | tail -1)"
if [[ -z "$PREV_VERSION" ]]; then
    echo "no published version before $CURRENT_VERSION" >&2
    exit 1
fi

# 2. List recent deployments (CloudFormation).
aws cloudformation describe-stack-resources --stack-name "$STACK" --region "$REGION" \
    --query 'StackResources[?LogicalResourceId==`S3TablesDataValidatorFunction`]' >/dev/null

# 3. Revert the alias to the previous version, then verify it.
aws lambda update-alias --function-name "$FUNCTION" --name "$ALIAS" --function-version "$PREV_VERSION" \
    --region "$REGION" >/dev/null
NOW_SERVING="$(aws lambda get-alias --function-name "$FUNCTION" --name "$ALIAS" --region "$REGION" \
    --query FunctionVersion --output text)"
if [[ "$NOW_SERVING" != "$PREV_VERSION" ]]; then
    echo "alias $ALIAS points to $NOW_SERVING, not $PREV_VERSION" >&2
    exit 1
fi

# 5. Verify the rollback: the function answers through the alias, Active, from the previous version.
read -r STATE VERSION < <(aws lambda get-function-configuration --function-name "$FUNCTION" \
    --qualifier "$ALIAS" --region "$REGION" --query '[State, Version]' --output text)
if [[ "$STATE" != "Active" || "$VERSION" != "$PREV_VERSION" ]]; then
    echo "through $ALIAS: version $VERSION, state $STATE" >&2
    exit 1
fi
echo "alias $ALIAS: version $CURRENT_VERSION -> $PREV_VERSION"
