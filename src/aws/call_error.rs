//! Why a call failed, in the words every layer above reads: a kind that says what became of the request (never
//! sent, turned away, refused, or perhaps done), the service and operation it was sent to, and the service's code
//! and message.
//!
//! Whether a write may be sent again is a question of the kind alone ([`CallErrorKind::may_have_taken_effect`]):
//! codes and statuses are read once, where an error is made, and kept for the journal and for people.

use aws_smithy_runtime_api::client::result::SdkError;

/// A failed attempt. `transient` failures (throttling, 5xx, timeouts, dropped connections) may be retried.
#[derive(Clone, Debug, PartialEq)]
pub struct CallError {
    /// What became of the request.
    pub kind: CallErrorKind,
    /// The service of the call that failed (`dynamodb`, `http`); empty when the failure came before any call
    /// (a request the action itself refused).
    pub service: String,
    /// The call's operation (`PutItem`, or the HTTP method); empty with `service`.
    pub operation: String,
    /// The AWS error code (`ResourceNotFoundException`), or a transport kind (`Timeout`, `ConnectionError`,
    /// `ConnectionRefused`).
    pub code: String,
    pub message: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub transient: bool,
}

/// What became of a request that failed. The journal keeps the code; the kind is for code that must know whether
/// the request could have taken effect, or tell a service's answer from our own refusal, without knowing every code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallErrorKind {
    /// Nothing left this machine: refused on our side (a bad member, a write in a plan, no AWS configuration), or
    /// the connection was refused.
    NotSent,
    /// The service turned the request away before processing it: throttling, or HTTP 429.
    Throttled,
    /// The service answered that it could not complete the request: HTTP 5xx, or a code of capacity, of an
    /// internal failure or of a timeout on its side.
    Unavailable,
    /// The service answered with an error of its own deciding (a 4xx such as `ValidationException`).
    Answered,
    /// An answer came that the protocol does not allow, or lacks what the action needs.
    Malformed,
    /// No answer could be read after the request went out: a timeout, a dropped connection.
    Transport,
    /// The action stopped itself: interrupted, a failed query, a runaway pagination, a `core.fail` step.
    Stopped,
}

impl CallErrorKind {
    /// Whether the request may have taken effect although the call failed, so that sending a write again could
    /// do it twice.
    pub fn may_have_taken_effect(self) -> bool {
        match self {
            // Never sent, turned away unread, or refused by a decision of the service's.
            CallErrorKind::NotSent | CallErrorKind::Throttled | CallErrorKind::Answered => false,
            // Sent, and then no answer, an unreadable one, or one that says the service could not finish; an
            // action that stopped itself may have sent calls before it did.
            CallErrorKind::Unavailable
            | CallErrorKind::Malformed
            | CallErrorKind::Transport
            | CallErrorKind::Stopped => true,
        }
    }
}

