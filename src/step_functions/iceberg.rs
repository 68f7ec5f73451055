//! The Iceberg composites (`glue.iceberg_*`, `s3tables.iceberg_*`) expanded into states that do what
//! `actions::composites::iceberg_rollback` does: read the catalog's pointer and the metadata file it names, list
//! the snapshots or write the rolled-back metadata file and swap the pointer, with the same outputs and the same
//! errors.
//!
//! No number of a metadata file is ever a JSONata number. JSONata's numbers are doubles, exact only up to 2^53,
//! and snapshot ids are signed 64-bit integers; and Step Functions' JSONata (jsonata-js 2.0.6) writes every number
//! `$string` prints, nested or not, rounded to 15 significant digits (jsonata-js issue 669), so a file size of 17
//! digits, a 17-digit double or a long default would be written back changed. So [`parse_metadata`] quotes every
//! JSON number of the text before `$parse`, marked (U+0001, which [`holds_mark`] makes sure the file does not hold:
//! such a file fails with `UnsupportedMetadata`), the states compare and carry ids as decimal text (as the
//! composites' outputs give them) and read the numbers they compute with (times in milliseconds, the versions to
//! keep) from the quoted digits explicitly, and [`metadata_text`] unquotes every number, each written back with the
//! digits read.
//!
//! The metadata text is GetObject's `Body` as Step Functions gives it in an `aws-sdk:s3:getObject` task's result:
//! the object's text (the AWS SDK's stream, read). AWS's developer guide page on AWS SDK integrations
//! (docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html) names S3 as supported and
//! `SelectObjectContent` as its one unsupported action, but does not say what a streamed `Body` becomes; state
//! machines people publish parse it as text (`States.StringToJson($.Body)`), as scripts/moto_server.py gives it.
//!
//! S3 Tables' answer is read under the member names Step Functions gives it (`MetadataLocation`, PascalCase, not the
//! API's `metadataLocation`; scripts/moto_server.py makes the emulator answer so). What differs from the engine: a
//! metadata file that is not JSON fails its read task with JSONata's `$parse` error rather than the composite's
//! `InvalidIcebergMetadata`, one holding U+0001 fails, and "already at the target" is not logged (the step's output
//! says it: the same snapshot and metadata location before and after).

use serde_json::{Value, json};

use super::aws_sdk_task::aws_sdk_task;
use super::{Export, Place, jsonata_field, literal};
use crate::actions::composites::iceberg_rollback::TABLE_INPUT_MEMBERS;
use crate::language::runbook::ActionStep;

/// The mark that starts a JSON number carried as text, as JSONata writes it in a string or a regex: U+0001, a control
/// character, which JSON text cannot hold raw, so a string holds it only when the text escapes it (`\u0001`);
/// [`holds_mark`] refuses such a text.
const MARK: &str = r"\u0001";
/// A JSONata regex matching one JSON string (which holds no unescaped quote) or one JSON number. Tried at each
/// place from the left, it matches a string whole from its opening quote, so the digits inside a string are never
/// taken for a number. (`[^\\"]`, not `[^"\\]`: JSONata's tokenizer does not count a `]` after a backslash as the
/// class's end, and reads on past the regex.)
const STRING_OR_NUMBER: &str = r#"/"(?:[^\\"]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/"#;
/// A JSONata regex matching one JSON string.
const STRING: &str = r#"/"(?:[^\\"]|\\.)*"/"#;

/// `$parse` of Iceberg metadata text with every number as text: U+0001 then the digits as the file writes them
/// (the text gets the escape `\u0001`, as JSON takes no raw control character). Use it where [`holds_mark`] is false.
pub fn parse_metadata(text: &str) -> String {
    format!(
        "$parse($replace({text}, {STRING_OR_NUMBER}, function($found) {{ $substring($found.match, 0, 1) = \"\\\"\" ? $found.match : \"\\\"\\{MARK}\" & $found.match & \"\\\"\" }}))"
    )
}

/// The JSON text of metadata parsed by [`parse_metadata`], each number written back with the digits read: `$string`
/// writes a marked string as `"\u0001DIGITS"` (JSON escapes a control character), which becomes `DIGITS` again.
pub fn metadata_text(metadata: &str) -> String {
    format!(
        "$replace($string({metadata}), {STRING}, function($found) {{ $substring($found.match, 0, 7) = \"\\\"\\{MARK}\" ? $substring($found.match, 7, $length($found.match) - 8) : $found.match }})"
    )
}

