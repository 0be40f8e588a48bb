//! Turns a failed call into an outcome. Transient failures (throttling, 5xx, timeouts, the
//! network, credentials not loadable yet) keep the records queued for a retry with backoff;
//! permanent ones (a 4xx refusal such as a validation error, AccessDenied or a key the
//! destination does not know, an answer that does not parse) dead-letter the records with the
//! reason, so one bad export or record never blocks the queue forever. A destination that does
//! not exist yet (a stream or bucket still being created, or created after the gateway was
//! deployed) is transient: nothing is wrong with the records, and dropping a whole backlog
//! because an operator creates the stream a minute late would lose data.

use super::Outcome;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Error codes AWS uses for "slow down".
const THROTTLING_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "ThrottlingException",
    "Throttling",
    "SlowDown",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "KMSThrottlingException",
];

/// 4xx codes that still mean "try later": expired temporary credentials (the token exchange
/// service hands out fresh ones), a request the server timed out, the server's own trouble.
const TRANSIENT_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "RequestTimeout",
    "RequestTimeoutException",
    "IDPCommunicationError",
    "InternalFailure",
    "InternalError",
    "InternalFailureException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    // The destination is missing or busy being created or updated.
    "ResourceNotFoundException",
    "ResourceInUseException",
    "NoSuchBucket",
];

/// Whether `code` means "slow down".
pub fn is_throttling(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// How a call failed, as far as the decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// The request could not be built (invalid input): retrying cannot help.
    Construction,
    /// No answer: connection refused, DNS, TLS, credentials not loadable, timeout.
    NoAnswer,
    /// An answer that does not parse as the service's reply.
    Unparsable { status: u16 },
    /// A modelled or unmodelled service error.
    Service { status: u16, code: Option<&'a str> },
}

/// What to do after `failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Retry later, slowing down more.
    Throttled,
    /// Retry later.
    Transient,
    /// Never going to work for these records: dead-letter them.
    Permanent,
}

/// The decision table (see the module comment).
pub fn verdict(failure: Failure<'_>) -> Verdict {
    match failure {
        Failure::Construction => Verdict::Permanent,
        Failure::NoAnswer => Verdict::Transient,
        Failure::Unparsable { status } | Failure::Service { status, code: None } => {
            by_status(status, Verdict::Permanent)
        }
        Failure::Service {
            status,
            code: Some(code),
        } => {
            if is_throttling(code) {
                Verdict::Throttled
            } else if TRANSIENT_CODES.contains(&code) {
                Verdict::Transient
            } else {
                by_status(status, Verdict::Permanent)
            }
        }
    }
}

/// 429 slows down, 408 and 5xx retry, anything else (4xx, a 2xx or 3xx the client could not
/// use) gets `otherwise`.
fn by_status(status: u16, otherwise: Verdict) -> Verdict {
    match status {
        429 => Verdict::Throttled,
        408 | 500..=599 => Verdict::Transient,
        _ => otherwise,
    }
}

/// The outcome of a failed AWS SDK call, with the error's full context as the reason.
pub fn call_failed<E>(call: &str, e: &SdkError<E, HttpResponse>) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = match e {
        SdkError::ConstructionFailure(_) => Failure::Construction,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Failure::NoAnswer,
        SdkError::ResponseError(r) => Failure::Unparsable {
            status: r.raw().status().as_u16(),
        },
        SdkError::ServiceError(s) => Failure::Service {
            status: s.raw().status().as_u16(),
            code: s.err().code(),
        },
        _ => Failure::NoAnswer,
    };
    let reason = format!("{call}: {}", DisplayErrorContext(e));
    match verdict(failure) {
        Verdict::Throttled => Outcome::Throttled(reason),
        Verdict::Transient => Outcome::Retry(reason),
        Verdict::Permanent => Outcome::Reject(format!("refused for good: {reason}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str) -> Verdict {
        verdict(Failure::Service {
            status,
            code: Some(code),
        })
    }

    #[test]
    fn transient_failures_retry_and_throttling_slows_down() {
        assert_eq!(verdict(Failure::NoAnswer), Verdict::Transient);
        assert_eq!(service(500, "InternalFailure"), Verdict::Transient);
        assert_eq!(service(503, "Whatever"), Verdict::Transient);
        assert_eq!(service(400, "ExpiredTokenException"), Verdict::Transient);
        // A stream or bucket created after the gateway started sending.
        assert_eq!(
            service(400, "ResourceNotFoundException"),
            Verdict::Transient
        );
        assert_eq!(service(404, "NoSuchBucket"), Verdict::Transient);
        assert_eq!(
            service(400, "ProvisionedThroughputExceededException"),
            Verdict::Throttled
        );
        assert_eq!(service(503, "SlowDown"), Verdict::Throttled);
        assert_eq!(
            verdict(Failure::Service {
                status: 429,
                code: None
            }),
            Verdict::Throttled
        );
        // A proxy's HTML error page on a 502 is the proxy's trouble, not the record's.
        assert_eq!(
            verdict(Failure::Unparsable { status: 502 }),
            Verdict::Transient
        );
    }

    #[test]
    fn refusals_and_garbage_are_permanent() {
        assert_eq!(service(400, "ValidationException"), Verdict::Permanent);
        assert_eq!(service(403, "InvalidClientTokenId"), Verdict::Permanent);
        assert_eq!(service(403, "AccessDenied"), Verdict::Permanent);
        assert_eq!(
            verdict(Failure::Unparsable { status: 200 }),
            Verdict::Permanent
        );
        assert_eq!(verdict(Failure::Construction), Verdict::Permanent);
    }
}
