#!/usr/bin/env python3
"""Seed a local AWS emulator with the world of the operations runbook (../shared/seed-runbook.md).

Idempotent: running it twice leaves the same world. Talks to the endpoint in AWS_ENDPOINT_URL with boto3 (moto's
own dependency, so the sandbox virtualenv already has it).

    AWS_ENDPOINT_URL=http://127.0.0.1:5050 python scripts/seed/seed.py [--dlq-messages 50]

The Iceberg table `pricing_intelligence_dev.sales_history` is written for real by pyiceberg (iceberg_table.py), in
Glue and in S3 Tables. Where pyiceberg is not installed it falls back to a synthetic metadata file in Glue only
(valid Iceberg metadata naming manifest lists that do not exist: enough to list and roll back snapshots, not to read
rows), and says so on stderr and in the output (`iceberg.real: false`).

Prints one JSON object describing what it made (names, versions, snapshot ids), for tests and humans.
"""

import argparse
import datetime
import io
import json
import os
import sys
import time
import uuid
import zipfile

import boto3
from botocore.exceptions import ClientError

REGION = "eu-west-1"
ACCOUNT = "123456789012"
FUNCTION = "bg-remover-dev-s3TablesDataValidator"
STACK = "bg-remover-dev"
TABLE = "bg-remover-dev-sales-intelligence"
MAIN_QUEUE = "bg-remover-dev-main"
DLQ = "bg-remover-dev-dlq"
BUCKET = "carousel-labs-analytics-dev"
DATABASE = "pricing_intelligence_dev"
ICEBERG_TABLE = "sales_history"
TENANT = "carousel-labs"


def client(service):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def exists(error_codes, call):
    try:
        call()
        return True
    except ClientError as error:
        if error.response["Error"]["Code"] in error_codes:
            return False
        raise


def ours(name):
    """The table and the copies pitr-restore makes of it (`<table>-restore`)."""
    return name == TABLE or name.startswith(f"{TABLE}-restore")


def delete_backups(ddb):
    """Every on-demand backup of the table or its copies: pitr-restore keeps its swap and before-restore backups."""
    for page in ddb.get_paginator("list_backups").paginate():
        for backup in page["BackupSummaries"]:
            if ours(backup["TableName"]):
                ddb.delete_backup(BackupArn=backup["BackupArn"])


def seed_dynamodb(items):
    """The table as the operations runbook describes it, made afresh on every seeding: a pitr-restore swaps in a
    different table (restored from a backup, new creation time, no stream until re-enabled) and leaves backups and
    maybe its `-restore` copy behind; all of that goes."""
    ddb = client("dynamodb")
    names = [name for page in ddb.get_paginator("list_tables").paginate() for name in page["TableNames"]]
    delete_backups(ddb)
    for name in filter(ours, names):
        ddb.delete_table(TableName=name)
        ddb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "GSI1PK", "GSI2PK")
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": f"{index}PK", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in ("GSI1", "GSI2")
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    for number in range(items):
        ddb.put_item(
            TableName=TABLE,
            Item={
                "PK": {"S": f"TENANT#{TENANT}"},
                "SK": {"S": f"SALE#{number:05d}"},
                # Section 6.2's access pattern: the service queries GSI1 for its tenant.
                "GSI1PK": {"S": f"TENANT#{TENANT}"},
                "GSI2PK": {"S": f"PRODUCT#{number % 7}"},
                "amount": {"N": str(10 + number)},
            },
        )
    window = ddb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"
    ]
    return {
        "table": TABLE,
        "items": items,
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "earliest_restorable": window["EarliestRestorableDateTime"].isoformat(),
        "latest_restorable": window["LatestRestorableDateTime"].isoformat(),
    }


def drain(sqs, url):
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages", [])
        if not messages:
            return
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def seed_sqs(dlq_messages):
    sqs = client("sqs")
    dlq_url = sqs.create_queue(QueueName=DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    main_url = sqs.create_queue(
        QueueName=MAIN_QUEUE,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})},
    )["QueueUrl"]
    # Idempotent: the DLQ holds exactly `dlq_messages` messages afterwards and the main queue none. PurgeQueue is
    # limited to once a minute, so queues are drained by hand.
    drain(sqs, dlq_url)
    drain(sqs, main_url)
    for start in range(0, dlq_messages, 10):
        sqs.send_message_batch(
            QueueUrl=dlq_url,
            Entries=[
                {
                    "Id": str(number),
                    "MessageBody": json.dumps({"tenant": TENANT, "sale": number, "error": "Task timed out"}),
                    "MessageAttributes": {"tenant": {"DataType": "String", "StringValue": TENANT}},
                }
                for number in range(start, min(start + 10, dlq_messages))
            ],
        )
    return {"dlq": DLQ, "main_queue": MAIN_QUEUE, "dlq_messages": dlq_messages}