impl CallError {
    /// The one place a `CallError` is assembled; the named constructors below say which kind they build.
    pub fn new(
        kind: CallErrorKind,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> CallError {
        CallError {
            kind,
            service: String::new(),
            operation: String::new(),
            code: code.into(),
            message: message.into(),
            status: None,
            request_id: None,
            transient: false,
        }
    }

    /// A request our side finds malformed, refused before anything is sent.
    pub fn invalid_request(message: impl Into<String>) -> CallError {
        CallError::not_sent("InvalidRequest", message)
    }

    /// Refused before anything is sent, for a reason other than a malformed request.
    pub fn not_sent(code: impl Into<String>, message: impl Into<String>) -> CallError {
        CallError::new(CallErrorKind::NotSent, code, message)
    }

    /// A connection the other end refused: nothing was sent, so even a write is worth another attempt.
    pub fn refused_connection(message: impl Into<String>) -> CallError {
        CallError::not_sent(CONNECTION_REFUSED, message).transient()
    }

    /// An error the service answered with. Its code and status say what became of the request: throttling (or
    /// 429) turned it away, a 5xx or a code of capacity left it unfinished (both worth another attempt), anything
    /// else refused it.
    pub fn answered(
        code: impl Into<String>,
        message: impl Into<String>,
        status: u16,
        request_id: Option<String>,
    ) -> CallError {
        let code = code.into();
        let kind = match transient_reason(&code) {
            Some(Transient::Throttled) => CallErrorKind::Throttled,
            _ if status == 429 => CallErrorKind::Throttled,
            Some(Transient::Unavailable) => CallErrorKind::Unavailable,
            None if status >= 500 => CallErrorKind::Unavailable,
            None => CallErrorKind::Answered,
        };
        CallError::new(kind, code, message)
            .with_reply(status, request_id)
            .transient_if(kind != CallErrorKind::Answered)
    }

    /// An answer we cannot read as the protocol says, or one without what the action needs.
    pub fn malformed(message: impl Into<String>) -> CallError {
        CallError::new(CallErrorKind::Malformed, "MalformedResponse", message)
    }

    /// No readable answer to a request that went out (`Timeout`, `ConnectionError`); not transient unless
    /// marked so.
    pub fn transport(code: impl Into<String>, message: impl Into<String>) -> CallError {
        CallError::new(CallErrorKind::Transport, code, message)
    }

    /// The action stopped itself (`Interrupted`, `QueryFailed`, `TooManyPages` ...): never worth another attempt.
    pub fn stopped(code: impl Into<String>, message: impl Into<String>) -> CallError {
        CallError::new(CallErrorKind::Stopped, code, message)
    }

    /// The same failure as that of a call of `service` and `operation`, unless it already names a call.
    pub fn in_call(mut self, service: &str, operation: &str) -> CallError {
        if self.service.is_empty() {
            self.service = service.to_string();
            self.operation = operation.to_string();
        }
        self
    }

    /// The HTTP status and request id of the answer that carried this failure.
    pub fn with_reply(mut self, status: u16, request_id: Option<String>) -> CallError {
        self.status = Some(status);
        self.request_id = request_id;
        self
    }

    /// The same failure, worth another attempt (throttling, a timeout, a dropped connection).
    pub fn transient(self) -> CallError {
        self.transient_if(true)
    }

    pub fn transient_if(mut self, transient: bool) -> CallError {
        self.transient = transient;
        self
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// Why an AWS error code is worth another attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transient {
    /// Turned away before it was processed: even a write may be sent again.
    Throttled,
    /// The service could not answer (capacity, an internal error, a timeout on its side): the request may have
    /// taken effect, so a write is not repeated.
    Unavailable,
}

/// Every code AWS documents as throttling or capacity, with what it says about the request; retried like 5xx.
/// The one table of transient codes: [`is_transient_code`] and [`is_throttling_code`] both read it.
const TRANSIENT_CODES: &[(&str, Transient)] = &[
    ("Throttling", Transient::Throttled),
    ("ThrottlingException", Transient::Throttled),
    ("ThrottledException", Transient::Throttled),
    ("RequestThrottledException", Transient::Throttled),
    ("TooManyRequestsException", Transient::Throttled),
    (
        "ProvisionedThroughputExceededException",
        Transient::Throttled,
    ),
    ("RequestLimitExceeded", Transient::Throttled),
    ("BandwidthLimitExceeded", Transient::Throttled),
    ("RequestThrottled", Transient::Throttled),
    ("SlowDown", Transient::Throttled),
    ("EC2ThrottledException", Transient::Throttled),
    ("TransactionInProgressException", Transient::Unavailable),
    ("LimitExceededException", Transient::Unavailable),
    ("PriorRequestNotComplete", Transient::Unavailable),
    ("ServiceUnavailable", Transient::Unavailable),
    ("ServiceUnavailableException", Transient::Unavailable),
    ("InternalFailure", Transient::Unavailable),
    ("InternalServerError", Transient::Unavailable),
    ("InternalError", Transient::Unavailable),
    ("RequestTimeout", Transient::Unavailable),
    ("RequestTimeoutException", Transient::Unavailable),
];

fn transient_reason(code: &str) -> Option<Transient> {
    TRANSIENT_CODES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, why)| *why)
}

pub fn is_transient_code(code: &str) -> bool {
    transient_reason(code).is_some()
}

/// The code of a connection the other end refused: the request never left this machine, so even a write may be
/// sent again, now or on resume.
pub const CONNECTION_REFUSED: &str = "ConnectionRefused";

/// Codes that say a request was not processed: turned away by throttling, or never sent because the connection
/// was refused. Even a write may be sent again after one of these.
pub fn was_not_processed(code: &str) -> bool {
    code == CONNECTION_REFUSED || is_throttling_code(code)
}

/// Whether a transport failure was a refused connection, somewhere down its chain of causes: nothing was sent.
/// A reset or closed connection is not one (the request may have been on its way).
pub fn is_refused_connection(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// The codes a step retries: every transient one for a read, the throttling ones only for a write (a write that
/// met any other may have taken effect). For exports that name them instead of asking [`is_transient_code`].
pub fn retried_codes(write: bool) -> Vec<&'static str> {
    TRANSIENT_CODES
        .iter()
        .filter(|(_, why)| !write || *why == Transient::Throttled)
        .map(|(code, _)| *code)
        .collect()
}

/// Codes that say the request was turned away before it was processed, so even a write may be sent again.
pub fn is_throttling_code(code: &str) -> bool {
    transient_reason(code) == Some(Transient::Throttled)
}

