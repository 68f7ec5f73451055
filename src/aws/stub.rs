//! A stand-in for AWS at the HTTP boundary, for `runbook test`: the SDK is given an [`HttpClient`] that answers
//! from a script instead of the network. Everything above it runs as in production: our request encoding, the
//! typed builder (a missing URI member still fails there), signing, and the decoding of the answer. No network,
//! no credentials.
//!
//! The HTTP client alone cannot tell which operation a request is (restJson and restXml name it only by path),
//! so [`call`](super::call) says it: while an operation is being sent, a task-local [`Sending`] names the service,
//! operation, effect and members, and the step that sends it when the engine labelled the call with
//! [`for_step`]. Outside `runbook test` nothing reads them.

use std::future::Future;
use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use serde_json::{Map, Value};

use super::http_stub::{HttpAnswer, HttpSending};
use super::wire_reply::WireReply;
use super::{Aws, AwsOp, Effect, Protocol};

tokio::task_local! {
    static STEP: String;
    static SENDING: Sending;
}

/// The operation on its way to the wire, as the stub is told it.
#[derive(Clone, Debug)]
pub struct Sending {
    /// The step that sends it, when the engine labelled the call ([`for_step`]).
    pub step: Option<String>,
    pub service: &'static str,
    pub operation: &'static str,
    pub effect: Effect,
    pub protocol: Protocol,
    /// The request's members, as the action gave them (before encoding).
    pub members: Map<String, Value>,
}

impl Sending {
    /// `service.Operation`, as actions and test files name it.
    pub fn name(&self) -> String {
        format!("{}.{}", self.service, self.operation)
    }
}

/// What the script says to answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A success carrying these members.
    Output(Value),
    /// An error with the API's own code.
    Error {
        code: String,
        message: String,
        status: u16,
    },
}

/// Answers each request the SDK sends: `runbook test`'s script.
pub trait Responder: Send + Sync + std::fmt::Debug {
    fn answer(&self, sending: &Sending) -> Answer;

    /// Answers a plain HTTP request (`http.request`, `http.send`), which does not go through the SDK.
    fn answer_http(&self, sending: &HttpSending) -> HttpAnswer;
}

/// The step whose call is being made, when the engine labelled it ([`for_step`]).
pub fn current_step() -> Option<String> {
    STEP.try_with(Clone::clone).ok()
}

/// Runs `future` with every AWS call it makes labelled as `step`'s.
pub async fn for_step<F: Future>(step: &str, future: F) -> F::Output {
    STEP.scope(step.to_string(), future).await
}

/// Runs `send` (one attempt of `op`) with the operation announced to the stub transport.
pub(super) async fn announce<F: Future>(
    op: &AwsOp,
    members: &Map<String, Value>,
    send: F,
) -> F::Output {
    let sending = Sending {
        step: STEP.try_with(Clone::clone).ok(),
        service: op.service,
        operation: op.operation,
        effect: op.effect,
        protocol: op.protocol,
        members: members.clone(),
    };
    SENDING.scope(sending, send).await
}

impl Aws {
    /// A configuration whose every request is answered by `responder`: a fixed region and test credentials,
    /// nothing read from the environment or the shared config files.
    pub fn stubbed(responder: Arc<dyn Responder>) -> Aws {
        let credentials = aws_sdk_sts::config::Credentials::new(
            "AKIDRUNBOOKTEST",
            "runbook-test-secret",
            None,
            None,
            "runbook-test",
        );
        let config = aws_types::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                credentials,
            ))
            .sleep_impl(TokioSleep)
            .http_client(StubHttp {
                responder: Arc::clone(&responder),
            })
            .build();
        let mut aws = Aws::from_sdk_config(config);
        aws.responder = Some(responder);
        aws
    }

    /// The script answering this configuration's calls, when it is [`Aws::stubbed`].
    pub fn responder(&self) -> Option<&Arc<dyn Responder>> {
        self.responder.as_ref()
    }
}

/// Tokio's sleep, which follows a paused clock: the SDK waits on the same virtual time as the engine.
#[derive(Debug)]
struct TokioSleep;

impl aws_sdk_sts::config::AsyncSleep for TokioSleep {
    fn sleep(&self, duration: std::time::Duration) -> aws_sdk_sts::config::Sleep {
        aws_sdk_sts::config::Sleep::new(tokio::time::sleep(duration))
    }
}

#[derive(Clone, Debug)]
struct StubHttp {
    responder: Arc<dyn Responder>,
}

impl HttpClient for StubHttp {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for StubHttp {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        let wire = SENDING
            .try_with(|sending| match self.responder.answer(sending) {
                Answer::Output(output) => sending.protocol.encode_reply(sending.operation, &output),
                Answer::Error {
                    code,
                    message,
                    status,
                } => sending.protocol.encode_error(&code, &message, status),
            })
            .unwrap_or_else(|_| {
                // Only `call` sends through the SDK, and it always announces: a request without one is a bug here.
                Protocol::AwsJson { version: "1.0" }.encode_error(
                    "UnannouncedRequest",
                    "the stub transport got a request no operation announced",
                    400,
                )
            });
        HttpConnectorFuture::ready(Ok(response(wire)))
    }
}

fn response(wire: WireReply) -> HttpResponse {
    let status = aws_smithy_runtime_api::http::StatusCode::try_from(wire.status)
        .unwrap_or_else(|_| aws_smithy_runtime_api::http::StatusCode::try_from(500).expect("500"));
    let mut response = HttpResponse::new(status, SdkBody::from(wire.body));
    for (name, value) in wire.headers {
        response.headers_mut().append(name, value);
    }
    response
        .headers_mut()
        .insert("x-amzn-requestid", "runbook-test");
    response
}
