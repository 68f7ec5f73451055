"""The operations runbook's Iceberg table `pricing_intelligence_dev.sales_history`, written for real by pyiceberg.

Real metadata JSON, manifest lists, manifests and Parquet data files, three snapshots (three appends), catalogued
twice in the emulator so `iceberg-rollback` can be proven for both of its catalogs:

* in Glue, through pyiceberg's own Glue catalog, under `s3://carousel-labs-analytics-dev/pricing-intelligence/`;
* in S3 Tables (table bucket `carousel-labs-analytics-dev`, namespace `pricing_intelligence_dev`), through the small
  S3 Tables catalog below, in the table's own managed storage.

The third snapshot is the "bad load" a rollback undoes: 60 rows with negative amounts on top of 240 good ones.

Idempotent: an existing table written by this module is kept (its snapshot ids with it); if it was rolled back, its
newest snapshot is made current again, so a re-seed always leaves the table at its head. A table this module did
not write (the synthetic metadata of earlier seeds, say) is replaced.

Also the independent reader the tests use: `python iceberg_table.py read --catalog glue|s3tables [--snapshot-id N]`
prints what pyiceberg sees (current snapshot, row counts), never going through runbook's own code.
"""

import argparse
import datetime
import json
import os
import sys
import time

import boto3
from botocore.exceptions import ClientError

import pyarrow as pa
from pyiceberg.catalog import MetastoreCatalog
from pyiceberg.catalog.glue import GlueCatalog
from pyiceberg.catalog.noop import NoopCatalog
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.serializers import FromInputFile, ToOutputFile
from pyiceberg.table import CommitTableResponse, Table

REGION = "eu-west-1"
BUCKET = "carousel-labs-analytics-dev"
DATABASE = "pricing_intelligence_dev"
TABLE = "sales_history"
TENANT = "carousel-labs"
GLUE_LOCATION = f"s3://{BUCKET}/pricing-intelligence/{TABLE}"
# Marks a table this module wrote, so a re-seed keeps it and replaces anything else.
MARKER = "runbook.sandbox-seed"

# (label, rows, first sale id, amount sign): the loads of three days; the last one is the corruption.
LOADS = [
    ("2025-12-28", 120, 0, 1),
    ("2025-12-29", 120, 120, 1),
    ("2025-12-30", 60, 240, -1),
]

SCHEMA = pa.schema(
    [
        pa.field("tenant_id", pa.string()),
        pa.field("sale_id", pa.int64()),
        pa.field("product_id", pa.string()),
        pa.field("amount", pa.float64()),
        pa.field("sold_on", pa.date32()),
    ]
)


