//! How a failed attempt is classified: which answers are transient (worth another
//! provider or a retry), how long a failed answer asks to wait, and what kind of failure
//! a reqwest error is, without its text (which names the URL).

use std::time::Duration;

use http::header::RETRY_AFTER;

use crate::retry_after::parse_retry_after;
use crate::{Response, UpstreamError};

/// 502/503/504 always; 429 only with a `Retry-After` (otherwise it is a 4xx like any).
pub(crate) fn transient_status(resp: &Response) -> bool {
    match resp.status {
        502..=504 => true,
        429 => resp.headers.contains_key(RETRY_AFTER),
        _ => false,
    }
}

/// The `Retry-After` of a failed status, as a wait from now.
pub(crate) fn retry_after(e: &UpstreamError) -> Option<Duration> {
    match e {
        UpstreamError::Status { response, .. } => parse_retry_after(&response.headers),
        _ => None,
    }
}

/// Map a reqwest error to a kind without its text (which carries the URL).
pub(crate) fn classify(e: &reqwest::Error, origin: &str) -> UpstreamError {
    let provider = origin.to_string();
    if e.is_timeout() {
        UpstreamError::Timeout { provider }
    } else if malformed(e) {
        UpstreamError::Invalid {
            provider,
            reason: "not a valid HTTP answer",
        }
    } else if e.is_connect() || e.is_request() || e.is_body() {
        // Refused, reset, or closed mid-answer: another try may well work.
        UpstreamError::Connect { provider }
    } else {
        UpstreamError::Invalid {
            provider,
            reason: "not a valid HTTP answer",
        }
    }
}

/// Whether hyper found the answer malformed (not HTTP, bad status line, headers past its
/// limit): the same provider would send the same again, so it is not transient.
fn malformed(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_parse)
        {
            return true;
        }
        source = s.source();
    }
    false
}
