//! Our expressions and templates against their JSONata translations (src/step_functions/jsonata/), evaluated on the
//! same data: the engine's `evaluate`/`render` on one side, on the other the evaluator the emulator's Step
//! Functions runs (scripts/step_functions_jsonata.py: jsonata-python, in one Python process for every case).

use runbook::foundation::template::{evaluate, from_json_value, render, to_json_value};
use runbook::step_functions::jsonata::{self, Scope, Untranslatable};
use serde_json::{Value, json};

use crate::support::cli::repo;
use crate::support::moto::venv_bin;

/// The state every case reads, under the names a state's JSONata binds.
fn data() -> Value {
    json!({
        "params": {
            "table": "sales", "n": 7, "neg": -7, "half": 2.5, "third": 0.333_333_333_3, "flag": true, "off": false,
            "none": null, "empty": [], "zeros": [0], "s": "Hello World", "quote": "it's \"q\"\n\\",
            "map": {"k": 1, "j": [2]}, "list": [3, 1, 2], "nested": [[1, 2], [3]], "names": ["a", "b"],
            "to_version": null, "count_text": "42", "key": "j", "window": "1h30m",
            "words": ["beta", "Alpha", "alpha", "Beta", "gamma", "a"],
            "records": [{"n": 2, "name": "b"}, {"n": 1, "name": "a"}, {"n": 2, "name": "A"}], "when": "2025-12-30T14:00:00Z",
            "lambda_time": "2025-12-30T14:00:00.000+0000", "epoch": 1_767_103_200, "json": "{\"a\": [1, 2.5]}"
        },
        "steps": {
            "versions": {"output": {"Versions": [{"Version": "$LATEST"}, {"Version": "3"}, {"Version": "4"}]},
                         "published": [3, 4]},
            "current_alias": {"version": "4"}
        },
        "output": {
            "Count": 5,
            "Table": {"KeySchema": [{"AttributeName": "PK"}, {"AttributeName": "SK"}], "Max-Age": 3},
            "Snapshots": [{"SnapshotId": 1, "Summary": {"total-records": "10"}}, {"SnapshotId": 2, "Summary": {}}],
            "CurrentSnapshotId": 2
        },
        "item": {"PK": {"S": "a"}, "SK": {"S": "b"}, "amount": {"N": "10"}}
    })
}

fn scope() -> Scope {
    Scope::new()
        .bind("params", "$params")
        .bind("steps", "$steps")
        .bind("output", "$output")
        .bind("item", "$item")
}

