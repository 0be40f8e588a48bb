//! Turns an AWS SDK error into an outcome: throttling slows down, everything else is retried
//! (credentials, network, 5xx, an answer that does not parse). Nothing is dropped on a call
//! failure: only per-record rejections dead-letter.

use super::Outcome;
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
];

/// Whether `code` means "slow down".
pub fn is_throttling(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// The outcome of a failed call, with the error's full context as the reason.
pub fn call_failed<E>(call: &str, e: &E) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let reason = format!("{call}: {}", DisplayErrorContext(e));
    match e.code() {
        Some(code) if is_throttling(code) => Outcome::Throttled(reason),
        _ => Outcome::Retry(reason),
    }
}