def lambda_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


# The function's timeout as seeded; dlq-replay raises it (section 6.1), and seeding puts it back.
TIMEOUT = 300


def seed_metrics():
    """CloudWatch figures sections 4 and 6.1 read: invocations in the last hour, and durations close to the timeout
    (what section 6.1's diagnosis looks for before raising it). Put again only when the last hour has none."""
    cloudwatch = client("cloudwatch")
    dimensions = [{"Name": "FunctionName", "Value": FUNCTION}]
    now = datetime.datetime.now(datetime.timezone.utc)
    recent = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=dimensions,
        StartTime=now - datetime.timedelta(minutes=55),
        EndTime=now,
        Period=300,
        Statistics=["Maximum"],
    )["Datapoints"]
    if not recent:
        cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {"MetricName": "Invocations", "Dimensions": dimensions, "Value": 1, "Unit": "Count",
                 "Timestamp": now - datetime.timedelta(minutes=minutes)}
                for minutes in (50, 35, 20, 5)
            ]
            + [
                {"MetricName": "Duration", "Dimensions": dimensions, "Value": value, "Unit": "Milliseconds",
                 "Timestamp": now - datetime.timedelta(minutes=minutes)}
                for minutes, value in ((50, 182_000.0), (35, 240_500.0), (20, 299_870.0), (5, 299_990.0))
            ],
        )
    return {"invocations_last_hour": 4, "duration_max_ms": 299_990.0}


def seed_logs():
    """The validator's log group with a day's work in it: one run's phases, batches, the daily validation summary
    that section 4.5 looks for in the last 24 hours, and the run's REPORT line (6.2). Put again only when the last
    23 hours have none."""
    logs = client("logs")
    group = f"/aws/lambda/{FUNCTION}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    if not logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="seed")["logStreams"]:
        logs.create_log_stream(logGroupName=group, logStreamName="seed")
    now = int(time.time() * 1000)
    recent = logs.filter_log_events(
        logGroupName=group, startTime=now - 23 * 3600 * 1000, filterPattern="validation_summary"
    )["events"]
    if not recent:
        request = "8f5c2a1e-0b6d-4c1e-9a7f-3d2b1c0e9f8a"
        logs.put_log_events(
            logGroupName=group,
            logStreamName="seed",
            # One healthy run as section 6.2 reads it: its phases (`<Phase> START` / `<Phase> COMPLETED`) and
            # the REPORT line with its Duration, well within the timeout.
            logEvents=[
                {"timestamp": now - 80_000, "message": f"START RequestId: {request} Version: $LATEST"},
                {"timestamp": now - 80_000, "message": "RowCountCheck START"},
                {"timestamp": now - 40_000, "message": "RowCountCheck COMPLETED"},
                {"timestamp": now - 40_000, "message": "EmbeddingCheck START"},
                {"timestamp": now - 15_000, "message": "EmbeddingCheck COMPLETED"},
            ]
            + [{"timestamp": now - 1000 * i, "message": f"INFO processed batch {i}"} for i in range(5, 0, -1)]
            + [
                {"timestamp": now, "message": 'INFO validation_summary {"status": "OK", "checks": 6, "failed": 0}'},
                {"timestamp": now, "message": f"END RequestId: {request}"},
                {
                    "timestamp": now,
                    "message": f"REPORT RequestId: {request}\tDuration: 80512.33 ms\tBilled Duration: 80513 ms"
                    "\tMemory Size: 512 MB\tMax Memory Used: 181 MB",
                },
            ],
        )


def lambda_role():
    """The role the service's functions run as (moto checks that it exists)."""
    iam = client("iam")
    role = "bg-remover-dev-lambda"
    try:
        return iam.get_role(RoleName=role)["Role"]["Arn"]
    except ClientError:
        return iam.create_role(
            RoleName=role,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
        )["Role"]["Arn"]