/// Whether metadata text holds the mark, raw or escaped (or a backslash and `u0001`, refused with them rather
/// than told apart): its numbers could not be told from its strings after [`parse_metadata`].
pub fn holds_mark(text: &str) -> String {
    format!("$contains({text}, /{MARK}|\\{MARK}/)")
}

/// A number of parsed metadata (see [`parse_metadata`]) as its digits, `null` when `value` is not a number.
fn number_text(value: &str) -> String {
    format!(
        "($marked := {value}; $type($marked) = \"string\" and $substring($marked, 0, 1) = \"{MARK}\" ? $substring($marked, 1) : null)"
    )
}

/// A number of parsed metadata as a JSONata number, for arithmetic and ordering (times in milliseconds, counts:
/// far below 2^53); undefined when `value` is not a number, so a comparison with it is false as with a missing one.
fn number_value(value: &str) -> String {
    format!(
        "($marked := {value}; $type($marked) = \"string\" and $substring($marked, 0, 1) = \"{MARK}\" ? $number($substring($marked, 1)))"
    )
}

/// The digits in `text` as a number of metadata to be written by [`metadata_text`].
fn marked(text: &str) -> String {
    format!("\"{MARK}\" & {text}")
}

/// A time in epoch milliseconds as `jiff::Timestamp` prints it: RFC 3339 in UTC, the fraction of a second
/// without trailing zeros, none when whole (`$fromMillis` always writes three digits).
pub fn rfc3339(millis: &str) -> String {
    format!(
        "($text := $fromMillis({millis}); $fraction := $replace($substring($text, 20, 3), /0+$/, \"\"); $substring($text, 0, 19) & ($fraction = \"\" ? \"\" : \".\" & $fraction) & \"Z\")"
    )
}

