//! The JSONata pieces of the Iceberg expansion (src/step_functions/iceberg.rs) against what the engine's composite
//! does on the same values, evaluated by the emulator's JSONata as tests/e2e/jsonata.rs evaluates translations.
//! That evaluator's `$parse` rounds integers through doubles as Step Functions' does, so a snapshot id handled as
//! a number comes back wrong here as it would on AWS.

use runbook::step_functions::iceberg::{
    canonical_id, holds_mark, metadata_text, parse_metadata, rfc3339,
};
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
    // Each number is text once parsed: U+0001, then its digits as written.
    let marked = |number: i64| json!(format!("\u{1}{number}"));
    let parsed = values[1].as_ref().unwrap();
    assert_eq!(parsed["current-snapshot-id"], marked(i64::MAX));
    assert_eq!(
        parsed["snapshots"][0]["snapshot-id"],
        marked((1_i64 << 53) + 1)
    );
    assert_eq!(parsed["snapshots"][0]["parent-snapshot-id"], marked(-1));
    assert_eq!(parsed["snapshots"][1]["snapshot-id"], marked(i64::MIN));
    assert_eq!(parsed["statistics"][0]["snapshot-id"], marked(i64::MIN));
    // The string that looks like ids is text, untouched.
    assert_eq!(
        parsed["snapshots"][0]["summary"],
        original["snapshots"][0]["summary"]
    );
    assert_eq!(parsed["last-updated-ms"], marked(1767104100000));
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

/// The emulator's `$string` answers as Step Functions' JSONata (jsonata-js 2.0.6) does: every number, nested or not,
/// rounded to 15 significant digits, then printed as JavaScript prints it; jsonata-js issue 669 gives the first.
#[test]
fn the_emulator_strings_numbers_as_step_functions_jsonata_does() {
    let expressions = [
        "$string(1e15 + 1)".to_string(),
        "$string($value)".to_string(),
        "\"size \" & $value.size".to_string(),
    ];
    let value = json!({
        "size": 12345678901234567_i64,
        "ratio": 0.12345678901234568,
        "huge": 1.5e300,
        "zero": -0.0,
        "tiny": 1e-7,
        "whole": 1e21,
        "list": [9007199254740993_i64, 2.5]
    });
    let values = jsonata_values(&expressions, &json!({"value": value}));
    let texts: Vec<Value> = values.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        texts,
        [
            json!("1000000000000000"),
            json!(
                r#"{"size":12345678901234600,"ratio":0.123456789012346,"huge":1.5e+300,"zero":0,"tiny":1e-7,"whole":1e+21,"list":[9007199254740990,2.5]}"#
            ),
            json!("size 12345678901234600"),
        ]
    );
}

/// Metadata text, compact as `$string` writes it, with numbers a double cannot keep (and one it keeps, written
/// in forms JavaScript would print otherwise) outside snapshot ids, and digits inside a string.
const NUMBERS: &str = r#"{"format-version":2,"current-snapshot-id":9223372036854775807,"last-updated-ms":1767104100000,"snapshots":[{"snapshot-id":-9223372036854775808,"timestamp-ms":1767104100000,"summary":{"operation":"append","note":"size 12345678901234567 bytes, \"quoted\" 1.5e300 \\ -0.0"}}],"statistics":[{"snapshot-id":9007199254740993,"file-size-in-bytes":12345678901234567,"ratio":0.12345678901234568,"huge":1.5e300,"upper":1E-7,"zero":-0.0,"wide":12345678901234567890,"padded":2.50}],"empty":[],"nothing":{}}"#;

#[test]
fn every_number_of_the_metadata_survives_the_round_trip_with_its_digits() {
    let expressions = [
        metadata_text(&parse_metadata("$text")),
        // Without the quoting: the evaluator rounds as Step Functions would, so the first case can fail.
        "$string($parse($text))".to_string(),
    ];
    let values = jsonata_values(&expressions, &json!({"text": NUMBERS}));
    assert_eq!(values[0].as_ref().unwrap(), &json!(NUMBERS));
    assert_ne!(values[1].as_ref().unwrap(), &json!(NUMBERS));
}

#[test]
fn metadata_that_already_holds_the_mark_is_refused() {
    let texts = [
        NUMBERS.to_string(),
        NUMBERS.replace("quoted", "\\u0001"),
        NUMBERS.replace("quoted", "\u{1}"),
    ];
    let expressions: Vec<String> = (0..texts.len())
        .map(|i| holds_mark(&format!("$texts[{i}]")))
        .collect();
    let values = jsonata_values(&expressions, &json!({"texts": texts}));
    let held: Vec<Value> = values.into_iter().map(Result::unwrap).collect();
    assert_eq!(held, [json!(false), json!(true), json!(true)]);
}
