//! Lambda actions against the emulator (restJson1: function names in the path, qualifiers in the query string,
//! Invoke's options in headers and its payload as the raw body).
//!
//! Moto runs functions in Docker unless told otherwise; these tests switch it to its simple backend, whose
//! Invoke answers with the request payload (or a queued result) and runs no code. Moto does not implement
//! UpdateAlias's `RevisionId` check, so the stale-revision refusal the rollback runbook relies on is not tested
//! here.

use std::sync::Arc;

use crate::support::actions::action;
use crate::support::moto::Moto;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use serde_json::json;

/// A function with published versions 1 and 2 and alias `live` on version 2.
async fn function(name: &str) -> aws_sdk_lambda::Client {
    let moto = Moto::shared();
    moto.lambda_without_docker().await;
    let role = moto.create_lambda_role("runbook-tests-lambda").await;
    let sdk = aws_sdk_lambda::Client::new(&moto.sdk_config().await);
    sdk.create_function()
        .function_name(name)
        .runtime(Runtime::Python312)
        .role(role)
        .handler("handler.main")
        .timeout(30)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(
                    b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec(),
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    for description in ["first", "second"] {
        sdk.update_function_configuration()
            .function_name(name)
            .description(description)
            .send()
            .await
            .unwrap();
        sdk.publish_version()
            .function_name(name)
            .send()
            .await
            .unwrap();
    }
    sdk.create_alias()
        .function_name(name)
        .name("live")
        .function_version("2")
        .send()
        .await
        .unwrap();
    sdk
}

#[tokio::test]
async fn alias_rollback_as_the_runbook_does_it() {
    let sdk = function("rollback-me").await;
    let aws = Arc::new(Moto::shared().aws().await);

    let alias = action(
        aws.clone(),
        "lambda.GetAlias",
        json!({"FunctionName": "rollback-me", "Name": "live"}),
    )
    .await
    .unwrap();
    assert_eq!(alias["FunctionVersion"], "2", "{alias}");
    let revision = alias["RevisionId"]
        .as_str()
        .unwrap_or_else(|| panic!("{alias}"));

    let versions = action(
        aws.clone(),
        "lambda.ListVersionsByFunction",
        json!({"FunctionName": "rollback-me"}),
    )
    .await
    .unwrap();
    let listed: Vec<&str> = versions["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Version"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["$LATEST", "1", "2"], "{versions}");

    // `Qualifier` goes in the query string: version 1 has the first description.
    let target = action(
        aws.clone(),
        "lambda.GetFunctionConfiguration",
        json!({"FunctionName": "rollback-me", "Qualifier": 1}),
    )
    .await
    .unwrap();
    assert_eq!(target["Version"], "1", "{target}");
    assert_eq!(target["Description"], "first", "{target}");
    assert_eq!(target["State"], "Active", "{target}");

    // The runbook passes the version as a number rendered from a template; the registry makes it text.
    let moved = action(
        aws.clone(),
        "lambda.UpdateAlias",
        json!({"FunctionName": "rollback-me", "Name": "live", "FunctionVersion": 1, "RevisionId": revision}),
    )
    .await
    .unwrap();
    assert_eq!(moved["FunctionVersion"], "1", "{moved}");
    let stored = sdk
        .get_alias()
        .function_name("rollback-me")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.function_version(), Some("1"));

    let serving = action(
        aws.clone(),
        "lambda.GetFunctionConfiguration",
        json!({"FunctionName": "rollback-me", "Qualifier": "live"}),
    )
    .await
    .unwrap();
    assert_eq!(serving["Version"], "1", "{serving}");

    let aliases = action(
        aws.clone(),
        "lambda.ListAliases",
        json!({"FunctionName": "rollback-me"}),
    )
    .await
    .unwrap();
    assert_eq!(aliases["Aliases"][0]["Name"], "live", "{aliases}");
    assert_eq!(aliases["Aliases"][0]["FunctionVersion"], "1", "{aliases}");

    let error = action(
        aws,
        "lambda.UpdateAlias",
        json!({"FunctionName": "rollback-me", "Name": "live", "FunctionVersion": "7"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code, "ResourceNotFoundException", "{error}");
}

#[tokio::test]
async fn configuration_update_and_publish() {
    let sdk = function("configure-me").await;
    let aws = Arc::new(Moto::shared().aws().await);

    // As dlq-replay raises the timeout: the value arrives as text from a parameter.
    let updated = action(
        aws.clone(),
        "lambda.UpdateFunctionConfiguration",
        json!({"FunctionName": "configure-me", "Timeout": "900", "Environment": {"Variables": {"MODE": "replay"}}}),
    )
    .await
    .unwrap();
    assert_eq!(updated["Timeout"], 900, "{updated}");
    let stored = sdk
        .get_function_configuration()
        .function_name("configure-me")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.timeout(), Some(900));
    assert_eq!(
        stored.environment().unwrap().variables().unwrap()["MODE"],
        "replay"
    );
    let waited = action(
        aws.clone(),
        "lambda.GetFunctionConfiguration",
        json!({"FunctionName": "configure-me"}),
    )
    .await
    .unwrap();
    assert_eq!(waited["LastUpdateStatus"], "Successful", "{waited}");
    assert_eq!(waited["Timeout"], 900, "{waited}");

    let published = action(
        aws.clone(),
        "lambda.PublishVersion",
        json!({"FunctionName": "configure-me", "Description": "Timeout raised to 900s"}),
    )
    .await
    .unwrap();
    assert_eq!(published["Version"], "3", "{published}");
    let versions = sdk
        .list_versions_by_function()
        .function_name("configure-me")
        .send()
        .await
        .unwrap();
    assert!(versions.versions().iter().any(|v| v.version() == Some("3")));

    let function = action(
        aws.clone(),
        "lambda.GetFunction",
        json!({"FunctionName": "configure-me", "Qualifier": "3"}),
    )
    .await
    .unwrap();
    assert_eq!(function["Configuration"]["Version"], "3", "{function}");
    assert_eq!(function["Configuration"]["Timeout"], 900, "{function}");

    let error = action(aws, "lambda.GetFunction", json!({"FunctionName": "absent"}))
        .await
        .unwrap_err();
    assert_eq!(error.code, "ResourceNotFoundException", "{error}");
}

#[tokio::test]
async fn invoke_returns_status_headers_and_the_parsed_payload() {
    function("invoke-me").await;
    let aws = Arc::new(Moto::shared().aws().await);

    // Moto's simple backend answers with the request payload: it went out as the raw JSON body.
    let output = action(
        aws.clone(),
        "lambda.Invoke",
        json!({"FunctionName": "invoke-me", "Payload": {"source": "manual-trigger", "n": 3}}),
    )
    .await
    .unwrap();
    assert_eq!(output["StatusCode"], 200, "{output}");
    assert_eq!(
        output["Payload"],
        json!({"source": "manual-trigger", "n": 3}),
        "{output}"
    );
    assert!(output.get("FunctionError").is_none(), "{output}");

    // A string payload is sent as it is; an answer that is not JSON comes back as text.
    let output = action(
        aws.clone(),
        "lambda.Invoke",
        json!({"FunctionName": "invoke-me", "Payload": "plain words"}),
    )
    .await
    .unwrap();
    assert_eq!(output["Payload"], "plain words", "{output}");

    // `InvocationType` travels as a header: an asynchronous invocation is accepted with 202.
    let output = action(
        aws.clone(),
        "lambda.Invoke",
        json!({"FunctionName": "invoke-me", "InvocationType": "Event", "Payload": {}}),
    )
    .await
    .unwrap();
    assert_eq!(output["StatusCode"], 202, "{output}");

    // What the function returns is the payload, not an echo of ours.
    Moto::shared()
        .queue_lambda_result(r#"{"statusCode": 200, "exported": 1200}"#)
        .await;
    let output = action(
        aws,
        "lambda.Invoke",
        json!({"FunctionName": "invoke-me", "InvocationType": "RequestResponse", "Payload": {"source": "runbook"}}),
    )
    .await
    .unwrap();
    assert_eq!(
        output["Payload"],
        json!({"statusCode": 200, "exported": 1200}),
        "{output}"
    );
    // Moto's simple backend invokes without looking the function up, so a missing function's
    // ResourceNotFoundException cannot be shown here; the other Lambda tests show that error's path.
}