/// Expressions, one per construct the translation covers.
const EXPRESSIONS: &[&str] = &[
    // references
    "params.table",
    "output.Table.KeySchema[0].AttributeName",
    "output.Table.KeySchema[-1]",
    "output.Table['Max-Age']",
    "steps.versions.output.Versions[1].Version",
    "params.nested[0]",
    "params.s[0]",
    "params.s[-1]",
    "params.s[params.n - 6]",
    "params.map.j",
    "params.map[params.key]",
    "params.list[params.n - 6]",
    "params.map[params.count_text] is defined",
    "params.list[1:]",
    "params.list[:-1]",
    "params.list[-2:]",
    "params.list[5:]",
    "params.s[1:4]",
    "params.s[-5:]",
    "params.list[:params.n - 6]",
    "params.list[params.neg:]",
    "params.list[params.none:params.n]",
    "params.s[params.n - 8:]",
    "params.empty[:params.n]",
    "params.names | zip(params.list)",
    "params.list | zip(params.names, params.words) | map('join', ' ') | list",
    "params.empty | zip(params.list)",
    "params.nested | zip(params.nested)",
    // literals
    r#"'it\'s "q"'"#,
    "42",
    "2.5",
    "true",
    "none",
    "[1, 'a', [2, 3]]",
    "{'a': params.list, 'b': 1}",
    "[params.nested, params.n]",
    "(1, params.list)",
    // comparisons
    "params.n == 7",
    "params.n != 7.0",
    "params.n < 10",
    "params.s >= 'A'",
    "1 < params.n <= 7",
    "params.map == {'k': 1, 'j': [2]}",
    "params.list == [3, 1, 2]",
    "params.none == none",
    "params.s == 7",
    // boolean logic, with Jinja's truthiness and values
    "params.flag and params.n > 3",
    "params.off or params.n",
    "params.empty or 'default'",
    "params.zeros and 'yes'",
    "not params.empty",
    "not params.map",
    "params.s and params.none",
    "params.to_version or (steps.versions.published | last | string)",
    // in
    "'World' in params.s",
    "'k' in params.map",
    "2 in params.list",
    "'z' not in params.names",
    "params.n in [7, 8]",
    "params.n in (params.list | map('int'))",
    // conditional values
    "'big' if params.n > 5 else 'small'",
    "params.none if params.off else params.list",
    // concatenation prints as Jinja prints
    "'n=' ~ params.n ~ ' ' ~ params.flag ~ ' ' ~ params.none ~ ' ' ~ params.half ~ ' ' ~ params.s",
    // arithmetic
    "params.n + 1",
    "params.n - params.neg",
    "params.n * 3",
    "params.n / 2",
    "params.n // 2",
    "params.neg // 2",
    "params.neg % 3",
    "params.n % -3",
    "2 ** 8",
    "-params.n",
    "params.half * 2",
    "params.s + '!'",
    "params.list + [9]",
    "params.n + params.half",
    "(output.Count - 7) | abs <= params.n",
    // tests
    "params.none is none",
    "params.n is not none",
    "params.missing is defined",
    "params.n is defined",
    "params.missing is undefined",
    "params.s is string",
    "params.n is number",
    "params.map is mapping",
    // filters
    "params.count_text | int",
    "params.half | int",
    "-2.5 | int",
    "params.flag | int",
    "params.none | int",
    "params.n | float",
    "params.count_text | float",
    "params.n | string",
    "params.flag | string",
    "params.none | string",
    "params.s | length",
    "params.list | length",
    "params.map | length",
    "params.list | first",
    "params.list | last",
    "params.s | first",
    "params.s | last",
    "params.map | first",
    "(params.empty | first) is defined",
    "params.map | list",
    "params.s | list",
    "params.nested | list",
    "params.neg | abs",
    "(params.half * -1) | abs",
    "params.half | round",
    "params.third | round(2)",
    "3.5 | round",
    "params.n | round",
    "params.list | max",
    "params.list | min",
    "params.list | sum",
    "params.empty | sum",
    "params.records | sum(attribute='n')",
    "params.records | sum(attribute='missing')",
    "params.nested | sum(start=[])",
    "[[1], [], [2, [3]], [[4]]] | sum(start=[])",
    "params.empty | sum(start=[])",
    "params.list | sum(start=10)",
    "output.Snapshots | sum('SnapshotId', 1)",
    "params.list | percentile(50)",
    "params.list | percentile(100)",
    "params.list | percentile(1)",
    "[120.5, 80, 299.9, 7] | percentile(99)",
    "(params.empty | percentile(99)) is none",
    "params.s | split",
    "' \t a  b\n\r\u{a0}c\u{2003}\u{b}d ' | split | list",
    "'' | split | list",
    "'   ' | split | length",
    "'one' | split | map('upper') | list",
    "params.names | join(', ')",
    "params.list | join('-')",
    "params.empty | join(',')",
    "[true, none, 1, 'x'] | join(' ')",
    "params.missing | default('d')",
    "params.n | default(0)",
    "params.empty | default('x', true)",
    "params.none | default('x')",
    "params.list | map('string') | list",
    "params.names | map('upper') | list",
    "output.Table.KeySchema | map(attribute='AttributeName') | list",
    "params.nested | map('first') | list",
    "steps.versions.output.Versions | map(attribute='Version') | select('ne', '$LATEST') | map('int') | list",
    "params.list | select('gt', 1) | list",
    "params.zeros | select | list",
    "params.list | reject('eq', 1) | list",
    "[0, 1, '', 'a', [], [0], {}, none] | select | list",
    "params.list | select('in', [1, 3]) | list",
    "output.Snapshots | selectattr('SnapshotId', 'eq', output.CurrentSnapshotId) | first",
    "(output.Snapshots | selectattr('SnapshotId', 'eq', 1) | first).Summary['total-records']",
    "output.Snapshots | rejectattr('Summary.total-records', 'defined') | list",
    "params.map | items | list",
    "params.map | to_json",
    "params.s | to_json",
    "params.quote | to_json",
    "params.none | to_json",
    "params.json | from_json",
    "item | pick(['PK', 'SK', 'absent'])",
    "item | pick(output.Table.KeySchema | map(attribute='AttributeName') | list)",
    "params.when | to_epoch",
    "params.lambda_time | to_epoch",
    "params.epoch | to_epoch",
    "params.epoch | from_epoch",
    "params.when | add_duration('-5m')",
    "params.when | add_duration('1h30m')",
    "params.when | add_duration('-' ~ params.window)",
    "params.lambda_time | add_duration(params.window)",
    "params.when | format_datetime('%Y-%m-%d [%H:%M:%S] 100%%')",
    "params.epoch | format_datetime('%Y%m%d')",
    "params.words | sort | list",
    "params.list | sort",
    "params.records | sort(attribute='n') | map(attribute='name') | list",
    "[{'Keys': ['b']}, {'Keys': ['A']}, {'Keys': ['a']}] | sort(attribute='Keys.0') | map(attribute='Keys') | list",
    "[{'Keys': ['b']}, {'Keys': ['a']}, {'Keys': ['B']}] | sort(attribute='Keys.0', case_sensitive=true) | map(attribute='Keys') | list",
    "params.words | sort(case_sensitive=true) | list",
    "params.records | sort(attribute='n', reverse=true) | map(attribute='name') | list",
    "params.words | sort(reverse=true) | list",
    "params.records | groupby('n') | map(attribute='grouper') | list",
    "params.records | groupby('n') | map(attribute='list') | list",
    "params.records | groupby('name') | map(attribute='grouper') | list",
    "params.records | groupby('name', case_sensitive=true) | map(attribute='list') | list",
    "params.empty | groupby('n') | list",
    "output.Snapshots | groupby(attribute='Summary.total-records', default='none') | map(attribute='grouper') | list",
    "params.records | selectattr(params.key ~ 'ame', 'eq', 'a') | list",
    "output.Snapshots | selectattr('Summary.' ~ 'total-records', 'defined') | map(attribute='SnapshotId') | list",
    "output.Snapshots | map(attribute='Summary.total-' ~ 'records') | list",
    "output.Snapshots | map(attribute='Summary.total-records') | list",
    "output.Snapshots | map(attribute='Summary.total-records', default='0') | list",
    "params.nested | selectattr(1, 'defined') | list",
    "params.nested | map(attribute=(params.n - 7) ~ '') | list",
    "[{'a': [{'b': 1}]}, {'a': [{'b': 2}, {}]}] | map(attribute='a.0.b') | list",
    "params.records | sort(attribute='na' ~ 'me') | map(attribute='n') | list",
    "params.records | table(['name', 'n'])",
    "[['AWS Lambda', 7, 'ok'], {'service': 'Amazon SNS', 'cost': 'a|b'}, ['x\ny\u{1b}z\tw']] | table(['service', 'cost', 'status'])",
    "[['AWS Lambda', 7, 'ok'], {'service': 'Amazon SNS', 'cost': 'a|b'}, ['x\ny\u{7}z']] | table(['service', 'cost', 'status'], 'markdown')",
    "[['AWS Lambda', 7, true], {'service': 'Amazon SNS', 'cost': none}, [[1, 2]]] | table(['service', 'cost', 'status'], 'json')",
    "params.empty | table(['a', 'b'], params.table[0:0] ~ 'text')",
    "[{'a': 'x '}, {'a': none}] | table(['a', 'b'], 'markdown')",
    "range(3)",
    "range(1, params.list | length)",
    "range(params.n, 2)",
    "dict(params.map, k=2, z=none)",
    "dict(a=1)",
    "params.words | unique(case_sensitive=true) | list",
    "params.words | unique | list",
    "params.words | select('startingwith', 'b') | list",
    "params.words | select('endingwith', 'a') | list",
    "params.words | select('containing', 'lph') | list",
    "params.empty | select('containing', 'a') | list",
    "params.nested | select('containing', 3) | list",
    "output.Snapshots | selectattr('Summary', 'containing', 'total-records') | map(attribute='SnapshotId') | list",
    "params.s is containing('World')",
    "output.Snapshots | selectattr('Summary.total-records', 'defined') | selectattr('Summary.total-records', 'startingwith', '1') | list",
    "params.s | lower",
    "params.s | upper",
    "params.s | replace('o', '0')",
    "params.names | join(',') | split(',')",
    "steps.versions.published | select('lt', steps.current_alias.version | int) | list | last",
    "(now() | to_epoch) > 1700000000",
    "'%-8s|%5s|%s%%' | format(params.table, params.n, params.flag)",
    "'  %-20s  %s' | format(params.none, 'x')",
];