/// A snapshot id given to a rollback (text or an integer) as canonical decimal text, `null` when it is not a
/// signed 64-bit integer: the composite's `snapshot_id` (surrounding blanks, a sign, leading zeros allowed).
pub fn canonical_id(value: &str) -> String {
    format!(
        "($v := {value}; \
         $t := $type($v) = \"string\" ? $trim($v) : ($type($v) = \"number\" and $v = $floor($v) and $abs($v) <= 9007199254740992) ? $string($v) : \"\"; \
         $negative := $substring($t, 0, 1) = \"-\"; \
         $digits := $substring($t, 0, 1) in [\"-\", \"+\"] ? $substring($t, 1) : $t; \
         $digits := $contains($digits, /^[0-9]+$/) ? ($d := $replace($digits, /^0+/, \"\"); $d = \"\" ? \"0\" : $d) : \"\"; \
         $limit := $negative ? \"9223372036854775808\" : \"9223372036854775807\"; \
         $digits = \"\" or $length($digits) > 19 or ($length($digits) = 19 and $digits > $limit) ? null : \
         ($negative and $digits != \"0\" ? \"-\" : \"\") & $digits)"
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Catalog {
    Glue,
    S3Tables,
}

impl Catalog {
    fn of(action: &str) -> Catalog {
        if action.starts_with("glue.") {
            Catalog::Glue
        } else {
            Catalog::S3Tables
        }
    }

    /// `database.table` as the composite names the table in its messages, over the step's `with` in `args`.
    fn table_name(self, args: &str) -> String {
        let namespace = match self {
            Catalog::Glue => "DatabaseName",
            Catalog::S3Tables => "Namespace",
        };
        format!("$string({args}.{namespace}) & \".\" & $string({args}.Name)")
    }
}

/// `s3://bucket/key` (or `s3a://`, `s3n://`) in `location` as S3's `Bucket` and `Key` members.
fn s3_address(location: &str) -> String {
    format!(
        "($rest := $replace({location}, /^s3[an]?:\\/\\//, \"\"); {{\"Bucket\": $substringBefore($rest, \"/\"), \"Key\": $substringAfter($rest, \"/\")}})"
    )
}

impl Export<'_> {
    /// The states of an Iceberg composite, entered at `<name>.iceberg.start`, going on to `next`.
    pub(super) fn iceberg(
        &mut self,
        action: &ActionStep,
        place: &Place,
        next: &str,
    ) -> Option<String> {
        let n = &place.name;
        let catalog = Catalog::of(action.shape.name);
        let rollback = action.shape.name.ends_with("_rollback");
        let variable = place.variable("iceberg");
        let v = format!("${variable}");
        let with =
            self.templated_expression("`with`", &action.with, place.step.span, &place.scope());
        let current = format!(
            "($c := {}; $c != \"-1\" ? $c : null)",
            number_text(&format!("{v}.metadata.\"current-snapshot-id\""))
        );
        let listed = self.keep_result(action, place, &listing(&v, &current));
        let rolled = self.keep_result(
            action,
            place,
            &format!(
                "{{\"PreviousSnapshotId\": {current}, \"SnapshotId\": {v}.target, \"PreviousMetadataLocation\": {v}.location, \"MetadataLocation\": {v}.next_location}}"
            ),
        );
        let unchanged = self.keep_result(
            action,
            place,
            &format!(
                "{{\"PreviousSnapshotId\": {current}, \"SnapshotId\": {current}, \"PreviousMetadataLocation\": {v}.location, \"MetadataLocation\": {v}.location}}"
            ),
        );
        let (with, listed, rolled, unchanged) = (with?, listed?, rolled?, unchanged?);
        let table = catalog.table_name(&format!("{v}.args"));
        let state = |suffix: &str| format!("{n}.iceberg.{suffix}");

        let mut states: Vec<(String, Value)> = Vec::new();
        let mut failures: Vec<(String, &str, String)> = Vec::new();
        states.push((
            state("start"),
            json!({
                "Type": "Pass",
                "Assign": {variable.clone(): jsonata_field(&if rollback {
                    format!(
                        "($args := {with}; {{\"args\": $args, \"target\": {}}})",
                        canonical_id("$args.SnapshotId")
                    )
                } else {
                    format!("{{\"args\": {with}}}")
                })},
                "Next": if rollback { state("target") } else { state("table") },
            }),
        ));
        if rollback {
            states.push((
                state("target"),
                json!({
                    "Type": "Choice",
                    "Choices": [{"Condition": jsonata_field(&format!("{v}.target = null")), "Next": state("invalid_target")}],
                    "Default": state("table"),
                }),
            ));
            failures.push((
                state("invalid_target"),
                "InvalidRequest",
                format!(
                    "\"`SnapshotId` must be an Iceberg snapshot id, a whole number from -9223372036854775808 to 9223372036854775807 (a Java long); got \" & ($s := {v}.args.SnapshotId; $type($s) = \"string\" ? \"\\\"\" & $s & \"\\\"\" : $exists($s) ? $string($s) : \"nothing\")"
                ),
            ));
        }
        // The catalog's pointer.
        let (read_table, missing_error, missing) = match catalog {
            Catalog::Glue => (
                aws_sdk_task(
                    "glue:getTable",
                    &format!(
                        "$merge([{{\"DatabaseName\": {v}.args.DatabaseName, \"Name\": {v}.args.Name}}, $exists({v}.args.CatalogId) and {v}.args.CatalogId != null ? {{\"CatalogId\": {v}.args.CatalogId}} : {{}}])"
                    ),
                    &[(
                        &variable,
                        &format!(
                            "$merge([{v}, {{\"table\": $states.result.Table, \"location\": ($l := $states.result.Table.Parameters.metadata_location; $type($l) = \"string\" ? $l : null)}}])"
                        ),
                    )],
                    &state("location"),
                ),
                "NotAnIcebergTable",
                format!(
                    "\"Glue table \" & {table} & \" has no `metadata_location` parameter (table_type: \" & ($t := {v}.table.Parameters.table_type; $type($t) = \"string\" ? $t : \"none\") & \"); only Iceberg tables have snapshots\""
                ),
            ),
            Catalog::S3Tables => (
                aws_sdk_task(
                    "s3tables:getTableMetadataLocation",
                    &format!(
                        "{{\"TableBucketARN\": {v}.args.TableBucketARN, \"Namespace\": {v}.args.Namespace, \"Name\": {v}.args.Name}}"
                    ),
                    &[(
                        &variable,
                        &format!(
                            "($l := $states.result.MetadataLocation; $t := $states.result.VersionToken; $merge([{v}, {{\"location\": $type($l) = \"string\" ? $l : null, \"token\": $type($t) = \"string\" ? $t : \"\"}}]))"
                        ),
                    )],
                    &state("location"),
                ),
                "NoMetadataLocation",
                format!(
                    "\"S3 table \" & {table} & \" has no metadata location yet: no Iceberg commit has been made to it\""
                ),
            ),
        };
        states.push((state("table"), read_table));
        failures.push((state("not_iceberg"), missing_error, missing));
        // The checks `read_metadata` and `s3_address` make, in their order.
        let location = format!("{v}.location");
        states.push((
            state("location"),
            json!({
                "Type": "Choice",
                "Choices": [
                    {"Condition": jsonata_field(&format!("{location} = null")), "Next": state("not_iceberg")},
                    {"Condition": jsonata_field(&format!("$contains({location}, /\\.gz\\.metadata\\.json$/)")), "Next": state("compressed")},
                    {"Condition": jsonata_field(&format!("$not($contains({location}, /^s3[an]?:\\/\\//))")), "Next": state("not_s3")},
                    {"Condition": jsonata_field(&format!("$not($contains({location}, /^s3[an]?:\\/\\/[^\\/]+\\/./))")), "Next": state("no_object")},
                ],
                "Default": state("read"),
            }),
        ));
        failures.push((
            state("compressed"),
            "UnsupportedMetadata",
            format!(
                "{location} & \" is gzip-compressed; compressed Iceberg metadata is not supported\""
            ),
        ));
        failures.push((
            state("not_s3"),
            "InvalidMetadataLocation",
            format!("\"metadata location \" & {location} & \" is not an s3:// URL\""),
        ));
        failures.push((
            state("no_object"),
            "InvalidMetadataLocation",
            format!("\"metadata location \" & {location} & \" names no object\""),
        ));
        states.push((
            state("read"),
            aws_sdk_task(
                "s3:getObject",
                &s3_address(&location),
                &[(
                    &variable,
                    &format!(
                        "($text := $states.result.Body; $merge([{v}, {} ? {{\"marked\": true}} : {{\"metadata\": {}}}]))",
                        holds_mark("$text"),
                        parse_metadata("$text")
                    ),
                )],
                &state("metadata"),
            ),
        ));
        states.push((
            state("metadata"),
            json!({
                "Type": "Choice",
                "Choices": [
                    {"Condition": jsonata_field(&format!("{v}.marked = true")), "Next": state("marked")},
                    {
                        "Condition": jsonata_field(&format!("$type({v}.metadata) != \"object\" or $not($exists({v}.metadata.\"format-version\"))")),
                        "Next": state("not_metadata"),
                    },
                ],
                "Default": if rollback { state("find") } else { state("listed") },
            }),
        ));
        failures.push((
            state("marked"),
            "UnsupportedMetadata",
            format!(
                "{location} & \" holds the character U+0001 (or the text \\\\u0001), with which the Step Functions export carries the file's numbers exactly; such metadata is not supported there (the local engine reads it)\""
            ),
        ));
        failures.push((
            state("not_metadata"),
            "InvalidIcebergMetadata",
            format!("{location} & \" is not an Iceberg table metadata file (no format-version)\""),
        ));

        if !rollback {
            states.push((
                state("listed"),
                json!({"Type": "Pass", "Assign": Value::Object(listed), "Next": next}),
            ));
        } else {
            let snapshots = oldest_first(&v);
            states.push((
                state("find"),
                json!({
                    "Type": "Choice",
                    "Choices": [
                        {
                            "Condition": jsonata_field(&format!("$not({v}.target in [$map({snapshots}, function($s) {{ {} }})])", number_text("$s.\"snapshot-id\""))),
                            "Next": state("not_found"),
                        },
                        {"Condition": jsonata_field(&format!("{current} = {v}.target")), "Next": state("unchanged")},
                    ],
                    "Default": state("rolled_back"),
                }),
            ));
            failures.push((
                state("not_found"),
                "SnapshotNotFound",
                not_found(&v, &table),
            ));
            states.push((
                state("unchanged"),
                json!({"Type": "Pass", "Assign": Value::Object(unchanged), "Next": next}),
            ));
            states.push((
                state("rolled_back"),
                json!({
                    "Type": "Pass",
                    "Comment": "The metadata with the target current: the five keys the composite changes",
                    "Assign": {variable.clone(): jsonata_field(&rolled_back(&v))},
                    "Next": state("write"),
                }),
            ));
            states.push((
                state("write"),
                aws_sdk_task(
                    "s3:putObject",
                    &format!(
                        "$merge([{}, {{\"Body\": {}, \"ContentType\": \"application/json\"}}])",
                        s3_address(&format!("{v}.next_location")),
                        metadata_text(&format!("{v}.next"))
                    ),
                    &[],
                    &state("swap"),
                ),
            ));
            let swap = match catalog {
                Catalog::Glue => aws_sdk_task(
                    "glue:updateTable",
                    &format!(
                        "$merge([\
                         $exists({v}.args.CatalogId) and {v}.args.CatalogId != null ? {{\"CatalogId\": {v}.args.CatalogId}} : {{}}, \
                         {{\"DatabaseName\": {v}.args.DatabaseName, \"TableInput\": $merge([\
                         $sift({v}.table, function($value, $member) {{ $member in {} }}), \
                         {{\"Parameters\": $merge([$type({v}.table.Parameters) = \"object\" ? {v}.table.Parameters : {{}}, \
                         {{\"metadata_location\": {v}.next_location, \"previous_metadata_location\": {v}.location}}])}}])}}, \
                         $exists({v}.table.VersionId) ? {{\"VersionId\": {v}.table.VersionId}} : {{}}])",
                        literal(&json!(TABLE_INPUT_MEMBERS))
                    ),
                    &[],
                    &state("done"),
                ),
                Catalog::S3Tables => aws_sdk_task(
                    "s3tables:updateTableMetadataLocation",
                    &format!(
                        "{{\"TableBucketARN\": {v}.args.TableBucketARN, \"Namespace\": {v}.args.Namespace, \"Name\": {v}.args.Name, \"VersionToken\": {v}.token, \"MetadataLocation\": {v}.next_location}}"
                    ),
                    &[],
                    &state("done"),
                ),
            };
            states.push((state("swap"), swap));
            states.push((
                state("done"),
                json!({"Type": "Pass", "Assign": Value::Object(rolled), "Next": next}),
            ));
        }
        for (name, mut state) in states {
            if state["Type"] == "Task" {
                let service = state["Resource"]
                    .as_str()
                    .and_then(|resource| resource.split(':').nth(6))
                    .unwrap_or("s3")
                    .to_string();
                self.task_policies(&mut state, action, &service, place);
            }
            self.states.insert(name, state);
        }
        for (name, error, cause) in failures {
            self.failure(&name, &place.step.id, error, &cause, &place.failure);
        }
        Some(state("start"))
    }
}

/// The metadata's snapshots (objects), oldest first by `timestamp-ms`, as the composite sorts them.
fn oldest_first(v: &str) -> String {
    format!(
        "($all := $lookup({v}.metadata, \"snapshots\"); $type($all) = \"array\" ? [$sort([$filter($all, function($s) {{ $type($s) = \"object\" }})], function($a, $b) {{ {} > {} }})] : [])",
        number_value("$a.\"timestamp-ms\""),
        number_value("$b.\"timestamp-ms\"")
    )
}

/// `{CurrentSnapshotId, MetadataLocation, Snapshots}` as the composite's `listing` builds it.
fn listing(v: &str, current: &str) -> String {
    let time = rfc3339("$ms");
    format!(
        "{{\"CurrentSnapshotId\": {current}, \"MetadataLocation\": {v}.location, \"Snapshots\": [$map({}, function($s) {{ (\
         $ms := {millis}; $ms := $type($ms) = \"number\" and $ms = $floor($ms) ? $ms : null; \
         $summary := ($found := $lookup($s, \"summary\"); $type($found) in [\"object\", \"array\"] ? $parse({summary_text}) : \
           ($number := {summary_number}; $exists($number) ? $number : $exists($found) ? $found : {{}})); \
         $id := function($value) {{ ($digits := {id_digits}; $digits != null ? $digits : $type($value) = \"string\" ? $value : null) }}; \
         {{\"SnapshotId\": $id($lookup($s, \"snapshot-id\")), \"ParentId\": $id($lookup($s, \"parent-snapshot-id\")), \
         \"TimestampMs\": $ms, \"Timestamp\": $ms = null ? null : {time}, \
         \"Operation\": ($o := $lookup($summary, \"operation\"); $exists($o) ? $o : null), \"Summary\": $summary}}\
         ) }})]}}",
        oldest_first(v),
        millis = number_value("$lookup($s, \"timestamp-ms\")"),
        summary_text = metadata_text("$found"),
        summary_number = number_value("$found"),
        id_digits = number_text("$value"),
    )
}

/// The composite's `SnapshotNotFound` message: the 20 newest snapshots, newest first.
fn not_found(v: &str, table: &str) -> String {
    let time = rfc3339("$ms");
    format!(
        "($known := {snapshots}; $listed := [$map($reverse($known)[[0..19]], function($s) {{ (\
         $ms := {millis}; \
         $operation := $lookup($lookup($s, \"summary\"), \"operation\"); \
         ($id := {id_digits}; $id != null ? $id : \"\") & \" (\" & ($type($ms) = \"number\" ? {time} : \"?\") & \", \" & ($type($operation) = \"string\" ? $operation : \"?\") & \")\"\
         ) }})]; \
         \"snapshot \" & {v}.target & \" is not a snapshot of \" & {table} & \"; \" & \
         ($count($listed) = 0 ? \"the table has no snapshots\" : \"known snapshots, newest first\" & ($count($known) > $count($listed) ? \" (20 shown)\" : \"\") & \": \" & $join($listed, \", \")))",
        snapshots = oldest_first(v),
        millis = number_value("$lookup($s, \"timestamp-ms\")"),
        id_digits = number_text("$lookup($s, \"snapshot-id\")"),
    )
}

/// `$v` with `next` (the metadata with the target current, see the composite's `rolled_back`) and
/// `next_location` (the composite's `next_location`).
fn rolled_back(v: &str) -> String {
    format!(
        "($m := {v}.metadata; $target := {v}.target; $location := {v}.location; \
         $previous := ($p := {previous}; $type($p) = \"number\" and $p = $floor($p) ? $p : 0); \
         $updated := $max([$millis(), $previous + 1]); \
         $refs := ($r := $lookup($m, \"refs\"); $exists($r) ? $r : {{}}); \
         $main := $lookup($refs, \"main\"); \
         $refs := $type($refs) != \"object\" or ($exists($main) and $type($main) != \"object\") ? $refs : \
           $merge([$refs, {{\"main\": $merge([$exists($main) ? $main : {{\"type\": \"branch\"}}, {{\"snapshot-id\": {target}}}])}}]); \
         $snapshot_log := ($l := $lookup($m, \"snapshot-log\"); $type($l) = \"array\" ? $l : []); \
         $snapshot_log := $append($snapshot_log, [{{\"timestamp-ms\": {updated}, \"snapshot-id\": {target}}}]); \
         $keep := ($k := $lookup($lookup($m, \"properties\"), \"write.metadata.previous-versions-max\"); \
           $type($k) = \"string\" and $contains($k, /^[0-9]+$/) ? $number(($d := $replace($k, /^0+/, \"\"); $d = \"\" ? \"0\" : $d)) : \
           ($k := {keep}; $type($k) = \"number\" and $k >= 0 and $k = $floor($k) ? $k : 100)); \
         $keep := $max([$keep, 1]); \
         $metadata_log := ($l := $lookup($m, \"metadata-log\"); $type($l) = \"array\" ? $l : []); \
         $metadata_log := $append($metadata_log, [{{\"timestamp-ms\": {previous_text}, \"metadata-file\": $location}}]); \
         $metadata_log := $count($metadata_log) > $keep ? [$metadata_log[[$count($metadata_log) - $keep .. $count($metadata_log) - 1]]] : $metadata_log; \
         $file := $replace($location, /^.*\\//, \"\"); \
         $directory := $contains($location, \"/\") ? $replace($location, /\\/[^\\/]*$/, \"\") : \"\"; \
         $numbered := $contains($file, \"-\") ? $substringBefore($file, \"-\") : \"\"; \
         $hadoop := $contains($file, /^v[0-9]+\\./) ? $replace($file, /^v([0-9]+)\\..*$/, \"$1\") : \"\"; \
         $whole := function($digits) {{ ($d := $replace($digits, /^0+/, \"\"); $d = \"\" ? 0 : $number($d)) }}; \
         $version := $contains($numbered, /^[0-9]+$/) ? $whole($numbered) : $hadoop != \"\" ? $whole($hadoop) : $count($metadata_log); \
         $merge([{v}, {{\
           \"next\": $merge([$m, {{\"current-snapshot-id\": {target}, \"refs\": $refs, \"snapshot-log\": $snapshot_log, \"metadata-log\": $metadata_log, \"last-updated-ms\": {updated}}}]), \
           \"next_location\": $directory & \"/\" & $pad($string($version + 1), -5, \"0\") & \"-\" & $uuid() & \".metadata.json\"\
         }}]))",
        previous = number_value("$lookup($m, \"last-updated-ms\")"),
        target = marked("$target"),
        updated = marked("$string($updated)"),
        previous_text = marked("$string($previous)"),
        keep = number_value("$k"),
    )
}