def seed_lambda():
    role_arn = lambda_role()
    lam = client("lambda")
    if not exists({"ResourceNotFoundException"}, lambda: lam.get_function(FunctionName=FUNCTION)):
        lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.12",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": lambda_zip()},
            Timeout=TIMEOUT,
            MemorySize=512,
        )
    versions = [
        v["Version"]
        for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=FUNCTION)
        for v in page["Versions"]
    ]
    published = [v for v in versions if v != "$LATEST"]
    while len(published) < 3:
        lam.update_function_configuration(FunctionName=FUNCTION, Description=f"release {len(published) + 1}")
        published.append(lam.publish_version(FunctionName=FUNCTION)["Version"])
    # dlq-replay changes $LATEST's timeout; the published versions are immutable.
    if lam.get_function_configuration(FunctionName=FUNCTION)["Timeout"] != TIMEOUT:
        lam.update_function_configuration(FunctionName=FUNCTION, Timeout=TIMEOUT)
    newest = max(published, key=int)
    if exists({"ResourceNotFoundException"}, lambda: lam.get_alias(FunctionName=FUNCTION, Name="live")):
        lam.update_alias(FunctionName=FUNCTION, Name="live", FunctionVersion=newest)
    else:
        lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion=newest)
    seed_logs()
    metrics = seed_metrics()
    return {
        "function": FUNCTION,
        "versions": sorted(published, key=int),
        "alias": "live",
        "alias_version": newest,
        "timeout": TIMEOUT,
        **metrics,
    }


EXPORTER = "bg-remover-dev-s3-exporter"
EXPORT_RULE = "bg-remover-dev-s3-export-schedule"


def seed_exporter():
    """Section 6.4's moving parts, healthy: the exporter function, its schedule (an EventBridge rule, enabled,
    targeting it) and its log group with an export that completed minutes ago. The log line is put again when the
    last 15 minutes have none."""
    lam = client("lambda")
    if not exists({"ResourceNotFoundException"}, lambda: lam.get_function(FunctionName=EXPORTER)):
        lam.create_function(
            FunctionName=EXPORTER,
            Runtime="python3.12",
            Role=lambda_role(),
            Handler="handler.handler",
            Code={"ZipFile": lambda_zip()},
            Timeout=300,
            MemorySize=512,
        )
    exporter_arn = lam.get_function(FunctionName=EXPORTER)["Configuration"]["FunctionArn"]
    events = client("events")
    events.put_rule(Name=EXPORT_RULE, ScheduleExpression="rate(15 minutes)", State="ENABLED")
    events.put_targets(Rule=EXPORT_RULE, Targets=[{"Id": "exporter", "Arn": exporter_arn}])
    logs = client("logs")
    group = f"/aws/lambda/{EXPORTER}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    if not logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="seed")["logStreams"]:
        logs.create_log_stream(logGroupName=group, logStreamName="seed")
    now = int(time.time() * 1000)
    recent = logs.filter_log_events(logGroupName=group, startTime=now - 15 * 60 * 1000, filterPattern="COMPLETED")
    if not recent["events"]:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="seed",
            logEvents=[
                {"timestamp": now - 120_000, "message": "S3Export START"},
                {"timestamp": now - 60_000, "message": 'S3Export COMPLETED {"rows": 40, "table": "sales_history"}'},
            ],
        )
    return {"function": EXPORTER, "rule": EXPORT_RULE, "log_group": group}


EMBEDDINGS = "bg-remover-dev-embeddings"


def seed_embeddings(memories):
    """What section 4.3 and 4.4 look for, fresh: an `EmbeddingGenerated` line in the embeddings function's log
    group (put again when the last 5 minutes have none), and `memories` mem0 entries in the table, found through
    GSI2 (`TENANT#<tenant>#EMBEDTYPE#MEM0`) with their `CreatedAt` (epoch milliseconds) set to now on every
    seeding. Seed after `dynamodb`, which makes the table afresh."""
    logs = client("logs")
    group = f"/aws/lambda/{EMBEDDINGS}"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    if not logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="seed")["logStreams"]:
        logs.create_log_stream(logGroupName=group, logStreamName="seed")
    now = int(time.time() * 1000)
    if not logs.filter_log_events(logGroupName=group, startTime=now - 5 * 60 * 1000, filterPattern="EmbeddingGenerated")[
        "events"
    ]:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="seed",
            logEvents=[{"timestamp": now, "message": f'INFO EmbeddingGenerated {{"tenant": "{TENANT}", "count": 12}}'}],
        )
    ddb = client("dynamodb")
    for number in range(memories):
        ddb.put_item(
            TableName=TABLE,
            Item={
                "PK": {"S": f"TENANT#{TENANT}#MEM0"},
                "SK": {"S": f"MEMORY#{number:03d}"},
                "GSI2PK": {"S": f"TENANT#{TENANT}#EMBEDTYPE#MEM0"},
                "CreatedAt": {"N": str(now - 1000 * number)},
            },
        )
    return {"function": EMBEDDINGS, "log_group": group, "mem0_entries": memories}