/// Templates: text, `{{ }}` printing, and blocks.
const TEMPLATES: &[&str] = &[
    "{{ params.table }}",
    "  {{ params.n }} ",
    "{{ params.list }}",
    "table {{ params.table }}-restore",
    "plain text {with braces}",
    "n={{ params.n }} flag={{ params.flag }} none={{ params.none }} s={{ params.quote }}",
    "{{ params.table ~ '-x' }}!",
    "half={{ params.half | round(1) }} third={{ params.third | round(2) }} {{ (params.n / 2) | round }} {{ params.half | round }}",
    "{{ 'a' if params.none is none else 'b' }}/{{ now() | to_epoch > 0 }}",
    "{% if params.n > 5 %}big{% elif params.n > 2 %}mid{% else %}small{% endif %}",
    "{% if params.off %}a{% elif params.empty %}b{% endif %}-",
    "{% for x in params.list %}{{ loop.index }}:{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}",
    "{% for x in params.empty %}x{% else %}nothing{% endfor %}",
    "{% for k, v in params.map | items %}{{ k }}={{ v | to_json }};{% endfor %}",
    "{% for k in params.map %}{{ k }}{% endfor %}",
    "{%- set picked = params.list | select('gt', 1) | list -%}\n  {{ picked | length }} of {{ params.list | length }}: {{ picked | join(',') }}\n",
    "{% for row in params.nested %}[{% for x in row %}{{ loop.index0 }}{{ x }}{% endfor %}]{% if loop.first %}first {% endif %}{{ loop.length }}{% endfor %}",
    "{% set previous = steps.versions.published | select('lt', steps.current_alias.version | int) | list %}alias serves {{ steps.current_alias.version }}; rolling back to {{ params.to_version or (previous | last if previous else 'no earlier version') }}",
    "line1\n{%- if params.flag %}\n  yes\n{%- endif %}\nend\n",
    "{% set avg = params.n / 2 %}{{ avg | round(1) }} {{ avg | int }}",
    "{% for x in params.names %}{{ x }}{{ ', ' if not loop.last }}{% endfor %}.{{ 'never' if params.off }}",
    // namespaces carried through loops and conditions
    "{% set ns = namespace(rows=[], n=0) %}{% for x in params.list %}{% set ns.n = ns.n + x %}{% if x > 1 %}{% set ns.rows = ns.rows + [x] %}{% endif %}{{ x }};{% endfor %}{{ ns.n }} {{ ns.rows | to_json }}",
    "{% for r in params.nested %}{% set top = namespace(best=0, at=none) %}{% for x in r %}{% if x > top.best %}{% set top.best = x %}{% set top.at = loop.index0 %}{% endif %}{% endfor %}{{ top.best }}@{{ top.at }},{% endfor %}",
    "{% set ns = namespace(seen=false) %}{% for x in params.empty %}{% set ns.seen = true %}{% else %}{% set ns.seen = 'else' %}{% endfor %}{{ ns.seen }}",
    "{% set ns = namespace(s='') %}{% for w in params.names %}<{{ ns.s }}>{% set ns.s = ns.s ~ w %}[{{ ns.s }}]{% endfor %}={{ ns.s }}",
    "{% set ns = namespace(rows=[]) %}{% for x in [5] %}{% set ns.rows = ns.rows + [[x]] %}{% endfor %}{{ ns.rows | to_json }}",
    "{% for g in params.records | groupby('n') %}{{ g.grouper }}:{{ g.list | map(attribute='name') | join(',') }};{% endfor %}",
    "{% for w in params.words %}{% set top = namespace(key='', count=0) %}{% for g in params.records | groupby('name') %}{% if g.list | length > top.count %}{% set top.key = g.grouper %}{% set top.count = g.list | length %}{% endif %}{% endfor %}{% if loop.first %}{{ top.key }}={{ top.count }}{% endif %}{% endfor %}",
    "{% for i in range(1, params.names | length) %}{{ params.names[i - 1] }}<{{ params.names[i] }}{% endfor %}",
    "{% set ns = namespace(n=1) %}{% if params.flag %}{% set ns.n = 2 %}{% else %}{% set ns.n = 3 %}{% endif %}{{ ns.n }}{% if params.off %}{% set ns.n = 4 %}{% endif %}{{ ns.n }}",
    "{% set a = namespace(n=0) %}{% set b = namespace(n=10) %}{% for x in params.list %}{% set a.n = a.n + 1 %}{% for y in params.names %}{% set b.n = b.n + x %}{% endfor %}{% endfor %}{{ a.n }}/{{ b.n }}",
];