/// Why the SDK gave up without a response we could read.
impl<E: std::error::Error + 'static, R: std::fmt::Debug> From<SdkError<E, R>> for CallError {
    fn from(error: SdkError<E, R>) -> CallError {
        let message = error_chain(&error);
        match &error {
            SdkError::TimeoutError(_) => CallError::transport("Timeout", message).transient(),
            SdkError::DispatchFailure(dispatch) if dispatch.is_timeout() => {
                CallError::transport("Timeout", message).transient()
            }
            SdkError::DispatchFailure(dispatch)
                if dispatch
                    .as_connector_error()
                    .is_some_and(|connector| is_refused_connection(connector)) =>
            {
                CallError::refused_connection(message)
            }
            // A dropped connection is worth another try; a bad URL or TLS setting is not. hyper reports
            // "connection closed before message completed" as `other` with a transient kind.
            SdkError::DispatchFailure(dispatch) => CallError::transport("ConnectionError", message)
                .transient_if(
                    dispatch.is_io()
                        || dispatch.as_other()
                            == Some(aws_smithy_types::retry::ErrorKind::TransientError),
                ),
            // The SDK refused to build the request: nothing left this machine.
            SdkError::ConstructionFailure(_) => CallError::invalid_request(message),
            // A response arrived: `call` reads the captured one instead, so these only matter when it is missing.
            SdkError::ResponseError(_) => {
                CallError::transport("ConnectionError", message).transient()
            }
            _ => CallError::transport("ServiceError", message),
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Throttled codes are the ones a write may be sent again after; the others in the table are transient for
    /// reads only. Both questions are answered from the one table.
    #[test]
    fn throttling_codes_are_the_throttled_rows_of_the_transient_table() {
        for (code, why) in TRANSIENT_CODES {
            assert!(is_transient_code(code), "{code}");
            assert_eq!(
                is_throttling_code(code),
                *why == Transient::Throttled,
                "{code}"
            );
        }
        assert!(is_throttling_code("SlowDown") && was_not_processed("SlowDown"));
        assert!(is_transient_code("InternalError") && !was_not_processed("InternalError"));
        assert!(!is_transient_code("ValidationException"));
        assert!(was_not_processed("ConnectionRefused"));
    }

    #[test]
    fn an_answered_error_is_transient_on_5xx_429_or_a_transient_code() {
        let answered = |code: &str, status| CallError::answered(code, "m", status, None).transient;
        assert!(answered("ValidationException", 500));
        assert!(answered("ValidationException", 429));
        assert!(answered("ThrottlingException", 400));
        assert!(answered("InternalError", 200));
        assert!(!answered("ValidationException", 400));
        assert!(!answered("ResourceNotFoundException", 404));
        let error = CallError::answered("X", "m", 404, Some("r-1".into()));
        assert_eq!(
            (error.kind, error.status, error.request_id.as_deref()),
            (CallErrorKind::Answered, Some(404), Some("r-1"))
        );
    }

    /// What an answer says became of the request, read once from its code and status.
    #[test]
    fn an_answer_is_told_apart_by_what_became_of_the_request() {
        let kind = |code: &str, status| CallError::answered(code, "m", status, None).kind;
        assert_eq!(kind("ThrottlingException", 400), CallErrorKind::Throttled);
        assert_eq!(kind("SlowDown", 503), CallErrorKind::Throttled);
        assert_eq!(kind("ValidationException", 429), CallErrorKind::Throttled);
        assert_eq!(
            kind("LimitExceededException", 400),
            CallErrorKind::Unavailable
        );
        assert_eq!(kind("ValidationException", 500), CallErrorKind::Unavailable);
        assert_eq!(
            kind("ResourceNotFoundException", 404),
            CallErrorKind::Answered
        );
        assert!(!CallErrorKind::Throttled.may_have_taken_effect());
        assert!(!CallErrorKind::Answered.may_have_taken_effect());
        assert!(!CallErrorKind::NotSent.may_have_taken_effect());
        assert!(CallErrorKind::Unavailable.may_have_taken_effect());
        assert!(CallErrorKind::Transport.may_have_taken_effect());
        let refused = CallError::refused_connection("connection refused");
        assert_eq!(
            (refused.kind, refused.code.as_str(), refused.transient),
            (CallErrorKind::NotSent, "ConnectionRefused", true)
        );
    }

    /// A call's name is set once, by the innermost call: a composite's failed inner call keeps its own.
    #[test]
    fn the_first_call_named_stays() {
        let error = CallError::transport("Timeout", "m")
            .in_call("sqs", "DeleteMessageBatch")
            .in_call("sqs", "move_messages");
        assert_eq!(
            (error.service.as_str(), error.operation.as_str()),
            ("sqs", "DeleteMessageBatch")
        );
        assert!(CallError::invalid_request("m").service.is_empty());
    }

    /// The constructors keep the codes and rendering the journal and the terminal always had.
    #[test]
    fn constructors_keep_the_codes_and_the_rendering() {
        let invalid = CallError::invalid_request("`url` is required");
        assert_eq!(
            (invalid.kind, invalid.code.as_str(), invalid.transient),
            (CallErrorKind::NotSent, "InvalidRequest", false)
        );
        assert_eq!(invalid.to_string(), "InvalidRequest: `url` is required");
        let malformed = CallError::malformed("bad JSON").with_reply(200, Some("r".into()));
        assert_eq!(malformed.code, "MalformedResponse");
        assert_eq!(
            malformed.to_string(),
            "MalformedResponse (HTTP 200): bad JSON"
        );
        let timeout = CallError::transport("Timeout", "no answer within 5s").transient();
        assert_eq!(
            (timeout.kind, timeout.transient),
            (CallErrorKind::Transport, true)
        );
        let stopped = CallError::stopped("Interrupted", "interrupted");
        assert_eq!(
            (stopped.kind, stopped.status, stopped.transient),
            (CallErrorKind::Stopped, None, false)
        );
    }
}
