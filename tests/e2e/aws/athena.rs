//! Athena actions against the emulator. Moto runs no SQL: a query succeeds at once and its rows are whatever was
//! queued through moto's API beforehand, so the tests that read rows queue them first, one test at a time.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use serde_json::{Value, json};

/// Moto hands queued results to whichever query asks first: tests reading rows take turns.
static RESULTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn column(name: &str, kind: &str) -> Value {
    json!({"Name": name, "Label": name, "Type": kind, "CatalogName": "hive", "SchemaName": "", "TableName": "",
           "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": false})
}

fn row(cells: &[Option<&str>]) -> Value {
    json!({"Data": cells.iter().map(|cell| match cell {
        Some(text) => json!({"VarCharValue": text}),
        None => json!({}),
    }).collect::<Vec<_>>()})
}

/// Queues one result: a header row naming the columns, as Athena returns for a SELECT, then `rows`.
async fn queue_result(moto: &Moto, columns: &[(&str, &str)], rows: &[Vec<Option<&str>>]) {
    let header: Vec<Option<&str>> = columns.iter().map(|(name, _)| Some(*name)).collect();
    let mut all = vec![row(&header)];
    all.extend(rows.iter().map(|cells| row(cells)));
    moto.moto_api(
        "/moto-api/static/athena/query-results",
        json!({
            "region": "eu-west-1",
            "results": [{
                "rows": all,
                "column_info": columns.iter().map(|(name, kind)| column(name, kind)).collect::<Vec<_>>(),
            }],
        }),
    )
    .await;
}

const SQL: &str = "SELECT tenant_id, COUNT(*) AS record_count FROM pricing_intelligence_dev.sales_history GROUP BY 1";

#[tokio::test]
async fn query_starts_waits_and_returns_typed_rows() {
    let _turn = RESULTS.lock().await;
    let moto = Moto::shared();
    let columns = [
        ("tenant_id", "varchar"),
        ("record_count", "bigint"),
        ("share", "double"),
        ("active", "boolean"),
        ("note", "varchar"),
    ];
    queue_result(
        moto,
        &columns,
        &[
            vec![
                Some("carousel-labs"),
                Some("1200"),
                Some("0.75"),
                Some("true"),
                Some("ok"),
            ],
            vec![Some("acme"), Some("400"), Some("0.25"), Some("false"), None],
            vec![
                Some("initech"),
                Some("0"),
                Some("0"),
                Some("false"),
                Some("empty"),
            ],
        ],
    )
    .await;
    let aws = Arc::new(moto.aws().await);
    let output = action(
        aws,
        "athena.query",
        json!({
            "QueryString": SQL,
            "QueryExecutionContext": {"Database": "pricing_intelligence_dev"},
            "ResultConfiguration": {"OutputLocation": "s3://athena-results/runbook/"},
        }),
    )
    .await
    .unwrap();
    assert_eq!(output["State"], "SUCCEEDED", "{output}");
    assert_eq!(output["RowCount"], 3, "{output}");
    assert_eq!(output["Truncated"], false, "{output}");
    let id = output["QueryExecutionId"].as_str().unwrap();
    assert_eq!(
        output["OutputLocation"],
        format!("s3://athena-results/runbook/{id}.csv"),
        "{output}"
    );
    assert_eq!(
        output["Columns"][1],
        json!({"Name": "record_count", "Type": "bigint"})
    );
    assert_eq!(
        output["Rows"][0],
        json!({"tenant_id": "carousel-labs", "record_count": 1200, "share": 0.75, "active": true, "note": "ok"})
    );
    assert_eq!(output["Rows"][1]["note"], Value::Null, "{output}");
    assert_eq!(output["Rows"][2]["record_count"], 0, "{output}");

    // The query really was started with our SQL and context.
    let sdk = aws_sdk_athena::Client::new(&moto.sdk_config().await);
    let execution = sdk
        .get_query_execution()
        .query_execution_id(id)
        .send()
        .await
        .unwrap();
    let execution = execution.query_execution().unwrap();
    assert_eq!(execution.query(), Some(SQL));
    assert_eq!(
        execution.query_execution_context().unwrap().database(),
        Some("pricing_intelligence_dev")
    );
}

#[tokio::test]
async fn query_keeps_at_most_max_rows() {
    let _turn = RESULTS.lock().await;
    let moto = Moto::shared();
    let rows: Vec<Vec<Option<&str>>> = ["1", "2", "3", "4", "5"]
        .iter()
        .map(|n| vec![Some(*n)])
        .collect();
    queue_result(moto, &[("n", "integer")], &rows).await;
    let aws = Arc::new(moto.aws().await);
    let output = action(
        aws,
        "athena.query",
        json!({"QueryString": "SELECT n FROM numbers", "WorkGroup": "primary", "MaxRows": "2"}),
    )
    .await
    .unwrap();
    assert_eq!(output["Rows"], json!([{"n": 1}, {"n": 2}]), "{output}");
    assert_eq!(output["Truncated"], true, "{output}");
}

#[tokio::test]
async fn single_calls_start_describe_list_read_and_stop() {
    let _turn = RESULTS.lock().await;
    let moto = Moto::shared();
    queue_result(moto, &[("x", "varchar")], &[vec![Some("a")]]).await;
    let aws = Arc::new(moto.aws().await);

    let started = action(
        aws.clone(),
        "athena.StartQueryExecution",
        json!({
            "QueryString": "REFRESH TABLE pricing_intelligence_dev.sales_history",
            "QueryExecutionContext": {"Database": "pricing_intelligence_dev"},
            "ResultConfiguration": {"OutputLocation": "s3://athena-results/"},
        }),
    )
    .await
    .unwrap();
    let id = started["QueryExecutionId"].as_str().unwrap().to_string();

    let described = action(
        aws.clone(),
        "athena.GetQueryExecution",
        json!({"QueryExecutionId": id}),
    )
    .await
    .unwrap();
    let execution = &described["QueryExecution"];
    assert_eq!(execution["QueryExecutionId"], id.as_str(), "{described}");
    assert!(
        ["QUEUED", "RUNNING", "SUCCEEDED"]
            .contains(&execution["Status"]["State"].as_str().unwrap()),
        "{described}"
    );
    let submitted = execution["Status"]["SubmissionDateTime"].as_str().unwrap();
    assert!(submitted.parse::<jiff::Timestamp>().is_ok(), "{submitted}");

    let listed = action(aws.clone(), "athena.ListQueryExecutions", json!({}))
        .await
        .unwrap();
    assert!(
        listed["QueryExecutionIds"]
            .as_array()
            .unwrap()
            .contains(&json!(id)),
        "{listed}"
    );

    let page = action(
        aws.clone(),
        "athena.GetQueryResults",
        json!({"QueryExecutionId": id, "MaxResults": 10}),
    )
    .await
    .unwrap();
    assert_eq!(
        page["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"], "a",
        "{page}"
    );

    action(
        aws.clone(),
        "athena.StopQueryExecution",
        json!({"QueryExecutionId": id}),
    )
    .await
    .unwrap();
    let sdk = aws_sdk_athena::Client::new(&moto.sdk_config().await);
    let state = sdk
        .get_query_execution()
        .query_execution_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state
            .query_execution()
            .unwrap()
            .status()
            .unwrap()
            .state()
            .unwrap()
            .as_str(),
        "CANCELLED"
    );

    let error = action(
        aws,
        "athena.StartQueryExecution",
        json!({"QueryString": "SELECT 1", "WorkGroup": "no-such-workgroup"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "InvalidRequestException", "{error}");
}