/// What is refused, where (the text at the refusal's range), and a part of the reason.
const REFUSED: &[(&str, bool, &str, &str)] = &[
    (
        "{% set x = 'small' %}{% if params.n > 2 %}{% set x = 'big' %}{% endif %}n is {{ x }}",
        true,
        "{% if params.n > 2 %}",
        "an `if` is no scope",
    ),
    ("vars.x == 1", false, "vars", "earlier step's outputs"),
    (
        "params.n if params.flag",
        false,
        "params.n if params.flag",
        "else",
    ),
    ("'x=' ~ (params.n / 3)", false, "params.n / 3", "17 digits"),
    (
        "{{ params.n / 3 }} items",
        true,
        "params.n / 3",
        "17 digits",
    ),
    (
        "params.list | jmespath('[0]')",
        false,
        "jmespath('[0]')",
        "selectattr",
    ),
    ("params.list[::2]", false, "params.list[::2]", "step"),
    ("params.list['a':]", false, "'a'", "must be integers"),
    ("'%d' | format(params.n)", false, "'%d'", "`%s`"),
    ("1 < 'a'", false, "1 < 'a'", "two numbers or two strings"),
    (
        "params.s | format(1)",
        false,
        "params.s",
        "constant format text",
    ),
    (
        "params.s | center(9)",
        false,
        "center(9)",
        "no JSONata translation",
    ),
    (
        "params.list | sort(by='x')",
        false,
        "sort(by='x')",
        "these arguments",
    ),
    (
        "params.when | format_datetime('%b')",
        false,
        "format_datetime('%b')",
        "%Y",
    ),
    ("joiner(', ')", false, "joiner(', ')", "call"),
    (
        "{% for x in params.list if x %}{% endfor %}",
        true,
        "{% for x in params.list if x %}",
        "selectattr",
    ),
    (
        "{% for x in params.list %}{{ loop.revindex }}{% endfor %}",
        true,
        "loop.revindex",
        "loop.index0",
    ),
    (
        "{% set params.x = 1 %}",
        true,
        "{% set params.x = 1 %}",
        "namespace()",
    ),
    (
        "{% for k, v in params.records | groupby('n') %}{% endfor %}",
        true,
        "k, v",
        "group.grouper",
    ),
    (
        "namespace({'a': 1})",
        false,
        "namespace({'a': 1})",
        "named attributes only",
    ),
    (
        "x{% include 'other' %}",
        true,
        "{% include 'other' %}",
        "template block",
    ),
];