def credentials():
    return (
        os.environ["AWS_ENDPOINT_URL"],
        os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def io_properties():
    endpoint, key, secret = credentials()
    # `s3.region` must be set: without it pyarrow asks real AWS where the bucket is.
    return {
        "s3.endpoint": endpoint,
        "s3.region": REGION,
        "s3.access-key-id": key,
        "s3.secret-access-key": secret,
    }


def client(service):
    endpoint, key, secret = credentials()
    return boto3.client(
        service, region_name=REGION, endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret
    )


def glue_catalog():
    endpoint, key, secret = credentials()
    return GlueCatalog(
        "glue",
        **{
            "glue.endpoint": endpoint,
            "glue.region": REGION,
            "glue.access-key-id": key,
            "glue.secret-access-key": secret,
            **io_properties(),
        },
    )


def rows(label, count, first, sign):
    day = datetime.date.fromisoformat(label)
    return pa.Table.from_pylist(
        [
            {
                "tenant_id": TENANT,
                "sale_id": first + n,
                "product_id": f"PRODUCT#{(first + n) % 7}",
                "amount": sign * float(10 + (first + n) % 90),
                "sold_on": day,
            }
            for n in range(count)
        ],
        schema=SCHEMA,
    )


class S3TablesCatalog(MetastoreCatalog, NoopCatalog):
    """Just enough of an Iceberg catalog over the S3 Tables API for pyiceberg to create, load and append.

    pyiceberg 0.12 has no S3 Tables catalog of its own (AWS points it at the Iceberg REST endpoint, which moto does
    not serve). The pointer is `GetTableMetadataLocation`; a commit writes the next metadata file into the table's
    warehouse and swaps the pointer with `UpdateTableMetadataLocation`, guarded by the version token. Everything
    else a catalog can do is NoopCatalog's "not implemented".
    """

    def __init__(self, bucket_arn):
        super().__init__("s3tables", **io_properties())
        self.bucket_arn = bucket_arn
        self.api = client("s3tables")
        self.s3 = client("s3")

    def _pointer(self, namespace, name):
        try:
            return self.api.get_table_metadata_location(tableBucketARN=self.bucket_arn, namespace=namespace, name=name)
        except ClientError as error:
            if error.response["Error"]["Code"] == "NotFoundException":
                raise NoSuchTableError(f"{namespace}.{name}") from error
            raise

    def load_table(self, identifier):
        namespace, name = identifier
        location = self._pointer(namespace, name).get("metadataLocation")
        if not location:
            raise NoSuchTableError(f"{namespace}.{name} has no Iceberg metadata yet")
        io = self._load_file_io(location=location)
        return Table(
            identifier=identifier,
            metadata=FromInputFile.table_metadata(io.new_input(location)),
            metadata_location=location,
            io=io,
            catalog=self,
        )

    def _write_metadata_head_checked(self, metadata, io, path):
        # S3 Tables storage answers ListObjectsV2 with 405 (on AWS as in moto), and pyarrow's "does it exist?" lists
        # when the object is missing. HEAD alone answers the question; then write without pyarrow's check.
        bucket, key = path.removeprefix("s3://").split("/", 1)
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
            raise CommitFailedException(f"{path} already exists")
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                raise
        ToOutputFile.table_metadata(metadata, io.new_output(path), overwrite=True)

    def commit_table(self, table, requirements, updates):
        namespace, name = table.name()
        pointer = self._pointer(namespace, name)
        current = self.load_table((namespace, name)) if pointer.get("metadataLocation") else None
        staged = self._update_and_stage_table(current, (namespace, name), requirements, updates)
        self._write_metadata_head_checked(staged.metadata, staged.io, staged.metadata_location)
        try:
            self.api.update_table_metadata_location(
                tableBucketARN=self.bucket_arn,
                namespace=namespace,
                name=name,
                versionToken=pointer["versionToken"],
                metadataLocation=staged.metadata_location,
            )
        except ClientError as error:
            raise CommitFailedException(str(error)) from error
        return CommitTableResponse(metadata=staged.metadata, metadata_location=staged.metadata_location)

    def create_in_warehouse(self, namespace, name, warehouse):
        """Writes the first metadata file of an S3 table that exists but has never had an Iceberg commit."""
        staged = self._create_staged_table(
            identifier=(namespace, name), schema=SCHEMA, location=warehouse, properties={MARKER: "1"}
        )
        self._write_metadata_head_checked(staged.metadata, staged.io, staged.metadata_location)
        pointer = self._pointer(namespace, name)
        self.api.update_table_metadata_location(
            tableBucketARN=self.bucket_arn,
            namespace=namespace,
            name=name,
            versionToken=pointer["versionToken"],
            metadataLocation=staged.metadata_location,
        )
        return self.load_table((namespace, name))


def fill(tables):
    """Appends the loads the tables do not have yet (a table created but interrupted mid-seed gets the rest).

    Loads are committed at least a second apart, round by round across the tables: `--as-of` takes a time to the
    second, and snapshots within one second could not be told apart by it. The second is counted from the end of
    a round, not its start: a slow commit late in one round and a quick one early in the next were once less than
    a second apart (a flaky as-of test under load).
    """
    last_round = 0.0
    for index, (label, count, first, sign) in enumerate(LOADS):
        behind = [name for name, table in tables.items() if len(table.snapshots()) <= index]
        if not behind:
            continue
        time.sleep(max(0.0, last_round + 1.05 - time.monotonic()))
        for name in behind:
            tables[name].append(rows(label, count, first, sign))
            tables[name] = tables[name].refresh()
        last_round = time.monotonic()
    return tables


def at_head(table):
    """Makes the newest snapshot current again if a rollback moved the table off it."""
    newest = max(table.snapshots(), key=lambda s: s.timestamp_ms)
    if table.current_snapshot().snapshot_id != newest.snapshot_id:
        table.manage_snapshots().set_current_snapshot(newest.snapshot_id).commit()
        table = table.refresh()
    return table


def describe(table):
    return {
        "metadata_location": table.metadata_location,
        "current_snapshot": table.current_snapshot().snapshot_id,
        "snapshots": [s.snapshot_id for s in sorted(table.snapshots(), key=lambda s: s.timestamp_ms)],
        "records": [
            int(s.summary["total-records"]) for s in sorted(table.snapshots(), key=lambda s: s.timestamp_ms)
        ],
        "timestamps_ms": [s.timestamp_ms for s in sorted(table.snapshots(), key=lambda s: s.timestamp_ms)],
    }


def glue_table():
    glue = client("glue")
    try:
        glue.get_database(Name=DATABASE)
    except ClientError:
        glue.create_database(DatabaseInput={"Name": DATABASE})
    catalog = glue_catalog()
    try:
        table = catalog.load_table((DATABASE, TABLE))
        if table.properties.get(MARKER) != "1":
            catalog.drop_table((DATABASE, TABLE))
            table = None
    except Exception:  # noqa: BLE001 - a missing table, or one pyiceberg cannot read (replaced below)
        try:
            glue.delete_table(DatabaseName=DATABASE, Name=TABLE)
        except ClientError:
            pass
        table = None
    if table is None:
        table = catalog.create_table((DATABASE, TABLE), schema=SCHEMA, location=GLUE_LOCATION, properties={MARKER: "1"})
    return table


def table_bucket_arn():
    api = client("s3tables")
    for bucket in api.list_table_buckets(prefix=BUCKET)["tableBuckets"]:
        if bucket["name"] == BUCKET:
            return bucket["arn"]
    return api.create_table_bucket(name=BUCKET)["arn"]


def s3tables_table():
    api = client("s3tables")
    arn = table_bucket_arn()
    try:
        api.create_namespace(tableBucketARN=arn, namespace=[DATABASE])
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConflictException":
            raise
    try:
        api.create_table(tableBucketARN=arn, namespace=DATABASE, name=TABLE, format="ICEBERG")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConflictException":
            raise
    catalog = S3TablesCatalog(arn)
    try:
        table = catalog.load_table((DATABASE, TABLE))
    except NoSuchTableError:
        warehouse = api.get_table(tableBucketARN=arn, namespace=DATABASE, name=TABLE)["warehouseLocation"]
        table = catalog.create_in_warehouse(DATABASE, TABLE, warehouse)
    return table


def seed():
    tables = fill({"glue": glue_table(), "s3tables": s3tables_table()})
    return {
        "glue": describe(at_head(tables["glue"])),
        "s3tables": {"table_bucket_arn": table_bucket_arn(), **describe(at_head(tables["s3tables"]))},
    }


def load(catalog_name):
    if catalog_name == "glue":
        return glue_catalog().load_table((DATABASE, TABLE))
    return S3TablesCatalog(table_bucket_arn()).load_table((DATABASE, TABLE))


def read(catalog_name, snapshot_id):
    """What an independent Iceberg reader sees: the current snapshot and its rows, or those of `snapshot_id`."""
    table = load(catalog_name)
    scan = table.scan(snapshot_id=snapshot_id) if snapshot_id is not None else table.scan()
    data = scan.to_arrow()
    return {
        "metadata_location": table.metadata_location,
        "current_snapshot": table.current_snapshot().snapshot_id,
        "rows": data.num_rows,
        "negative_amounts": sum(1 for amount in data.column("amount").to_pylist() if amount < 0),
        "snapshot_log": [entry.snapshot_id for entry in table.metadata.snapshot_log],
        "metadata_log": [entry.metadata_file for entry in table.metadata.metadata_log],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed")
    reader = commands.add_parser("read")
    reader.add_argument("--catalog", choices=["glue", "s3tables"], default="glue")
    reader.add_argument("--snapshot-id", type=int)
    args = parser.parse_args()
    if "AWS_ENDPOINT_URL" not in os.environ:
        sys.exit("iceberg_table.py: set AWS_ENDPOINT_URL to the emulator (this never talks to real AWS)")
    if args.command == "seed":
        print(json.dumps(seed()))
    else:
        print(json.dumps(read(args.catalog, args.snapshot_id)))


if __name__ == "__main__":
    main()