# Section 5.1's expected daily costs (baseline), by Cost Explorer service name: USD 0.14 a day in all.
BASELINE_COSTS = {
    "AWS Lambda": "0.07",
    "Amazon DynamoDB": "0.01",
    "Amazon Simple Storage Service": "0.03",
    "Amazon Athena": "0.02",
    "Amazon Simple Notification Service": "0.01",
}


def seed_costs():
    """Cost Explorer's answer for a day at the baseline of section 5.1. Moto tracks no costs: it answers queued
    results (its /moto-api/static/ce/cost-and-usage-results), the first queued one to the first request with new
    parameters, so this queues one such day for `runbook run cost-report`; a request after the queue is empty gets
    no figures."""
    import urllib.request

    yesterday = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).date()
    result = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": str(yesterday), "End": str(yesterday + datetime.timedelta(days=1))},
                "Total": {},
                "Groups": [
                    {"Keys": [service], "Metrics": {"BlendedCost": {"Amount": amount, "Unit": "USD"}}}
                    for service, amount in BASELINE_COSTS.items()
                ],
                "Estimated": True,
            }
        ],
        "DimensionValueAttributes": [],
    }
    request = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"].rstrip("/") + "/moto-api/static/ce/cost-and-usage-results",
        data=json.dumps({"results": [result]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).read()
    return {"day": str(yesterday), "total": round(sum(float(a) for a in BASELINE_COSTS.values()), 2)}


def seed_stack():
    """The stack, created complete. One in any other state (updated, rolled back, failed) is deleted and made again,
    as no runbook can put a stack back by itself."""
    cfn = client("cloudformation")
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "bg-remover-dev-alerts"}}},
    }
    try:
        status = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ValidationError":
            raise
        status = None
    if status not in (None, "CREATE_COMPLETE"):
        cfn.delete_stack(StackName=STACK)
        cfn.get_waiter("stack_delete_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1})
        status = None
    if status is None:
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        cfn.get_waiter("stack_create_complete").wait(StackName=STACK, WaiterConfig={"Delay": 1})
    return {"stack": STACK, "status": cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]}


def iceberg_metadata(location, snapshots, current, previous_files):
    """A valid Iceberg v2 table metadata document with the given snapshots (ids ascending in time)."""
    base_ms = 1767096000000  # 2025-12-30T12:00:00Z
    snaps = []
    for index, snapshot_id in enumerate(snapshots):
        snaps.append(
            {
                "snapshot-id": snapshot_id,
                **({"parent-snapshot-id": snapshots[index - 1]} if index else {}),
                "sequence-number": index + 1,
                "timestamp-ms": base_ms + index * 600_000,
                "manifest-list": f"{location}/metadata/snap-{snapshot_id}-1-{uuid.uuid4()}.avro",
                "summary": {"operation": "append", "added-records": str(100 * (index + 1))},
                "schema-id": 0,
            }
        )
    return {
        "format-version": 2,
        "table-uuid": "5f0c2a3e-8d55-4f0e-9a43-1f5a6b7c8d9e",
        "location": location,
        "last-sequence-number": len(snapshots),
        "last-updated-ms": base_ms + (len(snapshots) - 1) * 600_000,
        "last-column-id": 3,
        "current-schema-id": 0,
        "schemas": [
            {
                "type": "struct",
                "schema-id": 0,
                "fields": [
                    {"id": 1, "name": "tenant", "required": False, "type": "string"},
                    {"id": 2, "name": "sale_id", "required": False, "type": "long"},
                    {"id": 3, "name": "amount", "required": False, "type": "double"},
                ],
            }
        ],
        "default-spec-id": 0,
        "partition-specs": [{"spec-id": 0, "fields": []}],
        "last-partition-id": 999,
        "default-sort-order-id": 0,
        "sort-orders": [{"order-id": 0, "fields": []}],
        "properties": {},
        "current-snapshot-id": current,
        "refs": {"main": {"snapshot-id": current, "type": "branch"}},
        "snapshots": snaps,
        "snapshot-log": [{"snapshot-id": s["snapshot-id"], "timestamp-ms": s["timestamp-ms"]} for s in snaps],
        "metadata-log": previous_files,
    }