/// Values compare as JSON, numbers by value (JSONata has no integer/float distinction: `2.0` and `2` are one).
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => ours == theirs,
    }
}

/// Each JSONata expression's value on `data`, from the emulator's evaluator.
pub(crate) fn jsonata_values(expressions: &[String], data: &Value) -> Vec<Result<Value, String>> {
    let cases: Vec<Value> = expressions
        .iter()
        .map(|e| json!({"expression": e, "bindings": data}))
        .collect();
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let output = std::process::Command::new(venv_bin("python"))
        .arg(repo().join("tests/e2e/support/evaluate_jsonata.py"))
        .arg(&file)
        .output()
        .expect("run the emulator's Python");
    assert!(
        output.status.success(),
        "evaluate_jsonata.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "evaluate_jsonata.py wrote no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    results
        .into_iter()
        .map(|r| match r.get("error") {
            Some(error) => Err(error.as_str().unwrap_or_default().to_string()),
            None => Ok(r["value"].clone()),
        })
        .collect()
}

#[test]
fn every_translated_expression_and_template_has_the_engine_s_value_in_jsonata() {
    let data = data();
    let context = from_json_value(&data);
    let scope = scope();
    let mut ours = Vec::new();
    let mut translated = Vec::new();
    for (source, is_template) in EXPRESSIONS
        .iter()
        .map(|e| (*e, false))
        .chain(TEMPLATES.iter().map(|t| (*t, true)))
    {
        let value = if is_template {
            render(source, &context)
        } else {
            evaluate(source, &context)
        };
        let value = value.unwrap_or_else(|e| panic!("the engine fails on {source:?}: {e}"));
        ours.push((source, to_json_value(&value).unwrap()));
        let translation = if is_template {
            jsonata::template(source, &scope)
        } else {
            jsonata::expression(source, &scope)
        };
        translated.push(translation.unwrap_or_else(|e| panic!("{source:?} is refused: {e:?}")));
    }
    let theirs = jsonata_values(&translated, &data);
    let mismatches: Vec<String> = ours
        .iter()
        .zip(&translated)
        .zip(&theirs)
        .filter(|(((_, ours), _), theirs)| !matches!(theirs, Ok(value) if same(ours, value)))
        .map(|(((source, ours), jsonata), theirs)| {
            format!("{source:?}\n  engine:  {ours}\n  JSONata: {theirs:?}\n  from:    {jsonata}")
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        ours.len(),
        mismatches.join("\n")
    );
}

#[test]
fn what_has_no_faithful_translation_is_refused_at_its_place_with_a_reason() {
    let scope = scope();
    for (source, is_template, at, reason) in REFUSED {
        let refused: Untranslatable = if *is_template {
            jsonata::template(source, &scope)
        } else {
            jsonata::expression(source, &scope)
        }
        .expect_err(source);
        assert_eq!(&source[refused.at.clone()], *at, "{source:?}: {refused:?}");
        assert!(
            refused.reason.contains(reason),
            "{source:?}: {}",
            refused.reason
        );
    }
}

/// A JSONata definition built from our translations, executed by the emulator (through scripts/moto_server.py):
/// its evaluator is in place, a string variable with a quote, a backslash and a newline survives moto's variable
/// declarations, and an `aws-sdk` result's timestamp comes back as ISO 8601 text (without that DescribeExecution
/// answers 500).
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_executes_jsonata_states_written_from_our_translations() {
    let moto = crate::support::moto::Moto::start();
    moto.execute_state_machines().await;
    let config = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    dynamodb
        .create_table()
        .table_name("jsonata-orders")
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // Assign's expressions all see the variables as they were before the state: the parameters are read from the
    // input there.
    let in_state = Scope::new()
        .bind("params", "$states.input.params")
        .bind("output", "$states.result");
    let braces = |jsonata: String| format!("{{% {jsonata} %}}");
    // The Choice after it reads the parameters from the variable and the result from its input.
    let in_choice = Scope::new()
        .bind("params", "$params")
        .bind("output", "$states.input");
    let condition = jsonata::expression(
        "output.Table.TableStatus == 'ACTIVE' and 'q' in params.quote and output.Table.KeySchema | map(attribute='AttributeName') | list == ['PK']",
        &in_choice,
    )
    .unwrap();
    let message = jsonata::template(
        "{% for key in output.Table.KeySchema %}{{ key.AttributeName }}{% endfor %} of {{ params.table }}: {{ params.quote }}",
        &in_state,
    )
    .unwrap();
    let definition = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Describe",
        "States": {
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:describeTable",
                "Arguments": {"TableName": "{% $states.input.params.table %}"},
                "Assign": {
                    "params": "{% $states.input.params %}",
                    "quote": "{% $states.input.params.quote %}",
                    "created": "{% $states.result.Table.CreationDateTime %}",
                    "message": braces(message),
                },
                "Output": "{% $states.result %}",
                "Next": "Check"
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": braces(condition), "Next": "Done"}],
                "Default": "Refused"
            },
            "Done": {
                "Type": "Pass",
                "Output": {"message": "{% $message %}", "quote": "{% $quote %}", "created": "{% $created %}"},
                "End": true
            },
            "Refused": {"Type": "Fail", "Error": "ConditionFalse"}
        }
    });
    let quote = "it's \"q\"\n\\";
    let sfn = aws_sdk_sfn::Client::new(&config);
    let machine = sfn
        .create_state_machine()
        .name("jsonata-translations")
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/jsonata-translations")
        .send()
        .await
        .unwrap()
        .state_machine_arn;
    let execution = sfn
        .start_execution()
        .state_machine_arn(machine)
        .name("first")
        .input(json!({"params": {"table": "jsonata-orders", "quote": quote}}).to_string())
        .send()
        .await
        .unwrap()
        .execution_arn;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let described = loop {
        let described = sfn
            .describe_execution()
            .execution_arn(&execution)
            .send()
            .await
            .unwrap();
        if described.status != aws_sdk_sfn::types::ExecutionStatus::Running {
            break described;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the execution is still running after 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(
        described.status,
        aws_sdk_sfn::types::ExecutionStatus::Succeeded,
        "{:?}: {:?}",
        described.error,
        described.cause
    );
    let output: Value = serde_json::from_str(described.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["message"], format!("PK of jsonata-orders: {quote}"));
    assert_eq!(output["quote"], quote);
    let created = output["created"].as_str().unwrap();
    assert!(
        regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            .unwrap()
            .is_match(created),
        "{created}"
    );
}
