//! The JSONata pieces of the Iceberg expansion (src/step_functions/iceberg.rs) against what the engine's composite
//! does on the same values, evaluated by the emulator's JSONata as tests/e2e/jsonata.rs evaluates translations.
//! That evaluator's `$parse` rounds integers through doubles as Step Functions' does, so a snapshot id handled as
//! a number comes back wrong here as it would on AWS.

use runbook::step_functions::iceberg::{canonical_id, metadata_text, parse_metadata, rfc3339};
use serde_json::{Value, json};

use crate::jsonata::jsonata_values;

/// Ids at the edges of a Java long and of a double's exact integers, as a metadata file holds them.
const IDS: [i64; 4] = [i64::MAX, i64::MIN, -1, (1 << 53) + 1];

/// Metadata as Iceberg writes it, pretty-printed, with every kind of `…snapshot-id` member, and a string whose text
/// looks like one.
fn metadata() -> Value {
    let [max, min, none, beyond] = IDS;
    json!({
        "format-version": 2,
        "last-updated-ms": 1767104100000_i64,
        "current-snapshot-id": max,
        "refs": {"main": {"snapshot-id": max, "type": "branch"}, "audit": {"snapshot-id": beyond, "type": "tag"}},
        "snapshots": [
            {"snapshot-id": beyond, "parent-snapshot-id": none, "timestamp-ms": 1767099300000_i64, "sequence-number": 1,
             "summary": {"operation": "append", "note": "not an id: \"snapshot-id\": 12, {\"snapshot-id\":13}"}},
            {"snapshot-id": min, "timestamp-ms": 1767102900000_i64, "summary": {"operation": "overwrite"}},
            {"snapshot-id": max, "parent-snapshot-id": min, "timestamp-ms": 1767104100000_i64, "summary": {}}
        ],
        "snapshot-log": [{"timestamp-ms": 1767099300000_i64, "snapshot-id": beyond}],
        "statistics": [{"snapshot-id": min, "statistics-path": "s3://b/t/stats.puffin"}]
    })
}

#[test]
fn snapshot_ids_survive_the_quote_parse_string_unquote_round_trip_exactly() {
    let original = metadata();
    let text = serde_json::to_string_pretty(&original).unwrap();
    let bindings = json!({"text": text});
    let expressions = [
        metadata_text(&parse_metadata("$text")),
        parse_metadata("$text"),
        // Without the quoting: the evaluator rounds as Step Functions would, so the first case can fail.
        "$string($parse($text))".to_string(),
    ];
    let values = jsonata_values(&expressions, &bindings);
    let round_trip: Value =
        serde_json::from_str(values[0].as_ref().unwrap().as_str().unwrap()).unwrap();
    assert_eq!(round_trip, original);
    let parsed = values[1].as_ref().unwrap();
    assert_eq!(parsed["current-snapshot-id"], i64::MAX.to_string());
    assert_eq!(
        parsed["snapshots"][0]["snapshot-id"],
        ((1_i64 << 53) + 1).to_string()
    );
    assert_eq!(parsed["snapshots"][0]["parent-snapshot-id"], "-1");
    assert_eq!(parsed["snapshots"][1]["snapshot-id"], i64::MIN.to_string());
    assert_eq!(parsed["statistics"][0]["snapshot-id"], i64::MIN.to_string());
    // The string that looks like ids is text, untouched.
    assert_eq!(
        parsed["snapshots"][0]["summary"],
        original["snapshots"][0]["summary"]
    );
    assert_eq!(parsed["last-updated-ms"], 1767104100000_i64);
    let unquoted: Value =
        serde_json::from_str(values[2].as_ref().unwrap().as_str().unwrap()).unwrap();
    assert_ne!(
        unquoted["snapshots"][0]["snapshot-id"],
        original["snapshots"][0]["snapshot-id"]
    );
}

#[test]
fn times_print_as_jiff_prints_them() {
    let millis: [i64; 6] = [
        0,
        1767002400000,
        1767002400120,
        1767002400123,
        1767002400100,
        1767002400001,
    ];
    let expressions: Vec<String> = millis.iter().map(|ms| rfc3339(&ms.to_string())).collect();
    let values = jsonata_values(&expressions, &json!({}));
    for (ms, value) in millis.iter().zip(values) {
        let ours = jiff::Timestamp::from_millisecond(*ms).unwrap().to_string();
        assert_eq!(value.unwrap(), json!(ours), "{ms}");
    }
}

#[test]
fn a_snapshot_id_given_is_read_as_the_composite_reads_it() {
    let given = [
        json!("1002"),
        json!(" 007 "),
        json!("+5"),
        json!("-0"),
        json!("9223372036854775807"),
        json!("9223372036854775808"),
        json!("-9223372036854775808"),
        json!("-9223372036854775809"),
        json!("00009223372036854775807"),
        json!("12a"),
        json!(""),
        json!(42),
        json!(-3),
        json!(2.5),
        json!(true),
        Value::Null,
    ];
    let expressions: Vec<String> = (0..given.len())
        .map(|i| canonical_id(&format!("$given[{i}]")))
        .collect();
    let values = jsonata_values(&expressions, &json!({"given": given}));
    for (input, value) in given.iter().zip(values) {
        // The composite's `snapshot_id`: an i64 from an integer or from text, else its range error.
        let engine = match input {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        let expected = engine.map_or(Value::Null, |id| json!(id.to_string()));
        assert_eq!(value.unwrap(), expected, "{input}");
    }
}