def seed_iceberg():
    """The real table where pyiceberg is installed, the synthetic one otherwise."""
    s3 = client("s3")
    if not exists({"404", "NoSuchBucket", "NotFound"}, lambda: s3.head_bucket(Bucket=BUCKET)):
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    try:
        import iceberg_table
    except ImportError as error:
        print(f"seed.py: {error}; writing synthetic Iceberg metadata instead of a real table", file=sys.stderr)
        return {"real": False, **seed_synthetic_iceberg()}
    tables = iceberg_table.seed()
    glue = tables["glue"]
    return {
        "real": True,
        "bucket": BUCKET,
        "database": DATABASE,
        "iceberg_table": ICEBERG_TABLE,
        "metadata_location": glue["metadata_location"],
        "snapshots": glue["snapshots"],
        "glue": glue,
        "s3tables": tables["s3tables"],
    }


def seed_synthetic_iceberg():
    s3 = client("s3")
    if not exists({"404", "NoSuchBucket", "NotFound"}, lambda: s3.head_bucket(Bucket=BUCKET)):
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    glue = client("glue")
    if not exists({"EntityNotFoundException"}, lambda: glue.get_database(Name=DATABASE)):
        glue.create_database(DatabaseInput={"Name": DATABASE})
    location = f"s3://{BUCKET}/warehouse/{DATABASE}/{ICEBERG_TABLE}"
    snapshots = [3051729675574597004, 5937117119577207079, 7613455830221459290]
    key = f"warehouse/{DATABASE}/{ICEBERG_TABLE}/metadata/00003-1b2c3d4e-0000-4000-8000-000000000003.metadata.json"
    metadata_location = f"s3://{BUCKET}/{key}"
    document = iceberg_metadata(location, snapshots, snapshots[-1], [])
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(document).encode(), ContentType="application/json")
    table_input = {
        "Name": ICEBERG_TABLE,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"table_type": "ICEBERG", "metadata_location": metadata_location},
        "StorageDescriptor": {"Location": location, "Columns": [{"Name": "tenant", "Type": "string"}]},
    }
    if exists({"EntityNotFoundException"}, lambda: glue.get_table(DatabaseName=DATABASE, Name=ICEBERG_TABLE)):
        glue.update_table(DatabaseName=DATABASE, TableInput=table_input)
    else:
        glue.create_table(DatabaseName=DATABASE, TableInput=table_input)
    return {
        "bucket": BUCKET,
        "database": DATABASE,
        "iceberg_table": ICEBERG_TABLE,
        "metadata_location": metadata_location,
        "snapshots": snapshots,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dlq-messages", type=int, default=50)
    parser.add_argument("--items", type=int, default=40)
    # Tests of one procedure seed only what it touches: the Iceberg table (pyarrow's import, loads a second apart)
    # is most of the seeding time, and two cores run many tests at once.
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts of the world to seed (default all: {','.join(PARTS)})",
    )
    args = parser.parse_args()
    if "AWS_ENDPOINT_URL" not in os.environ:
        sys.exit("seed.py: set AWS_ENDPOINT_URL to the emulator (this never talks to real AWS)")
    only = [part for part in args.only.split(",") if part]
    unknown = [part for part in only if part not in PARTS]
    if unknown:
        sys.exit(f"seed.py: unknown parts {unknown}; the parts are {list(PARTS)}")
    world = {"region": REGION, "account": ACCOUNT}
    for part in PARTS:
        if part in only:
            world[part] = PARTS[part](args)
    print(json.dumps(world))


# Every part of the world, in seeding order.
PARTS = {
    "dynamodb": lambda args: seed_dynamodb(args.items),
    "sqs": lambda args: seed_sqs(args.dlq_messages),
    "lambda": lambda args: seed_lambda(),
    "cloudformation": lambda args: seed_stack(),
    "exporter": lambda args: seed_exporter(),
    "embeddings": lambda args: seed_embeddings(3),
    "costs": lambda args: seed_costs(),
    "iceberg": lambda args: seed_iceberg(),
}


if __name__ == "__main__":
    main()
